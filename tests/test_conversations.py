"""Conversations through the real REST channel, with a trained model and the action server."""

from __future__ import annotations

import pytest

from tests.support.rest import Bot, button_titles, texts

pytestmark = pytest.mark.e2e


def test_greeting_asks_who_it_is_for_and_gives_999(bot: Bot) -> None:
    replies = bot.say("hiya")
    assert "call 999" in texts(replies)
    assert button_titles(replies) == ["For me", "For someone else", "About my own behaviour"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("wat is domestic abuse", "aged 16 or over"),
        ("is it abuse if he never hits me", "Abuse is not always physical"),
        ("my bf checks my phone and tracks me is that coercive control", "a crime in England"),
        ("can you consent if your asleep", "can't consent"),
        ("someone made a deepfake of me", "Revenge Porn Helpline"),
        ("how do i call 999 without talking", "press 55"),
        ("what is clares law", "right to ask"),
        ("my ex keeps following me", "Stalking Protection Order"),
        ("im a man and my girlfriend hits me", "0808 801 0327"),
        ("how do i report to essex police", "0800 358 0351"),
        ("how do i cover my tracks", "do not erase your browser history"),
        ("are you a real person", "automated assistant"),
        ("do you keep my messages", "then deletes it"),
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
    assert "at this time" in reply or "bank holiday" in reply


def test_get_help_flow_for_someone_not_safe(bot: Bot) -> None:
    chat = bot.conversation()
    assert "Who is the help for?" in texts(chat.say("i need help"))
    assert "safe right now" in texts(chat.say("it's for me"))
    not_safe = chat.say("/deny")  # the "No, not safe" button
    assert "call 999 now" in texts(not_safe) and "press 55" in texts(not_safe)
    assert "Report to the police" in button_titles(not_safe)
    services = texts(chat.say("/ask_how_to_report"))  # the "Report to the police" button
    assert "0800 358 0351" in services
    assert services.startswith("If you are in danger, call 999 now.")  # not safe: 999 first


def test_help_asked_by_someone_worried_about_their_own_behaviour_is_the_change_project(
    bot: Bot,
) -> None:
    """Issue 17: once they said it is about their own behaviour, "i need help" goes straight to
    the services for them, not through the victims' help flow."""
    chat = bot.conversation()
    chat.say("/worried_own_behaviour")  # the #Reflect flow: who is asking is now known
    chat.say("stop")
    reply = texts(chat.say("i need help"))
    assert "07841 999342" in reply and "0808 802 4040" in reply and "999" in reply
    assert "0808 2000 247" not in reply  # the victims' helpline is not theirs


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
    assert "at this time" in end or "bank holiday" in end
    assert "their safety comes first" in end  # they said yes: their partner seemed scared


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


# ---------------------------------------------------------------- issue 17: context that carries
def test_a_follow_up_is_answered_for_the_topic_just_discussed(bot: Bot) -> None:
    chat = bot.conversation()
    assert "Freedom Project" in texts(chat.say("can i take my dog to a refuge"))
    reply = texts(chat.say("is the service free"))
    assert "Freedom Project" in reply and "free" in reply


def test_an_age_given_after_an_image_question_routes_to_under_18_services(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("my ex is threatening to share my nudes")
    reply = texts(chat.say("im 15 years old"))
    assert "Report Remove" in reply and "0800 1111" in reply
    assert "StopNCII" not in reply


def test_an_adult_age_after_an_image_question_keeps_the_adult_services(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("my ex is threatening to share my nudes")
    reply = texts(chat.say("i'm 34"))
    assert "StopNCII" in reply and "Report Remove" not in reply


def test_worried_about_own_behaviour_then_help_goes_to_the_change_project(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("i think i might be the abusive one")
    reply = texts(chat.say("where can i get help"))
    assert "07841 999342" in reply and "0808 802 4040" in reply
    assert "0808 2000 247" not in reply


def test_ok_after_an_answer_is_not_the_fallback(bot: Bot) -> None:
    chat = bot.conversation()
    chat.say("what is clares law")
    reply = texts(chat.say("ok"))
    assert "didn't understand" not in reply and "I'm here" in reply


def test_an_answer_not_understood_inside_a_flow_counts_as_not_sure_and_the_flow_goes_on(
    bot: Bot,
) -> None:
    chat = bot.conversation()
    chat.say("am i in a controlling relationship")
    reply = texts(chat.say("/nlu_fallback"))  # what an answer in words nobody foresaw parses to
    assert "friends or family" in reply  # the next question, not the introduction again
    assert "Let's go through" not in reply


@pytest.mark.parametrize(
    ("answers", "ending"),
    [
        (["/deny", "/deny", "/deny"], "You answered no to all three"),
        (["/affirm", "/deny", "/deny"], "seemed scared of you. That matters"),
        (["/deny", "/affirm", "/unsure"], "yes or sometimes to at least one"),
    ],
)
def test_the_reflect_ending_reflects_the_answers_given(
    bot: Bot, answers: list[str], ending: str
) -> None:
    chat = bot.conversation()
    chat.say("/worried_own_behaviour")
    *_, last = [texts(chat.say(answer)) for answer in answers]
    assert ending in last and "07841 999342" in last


# ---------------------------------------------------------------- issue 17, second pass
def test_not_sure_after_danger_is_not_taken_as_safe(bot: Bot) -> None:
    """Uncertain replies were once labelled "I'm safe", which cleared the danger."""
    chat = bot.conversation()
    chat.say("he is hitting me right now")
    reply = texts(chat.say("hmm not sure"))
    assert "999" in reply
    assert "glad you're safe" not in reply and "I'm glad" not in reply


def test_a_student_gets_adult_services_not_only_childline(bot: Bot) -> None:
    reply = texts(bot.say("im a student and my partner controls who i see, any help for students"))
    assert "0808 2000 247" in reply and "universities" in reply


def test_a_teacher_told_by_a_pupil_gets_the_safeguarding_route(bot: Bot) -> None:
    reply = texts(bot.say("i'm a teacher and a pupil says her boyfriend controls her, what now"))
    assert "safeguarding" in reply and "0808 800 5000" in reply


@pytest.mark.parametrize(("text", "title", "answer"), [
    ("the thing with the court", "Court protection orders", "non-molestation order"),
    ("anger", "Help with anger", "behaviour-change programmes"),
])
def test_a_vague_question_is_answered_or_its_topic_is_one_tap_away(
        bot: Bot, text: str, title: str, answer: str) -> None:
    """Through the trained model and REST: either the answer, or the fallback (with 999) whose
    button for the topic gives the answer when tapped; never a dead end."""
    replies = bot.say(text)
    if answer in texts(replies):
        return
    assert "didn't understand" in texts(replies) and "999" in texts(replies)
    button = next(b for r in replies for b in r.get("buttons", []) if b["title"] == title)
    assert answer in texts(bot.say(button["payload"]))
