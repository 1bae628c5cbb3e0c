"""The deterministic risk detector, on the way people really type."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.risk_override import RiskOverride
from bot.risk.detector import RiskDetector, default_detector
from bot.risk.model import RiskScore
from tests.support import ROOT
from tools.evaluation import load_risk_file


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return default_detector()


def category(detector: RiskDetector, text: str) -> str | None:
    match = detector.detect(text)
    return match.category if match else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hes gonna k1ll me", "danger_now"),  # text-speak and digits for letters
        ("helppp he is hitting me", "danger_now"),  # repeated letters
        ("HE'S OUTSIDE MY HOUSE", "danger_now"),  # capitals
        ("my da is hitting me", "danger_now"),  # "da" is dad
        ("he\u2019s going to kill me", "danger_now"),  # curly apostrophe
        ("he\u200bs going to kill me", "danger_now"),  # zero-width character
        ("my bf is strangeling me", "danger_now"),  # misspelling (fuzzy)
        ("he strangeld me last week", "high_indicator"),
        ("im gonna hurt her", "danger_from_me"),
        ("i want to kil myself", "self_harm"),
        ("sucidal", "self_harm"),
        ("he hits my son", "child"),
        ("i think my drink was spiked", "sexual_violence"),
        ("he threatened to kill me", "high_indicator"),
        ("my ex is stalking me", "high_indicator"),
    ],
)
def test_risk_is_found_however_it_is_typed(detector: RiskDetector, text: str, expected: str):
    assert category(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "this film is killing me",
        "I killed it at work",
        "dying to know",
        "my phone died",
        "he hit me years ago, can I still report it",
        "I'm not in danger, I just want information",
        "what is the law on strangulation",
        "is spiking a crime",
        "i would never hurt my partner",
        "I'm trapped in a phone contract till March",
        "is breaking bail conditions a crime",
        "we're training bar staff on spiking",
        "he used to lock me in back in the 1980s",
    ],
)
def test_idioms_past_events_negation_and_questions_do_not_escalate(
    detector: RiskDetector, text: str
):
    assert category(detector, text) is None


def test_a_past_event_does_not_hide_danger_now_in_the_same_message(detector: RiskDetector):
    assert category(detector, "he used to hit me but now he's trying to kill me") == "danger_now"


@pytest.mark.parametrize(
    "text",
    [
        "we're back in contact and I'm scared I'll hit her again",  # not "back in the day"
        "if I go back in the room I don't know what I'll do",
        "he raped me two weeks ago",  # weeks ago is recent, not over
    ],
)
def test_back_in_and_weeks_ago_do_not_put_a_message_in_the_past(
    detector: RiskDetector, text: str
):
    assert not detector.assess(text).cleared


def test_a_past_strangling_is_still_a_high_risk_sign(detector: RiskDetector):
    assert category(detector, "he strangled me years ago and he's back") == "high_indicator"


def test_the_most_urgent_category_answers(detector: RiskDetector):
    assert category(detector, "he is strangling me") == "danger_now"
    assert category(detector, "he's hitting my daughter right now") == "child"


def test_component_overrides_intent_and_ranking_so_fallback_cannot_swallow_it():
    fallback = {"name": "nlu_fallback", "confidence": 0.4}
    guess = {"name": "ask_stalking", "confidence": 0.3}
    message = Message(data={TEXT: "hes outside my door", INTENT: fallback,
                            INTENT_RANKING_KEY: [fallback, guess]})
    run_component(message)
    assert message.get(INTENT) == {"name": "risk_danger_now", "confidence": 1.0}
    assert [e["name"] for e in message.get(INTENT_RANKING_KEY)] == ["risk_danger_now",
                                                                    "ask_stalking"]
    assert message.get("risk") == {"category": "danger_now", "source": "patterns", "tier": "high"}


def classified(text: str, *ranking: tuple[str, float]) -> Message:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={TEXT: text, INTENT: entries[0], INTENT_RANKING_KEY: entries})


def run_component(message: Message) -> Message:
    """The component with the detector and no trained model: the classifier rules alone."""
    RiskOverride(RiskOverride.get_default_config(), None, None, default_detector()).process(
        [message])
    return message


def test_a_confident_classifier_risk_stands_when_the_detector_has_no_objection():
    message = run_component(classified("everything feels pointless", ("risk_self_harm", 0.9)))
    assert message.get(INTENT)["name"] == "risk_self_harm"
    assert message.get("risk") == {"category": "self_harm", "source": "classifier", "tier": "high"}


def test_a_classifier_risk_on_an_idiom_is_replaced_by_the_next_intent():
    message = run_component(classified(
        "this film is killing me", ("risk_self_harm", 0.95), ("out_of_scope", 0.5)))
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get("risk") is None


def test_an_unsure_classifier_risk_becomes_not_understood():
    message = run_component(classified(
        "i can't sleep", ("risk_self_harm", 0.49), ("greet", 0.1)))
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert all(not e["name"].startswith("risk_") for e in message.get(INTENT_RANKING_KEY))


def test_component_leaves_ordinary_messages_alone():
    message = run_component(classified("what is consent", ("ask_consent", 0.93)))
    assert message.get(INTENT) == {"name": "ask_consent", "confidence": 0.93}
    assert message.get("risk") is None


def risk_messages() -> list[tuple[str, str]]:
    """Every risk message we hold: the classifier's training examples and the eval file."""
    messages = []
    for block in yaml.safe_load((ROOT / "data" / "nlu_risk.yml").read_text())["nlu"]:
        category = block["intent"].removeprefix("risk_")
        messages += [(category, line.strip()[2:]) for line in block["examples"].splitlines()
                     if line.strip()]
    risk, _ = load_risk_file(ROOT / "tests" / "data" / "risk_eval.yml")
    return messages + [(category, text) for category, texts in risk.items() for text in texts]


def test_the_detector_alone_catches_every_risk_message_we_hold(detector: RiskDetector):
    """Escalation must not depend on the classifier: every known phrasing is in the patterns."""
    missed = [(category, text) for category, text in risk_messages()
              if detector.detect(text) is None]
    assert not missed


@pytest.mark.parametrize(
    "text",
    [
        "if my sister eats my leftover curry again i'll murder her 😂",
        "my mum is literally going to kill me when she sees my report lol",
        "that exam was so bad i want to die 🤣",
    ],
)
def test_a_message_that_marks_itself_as_a_joke_does_not_escalate_on_words_alone(
    detector: RiskDetector, text: str
):
    assessment = detector.assess(text)
    assert assessment.match is None
    assert assessment.cleared  # so the semantic model needs its higher bar to escalate it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he's going to kill me 😭", "danger_now"),  # crying is not joking
        ("he strangled me last night lol", "high_indicator"),  # nervous laughter: still high
        ("my stepdad hits my little brother haha", "child"),
    ],
)
def test_laughter_never_hides_strangling_a_child_or_a_crying_message(
    detector: RiskDetector, text: str, expected: str
):
    assert category(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "gated"),
    [
        ("my mum will kill me if i'm late", True),
        ("i'll kill him if he wins again", True),
        ("he threatened to kill me", False),
        ("he strangled me last night", False),
        ("they are going to kill us", False),  # danger now: the model missed it, never gated
        ("i want to kill myself", False),
        ("he's threatening to share my pics unless i send more", True),  # or a law question
        ("she said she'll post the video if i leave", True),
    ],
)
def test_hyperbole_prone_phrases_are_marked_for_the_model(
    detector: RiskDetector, text: str, gated: bool
):
    assessment = detector.assess(text)
    assert assessment.match is not None
    assert assessment.gated is gated


def test_a_phrase_that_escalates_alone_outranks_a_gated_one(detector: RiskDetector):
    match = detector.detect("i'll kill him, he strangled me last week")
    assert match is not None
    assert (match.category, match.gated) == ("high_indicator", False)


def test_a_gated_phrase_must_be_one_of_its_categorys_phrases(tmp_path):
    data = yaml.safe_load((ROOT / "content" / "risk_patterns.yml").read_text(encoding="utf-8"))
    data["model_gated"] = {"danger_now": ["not a phrase of the category"]}
    path = tmp_path / "patterns.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="model_gated"):
        RiskDetector(path)


def gated_tier(detector: RiskDetector, text: str, probability: float,
               head: object | None = object()) -> tuple[str | None, str, str]:
    """The tier of a message whose only match is gated, the model scoring `probability`."""
    component = RiskOverride(RiskOverride.get_default_config(), None, None, detector, head)
    assessment = detector.assess(text)
    assert assessment.gated
    return component.tier(assessment, RiskScore("none", probability), "nlu_fallback", 0.4)


def test_a_gated_phrase_escalates_when_the_model_sees_risk_and_checks_in_when_not(
    detector: RiskDetector,
):
    bar = RiskOverride.get_default_config()["gated_escalate_threshold"]
    text = "my sister will kill me if I break her straighteners"
    assert gated_tier(detector, text, bar) == ("high", "high_indicator", "patterns")
    assert gated_tier(detector, text, bar / 2) == ("uncertain", "high_indicator", "patterns")


def test_a_gated_phrase_in_a_joke_needs_the_escalate_bar(detector: RiskDetector):
    """Laughing makes hyperbole likelier: the model must see as much risk as with no phrase."""
    config = RiskOverride.get_default_config()
    text = "my sister will kill me if I break her straighteners 😂"
    assert gated_tier(detector, text, config["gated_escalate_threshold"])[0] == "uncertain"
    assert gated_tier(detector, text, config["escalate_threshold"])[0] == "high"


def test_a_gated_phrase_escalates_without_a_model(detector: RiskDetector):
    """The detector stays a floor: with no trained head, every phrase escalates."""
    assert gated_tier(detector, "he says he will kill me", 0.0, head=None)[0] == "high"


class WholeThenSentences:
    """A head like RiskHead: the whole message scores 0.6, its riskiest sentence 0.99, and the
    sentences are only read when the whole message is under `enough`."""

    def score(self, texts, encode, first_vector=None, enough=1.0) -> RiskScore:
        if len(texts) == 1 or enough <= 0.6:
            return RiskScore("self_harm", 0.6)
        return RiskScore("self_harm", 0.99, 1)


def test_a_cleared_message_is_read_sentence_by_sentence_up_to_the_cleared_bar(monkeypatch):
    """A guard (past event, question) raises the bar to `cleared_escalate_threshold`: a whole
    message over the ordinary bar must not stop the sentences being read, or risk in one
    sentence of a long story gets only the check-in."""
    monkeypatch.setattr("bot.nlu.risk_override.shared_encoder",
                        lambda: type("Encoder", (), {"encode": staticmethod(lambda t: None)}))
    config = {**RiskOverride.get_default_config(), "escalate_threshold": 0.36}
    component = RiskOverride(config, None, None, default_detector(), WholeThenSentences())
    text = ("Left my husband last spring and I'm at my sister's now. Some nights I think about "
            "taking every tablet in the house. Do you know if the helpline does housing advice?")
    assert component.score(text, cleared=True).probability == 0.99
    assert component.score(text).probability == 0.6
