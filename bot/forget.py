"""Forgetting a conversation: its tracker deleted from the store at once.

Rasa 3.6's tracker stores have no delete, and expiry alone leaves a conversation about abuse
readable until it runs out. This deletes it from the stores we run on: the in-memory store
(`make run`) and Redis (production). Rasa wraps the configured store in others; the innermost
one holds the data.
"""

from __future__ import annotations

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore


def _innermost(store: TrackerStore) -> TrackerStore:
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


def forget_conversation(store: TrackerStore, sender_id: str) -> bool:
    """Deletes the conversation of `sender_id`; True if there was one to delete."""
    inner = _innermost(store)
    if isinstance(inner, InMemoryTrackerStore):
        return inner.store.pop(sender_id, None) is not None
    if isinstance(inner, RedisTrackerStore):
        return bool(inner.red.delete(inner.key_prefix + sender_id))
    raise TypeError(f"cannot delete conversations from {type(inner).__name__}")
