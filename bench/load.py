"""A load generator: many concurrent conversations through the REST or the web channel.

Each conversation is several turns, one of them a risk message, sent one after another;
`concurrency` conversations run at once. Flat out (no pause between turns) measures
saturation: latency is then mostly queueing. With a pause before each turn (`think_s`), as a
person reads and types, it measures what people would feel at that many conversations. At a
set rate (`rate`), the conversations together offer that many messages a second (each sends
its next message on a schedule, but never before its last one is answered): it measures the
latency at a given throughput, e.g. three times what stock Rasa manages flat out.
Every message's latency is recorded; a message is an error if the server does not answer
200, and unanswered if it answers 200 with nothing to show.

Each message goes on a connection of its own, as webhooks from Twilio and Telegram and requests
through nginx (deploy/nginx.conf) reach the server from many clients over time. With a pool
of long-lived connections, all opened in the same instant, one Sanic worker accepted the
whole burst and kept it: with two workers, one did the work and the other idled.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

PACE = random.Random(7)  # the same pauses on every run
# bench/compare.py gives the servers it measures this REST_TOKEN (REST needs one as deployed).
REST_TOKEN = "bench-rest-token"
REST_HEADERS = {"Authorization": f"Bearer {REST_TOKEN}"}

TURNS = ["hello", "what is coercive control", "i need help", "it's for me",
         "he said he would kill me tonight", "thank you"]


@dataclass
class Result:
    """What one concurrency level measured."""

    channel: str
    concurrency: int
    think_s: float = 0.0
    rate: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    unanswered: int = 0
    wall_s: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        """Answered messages per second."""
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> dict[str, float | int | str]:
        return {"channel": self.channel, "concurrency": self.concurrency, "think_s": self.think_s,
                "offered_msg_s": round(self.rate, 1),
                "messages": self.messages, "throughput_msg_s": round(self.throughput, 1),
                "p50_ms": round(self.percentile(50)), "p95_ms": round(self.percentile(95)),
                "p99_ms": round(self.percentile(99)),
                "mean_ms": round(statistics.fmean(self.latencies_ms)) if self.latencies_ms else 0,
                "errors": self.errors, "unanswered": self.unanswered}


async def _send(session: aiohttp.ClientSession, url: str, body: dict, result: Result,
                answered: Callable[[object], bool], headers: dict[str, str] | None = None
                ) -> None:
    start = time.perf_counter()
    try:
        async with session.post(url, json=body, headers=headers) as response:
            data = await response.json(content_type=None)
            ok = response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        ok, data = False, None
    if not ok:
        result.errors += 1
        return
    result.latencies_ms.append((time.perf_counter() - start) * 1000)
    if not answered(data):
        result.unanswered += 1


def _pacer(result: Result) -> Callable[[int], Awaitable[None]]:
    """When each message of one conversation goes: returns a wait to await before turn n.

    At a set rate, the conversation's messages are `concurrency / rate` seconds apart, from a
    random start within the first interval (so conversations are never in step), and a late
    answer delays the next message rather than letting two overlap. With a pause, each
    message waits `think_s` (half as much to half again, at random) after the last answer, the
    first one a random part of a pause.
    """
    if result.rate:
        interval = result.concurrency / result.rate
        start = time.perf_counter() + PACE.uniform(0.0, interval)

        async def on_schedule(turn: int) -> None:
            await asyncio.sleep(max(0.0, start + turn * interval - time.perf_counter()))

        return on_schedule

    async def after_a_pause(turn: int) -> None:
        if result.think_s:
            low, high = (0.0, 1.0) if turn == 0 else (0.5, 1.5)
            await asyncio.sleep(PACE.uniform(low, high) * result.think_s)

    return after_a_pause


async def _rest_conversation(session: aiohttp.ClientSession, base: str, result: Result) -> None:
    sender, pace = uuid.uuid4().hex, _pacer(result)
    for turn, text in enumerate(TURNS):
        await pace(turn)
        await _send(session, f"{base}/webhooks/rest/webhook",
                    {"sender": sender, "message": text}, result, lambda d: bool(d),
                    REST_HEADERS)


async def _web_conversation(session: aiohttp.ClientSession, base: str, result: Result) -> None:
    async with session.post(f"{base}/webhooks/web/session", json={}) as response:
        token = (await response.json())["token"]
    pace = _pacer(result)
    for turn, text in enumerate(TURNS):
        await pace(turn)
        await _send(session, f"{base}/webhooks/web/message", {"token": token, "message": text},
                    result, lambda d: bool(d and d.get("messages")))


async def run_level(base: str, channel: str, concurrency: int, conversations: int,
                    think_s: float = 0.0, rate: float = 0.0) -> Result:
    """`conversations` conversations on `channel`, at most `concurrency` at a time.

    `think_s`: the pause before each message, as a person reads and types; `rate`: the
    messages a second all conversations offer together (neither: flat out).
    """
    result = Result(channel, concurrency, think_s, rate)
    converse = _rest_conversation if channel == "rest" else _web_conversation
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one() -> None:
            async with gate:
                await converse(session, base, result)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(conversations)))
        result.wall_s = time.perf_counter() - start
    return result
