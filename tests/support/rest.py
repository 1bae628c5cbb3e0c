"""A client for the REST channel, and what the person reads in its replies."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass

from tests.support.servers import REST_TOKEN


@dataclass


class Bot:
    """A client for the REST channel of a running Rasa server."""

    url: str

    def say(self, text: str, sender: str | None = None) -> list[dict]:
        """Sends `text` as `sender` (a fresh conversation if None) and returns the replies."""
        body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {REST_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def conversation(self) -> Conversation:
        """A new conversation with its own sender id."""
        return Conversation(self, uuid.uuid4().hex)


@dataclass
class Conversation:
    """One person's conversation: every message goes out under the same sender id."""

    bot: Bot
    sender: str

    def say(self, text: str) -> list[dict]:
        return self.bot.say(text, self.sender)


def texts(replies: list[dict]) -> str:
    """All reply texts joined, for assertions on what the person reads."""
    return "\n".join(reply.get("text", "") for reply in replies)


def button_titles(replies: list[dict]) -> list[str]:
    """Every button title offered in the replies."""
    return [button["title"] for reply in replies for button in reply.get("buttons", [])]
