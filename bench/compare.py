"""`make bench`: our assistant against the same data on Rasa's stock configuration.

For each configuration: training time (from an empty training cache), cold start to the
first answer, then conversations through the REST and web channels at concurrency 1, 8, 32
and 128 flat out, at 32 with a 3 s pause before each message as people type, and at 32
offering three times the messages a second stock Rasa answered flat out at 32 (the target:
that throughput with p95 at most 250 ms) - throughput, p50/p95/p99 latency, errors,
unanswered - and the resident memory of the Rasa process(es) afterwards. Both are served the
same way: the same channels, endpoints, action server and client on this machine. Ours is also
measured as deployed (endpoints.redis.yml, SANIC_WORKERS=2). Prints a Markdown report (and
writes it with the raw numbers to results/bench/).

    make bench                     # this, then bench/flood.py (about 30 minutes on 2 cores)
    python -m bench.compare --quick  # trained models reused, fewer conversations
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.load import REST_TOKEN, run_level
from tools import launcher

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "bench"
LEVELS = (1, 8, 32, 128)
CHANNELS = ("rest", "web")
PACED_CONCURRENCY = 32
PACED_THINK_S = 3.0  # a quick reader and typist: 3 s before each message
TARGET_RATIO = 3.0  # the throughput target: three times stock's at concurrency 32
PORT = 5105
ACTIONS_PORT = 5155
# The load generator is one client standing for many people: the per-client limits
# (channels/common/limits.py) are lifted for these runs. bench/flood.py measures them.
LIMITS_LIFTED = {"CLIENT_REQUESTS_PER_MINUTE": "1000000", "CLIENT_BURST": "1000000",
                 "CLIENT_IN_FLIGHT": "1000000", "SERVER_IN_FLIGHT": "1000000"}


@dataclass
class Setup:
    """One way of building and serving the assistant."""

    name: str
    config: str
    model: str
    endpoints: str
    env: dict[str, str]


def setups() -> list[Setup]:
    redis_env = {"SANIC_WORKERS": "2", "REDIS_KEY_PREFIX": "bench" + uuid.uuid4().hex[:8],
                 "REST_TOKEN": REST_TOKEN}
    return [
        Setup("stock", "bench/stock_config.yml", "models/stock.tar.gz", "endpoints.yml", {}),
        Setup("ours", "config.yml", "models/assistant.tar.gz", "endpoints.yml", {}),
        Setup("ours, Redis + 2 workers", "config.yml", "models/assistant.tar.gz",
              "endpoints.redis.yml", redis_env),
    ]


def train(setup: Setup, cold: bool) -> float:
    """Trains `setup` (from an empty cache if `cold`); returns the seconds it took."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        if cold:
            env["RASA_CACHE_DIRECTORY"] = cache
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "rasa", "train", "--quiet", "--config",
                        setup.config, "--out", "models", "--fixed-model-name",
                        Path(setup.model).name.removesuffix(".tar.gz")],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return time.monotonic() - start


def first_answer(url: str, process: subprocess.Popen, timeout_s: float = 300) -> None:
    """Waits until the REST channel answers a real message."""
    body = json.dumps({"sender": "bench-start", "message": "hello"}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Rasa server exited during start")
        try:
            request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                             headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                if json.loads(response.read()):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TimeoutError("no first answer")


def rss_mb(pid: int) -> list[float]:
    """Resident memory (MB) of `pid` and of each of its descendants."""
    found = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found.append(int(line.split()[1]) / 1024)
        pending += [int(c) for c in children]
    return found


def measure(setup: Setup, levels: tuple[int, ...], per_level: int,
            rates: dict[str, float]) -> dict:
    """Serves `setup`, loads it, and returns what was measured.

    `rates`: for each channel, the messages a second to offer at concurrency 32 (none: skip).
    """
    env = launcher.server_environment({
        **LIMITS_LIFTED, **setup.env,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{ACTIONS_PORT}/webhook"})
    endpoints = setup.endpoints
    if endpoints == "endpoints.yml":  # the action server of this run, not make run's
        endpoints = str(OUT / "endpoints.yml")
        text = (ROOT / "endpoints.yml").read_text().replace(
            "http://localhost:5055/webhook", f"http://127.0.0.1:{ACTIONS_PORT}/webhook")
        Path(endpoints).write_text(text)
        env["INSIGHTS_DB_URL"] = f"sqlite:///{OUT / 'insights.sqlite'}"
    start = time.monotonic()
    # Stock is served as Rasa ships it; ours with bot/rasa_patches.py, as `make run` serves it.
    server = subprocess.Popen(launcher.rasa_server_command(PORT, endpoints, setup.model,
                                                           speedups=setup.name != "stock"),
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{PORT}"
    try:
        first_answer(url, server)
        cold_start = time.monotonic() - start
        results = [asyncio.run(run_level(url, channel, c, max(per_level, 2 * c))).summary()
                   for channel in CHANNELS for c in levels]
        results += [asyncio.run(run_level(url, channel, PACED_CONCURRENCY, PACED_CONCURRENCY,
                                          PACED_THINK_S)).summary() for channel in CHANNELS]
        results += [asyncio.run(run_level(url, channel, PACED_CONCURRENCY,
                                          max(per_level, 2 * PACED_CONCURRENCY),
                                          rate=rate)).summary()
                    for channel, rate in rates.items()]
        memory = rss_mb(server.pid)
    finally:
        launcher.stop([server])
    return {"setup": setup.name, "cold_start_s": round(cold_start, 1),
            "rss_mb": [round(m) for m in memory], "levels": results}


def pacing(level: dict) -> str:
    """How a level's messages were sent, for the report."""
    if level["offered_msg_s"]:
        return f"{level['offered_msg_s']:g} msg/s offered"
    if level["think_s"]:
        return f"{level['think_s']:g} s pause"
    return "flat out"


def target_rates(stock: dict) -> dict[str, float]:
    """Three times what stock answered flat out at concurrency 32, for each channel."""
    return {r["channel"]: round(TARGET_RATIO * r["throughput_msg_s"], 1) for r in stock["levels"]
            if r["concurrency"] == PACED_CONCURRENCY and not r["think_s"]
            and not r["offered_msg_s"]}


def report(measured: list[dict], training: dict[str, float], machine: str) -> str:
    """The Markdown report: both setups side by side, and ours over stock."""
    lines = [f"Machine: {machine}", "", "| setup | training | cold start to first answer | "
             "resident memory per process |", "|---|---|---|---|"]
    for m in measured:
        trained = training.get(m["setup"])
        lines.append(f"| {m['setup']} | {f'{trained:.0f} s' if trained else 'as above'} | "
                     f"{m['cold_start_s']} s | {', '.join(f'{r} MB' for r in m['rss_mb'])} |")
    lines += ["", "| setup | channel | concurrency | pacing | messages | "
              "msg/s | p50 ms | p95 ms | p99 ms | errors | unanswered | msg/s vs stock |",
              "|---" * 12 + "|"]
    stock = {(r["channel"], r["concurrency"], r["think_s"], r["offered_msg_s"]):
             r["throughput_msg_s"] for m in measured if m["setup"] == "stock" for r in m["levels"]}
    for m in measured:
        for r in m["levels"]:
            base = stock.get((r["channel"], r["concurrency"], r["think_s"], r["offered_msg_s"]))
            ratio = f"{r['throughput_msg_s'] / base:.2f}x" if base else "-"
            lines.append(f"| {m['setup']} | {r['channel']} | {r['concurrency']} | "
                         f"{pacing(r)} | "
                         f"{r['messages']} | {r['throughput_msg_s']} | {r['p50_ms']} | "
                         f"{r['p95_ms']} | {r['p99_ms']} | {r['errors']} | {r['unanswered']} | "
                         f"{ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="reuse trained models (no training time), 16 conversations a level")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help='flat-out concurrency levels ("" for the paced run only)')
    parser.add_argument("--only", help="measure only the setups whose name starts with this")
    parser.add_argument("--rate", type=float,
                        help="without stock in the run: msg/s to offer at concurrency 32")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    levels = tuple(int(x) for x in args.levels.split(",") if x.strip())
    chosen = [s for s in setups() if not args.only or s.name.startswith(args.only)]
    training: dict[str, float] = {}
    for setup in chosen:
        if setup.endpoints == "endpoints.yml" and (not args.quick
                                                   or not (ROOT / setup.model).exists()):
            training[setup.name] = train(setup, cold=not args.quick)
    actions = subprocess.Popen(launcher.action_server_command(ACTIONS_PORT), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        launcher.wait_until_up(f"http://127.0.0.1:{ACTIONS_PORT}/health", actions)
        measured: list[dict] = []
        for setup in chosen:  # stock first: its throughput sets the others' target rate
            stock = next((m for m in measured if m["setup"] == "stock"), None)
            rates = (target_rates(stock) if stock
                     else dict.fromkeys(CHANNELS, args.rate) if args.rate else {})
            measured.append(measure(setup, levels, 16 if args.quick else 64, rates))
    finally:
        launcher.stop([actions])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = report(measured, training, machine)
    (OUT / "report.md").write_text(text + "\n")
    (OUT / "raw.json").write_text(json.dumps({"training_s": training, "measured": measured},
                                             indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
