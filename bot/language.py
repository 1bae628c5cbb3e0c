"""Which language a message is in, and which one the conversation should go on in.

Why: a person who writes in Polish or Romanian must be answered in it, and short messages
("ok", "hi", "999") say nothing about their language, so the decision leans on the language
the conversation already has and changes only on clear evidence or when the person asks
("English please", "po polsku", SMS "LANG PL", Telegram "/language pl", the widget's menu).

The detector is lingua's, restricted to the languages in content/languages.yml; its models
ship inside the wheel, so nothing is downloaded at run time. No Rasa here:
bot/nlu/language_understanding.py runs it in the NLU pipeline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES_FILE = ROOT / "content" / "languages.yml"
ENGLISH = "en"
# The parse data's record of a message's language, the entity and the slot that remember it
# (set by bot/nlu/language_understanding.py, read by bot/nlu/risk_override.py).
LANGUAGE_KEY = "language"
# How sure the detector must be to change the conversation's language, by message length in
# words: one word says little ("ok" scores as Lithuanian), a sentence says a lot.
SWITCH_CONFIDENCE = ((1, 0.8), (3, 0.6), (10_000, 0.5))
MIN_LETTERS = 3
COMMAND = re.compile(r"^(?:/?lang(?:uage)?|jezyk|limba|kalba|idioma|lingua|dil)\s+(\w+)$")


@dataclass(frozen=True)
class Detection:
    """What one message says about its language.

    `clear`: sure enough to change the conversation's language; `asked`: the person asked for
    `language` in so many words.
    """

    language: str
    confidence: float
    clear: bool = False
    asked: bool = False


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: how phrases are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ł", "l").replace("ı", "i").replace("ß", "ss")
    return " ".join(re.sub(r"[^\w/]+", " ", text).split())


@lru_cache(maxsize=1)
def _languages_file() -> dict:
    return yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8"))


def languages() -> dict[str, dict]:
    """The supported languages (English first), from content/languages.yml."""
    return dict(_languages_file()["languages"])


@lru_cache(maxsize=1)
def switch_phrases() -> dict[str, str]:
    """Folded switch phrase -> language code."""
    return {fold(phrase): code for code, entry in languages().items()
            for phrase in entry.get("switch") or []}


@lru_cache(maxsize=1)
def _language_words() -> tuple[str, ...]:
    return tuple(str(word) for word in _languages_file().get("language_words") or ())


def mentions_a_language(text: str) -> bool:
    """Whether a word of the message starts like a language's name, "language" or "translate".

    Without one, a message cannot be a request to change language, whatever a classifier says.
    """
    return any(word.startswith(_language_words()) for word in fold(text).split())


def asked_for(text: str) -> str | None:
    """The language the message asks for in so many words, if it does."""
    folded = fold(text)
    command = COMMAND.match(folded)
    if command:
        wanted = command.group(1)
        if wanted in languages():
            return wanted
        return switch_phrases().get(wanted)
    return switch_phrases().get(folded.removesuffix(" please").strip()) \
        or switch_phrases().get(folded)


@lru_cache(maxsize=1)
def detector():  # noqa: ANN201 - lingua's type is a compiled class
    """Lingua's detector for the supported languages only, built once.

    Its models are loaded now (about 2 s and 250 MB here): loaded lazily, the first message
    waited up to 1.7 s for them, and every message needs all of them anyway.
    """
    from lingua import Language, LanguageDetectorBuilder

    chosen = [getattr(Language, entry["lingua"]) for entry in languages().values()]
    return LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models() \
        .build()


@lru_cache(maxsize=1)
def _codes_by_lingua() -> dict[str, str]:
    return {entry["lingua"]: code for code, entry in languages().items()}


def detect(text: str) -> tuple[str, float]:
    """The likeliest supported language of `text` and the detector's confidence in it."""
    values = detector().compute_language_confidence_values(text)
    if not values:
        return ENGLISH, 0.0
    best = values[0]
    return _codes_by_lingua()[best.language.name], float(best.value)


def detect_message(text: str) -> Detection:
    """The message's language, and whether it is clear enough to change the conversation's."""
    wanted = asked_for(text)
    if wanted:
        return Detection(wanted, 1.0, clear=True, asked=True)
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return Detection(ENGLISH, 0.0)
    code, confidence = detect(text)
    words = len(text.split())
    needed = next(bar for most, bar in SWITCH_CONFIDENCE if words <= most)
    return Detection(code, confidence, clear=confidence >= needed)


def decide(text: str, remembered: str | None) -> str:
    """The language to answer `text` in, given the conversation's language so far.

    What the `language` slot does with the entity bot/nlu/language_understanding.py sets: a clear
    message changes it, anything else keeps it.
    """
    detection = detect_message(text)
    if detection.clear:
        return detection.language
    return remembered if remembered in languages() else ENGLISH
