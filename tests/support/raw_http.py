"""HTTP requests sent byte for byte, as an attacker would send them."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse


def post(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
         ) -> tuple[int, bytes]:
    """POSTs exactly these bytes over a raw socket: header values that HTTP clients refuse to
    send (newlines, non-Latin-1) are sent as an attacker would."""
    parts = urllib.parse.urlsplit(url)
    fields = {"Content-Type": content_type, **(headers or {})} if content_type else headers or {}
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
               f"Content-Length: {len(body)}\r\n{head}\r\n").encode("utf-8", "surrogatepass")
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(request + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def request(url: str, path: str, body: dict | bytes, source: str = "127.0.0.1"
            ) -> tuple[int, dict]:
    """POSTs JSON from `source`; the status and the JSON answer."""
    port = int(url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120,
                                            source_address=(source, 0))
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        connection.request("POST", path, data, {"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, {}
    finally:
        connection.close()
