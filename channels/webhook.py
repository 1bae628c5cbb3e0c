"""What the SMS and Telegram channels share: one webhook that only their platform may call.

A subclass says how to verify a request (`verify`: the platform's parsed data, or the 4xx
response saying why it is refused) and how to answer it (`answer`). This class serves the
webhook, refuses everything with 503 until the channel's secrets are configured, and turns
platform user ids into keyed-hash sender ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import pseudonym
from channels.headers import secure_every_response
from channels.limits import cap_request_size
from channels.never_silent import never_silent

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def refuse(status: int, reason: str) -> HTTPResponse:
    """A 4xx/5xx answer with a reason, never a stack trace."""
    return response.json({"error": reason}, status=status)


def json_object(request: Request, max_bytes: int, json_types: frozenset[str] | None = None
                ) -> dict | tuple[int, str]:
    """The request's JSON object, or the 4xx status and reason why there is none.

    `json_types`: the content types accepted (None: any, as Rasa's REST channel does).
    """
    if len(request.body or b"") > max_bytes:
        return 413, "That request is too long."
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if json_types is not None and content_type not in json_types:
        return 415, "Expected JSON."
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return 400, "That request could not be read: expected a JSON object."
    if not isinstance(body, dict):
        return 400, "That request could not be read: expected a JSON object."
    return body


class WebhookChannel(InputChannel):
    """A channel behind one webhook (POST /webhooks/<name>/webhook)."""

    def __init__(self, missing_secrets: str, hash_key_env: str) -> None:
        """`missing_secrets` says which secrets are not set ("" when all are)."""
        self.unconfigured = missing_secrets
        self.hash_key = b""
        try:
            self.hash_key = pseudonym.key_from_env(hash_key_env)
        except pseudonym.MissingKeyError as error:
            self.unconfigured = self.unconfigured or str(error)
        if self.unconfigured:
            logger.warning("%s channel not configured: %s", self.name(), self.unconfigured)

    def sender(self, platform_id: str) -> str:
        """The sender id Rasa stores for a phone number or chat id: a keyed hash of it."""
        return pseudonym.pseudonym(self.hash_key, self.name(), platform_id)

    def verify(self, request: Request) -> Any:  # noqa: ANN401  (each platform's own data)
        """The request's data if it really comes from the platform, else a 4xx response."""
        raise NotImplementedError

    async def answer(self, request: Request, verified: Any,  # noqa: ANN401
                     on_new_message: OnNewMessage) -> HTTPResponse:
        """Handles a verified request and returns what the platform gets back."""
        raise NotImplementedError

    def could_not_answer(self) -> HTTPResponse:
        """What the platform gets when handling a message failed.

        An answer it accepts, so that it neither shows an error nor sends the message again.
        """
        raise NotImplementedError

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        on_new_message = never_silent(on_new_message)
        webhook = Blueprint(f"{self.name()}_webhook", __name__)
        cap_request_size(webhook)
        secure_every_response(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.unconfigured:
                return refuse(503, f"the {self.name()} channel is not configured")
            verified = self.verify(request)
            if isinstance(verified, HTTPResponse):
                return verified
            try:
                return await self.answer(request, verified, on_new_message)
            except Exception as error:  # never a 500, and never the message in the log
                logger.error("%s channel could not handle a message (%s)", self.name(),
                             type(error).__name__)
                return self.could_not_answer()

        return webhook
