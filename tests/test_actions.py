"""The custom actions, run with Rasa SDK's CollectingDispatcher and real Trackers."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot import directory


def tracker(**slots: Any) -> Tracker:
    """A real Tracker at the end of a flow, holding `slots`."""
    return Tracker(
        sender_id="test", slots=slots,
        latest_message={"intent": {"name": "affirm", "confidence": 1.0}, "text": "yes"},
        events=[], paused=False, followup_action=None, active_loop={},
        latest_action_name="action_listen",
    )


def run(action: Action, **slots: Any) -> tuple[list[dict], list[dict]]:
    """Runs `action` and returns (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(**slots), {}))
    return dispatcher.messages, events


def said(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def clock(year: int, month: int, day: int, hour: int, minute: int = 0) -> actions.Clock:
    return lambda: datetime(year, month, day, hour, minute, tzinfo=directory.UK)


def test_change_project_open_on_a_weekday_is_only_usually_open_while_unverified() -> None:
    messages, _ = run(actions.ActionChangeProjectStatus(clock(2026, 11, 23, 10)))
    assert messages[0]["response"] == "utter_line_status"
    assert "The Change Project support line is usually open at this time" in messages[0]["status"]


def test_change_project_closed_on_thursday_evening_points_to_respect_while_it_is_open() -> None:
    messages, _ = run(actions.ActionChangeProjectStatus(clock(2026, 11, 26, 18, 30)))
    assert messages[0]["response"] == "utter_line_status_respect_open"
    assert "usually opens tomorrow at 9am" in messages[0]["status"]
    assert "Respect Phoneline is usually open at this time" in messages[0]["respect"]


def test_change_project_closed_at_the_weekend_offers_samaritans() -> None:
    messages, _ = run(actions.ActionChangeProjectStatus(clock(2026, 11, 21, 2)))  # Saturday 2am
    assert messages[0]["response"] == "utter_line_status_all_closed"  # Respect is closed too
    assert "opens on Monday at 9am" in messages[0]["status"]


def test_on_easter_monday_no_line_is_said_to_be_open() -> None:
    messages, _ = run(actions.ActionChangeProjectStatus(clock(2027, 3, 29, 11)))
    assert messages[0]["response"] == "utter_line_status_all_closed"
    assert "bank holiday" in messages[0]["status"]
    assert "opens again tomorrow at 9am" in messages[0]["status"]


def listed(**slots: Any) -> str:
    messages, _ = run(actions.ActionListServices(), **slots)
    assert messages[0]["response"] == "utter_services_list"
    return messages[0]["services"]


def test_get_help_for_own_behaviour_lists_the_change_project() -> None:
    text = listed(audience="own_behaviour", help_kind="talk")
    assert "07841 999342" in text and "0808 802 4040" in text
    assert "0330 333 7444" not in text  # victims' services are not what they asked for


def test_get_help_for_myself_to_report_lists_police_routes() -> None:
    text = listed(audience="self", help_kind="report")
    assert "0800 358 0351" in text
    assert "101, extension 180340" in text
    assert text.count("180340") == 1  # the name no longer repeats the number
    assert "Compass" in text  # still offered: they are a victim


def test_get_help_to_talk_puts_helplines_first_and_no_police_number() -> None:
    text = listed(audience="self", help_kind="talk")
    assert text.startswith("- National Domestic Abuse Helpline")
    assert "0800 358 0351" not in text and "101" not in text


def test_get_help_for_a_friend_to_talk_lists_the_national_helpline() -> None:
    assert "0808 2000 247" in listed(audience="other", help_kind="talk")


def test_websites_in_the_list_come_with_their_address() -> None:
    assert "Essex Victims Gateway: https://www.essexvictimsgateway.org" in listed(
        audience="self", help_kind="local")


def test_checklist_counts_yes_and_sometimes() -> None:
    messages, _ = run(
        actions.ActionChecklistSummary(),
        cc_phone="yes", cc_isolate="sometimes", cc_money="no", cc_rules="no", cc_afraid="yes",
    )
    assert messages[0]["response"] == "utter_checklist_some_signs"
    assert messages[0]["count"] == 3
    assert messages[1]["response"] == "utter_checklist_afraid"  # they said they are afraid


def test_checklist_all_no_gets_the_gentle_answer() -> None:
    slots = {slot: "no" for slot in actions.CHECKLIST_SLOTS}
    messages, _ = run(actions.ActionChecklistSummary(), **slots)
    assert messages[0]["response"] == "utter_checklist_no_signs"
    assert len(messages) == 1


def test_reset_clears_every_flow_answer_but_not_who_it_is_for() -> None:
    _, events = run(actions.ActionResetFlowSlots(), audience="self", cc_phone="yes")
    cleared = {event["name"] for event in events if event == SlotSet(event["name"], None)}
    assert cleared == set(actions.FLOW_SLOTS)
    assert "audience" not in cleared


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("im 15", "under_18"),
        ("i'm 16 if that matters", "under_18"),
        ("my 13 yr old daughter", "under_18"),
        ("my little brother (14) is scared", "under_18"),
        ("i'm 20 now but the video is from when i was 16", "under_18"),
        ("I'm 34", "adult"),
        ("im 19 and still live at home", "adult"),
        ("I'm 81 and I don't want him in trouble", "older"),
        ("we've been together 3 yrs", None),
        ("i'm sure", None),
        ("hello", None),
    ],
)
def test_age_group_is_read_from_the_message(text: str, group: str | None) -> None:
    assert actions.age_group_of(text) == group
