"""Custom actions: only what a domain response cannot do on its own.

Everything safety-critical (risk escalation, the 999 line) is a domain response, so it still
arrives when this server is down. These actions add what needs logic: services by need, whether
a line is open right now, the checklist summary, and clearing a flow's answers before it starts.
What they say around that logic (the 999 line, the out-of-hours help) is a domain response too,
so it has channel variants and the number checks cover it.
"""

from __future__ import annotations

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
        return []


class ActionResetFlowSlots(Action):
    """Clears every flow's answers, so a flow started again asks its questions again."""

    def name(self) -> str:
        return "action_reset_flow_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet(slot, None) for slot in FLOW_SLOTS]
