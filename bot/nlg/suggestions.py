"""Topics to offer as buttons when the assistant is not sure what was asked.

Why: the fallback alone is a dead end for someone who asked a real question in words the
classifier half-knows ("where can i go tonight with the kids" scoring just under the fallback
threshold for somewhere safe to stay); its likeliest topics, one tap away, are often the answer.
The titles and limits are content (content/suggestions.yml); the ranking is the classifier's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SUGGESTIONS_FILE = Path(__file__).resolve().parents[2] / "content" / "suggestions.yml"
# A response variant with this metadata flag gets the suggestions before its own buttons.
METADATA_FLAG = "suggest_topics"


@dataclass(frozen=True)
class Suggestions:
    """Button titles by intent, and how many and how likely the offered ones must be."""

    titles: dict[str, str]
    most: int
    min_confidence: float

    def buttons(self, ranking: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
        """The likeliest titled intents of a parse's `intent_ranking`, as buttons."""
        buttons = []
        for entry in ranking:
            name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
            if confidence < self.min_confidence or len(buttons) == self.most:
                break
            if name in self.titles:
                buttons.append({"title": self.titles[name], "payload": f"/{name}"})
        return buttons


@lru_cache(maxsize=1)
def load_suggestions(path: Path = SUGGESTIONS_FILE) -> Suggestions:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Suggestions(titles={str(k): str(v) for k, v in data["titles"].items()},
                       most=int(data["most"]), min_confidence=float(data["min_confidence"]))


def with_suggestions(response: dict[str, Any], parse_data: dict[str, Any]) -> dict[str, Any]:
    """`response` with the parse's likeliest topics first among its buttons, if it asks."""
    if not (response.get("metadata") or {}).get(METADATA_FLAG):
        return response
    suggested = load_suggestions().buttons(parse_data.get("intent_ranking") or [])
    return {**response, "buttons": [*suggested, *(response.get("buttons") or [])]}
