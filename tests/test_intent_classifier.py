"""The logistic-regression intent classifier: trains, survives a save and load, ranks honestly,
and abstains on words it has never seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import LinearIntentClassifier, nearest_by_intent

# Three made-up intents whose messages differ in one counted word and in their dense vector.
VOCABULARY = ["help", "bye", "phone"]


def message(word: str, intent: str | None = None, direction: int = 0) -> Message:
    """A message with the features the featurizers would have added: counts and an embedding."""
    msg = Message(data={TEXT: word, **({INTENT: intent} if intent else {})})
    msg.set(TOKENS_NAMES[TEXT], [Token(word, 0)])
    counts = scipy.sparse.coo_matrix([[1.0 if w == word else 0.0 for w in VOCABULARY]])
    msg.add_features(Features(counts, FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    embedding = np.zeros((1, 4), dtype=np.float32)
    embedding[0, direction] = 1.0
    msg.add_features(Features(embedding, FEATURE_TYPE_SENTENCE, TEXT, "embedding"))
    return msg


@pytest.fixture()
def storage_and_context(tmp_path: Path) -> tuple[LocalModelStorage, ExecutionContext]:
    return LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "test")


def training_data() -> TrainingData:
    examples = [
        message(word, intent, direction)
        for word, intent, direction in [("help", "get_help", 0), ("bye", "goodbye", 1),
                                        ("phone", "ask_online_safety", 2)]
        for _ in range(5)
    ]
    return TrainingData(training_examples=examples)


def trained(storage_and_context: tuple[LocalModelStorage, ExecutionContext],
            name: str) -> LinearIntentClassifier:
    """A classifier trained on the three made-up intents and saved under `name`."""
    storage, context = storage_and_context
    classifier = LinearIntentClassifier.create({}, storage, Resource(name), context)
    classifier.train(training_data())
    return classifier


def test_predictions_survive_saving_and_loading(
    storage_and_context: tuple[LocalModelStorage, ExecutionContext]
) -> None:
    storage, context = storage_and_context
    saved = trained(storage_and_context, "intent_classifier")
    loaded = LinearIntentClassifier.load({}, storage, Resource("intent_classifier"), context)

    for word, direction, expected in [("help", 0, "get_help"), ("bye", 1, "goodbye"),
                                      ("phone", 2, "ask_online_safety")]:
        before = saved.process([message(word, direction=direction)])[0]
        after = loaded.process([message(word, direction=direction)])[0]
        assert before.get(INTENT)["name"] == after.get(INTENT)["name"] == expected
        assert before.get(INTENT)["confidence"] == pytest.approx(after.get(INTENT)["confidence"])
        assert before.get(INTENT)["confidence"] > 0.5


def test_ranking_is_sorted_and_adds_up_to_one(
    storage_and_context: tuple[LocalModelStorage, ExecutionContext]
) -> None:
    classifier = trained(storage_and_context, "ranking")
    ranking = classifier.process([message("phone", direction=2)])[0].get(INTENT_RANKING_KEY)
    confidences = [entry["confidence"] for entry in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert {entry["name"] for entry in ranking} == {"get_help", "goodbye", "ask_online_safety"}


def test_a_model_without_a_trained_classifier_sets_no_intent(
    storage_and_context: tuple[LocalModelStorage, ExecutionContext]
) -> None:
    storage, context = storage_and_context
    loaded = LinearIntentClassifier.load({}, storage, Resource("never_trained"), context)
    assert loaded.process([message("help")])[0].get(INTENT) is None


def test_a_message_with_no_known_word_gets_no_confidence(
    storage_and_context: tuple[LocalModelStorage, ExecutionContext]
) -> None:
    """So the FallbackClassifier answers "I didn't understand" instead of guessing."""
    classifier = trained(storage_and_context, "abstains")
    known = classifier.process([message("phone", direction=2)])[0]
    unknown = classifier.process([message("zxqv", direction=2)])[0]
    assert known.get(INTENT)["confidence"] > 0.5
    assert unknown.get(INTENT)["confidence"] == 0.0
    assert all(entry["confidence"] == 0.0 for entry in unknown.get(INTENT_RANKING_KEY))


def test_each_intent_scores_its_nearest_example() -> None:
    """Examples grouped by intent (two, then three): each row gets each group's highest."""
    similarities = np.array([[0.1, 0.9, 0.3, 0.2, 0.8],
                             [0.5, -0.2, -1.0, 0.7, 0.0]])
    nearest = nearest_by_intent(similarities, np.array([0, 2]))
    assert nearest.tolist() == [[0.9, 0.8], [0.5, 0.7]]


def test_training_compares_each_example_with_the_other_examples_only(
    storage_and_context: tuple[LocalModelStorage, ExecutionContext]
) -> None:
    """Left in, every example's nearest neighbour would be itself (similarity 1), and the
    regression would learn to trust a similarity no new message ever reaches."""
    storage, context = storage_and_context
    classifier = LinearIntentClassifier.create({}, storage, Resource("leave_one_out"), context)
    examples = [message("help", "get_help", 0), message("help", "get_help", 1),
                message("bye", "goodbye", 2), message("bye", "goodbye", 3)]
    classifier.train(TrainingData(training_examples=examples))
    in_stored_order = sorted(examples, key=lambda e: e.get(INTENT))  # goodbye, then get_help

    # The last two columns: each intent's nearest example (orthogonal embeddings: 0 or 1).
    training = classifier._matrix(in_stored_order, are_the_neighbours=True).toarray()[:, -2:]
    predicting = classifier._matrix(in_stored_order).toarray()[:, -2:]
    assert training.tolist() == [[0, 0]] * 4
    assert predicting.tolist() == [[1, 0], [1, 0], [0, 1], [0, 1]]
