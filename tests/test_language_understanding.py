"""The intent side of bot/nlu/language_understanding.py (issue 18), without a trained model.

The encoder is replaced by zeros (its head then says nothing) and the detector by a fixed answer,
so what is checked is how the component combines them: the language's n-gram head, and a second
chance in the detector's likeliest language for a message the English classifier cannot place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import language
from bot.encoder import multilingual
from bot.nlu import language_understanding
from bot.nlu.language_understanding import (
    LanguageUnderstanding,
    examples_by_language,
    load_lexical_heads,
    processed_language,
)
from bot.nlu.lexical_head import LexicalHead
from bot.risk.model import CATEGORIES, NONE

# Made-up Romanian questions on intents the encoder head cannot tell apart
ROMANIAN = {
    "greet": ["buna ziua", "salut", "buna seara, am o intrebare", "alo e cineva"],
    "ask_immigration": ["am viza de sotie, daca plec ma trimit acasa", "pierd dreptul de sedere",
                        "viza mea depinde de el", "ce se intampla cu viza daca divortez"],
    "ask_clares_law": ["pot afla daca a mai batut pe cineva", "legea lui clare cum aplic",
                       "vreau sa verific trecutul partenerului", "clare law pentru noul iubit"],
}
LABELS = ("ask_clares_law", "ask_immigration", "greet")


def romanian_head() -> LexicalHead:
    texts = [text for examples in ROMANIAN.values() for text in examples]
    labels = [intent for intent, examples in ROMANIAN.items() for _ in examples]
    return LexicalHead.fit(texts, labels, c=100.0)


def component(lexical_risk: dict[str, LexicalHead] | None = None) -> LanguageUnderstanding:
    """Encoder heads that say nothing (uniform intents, no risk), and the Romanian n-gram head."""
    dimensions = multilingual.DIMENSIONS
    intents = multilingual.EmbeddingHead(LABELS, np.zeros((dimensions, len(LABELS))),
                                         np.zeros(len(LABELS)))
    risk_labels = (NONE, *CATEGORIES)
    risk = multilingual.EmbeddingHead(
        risk_labels, np.zeros((dimensions, len(risk_labels))),
        np.array([10.0] + [0.0] * len(CATEGORIES)))
    return LanguageUnderstanding(LanguageUnderstanding.get_default_config(), None, None,
                                 intents, risk, {"ro": romanian_head()}, lexical_risk)


@pytest.fixture(autouse=True)
def no_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multilingual, "encode",
                        lambda texts: np.zeros((len(texts), multilingual.DIMENSIONS)))


def detected_as(monkeypatch: pytest.MonkeyPatch, code: str, confidence: float) -> None:
    monkeypatch.setattr(language_understanding.language, "detect_message",
                        lambda text: language.Detection(code, confidence,
                                                        clear=confidence >= 0.6))


def message(text: str, english: str = "nlu_fallback", confidence: float = 0.1) -> Message:
    return Message(data={TEXT: text, INTENT: {"name": english, "confidence": confidence}})


def test_the_ngram_head_reads_a_question_typed_without_accents() -> None:
    head = romanian_head()
    probabilities = head.probabilities(["daca divortez îmi pierd viza?"])[0]
    assert head.labels[int(np.argmax(probabilities))] == "ask_immigration"
    assert probabilities.sum() == pytest.approx(1.0)


def test_the_ngram_head_survives_saving_and_loading(tmp_path: Path) -> None:
    head = romanian_head()
    head.save(tmp_path, language_understanding.LEXICAL_HEAD + "ro")
    loaded = load_lexical_heads(tmp_path)
    assert list(loaded) == ["ro"]
    text = ["cum aplic pentru clare law"]
    assert loaded["ro"].labels == head.labels
    assert np.allclose(loaded["ro"].probabilities(text), head.probabilities(text))


def test_the_ngram_head_scores_a_message_as_its_vectorizer_would() -> None:
    head = romanian_head()
    texts = ["Bună ziua, viza mea depinde de el!!", "nimic cunoscut: xyzzy", ""]
    features = head.vectorizer.transform(texts)
    logits = np.asarray(features @ head.weights) + head.bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(head.probabilities(texts), expected, atol=1e-5)


def test_the_intent_of_a_romanian_question_comes_from_its_ngrams_when_the_encoder_is_unsure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.95)
    parsed = message("vreau sa verific daca noul iubit a mai batut pe cineva")
    component().process([parsed])
    assert processed_language(parsed) == "ro"
    assert parsed.get(INTENT)["name"] == "ask_clares_law"
    assert parsed.get(INTENT)["confidence"] > 1 / 3  # surer than the encoder head alone


def test_the_mix_of_the_two_heads_is_sharpened_back_to_a_calibrated_confidence(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.95)
    understanding = component()
    text = "vreau sa verific daca noul iubit a mai batut pe cineva"
    confidences = []
    for sharpness in (1.0, 1.5):
        understanding.config["mix_sharpness"] = sharpness
        parsed = message(text)
        understanding.process([parsed])
        ranking = parsed.get("intent_ranking")
        assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
        confidences.append(parsed.get(INTENT)["confidence"])
    assert confidences[1] > confidences[0]


def test_a_language_without_an_ngram_head_keeps_the_encoders_intent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "lt", 0.95)
    parsed = message("ar galiu patikrinti naujo draugo praeiti")
    component().process([parsed])
    assert parsed.get(INTENT)["confidence"] == pytest.approx(1 / 3)


def test_an_unclear_message_the_english_classifier_cannot_place_is_tried_in_that_language(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.3)
    understanding = component()
    understanding.config["remember_from"] = 0.3
    parsed = message("viza de sotie")
    understanding.process([parsed])
    assert parsed.get(INTENT)["name"] == "ask_immigration"
    # its risk stays with RiskOverride's English path, and the conversation takes its language
    assert processed_language(parsed) == language.ENGLISH
    assert [entity["value"] for entity in parsed.get(ENTITIES)] == ["ro"]


def test_english_the_classifier_knows_is_left_alone_whatever_the_detector_guesses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.3)
    parsed = message("viza de sotie", english="ask_immigration_en", confidence=0.5)
    component().process([parsed])
    assert parsed.get(INTENT) == {"name": "ask_immigration_en", "confidence": 0.5}
    assert not parsed.get(ENTITIES)


def test_a_sentence_the_detector_is_fairly_sure_of_stays_in_its_language(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # "ce e aia coercive control? ...": English words make the English classifier sure
    detected_as(monkeypatch, "ro", 0.77)
    parsed = message("ce e aia coercive control? am auzit la radio", "ask_coercive_control", 0.86)
    component().process([parsed])
    assert processed_language(parsed) == "ro"


def test_questions_are_grouped_by_the_language_their_file_names() -> None:
    pairs = examples_by_language(Path(language_understanding.ROOT) / "content" / "nlu_languages")
    assert {"pl", "ro", "lt", "pt", "tr"} <= set(pairs)
    assert all(intent and text for examples in pairs.values() for intent, text in examples)


def test_an_english_phrase_that_escalates_alone_still_does_inside_another_language(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.95)
    parsed = message("sotul meu strangled me aseara")
    component().process([parsed])
    assert parsed.get(INTENT)["name"] == "risk_high_indicator"
    assert parsed.get("risk")["source"] == "patterns"


def test_an_escalation_survives_the_fallback_classifier_however_sure_the_intent_heads_are(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the n-gram head is sure of "greet" (its own words); the phrase still escalates, and the
    # ranking holds the escalation alone, so the fallback's ambiguity check cannot undo it
    detected_as(monkeypatch, "ro", 0.95)
    parsed = message("buna ziua, m-a violat")
    component().process([parsed])
    fallback = FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.4,
                                   "ambiguity_threshold": 0.05})
    fallback.process([parsed])
    assert parsed.get(INTENT)["name"] == "risk_sexual_violence"
    assert parsed.get(INTENT_RANKING_KEY) == [parsed.get(INTENT)]


def test_an_english_hyperbole_inside_another_language_needs_the_head_to_escalate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # "want to die" is gated in English too: said of an exam or a joke as often as meant
    detected_as(monkeypatch, "ro", 0.95)
    parsed = message("frate-miu, i want to die de rusine")
    component().process([parsed])
    assert not parsed.get(INTENT)["name"].startswith("risk_")
    assert parsed.get("risk") == {"category": "self_harm", "source": "patterns",
                                  "tier": "uncertain"}
    understanding = component()
    understanding.risk.bias[:] = 0.0  # the head now sees risk (1 - P(none) > check-in bar)
    parsed = message("frate-miu, i want to die de rusine")
    understanding.process([parsed])
    assert parsed.get(INTENT)["name"] == "risk_self_harm"


def test_the_languages_ngram_risk_head_is_mixed_into_the_encoders_risk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "ro", 0.95)
    lexical = LexicalHead.fit(["zorba kra", "kra zorba zorba", "plim plam", "buna ziua",
                               "mersi mult"],
                              ["danger_now", "danger_now", "self_harm", NONE, NONE], c=100.0)
    understanding = component(lexical_risk={"ro": lexical})
    understanding.config["risk_lexical_weight"] = 0.0  # the encoder head alone: no risk
    parsed = message("zorba kra zorba")
    understanding.process([parsed])
    assert parsed.get("risk") is None
    understanding.config["risk_lexical_weight"] = 1.0
    understanding.process([parsed])
    assert parsed.get(INTENT)["name"] == "risk_danger_now"
    assert parsed.get("risk")["source"] == "model"


def test_laughter_raises_the_heads_bar_to_escalate_and_leaves_the_check_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "pt", 0.95)
    understanding = component()
    understanding.risk.bias[:] = 0.0  # P(none) 1/7: the head sees risk
    parsed = message("a minha irma comeu o meu bolo, vou dar-lhe uma lição kkkk")
    understanding.process([parsed])
    assert parsed.get("risk")["tier"] == "uncertain"
    parsed = message("a minha irma comeu o meu bolo, vou dar-lhe uma lição")
    understanding.process([parsed])
    assert parsed.get("risk")["tier"] == "high"


def test_a_message_that_names_no_language_is_not_a_request_to_change_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    detected_as(monkeypatch, "en", 0.4)
    parsed = message("ok si eu unde dorm in seara asta?", "change_language", 0.9)
    parsed.set(INTENT_RANKING_KEY, [{"name": "change_language", "confidence": 0.9},
                                    {"name": "ask_refuge", "confidence": 0.05}])
    component().process([parsed])
    assert parsed.get(INTENT) == {"name": "ask_refuge", "confidence": 0.05}
    assert [entry["name"] for entry in parsed.get(INTENT_RANKING_KEY)] == ["ask_refuge"]
    for asked in ("can we talk in polish", "LANG RO"):  # the SMS command too
        parsed = message(asked, "change_language", 0.9)
        component().process([parsed])
        assert parsed.get(INTENT)["name"] == "change_language"
