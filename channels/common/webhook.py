"""What the SMS and Telegram channels share: one webhook that only their platform may call.

A subclass says how to verify a request (`verify`: the platform's parsed data, or the 4xx
response saying why it is refused) and how to answer it (`answer`). This class serves the
webhook, refuses everything with 503 until the channel's secrets are configured, and turns
platform user ids into keyed-hash sender ids.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import pseudonym
from channels.common.headers import secure_every_response
from channels.common.http import add_health_route, refuse
from channels.common.limits import cap_request_size
from channels.common.never_silent import ANSWER_WITHIN_S, OnNewMessage, never_silent

logger = logging.getLogger(__name__)


class WebhookChannel(InputChannel):
    """A channel behind one webhook (POST /webhooks/<name>/webhook)."""

    answer_within_s = ANSWER_WITHIN_S  # a platform that gives up sooner sets its own

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
        on_new_message = never_silent(on_new_message, self.answer_within_s)
        webhook = Blueprint(f"{self.name()}_webhook", __name__)
        cap_request_size(webhook)
        add_health_route(webhook)
        secure_every_response(webhook)

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
