"""A stand-in for Telegram's Bot API on loopback: answers as Telegram does and records calls.

The Telegram channel talks to it through python-telegram-bot over real HTTP, exactly as it
would talk to api.telegram.org; only the address differs (TELEGRAM_API_URL).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.support import json_server

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Essex assistant", "username": "test_bot"}


@dataclass
class Call:
    method: str
    params: dict


@dataclass
class FakeTelegram:
    """The fake API: `calls` holds every call; `fail_deletes` makes deleteMessages fail."""

    calls: list[Call] = field(default_factory=list)
    fail_deletes: bool = False
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def result(self, method: str, params: dict) -> object:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            return {"message_id": next(self._ids), "date": int(time.time()), "text": params["text"],
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT_USER}
        if method == "deleteMessages" and self.fail_deletes:
            raise LookupError("message can't be deleted")
        return True

    def sent(self, chat_id: int) -> list[dict]:
        return [c.params for c in self.calls
                if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id]

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        """Serves the fake on loopback; returns the server and the Bot API base URL."""
        server, url = json_server.serve(self._answer)
        return server, f"{url}/bot"

    def _answer(self, path: str, content_type: str, raw: bytes) -> tuple[int, object]:
        method = path.rsplit("/", 1)[-1]
        body = raw.decode()
        if "json" in content_type:
            params = json.loads(body or "{}")
        else:
            params = {k: _decode(v[0]) for k, v in parse_qs(body).items()}
        self.calls.append(Call(method, params))
        try:
            return 200, {"ok": True, "result": self.result(method, params)}
        except LookupError as error:
            return 400, {"ok": False, "error_code": 400, "description": str(error)}


def _decode(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value
