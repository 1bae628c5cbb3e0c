"""Rasa's REST channel for integrators, with its requests checked and its answers never empty.

Same address and JSON as Rasa's own (POST /webhooks/rest/webhook with {"sender": ...,
"message": ...}, answered with a list of messages), but:

- malformed, oversized or empty requests get a 4xx with a reason instead of a 500, and each
  client is limited (channels/common/limits.py) before any work is done;
- senders have a namespace of their own: the stored sender id is "rest-" and a hash of the one
  sent, so a REST caller can never reach (read, continue or restart) a web, SMS or Telegram
  conversation by sending its id, nor collide with a lock key;
- with REST_TOKEN set, every request must carry "Authorization: Bearer <REST_TOKEN>". As
  deployed (conversations in Redis, endpoints.redis.yml) the channel is off without it: it
  answers 404 and nginx does not route to it (deploy/nginx.conf). With `make run` (in memory)
  it is open, for the terminal shell and local tests;
- like Rasa's, it passes button payloads ("/intent") on, but only those the domain's buttons
  offer: any other text starting with "/" is read as words (as on every other channel), so
  Rasa never parses it, nor logs it in its "Failed to parse arguments" warning.

A failure inside the assistant is answered with the apology and 999
(channels/common/never_silent.py).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import RedisTrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.insights.tally import COUNTED
from bot.stores.forget import stores
from channels.common.headers import secure_every_response
from channels.common.http import add_health_route, json_object, refuse
from channels.common.limits import cap_request_size, within_limits
from channels.common.never_silent import OnNewMessage, never_silent
from channels.common.user_text import OfferedPayloads, typed_text, valid_text

MAX_REQUEST_BYTES = 8192
MAX_MESSAGE_CHARS = 1000
MAX_SENDER_CHARS = 128
TOKEN_ENV = "REST_TOKEN"
SENDER_PREFIX = "rest-"


def rest_sender(sender: str) -> str:
    """The stored sender id for a REST caller's `sender`: in REST's own namespace."""
    return SENDER_PREFIX + hashlib.sha256(sender.encode("utf-8")).hexdigest()[:40]


def _request(request: Request) -> tuple[str, str] | HTTPResponse:
    """The sender and message of a valid request, or the 4xx response saying why not."""
    body = json_object(request, MAX_REQUEST_BYTES)  # any content type, as Rasa's
    if isinstance(body, tuple):
        return refuse(*body)
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return refuse(400, f'"sender" must be text of 1 to {MAX_SENDER_CHARS} characters.')
    if not isinstance(message, str) or not message.strip():
        return refuse(400, '"message" must be non-empty text.')
    if len(message) > MAX_MESSAGE_CHARS:
        return refuse(413, f'"message" must be under {MAX_MESSAGE_CHARS} characters.')
    return rest_sender(valid_text(sender.strip())), valid_text(message.strip())


class RestInput(rest.RestInput):
    """POST /webhooks/rest/webhook, checked."""

    def __init__(self) -> None:
        self.token = os.environ.get(TOKEN_ENV, "")
        self._buttons = OfferedPayloads()

    def _refused(self, request: Request) -> HTTPResponse | None:
        """Why the caller may not use the channel (None: it may)."""
        if not self.token:
            deployed = any(isinstance(s, RedisTrackerStore)
                           for s in stores(request.app.ctx.agent.tracker_store))
            return refuse(404, f"The REST channel is off: set {TOKEN_ENV}.") if deployed else None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            return refuse(401, "Send the REST channel's token: Authorization: Bearer <token>.")
        return None

    def _text(self, request: Request, message: str) -> str:
        """A button payload the domain offers as it is; anything else as typed words."""
        return message if self._buttons.offers(request, message) else typed_text(message)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        answer = never_silent(on_new_message)
        webhook = Blueprint("rest_webhook", __name__)
        cap_request_size(webhook)
        add_health_route(webhook)
        secure_every_response(webhook)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self._refused(request)
            if refused is not None:
                return refused

            async def reply() -> HTTPResponse:
                checked = _request(request)
                if isinstance(checked, HTTPResponse):
                    return checked
                sender, message = checked
                text = self._text(request, message)
                if not text:
                    return refuse(400, '"message" must be non-empty text.')
                collector = CollectingOutputChannel()
                # Counted in the campaign figures only from a caller who sent the token.
                await answer(UserMessage(text, collector, sender, input_channel=self.name(),
                                         metadata={COUNTED: bool(self.token)}))
                return response.json(collector.messages)

            return await within_limits(request, reply, lambda reason: refuse(429, reason))

        return webhook
