"""Rasa's REST channel for integrators, with its requests checked and its answers never empty.

Same address and JSON as Rasa's own (POST /webhooks/rest/webhook with {"sender": ...,
"message": ...}, answered with a list of messages), but malformed, oversized or empty requests
get a 4xx with a reason instead of a 500, nothing the person wrote is logged when something
fails, and a failure inside the assistant is answered with the apology and 999
(channels/never_silent.py). Like Rasa's, it passes "/intent" payloads on: integrators send
button presses that way.
"""

from __future__ import annotations

from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.user_text import valid_text
from channels.never_silent import OnNewMessage, never_silent
from channels.webhook import json_object, refuse

MAX_REQUEST_BYTES = 8192
MAX_MESSAGE_CHARS = 1000
MAX_SENDER_CHARS = 128


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
    return valid_text(sender.strip()), valid_text(message.strip())


class RestInput(rest.RestInput):
    """POST /webhooks/rest/webhook, checked."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        answer = never_silent(on_new_message)
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            checked = _request(request)
            if isinstance(checked, HTTPResponse):
                return checked
            sender, text = checked
            collector = CollectingOutputChannel()
            await answer(UserMessage(text, collector, sender, input_channel=self.name()))
            return response.json(collector.messages)

        return webhook
