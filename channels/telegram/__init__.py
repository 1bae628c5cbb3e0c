"""Telegram through python-telegram-bot: a webhook only Telegram can call, replies by the Bot API.

Rasa's built-in Telegram channel has no webhook secret and uses aiogram. Here every update must
carry the secret token the webhook was registered with (X-Telegram-Bot-Api-Secret-Token);
updates are parsed with `telegram.Update.de_json` and answered with `telegram.Bot`. Buttons
become inline keyboards; a pressed button is answered and sent on as its payload (only payloads
our buttons offer). /start, /help, /exit and /forget are mapped explicitly; any other text
starting with "/" is read as words, and so is a photo's caption. Group chats, channel posts and
edited messages are ignored; stickers, photos without a caption and voice notes get a short text.

Registered in credentials.yml as `channels.telegram.TelegramInput`. Secrets come from
environment variables whose names credentials.yml gives; without them the webhook answers 503.
The webhook's registration and local polling are `python -m channels.telegram` (__main__.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError

from bot.insights.tally import COUNTED
from bot.stores.forget import forget, forgotten_at
from channels.common.collector import ChannelCollector
from channels.common.http import refuse, unreadable
from channels.common.limits import MAX_REQUEST_BYTES
from channels.common.said import said
from channels.common.settings import from_env, hash_key_env
from channels.common.state import StateFor
from channels.common.user_text import OfferedPayloads, typed_text
from channels.common.webhook import OnNewMessage, WebhookChannel

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and Bot API URLs contain the bot's token.
logging.getLogger("httpx").setLevel(logging.WARNING)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON = frozenset({"application/json"})
MAX_BODY_BYTES = MAX_REQUEST_BYTES
DELETABLE_FOR_S = 48 * 3600  # a bot may delete messages in a private chat for 48 hours
MAX_TRACKED_PER_CHAT = 500
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

# What the channel says itself lives in domain.yml (channels/common/said.py): 999 is in each.
SAFETY_NOTE = "utter_telegram_safety_note"
EXIT_TEXT = "utter_telegram_exit"
NOT_TEXT = "utter_not_text"


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """`text` in pieces under Telegram's limit, cut between paragraphs, lines or words."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind(sep, 0, limit) for sep in ("\n\n", "\n", " "))
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def keyboard(buttons: list[dict]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard, one per row (titles are long on a phone)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["title"], callback_data=b["payload"])] for b in buttons]
    )


class SentMessages:
    """Message ids per chat (keyed by the chat's hash) from the last 48 hours, for /forget.

    Shared by every process when conversations are in Redis (channels/common/state.py).
    """

    def __init__(self) -> None:
        self._state = StateFor("telegram")

    def add(self, chat_hash: str, message_id: int) -> None:
        self._state().append(chat_hash, f"{message_id}:{time.time():.0f}", DELETABLE_FOR_S,
                             MAX_TRACKED_PER_CHAT)

    def take_deletable(self, chat_hash: str) -> list[int]:
        """Forgets the chat's ids and returns those still young enough to delete."""
        now = time.time()
        ids = (entry.split(":") for entry in self._state().take(chat_hash))
        return [int(i) for i, sent in ids if now - float(sent) < DELETABLE_FOR_S]


class TelegramInput(WebhookChannel):
    """The Telegram channel: webhook in, Bot API out."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(
            token=from_env(credentials, "token_env", "TELEGRAM_TOKEN"),
            secret=from_env(credentials, "secret_env", "TELEGRAM_WEBHOOK_SECRET"),
            hash_key_env=hash_key_env(credentials),
            api_url=from_env(credentials, "api_url_env", "TELEGRAM_API_URL"),
        )

    def __init__(self, token: str, secret: str, hash_key_env: str, api_url: str = "") -> None:
        super().__init__("" if token and secret else
                         "set TELEGRAM_TOKEN and TELEGRAM_WEBHOOK_SECRET", hash_key_env)
        self.secret = secret
        self.bot = Bot(token or "unconfigured", **({"base_url": api_url} if api_url else {}))
        self.sent = SentMessages()
        self._buttons = OfferedPayloads()

    async def answer(self, request: Request, update: Update,
                     on_new_message: OnNewMessage) -> HTTPResponse:
        """Handles the update; Telegram always gets 200, or it would send the update again."""
        await self.bot.initialize()  # once; later calls return at once
        try:
            await self._handle(update, request, on_new_message)
        except TelegramError as error:
            logger.error("Telegram Bot API call failed: %s", type(error).__name__)
        return response.json({"ok": True})

    def could_not_answer(self) -> HTTPResponse:
        return response.json({"status": "not handled"})  # 200: Telegram would resend it

    def verify(self, request: Request) -> Update | HTTPResponse:
        """The update Telegram sent, or the 4xx response saying why it is refused."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            logger.warning("Telegram update with a wrong or missing secret token rejected")
            return refuse(403, f"missing or wrong {SECRET_HEADER}")
        refused = unreadable(request, MAX_BODY_BYTES, JSON)
        if refused is not None:
            return refuse(*refused)
        try:
            data = json.loads(request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return refuse(400, "not a Telegram update")
            return Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError,
                OverflowError):  # nested thousands deep; a date out of range
            return refuse(400, "malformed Telegram update")

    async def _handle(self, update: Update, request: Request,
                      on_new_message: OnNewMessage) -> None:
        if update.callback_query:
            query = update.callback_query
            await query.answer()
            message = query.message
            if message and message.chat.type == "private" and self._is_button(query.data,
                                                                              request):
                await self._converse(message.chat_id, query.data, on_new_message, request)
            return
        message = update.message  # edited messages and channel posts are not answered
        if message is None or message.chat.type != "private":
            return
        chat_hash = self.sender(str(message.chat_id))
        self.sent.add(chat_hash, message.message_id)
        text = message.text or message.caption  # a photo's caption is typed text too
        if not text:
            await self._send(message.chat_id, [{"text": said(NOT_TEXT, self.name())}])
            return
        command = text.strip().split(" ")[0].split("@")[0].lower()
        if command == "/start":
            await self._send(message.chat_id, [{"text": said(SAFETY_NOTE, self.name())}])
            await self._converse(message.chat_id, "/greet", on_new_message, request)
        elif command == "/help":
            await self._converse(message.chat_id, "/help_menu", on_new_message, request)
        elif command == "/exit":
            await self._send(message.chat_id, [{"text": said(EXIT_TEXT, self.name())}])
        elif command == "/forget":
            await self._forget(message.chat_id, request)
        else:
            await self._converse(message.chat_id, typed_text(text), on_new_message, request)

    def _is_button(self, payload: str | None, request: Request) -> bool:
        """Whether `payload` is one our buttons offer (a client can send any callback data)."""
        return self._buttons.offers(request, payload)

    async def _converse(self, chat_id: int, text: str, on_new_message: OnNewMessage,
                        request: Request) -> None:
        """Answers `text`; the answer is not sent if /forget came while it was prepared.

        The person has been told the chat was forgotten: a reply appearing after that would
        show on their phone what they asked.
        """
        began, sender = time.time(), self.sender(str(chat_id))
        collector = ChannelCollector(self.name())
        await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                         metadata={COUNTED: True}))  # with the secret
        forgot = forgotten_at(request.app.ctx.agent.tracker_store, sender)
        if forgot is None or forgot < began:
            await self._send(chat_id, collector.messages)

    async def _send(self, chat_id: int, messages: list[dict]) -> None:
        chat_hash = self.sender(str(chat_id))
        for message in messages:
            pieces = split_text(message.get("text") or "")
            for n, piece in enumerate(pieces):
                last = n == len(pieces) - 1
                sent = await self.bot.send_message(
                    chat_id, piece,
                    reply_markup=keyboard(message.get("buttons", [])) if last else None,
                )
                self.sent.add(chat_hash, sent.message_id)

    async def _forget(self, chat_id: int, request: Request) -> None:
        """Deletes the conversation's state and the chat's messages of the last 48 hours."""
        chat_hash = self.sender(str(chat_id))
        await forget(request.app.ctx.agent, chat_hash)
        ids = self.sent.take_deletable(chat_hash)
        deleted = 0
        for start in range(0, len(ids), 100):  # the Bot API deletes up to 100 at a time
            batch = ids[start:start + 100]
            try:
                await self.bot.delete_messages(chat_id, batch)
                deleted += len(batch)
            except TelegramError:
                pass
        failed = len(ids) - deleted
        not_deleted = said("utter_telegram_not_deleted", self.name(), failed=failed)
        text = said("utter_telegram_forgotten", self.name(), deleted=deleted,
                    not_deleted=not_deleted if failed else "")
        await self.bot.send_message(chat_id, text)

