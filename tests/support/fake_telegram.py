"""A stand-in for Telegram's Bot API on loopback: answers as Telegram does and records calls.

The Telegram channel talks to it through python-telegram-bot over real HTTP, exactly as it
would talk to api.telegram.org; only the address differs (TELEGRAM_API_URL).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(body or "{}")
                else:
                    params = {k: _decode(v[0]) for k, v in parse_qs(body).items()}
                fake.calls.append(Call(method, params))
                try:
                    answer = {"ok": True, "result": fake.result(method, params)}
                    status = 200
                except LookupError as error:
                    answer = {"ok": False, "error_code": 400, "description": str(error)}
                    status = 400
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/bot"


def _decode(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value
