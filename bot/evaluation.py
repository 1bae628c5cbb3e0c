"""Prints the numbers our quality bars are judged by, from the reports Rasa writes.

`python -m bot.evaluation f1 results/nlu` reads the cross-validation intent report and prints
the intent macro-F1 (target: at least 0.90) and the weakest intents, so a regression is obvious.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

F1_TARGET = 0.90


def intent_macro_f1(results_dir: Path) -> tuple[float, dict[str, float]]:
    """Macro-F1 over intents and each intent's F1, from Rasa's intent_report.json."""
    report = json.loads((results_dir / "intent_report.json").read_text(encoding="utf-8"))
    per_intent = {
        name: scores["f1-score"]
        for name, scores in report.items()
        if isinstance(scores, dict) and "support" in scores and name not in
        ("accuracy", "macro avg", "weighted avg", "micro avg")
    }
    return report["macro avg"]["f1-score"], per_intent


def print_f1(results_dir: Path) -> int:
    """Prints macro-F1 and the five weakest intents; exit code 1 below the target."""
    macro, per_intent = intent_macro_f1(results_dir)
    print(f"intent macro-F1 (5-fold cross-validation): {macro:.3f}  (target {F1_TARGET:.2f})")
    for name, f1 in sorted(per_intent.items(), key=lambda item: item[1])[:5]:
        print(f"  weakest: {name:32s} {f1:.3f}")
    return 0 if macro >= F1_TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    f1 = commands.add_parser("f1", help="intent macro-F1 from a cross-validation run")
    f1.add_argument("results_dir", type=Path)
    args = parser.parse_args()
    return print_f1(args.results_dir)


if __name__ == "__main__":
    sys.exit(main())
