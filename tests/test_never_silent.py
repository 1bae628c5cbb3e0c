"""Every channel's handler is wrapped so a slow or failing answer still reaches the person."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Sanic

from channels.common import never_silent

APOLOGY_TEXT = "Sorry, I can't answer that right now. If you are in danger, call 999."


@pytest.fixture()
def running_assistant(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one Sanic app Rasa runs, as never_silent finds it, with the domain's apology."""
    domain = SimpleNamespace(responses={never_silent.APOLOGY: [{"text": APOLOGY_TEXT}]})
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(domain=domain)))
    monkeypatch.setattr(Sanic, "get_app", classmethod(lambda cls, *args, **kwargs: app))


def answer(handler: never_silent.OnNewMessage, within_s: float) -> tuple[list[dict], str]:
    output = CollectingOutputChannel()
    message = UserMessage("hello", output, "sender-hash", input_channel="web")
    asyncio.run(never_silent.never_silent(handler, within_s)(message))
    return output.messages, "\n".join(m.get("text", "") for m in output.messages)


def test_an_answer_slower_than_the_limit_is_the_apology_with_999(
        running_assistant: None, caplog: pytest.LogCaptureFixture) -> None:
    async def stuck(_: UserMessage) -> None:
        await asyncio.sleep(60)

    with caplog.at_level(logging.ERROR, logger=never_silent.__name__):
        _, text = answer(stuck, within_s=0.05)
    assert text == APOLOGY_TEXT and "999" in text
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("could not answer a web message within") and "hello" not in line


def test_a_failure_is_the_apology_and_the_log_names_only_the_error_type(
        running_assistant: None, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(message: UserMessage) -> None:
        raise KeyError(message.text)

    with caplog.at_level(logging.ERROR, logger=never_silent.__name__):
        _, text = answer(broken, within_s=5)
    assert text == APOLOGY_TEXT
    assert "hello" not in caplog.text and "KeyError" in caplog.text


def test_an_answer_in_time_is_passed_on_untouched(running_assistant: None) -> None:
    async def answers(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Here is help.")

    messages, text = answer(answers, within_s=5)
    assert text == "Here is help." and len(messages) == 1
