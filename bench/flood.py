"""`make bench`'s attacks: one client delaying another's 999 answer; one conversation grown.

One client (127.0.0.1) floods the website channel as the red team did: 300 messages of 1,000
characters, 150 at a time, each on a token it mints first. Meanwhile another client
(127.0.0.2: Linux routes all of 127/8 to loopback) opens a chat and says "he is going to kill
me", VICTIM_MESSAGES times, one every VICTIM_EVERY_S seconds (each on its own, not waiting for
the last answer), from just after the flood starts. Reported: the victim's latency to the 999
answer (p50, p95, max; target p95 at most 2 s), how many were the escalation, and what the
flood got (answered, refused with 429, failed).

Measured against our assistant as served by default (per-client limits on), and for
comparison with the limits lifted (as Rasa's own channels are: no per-client limits) on our
model or on stock's (`--stock`, which `make bench` passes once bench/compare.py has trained
it; stock's model is served as Rasa ships it, through our channels).

Growth: one REST conversation of GROWTH_MESSAGES messages, one after another (limits lifted);
reported is the median time a message in its first, middle and last hundred. Conversations
are bounded (bot/stores/tracker_store.py), so the cost of a message should stay flat.

    python -m bench.flood [--stock]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from bench.compare import ACTIONS_PORT, LIMITS_LIFTED, OUT, PORT, first_answer
from tools import launcher

FLOOD_REQUESTS = 300
FLOOD_CONCURRENCY = 150
FLOOD_CHARS = 1000
ATTACKER, VICTIM = "127.0.0.1", "127.0.0.2"
RISK_MESSAGE = "he is going to kill me"
VICTIM_MESSAGES = 20
VICTIM_EVERY_S = 0.5
TARGET_P95_S = 2.0
GROWTH_MESSAGES = 1000
GROWTH_TEXTS = ("what is coercive control", "thank you")
LONG_TEXT = ("my partner keeps checking my phone and i do not know what to do about it "
             * 20)[:FLOOD_CHARS]


@dataclass
class FloodResult:
    """What the victim got while the flood ran, and what the flood got."""

    victim_s: list[float] = field(default_factory=list)
    victim_escalated: int = 0
    victim_refused: int = 0
    flood: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        ordered = sorted(self.victim_s)

        def pct(p: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2) \
                if ordered else float("nan")

        return {"victim_messages": len(ordered), "victim_p50_s": pct(50),
                "victim_p95_s": pct(95), "victim_max_s": round(max(ordered, default=0), 2),
                "victim_escalated": self.victim_escalated,
                "victim_refused": self.victim_refused,
                "flood": {str(k): v for k, v in sorted(self.flood.items())}}


def _session(source: str, limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit, force_close=True, local_addr=(source, 0))
    return aiohttp.ClientSession(connector=connector,
                                 timeout=aiohttp.ClientTimeout(total=120))


async def _attack(base: str, result: FloodResult) -> None:
    gate = asyncio.Semaphore(FLOOD_CONCURRENCY)
    async with _session(ATTACKER, FLOOD_CONCURRENCY) as session:

        async def one() -> None:
            async with gate:
                try:
                    async with session.post(f"{base}/webhooks/web/session", json={}) as minted:
                        if minted.status != 200:
                            result.flood[minted.status] += 1
                            return
                        token = (await minted.json())["token"]
                    async with session.post(f"{base}/webhooks/web/message",
                                            json={"token": token, "message": LONG_TEXT}) as r:
                        await r.read()
                        result.flood[r.status] += 1
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    result.flood["failed"] += 1

        await asyncio.gather(*(one() for _ in range(FLOOD_REQUESTS)))


async def _victim(base: str, result: FloodResult) -> None:
    async with _session(VICTIM, VICTIM_MESSAGES) as session:

        async def one(n: int) -> None:
            await asyncio.sleep(n * VICTIM_EVERY_S)
            start = time.perf_counter()
            async with session.post(f"{base}/webhooks/web/session", json={}) as minted:
                token = (await minted.json(content_type=None)).get("token")
            async with session.post(f"{base}/webhooks/web/message",
                                    json={"token": token, "message": RISK_MESSAGE}) as r:
                answer = await r.json(content_type=None)
                status = r.status
            result.victim_s.append(time.perf_counter() - start)
            if status == 429:
                result.victim_refused += 1
            elif any("999" in m.get("text", "") for m in answer.get("messages", [])):
                result.victim_escalated += 1

        await asyncio.gather(*(one(n) for n in range(VICTIM_MESSAGES)))


async def run_flood(base: str) -> FloodResult:
    """The flood from one client and the victim's risk messages from another, together."""
    result = FloodResult()
    flood = asyncio.create_task(_attack(base, result))
    await asyncio.sleep(0.2)  # the victim speaks once the flood is under way
    await _victim(base, result)
    await flood
    return result


async def run_growth(base: str) -> dict[str, float]:
    """One conversation of GROWTH_MESSAGES; the median ms a message per hundred, by where."""
    times: list[float] = []
    async with _session(ATTACKER, 1) as session:
        for n in range(GROWTH_MESSAGES):
            start = time.perf_counter()
            async with session.post(f"{base}/webhooks/rest/webhook",
                                    json={"sender": "growth", "message":
                                          GROWTH_TEXTS[n % len(GROWTH_TEXTS)]}) as r:
                await r.read()
            times.append((time.perf_counter() - start) * 1000)
    windows = {"first 100": times[:100],
               "middle 100": times[len(times) // 2 - 50:len(times) // 2 + 50],
               "last 100": times[-100:]}
    return {name: round(statistics.median(window)) for name, window in windows.items()}


def measure(name: str, model: str, env: dict[str, str], growth: bool) -> dict:
    """Serves `model` (conversations in memory, one worker) and floods it.

    With `growth`, one conversation is grown on it afterwards.
    """
    endpoints = OUT / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{ACTIONS_PORT}/webhook"\n'
        "tracker_store:\n  type: bot.stores.tracker_store.ForgettingInMemoryTrackerStore\n")
    # Stock as Rasa ships it (as bench/compare.py serves it), ours with bot/rasa_patches.py.
    server = subprocess.Popen(
        launcher.rasa_server_command(PORT, str(endpoints), model,
                                     speedups=not name.startswith("stock")), cwd=launcher.ROOT,
        env=launcher.server_environment(env), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{PORT}"
    try:
        first_answer(url, server)
        # The machine may be shared: its load next to each figure says how far to trust it.
        load_before = os.getloadavg()[0]
        measured = {"setup": name, **asyncio.run(run_flood(url)).summary(),
                    "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)]}
        if growth:
            measured["growth_ms"] = asyncio.run(run_growth(url))
            measured["growth_load_1min"] = round(os.getloadavg()[0], 1)
        return measured
    finally:
        launcher.stop([server])


def report(measured: list[dict]) -> str:
    lines = [f"Flood: {FLOOD_REQUESTS} web messages of {FLOOD_CHARS} characters from one "
             f"client, {FLOOD_CONCURRENCY} at a time, each on a new token; another client "
             f'says "{RISK_MESSAGE}" {VICTIM_MESSAGES} times, one every {VICTIM_EVERY_S:g} s '
             f"(target: p95 at most {TARGET_P95_S:g} s).",
             "", "| setup | victim messages | p50 s | p95 s | max s | escalated | refused "
             "(429) | flood got | load (1 min) before, after |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in measured:
        lines.append(f"| {m['setup']} | {m['victim_messages']} | {m['victim_p50_s']} | "
                     f"{m['victim_p95_s']} | {m['victim_max_s']} | {m['victim_escalated']} | "
                     f"{m['victim_refused']} | "
                     f"{', '.join(f'{k}: {v}' for k, v in m['flood'].items())} | "
                     f"{m['load_1min'][0]}, {m['load_1min'][1]} |")
    for m in measured:
        if "growth_ms" in m:
            lines += ["", f"Growth ({m['setup']}): one REST conversation of {GROWTH_MESSAGES} "
                      "messages; median ms a message: " + ", ".join(
                          f"{k} {v}" for k, v in m["growth_ms"].items())
                      + f" (load {m['growth_load_1min']} at its end)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stock", action="store_true",
                        help="also flood stock Rasa's model (models/stock.tar.gz), no limits")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    setups = [("ours", "models/assistant.tar.gz", {}, False),
              ("ours, limits lifted", "models/assistant.tar.gz", LIMITS_LIFTED, True)]
    if args.stock:
        setups.append(("stock (no limits)", "models/stock.tar.gz", LIMITS_LIFTED, False))
    actions = subprocess.Popen(launcher.action_server_command(ACTIONS_PORT), cwd=launcher.ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        launcher.wait_until_up(f"http://127.0.0.1:{ACTIONS_PORT}/health", actions)
        measured = [measure(*setup) for setup in setups]
    finally:
        launcher.stop([actions])
    text = report(measured)
    (OUT / "flood.md").write_text(text + "\n")
    (OUT / "flood.json").write_text(json.dumps(measured, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
