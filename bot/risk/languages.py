"""Risk phrases in the languages besides English: the floor under the multilingual model.

As content/risk_patterns.yml is under the English one.
Why regular expressions and not spaCy's Matcher (bot/risk/detector.py): the phrases are few, the
languages inflect heavily (a pattern names the forms), and the message is folded first (lower
case, no accents: bot/language.py), so people who type without Polish or Romanian letters match
too. The phrases live in content/risk_patterns_languages.yml.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.language import fold
from bot.risk.detector import PRIORITY, marks_a_joke

PATTERNS_FILE = Path(__file__).resolve().parents[2] / "content" / "risk_patterns_languages.yml"


class LanguagePatterns:
    """One compiled expression per language and category.

    A message that marks itself as a joke ("... onu öldüreceğim haha", "ahah", "kkk", a laughing
    emoji) escapes the phrases of the `joke_categories`, as in the English detector; the risk
    head still reads it, and a child or sexual violence phrase still escalates.
    """

    def __init__(self, phrases: dict[str, dict[str, list[str]]],
                 joke_categories: frozenset[str] = frozenset(),
                 joke_markers: frozenset[str] = frozenset()) -> None:
        self.joke_categories = joke_categories
        self.joke_markers = joke_markers
        self.expressions: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for language, categories in phrases.items():
            unknown = set(categories) - set(PRIORITY)
            if unknown:
                raise ValueError(f"{language}: unknown risk categories {sorted(unknown)}")
            self.expressions[language] = [
                (category, re.compile(r"(?<!\w)(?:" + "|".join(
                    p.replace("-", " ") for p in categories[category]) + r")(?!\w)"))
                for category in PRIORITY if categories.get(category)
            ]

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE) -> LanguagePatterns:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        jokes = data.pop("jokes", None) or {}
        return cls({code: value for code, value in data.items() if isinstance(value, dict)},
                   frozenset(jokes.get("categories") or ()),
                   frozenset(str(marker) for marker in jokes.get("markers") or ()))

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.expressions)

    def match(self, text: str, language: str) -> str | None:
        """The most urgent category whose phrase the message contains, in `language`."""
        folded = fold(text)
        joking = self.is_joking(text, folded)
        for category, expression in self.expressions.get(language, []):
            if expression.search(folded) and not (joking and category in self.joke_categories):
                return category
        return None

    def is_joking(self, text: str, folded: str) -> bool:
        """Whether the message marks itself as a joke (a laughing word or emoji)."""
        return marks_a_joke(text, folded.split(), self.joke_markers)


@lru_cache(maxsize=1)
def default_patterns() -> LanguagePatterns:
    return LanguagePatterns.from_file()
