"""The Rasa NLU component that picks the intent: a logistic regression over sentence features.

Why not DIET: with about 25 examples for each of 56 intents, DIET learnt the training data by
heart (train F1 0.99) and generalised poorly (5-fold cross-validation macro-F1 0.634, and 0.648
with sentence embeddings added). A multinomial logistic regression over the same word and
character counts plus the sentence embedding (bot/nlu/sentence_featurizer.py) generalises much
better (docs/nlu-evaluation.md), trains in seconds instead of minutes and answers without a
TensorFlow call.

Each featurizer's counts are scaled to unit length so that long messages do not get more
confident just by being long; the sentence embedding (unit length already) is weighted by
`embedding_weight`, because meaning should count for more than shared spelling. The model is
stored as plain arrays (NumPy's format without pickle) and JSON, so loading a model never runs
code from the model file.

Nearest examples: next to those features, the classifier gives the regression, for each intent,
how close the message's embedding comes to that intent's nearest training example (the highest
cosine similarity), weighted by `neighbour_weight`. A message worded almost like one example
then counts for that example's intent even when the intent's other examples are worded
differently (5-fold macro-F1 up about 0.01, docs/nlu-evaluation.md). When training, each
example's own vector is left out, so the regression learns how far real neighbours are, not
that every example is its own nearest neighbour.

A regression always picks some intent, even for "zxqv blorp" or "hmm", and the embedding of a
keyboard-mash is not far enough from real messages to tell them apart. So the classifier
abstains (every confidence 0, so the FallbackClassifier answers "Sorry, I didn't understand"
with the menu and 999) when not one word of the message occurs in any training example. Risk
detection does not depend on this: bot.nlu.risk_override reads the text itself.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.fingerprint import source_fingerprint

logger = logging.getLogger(__name__)

RANKING_LENGTH = 10
WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"
VOCABULARY_FILE = "vocabulary.json"
NOT_COMPARABLE = -1.0  # the lowest cosine similarity: "no neighbour" for a left-out example


def words(message: Message) -> set[str]:
    """The message's tokens, lower-cased (the tokenizer runs before the featurizers)."""
    return {token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or []}


def _sentence_level(message: Message) -> list[Features]:
    """The message's sentence-level text features, in featurizer name order.

    The same order every time, so training and prediction line up column for column.
    """
    return sorted(
        (f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE),
        key=lambda f: f.origin if isinstance(f.origin, str) else ",".join(f.origin),
    )


def sentence_features(message: Message, embedding_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """One row: every featurizer's sentence-level features, counts at unit length, side by side.

    As (column indices, values): a row holds a few hundred non-zero values of tens of
    thousands of columns, and `probabilities` needs only those.
    """
    indices, values, offset = [], [], 0
    for features in _sentence_level(message):
        block = features.features
        if features.is_sparse():
            block = scipy.sparse.coo_matrix(block)
            block.sum_duplicates()
            counts = block.data.astype(np.float32)
            indices.append(offset + block.col)
            values.append(counts / max(float(np.linalg.norm(counts)), 1e-12))
        else:
            dense = np.asarray(block, dtype=np.float32).ravel()
            indices.append(offset + np.arange(dense.size))
            values.append(dense * embedding_weight)
        offset += block.shape[-1]
    if not indices:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(indices).astype(np.int64), np.concatenate(values)


def embedding(message: Message) -> np.ndarray | None:
    """The message's dense sentence vectors side by side (the sentence embedding), if any."""
    dense = [np.asarray(f.features, dtype=np.float32).ravel()
             for f in _sentence_level(message) if not f.is_sparse()]
    return np.concatenate(dense) if dense else None


def nearest_by_intent(similarities: np.ndarray, first_of_intent: np.ndarray) -> np.ndarray:
    """For each row, the highest similarity among each intent's examples.

    The examples (columns) are grouped by intent, and `first_of_intent` holds where each
    intent's group starts.
    """
    return np.maximum.reduceat(similarities, first_of_intent, axis=1)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Multinomial logistic regression over sentence features; probabilities as confidences."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`c`: inverse regularisation (higher trusts the examples more; 20 measured best).

        `neighbour_weight`: how much the nearest examples count (0 leaves them out).
        """
        return {"c": 20.0, "embedding_weight": 2.0, "neighbour_weight": 1.0, "max_iter": 5000}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """The source of the class's module, which builds the features outside the class."""
        return source_fingerprint(sys.modules[cls.__module__])

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        labels: list[str] | None = None,
        vocabulary: set[str] | None = None,
        neighbours: np.ndarray | None = None,
        first_of_intent: np.ndarray | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.weights, self.bias, self.labels = weights, bias, labels or []
        # The weights a feature column at a time, so a message's few columns are read together.
        self._weights_by_column = None if weights is None else np.ascontiguousarray(weights.T)
        self.vocabulary = vocabulary or set()
        # The training examples' embeddings, grouped by intent in label order, and where each
        # intent's group starts; None when the pipeline gives no embedding.
        self.neighbours, self.first_of_intent = neighbours, first_of_intent

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _rows(
        self, messages: list[Message], are_the_neighbours: bool = False
    ) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
        """The regression's input, one row a message as (column indices, values), and its width.

        `are_the_neighbours`: the messages are the training examples, in the stored order, so
        each one's similarity to itself is left out.
        """
        weight = float(self.config["embedding_weight"])
        rows = [sentence_features(m, weight) for m in messages]
        width = sum(f.features.shape[-1] for f in _sentence_level(messages[0]))
        neighbour_weight = float(self.config["neighbour_weight"])
        if self.neighbours is None or self.first_of_intent is None or not neighbour_weight:
            return rows, width
        similarities = np.stack([embedding(m) for m in messages]) @ self.neighbours.T
        if are_the_neighbours:
            np.fill_diagonal(similarities, NOT_COMPARABLE)
        nearest = nearest_by_intent(similarities, self.first_of_intent) * neighbour_weight
        columns = np.arange(width, width + nearest.shape[1])
        rows = [(np.concatenate([indices, columns]), np.concatenate([values, near]))
                for (indices, values), near in zip(rows, nearest.astype(np.float32), strict=True)]
        return rows, width + nearest.shape[1]

    def _matrix(
        self, messages: list[Message], are_the_neighbours: bool = False
    ) -> scipy.sparse.csr_matrix:
        """The rows as one sparse matrix, for scikit-learn."""
        rows, width = self._rows(messages, are_the_neighbours)
        indptr = np.cumsum([0] + [len(indices) for indices, _ in rows])
        data = np.concatenate([values for _, values in rows])
        indices = np.concatenate([indices for indices, _ in rows])
        return scipy.sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the regression on every example that has text and an intent, then saves it."""
        examples = sorted(
            (e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)),
            key=lambda e: str(e.get(INTENT)),
        )
        if not examples:
            logger.debug("No intent examples: the intent classifier stays untrained.")
            return self._resource
        intents = [str(e.get(INTENT)) for e in examples]
        self.labels = sorted(set(intents))  # the order of scikit-learn's classes_
        vectors = [embedding(e) for e in examples]
        if all(v is not None for v in vectors):
            self.neighbours = np.stack(vectors)
            self.first_of_intent = np.searchsorted(intents, self.labels)
        model = LogisticRegression(
            C=float(self.config["c"]), max_iter=int(self.config["max_iter"]), random_state=42
        )
        model.fit(self._matrix(examples, are_the_neighbours=True), intents)
        self.weights = model.coef_.astype(np.float32)
        self._weights_by_column = np.ascontiguousarray(self.weights.T)
        self.bias = model.intercept_.astype(np.float32)
        self.vocabulary = set().union(*(words(e) for e in examples))
        neighbours = {} if self.neighbours is None else {
            "neighbours": self.neighbours, "first_of_intent": self.first_of_intent}
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, weights=self.weights, bias=self.bias, **neighbours)
            (directory / LABELS_FILE).write_text(json.dumps(self.labels), encoding="utf-8")
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary)), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: object,
    ) -> LinearIntentClassifier:
        """The trained arrays, or an untrained classifier (no intent set) if there are none."""
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
                    weights, bias = arrays["weights"], arrays["bias"]
                    neighbours = arrays.get("neighbours")
                    first_of_intent = arrays.get("first_of_intent")
                labels = json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
                vocabulary = set(
                    json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
                )
        except (ValueError, FileNotFoundError):
            logger.debug("No trained intent classifier in the model.")
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, weights, bias, labels, vocabulary,
                   neighbours, first_of_intent)

    def probabilities(self, messages: list[Message]) -> np.ndarray:
        """Softmax of the linear scores: what scikit-learn's predict_proba gives, without it."""
        rows, _ = self._rows(messages)
        scores = np.stack([values @ self._weights_by_column[indices] for indices, values in rows])
        scores += self.bias
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `intent` and the top-10 `intent_ranking` on every message with text.

        A message with no word the training examples use gets confidence 0 for every intent.
        """
        with_text = [m for m in messages if m.get(TEXT)]
        if self.weights is None or not with_text:
            return messages
        for message, row in zip(with_text, self.probabilities(with_text), strict=True):
            evidence = 1.0 if words(message) & self.vocabulary else 0.0
            ranking = [
                {"name": self.labels[i], "confidence": float(row[i]) * evidence}
                for i in np.argsort(-row)[:RANKING_LENGTH]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
