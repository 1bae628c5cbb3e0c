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

from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    TrackerStore,
)
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# The stores a conversation can be deleted from, and Rasa 3.6's wrappers around them with the
# attributes that hold what they wrap (checked against Rasa 3.6.21, docs/architecture.md).
LEAVES = (InMemoryTrackerStore, RedisTrackerStore)
WRAPPERS: dict[type[TrackerStore], tuple[str, ...]] = {
    FailSafeTrackerStore: ("_tracker_store", "_fallback_tracker_store"),
    AwaitableTrackerStore: ("_tracker_store",),
}


class UnknownTrackerStore(RuntimeError):
    """A store, or a wrapper shape, forget cannot delete from: refuse rather than not delete."""


def _wrapped(store: TrackerStore, attribute: str) -> TrackerStore | None:
    """What `store` holds in `attribute`; raises if Rasa no longer keeps it there."""
    if attribute not in vars(store):
        raise UnknownTrackerStore(
            f"Rasa's {type(store).__name__} no longer has {attribute!r}: bot/forget.py cannot "
            "reach every copy of a conversation to delete it. Update WRAPPERS for this Rasa.")
    inner = vars(store)[attribute]
    if inner is not None and not isinstance(inner, TrackerStore):
        raise UnknownTrackerStore(
            f"Rasa's {type(store).__name__}.{attribute} is a {type(inner).__name__}, not a "
            "tracker store: bot/forget.py cannot delete from it. Update WRAPPERS for this Rasa.")
    return inner


def stores(store: TrackerStore) -> Iterator[TrackerStore]:
    """The store and every store it wraps, fallbacks included (never creating one).

    Raises UnknownTrackerStore for a store that is neither one forget deletes from nor one of
    Rasa's wrappers with the shape it had in 3.6.21: forgetting must not silently miss a copy.
    """
    pending = [store]
    while pending:
        current = pending.pop(0)
        yield current
        if isinstance(current, LEAVES):
            continue
        attributes = WRAPPERS.get(type(current))
        if attributes is None:
            raise UnknownTrackerStore(
                f"bot/forget.py cannot delete a conversation from a {type(current).__name__}: "
                "it knows Rasa's in-memory and Redis stores and the wrappers in WRAPPERS.")
        pending += [inner for name in attributes
                    if (inner := _wrapped(current, name)) is not None]


def forget_conversation(store: TrackerStore, sender_id: str) -> bool:
    """Deletes the conversation of `sender_id`; True if there was one to delete.

    If Redis cannot be reached the error is logged and the conversation still expires with
    its sliding expiry (`record_exp`). Raises UnknownTrackerStore if a store or one of Rasa's
    wrappers is not of a shape this knows (see `stores`).
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
