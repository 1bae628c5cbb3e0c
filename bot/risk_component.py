"""The Rasa NLU component that makes risk detection override the classifier.

It runs LAST in the pipeline (config.yml). When bot.risk finds risk in a message, it sets the
intent to `risk_<category>` with full confidence and puts it first in `intent_ranking`, so
nothing after NLU (the FallbackClassifier ran before it; policies read the ranking) can turn an
emergency into `nlu_fallback` or a topic answer.

The classifier also learns the risk intents, as a second line of defence for phrasings the
detector does not know. On its own it escalates only when it is confident
(`classifier_min_confidence`) and the detector did not recognise the message as an idiom, a
negation, an awareness question or a past event: measured on tests/data/risk_eval.yml, the
classifier alone escalated one benign message in five ("this film is killing me"). A risk
prediction it does not back is replaced by the best other intent, or by `nlu_fallback` (whose
answer offers the menu and 999) when no other intent reaches `fallback_threshold`.

The category is recorded in the parse data (`risk`) for the campaign's aggregate insights; no
text is recorded.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.risk import Assessment, RiskDetector, default_detector

RISK_KEY = "risk"
RISK_PREFIX = "risk_"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RiskOverride(GraphComponent):
    """Overrides the predicted intent with `risk_<category>` when a message shows risk."""

    def __init__(
        self,
        detector: RiskDetector,
        classifier_min_confidence: float = 0.75,
        fallback_threshold: float = 0.4,
    ) -> None:
        self.detector = detector
        self.classifier_min_confidence = classifier_min_confidence
        self.fallback_threshold = fallback_threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`fallback_threshold` should be the FallbackClassifier's (config.yml ties them)."""
        return {"classifier_min_confidence": 0.75, "fallback_threshold": 0.4}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskOverride:
        return cls(
            default_detector(),
            classifier_min_confidence=config["classifier_min_confidence"],
            fallback_threshold=config["fallback_threshold"],
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Checks every message; rewrites intent and ranking of those that show risk."""
        for message in messages:
            text = message.get(TEXT)
            if text:
                self.apply(message, self.detector.assess(text))
        return messages

    def apply(self, message: Message, assessment: Assessment) -> None:
        """Escalates on the detector's match; otherwise keeps or demotes the classifier's."""
        if assessment.match:
            escalate(message, assessment.match.intent, source="patterns")
            return
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY) or ""
        if not name.startswith(RISK_PREFIX):
            return
        confidence = intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
        if confidence >= self.classifier_min_confidence and not assessment.cleared:
            message.set(RISK_KEY, risk_record(name, "classifier"), add_to_output=True)
        else:
            demote(message, self.fallback_threshold)


def escalate(message: Message, intent: str, source: str) -> None:
    """Makes `intent` the message's intent with full confidence, first in the ranking."""
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) not in (intent, DEFAULT_NLU_FALLBACK_INTENT_NAME)
    ]
    top = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
    message.set(RISK_KEY, risk_record(intent, source), add_to_output=True)


def demote(message: Message, fallback_threshold: float) -> None:
    """Replaces a risk prediction with the best other intent, or with `nlu_fallback`."""
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if not entry.get(INTENT_NAME_KEY, "").startswith(RISK_PREFIX)
    ]
    best = ranking[0] if ranking else None
    if best is None or best.get(PREDICTED_CONFIDENCE_KEY, 0.0) < fallback_threshold:
        best = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: fallback_threshold}
        ranking = [best, *ranking]
    message.set(INTENT, best, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def risk_record(intent: str, source: str) -> dict[str, str]:
    """What the insights may keep of an escalation: its category and what found it."""
    return {"category": intent.removeprefix(RISK_PREFIX), "source": source}
