"""Risk detection that does not depend on machine learning: spaCy's Matcher over normalised text.

People in danger type fast, misspell, and use text-speak ("hes gonna k1ll me", "helppp"). The
detector normalises the message, tokenises it with a blank English spaCy pipeline (no model to
download), and matches the phrases in content/risk_patterns.yml. Guards drop matches inside idioms
("this film is killing me") and negations ("I'm not in danger"), and past-event phrases ("years
ago") drop matches of the categories that are about danger now. When several categories match,
the most urgent wins.

Some phrases are as often hyperbole as danger ("my mum's going to kill me if I'm late"): those
listed under `model_gated` in the patterns file come back marked `gated`, and the NLU component
lets the semantic model choose between escalating and a safety check-in for them. Every other
phrase escalates on its own, with no model.

Two choices keep it well under a millisecond a message (`make bench-risk` measures it):
- Misspellings are matched with spaCy's FUZZY rule (one edit from 5 letters, two from 8), applied
  once per distinct word while normalising rather than as FUZZY tokens in the Matcher, which
  re-computes the distance for every pattern at every token (about 0.55 ms a message here).
- Each phrase has its own Matcher, indexed by its rarest required word (its anchor); a message
  runs only the phrases whose anchor it contains, each on a window around the anchor. One
  Matcher over all ~400 phrases checks every phrase at every token: 0.4 ms for a short message,
  3.5 ms for a long one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
import yaml
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher
from spacy.matcher.levenshtein import levenshtein
from spacy.tokens import Doc

from bot.intents import risk_intent

PATTERNS_PATH = Path(__file__).resolve().parents[2] / "content" / "risk_patterns.yml"

# When a message matches several categories, the first here answers: a child at risk or a sexual
# assault gets its own advice (which opens with 999) rather than the general danger-now answer.
PRIORITY = (
    "child", "sexual_violence", "danger_from_me", "danger_now", "self_harm", "high_indicator",
)
FUZZY1_MIN_LENGTH = 5  # shorter words must match exactly: "kill" must not match "bill"
FUZZY2_MIN_LENGTH = 8  # from here two edits are allowed
SPELLING_CACHE_SIZE = 65536
GUARD = "guard"
PAST = "past"
CLAUSE_BREAKS = frozenset({".", ",", ";", "!", "?", "but", "however", "though", "although"})

# Text-speak and missing apostrophes, expanded before matching (whole words only).
TEXT_SPEAK = {
    "im": "i am", "ive": "i have", "hes": "he is", "shes": "she is", "theyre": "they are",
    "theyll": "they will", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "cant": "can not", "cannot": "can not", "wont": "will not",
    "isnt": "is not", "arent": "are not", "wasnt": "was not", "couldnt": "could not",
    "wouldnt": "would not", "shouldnt": "should not", "aint": "is not", "u": "you",
    "ur": "your", "r": "are", "bf": "boyfriend", "gf": "girlfriend", "hubby": "husband",
    "gonna": "going to", "gna": "going to", "goin": "going", "wanna": "want to",
    "gotta": "got to", "rn": "right now", "pls": "please", "plz": "please", "b4": "before",
    "2day": "today", "2nite": "tonight", "tonite": "tonight", "some1": "someone",
    "sum1": "someone", "any1": "anyone", "ppl": "people", "cuz": "because", "coz": "because",
    "thru": "through", "kms": "kill myself", "wiv": "with", "da": "dad", "wat": "what",
    "kil": "kill", "kll": "kill", "killin": "killing", "hurtin": "hurting", "hittin": "hitting",
    "tryin": "trying", "comin": "coming", "nd": "and", "n": "and", "mi": "my",
    "abt": "about", "bc": "because", "cos": "because", "tho": "though",
}
CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"), (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"), (re.compile(r"'m\b"), " am"), (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"), (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\b(he|she|it|that|there|who|what|someone|somebody)'s\b"), r"\1 is"),
)
LEET = str.maketrans("013457@$", "oieastas")
INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)
QUOTES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc`\u00b4", "'"))
WORD = re.compile(r"[\w@$']+")
RUN_OF_3 = re.compile(r"(.)\1{2,}")
REPEATS = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class Assessment:
    """What the detector made of a message.

    `match` is the most urgent risk found, if any. `cleared` says a guard (idiom, negation, joke,
    awareness question) or a past-event phrase matched: the message uses words like a risk
    message but was recognised as not being one, so the classifier should not escalate it alone.
    `joking`: the message marks itself as a joke ("lol", a laughing emoji), which makes a
    hyperbole-prone phrase likelier to be hyperbole.
    """

    match: RiskMatch | None
    cleared: bool
    joking: bool = False

    @property
    def gated(self) -> bool:
        """Whether the only risk found is a hyperbole-prone phrase the model must confirm."""
        return self.match is not None and self.match.gated


@dataclass(frozen=True)
class RiskMatch:
    """A risk phrase found in a message: which category, and which phrase from the data."""

    category: str
    phrase: str
    gated: bool = False  # a phrase people also use as hyperbole (content/risk_patterns.yml)

    @property
    def intent(self) -> str:
        """The Rasa intent this category escalates to."""
        return risk_intent(self.category)


def _unleet(word: str) -> str:
    """Digits and symbols standing for letters ("k1ll" -> "kill"), only inside words.

    A decade ("1980s") is left alone: the past-event phrases name it.
    """
    if word[:-1].isdigit():
        return word
    if any(c.isalpha() for c in word) and any(not c.isalpha() for c in word):
        return word.translate(LEET)
    return word


class RiskDetector:
    """Finds risk in a message. Build once (it compiles the patterns); `detect` is fast."""

    def __init__(self, patterns_path: Path = PATTERNS_PATH) -> None:
        data = yaml.safe_load(patterns_path.read_text(encoding="utf-8"))
        self.nlp = spacy.blank("en")
        self._matchers: dict[str, Matcher] = {}
        self._lengths: dict[str, int] = {}
        self._by_anchor: dict[str, list[str]] = defaultdict(list)
        self.word_lists: dict[str, list[str]] = data["words"]
        self.phrases: dict[str, tuple[str, str]] = {}
        self.vocabulary: set[str] = set()
        self._by_length: dict[int, list[str]] = {}
        self._correct = lru_cache(maxsize=SPELLING_CACHE_SIZE)(self._closest_word)
        for category, phrases in data["categories"].items():
            if category not in PRIORITY:
                raise ValueError(f"unknown risk category {category!r}: add it to PRIORITY")
            self._add(category, phrases)
        self._add(GUARD, data["guards"])
        self._add(PAST, data["past"]["phrases"])
        self.past_categories = frozenset(data["past"]["categories"])
        self.joke_categories = frozenset(data["jokes"]["categories"])
        self.joke_markers = frozenset(data["jokes"]["markers"])
        self.gated = frozenset(
            (category, phrase)
            for category, phrases in (data.get("model_gated") or {}).items()
            for phrase in phrases
        )
        unknown = self.gated - {phrase for phrase in self.phrases.values()}
        if unknown:
            raise ValueError(f"model_gated phrases not among the categories' phrases: {unknown}")
        # Sorted: a misspelling as close to two phrase words ("sleeping": "bleeding", "slapping")
        # must be read the same way in every process, whatever the string hash seed.
        for word in sorted(self.vocabulary):
            if len(word) >= FUZZY1_MIN_LENGTH:
                self._by_length.setdefault(len(word), []).append(word)

    # ------------------------------------------------------------------ building the matcher
    def _add(self, category: str, phrases: Iterable[str]) -> None:
        for index, phrase in enumerate(phrases):
            key = f"{category}:{index}"
            self.phrases[key] = (category, phrase)
            pattern = [self._token_pattern(part) for part in phrase.split()]
            matcher = Matcher(self.nlp.vocab)
            matcher.add(key, [pattern])
            self._matchers[key] = matcher
            self._lengths[key] = len(pattern)
            for word in _anchor(pattern):
                self._by_anchor[word].append(key)

    def _token_pattern(self, part: str) -> dict:
        """The spaCy token pattern for one word of a phrase (see content/risk_patterns.yml)."""
        optional = part.endswith("?") and len(part) > 1
        part = part.rstrip("?") if optional else part
        if part == "*":
            return {"OP": "?"}
        words = [
            word.lower()
            for alternative in part.split("|")
            for word in (
                self.word_lists[alternative[1:]] if alternative.startswith("@") else [alternative]
            )
        ]
        self.vocabulary.update(words)
        pattern: dict = {"LOWER": {"IN": sorted(set(words))}}
        if optional:
            pattern["OP"] = "?"
        return pattern

    def _closest_word(self, word: str) -> str:
        """The phrase word `word` is a misspelling of (FUZZY rules), or `word` itself."""
        best, best_distance = word, None
        for length in range(len(word) - 2, len(word) + 3):
            for candidate in self._by_length.get(length, ()):
                allowed = 2 if len(candidate) >= FUZZY2_MIN_LENGTH else 1
                distance = levenshtein(word, candidate, allowed)
                if distance <= allowed and (best_distance is None or distance < best_distance):
                    best, best_distance = candidate, distance
        return best

    # ------------------------------------------------------------------ normalising a message
    def normalise(self, text: str) -> str:
        """Lower-cases and cleans `text` so that the way people type matches the phrases.

        Plain quotes, no invisible characters, contractions and text-speak expanded,
        digits-for-letters undone, and letters repeated for emphasis reduced.
        """
        text = unicodedata.normalize("NFKC", text).translate(INVISIBLE).translate(QUOTES).lower()
        for pattern, replacement in CONTRACTIONS:
            text = pattern.sub(replacement, text)
        return WORD.sub(lambda m: self._normalise_word(m.group(0)), text)

    def _normalise_word(self, word: str) -> str:
        word = word.strip("'")
        if word in TEXT_SPEAK:
            return TEXT_SPEAK[word]
        word = _unleet(word)
        word = RUN_OF_3.sub(r"\1\1", word)  # "killlll" -> "kill", "helppp" -> "helpp"
        if word in self.vocabulary:
            return word
        single = REPEATS.sub(r"\1", word)  # "helpp" -> "help"
        if single in self.vocabulary:
            return single
        if word in TEXT_SPEAK:
            return TEXT_SPEAK[word]
        if len(word) >= FUZZY1_MIN_LENGTH:
            return self._correct(word)
        return word

    # ------------------------------------------------------------------ detecting
    def assess(self, text: str) -> Assessment:
        """The most urgent risk in `text` (or None), and whether anything cleared it."""
        found, cleared, joking = self._find(text)
        # A phrase that escalates on its own outranks a gated one of a more urgent category.
        match = min(found, key=lambda m: (m.gated, PRIORITY.index(m.category))) if found else None
        return Assessment(match, cleared, joking)

    def detect(self, text: str) -> RiskMatch | None:
        """The most urgent risk in `text`, or None when there is none."""
        return self.assess(text).match

    def _find(self, text: str) -> tuple[list[RiskMatch], bool, bool]:
        """Every risk phrase found, after guards and past-event phrases are applied.

        Also says whether any guard or past-event phrase matched, and whether it is a joke.
        """
        normalised = self.normalise(text)
        doc = self.nlp(normalised)
        found = [
            (self.phrases[key], first + start, first + end)
            for key, first, last in self._windows(doc)
            for _, start, end in self._matchers[key](doc[first:last])
        ]
        guards = [(start, end) for (category, _), start, end in found if category == GUARD]
        past_clauses = {
            _clause_of(doc, start) for (category, _), start, _ in found if category == PAST
        }
        joking = self.is_joking(text, normalised)
        results = []
        for (category, phrase), start, end in found:
            if category in (GUARD, PAST):
                continue
            if any(start < g_end and g_start < end for g_start, g_end in guards):
                continue
            if category in self.past_categories and _clause_of(doc, start) in past_clauses:
                continue
            if category in self.joke_categories and joking:
                continue
            results.append(RiskMatch(category, phrase, (category, phrase) in self.gated))
        return results, bool(guards or past_clauses or joking), joking

    def is_joking(self, text: str, normalised: str) -> bool:
        """Whether the message marks itself as a joke ("lol", a laughing emoji)."""
        return marks_a_joke(text, WORD.findall(normalised), self.joke_markers)

    def _windows(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(phrase, start, end) for each phrase whose anchor is in `doc`.

        The window is the stretch of tokens around its anchors where the whole phrase could fit.
        """
        windows: dict[str, tuple[int, int]] = {}
        for index, token in enumerate(doc):
            for key in self._by_anchor.get(token.lower_, ()):
                reach = self._lengths[key]
                start, end = max(0, index - reach), min(len(doc), index + reach + 1)
                if key in windows:
                    start, end = min(start, windows[key][0]), max(end, windows[key][1])
                windows[key] = (start, end)
        return [(key, start, end) for key, (start, end) in windows.items()]


def _anchor(pattern: list[dict]) -> list[str]:
    """The words of the phrase's rarest required token (stop words make a token common).

    A message without one of these words cannot match the phrase.
    """
    required = [token["LOWER"]["IN"] for token in pattern if "OP" not in token]
    if not required:
        raise ValueError(f"a risk phrase needs at least one required word: {pattern}")
    return min(required, key=lambda words: sum(1000 if w in STOP_WORDS else 1 for w in words))


def _clause_of(doc: Doc, index: int) -> int:
    """Which clause token `index` is in: clauses break at punctuation and "but"."""
    return sum(1 for token in doc[:index] if token.lower_ in CLAUSE_BREAKS)


@lru_cache(maxsize=1)
def default_detector() -> RiskDetector:
    """The detector over content/risk_patterns.yml, built once per process."""
    return RiskDetector()


def marks_a_joke(text: str, words: Iterable[str], markers: frozenset[str]) -> bool:
    """Whether a word is a laughing one among `markers`, or the text holds a laughing emoji.

    Shared by the English detector and the other languages' phrases.
    """
    return any(marker in text for marker in markers if not marker.isalpha()) or \
        any(word in markers for word in words)
