"""SMS through Twilio Messaging: a webhook that only Twilio can call, answered in TwiML.

Rasa's built-in Twilio channel never checks that a request comes from Twilio. This one checks
every request's X-Twilio-Signature with twilio's RequestValidator against the public webhook
URL (what Twilio signs, which differs from what the server sees behind a proxy or tunnel), and
answers in the HTTP response as TwiML, so no outbound API key is needed and no reply is lost
between two requests.

Registered in credentials.yml as `channels.sms.SmsInput`. Secrets are read from environment
variables whose names credentials.yml gives; without them the webhook answers 503.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.insights.tally import COUNTED
from bot.stores.forget import forget
from channels.common import pseudonym
from channels.common.collector import ChannelCollector
from channels.common.http import refuse, unreadable
from channels.common.said import said
from channels.common.settings import from_env, hash_key_env
from channels.common.state import StateFor
from channels.common.user_text import typed_text
from channels.common.webhook import OnNewMessage, WebhookChannel
from channels.sms.optout import OptOutList
from channels.sms.reply import format_reply

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # Twilio's own limit on a message is 1600 characters
MORE_WAITS_S = 1800  # the rest of a long answer waits this long for "MORE"
REPLAY_WINDOW_S = 24 * 3600  # a MessageSid seen within a day is a replay
ANSWER_WITHIN_S = 12.0  # Twilio gives up on a webhook after 15 seconds
FORM = "application/x-www-form-urlencoded"
# Twilio's standard opt-out, opt-in and help keywords (a whole message, any case).
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout",
                        "revoke"})
START_WORDS = frozenset({"start", "yes", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
MORE_WORD = "more"
FORGET_WORDS = frozenset({"forget", "delete"})
HELP_PAYLOAD = "/help_menu"

# What the channel says itself lives in domain.yml (channels/common/said.py): 999 is in each.
OPTED_OUT = "utter_sms_opted_out"
OPTED_IN = "utter_sms_opted_in"
NOT_TEXT = "utter_not_text"
NOT_ANSWERED = "utter_not_answered"
FORGOTTEN = "utter_sms_forgotten"
NOTHING_MORE = "utter_sms_nothing_more"


def twiml(*texts: str) -> HTTPResponse:
    """A TwiML answer with one <Message> per text (none: Twilio sends nothing)."""
    reply = MessagingResponse()
    for text in texts:
        reply.message(text)
    return response.text(str(reply), content_type="application/xml")


class SmsInput(WebhookChannel):
    """The SMS channel: Twilio webhook in, TwiML out."""

    answer_within_s = ANSWER_WITHIN_S

    @classmethod
    def name(cls) -> str:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(
            auth_token=from_env(credentials, "auth_token_env", "TWILIO_AUTH_TOKEN"),
            webhook_url=from_env(credentials, "webhook_url_env", "SMS_WEBHOOK_URL"),
            hash_key_env=hash_key_env(credentials),
            optout_path=Path(from_env(credentials, "optout_db_env", "SMS_OPTOUT_DB",
                                      "var/sms-optout.sqlite3")),
        )

    def __init__(self, auth_token: str, webhook_url: str, hash_key_env: str,
                 optout_path: Path) -> None:
        super().__init__("" if auth_token and webhook_url else
                         "set TWILIO_AUTH_TOKEN and SMS_WEBHOOK_URL", hash_key_env)
        self.webhook_url = webhook_url
        self.validator = RequestValidator(auth_token)
        self.optout_path = optout_path
        self._optouts: OptOutList | None = None
        # sender hash -> the rest of a long answer, until they text MORE (shared on Redis)
        self._more = StateFor("sms")
        # MessageSid -> seen, for a day: a signed request sent again is not answered again
        self._seen = StateFor("sms-seen")

    @property
    def optouts(self) -> OptOutList:
        if self._optouts is None:  # opened on first use, so tests and start-up stay cheap
            self._optouts = OptOutList(self.optout_path)
        return self._optouts

    def verify(self, request: Request) -> RequestParameters | HTTPResponse:
        """The form Twilio sent, or the 4xx response saying why the request is refused."""
        refused = unreadable(request, MAX_BODY_BYTES, frozenset({FORM}))
        if refused is not None:
            return refuse(*refused)
        body = request.body or b""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return refuse(403, "missing X-Twilio-Signature")
        try:
            # Blank values are kept: Twilio signs "Body=" of a picture-only message too.
            form = RequestParameters(parse_qs(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return refuse(400, "the form body is not UTF-8")
        if not self.validator.validate(self.webhook_url, form, signature):
            logger.warning("SMS request with an invalid signature rejected")
            return refuse(403, "invalid X-Twilio-Signature")
        if not form.get("From"):
            return refuse(400, "missing From")
        return form

    async def answer(self, request: Request, form: RequestParameters,
                     on_new_message: OnNewMessage) -> HTTPResponse:
        """Keywords first (STOP, START, HELP, MORE, FORGET), then the conversation, in TwiML.

        A replayed request (a MessageSid already answered) gets an empty answer: a captured
        signed request must not show where the person's conversation now is.
        """
        sid = (form.get("MessageSid") or "")[:64]
        # Kept as a keyed hash: in Twilio's logs a MessageSid leads to the number and the text.
        if sid and len(self._seen().append(pseudonym.pseudonym(self.hash_key, "sms-sid", sid),
                                           "1", REPLAY_WINDOW_S, 2)) > 1:
            return twiml()
        number = form.get("From")
        sender = self.sender(number)
        optout_id = pseudonym.pseudonym(self.hash_key, "sms-optout", number)
        body = typed_text(form.get("Body") or "")
        keyword = body.lower().rstrip(".!")
        if keyword in STOP_WORDS or keyword in FORGET_WORDS:
            await forget(request.app.ctx.agent, sender)
            self._more().take(sender)
        if keyword in STOP_WORDS:
            self.optouts.add(optout_id)
            return twiml(said(OPTED_OUT, self.name()))
        if keyword in START_WORDS and optout_id in self.optouts:
            self.optouts.remove(optout_id)
            return twiml(said(OPTED_IN, self.name()))
        if optout_id in self.optouts:
            return twiml()  # opted out: send nothing
        if keyword in FORGET_WORDS:
            return twiml(said(FORGOTTEN, self.name()))
        if not body:
            return twiml(said(NOT_TEXT, self.name()))
        if keyword == MORE_WORD:
            return twiml(*self._next_part(sender))
        text = HELP_PAYLOAD if keyword in HELP_WORDS else await self._option(request, sender, body)
        collector = ChannelCollector(self.name())
        message = UserMessage(text, collector, sender, input_channel=self.name(),
                              metadata={COUNTED: True})  # signed by Twilio
        await on_new_message(message)
        reply = format_reply(collector.messages)
        self._remember_rest(sender, reply.remainder)
        return twiml(*reply.parts)

    def could_not_answer(self) -> HTTPResponse:
        return twiml(said(NOT_ANSWERED, self.name()))

    async def _option(self, request: Request, sender: str, body: str) -> str:
        """A reply of "1", "2"... is the payload of that option from the last answer."""
        if not (body.isascii() and body.isdigit()):  # not "¹" or "٣": int() refuses them
            return body
        tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
        options: list[dict] = []
        for event in reversed(tracker.events if tracker else []):
            if isinstance(event, UserUttered):
                break
            if isinstance(event, BotUttered) and event.data.get("buttons"):
                options = event.data["buttons"]
                break
        index = int(body) - 1
        return options[index]["payload"] if 0 <= index < len(options) else body

    def _remember_rest(self, sender: str, remainder: str) -> None:
        """Keeps the rest of this answer for "MORE" (a list of one: it replaces any older)."""
        if remainder:
            self._more().append(sender, remainder, MORE_WAITS_S, 1)
        else:
            self._more().take(sender)

    def _next_part(self, sender: str) -> list[str]:
        rest = "".join(self._more().take(sender))
        if not rest:
            return [said(NOTHING_MORE, self.name())]
        reply = format_reply([{"text": rest}])
        self._remember_rest(sender, reply.remainder)
        return reply.parts
