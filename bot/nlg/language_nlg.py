"""Rasa's response generator, choosing each answer's variant in the conversation's language.

Why not Rasa's conditional variants alone: Rasa picks at random among every conditional
variant whose conditions hold, so a Polish variant and the English one for `audience: other`
would both match a Polish speaker asking for someone else. Here a response's variants are
split first by language (a variant is in the language its `language` slot condition names, or
English), then Rasa's own filter (conditions, channel) chooses within the language.

An answer with no variant in the conversation's language is given in English, once a turn
preceded by `utter_not_translated` in the person's language (which says so and gives 999 and the
helpline). Named in endpoints*.yml as `nlg: type: bot.nlg.language_nlg.LanguageNLG`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlg.suggestions import with_suggestions

SLOT = "language"
ENGLISH = "en"
NOT_TRANSLATED = "utter_not_translated"


def variant_language(variant: dict[str, Any]) -> str:
    """The language a response variant is written in: its `language` condition, or English."""
    for condition in variant.get("condition") or []:
        if condition.get("name") == SLOT:
            return str(condition.get("value"))
    return ENGLISH


class LanguageNLG(TemplatedNaturalLanguageGenerator):
    """Answers in the `language` slot's language when the response has it, else in English."""

    def __init__(self, endpoint_config: EndpointConfig | None = None,
                 domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(self, utter_action: str, tracker: DialogueStateTracker,
                       output_channel: str,
                       **kwargs: Any) -> dict[str, Any] | None:  # noqa: ANN401
        slots = tracker.current_slot_values()
        response = self.generate_from_slots(utter_action, slots, output_channel, **kwargs)
        code = slots.get(SLOT) or ENGLISH
        if response is not None:
            response = with_suggestions(response, tracker.latest_message.parse_data)
        if (response is None or code == ENGLISH or utter_action == NOT_TRANSLATED
                or self.has_language(utter_action, code)):
            return response
        note = self._choose(NOT_TRANSLATED, output_channel, slots, code)
        if note is None or _said_this_turn(tracker, note.get("text") or ""):
            return response
        response["text"] = f"{note['text']}\n\n{response.get('text') or ''}".strip()
        return response

    def has_language(self, utter_action: str, code: str) -> bool:
        return any(variant_language(v) == code for v in self.responses.get(utter_action, []))

    def _random_response_for(self, utter_action: str, output_channel: str,
                             filled_slots: dict[str, Any]) -> dict[str, Any] | None:
        code = filled_slots.get(SLOT) or ENGLISH
        if not self.has_language(utter_action, code):
            code = ENGLISH
        return self._choose(utter_action, output_channel, filled_slots, code)

    def _choose(self, utter_action: str, output_channel: str, filled_slots: dict[str, Any],
                code: str) -> dict[str, Any] | None:
        """Rasa's choice among the response's variants in language `code`."""
        variants = [v for v in self.responses.get(utter_action, [])
                    if variant_language(v) == code]
        suitable = ResponseVariationFilter({utter_action: variants}).responses_for_utter_action(
            utter_action, output_channel, filled_slots)
        if not suitable:
            return None
        if code == ENGLISH:  # Rasa's own choice, unchanged
            return copy.deepcopy(np.random.choice(suitable))
        # The most specific: Polish for someone worried about their own behaviour over Polish.
        most = max(len(v.get("condition") or []) for v in suitable)
        suitable = [v for v in suitable if len(v.get("condition") or []) == most]
        return copy.deepcopy(np.random.choice(suitable))


def _said_this_turn(tracker: DialogueStateTracker, text: str) -> bool:
    """Whether a message the assistant sent since the person's last one starts with `text`."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.text or "").startswith(text):
            return True
    return False
