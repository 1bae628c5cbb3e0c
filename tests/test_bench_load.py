"""The benchmark's load generator (bench/load.py) sends what it says it sends.

Against a small REST endpoint on loopback that records each message: at a set rate the
conversations together offer that many messages a second; a conversation never sends its next
message before the last one is answered; flat out, as many conversations are busy at once as
the level allows; and every message is counted, answered or not.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from aiohttp import web

from bench.load import TURNS, run_level
from tests.support.servers import free_port


class Recorder:
    """A REST webhook that answers after `delay_s`, and notes when each message came."""

    def __init__(self, delay_s: float, fail_every: int = 0) -> None:
        self.delay_s, self.fail_every = delay_s, fail_every
        self.arrivals: list[float] = []
        self.in_flight: dict[str, int] = defaultdict(int)
        self.overlaps = 0
        self.most_in_flight = 0  # messages being answered at once, all conversations

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrivals.append(time.perf_counter())
        number = len(self.arrivals)
        self.in_flight[body["sender"]] += 1
        self.overlaps += self.in_flight[body["sender"]] > 1
        self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        await asyncio.sleep(self.delay_s)
        self.in_flight[body["sender"]] -= 1
        if self.fail_every and number % self.fail_every == 0:
            return web.json_response({"error": "made to fail"}, status=500)
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])


async def load(recorder: Recorder, **level: float) -> object:
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", recorder.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await run_level(f"http://127.0.0.1:{port}", "rest", **level)
    finally:
        await runner.cleanup()


def test_at_a_set_rate_the_conversations_offer_that_many_messages_a_second() -> None:
    recorder = Recorder(delay_s=0.01)
    result = asyncio.run(load(recorder, concurrency=8, conversations=8, rate=40.0))
    assert result.messages == len(recorder.arrivals) == 8 * len(TURNS)
    # Each conversation's last (sixth) turn is scheduled five intervals of 8 / 40 s after its
    # start, and sleeping never ends early: at a set rate the run cannot be quicker than that,
    # so it cannot offer more than the rate (flat out, it would take about 0.1 s).
    assert result.wall_s >= 5 * 8 / 40.0
    assert result.throughput < 50
    assert recorder.overlaps == 0


def test_a_slow_answer_delays_the_next_message_instead_of_overlapping_it() -> None:
    recorder = Recorder(delay_s=0.3)  # slower than the 0.2 s schedule
    result = asyncio.run(load(recorder, concurrency=4, conversations=4, rate=20.0))
    assert recorder.overlaps == 0
    assert min(result.latencies_ms) >= 300
    assert result.throughput < 4 / 0.3 + 1


def test_flat_out_counts_every_message_and_every_error() -> None:
    recorder = Recorder(delay_s=0.02, fail_every=5)
    result = asyncio.run(load(recorder, concurrency=4, conversations=8))
    assert result.messages == 8 * len(TURNS)
    assert result.errors == 8 * len(TURNS) // 5
    assert len(result.latencies_ms) == result.messages - result.errors
    assert recorder.overlaps == 0
    # flat out, nothing waits on a schedule: every one of the 4 slots is busy at once
    # (each answer takes 20 ms), and never a fifth
    assert recorder.most_in_flight == 4
