"""Forgetting reaches every copy of a conversation, and fails loudly rather than miss one."""

from __future__ import annotations

import pytest
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    TrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.forget import UnknownTrackerStore, forget_conversation, stores

DOMAIN = Domain.empty()


def memory_with(sender: str) -> InMemoryTrackerStore:
    store = InMemoryTrackerStore(DOMAIN)
    store.store[sender] = "serialised tracker"
    return store


def test_the_copy_kept_while_redis_is_down_is_forgotten_too() -> None:
    primary, fallback = memory_with("someone"), memory_with("someone")
    store = AwaitableTrackerStore(FailSafeTrackerStore(primary, None, fallback))
    assert list(stores(store))[2:] == [primary, fallback]
    assert forget_conversation(store, "someone")
    assert "someone" not in primary.store and "someone" not in fallback.store
    assert not forget_conversation(store, "someone")


def test_a_fail_safe_store_without_a_fallback_yet_is_walked_without_making_one() -> None:
    store = FailSafeTrackerStore(memory_with("someone"))
    assert forget_conversation(store, "someone")
    assert store._fallback_tracker_store is None


def test_a_wrapper_that_changed_shape_fails_loudly() -> None:
    store = AwaitableTrackerStore(memory_with("someone"))
    store.__dict__["_inner"] = store.__dict__.pop("_tracker_store")  # as a renamed attribute
    with pytest.raises(UnknownTrackerStore, match="no longer has '_tracker_store'"):
        forget_conversation(store, "someone")

    store = FailSafeTrackerStore(memory_with("someone"))
    del store.__dict__["_fallback_tracker_store"]
    with pytest.raises(UnknownTrackerStore, match="_fallback_tracker_store"):
        forget_conversation(store, "someone")


def test_a_store_forget_cannot_delete_from_fails_loudly() -> None:
    class OtherStore(TrackerStore):
        async def save(self, tracker: DialogueStateTracker) -> None: ...

    with pytest.raises(UnknownTrackerStore, match="cannot delete a conversation from a OtherStore"):
        forget_conversation(AwaitableTrackerStore(OtherStore(DOMAIN)), "someone")
