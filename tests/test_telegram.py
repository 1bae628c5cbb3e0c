"""The Telegram channel through a real Rasa server, talking to a Bot API stand-in on loopback."""

from __future__ import annotations

import pytest

from channels.telegram import split_text
from tests.support.telegram import CHAT_ID, SECRET, TOKEN, Telegram, chat, texts

pytestmark = pytest.mark.e2e


def test_a_message_is_answered_with_inline_buttons(telegram: Telegram) -> None:
    sent = telegram.say("hello", chat_id=chat())
    assert "call 999" in texts(sent)
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [
        "/audience_self", "/audience_other", "/worried_own_behaviour"]


def test_a_pressed_button_is_answered_and_sent_on_as_its_payload(telegram: Telegram) -> None:
    chat_id = chat()
    telegram.say("hello", chat_id=chat_id)
    sent = telegram.press("/audience_self", chat_id=chat_id)
    assert "Thank you for reaching out" in texts(sent)
    assert any(c.method == "answerCallbackQuery" for c in telegram.api.calls)


def test_callback_data_that_no_button_offers_is_ignored(telegram: Telegram) -> None:
    assert telegram.press("/risk_danger_now", chat_id=chat()) == []


def test_risk_is_escalated(telegram: Telegram) -> None:
    assert "Please call 999 now" in texts(telegram.say("hes got a knife", chat_id=chat()))


def test_start_gives_the_safety_note_then_the_greeting(telegram: Telegram) -> None:
    sent = texts(telegram.say("/start", chat_id=chat()))
    assert "/exit" in sent and "/forget" in sent and "Who are you asking for?" in sent


def test_help_and_exit_commands(telegram: Telegram) -> None:
    assert "call 999" in texts(telegram.say("/help", chat_id=chat()))
    assert "delete the chat" in texts(telegram.say("/exit@test_bot", chat_id=chat()))


def test_other_slash_text_is_read_as_words(telegram: Telegram) -> None:
    chat_id = chat()
    telegram.press("/audience_other", chat_id=chat_id)
    assert "Please call 999 now" not in texts(telegram.say("/risk_danger_now", chat_id=chat_id))
    assert telegram.say("/restart", chat_id=chat_id), "typed /restart must get an answer"
    # Had /restart restarted the conversation, who it is for would be asked again.
    assert "safe right now" in texts(telegram.say("i need help", chat_id=chat_id))


def test_forget_deletes_the_conversation_and_recent_messages(telegram: Telegram) -> None:
    chat_id = chat()
    telegram.press("/audience_self", chat_id=chat_id)
    telegram.say("what is clares law", chat_id=chat_id)
    sent = texts(telegram.say("/forget", chat_id=chat_id))
    deletes = [c.params for c in telegram.api.calls if c.method == "deleteMessages"
               and int(c.params["chat_id"]) == chat_id]
    assert deletes and len(deletes[0]["message_ids"]) >= 4  # user's and bot's messages
    assert "deleted" in sent and "delete the chat" in sent
    # The conversation is gone: who it is for is asked again.
    assert "Who is the help for?" in texts(telegram.say("i need help", chat_id=chat_id))


def test_forget_says_what_it_could_not_delete(telegram: Telegram) -> None:
    chat_id = chat()
    telegram.say("hello", chat_id=chat_id)
    telegram.api.fail_deletes = True
    try:
        assert "couldn't delete" in texts(telegram.say("/forget", chat_id=chat_id))
    finally:
        telegram.api.fail_deletes = False


@pytest.mark.parametrize("extra", [{"sticker": {"file_id": "s", "file_unique_id": "u",
                                                "width": 1, "height": 1, "is_animated": False,
                                                "is_video": False, "type": "regular"}},
                                   {"voice": {"file_id": "v", "file_unique_id": "u",
                                              "duration": 2}}])
def test_stickers_and_voice_notes_get_a_short_text(telegram: Telegram, extra: dict) -> None:
    assert "can only read text" in texts(telegram.say(None, chat_id=chat(), **extra))


def test_a_photo_caption_is_read_like_a_message(telegram: Telegram) -> None:
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    sent = texts(telegram.say(None, chat_id=chat(), photo=photo, caption="hes outside my door"))
    assert "Please call 999 now" in sent


def test_groups_channel_posts_edits_and_empty_updates_are_ignored(telegram: Telegram) -> None:
    group = -chat()
    assert telegram.say("hello", chat_id=group, chat_type="group") == []
    calls = len(telegram.api.calls)
    post = {"message_id": 1, "date": 0, "chat": {"id": group, "type": "channel"}, "text": "hi"}
    assert telegram.update(channel_post=post) == 200
    edited = {**post, "chat": {"id": chat(), "type": "private"}, "edit_date": 1}
    assert telegram.update(edited_message=edited) == 200
    assert telegram.update() == 200
    assert [c.method for c in telegram.api.calls[calls:]] == []


def test_wrong_or_missing_secret_is_refused_and_reaches_no_conversation(telegram: Telegram):
    chat_id = chat()
    assert telegram.say("hello", chat_id=chat_id, secret="wrong") == []
    assert telegram.say("hello", chat_id=chat_id, secret=None) == []
    assert telegram.update(secret="wrong", message={}) == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"update_id": "x"}', "application/json", 400),
        (b"update_id=1", "application/x-www-form-urlencoded", 415),
        (b'{"update_id": 1, "x": "' + b"a" * 2_000_000 + b'"}', "application/json", 413),
    ],
)
def test_bad_requests_get_a_4xx(telegram: Telegram, body: bytes, content_type: str,
                                status: int) -> None:
    assert telegram.post(body, content_type=content_type) == status


def test_no_chat_id_token_or_message_text_in_the_server_log(telegram: Telegram) -> None:
    telegram.say("my private worry about clares law")
    log = telegram.log.read_text(errors="replace")
    assert str(CHAT_ID) not in log and "private worry" not in log
    assert TOKEN not in log and SECRET not in log


def test_long_messages_are_split_under_telegrams_limit() -> None:
    text = ("A sentence of words. " * 300).strip()
    pieces = split_text(text, limit=4096)
    assert len(pieces) == 2 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text
