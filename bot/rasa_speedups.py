"""Two per-message costs in Rasa 3.6 that do the same work every time, done once instead.

Found with `python -m bench.profile` (docs/benchmarks.md, "Where the time goes"):

- Every answer from the action server is checked against Rasa's response schema with
  `jsonschema.validate`, which first checks the *schema itself* against the JSON Schema
  meta-schema, then builds a fresh validator: about 40 ms for each custom action here, more than
  the rest of the turn. And the schema says each event is "one of" 23 kinds, each kind fixing
  the `event` name with `const`, so every event was checked against all 23 (7 ms for the ten
  events of a form reset). We check the schema once, keep the validators, and check each event
  against the one kind its name can match: the only one that can pass, so the same answers pass
  and the same fail (tests/test_rasa_speedups.py holds this against Rasa's own check).
- Every stored event is turned back into an object by looking its type up among all of `Event`'s
  subclasses, found by walking the class tree again for each event. We keep the name-to-class
  table, and walk the tree again only for a name it does not know (a class imported later).

Both replace a Rasa method with one that gives the same results; `install()` is idempotent and
is called when bot.intent_classifier is imported, which every Rasa server serving this
assistant does (it is in the pipeline) and the action server does not.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

DOCS_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    "Action endpoint is valid. For more information about the format visit "
)


class ActionResultValidator:
    """Rasa's action-response schema, checked once, with each event checked against its kind."""

    def __init__(self) -> None:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        outer = copy.deepcopy(schema)
        kinds = outer["properties"]["events"]["items"].pop("oneOf")
        self.kinds = {kind["properties"]["event"]["const"]: cls(kind) for kind in kinds}
        if len(self.kinds) != len(kinds):
            raise ValueError("Rasa's event kinds are no longer told apart by name")
        self.outer = cls(outer)

    def validate(self, result: dict[str, Any]) -> None:
        """Raises jsonschema.ValidationError exactly when Rasa's schema rejects `result`."""
        self.outer.validate(result)  # all but the kinds: now events are objects with a name
        for event in result.get("events") or []:
            kind = self.kinds.get(event["event"])
            if kind is None:
                raise ValidationError(f"{event['event']!r} is not one of Rasa's event kinds")
            kind.validate(event)


@lru_cache(maxsize=1)
def action_result_validator() -> ActionResultValidator:
    """Built once a process (install() builds it, so a change in Rasa fails at start-up)."""
    return ActionResultValidator()


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validators built once."""
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_result_validator().validate(result)
    except ValidationError as error:
        error.message += f"{DOCS_HINT}{DOCS_BASE_URL}/custom-actions"
        raise
    return True


_event_classes: dict[str, type[Event]] = {}


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type with the table of event classes kept between calls."""
    if type_name not in _event_classes:
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
    if type_name in _event_classes:
        return _event_classes[type_name]
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    """Puts both in place (safe to call more than once)."""
    action_result_validator()
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
