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

`python -m bot.evaluation conversations FILE` (`make eval-conversations`) runs every case of a
conversation set (format: tests/heldout/conversations.yml) through the trained model, in process,
with the real action server, each case on a fresh sender, and prints the share of cases answered
with the right content, the share that hit the fallback, and every miss (targets: at least 95%
right content, at most 3% fallback).
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
RIGHT_CONTENT_TARGET = 0.95
FALLBACK_TARGET = 0.03
# What the fallback (utter_default) says; a reply containing it hit the fallback.
FALLBACK_MARKER = "didn't understand"
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


@dataclass
class TurnResult:
    """One message of a case: what was said, what came back, and how it was judged."""

    say: str
    reply: str
    intent: str
    fallback: bool
    problems: list[str]


@dataclass
class ConversationReport:
    """What a run over a conversation set found, case by case."""

    results: dict[str, list[TurnResult]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.results)

    def passed(self, case_id: str) -> bool:
        return not any(turn.problems for turn in self.results[case_id])

    def hit_fallback(self, case_id: str) -> bool:
        return any(turn.fallback for turn in self.results[case_id])

    @property
    def right_content_rate(self) -> float:
        return sum(self.passed(c) for c in self.results) / max(1, self.total)

    @property
    def fallback_rate(self) -> float:
        return sum(self.hit_fallback(c) for c in self.results) / max(1, self.total)

    @property
    def turn_fallback_rate(self) -> float:
        turns = [t for case in self.results.values() for t in case]
        return sum(t.fallback for t in turns) / max(1, len(turns))

    @property
    def meets_targets(self) -> bool:
        return (self.right_content_rate >= RIGHT_CONTENT_TARGET
                and self.fallback_rate <= FALLBACK_TARGET)


def judge_turn(turn: dict, reply: str) -> list[str]:
    """What is wrong with `reply` for this turn's expectations (empty: right content).

    Comparisons are case-insensitive on all of a turn's reply texts joined: `any` needs at
    least one string, `all` every string, and `not` none of them.
    """
    text = reply.lower()
    problems = []
    wanted = [str(s) for s in turn.get("any") or []]
    if wanted and not any(s.lower() in text for s in wanted):
        problems.append(f"none of {wanted}")
    problems += [f"missing {s!r}" for s in turn.get("all") or [] if str(s).lower() not in text]
    problems += [f"has {s!r}" for s in turn.get("not") or [] if str(s).lower() in text]
    return problems


def load_conversations(path: Path) -> list[dict]:
    """The cases of a conversation set: [{id, turns: [{say, any?, all?, not?}]}]."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


ReplyFunction = Callable[[str, str], tuple[str, str]]  # (sender, text) -> (reply, intent)


def evaluate_conversations(cases: list[dict], respond: ReplyFunction) -> ConversationReport:
    """Runs every case on a fresh sender through `respond` and judges each turn."""
    import uuid

    report = ConversationReport()
    for case in cases:
        sender = f"eval-{uuid.uuid4().hex}"
        turns = []
        for turn in case["turns"]:
            reply, intent = respond(sender, str(turn["say"]))
            fallback = intent == "nlu_fallback" or FALLBACK_MARKER in reply.lower()
            turns.append(TurnResult(turn["say"], reply, intent, fallback, judge_turn(turn, reply)))
        report.results[str(case["id"])] = turns
    return report


def model_responder(action_url: str, model_dir: Path = ROOT / "models") -> ReplyFunction:
    """The newest trained model as a Rasa Agent in this process, answering as the REST channel.

    Actions go to the action server at `action_url`; there is no channel and no event broker,
    so nothing is counted in the insights.
    """
    from rasa.core.agent import Agent  # slow import: only when a model is needed
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug log would print every message's text
    model = max(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(action_url))
    loop = asyncio.new_event_loop()

    async def respond(sender: str, text: str) -> tuple[str, str]:
        replies = await agent.handle_text(text, sender_id=sender) or []
        tracker = await agent.tracker_store.retrieve(sender)
        intent = (tracker.latest_message.intent or {}).get("name", "") if tracker else ""
        return "\n".join(r.get("text") or "" for r in replies), intent or ""

    return lambda sender, text: loop.run_until_complete(respond(sender, text))


def run_conversations(path: Path) -> ConversationReport:
    """Starts the action server on a free port, runs the set, stops the server."""
    import socket
    import subprocess

    from bot import launcher

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(launcher.action_server_command(port), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        launcher.wait_until_up(f"http://127.0.0.1:{port}/health", process)
        respond = model_responder(f"http://127.0.0.1:{port}/webhook")
        return evaluate_conversations(load_conversations(path), respond)
    finally:
        launcher.stop([process])


def print_conversations(report: ConversationReport) -> int:
    """Prints every miss, then the two shares; exit code 1 when it misses the targets."""
    for case_id, turns in report.results.items():
        if report.passed(case_id) and not report.hit_fallback(case_id):
            continue
        label = "MISS" if not report.passed(case_id) else "fallback (content right)"
        print(f"{label}: {case_id}")
        for turn in turns:
            mark = "  x" if turn.problems else "   "
            flag = " [FALLBACK]" if turn.fallback else ""
            print(f"{mark} > {turn.say}")
            print(f"      intent {turn.intent}{flag}; reply: "
                  f"{turn.reply[:160].replace(chr(10), ' ')}")
            for problem in turn.problems:
                print(f"      - {problem}")
    right = sum(report.passed(c) for c in report.results)
    fell = sum(report.hit_fallback(c) for c in report.results)
    print(f"right content: {report.right_content_rate:.1%}  ({right}/{report.total} cases, "
          f"target at least {RIGHT_CONTENT_TARGET:.0%})")
    print(f"hit the fallback: {report.fallback_rate:.1%}  ({fell}/{report.total} cases; "
          f"{report.turn_fallback_rate:.1%} of messages; target at most {FALLBACK_TARGET:.0%})")
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
    conversations = commands.add_parser(
        "conversations", help="right content and fallback shares of a conversation set")
    conversations.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.command == "cross-validate":
        cross_validate(args.out, args.folds, args.seed)
        return print_f1(args.out)
    if args.command == "f1":
        return print_f1(args.results_dir)
    if args.command == "conversations":
        return print_conversations(run_conversations(args.file))
    return print_risk(evaluate_risk(args.file, model_intent_classifier()))


if __name__ == "__main__":
    sys.exit(main())
