"""Forgetting a conversation: deleted at once, and never written back by a reply in flight.

Rasa 3.6's tracker stores have no delete, and expiry alone leaves a conversation about abuse
readable until it runs out. This deletes it from the stores we run on: the in-memory store
(`make run`) and Redis (production). Rasa wraps the configured store in others, and while
Redis is down its fail-safe wrapper keeps conversations in a fallback in-memory store: the
conversation is deleted from every one of them.

A person presses the quick exit (or texts FORGET, or sends /forget) while "typing..." shows:
a reply is in flight, holding the conversation as it was loaded, and its save would write the
whole conversation back after the delete. So forgetting takes the conversation's lock (the
reply in flight finishes first, then the delete), and leaves a tombstone: the time it was
forgotten, kept as long as a conversation is. Our stores (bot/stores/tracker_store.py) refuse to
save a conversation that began before its tombstone, whatever path the save comes by (a reply whose
lock expired, another instance); a conversation the person starts afresh afterwards begins
after it and is saved as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from rasa.core.agent import Agent
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    TrackerStore,
)
from rasa.shared.core.trackers import DialogueStateTracker
from redis.exceptions import RedisError

from bot.recent import Recent

logger = logging.getLogger(__name__)

LOCK_POLL_S = 0.05
MAX_MEMORY_TOMBSTONES = 100_000
MEMORY_TOMBSTONE_S = 1800.0  # as long as a conversation lives in Redis (CONVERSATION_TTL_S)


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
            f"Rasa's {type(store).__name__} no longer has {attribute!r}: bot/stores/forget.py "
            "cannot reach every copy of a conversation to delete it. Update WRAPPERS for this "
            "Rasa.")
    inner = vars(store)[attribute]
    if inner is not None and not isinstance(inner, TrackerStore):
        raise UnknownTrackerStore(
            f"Rasa's {type(store).__name__}.{attribute} is a {type(inner).__name__}, not a "
            "tracker store: bot/stores/forget.py cannot delete from it. Update WRAPPERS for this "
            "Rasa.")
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
                f"bot/stores/forget.py cannot delete a conversation from a "
                f"{type(current).__name__}: it knows Rasa's in-memory and Redis stores and the "
                "wrappers in WRAPPERS.")
        pending += [inner for name in attributes
                    if (inner := _wrapped(current, name)) is not None]


def tombstone_key(store: RedisTrackerStore, sender_id: str) -> str:
    """Where a Redis store keeps the time `sender_id` was forgotten (next to the tracker)."""
    return store.key_prefix.removesuffix("tracker:") + "forgotten:" + sender_id


class MemoryTombstones:
    """Forget times of one process's in-memory conversations, bounded, each for 30 minutes."""

    def __init__(self) -> None:
        self._times: Recent[str, float] = Recent(MAX_MEMORY_TOMBSTONES)

    def mark(self, sender_id: str) -> None:
        self._times[sender_id] = time.time()

    def forgotten_at(self, sender_id: str) -> float | None:
        at = self._times.get(sender_id)
        return at if at is not None and time.time() - at < MEMORY_TOMBSTONE_S else None


def begun_before(tracker: DialogueStateTracker, forgotten_at: float | None) -> bool:
    """Whether `tracker` holds events from before it was forgotten (so must not be saved)."""
    if forgotten_at is None or not tracker.events:
        return False
    return tracker.events[0].timestamp <= forgotten_at


def forgotten_at(store: TrackerStore, sender_id: str) -> float | None:
    """When `sender_id`'s conversation was last forgotten, while its tombstone stands."""
    for inner in stores(store):
        tombstones = getattr(inner, "tombstones", None)
        if isinstance(tombstones, MemoryTombstones) and tombstones.forgotten_at(sender_id):
            return tombstones.forgotten_at(sender_id)
        if isinstance(inner, RedisTrackerStore):
            try:
                at = inner.red.get(tombstone_key(inner, sender_id))
                if at is not None:
                    return float(at)
            except RedisError as error:
                logger.error("could not read a tombstone from Redis: %s", error)
    return None


def _mark_in(store: TrackerStore, sender_id: str) -> None:
    """Leaves the tombstone in one store: saves of the conversation as it was are refused."""
    tombstones = getattr(store, "tombstones", None)
    if isinstance(tombstones, MemoryTombstones):
        tombstones.mark(sender_id)
    if isinstance(store, RedisTrackerStore):
        try:
            store.red.set(tombstone_key(store, sender_id), f"{time.time():.6f}",
                          ex=int(store.record_exp or MEMORY_TOMBSTONE_S))
        except RedisError as error:
            logger.error("could not mark a conversation forgotten in Redis: %s", error)


def _forget_in(store: TrackerStore, sender_id: str) -> bool:
    """Leaves the tombstone and deletes the conversation in one store; True if there was one."""
    _mark_in(store, sender_id)
    if isinstance(store, InMemoryTrackerStore):
        return store.store.pop(sender_id, None) is not None
    if isinstance(store, RedisTrackerStore):
        try:
            return bool(store.red.delete(store.key_prefix + sender_id))
        except RedisError as error:
            logger.error("could not delete a conversation from Redis: %s", error)
    return False


def forget_conversation(store: TrackerStore, sender_id: str) -> bool:
    """Deletes the conversation of `sender_id` from every store; True if there was one.

    Call it holding the conversation's lock (`forget`). If Redis cannot be reached the error
    is logged and the conversation still expires with its sliding expiry (`record_exp`).
    """
    deleted = False
    for inner in stores(store):
        deleted = _forget_in(inner, sender_id) or deleted
    return deleted


async def forget(agent: Agent, sender_id: str) -> bool:
    """Forgets `sender_id`'s conversation once any reply in flight for it is saved.

    True if there was a conversation to delete. If the lock cannot be had (Redis down, or a
    reply stuck past the lock's lifetime) it forgets at once: the tombstone still refuses
    that reply's save.
    """
    # Marked before waiting for the lock, so a reply in flight, when it is ready, already sees
    # that the person was told the chat is forgotten (channels/telegram/ does not send it).
    for store in stores(agent.tracker_store):
        _mark_in(store, sender_id)
    try:
        async with agent.lock_store.lock(sender_id, wait_time_in_seconds=LOCK_POLL_S):
            return forget_conversation(agent.tracker_store, sender_id)
    except LockError as error:
        logger.error("forgot a conversation without its lock (%s)", type(error).__name__)
        return forget_conversation(agent.tracker_store, sender_id)
