"""The website channel: serves the widget, a demo page, and the widget's message endpoint.

Rasa's socket.io channel trusts a session id the browser chooses, so anyone who learns one can
join that conversation. Here the server issues each new chat a session token (random, and signed
with the server's key so a client cannot make one up); the sender id is derived from it on the
server. The conversation lives only in the page's memory and in the tracker store; the widget's
quick exit tells the server to forget it.

Routes, under /webhooks/web/ on the Rasa server's port:
    GET  /                    the demo page (a plain campaign page with the widget on it)
    GET  /cover-your-tracks   what the quick exit does and does not erase
    GET  /static/<file>       the widget's script and styles, the exit page
    POST /session             a new chat: {"token": ...}
    POST /message             {"token", "message"} typed text, or {"token", "payload"} a button
    POST /forget              the token as plain text (navigator.sendBeacon): deletes the chat

Registered in credentials.yml as `channels.web.WebInput`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.insights.tally import COUNTED, QUICK_EXIT_EVENT
from bot.recent import Recent
from bot.stores.forget import forget, forgotten_at
from channels.common import headers as server_headers
from channels.common import pseudonym
from channels.common.collector import ChannelCollector
from channels.common.headers import secure_every_response
from channels.common.http import json_object
from channels.common.limits import MAX_CLIENTS, cap_request_size, client_key, within_limits
from channels.common.never_silent import OnNewMessage, never_silent
from channels.common.said import said
from channels.common.settings import from_env, hash_key_env
from channels.common.state import StateFor
from channels.common.user_text import OfferedPayloads, typed_text

logger = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
STATIC_FILES = {  # served files, by name, with their content types (nothing else is served)
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
START_PAYLOAD = "/greet"  # the widget's first message, so every chat opens with the greeting
# The widget sends its JSON as text/plain: a CORS "simple" request, so browsers send no
# preflight (Rasa's CORS layer answers every OPTIONS itself, without our allowed origins).
JSON_TYPES = frozenset({"application/json", "text/plain"})
MAX_REQUEST_BYTES = 4096
MAX_MESSAGE_CHARS = 1000
MESSAGES_PER_MINUTE = 20
TOKEN_LIFETIME_S = 4 * 3600  # a chat's token is refused this long after it was issued
# Campaign figures count at most this many chats an hour started from one address (in one
# process); further ones are answered the same but not counted (bot/insights/tally.py).
COUNTED_CHATS_PER_HOUR = 10
UNCOUNTED = "~n"  # ends a token's nonce when its chat is not counted
# The server's headers (channels/common/headers.py), with a CSP that lets our pages work.
SECURITY_HEADERS = {
    **server_headers.SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


class RateLimiter:
    """At most `per_minute` messages a minute for each session (keyed by its sender hash).

    Counted across every process when conversations are in Redis (channels/common/state.py).
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._times = StateFor("web-rate")

    def allow(self, key: str) -> bool:
        now = time.time()
        times = self._times().append(key, f"{now:.3f}", 60, self.per_minute + 1)
        return sum(now - float(t) < 60 for t in times) <= self.per_minute


class CountedChats:
    """Which new chats the campaign figures count: the first few an hour from each address.

    Tokens are free, so without this anyone could make up conversations, topics and quick
    exits at will (review L-3). Kept in this process's memory, by keyed address hash.
    """

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._started: Recent[str, list[float]] = Recent(MAX_CLIENTS)

    def take(self, client: str) -> bool:
        """Whether a chat the client starts now is counted (and, if so, counts it)."""
        now = time.monotonic()
        started = [t for t in self._started.get(client, []) if now - t < 3600]
        counted = len(started) < self.per_hour
        self._started[client] = [*started, now] if counted else started
        return counted


class WebInput(InputChannel):
    """The website widget's channel."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        origins = from_env(credentials, "allowed_origins_env", "WEB_ALLOWED_ORIGINS")
        return cls(
            hash_key_env=hash_key_env(credentials),
            allowed_origins=[o.strip() for o in origins.split(",") if o.strip()],
        )

    def __init__(self, hash_key_env: str, allowed_origins: list[str]) -> None:
        try:
            self.key = pseudonym.key_from_env(hash_key_env)
        except pseudonym.MissingKeyError:
            # The widget must work with `make run` on a fresh machine: a key made now keeps
            # sessions safe for this process's life (they end when it stops, as they should).
            self.key = secrets.token_bytes(32)
            logger.info("Web channel: no %s set, using a key that lasts until restart",
                        hash_key_env)
        self.allowed_origins = frozenset(allowed_origins)
        self.limiter = RateLimiter(MESSAGES_PER_MINUTE)
        self._buttons = OfferedPayloads()
        self.counted_chats = CountedChats(COUNTED_CHATS_PER_HOUR)

    # ------------------------------------------------------------------ sessions
    def new_token(self, counted: bool = True) -> str:
        """A session token: its issue time and random, signed so the server can tell it made it.

        And when: a token found later (a HAR file, a proxy's log) has expired. `counted`:
        whether the chat counts in the campaign figures (signed too, so it cannot be changed).
        """
        nonce = f"{int(time.time()):x}~{secrets.token_urlsafe(24)}{'' if counted else UNCOUNTED}"
        return f"{nonce}.{self._signature(nonce)}"

    @staticmethod
    def counted(token: str) -> bool:
        """Whether a token's chat counts in the campaign figures (its signature checked first)."""
        return not token.split(".")[0].endswith(UNCOUNTED)

    def sender_for(self, token: object, expired_too: bool = False) -> str | None:
        """The sender id for an unexpired token this server issued; None for anything else.

        `expired_too`: an expired one too (a quick exit must forget a chat of any age).
        """
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 200 \
                or not token.isascii():
            return None
        nonce, signature = token.split(".")
        if not hmac.compare_digest(signature, self._signature(nonce)):
            return None
        issued = int(nonce.split("~")[0], 16) if "~" in nonce else 0
        if time.time() - issued > TOKEN_LIFETIME_S and not expired_too:
            return None
        return pseudonym.pseudonym(self.key, "web", nonce)

    def _signature(self, nonce: str) -> str:
        digest = hmac.new(self.key, f"web-session:{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    # ------------------------------------------------------------------ HTTP
    def _headers(self, request: Request) -> dict[str, str]:
        headers = dict(SECURITY_HEADERS)
        origin = request.headers.get("Origin")
        if origin and origin in self.allowed_origins:
            headers.update({
                "Access-Control-Allow-Origin": origin,
                "Vary": "Origin",
            })
        return headers

    def _json(self, request: Request, body: dict, status: int = 200) -> HTTPResponse:
        return response.json(body, status=status, headers=self._headers(request))

    def _refuse(self, request: Request, status: int, reason: str) -> HTTPResponse:
        """A 4xx with a reason the widget shows to the person."""
        return self._json(request, {"error": reason}, status)

    def _file(self, request: Request, name: str) -> HTTPResponse:
        body = _read(name)
        content_type = STATIC_FILES.get(name, "text/html; charset=utf-8")
        return response.raw(body, content_type=content_type, headers=self._headers(request))

    def _cross_origin_refused(self, request: Request) -> bool:
        """Whether the request comes from a page of another site that is not allowed.

        Our own pages are recognised by host alone: behind a proxy that ends TLS, the server
        sees http while the browser's Origin says https.
        """
        origin = request.headers.get("Origin")
        if not origin or origin in self.allowed_origins:
            return False
        return urlparse(origin).netloc != request.host

    def _json_body(self, request: Request) -> dict | HTTPResponse:
        """The request's JSON object, or the 4xx response saying why there is none."""
        if self._cross_origin_refused(request):
            return self._refuse(request, 403, "This site may not use the chat.")
        body = json_object(request, MAX_REQUEST_BYTES, JSON_TYPES)
        if isinstance(body, tuple):
            return self._refuse(request, *body)
        return body

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        on_new_message = never_silent(on_new_message)
        web = Blueprint("web_widget", __name__)
        cap_request_size(web)
        secure_every_response(web)

        @web.route("/", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            return self._file(request, "demo.html")

        @web.route("/cover-your-tracks", methods=["GET"])
        async def cover_your_tracks(request: Request) -> HTTPResponse:
            return self._file(request, "cover-your-tracks.html")

        @web.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return self._refuse(request, 404, "Not found.")
            return self._file(request, name)

        @web.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            if self._cross_origin_refused(request):
                return self._refuse(request, 403, "This site may not use the chat.")

            async def mint() -> HTTPResponse:
                counted = self.counted_chats.take(client_key(request))
                return self._json(request, {"token": self.new_token(counted)})

            return await self._limited(request, mint)

        @web.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            async def answer() -> HTTPResponse:
                body = self._json_body(request)
                if isinstance(body, HTTPResponse):
                    return body
                return await self._answer(request, body, on_new_message)

            return await self._limited(request, answer)

        @web.route("/forget", methods=["POST"])
        async def forget_chat(request: Request) -> HTTPResponse:
            if self._cross_origin_refused(request):
                return self._refuse(request, 403, "This site may not use the chat.")
            token = (request.body or b"")[:300].decode("utf-8", "replace")
            sender = self.sender_for(token, expired_too=True)
            if sender is None:
                return self._refuse(request, 403, "Unknown chat.")
            # Never limited: a quick exit must always forget, and it costs a lock and a delete.
            return await self._forget(request, sender, self.counted(token))

        return web

    async def _limited(self, request: Request,
                       work: Callable[[], Awaitable[HTTPResponse]]) -> HTTPResponse:
        """`work`'s answer, or 429 when this client is past its limits (channels/common/limits)."""
        return await within_limits(request, work,
                                   lambda reason: self._refuse(request, 429, reason))

    async def _forget(self, request: Request, sender: str, counted: bool) -> HTTPResponse:
        """Forgets the chat (once any reply in flight is saved) and counts the quick exit.

        Only the widget's quick exit calls /forget: it is counted (a number, nothing else),
        once a conversation, only when there was one, and only for a counted chat.
        """
        agent = request.app.ctx.agent
        if await forget(agent, sender) and counted \
                and agent.tracker_store.event_broker is not None:
            agent.tracker_store.event_broker.publish({"event": QUICK_EXIT_EVENT})
        return self._json(request, {"forgotten": True})

    async def _answer(self, request: Request, body: dict,
                      on_new_message: OnNewMessage) -> HTTPResponse:
        sender = self.sender_for(body.get("token"))
        if sender is None or forgotten_at(request.app.ctx.agent.tracker_store, sender):
            return self._refuse(request, 403, "This chat has ended. Please start a new one.")
        text = self._text(body, request)
        if isinstance(text, HTTPResponse):
            return text
        if not self.limiter.allow(sender):
            return self._refuse(request, 429, said("utter_web_too_fast", self.name()))
        collector = ChannelCollector(self.name())
        await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                         metadata={COUNTED: self.counted(body["token"])}))
        replies = [{k: m[k] for k in ("text", "buttons") if m.get(k)} for m in collector.messages]
        return self._json(request, {"messages": replies})

    def _text(self, body: dict, request: Request) -> str | HTTPResponse:
        """What to hand Rasa: typed text made safe, or a button payload we offer."""
        if "payload" in body:
            payload = body["payload"]
            if not isinstance(payload, str) or (payload != START_PAYLOAD
                                                and not self._buttons.offers(request, payload)):
                return self._refuse(request, 400, "That button is not one of ours.")
            return payload
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            return self._refuse(request, 400, "Please type a message.")
        if len(message) > MAX_MESSAGE_CHARS:
            return self._refuse(request, 413, f"Please keep messages under {MAX_MESSAGE_CHARS} "
                                              "characters.")
        text = typed_text(message)
        if not text:
            return self._refuse(request, 400, "Please type a message.")
        return text


@cache
def _read(name: str) -> bytes:
    """A served file's bytes, read from web/ once per process."""
    return (WEB_ROOT / name).read_bytes()
