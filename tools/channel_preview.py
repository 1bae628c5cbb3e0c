"""What a person receives on each channel, for every answer and every flow ending.

Rasa picks a response's variant by output channel and by the conversation's slots (its
ResponseVariationFilter). The channel checks (tests/test_channel_content.py) and the reviewers'
SMS preview (docs/sms-preview.md) must see exactly what Rasa would send, so both come from here:
variants are chosen by Rasa's own filter, actions' answers go through Rasa's own code for
actions' responses, and SMS is cut by channels/sms/reply.py as the SMS channel cuts it.

    python -m tools.channel_preview > docs/sms-preview.md     (make sms-preview)
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot import directory
from channels.common.collector import ChannelCollector
from channels.sms import gsm7
from channels.sms.reply import SmsReply, format_reply

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_PATH = ROOT / "domain.yml"
RULES_PATH = ROOT / "data" / "rules.yml"
CHANNELS = ("web", "sms", "telegram")
# Moments the "is the line open now" answer is shown at (UK time): open, closed in the evening,
# at the weekend, and on a bank holiday (Easter Monday 2027).
MOMENTS = {
    "a weekday at 10am": datetime(2026, 12, 2, 10, tzinfo=directory.UK),
    "a Thursday at 6:30pm": datetime(2026, 12, 3, 18, 30, tzinfo=directory.UK),
    "a Saturday at 2am": datetime(2026, 12, 5, 2, tzinfo=directory.UK),
    "Easter Monday at 11am": datetime(2027, 3, 29, 11, tzinfo=directory.UK),
}
# Custom actions that speak. The others (resetting slots) say nothing.
SPEAKING_ACTIONS = ("action_list_services", "action_change_project_status",
                    "action_checklist_summary")
MAX_COMBINED_SLOTS = 2
PLACEHOLDER = re.compile(r"{(\w+)}")
OTHER = "__other__"  # the value Rasa adds to every categorical slot; no answer sets it

Message = dict[str, Any]


@cache
def domain() -> Domain:
    """The assistant's domain, read once."""
    return Domain.load(str(DOMAIN_PATH))


def responses() -> dict[str, list[dict[str, Any]]]:
    """Every response and its variants, as in domain.yml."""
    return domain().responses


def slot_cases(names: list[str], unset: bool = True) -> list[dict[str, Any]]:
    """Every combination of values (and unset, if `unset`) of the categorical `names` slots.

    A form's many answers of one kind (the checklist's five yes/no/sometimes) would give
    hundreds of combinations, and its answer only counts them: when the slots share their
    values and there are more than MAX_COMBINED_SLOTS, the cases are "the first k answered with
    the first value, the rest with the second", for every k.
    """
    slots = {slot.name: slot for slot in domain().slots}
    values = [[v for v in slots[name].values if v != OTHER] for name in names]
    same_kind = all(v == values[0] for v in values)
    if len(names) > MAX_COMBINED_SLOTS and same_kind:
        first, second = values[0][:2]
        return [dict(zip(names, [first] * k + [second] * (len(names) - k), strict=True))
                for k in range(len(names) + 1)]
    options = [[None, *v] if unset else v for v in values]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options)]


def condition_slots(name: str) -> list[str]:
    """The slots the variants of response `name` depend on."""
    # The `language` slot picks translations (bot/nlg/language_nlg.py), checked apart
    # (tests/test_languages.py): the preview is of the English answers.
    found = {c["name"] for v in responses()[name] for c in v.get("condition") or []
             if c["name"] != "language"}
    return sorted(found)


def variants_for(name: str, channel: str, slots: dict[str, Any]) -> list[Message]:
    """Every variant Rasa may send for response `name` on `channel`, filled in."""
    chosen = ResponseVariationFilter(responses()).responses_for_utter_action(
        name, channel, {k: v for k, v in slots.items() if v is not None})
    nlg = TemplatedNaturalLanguageGenerator(responses())
    return [nlg._fill_response(dict(v), slots) for v in chosen]


def sms(messages: list[Message]) -> SmsReply:
    """The texts an SMS user receives for `messages` (one turn), as channels/sms/ sends them."""
    return format_reply(messages)


def before_more(reply: SmsReply) -> str:
    """What the SMS user has read before texting MORE."""
    return "\n".join(reply.parts)


# ------------------------------------------------------------------ turns with custom actions
@dataclass(frozen=True)
class Turn:
    """The bot's side of a rule whose answer includes a custom action (e.g. a flow's ending)."""

    rule: str
    steps: tuple[str, ...]
    form_slots: tuple[str, ...]

    def slot_cases(self) -> list[dict[str, Any]]:
        """Who is asking (any audience), times the answers of a finished form (all given)."""
        whos = [{}] if "audience" in self.form_slots else slot_cases(["audience"])
        return [{**who, **answers} for who in whos
                for answers in slot_cases(list(self.form_slots), unset=False)]


def turns() -> list[Turn]:
    """Rules whose answer includes a speaking custom action, with the slots it depends on."""
    rules = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))["rules"]
    forms = domain().forms
    found = []
    for rule in rules:
        steps = tuple(s["action"] for s in rule["steps"] if "action" in s)
        speaking = tuple(s for s in steps if s.startswith("utter_") or s in SPEAKING_ACTIONS)
        if not any(s in SPEAKING_ACTIONS for s in speaking):
            continue
        loops = [c["active_loop"] for c in rule.get("condition", []) if "active_loop" in c]
        slots = [s for loop in loops for s in forms[loop]["required_slots"]]
        found.append(Turn(rule["rule"], speaking, tuple(slots)))
    return found


def _action(name: str, moment: datetime) -> actions.Action:
    if name == "action_change_project_status":
        return actions.ActionChangeProjectStatus(clock=lambda: moment)
    return {"action_list_services": actions.ActionListServices,
            "action_checklist_summary": actions.ActionChecklistSummary}[name]()


def _tracker(slots: dict[str, Any]) -> DialogueStateTracker:
    events = [SlotSet(k, v) for k, v in slots.items() if v is not None]
    return DialogueStateTracker.from_events("preview", events, slots=domain().slots)


def turn_messages(turn: Turn, channel: str, slots: dict[str, Any],
                  moment: datetime) -> list[list[Message]]:
    """Every way `turn` can be answered on `channel` (one list of messages per way)."""
    tracker = _tracker(slots)
    ways: list[list[Message]] = [[]]
    for step in turn.steps:
        if step.startswith("utter_"):
            options = variants_for(step, channel, slots)
        else:
            dispatcher = CollectingDispatcher()
            sdk_tracker = Tracker("preview", slots, {}, [], False, None, {}, "action_listen")
            asyncio.run(_action(step, moment).run(dispatcher, sdk_tracker, {}))
            uttered = asyncio.run(RemoteAction._utter_responses(
                dispatcher.messages, ChannelCollector(channel),
                TemplatedNaturalLanguageGenerator(responses()), tracker))
            options = [{"text": "\n\n".join(e.text or "" for e in uttered),
                        "buttons": [b for e in uttered for b in e.data.get("buttons") or []]}]
        ways = [[*way, option] for way in ways for option in options]
    return ways


def uses_clock(turn: Turn) -> bool:
    """Whether the turn's answer depends on the time of day."""
    return "action_change_project_status" in turn.steps


# ------------------------------------------------------------------ what each channel receives
@dataclass(frozen=True)
class Case:
    """One answer (a response, or a whole turn) in one situation, on every channel."""

    title: str
    situation: str
    by_channel: dict[str, list[list[Message]]]


def _situation(slots: dict[str, Any]) -> str:
    shown = [f"{k}={v}" for k, v in slots.items() if v is not None]
    return ", ".join(shown) if shown else "no slots set"


def filled_by_actions(name: str) -> bool:
    """Whether response `name` has blanks only code fills ({services}, {count}, {deleted})."""
    slot_names = {slot.name for slot in domain().slots}
    blanks = {b for v in responses()[name] for b in PLACEHOLDER.findall(v.get("text") or "")}
    return bool(blanks - slot_names)


def cases() -> Iterator[Case]:
    """Every response, and every turn with a custom action, in every slot situation.

    Responses with blanks that only code fills are shown within the turns of the actions that
    send them, or not at all (what the channels fill in themselves).
    """
    for name in responses():
        if filled_by_actions(name):
            continue
        for slots in slot_cases(condition_slots(name)):
            yield Case(name, _situation(slots),
                       {ch: [[v] for v in variants_for(name, ch, slots)] for ch in CHANNELS})
    for turn in turns():
        moments = MOMENTS if uses_clock(turn) else dict(itertools.islice(MOMENTS.items(), 1))
        for slots in turn.slot_cases():
            for when, moment in moments.items():
                situation = _situation(slots) + (f", at {when}" if uses_clock(turn) else "")
                yield Case(f"rule: {turn.rule}", situation,
                           {ch: turn_messages(turn, ch, slots, moment) for ch in CHANNELS})


# ------------------------------------------------------------------ docs/sms-preview.md
def preview() -> str:
    """docs/sms-preview.md: each distinct SMS rendering once, with the situations giving it."""
    lines = [
        "# What SMS users receive",
        "",
        "Generated by `make sms-preview` (`python -m tools.channel_preview`); do not edit.",
        "`tests/test_channel_content.py` fails when this file is out of date.",
        "",
        "Every response, and every rule whose answer includes a custom action (the flows'",
        "endings, the Change Project's opening hours), as the SMS channel sends it: at most",
        "three texts of 160 GSM-7 characters; the rest waits until the person texts MORE.",
        "Situations are the slot values the answer depends on; identical renderings are shown",
        "once.",
        "",
    ]
    seen: dict[str, list[str]] = {}
    rendered: dict[str, tuple[str, str]] = {}
    for case in cases():
        for messages in case.by_channel["sms"]:
            reply = sms(messages)
            key = f"{case.title}\x00" + "\x00".join(reply.parts) + "\x00" + reply.remainder
            seen.setdefault(key, []).append(case.situation)
            rendered[key] = (case.title, _block(reply))
    title_done = ""
    for key, situations in seen.items():
        title, block = rendered[key]
        if title != title_done:
            lines += [f"## {title}", ""]
            title_done = title
        shown = "; ".join(situations[:3])
        more = f" (and {len(situations) - 3} more)" if len(situations) > 3 else ""
        lines += [f"When: {shown}{more}", "", block, ""]
    return "\n".join(lines).rstrip() + "\n"


def _block(reply: SmsReply) -> str:
    out = []
    for n, part in enumerate(reply.parts, start=1):
        out.append(f"**Text {n}** ({gsm7.length(part)} characters)")
        out.append("")
        out += [f"> {line}" if line else ">" for line in part.splitlines()]
        out.append("")
    if reply.remainder:
        out.append("**After MORE:**")
        out.append("")
        out += [f"> {line}" if line else ">" for line in reply.remainder.splitlines()]
    return "\n".join(out).rstrip()


def main() -> None:
    print(preview(), end="")


if __name__ == "__main__":
    main()
