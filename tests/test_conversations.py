"""Conversations through the real REST channel, with a trained model and the action server."""

from __future__ import annotations

import pytest

from tests.conftest import Bot, button_titles, texts

pytestmark = pytest.mark.e2e


def test_greeting_asks_who_it_is_for_and_gives_999(bot: Bot) -> None:
    replies = bot.say("hiya")
    assert "call 999" in texts(replies)
    assert button_titles(replies) == ["For me", "For someone else", "About my own behaviour"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("wat is domestic abuse", "aged 15"),
        ("is it abuse if he never hits me", "Abuse is not always physical"),
        ("my bf checks my phone and tracks me is that coercive control", "a crime in England"),
        ("can you consent if your asleep", "can't consent"),
        ("someone made a deepfake of me", "Revenge Porn Helpline"),
        ("how do i call 999 without talking", "press 55"),
        ("what is clares law", "right to ask"),
        ("my ex keeps following me", "Stalking Protection Order"),
        ("im a man and my girlfriend hits me", "0808 801 0327"),
        ("how do i report to essex police", "0800 358 0351"),
        ("how do i cover my tracks", "don't erase your browser history"),
        ("are you a real person", "automated assistant"),
        ("do you keep my messages", "/forget"),
        ("what is the reflect campaign", "07841 999342"),
    ],
)
def test_each_topic_gets_its_answer(bot: Bot, message: str, expected: str) -> None:
    assert expected in texts(bot.say(message))


def test_a_wording_that_shares_few_words_with_any_example_is_understood(bot: Bot) -> None:
    """No example says "fella" or "see anyone": the sentence embedding carries the meaning."""
    assert "listen, and believe them" in texts(bot.say("my mate's fella won't let her see anyone"))


def test_not_understood_offers_the_menu_and_999(bot: Bot) -> None:
    replies = bot.say("zxqv blorp")
    assert "call 999" in texts(replies)
    assert "Show the menu" in button_titles(replies)


def test_change_project_answer_says_whether_the_line_is_open(bot: Bot) -> None:
    reply = texts(bot.say("is the change project open right now"))
    assert "07841 999342" in reply
    assert "open right now" in reply or "closed right now" in reply


def test_get_help_flow_for_someone_not_safe(bot: Bot) -> None:
    chat = bot.conversation()
    assert "Who is the help for?" in texts(chat.say("i need help"))
    assert "safe right now" in texts(chat.say("it's for me"))
    not_safe = chat.say("/deny")  # the "No, not safe" button
    assert "call 999 now" in texts(not_safe) and "press 55" in texts(not_safe)
    assert "Report to the police" in button_titles(not_safe)
    services = texts(chat.say("/ask_how_to_report"))  # the "Report to the police" button
    assert "0800 358 0351" in services and "In an emergency, call 999." in services


def test_get_help_skips_who_it_is_for_when_already_known(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("hello")
    chat.say("/audience_other")
    assert "safe right now" in texts(chat.say("where can i get help"))
    chat.say("yes")
    assert "0808 2000 247" in texts(chat.say("talk to someone"))


def test_checklist_counts_answers_and_ends_with_help(bot: Bot) -> None:
    chat = bot.conversation()
    first = chat.say("am i in a controlling relationship")
    assert "not a test or a diagnosis" in texts(first)
    assert "check your phone" in texts(first)
    for answer in ["yes", "no", "sometimes", "no"]:
        chat.say(answer)
    summary = texts(chat.say("no"))
    assert "yes or sometimes to 2 of these questions" in summary
    assert "0808 2000 247" in summary


def test_question_in_the_middle_of_a_flow_is_answered_then_the_flow_goes_on(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("is my partner controlling")
    replies = texts(chat.say("what is gaslighting"))
    assert "doubt your own memory" in replies
    assert "check your phone" in replies  # the checklist asks its question again


def test_stop_leaves_a_flow_and_a_restarted_flow_asks_again(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("take the checklist")
    chat.say("yes")
    assert "we've stopped there" in texts(chat.say("stop"))
    assert "check your phone" not in texts(chat.say("yes"))  # no longer answering the checklist
    assert "check your phone" in texts(chat.say("take the checklist"))


def test_reflect_flow_ends_with_the_change_project(bot: Bot) -> None:
    chat = bot.conversation()
    intro = texts(chat.say("i think i'm the abuser in my relationship"))
    assert "seemed scared of you" in intro
    chat.say("yes")
    chat.say("sometimes")
    end = texts(chat.say("yeah"))
    assert "07841 999342" in end
    assert "open right now" in end or "closed right now" in end


def test_with_the_action_server_down_a_flow_ends_in_an_apology_not_silence(
        bot_without_actions: Bot) -> None:
    """The last step of "get help" lists services by an action: its answer is the apology."""
    chat = bot_without_actions.conversation()
    assert "Who is the help for?" in texts(chat.say("i need help"))
    chat.say("it's for me")
    chat.say("yes")
    end = chat.say("talk to someone")
    assert "Sorry, I can't answer that right now" in texts(end) and "999" in texts(end)
    assert "Show the menu" in button_titles(end)
