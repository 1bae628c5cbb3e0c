"""The intent-name conventions in bot/intents.py match Rasa's and the domain's."""

from __future__ import annotations

import yaml
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from bot.intents import FALLBACK_INTENT, RISK_PREFIX, risk_intent
from bot.risk.detector import PRIORITY
from tests.support import ROOT


def test_our_fallback_intent_is_the_one_rasas_fallback_classifier_sets() -> None:
    assert FALLBACK_INTENT == DEFAULT_NLU_FALLBACK_INTENT_NAME


def test_every_risk_category_escalates_as_an_intent_of_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    risk_intents = {name for name in domain["intents"] if name.startswith(RISK_PREFIX)}
    assert {risk_intent(category) for category in PRIORITY} == risk_intents
