"""Where a message's time goes: the bench conversation through Rasa's Agent, under cProfile.

Runs in one process without HTTP (the action server must be up, as `make run` starts it), so
the figures are the assistant's own work per message: NLU, policies, actions, tracker.

    python -m bench.profile [MODEL] [--action-url URL] [--top N]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import time
import uuid

from rasa.core.agent import Agent
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.log_utils import configure_structlog

from bench.load import TURNS
from bot import serve

WARM_UP_CONVERSATIONS = 3
MEASURED_CONVERSATIONS = 10


async def profile(model: str, action_url: str, top: int) -> None:
    # The level `rasa run` uses: at DEBUG, building log lines would dominate the profile.
    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    serve.speed_up_rasa()  # as every Rasa server serving the assistant (bot/serve.py)
    agent = Agent.load(model, action_endpoint=EndpointConfig(action_url))
    for _ in range(WARM_UP_CONVERSATIONS):
        sender = uuid.uuid4().hex
        for text in TURNS:
            await agent.handle_text(text, sender_id=sender)
    profiler = cProfile.Profile()
    start, cpu_start = time.perf_counter(), time.process_time()
    profiler.enable()
    for _ in range(MEASURED_CONVERSATIONS):
        sender = uuid.uuid4().hex
        for text in TURNS:
            await agent.handle_text(text, sender_id=sender)
    profiler.disable()
    messages = MEASURED_CONVERSATIONS * len(TURNS)
    per_message = (time.perf_counter() - start) / messages
    cpu_per_message = (time.process_time() - cpu_start) / messages
    # CPU above wall time means other threads of this process were busy too (e.g. BLAS's).
    print(f"{model}: {per_message * 1000:.1f} ms a message, {cpu_per_message * 1000:.1f} ms of "
          "CPU (under the profiler)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", nargs="?", default="models/assistant.tar.gz")
    parser.add_argument("--action-url", default="http://localhost:5055/webhook")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    asyncio.run(profile(args.model, args.action_url, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
