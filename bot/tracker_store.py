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
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.trackers import DialogueStateTracker


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
        """Sends the new events to the broker, merges with what is stored, stores."""
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        stored_events = json.loads(stored)["events"] if stored is not None else []
        serialised = self.serialise_tracker(tracker)
        if self.event_broker is not None:
            already_sent = len(stored_events) - last_session_start(stored_events)
            new_events = list(itertools.islice(tracker.events, already_sent, None))
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        if stored is not None and \
                json.loads(serialised)["events"][:len(stored_events)] != stored_events:
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                serialised = self.serialise_tracker(self._merge_trackers(prior, tracker))
        self.red.set(key, serialised, ex=timeout or self.record_exp)
