"""The semantic risk model: a linear head on sentence embeddings, scored sentence by sentence.

Why: a phrase list only knows the words someone wrote into it, and people in a crisis describe
danger in their own words ("he went to the shed for the axe", "I don't want to wake up"). A
sentence embedding places those near the corpus's examples of the same situation, so a
logistic regression over it (the six risk categories plus "none") generalises where the
patterns cannot. The deterministic detector (bot/risk/detector.py) stays as the floor.

Why per sentence: in a long message the risk is often one sentence among several, and an
embedding of the whole message dilutes it. A long message's sentences are scored too, and it
gets the highest risk any of them shows. The number of pieces is capped, so a message's cost
is bounded.

No Rasa here: bot/nlu/risk_override.py trains and runs it inside the NLU pipeline, and
tools/evaluation.py uses it directly.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import joblib
import numpy as np
import scipy.sparse
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

CATEGORIES = ("danger_now", "danger_from_me", "self_harm", "child", "sexual_violence",
              "high_indicator")
NONE = "none"
LABELS = (NONE, *CATEGORIES)
SPLIT_FROM_WORDS = 25  # shorter messages are scored whole: splitting them added false alarms
MIN_PIECE_WORDS = 5  # shorter pieces are joined to the one before them
MAX_PIECES = 8  # sentences scored besides the whole message: bounds the cost of a long one
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|;\s*|\s+(?:but|and then|anyway|so anyway)\s+",
                          re.IGNORECASE)


def pieces(text: str) -> list[str]:
    """The whole message first, then, for a long message, its sentences.

    At most MAX_PIECES sentences: the longest, in their order.
    """
    text = text.strip()
    if len(text.split()) < SPLIT_FROM_WORDS:
        return [text]
    parts: list[str] = []
    for part in SENTENCE_END.split(text):
        part = part.strip(" ,.")
        if not part:
            continue
        if parts and len(part.split()) < MIN_PIECE_WORDS:
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    if len(parts) <= 1:
        return [text]
    if len(parts) > MAX_PIECES:
        keep = sorted(sorted(range(len(parts)), key=lambda i: -len(parts[i]))[:MAX_PIECES])
        parts = [parts[i] for i in keep]
    return [text, *parts]


@dataclass(frozen=True)
class RiskScore:
    """The riskiest piece of a message.

    Its category, the probability it shows any risk (1 - P(none)), and the piece's index
    (0: the whole message).
    """

    category: str
    probability: float
    piece: int = 0
    share: float = 1.0  # the category's part of the risk probability


class RiskHead:
    """Multinomial logistic regression from a text to LABELS.

    It reads the text's sentence embedding and its word and character n-grams (TF-IDF). The
    n-grams were added because, measured on tests/data/risk_dev.yml, the embedding alone
    confused jokes and everyday uses of danger words with risk (docs/risk-model.md).
    """

    def __init__(self, words: TfidfVectorizer, characters: TfidfVectorizer,
                 model: LogisticRegression) -> None:
        self.words, self.characters, self.model = words, characters, model
        # The regression's weights split by feature block, so a message's features are never
        # stacked into one matrix (that copy cost more than the products).
        coef = np.zeros((len(LABELS), model.coef_.shape[1]), dtype=np.float32)
        coef[model.classes_] = model.coef_
        self.bias = np.full(len(LABELS), -1e4, dtype=np.float32)  # a label never seen: never
        self.bias[model.classes_] = model.intercept_
        dimensions = coef.shape[1] - len(words.vocabulary_) - len(characters.vocabulary_)
        self.embedding_weights = np.ascontiguousarray(coef[:, :dimensions].T)
        self.word_weights = np.ascontiguousarray(
            coef[:, dimensions:dimensions + len(words.vocabulary_)].T)
        self.character_weights = np.ascontiguousarray(
            coef[:, dimensions + len(words.vocabulary_):].T)

    @classmethod
    def fit(cls, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str],
            c: float = 2.0, none_weight: float = 0.5) -> RiskHead:
        """Trains on texts, their embeddings and their labels.

        "none" gets `none_weight` of the total weight and the risk categories share the rest
        equally, so the many benign examples do not teach it that risk is rare.
        """
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                                     sublinear_tf=True, max_features=40000)
        y = np.asarray([LABELS.index(label) for label in labels])
        weights = np.empty(len(y))
        weights[y == 0] = none_weight * len(y) / max(1, int((y == 0).sum()))
        for index in range(1, len(LABELS)):
            count = int((y == index).sum())
            weights[y == index] = (1 - none_weight) * len(y) / (len(CATEGORIES) * max(1, count))
        features = scipy.sparse.hstack([scipy.sparse.csr_matrix(vectors),
                                        words.fit_transform(texts),
                                        characters.fit_transform(texts)]).tocsr()
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(features, y, sample_weight=weights)
        return cls(words, characters, model)

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """P(label) for each text, shape (texts, len(LABELS))."""
        logits = (vectors @ self.embedding_weights + self.bias
                  + self.words.transform(texts) @ self.word_weights
                  + self.characters.transform(texts) @ self.character_weights)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def score(self, texts: Sequence[str], encode: Callable[[str], np.ndarray],
              first_vector: np.ndarray | None = None, enough: float = 1.0) -> RiskScore:
        """The riskiest of `texts` (a message's pieces, the whole message first).

        `first_vector`: the whole message's embedding when the caller has it already.
        `enough`: a whole-message risk at which its sentences need not be scored (it escalates
        anyway), which keeps the cost of long risk messages down.
        """
        first = self._best([texts[0]], [first_vector if first_vector is not None
                                         else encode(texts[0])])
        if len(texts) == 1 or first.probability >= enough:
            return first
        rest = self._best(texts[1:], [encode(text) for text in texts[1:]])
        if rest.probability <= first.probability:
            return first
        return RiskScore(rest.category, rest.probability, rest.piece + 1, rest.share)

    def _best(self, texts: Sequence[str], vectors: Sequence[np.ndarray]) -> RiskScore:
        probabilities = self.probabilities(texts, np.stack(vectors))
        risk = 1.0 - probabilities[:, 0]
        best = int(risk.argmax())
        index = int(probabilities[best, 1:].argmax())
        share = float(probabilities[best, 1 + index] / max(float(risk[best]), 1e-9))
        return RiskScore(CATEGORIES[index], float(risk[best]), best, share)

    def save(self, path: Path) -> None:
        joblib.dump({"labels": LABELS, "words": self.words, "characters": self.characters,
                     "model": self.model}, path)

    @classmethod
    def load(cls, path: Path | IO[bytes]) -> RiskHead:
        data = joblib.load(path)
        if tuple(data["labels"]) != LABELS:
            raise ValueError(f"{path} was trained for other labels: {data['labels']}")
        return cls(data["words"], data["characters"], data["model"])


def load_corpus(directory: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from every YAML file of the corpus folder.

    `risk` maps categories to messages; `benign` lists messages that must not escalate.
    """
    examples: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for category, messages in (data.get("risk") or {}).items():
            if category not in CATEGORIES:
                raise ValueError(f"{path}: unknown risk category {category!r}")
            examples.extend((str(text), category) for text in messages)
        examples.extend((str(text), NONE) for text in data.get("benign") or [])
    return examples


def with_benign_pieces(examples: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The examples, plus each sentence of every long benign one, as benign too.

    A long message is scored sentence by sentence, so a benign story's sentences are read
    alone ("he slept on the sofa"); the head must have seen such fragments as benign. A risk
    example's sentences are not added: its risk may be in one sentence only.
    """
    added = [(piece, NONE) for text, label in examples if label == NONE
             for piece in pieces(text)[1:]]
    return [*examples, *added]


def corpus_files(directory: Path) -> Iterable[Path]:
    """The files whose content decides the trained head (for Rasa's fingerprint)."""
    return sorted(directory.glob("*.yml"))


def head_from_model(archive: Path, file_name: str) -> RiskHead:
    """The head inside a trained Rasa model archive (for benchmarks and tests outside Rasa)."""
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/" + file_name))
        stored = tar.extractfile(member)
        if stored is None:
            raise FileNotFoundError(f"{file_name} in {archive}")
        return RiskHead.load(stored)

