"""The semantic risk model: how a message is split, the head itself, and its corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.encoder.minilm import shared_encoder
from bot.risk.model import (
    CATEGORIES,
    MAX_PIECES,
    NONE,
    RiskHead,
    load_corpus,
    pieces,
)
from tests.support import ROOT

CORPUS = ROOT / "content" / "risk_corpus"


def test_a_short_message_is_scored_whole() -> None:
    text = "What is breadcrumbing? My daughter keeps saying it"
    assert pieces(text) == [text]


def test_a_long_message_is_scored_whole_and_sentence_by_sentence() -> None:
    text = ("We've been together six years and money has been tight since the baby came. "
            "Last night he held me down by my throat until I couldn't breathe. "
            "Anyway, can you tell me what Clare's Law is and how I would apply?")
    parts = pieces(text)
    assert parts[0] == text
    assert "Last night he held me down by my throat until I couldn't breathe" in parts


def test_a_very_long_message_costs_a_bounded_number_of_pieces() -> None:
    text = " ".join(f"This is sentence number {i} of a very long story." for i in range(200))
    assert len(pieces(text)) == 1 + MAX_PIECES


def test_the_head_learns_from_embeddings_and_words_and_survives_saving(tmp_path: Path) -> None:
    examples = [
        ("he is hitting me right now", "danger_now"), ("he's kicking the door in", "danger_now"),
        ("he has a knife and he's coming", "danger_now"), ("help he's hurting me", "danger_now"),
        ("i want to end my life", "self_harm"), ("i've been saving my tablets", "self_harm"),
        ("i don't want to be here anymore", "self_harm"), ("i keep cutting myself", "self_harm"),
        ("what is coercive control", NONE), ("how do i apply for clare's law", NONE),
        ("hello", NONE), ("what does the change project do", NONE),
        ("is stalking a crime", NONE), ("thank you", NONE),
    ]
    encode = shared_encoder().encode
    texts = [text for text, _ in examples]
    head = RiskHead.fit(texts, np.stack([encode(t) for t in texts]),
                        [label for _, label in examples], c=10)
    head.save(tmp_path / "head.joblib")
    loaded = RiskHead.load(tmp_path / "head.joblib")
    danger = loaded.score(["he's hitting me, please help"], encode)
    question = loaded.score(["what is clare's law"], encode)
    assert danger.category == "danger_now"
    assert danger.probability > question.probability


def test_a_corpus_with_an_unknown_category_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("risk:\n  dangr_now:\n    - help\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dangr_now"):
        load_corpus(tmp_path)


def test_the_corpus_is_large_and_covers_every_category() -> None:
    examples = load_corpus(CORPUS)
    labels = [label for _, label in examples]
    assert sum(label != NONE for label in labels) >= 1500
    assert labels.count(NONE) >= 1500
    assert all(labels.count(category) >= 250 for category in CATEGORIES)
