"""Every risk intent is answered by a rule, with 999 first, and fits one SMS on SMS."""

from __future__ import annotations

import pytest
import yaml

from bot.nlg.language_nlg import variant_language
from bot.risk.detector import PRIORITY
from channels.sms import gsm7
from tests.support import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RULES = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]


@pytest.mark.parametrize("category", PRIORITY)
def test_each_category_has_an_intent_and_a_rule_answering_with_its_response(category: str):
    intent = f"risk_{category}"
    assert intent in DOMAIN["intents"]
    rule = next(r for r in RULES if r["steps"][0] == {"intent": intent})
    assert rule["steps"][1] == {"action": f"utter_{intent}"}
    assert "condition" not in rule  # in any state


@pytest.mark.parametrize("category", PRIORITY)
def test_sms_answer_opens_with_one_text_message_starting_with_999(category: str):
    variants = DOMAIN["responses"][f"utter_risk_{category}"]
    texts = [v["text"] for v in variants if v.get("channel") == "sms"
             and variant_language(v) == "en"]  # translations: tests/test_languages.py
    assert texts
    for sms in texts:  # one per audience that has its own answer
        first = sms.split("\n\n")[0]
        assert first.startswith("999")
        assert gsm7.is_gsm7(sms), "an emoji or curly quote would make every part 70 characters"
        assert gsm7.length(first) <= gsm7.SINGLE_SMS


@pytest.mark.parametrize("category", PRIORITY)
def test_every_channel_answer_mentions_999_in_its_first_two_paragraphs(category: str):
    for variant in DOMAIN["responses"][f"utter_risk_{category}"]:
        assert "999" in "\n\n".join(variant["text"].split("\n\n")[:2])


def test_gsm7_counts_extension_characters_twice_and_rejects_curly_quotes():
    assert gsm7.length("a€") == 3
    assert not gsm7.is_gsm7("he\u2019s")
    assert gsm7.is_gsm7("he's outside")


def test_risk_component_is_last_and_shares_the_fallback_threshold():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    assert pipeline[-1]["name"] == "bot.nlu.risk_override.RiskOverride"
    fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
    assert pipeline[-1]["fallback_threshold"] == fallback["threshold"]
