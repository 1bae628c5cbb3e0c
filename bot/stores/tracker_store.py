"""Rasa's Redis tracker store, reading each conversation once a message.

Rasa 3.6 rebuilds the whole conversation from its stored events (every event replayed) six
times a message: twice to hand the processor the current session (all sessions, then the last
one again), twice to work out which events are new for the event broker, once more to merge with
what is stored and once to compare the two. Most of the cost of keeping conversations in Redis
was that, and it grows with every turn.

Here, with the same stored format (Rasa's own JSON dialogue) and the same results:

- reading a conversation of one session (all of them here: a session ends after 60 minutes
  without a message, Redis forgets the conversation after 30) rebuilds it once;
- saving reads the stored JSON once: the events new to the broker are those past the stored
  last session, counted in the JSON; and when the stored events are exactly the first events of
  the conversation being saved (always, unless another session or another writer came between),
  Rasa's merge would give the conversation being saved, so it is saved as it is. Otherwise
  Rasa's merge runs, as before.

tests/test_tracker_store.py holds it to Rasa's store on the same conversations in the real Redis:
what is stored, what is read back, what the broker is sent.

Both stores here refuse to save a conversation that began before it was forgotten (its
tombstone, bot/stores/forget.py), so a reply in flight cannot write a forgotten conversation back.

Both also bound a conversation's length. Every message reads and writes the whole conversation,
so one grown to 1,100 messages (3 MB) took 1-1.3 s a message while others waited. Past
MAX_EVENTS events, at the end of a turn, the conversation is stored as a new session that keeps
what the flows need: every slot that has a value and the flow in progress (`bounded`).
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.forget import MemoryTombstones, begun_before, tombstone_key

logger = logging.getLogger(__name__)


MAX_EVENTS = 600  # some 80 turns: far more than a conversation here needs


def bounded(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker`, or past MAX_EVENTS at the end of a turn, a new session with its slots.

    The new session is what Rasa's own session start with slots carried over looks like,
    plus the flow in progress, so the next message is answered as it would have been.
    """
    events = tracker.events
    if len(events) <= MAX_EVENTS or not (isinstance(events[-1], ActionExecuted)
                                         and events[-1].action_name == ACTION_LISTEN_NAME):
        return tracker
    kept: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    kept += [SlotSet(name, value) for name, value in tracker.current_slot_values().items()
             if value is not None]
    if tracker.active_loop_name:
        kept.append(ActiveLoop(tracker.active_loop_name))
    kept.append(ActionExecuted(ACTION_LISTEN_NAME))
    return DialogueStateTracker.from_events(tracker.sender_id, kept,
                                            slots=list(tracker.slots.values()))


def last_session_start(events: list[dict[str, Any]]) -> int:
    """Where the last session starts among stored events (Rasa splits on its start action)."""
    for index in range(len(events) - 1, 0, -1):
        event = events[index]
        if event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME:
            return index
    return 0


class ReadOnceRedisTrackerStore(RedisTrackerStore):
    """endpoints.redis.yml's store: Rasa's RedisTrackerStore, settings and all."""

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """The conversation, or its last session only (what the processor works on).

        A conversation of one session is rebuilt once (Rasa rebuilds it, then splits it into
        sessions and finds there is one). With more sessions, Rasa's own way: it rebuilds the
        last session differently (event by event, from the whole conversation's slots).
        """
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            return None
        dialogue = json.loads(stored)
        if not fetch_all_sessions and last_session_start(dialogue["events"]) > 0:
            return await super()._retrieve(sender_id, fetch_all_sessions)
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue.from_parameters(dialogue))
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Sends the new events to the broker, merges with what is stored, stores (bounded).

        Nothing, if the conversation was forgotten after it began.
        """
        key = self.key_prefix + tracker.sender_id
        stored, forgotten_at = self.red.mget(key, tombstone_key(self, tracker.sender_id))
        if begun_before(tracker, float(forgotten_at) if forgotten_at else None):
            logger.info("a reply to a forgotten conversation was not saved")
            return
        stored_events = json.loads(stored)["events"] if stored is not None else []
        serialised = self.serialise_tracker(tracker)
        if self.event_broker is not None:
            already_sent = len(stored_events) - last_session_start(stored_events)
            new_events = list(itertools.islice(tracker.events, already_sent, None))
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        if (compact := bounded(tracker)) is not tracker:
            serialised = self.serialise_tracker(compact)
        elif stored is not None and \
                json.loads(serialised)["events"][:len(stored_events)] != stored_events:
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                serialised = self.serialise_tracker(self._merge_trackers(prior, tracker))
        self.red.set(key, serialised, ex=timeout or self.record_exp)


class ForgettingInMemoryTrackerStore(InMemoryTrackerStore):
    """endpoints.yml's store (`make run`, one process): Rasa's in-memory store with tombstones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401  (Rasa's signature)
        super().__init__(*args, **kwargs)
        self.tombstones = MemoryTombstones()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Sends the new events to the broker and saves (bounded).

        Nothing, if the conversation was forgotten after it began.
        """
        if begun_before(tracker, self.tombstones.forgotten_at(tracker.sender_id)):
            logger.info("a reply to a forgotten conversation was not saved")
            return
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = self.serialise_tracker(bounded(tracker))
