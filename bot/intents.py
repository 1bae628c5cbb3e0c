"""Intent-name conventions shared by the pipeline, the dialogue policy, insights and the tools."""

RISK_PREFIX = "risk_"  # risk_<category>: escalated at once, answered by rules
FALLBACK_INTENT = "nlu_fallback"  # Rasa's DEFAULT_NLU_FALLBACK_INTENT_NAME (tests/test_intents.py)


def risk_intent(category: str) -> str:
    """The intent a risk category escalates as."""
    return RISK_PREFIX + category
