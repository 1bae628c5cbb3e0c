"""The ONNX sentence encoder gives the same vectors as the reference implementation.

tests/data/minilm_reference.json holds vectors that sentence-transformers on PyTorch computed
from the same model files (its `produced_by` says which versions and how); PyTorch does not
install next to Rasa 3.6, so the reference was run once in a separate Python 3.11 environment.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.encoder.minilm import SentenceEncoder, model_dir, shared_encoder

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "minilm_reference.json").read_text(encoding="utf-8")
)["vectors"]


@pytest.mark.parametrize("text", sorted(REFERENCE))
def test_vectors_match_the_reference_implementation(text: str) -> None:
    ours = shared_encoder().encode(text)
    reference = np.asarray(REFERENCE[text], dtype=np.float32)
    assert ours.shape == (384,)
    assert float(np.abs(ours - reference).max()) < 1e-5
    assert float(np.linalg.norm(ours)) == pytest.approx(1.0, abs=1e-5)


def test_texts_that_mean_the_same_are_closer_than_unrelated_ones() -> None:
    encoder = shared_encoder()
    friend = encoder.encode("how can i help my friend who is being abused")
    paraphrase = encoder.encode("my mate is in a bad relationship what should i do")
    weather = encoder.encode("what's the weather like tomorrow")
    assert float(friend @ paraphrase) > float(friend @ weather) + 0.3


def test_a_very_long_message_is_cut_to_the_models_limit_not_refused() -> None:
    text = "he checks my phone and " * 400
    assert len(shared_encoder().token_ids(text)) == 256
    assert np.isfinite(shared_encoder().encode(text)).all()


def test_weights_that_are_not_the_published_model_are_refused(tmp_path: Path) -> None:
    shutil.copy(model_dir() / "tokenizer.json", tmp_path / "tokenizer.json")
    weights = bytearray((model_dir() / "model.safetensors").read_bytes())
    weights[-1] ^= 0xFF
    (tmp_path / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(ValueError, match="not the published"):
        SentenceEncoder(tmp_path)
