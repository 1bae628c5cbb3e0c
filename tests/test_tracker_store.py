"""bot/stores/tracker_store.py gives what Rasa's own stores give, on the same conversations.

Each conversation is carried turn by turn through Rasa's store and ours side by side, as the
processor does (read the current session, add the turn's events, save), in the real Redis on
127.0.0.1:6379. After every turn both must hold the same events, read back the
same session and the same whole conversation, and have sent the broker the same events:
in one session, across a new session, after a restart, and when two writers' saves cross
(the case Rasa's merge is for).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.stores.tracker_store import (
    MAX_EVENTS,
    ForgettingInMemoryTrackerStore,
    ReadOnceRedisTrackerStore,
)

pytestmark = pytest.mark.integration

DOMAIN = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))


class CollectingBroker(EventBroker):
    """Keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.sent.append(event)


class Clock:
    """Event timestamps one second apart, the same for both stores."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def session_start(clock: Clock) -> list[Event]:
    return [ActionExecuted("action_session_start", timestamp=clock()),
            SessionStarted(timestamp=clock()), ActionExecuted("action_listen", timestamp=clock())]


def user(text: str, intent: str, clock: Clock) -> Event:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=clock())


def greeting(clock: Clock) -> list[Event]:
    return [*session_start(clock), user("hi", "greet", clock),
            ActionExecuted("utter_greet", timestamp=clock()),
            BotUttered("Hello", timestamp=clock()),
            ActionExecuted("action_listen", timestamp=clock())]


def help_form(clock: Clock) -> list[Event]:
    return [user("i need help", "get_help", clock),
            ActionExecuted("get_help_form", timestamp=clock()),
            ActiveLoop("get_help_form", timestamp=clock()),
            SlotSet("requested_slot", "audience", timestamp=clock()),
            BotUttered("Who is the help for?", timestamp=clock()),
            ActionExecuted("action_listen", timestamp=clock())]


def audience(clock: Clock) -> list[Event]:
    return [user("it's for me", "audience_self", clock),
            SlotSet("audience", "self", timestamp=clock()),
            ActionExecuted("get_help_form", timestamp=clock()),
            ActionExecuted("action_listen", timestamp=clock())]


def restart(clock: Clock) -> list[Event]:
    return [user("/restart", "restart", clock), ActionExecuted("action_restart", timestamp=clock()),
            Restarted(timestamp=clock()), *session_start(clock)]


CONVERSATIONS: dict[str, list[Callable[[Clock], list[Event]]]] = {
    "one session": [greeting, help_form, audience],
    "a new session": [greeting, help_form, lambda c: [*session_start(c), *help_form(c)], audience],
    "a restart": [greeting, help_form, restart, audience],
}


def redis_pair(prefix: str) -> tuple[TrackerStore, TrackerStore]:
    settings = {"host": "127.0.0.1", "port": 6379, "record_exp": 60}
    return (RedisTrackerStore(DOMAIN, key_prefix=prefix + "rasa", event_broker=CollectingBroker(),
                              **settings),
            ReadOnceRedisTrackerStore(DOMAIN, key_prefix=prefix + "ours",
                                      event_broker=CollectingBroker(), **settings))


def dicts(events: Any) -> list[dict[str, Any]]:
    return [event.as_dict() for event in events]


async def same_view(rasa: TrackerStore, ours: TrackerStore, sender: str) -> None:
    """Both stores read back the same session and conversation, and sent the same events."""
    for read in ("retrieve", "retrieve_full_tracker"):
        theirs, mine = await getattr(rasa, read)(sender), await getattr(ours, read)(sender)
        assert dicts(mine.events) == dicts(theirs.events)
        assert mine.current_state() == theirs.current_state()
        assert mine.active_loop_name == theirs.active_loop_name
    assert ours.event_broker.sent == rasa.event_broker.sent


async def take_turn(store: TrackerStore, sender: str, events: list[Event]) -> None:
    """As the processor: read the session, add the turn, save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    tracker.update_with_events(events, DOMAIN, override_timestamp=False)
    await store.save(tracker)


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_a_conversation_is_kept_as_rasa_keeps_it(redis_prefix: str, name: str) -> None:
    rasa, ours = redis_pair(redis_prefix)
    clock = Clock()

    async def converse() -> None:
        for turn in CONVERSATIONS[name]:
            events = turn(clock)
            await take_turn(rasa, "someone", events)
            await take_turn(ours, "someone", events)
            await same_view(rasa, ours, "someone")

    asyncio.run(converse())
    stored = [json.loads(redis.Redis().get(f"{redis_prefix}{who}:tracker:someone"))["events"]
              for who in ("rasa", "ours")]
    assert stored[0] == stored[1]


def test_saves_that_cross_are_merged_as_rasa_merges_them(redis_prefix: str) -> None:
    """Two writers read the same conversation and each saves its own next turn."""
    rasa, ours = redis_pair(redis_prefix)
    clock = Clock()

    async def crossing() -> None:
        first = greeting(clock)
        for store in (rasa, ours):
            await take_turn(store, "someone", first)
        one, other = help_form(clock), audience(clock)
        for store in (rasa, ours):
            reader_a = await store.get_or_create_tracker("someone", append_action_listen=False)
            reader_b = await store.get_or_create_tracker("someone", append_action_listen=False)
            reader_a.update_with_events(one, DOMAIN, override_timestamp=False)
            reader_b.update_with_events(other, DOMAIN, override_timestamp=False)
            await store.save(reader_a)
            await store.save(reader_b)
        await same_view(rasa, ours, "someone")
        merged = await ours.retrieve_full_tracker("someone")
        assert len(merged.events) == len(first) + len(one) + len(other)

    asyncio.run(crossing())


def small_talk(clock: Clock) -> list[Event]:
    return [user("what is coercive control", "ask_coercive_control", clock),
            ActionExecuted("utter_ask_coercive_control", timestamp=clock()),
            BotUttered("Coercive control is ...", timestamp=clock()),
            ActionExecuted("action_listen", timestamp=clock())]


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_a_long_conversation_stays_bounded_and_keeps_its_slots_and_flow(
        redis_prefix: str, kind: str) -> None:
    """250 turns (1,000 events) in the middle of a flow: what is stored stops growing, and
    the answer given so far ("for me") and the flow in progress are still there."""
    store: TrackerStore = (
        ReadOnceRedisTrackerStore(DOMAIN, host="127.0.0.1", port=6379, record_exp=60,
                                  key_prefix=redis_prefix, event_broker=CollectingBroker())
        if kind == "redis" else ForgettingInMemoryTrackerStore(DOMAIN))
    clock = Clock()

    async def converse() -> None:
        for turn in (greeting, help_form, audience):
            await take_turn(store, "someone", turn(clock))
        for _ in range(250):
            await take_turn(store, "someone", small_talk(clock))

    asyncio.run(converse())
    tracker = asyncio.run(store.retrieve_full_tracker("someone"))
    assert len(tracker.events) <= MAX_EVENTS
    assert tracker.get_slot("audience") == "self"
    assert tracker.active_loop_name == "get_help_form"
    assert tracker.get_slot("requested_slot") == "audience"
    if kind == "redis":
        assert len(redis.Redis().get(f"{redis_prefix}:tracker:someone")) < 400_000
