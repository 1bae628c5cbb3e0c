"""Every answer works on every channel: what SMS and Telegram users really receive.

Variants are chosen by Rasa's own filter and SMS is cut by channels/sms/reply.py (through
tools/channel_preview.py), for every response and every rule answered by a custom action, in
every slot situation the answers depend on.
"""

from __future__ import annotations

import re

import pytest

from bot import directory
from tests.support import ROOT
from tools import channel_preview as preview

PREVIEW = ROOT / "docs" / "sms-preview.md"
DIGIT_RUN = re.compile(r"(?<![\w.])\d+(?: \d+)*(?![\w])")
# Instructions that only work on the website: its Exit button and the Escape key.
WEB_ONLY = re.compile(r"Exit now|\bEscape\b|\bpress\w*\b[^.\n]*\bbutton", re.IGNORECASE)
KNOWN = {v.replace(" ", "") for s in directory.load_directory().values()
         for v in (s.number, s.extension) if v}
CASES = list(preview.cases())


def contact_numbers(text: str) -> set[str]:
    """Phone numbers, text numbers and 999 in `text`, as written."""
    return {run for run in DIGIT_RUN.findall(text) if run.replace(" ", "") in KNOWN}


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def case_id(case: preview.Case) -> str:
    return f"{case.title} [{case.situation}]"


def test_every_response_and_action_turn_is_covered() -> None:
    titles = {case.title for case in CASES}
    code = "".join(p.read_text(encoding="utf-8") for p in
                   [ROOT / "actions" / "actions.py", *(ROOT / "channels").rglob("*.py")])
    for name in preview.responses():
        assert name in titles or (preview.filled_by_actions(name) and f'"{name}"' in code), name
    assert {"rule: finish reflect with the Change Project",
            "rule: finish get help with services for that need"} <= titles


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sms_user_gets_every_number_of_the_web_answer_before_more(case: preview.Case) -> None:
    for web in case.by_channel["web"]:
        wanted = contact_numbers(text_of(web))
        for messages in case.by_channel["sms"]:
            received = preview.before_more(preview.sms(messages))
            missing = {n for n in wanted if n not in received}
            assert not missing, f"held back until MORE or left out on SMS: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_web_only_instruction_reaches_sms_or_telegram(case: preview.Case) -> None:
    for channel in ("sms", "telegram"):
        for messages in case.by_channel[channel]:
            found = WEB_ONLY.search(text_of(messages))
            assert not found, f"{channel} is told {found.group(0)!r}"


def test_the_checks_catch_what_they_are_for() -> None:
    """A number held back behind MORE, and "press Exit now", are what the checks look for."""
    long_answer = [{"text": "Some words here. " * 40 + "Call 0808 2000 247."}]
    assert "0808 2000 247" not in preview.before_more(preview.sms(long_answer))
    assert "0808 2000 247" in contact_numbers(text_of(long_answer))
    assert WEB_ONLY.search('Press "Exit now" or the Escape key.')
    assert not WEB_ONLY.search("Send /forget, then delete the chat.")


@pytest.mark.parametrize("name", [n for n in preview.responses() if n.startswith("utter_risk_")])
@pytest.mark.parametrize("audience", [None, "self", "other", "own_behaviour"])
def test_every_risk_answer_on_sms_starts_with_999_in_its_first_text(name: str,
                                                                   audience: str | None) -> None:
    for variant in preview.variants_for(name, "sms", {"audience": audience}):
        first = preview.sms([variant]).parts[0]
        assert first.startswith("999"), first


@pytest.mark.parametrize("channel", preview.CHANNELS)
def test_danger_now_from_someone_worried_about_their_behaviour_gets_the_danger_from_me_help(
        channel: str) -> None:
    for variant in preview.variants_for("utter_risk_danger_now", channel,
                                        {"audience": "own_behaviour"}):
        text = variant["text"]
        assert "07841 999342" in text and "0808 802 4040" in text  # Change Project, Respect
        assert "press 55" not in text  # the victim's silent-call advice is not for them
        assert text.index("999") < text.index("07841")


@pytest.mark.parametrize("channel", preview.CHANNELS)
def test_high_risk_answer_for_someone_worried_about_their_behaviour_is_not_the_victims(
        channel: str) -> None:
    for variant in preview.variants_for("utter_risk_high_indicator", channel,
                                        {"audience": "own_behaviour"}):
        assert "07841 999342" in variant["text"]
        assert "stay safe" not in variant["text"]


def test_sms_greeting_leads_with_999_and_does_not_name_abuse_on_the_lock_screen() -> None:
    for variant in preview.variants_for("utter_greet", "sms", {}):
        first = preview.sms([variant]).parts[0]
        assert first.startswith("999")
        assert "abuse" not in first[:40].lower() and "domestic" not in first[:40].lower()


def test_reflect_ending_on_sms_gives_the_change_project_number_in_the_first_text() -> None:
    turn = next(t for t in preview.turns() if t.rule == "finish reflect with the Change Project")
    for moment in preview.MOMENTS.values():
        for messages in preview.turn_messages(turn, "sms", {"audience": "own_behaviour"},
                                              moment):
            assert "07841 999342" in preview.sms(messages).parts[0]


def test_nobody_is_promised_confidentiality() -> None:
    for case in CASES:
        for channel in preview.CHANNELS:
            for messages in case.by_channel[channel]:
                assert "stays between us" not in text_of(messages).lower(), case_id(case)


def test_sms_preview_is_up_to_date() -> None:
    assert PREVIEW.read_text(encoding="utf-8") == preview.preview(), (
        "docs/sms-preview.md is out of date: run `make sms-preview`")
