"""The training data meets the bars that keep the assistant's understanding good."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from bot.nlg.language_nlg import variant_language
from bot.nlu.language_understanding import intent_examples
from bot.risk.model import load_corpus
from tests.support import ROOT
from tools.evaluation import load_conversations, load_risk_file

MIN_EXAMPLES = 20
SHORT = 3  # words: "thanks", "dzień dobry", "what's your name" are written alike by anyone


@pytest.fixture(scope="module")
def importer() -> TrainingDataImporter:
    return TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )


def test_every_intent_has_enough_varied_examples(importer: TrainingDataImporter) -> None:
    counts = Counter(m.get("intent") for m in importer.get_nlu_data().intent_examples)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    domain_intents = set(domain["intents"])
    short = {intent: counts[intent] for intent in domain_intents if counts[intent] < MIN_EXAMPLES}
    assert not short, f"intents with fewer than {MIN_EXAMPLES} examples: {short}"


def test_no_example_is_listed_under_two_intents(importer: TrainingDataImporter) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for message in importer.get_nlu_data().intent_examples:
        text = message.get("text").lower().strip()
        if seen.setdefault(text, message.get("intent")) != message.get("intent"):
            clashes.append((text, seen[text], message.get("intent")))
    assert not clashes


def test_rasa_validator_finds_only_its_known_false_positives(
    importer: TrainingDataImporter, recwarn: pytest.WarningsRecorder
) -> None:
    """`rasa data validate` in Rasa 3.6 does not know that forms ask with utter_ask_<slot> and
    that actions (and our risk policy) dispatch responses; those are the only warnings we
    accept."""
    validator = Validator.from_importer(importer)
    assert validator.verify_domain_validity()
    assert validator.verify_intents(ignore_warnings=False)
    assert validator.verify_intents_in_stories(ignore_warnings=False)
    assert validator.verify_example_repetition_in_intents(ignore_warnings=False)
    assert validator.verify_story_structure(ignore_warnings=False)
    assert validator.verify_forms_in_stories_rules()
    assert validator.verify_actions_in_stories_rules()
    assert validator.verify_form_slots()
    assert validator.verify_slot_mappings()
    validator.verify_utterances_in_stories(ignore_warnings=True)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    form_slots = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    actions_source = "".join(path.read_text(encoding="utf-8") for path in
                             [ROOT / "actions" / "actions.py", *(ROOT / "bot").rglob("*.py"),
                              *(ROOT / "channels").rglob("*.py")])
    allowed = {f"utter_ask_{slot}" for slot in form_slots} | {
        name for name in domain["responses"] if f'"{name}"' in actions_source
    }
    unused = {
        str(w.message).split("'")[1]
        for w in recwarn.list
        if "is not used in any story" in str(w.message)
    }
    assert unused <= allowed, f"responses used nowhere: {sorted(unused - allowed)}"


def test_no_two_conditional_variants_of_a_response_can_match_at_once() -> None:
    """Rasa picks at random among the variants whose conditions all hold, so two variants of one
    response (on the same channel) must differ in the value they need for some slot.

    bot/nlg/language_nlg.py chooses among one language's variants only, and in another language
    than English the one with the most conditions: those are the overlaps it resolves."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    overlaps = []
    for name, variants in domain["responses"].items():
        conditional = [v for v in variants if v.get("condition")]
        for i, first in enumerate(conditional):
            for second in conditional[i + 1:]:
                if first.get("channel") != second.get("channel"):
                    continue
                if variant_language(first) != variant_language(second):
                    continue
                if variant_language(first) != "en" and \
                        len(first["condition"]) != len(second["condition"]):
                    continue
                needs = {c["name"]: c["value"] for c in first["condition"]}
                if not any(c["name"] in needs and needs[c["name"]] != c["value"]
                           for c in second["condition"]):
                    overlaps.append(name)
    assert not overlaps, f"responses whose variants can both match: {overlaps}"


def normalised(text: str) -> str:
    return " ".join(str(text).lower().split())


def messages_of(path: Path) -> set[str]:
    """Every message of a held-out or development file: risk and benign, intent questions, or
    each turn said."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "risk" in data:
        risk, benign = load_risk_file(path)
        return {normalised(m) for m in [*benign, *(m for ms in risk.values() for m in ms)]}
    if "intents" in data:
        return {normalised(m) for ms in data["intents"].values() for m in ms}
    return {normalised(turn["say"]) for case in load_conversations(path) for turn in case["turns"]}


def test_no_held_out_or_development_message_is_trained_on(
        importer: TrainingDataImporter) -> None:
    """The held-out figures only mean something if no model saw those messages, and the
    thresholds chosen on the development set only if it is not training data either.

    Only short chit-chat ("thanks", "hi there") may be written alike on both sides.
    """
    corpus = {normalised(text) for folder in ("risk_corpus", "risk_corpus_languages")
              for text, _ in load_corpus(ROOT / "content" / folder)}
    examples = {normalised(m.get("text")) for m in importer.get_nlu_data().intent_examples}
    examples |= {normalised(text) for _, text in
                 intent_examples(ROOT / "content" / "nlu_languages")}
    trained = {text for text in corpus | examples if len(text.split()) > SHORT}
    files = [*sorted((ROOT / "tests" / "heldout").glob("*.yml")),
             *sorted((ROOT / "tests" / "data").glob("*_dev.yml")),
             *sorted((ROOT / "tests" / "data").glob("*_dev_*.yml")),
             *sorted((ROOT / "tests" / "data" / "languages_dev").glob("*.yml"))]
    assert len(files) > 25  # risk and conversation sets, one of each kind per language
    for path in files:
        shared = messages_of(path) & trained
        assert not shared, f"{path.name}: {sorted(shared)[:5]}"
