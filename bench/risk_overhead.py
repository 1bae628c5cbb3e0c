"""How long the risk component adds to each message (target: p95 at most 10 ms).

Runs bot.nlu.risk_override.RiskOverride.process, exactly as the NLU pipeline calls it, with the
detector and the trained risk model (models/assistant.tar.gz; `make train` first), over every
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

from bot.intents import FALLBACK_INTENT
from bot.nlu.risk_override import HEAD_FILE, RiskOverride
from bot.nlu.sentence_featurizer import SentenceEmbeddingFeaturizer
from bot.risk.detector import default_detector
from bot.risk.model import head_from_model
from tools.evaluation import load_risk_file, risk_settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "tests" / "heldout" / "risk.yml"
MODEL = ROOT / "models" / "assistant.tar.gz"


FEATURIZER = SentenceEmbeddingFeaturizer(
    "sentence_embedding", SentenceEmbeddingFeaturizer.get_default_config())


def classified(text: str) -> Message:
    """A message as it reaches the last pipeline component.

    Classified, with the whole message's sentence embedding that the featurizer computed
    earlier in the pipeline.
    """
    guess = {"name": FALLBACK_INTENT, "confidence": 0.4}
    message = Message(data={TEXT: text, INTENT: guess, INTENT_RANKING_KEY: [guess]})
    FEATURIZER.process([message])
    return message


def time_pass(component: RiskOverride, texts: list[str]) -> list[float]:
    """Microseconds per message for one pass over `texts`."""
    durations = []
    for message in [classified(text) for text in texts]:
        start = time.perf_counter()
        component.process([message])
        durations.append((time.perf_counter() - start) * 1e6)
    return durations


def summary(label: str, durations: list[float]) -> str:
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{label:28s} mean {statistics.mean(ordered) / 1000:6.2f} ms   p50 "
            f"{statistics.median(ordered) / 1000:6.2f} ms   p95 {p95 / 1000:6.2f} ms   p99 "
            f"{p99 / 1000:6.2f} ms   max {ordered[-1] / 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    risk, benign = load_risk_file(args.file)
    texts = [text for messages in risk.values() for text in messages] + benign
    start = time.perf_counter()
    component = RiskOverride(risk_settings(), None, None, default_detector(),
                             head_from_model(MODEL, HEAD_FILE))
    print(f"detector and model loaded in {(time.perf_counter() - start) * 1000:.0f} ms; "
          f"{len(texts)} messages")
    print(summary("first pass (cache cold)", time_pass(component, texts)))
    warm = [d for _ in range(args.passes) for d in time_pass(component, texts)]
    print(summary(f"next {args.passes} passes", warm))


if __name__ == "__main__":
    main()
