"""Turns Rasa's event stream into counter increments, and nothing else.

Rasa publishes each new tracker event on its own. Only user events carry a channel, and a
form that ends shows up as two events (the form's action, then `active_loop: null`), so a
little is remembered per conversation: its channel, whether it just started, and its last
action. That memory is bounded, in this process only, and keyed by a hash with a key that
dies with the process. Every name written comes from the domain or a fixed list, so nothing a
person typed can reach the database.

Only messages a channel vouches for are counted: it sets COUNTED in the message's metadata.
SMS and Telegram (signed by the platform) always do, REST only when its caller sent the
integrators' token, and the website only for the first few chats an address starts in an
hour (channels/web.py): tokens are free, and REST callers choose their own senders, so
anything else could make up campaign figures at will (review L-3).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.insights import counters
from bot.insights.counters import Key
from bot.intents import FALLBACK_INTENT, RISK_PREFIX
from bot.recent import Recent

CHANNELS = frozenset({"rest", "web", "sms", "telegram", "cmdline"})
OTHER = "other"
QUICK_EXIT_EVENT = "quick_exit"  # published by the web channel when the widget's quick exit fires
COUNTED = "campaign_counted"  # in a user message's metadata: True if the channel vouches for it
MAX_CONVERSATIONS = 100_000
TRACKED_EVENTS = frozenset({QUICK_EXIT_EVENT, "session_started", "action", "user",
                            "active_loop"})


@dataclass(frozen=True)
class Vocabulary:
    """The only names that may be written: the domain's intents and forms."""

    intents: frozenset[str]
    forms: frozenset[str]

    @classmethod
    def from_domain_file(cls, path: str | Path) -> Vocabulary:
        domain = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
        return cls(frozenset(intents | {FALLBACK_INTENT}), frozenset(domain.get("forms") or {}))

    def intent(self, name: object) -> str:
        return name if isinstance(name, str) and name in self.intents else OTHER

    @staticmethod
    def channel(name: object) -> str:
        return name if isinstance(name, str) and name in CHANNELS else OTHER


@dataclass
class _Conversation:
    channel: str = OTHER
    just_started: bool = False
    last_action: str = ""
    counted: bool = False


@dataclass
class Tally:
    """Counts what one process's events say happened."""

    vocabulary: Vocabulary
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    _conversations: Recent[str, _Conversation] = field(
        default_factory=lambda: Recent(MAX_CONVERSATIONS))

    def _conversation(self, sender_id: object) -> _Conversation:
        digest = hashlib.blake2b(str(sender_id).encode(), key=self._key, digest_size=16).hexdigest()
        conversation = self._conversations.get(digest) or _Conversation()
        self._conversations[digest] = conversation
        return conversation

    def count(self, event: dict[str, Any]) -> list[Key]:
        """The counters that `event` adds one to (often none).

        Runs for every event Rasa publishes (most are bot utterances and slots), so those
        return at once, before any hashing or time formatting.
        """
        kind = event.get("event")
        if kind not in TRACKED_EVENTS:
            return []
        timestamp = event.get("timestamp")
        day = counters.day_of(timestamp if isinstance(timestamp, (int, float)) else time.time())
        if kind == QUICK_EXIT_EVENT:
            return [Key(day, "web", counters.QUICK_EXIT)]
        conversation = self._conversation(event.get("sender_id"))
        if kind == "session_started":
            conversation.just_started = True
        elif kind == "action":
            conversation.last_action = str(event.get("name"))
        elif kind == "user":
            return self._user(event, day, conversation)
        else:  # active_loop
            return self._flow(event.get("name"), day, conversation)
        return []

    def _user(self, event: dict[str, Any], day: str, conversation: _Conversation) -> list[Key]:
        metadata = event.get("metadata")
        conversation.counted = isinstance(metadata, dict) and metadata.get(COUNTED) is True
        if not conversation.counted:
            return []
        channel = conversation.channel = self.vocabulary.channel(event.get("input_channel"))
        intent = self.vocabulary.intent(((event.get("parse_data") or {}).get("intent") or {})
                                        .get("name"))
        keys = [Key(day, channel, counters.MESSAGE, intent)]
        if conversation.just_started:
            conversation.just_started = False
            keys.append(Key(day, channel, counters.CONVERSATION_STARTED))
        if intent.startswith(RISK_PREFIX):
            keys.append(Key(day, channel, counters.ESCALATION, intent.removeprefix(RISK_PREFIX)))
        elif intent == FALLBACK_INTENT:
            keys.append(Key(day, channel, counters.FALLBACK))
        # Button payloads are "/intent"; every channel but REST turns typed "/..." into words.
        text = event.get("text")
        if isinstance(text, str) and text.startswith("/") and intent != OTHER:
            keys.append(Key(day, channel, counters.BUTTON, intent))
        return keys

    def _flow(self, name: object, day: str, conversation: _Conversation) -> list[Key]:
        if not conversation.counted:
            return []
        channel = conversation.channel
        if name in self.vocabulary.forms:
            return [Key(day, channel, counters.FLOW_STARTED, str(name))]
        # A form that closes itself ran last; one that was left, action_deactivate_loop did.
        if name is None and conversation.last_action in self.vocabulary.forms:
            return [Key(day, channel, counters.FLOW_FINISHED, conversation.last_action)]
        return []
