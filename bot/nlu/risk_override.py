"""The Rasa NLU component that decides, last in the pipeline, whether a message shows risk.

Three signals, so escalation never rests on one model (../shared/design.md, decision 2):
- the deterministic detector (bot/risk/detector.py): a matched risk phrase escalates at once,
  except a phrase people also use as hyperbole ("my mum will kill me"): the model must see some
  risk in the message for it to escalate, else it gets the safety check-in (never nothing);
- the semantic risk model (bot/risk/model.py), trained here on `content/risk_corpus/` plus the
  intent examples (risk intents as their category, every other intent as "none"), scored on
  each sentence of the message;
- the intent classifier's own `risk_*` prediction, when confident and not cleared by the
  detector's guards (idiom, negation, awareness question, past event).

Three tiers come out:
- high: the intent becomes `risk_<category>` with full confidence, first in `intent_ranking`, so
  the FallbackClassifier (which ran before) cannot turn an emergency into `nlu_fallback`; rules
  answer it with a domain response. When the message also asked something else (the classifier
  is sure enough of a topic), that intent is kept as `risk.also`, and
  bot/policies/risk_policy.py answers it after the escalation;
- uncertain: the classifier's intent stands (a risk guess it made is demoted), and `risk.tier`
  says "uncertain": bot/policies/risk_policy.py adds the safety check-in after the answer;
- none: nothing changes, except that a risk intent the classifier guessed is demoted.

The thresholds are chosen on tests/data/risk_dev.yml (docs/risk-model.md). The parse data's
`risk` record (category, source, tier) feeds the campaign's aggregate insights; no text.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
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
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.encoder.minilm import shared_encoder
from bot.intents import RISK_PREFIX
from bot.language import ENGLISH, LANGUAGE_KEY
from bot.nlu.fingerprint import source_fingerprint
from bot.nlu.intent_classifier import embedding
from bot.risk import model as risk_model
from bot.risk.detector import Assessment, RiskDetector, default_detector
from bot.risk.model import NONE, RiskHead, RiskScore, load_corpus, pieces, with_benign_pieces

logger = logging.getLogger(__name__)

RISK_KEY = "risk"
HIGH = "high"
UNCERTAIN = "uncertain"
HEAD_FILE = "risk_head.joblib"
ROOT = Path(__file__).resolve().parents[2]
# Intents whose answer adds nothing after an escalation (greetings, yes/no, the menu, flows).
NOT_WORTH_ADDING = frozenset({
    "greet", "goodbye", "thanks", "affirm", "deny", "unsure", "stop", "help_menu", "get_help",
    "audience_self", "audience_other", "out_of_scope", "bot_challenge", "say_safe",
    DEFAULT_NLU_FALLBACK_INTENT_NAME,
})


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class RiskOverride(GraphComponent):
    """Sets the risk tier of each message and, on high risk, the intent `risk_<category>`."""

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        detector: RiskDetector,
        head: RiskHead | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.detector = detector
        self.head = head

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`fallback_threshold` should be the FallbackClassifier's (config.yml ties them).

        `escalate_threshold` / `check_in_threshold`: the model's risk probability from which a
        message escalates / gets the safety check-in. `cleared_escalate_threshold`: the higher
        bar for a message the detector's guards recognised as an idiom, negation, awareness
        question or past event. `gated_escalate_threshold`: the model's risk probability from
        which a hyperbole-prone phrase (the patterns' `model_gated`) escalates; under it, the
        phrase gets the check-in. `also_min_confidence`: how sure the classifier must be of a
        second question in an escalated message to answer it too.
        """
        return {
            "classifier_min_confidence": 0.75,
            "fallback_threshold": 0.4,
            "corpus": "content/risk_corpus",
            "c": 2.0,
            "none_weight": 0.5,
            "escalate_threshold": 0.8,
            "check_in_threshold": 0.5,
            "cleared_escalate_threshold": 0.97,
            "gated_escalate_threshold": 0.19,
            "also_min_confidence": 0.5,
            "min_category_share": 0.5,
            "from_me_min_share": 0.8,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """The corpus files and the model's source: a change to either retrains the head."""
        digest = hashlib.sha256(source_fingerprint(risk_model).encode())
        for path in risk_model.corpus_files(_corpus_dir(config)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "sklearn"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskOverride:
        return cls(config, model_storage, resource, default_detector())

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: object,
    ) -> RiskOverride:
        """The trained head; loud if it is missing, because the safety net would be weaker."""
        with model_storage.read_from(resource) as directory:
            head = RiskHead.load(Path(directory) / HEAD_FILE)
        shared_encoder()  # loaded now, so the first message does not wait for the weights
        return cls(config, model_storage, resource, default_detector(), head)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the head on the corpus and the intent examples, and saves it."""
        examples = training_examples(self.config, training_data)
        encoder = shared_encoder()
        texts = [text for text, _ in examples]
        self.head = RiskHead.fit(texts, np.stack([encoder.encode(text) for text in texts]),
                                 [label for _, label in examples], c=float(self.config["c"]),
                                 none_weight=float(self.config["none_weight"]))
        with self._model_storage.write_to(self._resource) as directory:
            self.head.save(Path(directory) / HEAD_FILE)
        logger.info("Risk model trained on %d examples.", len(examples))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Checks every message; sets its tier and, on high risk, its intent."""
        for message in messages:
            text = message.get(TEXT)
            if text and not understood_in_another_language(message):
                assessment = self.detector.assess(text)
                # A matched phrase escalates whatever the model says: no need to ask it, unless
                # the phrase is hyperbole-prone (gated).
                score = RiskScore(NONE, 0.0) if assessment.match and not assessment.gated \
                    else self.score(text, message, cleared=assessment.cleared)
                self.apply(message, assessment, score)
        return messages

    def score(self, text: str, message: Message | None = None,
              cleared: bool = False) -> RiskScore:
        """The model's riskiest piece of `text`: the whole message or one of its sentences.

        No risk when the head is untrained. The whole message is scored from the embedding the
        sentence featurizer already computed; its sentences are scored one by one unless the
        whole already reaches the escalation bar it will be held to (the higher, cleared bar
        when a detector guard `cleared` it as an idiom, question or past event), because one
        risky sentence in a long message can score far above the message as a whole.
        """
        if self.head is None:
            return RiskScore(NONE, 0.0)
        whole = embedding(message) if message is not None else None
        bar = "cleared_escalate_threshold" if cleared else "escalate_threshold"
        return self.head.score(pieces(text), shared_encoder().encode, whole,
                               enough=float(self.config[bar]))

    def tier(self, assessment: Assessment, score: RiskScore,
             classifier_intent: str, classifier_confidence: float) -> tuple[str | None, str, str]:
        """(tier, category, source) for one message; tier None means no risk.

        A gated phrase escalates when the model sees some risk too (as much as an unmatched
        message needs when the message marks itself as a joke), or when there is no model (the
        detector stays a floor that needs none); otherwise it gets the check-in below.
        """
        match = assessment.match
        # A laughing marker makes hyperbole likelier: a gated phrase then needs as much risk
        # from the model as a message with no phrase at all ("she'll kill me if I touch her
        # oat milk 😂"), and gets the check-in under it.
        gated_at = self.config["escalate_threshold" if assessment.joking
                               else "gated_escalate_threshold"]
        if match and (not match.gated or self.head is None or score.probability >= gated_at):
            return HIGH, match.category, "patterns"
        escalate_at = self.config["cleared_escalate_threshold" if assessment.cleared
                                  else "escalate_threshold"]
        if score.probability >= escalate_at:
            return HIGH, self.model_category(score), "model"
        if (classifier_intent.startswith(RISK_PREFIX) and not assessment.cleared
                and classifier_confidence >= self.config["classifier_min_confidence"]):
            return HIGH, classifier_intent.removeprefix(RISK_PREFIX), "classifier"
        if match:
            return UNCERTAIN, match.category, "patterns"
        # A recognised idiom, negation, question or past event needs the escalate bar for a
        # check-in too: "is strangling a crime?" deserves its answer, not "are you safe?".
        check_in_at = self.config["escalate_threshold" if assessment.cleared
                                  else "check_in_threshold"]
        if score.probability >= check_in_at:
            return UNCERTAIN, self.model_category(score), "model"
        return None, NONE, ""

    def model_category(self, score: RiskScore) -> str:
        """The model's category when it is clear-cut, else the general warning-signs answer.

        A category carrying under `min_category_share` of the risk probability is a guess
        between neighbours; the high-indicator answer ("a warning sign of serious harm", 999 if
        in danger now, the helplines) fits them all. Danger from the writer needs more
        (`from_me_min_share`): its answer (step away, the Change Project) would fail a victim,
        and the model confused "I'm scared of him" with "I'm scared of what I'll do".
        """
        needed = self.config["from_me_min_share" if score.category == "danger_from_me"
                             else "min_category_share"]
        return score.category if score.share >= needed else "high_indicator"

    def apply(self, message: Message, assessment: Assessment, score: RiskScore) -> None:
        """Escalates, marks for a check-in, or leaves the message as the classifier saw it."""
        intent = message.get(INTENT) or {}
        name = str(intent.get(INTENT_NAME_KEY) or "")
        confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        tier, category, source = self.tier(assessment, score, name, confidence)
        if tier == HIGH:
            also = self.second_question(message)
            escalate(message, RISK_PREFIX + category, source)
            if also:
                message.get(RISK_KEY)["also"] = also
            return
        if name.startswith(RISK_PREFIX):
            demote(message, self.config["fallback_threshold"])
        if tier == UNCERTAIN:
            message.set(RISK_KEY, {"category": category, "source": source, "tier": UNCERTAIN},
                        add_to_output=True)

    def second_question(self, message: Message) -> str | None:
        """The best non-risk intent of the message, if the classifier is sure enough of it."""
        for entry in message.get(INTENT_RANKING_KEY) or []:
            name = str(entry.get(INTENT_NAME_KEY) or "")
            if name.startswith(RISK_PREFIX) or name == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            if name in NOT_WORTH_ADDING:
                return None
            confident = entry.get(PREDICTED_CONFIDENCE_KEY, 0.0) >= \
                self.config["also_min_confidence"]
            return name if confident else None
        return None


def understood_in_another_language(message: Message) -> bool:
    """Whether bot/nlu/language_understanding.py already decided this message's risk."""
    return (message.get(LANGUAGE_KEY) or {}).get("processed", ENGLISH) != ENGLISH


def training_examples(config: dict[str, Any], data: TrainingData) -> list[tuple[str, str]]:
    """(text, label) pairs: the corpus, then every intent example, then benign sentences.

    A risk intent's examples count as its category, any other intent's as "none", so the
    campaign's own questions teach what is not risk. The sentences of long benign examples
    are added as benign (`with_benign_pieces`).
    """
    examples = load_corpus(_corpus_dir(config))
    for message in data.intent_examples:
        intent, text = str(message.get(INTENT) or ""), message.get(TEXT)
        if text and intent:
            examples.append((text, intent.removeprefix(RISK_PREFIX)
                             if intent.startswith(RISK_PREFIX) else NONE))
    return with_benign_pieces(examples)


def _corpus_dir(config: dict[str, Any]) -> Path:
    corpus = Path(config.get("corpus") or RiskOverride.get_default_config()["corpus"])
    return corpus if corpus.is_absolute() else ROOT / corpus


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
    """What the insights may keep of an escalation: its category, what found it, its tier."""
    return {"category": intent.removeprefix(RISK_PREFIX), "source": source, "tier": HIGH}
