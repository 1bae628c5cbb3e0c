"""Updates sent to the Telegram webhook as Telegram sends them, answers read from the fake API."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram

SECRET = "test-webhook-secret"
TOKEN = "123:test-token"
CHAT_ID = 987654321012  # distinctive, so a log line holding it would be found
_ids = itertools.count(1)


@dataclass
class Telegram:
    url: str
    api: FakeTelegram
    log: Path

    def post(self, body: bytes, secret: str | None = SECRET,
             content_type: str = "application/json") -> int:
        headers = {"Content-Type": content_type}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(f"{self.url}/webhooks/telegram/webhook", data=body,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def update(self, secret: str | None = SECRET, **content: object) -> int:
        return self.post(json.dumps({"update_id": next(_ids), **content}).encode(), secret)

    def say(self, text: str | None, chat_id: int = CHAT_ID, chat_type: str = "private",
            secret: str | None = SECRET, **extra: object) -> list[dict]:
        """Sends a message and returns what the bot sent to that chat in answer."""
        before = len(self.api.sent(chat_id))
        message = {"message_id": next(_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": chat_type},
                   "from": {"id": chat_id, "is_bot": False, "first_name": "A"}, **extra}
        if text is not None:
            message["text"] = text
        self.update(secret=secret, message=message)
        return self.api.sent(chat_id)[before:]

    def press(self, payload: str, chat_id: int = CHAT_ID) -> list[dict]:
        """Presses an inline button with `payload` under one of the bot's messages."""
        before = len(self.api.sent(chat_id))
        self.update(callback_query={
            "id": str(next(_ids)), "chat_instance": "x", "data": payload,
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "message": {"message_id": next(_ids), "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"}, "text": "earlier"}})
        return self.api.sent(chat_id)[before:]


def texts(sent: list[dict]) -> str:
    return "\n".join(m["text"] for m in sent)


def chat() -> int:
    return 5_000_000 + next(_ids)
