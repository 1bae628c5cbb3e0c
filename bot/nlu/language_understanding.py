"""The Rasa NLU component for messages in the languages besides English (issue 18).

Runs after the intent classifier and before the FallbackClassifier. For each message it
- detects the language (bot/language.py) and, when it is clear or the person asked for one,
  adds a `language` entity: the `language` slot takes it (domain.yml), so the conversation
  remembers it and short, unclear messages keep the language it had;
- for a message in another language, replaces the English classifier's intent (meaningless on
  Polish words) with a cross-lingual one: a linear head on the multilingual sentence encoder
  (bot/encoder/multilingual.py) trained on the English intent examples, mixed with a head on the
  character n-grams of the questions written in that language (bot/nlu/lexical_head.py), which
  reads Romanian and Lithuanian where the encoder cannot;
- for a message whose language is unclear ("labas", "buna") and that the English classifier
  cannot place either, gives the cross-lingual intent in the detector's likeliest language a
  chance (the risk decision stays on the English path, as before);
- for such a message, decides risk as bot/nlu/risk_override.py does for English: the language's
  phrases (bot/risk/languages.py) escalate at once, otherwise a cross-lingual risk head trained
  on the English risk corpus (content/risk_corpus/) and the intent examples, mixed with a head
  on the character n-grams of the phrasings written in that language, escalates or asks the
  safety check-in. RiskOverride then leaves the message alone (its English patterns and head
  cannot read it); the English path is unchanged.

An escalation has full confidence and is alone in the ranking, so the FallbackClassifier that
runs next cannot undo it.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import language
from bot.encoder import multilingual
from bot.nlu import lexical_head
from bot.nlu.fingerprint import source_fingerprint
from bot.nlu.risk_override import (
    HIGH,
    RISK_KEY,
    RISK_PREFIX,
    UNCERTAIN,
    escalate,
    training_examples,
)
from bot.risk import languages as risk_languages
from bot.risk.detector import default_detector
from bot.risk.model import CATEGORIES, NONE, load_corpus

logger = logging.getLogger(__name__)

CHANGE_LANGUAGE = "change_language"
INTENT_HEAD = "intent_head"
RISK_HEAD = "risk_head"
LEXICAL_HEAD = "lexical_head_"
LEXICAL_RISK_HEAD = "risk_lexical_"
RANKING_LENGTH = 10
ENGLISH_SENTENCE_WORDS = 3
ROOT = Path(__file__).resolve().parents[2]


def processed_language(message: Message) -> str:
    """The language a message was understood in ("en" unless this component said otherwise)."""
    return (message.get(language.LANGUAGE_KEY) or {}).get("processed", language.ENGLISH)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class LanguageUnderstanding(GraphComponent):
    """Language detection, cross-lingual intents and cross-lingual risk tiers."""

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, intents: multilingual.EmbeddingHead | None = None,
                 risk: multilingual.EmbeddingHead | None = None,
                 lexical: dict[str, lexical_head.LexicalHead] | None = None,
                 lexical_risk: dict[str, lexical_head.LexicalHead] | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.intents = intents
        self.risk = risk
        self.lexical = lexical or {}
        self.lexical_risk = lexical_risk or {}
        self.lexical_columns = columns_among(intents, self.lexical)
        self.lexical_risk_columns = columns_among(risk, self.lexical_risk)
        self.patterns = risk_languages.default_patterns()
        self.english = default_detector()  # English words in another language's message

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The thresholds and the data the two heads are trained on.

        `english_sure`: the English classifier's confidence from which a message is taken as
        English whatever the detector says, unless it is a sentence the detector gives another
        language with at least `other_sure`. `process_from`: the detector confidence from which
        a message in another language is understood in it (below, as English).
        `remember_from`: the cross-lingual intent's confidence from which a message too short
        for the detector to be sure of still sets the conversation's language.
        `escalate_threshold` / `check_in_threshold`: the risk heads' mixed P(risk) for the two
        tiers (one pair for every language: per-language bars were tried, docs/languages.md);
        the escalation bar was lowered with the n-gram mix, which pulls risk messages down
        too, so that the heads alone catch at least as many development risk messages as before.
        `corpus` and `extra_corpus` (phrasings written in the other languages) train it,
        `extra_intents` adds questions in them to the intent head and trains, for each language,
        the character n-gram head (`lexical_c`), whose probabilities make up `lexical_weight` of
        the intent's; averaging two heads leaves the mix under-confident, so it is sharpened
        (raised to `mix_sharpness` and normalised). Both chosen by cross-validation on the
        questions written in each language (docs/languages.md): the weight for the best first
        guess, the sharpness for the lowest log-loss (1.5 for pl, ro and lt; the encoder head
        alone is already calibrated, so a language without questions keeps it as it is).
        `english_unsure`: the English classifier's confidence under which (the fallback
        threshold: it would fall back) a message whose language is unclear is tried in the
        detector's likeliest language; its intent there must reach `remember_from`.
        `joke_escalate_threshold`: the heads' bar for a message marked as a joke by laughter
        (the English path's bar for a message its guards cleared); under it, the check-in.
        `risk_lexical_weight`: the share of the risk probabilities that comes from a character
        n-gram head trained (`risk_lexical_c`) on the phrasings written in the message's
        language (`extra_corpus`): the encoder alone reads Romanian and Lithuanian poorly and
        escalated everyday sentences that share its few cues ("fiul se joacă un joc unde omoară
        zombi"); chosen on the development risk sets (docs/languages.md).
        """
        return {
            "process_from": 0.5,
            "english_sure": 0.8,
            "other_sure": 0.7,
            "english_unsure": 0.4,
            "remember_from": 0.6,
            "corpus": "content/risk_corpus",
            "extra_corpus": "content/risk_corpus_languages",
            "extra_intents": "content/nlu_languages",
            "intent_c": 20.0,
            "lexical_c": 100.0,
            "lexical_weight": 0.5,
            "mix_sharpness": 1.5,
            "risk_c": 4.0,
            "risk_lexical_c": 10.0,
            "risk_lexical_weight": 0.4,
            "escalate_threshold": 0.6,
            "joke_escalate_threshold": 0.97,
            "check_in_threshold": 0.35,
            "min_category_share": 0.5,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        digest = hashlib.sha256(
            source_fingerprint(multilingual, language, lexical_head).encode())
        for folder in (config.get("corpus"), config.get("extra_corpus")):
            for path in sorted((ROOT / str(folder)).glob("*.yml")) if folder else []:
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        extra = ROOT / str(config.get("extra_intents") or "")
        for path in sorted(extra.glob("*.yml")) if extra.is_dir() else []:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LanguageUnderstanding:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: object) -> LanguageUnderstanding:
        with model_storage.read_from(resource) as directory:
            intents = multilingual.EmbeddingHead.load(Path(directory), INTENT_HEAD)
            risk = multilingual.EmbeddingHead.load(Path(directory), RISK_HEAD)
            lexical = load_lexical_heads(Path(directory))
            lexical_risk = load_lexical_heads(Path(directory), LEXICAL_RISK_HEAD)
        language.detector()  # built now, so the first message does not wait
        multilingual.shared_use()
        return cls(config, model_storage, resource, intents, risk, lexical, lexical_risk)

    def train(self, training_data: TrainingData) -> Resource:
        """Both heads, from the English examples (and any written in the other languages)."""
        texts, intents = [], []
        for message in training_data.intent_examples:
            intent, text = str(message.get(INTENT) or ""), message.get(TEXT)
            if text and intent and not intent.startswith(RISK_PREFIX):
                texts.append(text)
                intents.append(intent)
        by_language = examples_by_language(ROOT / str(self.config["extra_intents"]))
        for pairs in by_language.values():
            texts += [text for _, text in pairs]
            intents += [intent for intent, _ in pairs]
        self.intents = multilingual.EmbeddingHead.fit(
            multilingual.encode(texts), intents, c=float(self.config["intent_c"]))
        self.lexical = {
            code: lexical_head.LexicalHead.fit([text for _, text in pairs],
                                               [intent for intent, _ in pairs],
                                               c=float(self.config["lexical_c"]))
            for code, pairs in by_language.items()}
        self.lexical_columns = columns_among(self.intents, self.lexical)
        examples = training_examples(self.config, training_data)
        extra = ROOT / str(self.config["extra_corpus"])
        if extra.is_dir():
            examples += load_corpus(extra)
        labels = [label for _, label in examples]
        self.risk = multilingual.EmbeddingHead.fit(
            multilingual.encode([text for text, _ in examples]), labels,
            c=float(self.config["risk_c"]), weights=balanced_weights(labels))
        self.lexical_risk = {
            code: lexical_head.LexicalHead.fit([text for text, _ in pairs],
                                               [label for _, label in pairs],
                                               c=float(self.config["risk_lexical_c"]))
            for code, pairs in corpus_by_language(extra).items()}
        self.lexical_risk_columns = columns_among(self.risk, self.lexical_risk)
        with self._model_storage.write_to(self._resource) as directory:
            self.intents.save(Path(directory), INTENT_HEAD)
            self.risk.save(Path(directory), RISK_HEAD)
            for code, head in self.lexical.items():
                head.save(Path(directory), LEXICAL_HEAD + code)
            for code, head in self.lexical_risk.items():
                head.save(Path(directory), LEXICAL_RISK_HEAD + code)
        logger.info("Cross-lingual heads trained on %d intent and %d risk examples.",
                    len(texts), len(examples))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text and not text.startswith("/"):
                self.understand(message, text)
                if not (language.asked_for(text) or language.mentions_a_language(text)):
                    drop_intent(message, CHANGE_LANGUAGE)  # "LANG RO" asks; "langa" does not
        return messages

    def understand(self, message: Message, text: str) -> None:
        """Sets the message's language record and entity; for another language, its intent."""
        detection = language.detect_message(text)
        english = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        if (not detection.asked and english >= self.config["english_sure"]
                and not self.sure_of_other_language(detection, text)):
            # "hiya", "okay", "stopncii": English the classifier knows, whatever lingua says;
            # a sentence of it brings the conversation back to English
            detection = language.Detection(language.ENGLISH, english,
                                           clear=len(text.split()) >= ENGLISH_SENTENCE_WORDS)
        processed = language.ENGLISH
        if detection.asked or detection.clear or (
                detection.language != language.ENGLISH
                and detection.confidence >= self.config["process_from"]):
            processed = detection.language
        message.set(language.LANGUAGE_KEY, {"detected": detection.language, "processed": processed},
                    add_to_output=True)
        if detection.asked or detection.clear:
            self.remember(message, text, detection.language)
        if detection.asked:
            set_intent(message, [(CHANGE_LANGUAGE, 1.0)])
            return
        if self.intents is None or self.risk is None:
            return
        if processed != language.ENGLISH:
            vector = multilingual.encode([text])
            self.classify(message, text, processed, vector, remember=not detection.clear)
            self.assess_risk(message, text, processed, vector)
        elif detection.language != language.ENGLISH and english < self.config["english_unsure"]:
            # "labas", "aciu, viso gero": too short for the detector to be sure, and no English
            # the classifier knows; RiskOverride still decides its risk on the English path
            # "zxqv blorp" must still fall back (the menu and 999): only an intent as sure as
            # one that would set the conversation's language replaces the English guess
            self.classify(message, text, detection.language, multilingual.encode([text]),
                          remember=True, over=max(english, self.config["remember_from"]))

    def classify(self, message: Message, text: str, code: str, vector: np.ndarray,
                 remember: bool, over: float = 0.0) -> None:
        """Sets the cross-lingual intent when it is surer than `over`.

        `remember`: a message too short for the detector ("merhaba") still sets the
        conversation's language when the intent heads know it in this language.
        """
        probabilities = self.intent_probabilities(text, code, vector)
        order = np.argsort(-probabilities)[:RANKING_LENGTH]
        if probabilities[order[0]] <= over:
            return
        set_intent(message, [(self.intents.labels[i], float(probabilities[i])) for i in order])
        if remember and probabilities[order[0]] >= self.config["remember_from"]:
            self.remember(message, text, code)

    def intent_probabilities(self, text: str, code: str, vector: np.ndarray) -> np.ndarray:
        """The encoder head's intent probabilities, mixed with the language's n-gram head's."""
        probabilities = self.intents.probabilities(vector)[0]
        if code not in self.lexical:
            return probabilities
        mixed = mix(probabilities, self.lexical[code].probabilities([text])[0],
                    self.lexical_columns[code], float(self.config["lexical_weight"]))
        sharpened = mixed ** float(self.config["mix_sharpness"])
        return sharpened / sharpened.sum()

    def sure_of_other_language(self, detection: language.Detection, text: str) -> bool:
        """A sentence the detector is sure is in another language stays in it.

        The English classifier is often sure of "out_of_scope" on a Portuguese or Turkish
        sentence ("ele apertou-me a garganta ontem": 0.89), which took it as English and past
        the language's risk phrases and head; its word is needed only for short messages.
        """
        return (detection.language != language.ENGLISH
                and len(text.split()) >= ENGLISH_SENTENCE_WORDS
                and detection.confidence >= self.config["other_sure"])

    def remember(self, message: Message, text: str, code: str) -> None:
        """Adds the `language` entity, which the slot of the same name takes."""
        entity = {"entity": language.LANGUAGE_KEY, "value": code, "start": 0, "end": len(text),
                  "extractor": self.__class__.__name__}
        message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)

    def assess_risk(self, message: Message, text: str, code: str, vector: np.ndarray) -> None:
        """Escalates on a phrase of the language or a sure head; asks a check-in when unsure.

        An English phrase inside the message counts as it does on the English path: one that
        people also use as hyperbole (`gated`: "kill me", "I'm going to kill her") escalates
        only where the head would at least check in, and otherwise gets the check-in.
        """
        english = self.english.assess(text).match
        category = self.patterns.match(text, code) or (
            english.category if english and not english.gated else None)
        if category:
            self.set_risk(message, category, "patterns", HIGH)
            return
        probabilities = self.risk_probabilities(text, code, vector)
        none = self.risk.labels.index(NONE)
        risk = 1.0 - float(probabilities[none])
        if english is not None:  # gated: the head confirms it, or the check-in
            tier = HIGH if risk >= self.config["check_in_threshold"] else UNCERTAIN
            self.set_risk(message, english.category, "patterns", tier)
            return
        if risk < self.config["check_in_threshold"]:
            return
        ranked = sorted(((float(probabilities[self.risk.labels.index(c)]), c)
                         for c in CATEGORIES if c in self.risk.labels), reverse=True)
        share, category = ranked[0]
        if share / max(risk, 1e-9) < self.config["min_category_share"]:
            category = "high_indicator"
        joking = self.patterns.is_joking(text, language.fold(text))
        bar = self.config["joke_escalate_threshold" if joking else "escalate_threshold"]
        tier = HIGH if risk >= bar else UNCERTAIN
        self.set_risk(message, category, "model", tier)

    @staticmethod
    def set_risk(message: Message, category: str, source: str, tier: str) -> None:
        """Escalates (HIGH) or marks the message for the safety check-in (UNCERTAIN).

        An escalation keeps no other intent in the ranking: the FallbackClassifier that runs
        next calls a message ambiguous when its first two intents are within 0.05, and the
        sharpened intent mix is often at 0.96 or more, which turned escalations on a phrase
        into `nlu_fallback` ("o pai dos meus filhos ameaçou matá-los ..."). RiskOverride,
        which keeps the ranking for a second question, runs after the fallback.
        """
        if tier == HIGH:
            escalate(message, RISK_PREFIX + category, source)
            message.set(INTENT_RANKING_KEY, [message.get(INTENT)], add_to_output=True)
        else:
            message.set(RISK_KEY, {"category": category, "source": source, "tier": UNCERTAIN},
                        add_to_output=True)

    def risk_probabilities(self, text: str, code: str, vector: np.ndarray) -> np.ndarray:
        """The encoder risk head's probabilities, mixed with the language's n-gram risk head's."""
        probabilities = self.risk.probabilities(vector)[0]
        if code not in self.lexical_risk:
            return probabilities
        return mix(probabilities, self.lexical_risk[code].probabilities([text])[0],
                   self.lexical_risk_columns[code], float(self.config["risk_lexical_weight"]))


def mix(encoder: np.ndarray, lexical: np.ndarray, columns: np.ndarray,
        weight: float) -> np.ndarray:
    """The encoder head's probabilities and, with `weight`, the n-gram head's (at `columns`)."""
    mixed = (1.0 - weight) * encoder
    mixed[columns] += weight * lexical
    return mixed


def columns_among(head: multilingual.EmbeddingHead | None,
                  lexical: dict[str, lexical_head.LexicalHead]) -> dict[str, np.ndarray]:
    """Where each language's n-gram head's labels sit among the encoder head's, per model."""
    if head is None:
        return {}
    return {code: np.array([head.labels.index(label) for label in language_head.labels])
            for code, language_head in lexical.items()}


def examples_by_language(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Language code -> (intent, text) pairs of the files in content/nlu_languages/."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        pairs.setdefault(str(data["language"]), []).extend(
            (intent, str(text)) for intent, examples in (data.get("intents") or {}).items()
            for text in examples)
    return pairs


def intent_examples(folder: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs of every file in content/nlu_languages/, all languages."""
    return [pair for pairs in examples_by_language(folder).values() for pair in pairs]


def corpus_by_language(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Language code -> (text, label) pairs of content/risk_corpus_languages/ (`ro_3.yml`: ro)."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        examples = pairs.setdefault(path.stem.split("_")[0], [])
        examples += [(str(text), category)
                     for category, texts in (data.get("risk") or {}).items() for text in texts]
        examples += [(str(text), NONE) for text in data.get("benign") or []]
    return pairs


def load_lexical_heads(directory: Path, prefix: str = LEXICAL_HEAD
                       ) -> dict[str, lexical_head.LexicalHead]:
    """The n-gram heads (intent or risk) of every language a model was trained with, by code."""
    return {path.stem.removeprefix(prefix):
            lexical_head.LexicalHead.load(directory, path.stem)
            for path in sorted(directory.glob(f"{prefix}*.json"))}


def set_intent(message: Message, ranking: list[tuple[str, float]]) -> None:
    """Replaces the message's intent and ranking."""
    entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
               for name, confidence in ranking if name != DEFAULT_NLU_FALLBACK_INTENT_NAME]
    message.set(INTENT, entries[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, entries, add_to_output=True)


def drop_intent(message: Message, name: str) -> None:
    """Takes `name` out of the ranking; when it was first, the next intent takes its place.

    Used for `change_language` in a message that names no language: both classifiers put
    everyday Romanian questions there ("ok si eu unde dorm in seara asta?"). A request made in
    so many words ("po polsku", "language pl") names one and never gets here.
    """
    intent = message.get(INTENT) or {}
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or []
               if entry.get(INTENT_NAME_KEY) != name]
    if intent.get(INTENT_NAME_KEY) != name:
        if len(ranking) != len(message.get(INTENT_RANKING_KEY) or []):
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return
    top = ranking[0] if ranking else {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                                      PREDICTED_CONFIDENCE_KEY: 0.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def balanced_weights(labels: list[str]) -> np.ndarray:
    """Half the weight for "none", the other half shared equally by the risk categories."""
    y = np.asarray(labels)
    weights = np.empty(len(y))
    weights[y == NONE] = 0.5 * len(y) / max(1, int((y == NONE).sum()))
    for category in CATEGORIES:
        count = int((y == category).sum())
        weights[y == category] = 0.5 * len(y) / (len(CATEGORIES) * max(1, count))
    return weights
