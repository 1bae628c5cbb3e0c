"""Forgetting a conversation: its tracker deleted from the store at once.

Rasa 3.6's tracker stores have no delete, and expiry alone leaves a conversation about abuse
readable until it runs out. This deletes it from the stores we run on: the in-memory store
(`make run`) and Redis (production). Rasa wraps the configured store in others, and while
Redis is down its fail-safe wrapper keeps conversations in a fallback in-memory store: the
conversation is deleted from every one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def stores(store: TrackerStore) -> Iterator[TrackerStore]:
    """The store and every store it wraps, fallbacks included (never creating one)."""
    while store is not None:
        yield store
        fallback = getattr(store, "_fallback_tracker_store", None)
        if fallback is not None:
            yield fallback
        store = getattr(store, "_tracker_store", None)


def forget_conversation(store: TrackerStore, sender_id: str) -> bool:
    """Deletes the conversation of `sender_id`; True if there was one to delete.

    If Redis cannot be reached the error is logged and the conversation still expires with
    its sliding expiry (`record_exp`).
    """
    deleted = False
    for inner in stores(store):
        if isinstance(inner, InMemoryTrackerStore):
            deleted = inner.store.pop(sender_id, None) is not None or deleted
        elif isinstance(inner, RedisTrackerStore):
            try:
                deleted = bool(inner.red.delete(inner.key_prefix + sender_id)) or deleted
            except RedisError as error:
                logger.error("could not delete a conversation from Redis: %s", error)
    return deleted
