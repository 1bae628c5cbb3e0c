"""Security headers on every answer the server gives, Sanic's own error pages included.

The channels set their headers on the answers they make, but a 404 for an unknown path, a
405, a 413 for a body refused before it is read, or a 500 is made by Sanic, outside any
channel. Those pages carried no Content-Security-Policy, nosniff or no-store (review, L-2).
A response middleware, registered for the whole server by every channel's blueprint, adds any
of these headers an answer lacks (a channel's own, such as the demo page's CSP, are kept).

Rasa also answers GET / with "Hello from Rasa: <version>": a version banner telling an
attacker which known flaws to try (review, I-2). It stays a plain 200 for health checks,
without the name or version.
"""

from __future__ import annotations

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

# A page of ours (the widget's demo) sets a CSP that lets its own script run; anything else
# (JSON, errors) needs nothing at all.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HEALTH_TEXT = "ok"


async def _health(request: Request) -> HTTPResponse | None:
    """Answers GET / itself, so Rasa's versioned greeting is never sent."""
    if request.path == "/" and request.method in ("GET", "HEAD"):
        return response.text(HEALTH_TEXT)
    return None


async def _secure(_: Request, answer: HTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        if name not in answer.headers:
            answer.headers[name] = value


def secure_every_response(blueprint: Blueprint) -> None:
    """Makes the server add SECURITY_HEADERS to every answer, and hide Rasa's version."""

    @blueprint.listener("before_server_start")
    async def install(app: Sanic, _: object) -> None:
        app.register_middleware(_health, "request")
        app.register_middleware(_secure, "response")
