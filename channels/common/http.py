"""HTTP plumbing every channel shares: refusals with a reason, body checks, the health route."""

from __future__ import annotations

import json

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


def refuse(status: int, reason: str) -> HTTPResponse:
    """A 4xx/5xx answer with a reason, never a stack trace."""
    return response.json({"error": reason}, status=status)


def media_type(request: Request) -> str:
    """The request's content type without its parameters ("; charset=..."), in lower case."""
    return (request.content_type or "").split(";")[0].strip().lower()


def unreadable(request: Request, max_bytes: int, media_types: frozenset[str] | None = None
               ) -> tuple[int, str] | None:
    """Why the body is refused before it is read (413 too long, 415 wrong type), or None.

    `media_types`: the content types accepted (None: any).
    """
    if len(request.body or b"") > max_bytes:
        return 413, "That request is too long."
    if media_types is not None and media_type(request) not in media_types:
        return 415, f"Expected {' or '.join(sorted(media_types))}."
    return None


def json_object(request: Request, max_bytes: int, json_types: frozenset[str] | None = None
                ) -> dict | tuple[int, str]:
    """The request's JSON object, or the 4xx status and reason why there is none.

    `json_types`: the content types accepted (None: any, as Rasa's REST channel does).
    """
    refused = unreadable(request, max_bytes, json_types)
    if refused is not None:
        return refused
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return 400, "That request could not be read: expected a JSON object."
    if not isinstance(body, dict):
        return 400, "That request could not be read: expected a JSON object."
    return body


def add_health_route(blueprint: Blueprint) -> None:
    """GET / on the channel's blueprint answers {"status": "ok"} (load balancers, uptime)."""

    @blueprint.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})
