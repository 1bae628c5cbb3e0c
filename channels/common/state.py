"""What a channel remembers about a person between messages, shared by every process.

With conversations in Redis (endpoints.redis.yml), several workers and instances answer one
person, so what a channel keeps between messages (SMS "text MORE" remainders, the web
channel's rate limit, Telegram message ids for /forget) lives in Redis too, on the tracker
store's own connection, under its key prefix, and expires on its own. With the in-memory
tracker store (`make run`, one process) it stays in this process, bounded. Keys are always
sender hashes, never phone numbers or chat ids. If Redis fails, the error is logged and the
channel carries on as if nothing was remembered: a conversation never fails for this.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from rasa.core.tracker_store import RedisTrackerStore
from redis import Redis
from redis.exceptions import RedisError
from sanic import Sanic

from bot.recent import Recent
from bot.stores.forget import stores

logger = logging.getLogger(__name__)

MAX_MEMORY_KEYS = 100_000
T = TypeVar("T")


class MemoryState:
    """One process's memory: bounded, each entry with its own expiry."""

    def __init__(self) -> None:
        self._entries: Recent[str, tuple[float, list[str]]] = Recent(MAX_MEMORY_KEYS)

    def _live(self, key: str) -> list[str]:
        expires, values = self._entries.get(key, (0.0, []))
        return values if expires > time.monotonic() else []

    def append(self, key: str, value: str, ttl_s: float, max_items: int) -> list[str]:
        """Adds `value` to the list at `key`; returns the list (its newest `max_items`).

        The list expires `ttl_s` after its last addition.
        """
        values = [*self._live(key), value][-max_items:]
        self._entries[key] = (time.monotonic() + ttl_s, values)
        return values

    def take(self, key: str) -> list[str]:
        """The list at `key`, which is deleted."""
        values = self._live(key)
        self._entries.pop(key, None)
        return values


class RedisState:
    """The same lists in Redis, next to the conversations."""

    def __init__(self, red: Redis, prefix: str) -> None:
        self.red = red
        self.prefix = prefix

    def _safely(self, action: Callable[[], T], fallback: T) -> T:
        try:
            return action()
        except RedisError as error:
            logger.error("shared channel state (Redis) unavailable: %s", error)
            return fallback

    def append(self, key: str, value: str, ttl_s: float, max_items: int) -> list[str]:
        def run() -> list[str]:
            pipe = self.red.pipeline()
            pipe.rpush(self.prefix + key, value)
            pipe.ltrim(self.prefix + key, -max_items, -1)
            pipe.expire(self.prefix + key, max(1, int(ttl_s)))
            pipe.lrange(self.prefix + key, 0, -1)
            return _texts(pipe.execute()[-1])
        return self._safely(run, [value])

    def take(self, key: str) -> list[str]:
        def run() -> list[str]:
            pipe = self.red.pipeline()
            pipe.lrange(self.prefix + key, 0, -1)
            pipe.delete(self.prefix + key)
            return _texts(pipe.execute()[0])
        return self._safely(run, [])


def _texts(values: list[str | bytes]) -> list[str]:
    return [v if isinstance(v, str) else v.decode() for v in values]


SharedState = MemoryState | RedisState


class StateFor:
    """A channel's state: in Redis when the tracker store is, else in this process."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._state: SharedState | None = None

    def __call__(self) -> SharedState:
        """The state, chosen on first use by the running server's tracker store."""
        if self._state is None:
            tracker_store = Sanic.get_app().ctx.agent.tracker_store
            redis_store = next((s for s in stores(tracker_store)
                                if isinstance(s, RedisTrackerStore)), None)
            if redis_store is None:
                self._state = MemoryState()
            else:
                prefix = redis_store.key_prefix.removesuffix("tracker:")
                self._state = RedisState(redis_store.red, f"{prefix}{self.channel}:")
        return self._state
