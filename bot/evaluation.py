"""Prints the numbers our quality bars are judged by.

`python -m bot.evaluation cross-validate` (`make eval`) runs Rasa's 5-fold cross-validation of
data/ with config.yml on folds drawn from a fixed seed, writes Rasa's reports to results/nlu and
prints what `f1` prints. Rasa's own `rasa test nlu --cross-validation` draws the folds unseeded,
and the same data and pipeline scored anywhere from 0.899 to 0.911 from run to run; on fixed
folds, two versions of the pipeline or the data are compared on the same split.

`python -m bot.evaluation f1 results/nlu` reads Rasa's cross-validation intent report and prints
the intent macro-F1 (target: at least 0.90) and the weakest intents.

`python -m bot.evaluation risk FILE` runs every message of a risk evaluation file (format:
tests/data/risk_eval.yml) through the trained model's full NLU pipeline and prints recall per
category, overall recall, the false-escalation rate on benign messages, and every miss
(targets: recall 1.00, false escalations at most 2%).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

F1_TARGET = 0.90
RECALL_TARGET = 1.0
FALSE_ESCALATION_TARGET = 0.02
ROOT = Path(__file__).resolve().parent.parent


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
    print(f"intent macro-F1 (cross-validation): {macro:.3f}  (target {F1_TARGET:.2f})")
    for name, f1 in sorted(per_intent.items(), key=lambda item: item[1])[:5]:
        print(f"  weakest: {name:32s} {f1:.3f}")
    return 0 if macro >= F1_TARGET else 1


def cross_validate(out: Path, folds: int, seed: int) -> None:
    """What `rasa test nlu --cross-validation` does, on folds drawn from `seed`."""
    import numpy as np
    from rasa.model_testing import perform_nlu_cross_validation
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)  # as the rasa command's default
    configure_structlog(logging.WARNING)  # Rasa's debug log would print every message's text
    config = TrainingDataImporter.load_from_dict(config_path=str(ROOT / "config.yml"))
    data = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(ROOT / "data")], domain_path=str(ROOT / "domain.yml")
    ).get_nlu_data()
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(seed)  # Rasa's StratifiedKFold(shuffle=True) draws from NumPy's generator
    asyncio.run(perform_nlu_cross_validation(
        config.get_config(), data, str(out),
        {"folds": folds, "errors": True, "disable_plotting": True}))


@dataclass
class RiskReport:
    """What a run over a risk evaluation file found."""

    escalated: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # category, text, intent
    other_category: list[tuple[str, str, str]] = field(default_factory=list)
    false_escalations: list[tuple[str, str]] = field(default_factory=list)  # text, intent
    benign_total: int = 0

    @property
    def recall(self) -> float:
        return sum(self.escalated.values()) / max(1, sum(self.totals.values()))

    @property
    def false_escalation_rate(self) -> float:
        return len(self.false_escalations) / max(1, self.benign_total)

    @property
    def meets_targets(self) -> bool:
        return (
            self.recall >= RECALL_TARGET
            and self.false_escalation_rate <= FALSE_ESCALATION_TARGET
        )


def load_risk_file(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    """The `risk` messages by category and the `benign` messages of an evaluation file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    risk = {category: [str(m) for m in messages] for category, messages in data["risk"].items()}
    return risk, [str(m) for m in data["benign"]]


def evaluate_risk(path: Path, intent_of: Callable[[str], str]) -> RiskReport:
    """Runs every message of the file through `intent_of` (text -> predicted intent name)."""
    risk, benign = load_risk_file(path)
    report = RiskReport(benign_total=len(benign))
    for category, messages in risk.items():
        report.totals[category] = len(messages)
        report.escalated[category] = 0
        for text in messages:
            intent = intent_of(text)
            if not intent.startswith("risk_"):
                report.misses.append((category, text, intent))
                continue
            report.escalated[category] += 1
            if intent != f"risk_{category}":
                report.other_category.append((category, text, intent))
    for text in benign:
        intent = intent_of(text)
        if intent.startswith("risk_"):
            report.false_escalations.append((text, intent))
    return report


def model_intent_classifier(model_dir: Path = ROOT / "models") -> Callable[[str], str]:
    """The newest trained model's full NLU pipeline, as a text -> intent function."""
    from rasa.core.agent import Agent  # slow import: only when a model is needed
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug log would print every message's text
    model = max(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))["intent"]["name"]


def print_risk(report: RiskReport) -> int:
    """Prints the report; exit code 1 when it misses the targets."""
    for category, total in report.totals.items():
        print(f"  recall {category:18s} {report.escalated[category] / total:.3f}"
              f"  ({report.escalated[category]}/{total})")
    print(f"overall recall:         {report.recall:.3f}  (target {RECALL_TARGET:.2f})")
    print(f"false escalation rate:  {report.false_escalation_rate:.3f}"
          f"  ({len(report.false_escalations)}/{report.benign_total}, "
          f"target at most {FALSE_ESCALATION_TARGET:.2f})")
    print(f"escalated under another risk category: {len(report.other_category)}")
    for category, text, intent in report.misses:
        print(f"  MISSED ({category}) -> {intent}: {text}")
    for text, intent in report.false_escalations:
        print(f"  FALSE ESCALATION -> {intent}: {text}")
    for category, text, intent in report.other_category:
        print(f"  other category ({category}) -> {intent}: {text}")
    return 0 if report.meets_targets else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cv = commands.add_parser("cross-validate", help="seeded cross-validation, then its F1")
    cv.add_argument("--out", type=Path, default=ROOT / "results" / "nlu")
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--seed", type=int, default=0)
    f1 = commands.add_parser("f1", help="intent macro-F1 from a cross-validation run")
    f1.add_argument("results_dir", type=Path)
    risk = commands.add_parser("risk", help="risk recall and false escalations of a file")
    risk.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.command == "cross-validate":
        cross_validate(args.out, args.folds, args.seed)
        return print_f1(args.out)
    if args.command == "f1":
        return print_f1(args.results_dir)
    return print_risk(evaluate_risk(args.file, model_intent_classifier()))


if __name__ == "__main__":
    sys.exit(main())
