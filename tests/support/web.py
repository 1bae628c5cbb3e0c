"""Calls to the website channel's endpoints, as the widget makes them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def fetch(url: str, path: str, body: bytes | None = None, method: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    """A request anywhere on the server: the status, the raw body and the headers."""
    request = urllib.request.Request(f"{url}{path}", data=body, method=method,
                                     headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def call(url: str, path: str, body: bytes | None = None, content_type: str = "application/json",
         origin: str | None = None, method: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Content-Type": content_type}
    if origin:
        headers["Origin"] = origin
    status, raw, got = fetch(url, f"/webhooks/web{path}", body, method, headers)
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {}
    return status, parsed, got


def new_session(url: str) -> str:
    status, body, _ = call(url, "/session", b"{}")
    assert status == 200
    return body["token"]


def say(url: str, token: str, **body: object) -> tuple[int, dict]:
    status, answer, _ = call(url, "/message", json.dumps({"token": token, **body}).encode())
    return status, answer


def text_of(answer: dict) -> str:
    return "\n".join(m.get("text", "") for m in answer.get("messages", []))
