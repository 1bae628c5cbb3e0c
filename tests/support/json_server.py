"""A JSON-over-HTTP stand-in on loopback, for services the assistant calls (Telegram, actions)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (path, content type, body) -> (status, answer): what the stand-in answers to one POST
Answer = Callable[[str, str, bytes], tuple[int, object]]


def serve(answer: Answer) -> tuple[ThreadingHTTPServer, str]:
    """Starts the stand-in in a thread; returns it (`.shutdown()` stops it) and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, reply = answer(self.path, self.headers.get("Content-Type") or "", body)
            data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
