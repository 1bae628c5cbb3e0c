"""When the assistant is not sure what was asked, its likeliest topics are one tap away."""

from __future__ import annotations

import yaml

from bot.intents import RISK_PREFIX
from bot.nlg.suggestions import load_suggestions, with_suggestions
from tests.support import ROOT
from tools.evaluation import ConversationReply, evaluate_conversations

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RULES = (ROOT / "data" / "rules.yml").read_text(encoding="utf-8")
FALLBACK = next(v for v in DOMAIN["responses"]["utter_default"] if not v.get("condition"))
SUGGESTIONS = load_suggestions()


def ranking(*pairs: tuple[str, float]) -> dict:
    return {"intent_ranking": [{"name": name, "confidence": c} for name, c in pairs]}


def test_the_fallback_offers_its_two_likeliest_topics_before_its_own_buttons() -> None:
    response = with_suggestions(FALLBACK, ranking(
        ("nlu_fallback", 0.6), ("ask_refuge", 0.35), ("greet", 0.2), ("ask_clares_law", 0.15),
        ("ask_pets", 0.12)))
    titles = [button["title"] for button in response["buttons"]]
    assert titles == ["Somewhere safe to stay", "Clare's Law", "Get help", "Show the menu"]
    assert "999" in response["text"]


def test_unlikely_topics_are_not_offered() -> None:
    response = with_suggestions(FALLBACK, ranking(("nlu_fallback", 0.9), ("ask_refuge", 0.05)))
    assert response["buttons"] == FALLBACK["buttons"]


def test_the_fallbacks_own_buttons_are_never_suggested_again() -> None:
    own = {button["payload"].lstrip("/") for button in FALLBACK["buttons"]}
    assert own and not own & set(SUGGESTIONS.titles)


def test_answers_that_do_not_ask_for_suggestions_are_left_alone() -> None:
    answer = DOMAIN["responses"]["utter_ask_clares_law"][-1]
    assert with_suggestions(answer, ranking(("ask_refuge", 0.9))) == answer


def test_only_topics_are_suggested_and_each_is_answered_by_a_rule() -> None:
    """A suggestion is a button the person may tap: its payload must be an intent with an
    answer, never a risk intent (escalation is decided from what the person says)."""
    for intent, title in SUGGESTIONS.titles.items():
        assert intent in DOMAIN["intents"] and not intent.startswith(RISK_PREFIX)
        assert f"intent: {intent}\n" in RULES, f"{intent} has no rule to answer it"
        assert 0 < len(title) <= 40, f"{intent}: a button title must fit a phone screen"


def test_a_fallback_that_suggested_the_right_topic_is_a_miss_one_tap_away() -> None:
    answers = {"where can i go": ConversationReply(
                   "Sorry, I didn't understand that.", "nlu_fallback", ("/ask_refuge",)),
               "/ask_refuge": ConversationReply("Refuges: 0808 2000 247", "ask_refuge")}
    cases = [{"id": "refuge", "turns": [{"say": "where can i go", "any": ["0808 2000 247"]}]}]
    report = evaluate_conversations(cases, lambda sender, text: answers[text])
    assert report.right_content_rate == 0.0 and report.fallback_rate == 1.0
    assert report.one_tap_rate == 1.0
