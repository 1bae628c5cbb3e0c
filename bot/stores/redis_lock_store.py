"""A Redis ticket lock for conversations whose every step is one atomic Redis call.

Rasa's `RedisLockStore` keeps each conversation's ticket queue as a JSON string and changes it
by reading it, editing it in Python and writing it back: six round trips a message, and two
workers or instances that issue a ticket for the same conversation at the same moment can both
read the same queue, both take the same ticket number and both answer at once, each saving a
tracker that lacks the other's turn. Here each step is a Lua script that Redis runs on its own
(three round trips a message), with Redis's clock for expiry so instances with different clocks
agree:

- `issue`: drop expired tickets, take the next number, queue it with its expiry;
- `turn`: 1 if the ticket is the oldest one not expired, 0 if an older one is being served,
  -1 if the queue is gone (every ticket expired: Rasa's LockError, as with its own store);
- `release`: drop the ticket, and the queue with its counter when no one else waits.

Same semantics as Rasa's ticket lock otherwise: first come, first served per conversation; a
ticket expires after `lock_lifetime` (TICKET_LOCK_LIFETIME, default 60 s) so a crashed worker
cannot hold a conversation for ever. A waiting message checks again every 50 ms (Rasa waits a
whole second), so a second message sent quickly is answered as soon as the first is.

Configured in endpoints.redis.yml
(`lock_store: type: bot.stores.redis_lock_store.AtomicRedisLockStore`) with the same settings as
Rasa's store, whose Redis connection and key prefix it reuses. Rasa allows several workers with
any lock store but the in-memory one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

POLL_S = 0.05
UNSUPPORTED = "AtomicRedisLockStore keeps no JSON lock; use lock()"

# KEYS[1]: the queue (a sorted set: ticket number -> expiry in ms); KEYS[2]: the ticket counter.
_NOW_MS = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"""

ISSUE = _NOW_MS + """
local lifetime = tonumber(ARGV[1])
local ticket = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now + lifetime, ticket)
redis.call('PEXPIRE', KEYS[1], lifetime)
redis.call('PEXPIRE', KEYS[2], lifetime)
return ticket
"""

TURN = _NOW_MS + """
local waiting = redis.call('ZRANGE', KEYS[1], 0, -1)
if #waiting == 0 then return -1 end
local oldest = math.huge
for _, ticket in ipairs(waiting) do oldest = math.min(oldest, tonumber(ticket)) end
if oldest == tonumber(ARGV[1]) then return 1 end
return 0
"""

RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 0
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with each step of the ticket lock done atomically in Redis.

    Rasa (3.6) uses a lock store only through `lock()`. Every other LockStore method (issue_ticket,
    is_someone_waiting, finish_serving, cleanup, ...) works on Rasa's JSON queue through the three
    below, which this store does not keep: they raise, so a Rasa that starts calling them fails
    loudly instead of reading queues that are never written.
    """

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, **kwargs: str | float | None
    ) -> None:
        """Rasa passes the endpoints file's `lock_store` section; tests pass Redis's settings."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs}
        super().__init__(**kwargs)
        self._issue = self.red.register_script(ISSUE)
        self._turn = self.red.register_script(TURN)
        self._release = self.red.register_script(RELEASE)

    def _keys(self, conversation_id: str) -> list[str]:
        queue = self.key_prefix + conversation_id
        return [queue, queue + ":counter"]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_S,
    ) -> AsyncGenerator[int, None]:
        """Holds the conversation's lock while the block runs; yields the ticket number.

        Raises LockError (from the RedisError, which channels/common/never_silent.py reports) when
        Redis cannot be reached, and when every ticket expired while waiting.
        """
        keys = self._keys(conversation_id)
        try:
            ticket = int(self._issue(keys=keys, args=[int(lock_lifetime * 1000)]))
        except RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            while (turn := int(self._turn(keys=keys, args=[ticket]))) == 0:
                await asyncio.sleep(min(wait_time_in_seconds, POLL_S))
            if turn < 0:
                raise LockError("The conversation's lock expired while waiting for it.")
            yield ticket
        finally:
            try:
                self._release(keys=keys, args=[ticket])
            except RedisError as error:  # the ticket expires on its own
                logger.error("lock store (Redis): could not release a ticket: %s", error)

    def get_lock(self, conversation_id: str) -> None:
        raise NotImplementedError(UNSUPPORTED)

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError(UNSUPPORTED)

    def save_lock(self, lock: object) -> None:
        raise NotImplementedError(UNSUPPORTED)
