"""How long the risk component adds to each message (target: well under 1 ms).

Runs bot.risk_component.RiskOverride.process, exactly as the NLU pipeline calls it, over every
message of the risk evaluation file, as the classifier would hand them over (intent and ranking
already set). Reports the first pass (spelling cache cold) and later passes separately.

    make bench-risk            # or: python -m bench.risk_overhead [FILE] [--passes N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.evaluation import load_risk_file
from bot.risk import default_detector
from bot.risk_component import RiskOverride

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "risk_eval.yml"


def classified(text: str) -> Message:
    """A message as it reaches the last pipeline component."""
    guess = {"name": "nlu_fallback", "confidence": 0.4}
    return Message(data={TEXT: text, INTENT: guess, INTENT_RANKING_KEY: [guess]})


def time_pass(component: RiskOverride, texts: list[str]) -> list[float]:
    """Microseconds per message for one pass over `texts`."""
    durations = []
    for text in texts:
        message = classified(text)
        start = time.perf_counter()
        component.process([message])
        durations.append((time.perf_counter() - start) * 1e6)
    return durations


def summary(label: str, durations: list[float]) -> str:
    ordered = sorted(durations)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{label:28s} mean {statistics.mean(ordered):7.1f} us   p50 "
            f"{statistics.median(ordered):7.1f} us   p99 {p99:7.1f} us   max {ordered[-1]:7.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--passes", type=int, default=20)
    args = parser.parse_args()
    risk, benign = load_risk_file(args.file)
    texts = [text for messages in risk.values() for text in messages] + benign
    start = time.perf_counter()
    component = RiskOverride(default_detector(), **RiskOverride.get_default_config())
    print(f"detector built in {(time.perf_counter() - start) * 1000:.0f} ms; "
          f"{len(texts)} messages")
    print(summary("first pass (cache cold)", time_pass(component, texts)))
    warm = [d for _ in range(args.passes) for d in time_pass(component, texts)]
    print(summary(f"next {args.passes} passes", warm))


if __name__ == "__main__":
    main()
