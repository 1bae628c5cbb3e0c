"""The SMS channel through a real Rasa server, with requests signed as Twilio signs them."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from twilio.request_validator import RequestValidator

from channels.sms import gsm7
from tests.support.sms import NUMBER, PUBLIC_URL, TOKEN, Sms, new_number

pytestmark = pytest.mark.e2e


def assert_fits_sms(parts: list[str]) -> None:
    assert 1 <= len(parts) <= 3
    for part in parts:
        assert gsm7.is_gsm7(part), part
        assert gsm7.length(part) <= gsm7.SINGLE_SMS, part


def test_greeting_offers_numbered_options_and_a_number_picks_one(sms: Sms) -> None:
    number = new_number()
    greeting = sms.texts("hello", number)
    assert_fits_sms(greeting)
    options = "Reply 1 for For me, 2 for For someone else, 3 for About my own behaviour."
    assert options in greeting[-1]
    assert "Thank you for reaching out" in " ".join(sms.texts("1", number))


def test_risk_reply_starts_with_999_in_the_first_text(sms: Sms) -> None:
    parts = sms.texts("hes outside my door and hes drunk", new_number())
    assert_fits_sms(parts)
    assert parts[0].startswith("999")
    assert "press 55" in parts[0]


def test_long_answers_fit_three_texts_and_more_sends_the_rest(sms: Sms) -> None:
    number = new_number()
    first = sms.texts("how do i plan to leave him safely", number)
    assert_fits_sms(first)
    assert first[-1].endswith("Text MORE for the rest.")
    rest = " ".join(sms.texts("MORE", number))
    assert "Don't delay leaving to look for documents" in rest  # the end is not lost


def test_answers_give_their_numbers_before_more(sms: Sms) -> None:
    first = " ".join(sms.texts("what is coercive control", new_number()))
    assert "0808 2000 247" in first


def test_stop_silences_the_service_until_start(sms: Sms) -> None:
    number = new_number()
    stopped = sms.texts("STOP", number)[0]
    assert "won't get any more messages" in stopped
    assert "START" in stopped and "999" in stopped  # how to come back, and where help is
    assert sms.texts("hello", number) == []  # nothing is sent to someone who opted out
    assert "Welcome back" in sms.texts("start", number)[0]
    assert sms.texts("hello", number)


def test_forget_deletes_the_conversation_at_once(sms: Sms) -> None:
    number = new_number()
    assert "Who is the help for?" in " ".join(sms.texts("i need help", number))
    forgotten = sms.texts("FORGET", number)
    assert_fits_sms(forgotten)
    assert "Deleted from this service" in forgotten[0] and "999" in forgotten[0]
    # The flow is gone with the conversation: "1" no longer answers its question.
    assert "safe right now" not in " ".join(sms.texts("1", number))
    sms.texts("i need help", number)
    assert "safe right now" in " ".join(sms.texts("1", number))  # as it would have


def test_opt_out_list_keeps_no_phone_numbers(sms: Sms) -> None:
    number = new_number()
    sms.texts("STOP", number)
    stored = sms.optout_db.read_bytes()
    assert number.encode() not in stored and number[1:].encode() not in stored


def test_help_means_someone_may_need_help(sms: Sms) -> None:
    reply = " ".join(sms.texts("HELP", new_number()))
    assert "999" in reply and "You can ask me about" in reply


def test_picture_only_and_empty_messages_get_a_polite_answer(sms: Sms) -> None:
    status, xml = sms.send("", media=1)
    assert status == 200 and "can only read text messages" in xml
    assert "can only read text messages" in sms.texts("   ")[0]


def test_typed_slash_commands_are_words(sms: Sms) -> None:
    assert sms.texts("/risk_danger_now", new_number())[0].startswith("Sorry")


def test_missing_or_forged_signature_is_refused_and_reaches_no_conversation(sms: Sms) -> None:
    number = new_number()
    assert sms.send("hello", number, signature="")[0] == 403
    assert sms.send("hello", number, signature="forged")[0] == 403
    # Had the forged "hello" reached the conversation, "1" would pick its first option.
    assert "Thank you for reaching out" not in " ".join(sms.texts("1", number))


def test_a_signature_for_another_url_is_refused(sms: Sms) -> None:
    params = {"From": NUMBER, "Body": "hello"}
    signature = RequestValidator(TOKEN).compute_signature("https://evil.example/x", params)
    status, _ = sms.post(urllib.parse.urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert status == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"From": "+44", "Body": "hi"}', "application/json", 415),
        (b"Body=" + b"a" * 20_000, "application/x-www-form-urlencoded", 413),
        (b"From=%2B44&Body=\xff\xfe", "application/x-www-form-urlencoded", 400),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason(sms: Sms, body: bytes, content_type: str,
                                              status: int) -> None:
    code, text = sms.post(body, {"Content-Type": content_type, "X-Twilio-Signature": "x"})
    assert code == status and "error" in text


def test_a_signed_request_without_a_sender_is_refused(sms: Sms) -> None:
    params = {"Body": "hello"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
    status, _ = sms.post(urllib.parse.urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert status == 400


def test_no_phone_number_or_message_text_in_the_server_log(sms: Sms) -> None:
    sms.texts("my secret question about clares law")
    log = sms.log.read_text(errors="replace")
    assert NUMBER not in log and NUMBER[1:] not in log
    assert "secret question" not in log


def test_flows_on_sms_say_menu_leaves_not_stop(sms: Sms) -> None:
    number = new_number()
    intro = " ".join(sms.texts("am i in a controlling relationship", number))
    assert "Reply MENU" in intro and '"stop"' not in intro
    assert "You can ask me about" in " ".join(sms.texts("menu", number))


def test_a_replayed_signed_request_is_not_answered_again(sms: Sms) -> None:
    """Someone who captured a signed request must not learn where the conversation is now."""
    params = {"From": new_number(), "To": "+447700900999", "Body": "i need help",
              "NumMedia": "0", "MessageSid": "SM" + uuid.uuid4().hex}
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC_URL,
                                                                               params)}
    first, replayed = sms.post(body, headers), sms.post(body, headers)
    assert first[0] == 200 and "Who is the help for?" in first[1]
    assert replayed[0] == 200 and "<Message>" not in replayed[1]
