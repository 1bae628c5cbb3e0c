"""A character n-gram intent head for one language, trained on that language's own questions.

Why: USE v3 does not cover Romanian or Lithuanian, so their sentences land close together and the
cross-lingual head is rarely sure which intent they mean; the letters of the questions written in
the language ("ordin", "viza", "smurt") still tell the intents apart. The text is folded
(bot/language.py: no accents, lower case), so "nóż" and "noz" are the same n-grams. A TF-IDF over
character n-grams and a logistic regression; a message is scored without scikit-learn's
per-call checks (about 0.6 ms), from the n-grams' rows of the weights (tens of microseconds).

Stored as JSON and plain arrays, like the encoder heads, so loading a model runs no code from it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.language import fold

NGRAMS = (2, 5)


def vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """Character n-grams within words, on folded text, damped counts."""
    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, preprocessor=fold,
                           sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)


class LexicalHead:
    """A multinomial logistic regression from a message's character n-grams to an intent."""

    def __init__(self, labels: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray,
                 weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels = tuple(labels)
        self.vectorizer = vectorizer(vocabulary)
        self.vectorizer.idf_ = idf
        self.analyzer = self.vectorizer.build_analyzer()
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], c: float) -> LexicalHead:
        names = sorted(set(labels))
        features = vectorizer()
        x = features.fit_transform(texts)
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit(x, [names.index(label) for label in labels])
        return cls(names, features.vocabulary_, features.idf_, model.coef_.T.copy(),
                   model.intercept_.copy())

    def features(self, text: str) -> tuple[list[int], np.ndarray]:
        """The text's known n-grams and their TF-IDF values, as the vectorizer computes them."""
        vocabulary = self.vectorizer.vocabulary_
        counts = Counter(gram for gram in self.analyzer(text) if gram in vocabulary)
        index = [vocabulary[gram] for gram in counts]
        values = (1.0 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) \
            * self.vectorizer.idf_[index]
        return index, values / max(float(np.linalg.norm(values)), 1e-12)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(label) per text, shape (len(texts), len(labels))."""
        logits = np.tile(self.bias, (len(texts), 1))
        for row, text in enumerate(texts):
            index, values = self.features(text)
            logits[row] += values @ self.weights[index]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, directory: Path, name: str) -> None:
        vocabulary = {gram: int(index) for gram, index in self.vectorizer.vocabulary_.items()}
        np.savez(directory / f"{name}.npz", weights=self.weights, bias=self.bias,
                 idf=self.vectorizer.idf_)
        (directory / f"{name}.json").write_text(
            json.dumps({"labels": list(self.labels), "vocabulary": vocabulary}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, name: str) -> LexicalHead:
        arrays = np.load(directory / f"{name}.npz", allow_pickle=False)
        data = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        return cls(data["labels"], data["vocabulary"], arrays["idf"], arrays["weights"],
                   arrays["bias"])
