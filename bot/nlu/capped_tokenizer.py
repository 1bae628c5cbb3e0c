"""Rasa's whitespace tokenizer, keeping a message's first words only: a bounded cost a message.

Every message is featurized on the server's event loop: word and character counts from its
tokens, and a sentence embedding from its text. A 1,000-character message cost about 8 times a
short one (the encoder alone 80-97 ms at 256 word pieces), so a flood of long messages could
delay everyone else's answers. No training example is longer than 14 words, so the first
MAX_WORDS words say what a message is about; the featurizers see only those (the count
featurizers read the tokens, bot/nlu/sentence_featurizer.py encodes `featurized_text`).

The message's text itself is left whole: the risk check (bot/nlu/risk_override.py) reads all of
it, so a threat at the end of a long message is still escalated.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

MAX_WORDS = 40
MAX_CHARS = 400  # and at most this much text for the encoder (one very long "word")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class CappedWhitespaceTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer, with at most MAX_WORDS tokens a message."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """The first MAX_WORDS of Rasa's tokens."""
        return super().tokenize(message, attribute)[:MAX_WORDS]


def featurized_text(message: Message) -> str:
    """What the encoder reads: the text the tokens cover, at most MAX_CHARS of it."""
    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if tokens and len(tokens) >= MAX_WORDS:
        text = text[:tokens[-1].end]
    return text[:MAX_CHARS]
