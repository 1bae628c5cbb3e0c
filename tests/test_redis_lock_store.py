"""The conversation lock (bot/stores/redis_lock_store.py) in the real Redis on 127.0.0.1:6379.

One conversation's messages are answered one at a time and in the order they came, even when
several workers (here: threads, each with its own connection, as processes would have) ask for
the lock at the same instant; a holder that never lets go is overtaken when its ticket
expires; nothing is left in Redis afterwards; and Redis being away is Rasa's LockError.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis
from rasa.core.lock_store import LockError

from bot.stores.redis_lock_store import AtomicRedisLockStore
from tests.support.servers import free_port

pytestmark = pytest.mark.integration


def store(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)


def test_messages_of_one_conversation_are_answered_in_turn_and_in_order(
    redis_prefix: str,
) -> None:
    lock_store, entered, inside = store(redis_prefix), [], []

    async def answer(name: str, hold_s: float) -> None:
        async with lock_store.lock("conversation"):
            inside.append(name)
            entered.append((name, len(inside)))
            await asyncio.sleep(hold_s)
            inside.remove(name)

    async def three_messages() -> None:
        first = asyncio.create_task(answer("first", 0.3))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(answer("second", 0.1))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, second, answer("third", 0.0))

    asyncio.run(three_messages())
    assert entered == [("first", 1), ("second", 1), ("third", 1)]


def test_workers_asking_at_the_same_instant_never_answer_together(redis_prefix: str) -> None:
    """Rasa's own Redis lock reads, edits and writes the queue: two workers could both get
    the same ticket and answer at once."""
    workers, turns = 8, 5
    start = threading.Barrier(workers)
    guard = threading.Lock()
    inside, most_inside, tickets = [0], [0], []

    def worker() -> None:
        lock_store = store(redis_prefix)

        async def turns_of_this_worker() -> None:
            for _ in range(turns):
                async with lock_store.lock("shared conversation") as ticket:
                    with guard:
                        inside[0] += 1
                        most_inside[0] = max(most_inside[0], inside[0])
                        tickets.append(ticket)
                    time.sleep(0.002)  # the answer's work, holding the event loop as Rasa does
                    with guard:
                        inside[0] -= 1

        start.wait()
        asyncio.run(turns_of_this_worker())

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert most_inside[0] == 1
    assert len(tickets) == len(set(tickets)) == workers * turns


def test_a_holder_that_never_lets_go_is_overtaken_when_its_ticket_expires(
    redis_prefix: str,
) -> None:
    lock_store = store(redis_prefix)

    async def stuck_then_next() -> tuple[int, int, list[bytes]]:
        stuck = lock_store.lock("conversation", lock_lifetime=0.5)
        stuck_ticket = await stuck.__aenter__()  # entered and never left, as by a worker that died
        async with lock_store.lock("conversation") as ticket:
            waiting = redis.Redis().zrange(lock_store.key_prefix + "conversation", 0, -1)
            return stuck_ticket, ticket, waiting

    # Liveness only: the next message is served at all, rather than waiting for ever.
    stuck_ticket, ticket, waiting = asyncio.run(asyncio.wait_for(stuck_then_next(), 30))
    assert ticket > stuck_ticket
    # It went in only once Redis had expired the stuck ticket, not by jumping the queue.
    assert waiting == [str(ticket).encode()]


def test_nothing_is_left_in_redis_once_answered(redis_prefix: str) -> None:
    lock_store = store(redis_prefix)

    async def two_messages() -> None:
        async with lock_store.lock("conversation"):
            assert list(redis.Redis().scan_iter(f"{redis_prefix}:*"))
        async with lock_store.lock("conversation"):
            pass

    asyncio.run(two_messages())
    assert list(redis.Redis().scan_iter(f"{redis_prefix}:*")) == []


def test_redis_away_is_a_lock_error_caused_by_redis(redis_prefix: str) -> None:
    """channels/common/never_silent.py reads the cause to log it and answer with the 999 apology."""
    lock_store = AtomicRedisLockStore(host="127.0.0.1", port=free_port(),
                                      key_prefix=redis_prefix,
                                      socket_timeout=1)

    async def one_message() -> None:
        async with lock_store.lock("conversation"):
            pass

    with pytest.raises(LockError) as raised:
        asyncio.run(one_message())
    assert isinstance(raised.value.__cause__, redis.exceptions.ConnectionError)


def test_rasas_json_queue_methods_fail_loudly_instead_of_reading_nothing(redis_prefix: str
                                                                         ) -> None:
    store = AtomicRedisLockStore(key_prefix=redis_prefix)
    for call in (lambda: store.get_lock("c"), lambda: store.is_someone_waiting("c"),
                 lambda: store.finish_serving("c", 1), lambda: store.cleanup("c", 1)):
        with pytest.raises(NotImplementedError):
            call()
