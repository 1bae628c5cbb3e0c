"""Custom actions: only what a domain response cannot do on its own.

Everything safety-critical (risk escalation, the 999 line) is a domain response, so it still
arrives when this server is down. These actions add what needs logic: services by need, whether
a line is open right now, the checklist summary, and clearing a flow's answers before it starts.
What they say around that logic (the 999 line, the out-of-hours help) is a domain response too,
so it has channel variants and the number checks cover it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import directory

Clock = Callable[[], datetime]

CHECKLIST_SLOTS = ("cc_phone", "cc_isolate", "cc_money", "cc_rules", "cc_afraid")
REFLECT_SLOTS = ("rf_fear", "rf_control", "rf_anger")
FLOW_SLOTS = ("safe_now", "help_kind", *CHECKLIST_SLOTS, *REFLECT_SLOTS)


def uk_now() -> datetime:
    """The current time in UK local time."""
    return datetime.now(directory.UK)


class ActionChangeProjectStatus(Action):
    """Says whether the Change Project line is open right now and, if not, what else is."""

    def __init__(self, clock: Clock = uk_now) -> None:
        self.clock = clock

    def name(self) -> str:
        return "action_change_project_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        now = self.clock()
        change = directory.get("change_project")
        respect = directory.get("respect_phoneline")
        status = directory.opening_status(change, now)
        if change.is_open(now):
            dispatcher.utter_message(response="utter_line_status", status=status)
        elif respect.is_open(now):
            dispatcher.utter_message(response="utter_line_status_respect_open", status=status,
                                     respect=directory.opening_status(respect, now))
        else:
            dispatcher.utter_message(response="utter_line_status_all_closed", status=status)
        return []


class ActionListServices(Action):
    """Ends the "get help" flow with the services that fit who it is for and what they chose."""

    def name(self) -> str:
        return "action_list_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        audience = tracker.get_slot("audience") or "self"
        services = directory.help_list(audience, tracker.get_slot("help_kind") or "talk")
        listing = "\n".join(f"- {service.line()}" for service in services)
        dispatcher.utter_message(response="utter_services_list", services=listing)
        return []


class ActionChecklistSummary(Action):
    """Counts the "yes" and "sometimes" answers of the checklist and answers with help."""

    def name(self) -> str:
        return "action_checklist_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        count = sum(tracker.get_slot(slot) in ("yes", "sometimes") for slot in CHECKLIST_SLOTS)
        if count:
            dispatcher.utter_message(response="utter_checklist_some_signs", count=count)
        else:
            dispatcher.utter_message(response="utter_checklist_no_signs")
        if tracker.get_slot("cc_afraid") == "yes":  # the ending reflects the answers given
            dispatcher.utter_message(response="utter_checklist_afraid")
        return []


class ActionResetFlowSlots(Action):
    """Clears every flow's answers, so a flow started again asks its questions again."""

    def name(self) -> str:
        return "action_reset_flow_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet(slot, None) for slot in FLOW_SLOTS]


# An age in the person's words: "im 15", "i'm 16 if that matters", "she's 16", "he is 14",
# "my 13 yr old", "(14)", "aged 17", "15 years old", "I'm 78". An image taken "when i was 16"
# counts as under 18 whatever the person's age now (StopNCII is only for images of adults).
_AGE_PATTERNS = (
    re.compile(r"\bwhen (?:i|she|he|they) (?:was|were) (\d{1,2})\b"),
    re.compile(r"\b(?:i'?m|i am|im|she'?s|she is|he'?s|he is|they'?re|they are|"
               r"i'?ve just turned|i just turned|turned|aged?)\s+(?:only\s+|just\s+)?"
               r"(\d{1,2})\b(?!\s*(?:%|pounds|quid|mins?|minutes|hours?|times|weeks|months|"
               r"days|miles|k\b))"),
    re.compile(r"\b(\d{1,2})\s*(?:yrs?|years?|yo\b|y/o)"),
    re.compile(r"\((\d{1,2})\)"),
    re.compile(r"^\s*(\d{1,2})\s*$"),
)
OLDER_FROM = 65


def age_group_of(text: str) -> str | None:
    """under_18, adult or older for the first age the text gives, or None when it gives none."""
    lowered = text.lower().replace("\u2019", "'")
    for pattern in _AGE_PATTERNS:
        match = pattern.search(lowered)
        if match:
            age = int(match.group(1))
            if pattern is _AGE_PATTERNS[0] and age < 18:
                return "under_18"
            if age < 10 and pattern is not _AGE_PATTERNS[0]:
                continue  # "i'm 5 minutes away" slips through rarely; ages under 10 don't type here
            if age < 18:
                return "under_18"
            return "older" if age >= OLDER_FROM else "adult"
    return None


class ActionExtractAgeGroup(Action):
    """Fills the age_group slot from an age in the message (a custom slot mapping)."""

    def name(self) -> str:
        return "action_extract_age_group"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        group = age_group_of(tracker.latest_message.get("text") or "")
        return [SlotSet("age_group", group)] if group else []
