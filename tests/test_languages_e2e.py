"""Issue 18 through real servers: a conversation in each language on every channel, switching
language, UCS-2 text messages, and escalation in each language with the action server down.

The messages are the developer's own, not from a held-out set."""

from __future__ import annotations

import pytest

from channels.sms import gsm7
from tests.support.rest import Bot, texts
from tests.support.sms import Sms, new_number
from tests.support.telegram import Telegram, chat
from tests.support.telegram import texts as telegram_texts
from tests.support.web import new_session, text_of
from tests.support.web import say as web_say

pytestmark = pytest.mark.e2e

# language: (hello, who-for question of the greeting, a question, its answer's topic words)
CONVERSATIONS = {
    "pl": ("dzień dobry, mam pytanie", "Dla kogo szukasz informacji?",
           "czym jest kontrola przymusowa w związku", "Kontrola przymusowa"),
    "ro": ("bună ziua, am o întrebare", "Pentru cine întrebați?",
           "ce înseamnă controlul coercitiv", "Controlul coercitiv"),
    "lt": ("laba diena, turiu klausimą", "Kam ieškote informacijos?",
           "ką reiškia prievartinė kontrolė", "Prievartinė kontrolė"),
    "pt": ("bom dia, tenho uma pergunta", "Para quem está a perguntar?",
           "o que significa controlo coercivo", "Controlo coercivo"),
    "tr": ("merhaba, bir sorum var", "Kimin için soruyorsunuz?",
           "zorlayıcı kontrol ne demek", "Zorlayıcı kontrol"),
}
# language: (a message in danger, words of that language's escalation answer)
ESCALATIONS = {
    "pl": ("mąż trzyma nóż i grozi że mnie zabije", "zadzwoń teraz pod 999"),
    "ro": ("soțul are un cuțit și vrea să mă omoare", "sunați acum la 999"),
    "lt": ("vyras turi peilį ir sako kad mane nužudys", "skambinkite 999 dabar"),
    "pt": ("ele tem uma faca e diz que me vai matar", "ligue 999 já"),
    "tr": ("kocamın elinde bıçak var, beni öldürecek", "hemen 999'u arayın"),
}
LANGUAGES = list(CONVERSATIONS)


def has(reply: str, words: str) -> bool:
    return words.casefold() in reply.casefold()


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_conversation_in_each_language_over_rest(bot: Bot, code: str) -> None:
    hello, who_for, question, topic = CONVERSATIONS[code]
    chat_ = bot.conversation()
    assert has(texts(chat_.say(hello)), who_for)
    assert has(texts(chat_.say(question)), topic)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_conversation_in_each_language_on_the_website(web_server: str, code: str) -> None:
    hello, who_for, question, topic = CONVERSATIONS[code]
    token = new_session(web_server)
    assert has(text_of(web_say(web_server, token, message=hello)[1]), who_for)
    assert has(text_of(web_say(web_server, token, message=question)[1]), topic)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_conversation_in_each_language_by_sms_in_ucs2_parts(sms: Sms, code: str) -> None:
    hello, who_for, question, topic = CONVERSATIONS[code]
    number = new_number()
    for text, words in ((hello, who_for), (question, topic)):
        parts = sms.texts(text, number)
        assert has("\n".join(parts), words)
        for part in parts:  # each part one text message in the encoding it needs
            assert gsm7.encoded_length(part) <= gsm7.single_limit(part), part


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_conversation_in_each_language_on_telegram(telegram: Telegram, code: str) -> None:
    hello, who_for, question, topic = CONVERSATIONS[code]
    chat_id = chat()
    assert has(telegram_texts(telegram.say(hello, chat_id=chat_id)), who_for)
    assert has(telegram_texts(telegram.say(question, chat_id=chat_id)), topic)


def test_switching_language_by_asking_and_back_to_english(bot: Bot) -> None:
    chat_ = bot.conversation()
    assert "Who are you asking for?" in texts(chat_.say("hello"))
    assert has(texts(chat_.say("po polsku")), "będę odpowiadać po polsku")
    assert has(texts(chat_.say("what is coercive control")), "pattern of behaviour")
    assert has(texts(chat_.say("po polsku")), "po polsku")
    assert has(texts(chat_.say("English please")), "I'll answer in English")
    assert has(texts(chat_.say("thanks")), "You're welcome")


def test_a_short_reply_keeps_the_conversations_language(bot: Bot) -> None:
    chat_ = bot.conversation()
    chat_.say("po polsku")
    assert has(texts(chat_.say("ok")), "999")
    assert not has(texts(chat_.say("dzięki")), "You're welcome")


def test_sms_lang_keyword_and_telegram_language_command_switch(sms: Sms,
                                                               telegram: Telegram) -> None:
    number = new_number()
    assert has("\n".join(sms.texts("LANG RO", number)), "în română")
    assert has("\n".join(sms.texts("thanks", number)), "Cu plăcere")
    chat_id = chat()
    assert has(telegram_texts(telegram.say("/language pt", chat_id=chat_id)), "em português")


def test_an_answer_not_translated_yet_says_so_with_999_and_the_helpline(bot: Bot) -> None:
    chat_ = bot.conversation()
    chat_.say("po polsku")
    replies = chat_.say("nie mogę odejść, bo nie mam co zrobić z psem")
    note, english = replies[0]["text"], texts(replies[1:])  # a message a paragraph
    assert has(note, "nie ma jeszcze po polsku") and "999" in note and "0808 2000 247" in note
    assert has(english, "Cats Protection")


@pytest.mark.parametrize("code", LANGUAGES)
def test_escalation_in_each_language_with_the_action_server_down(bot_without_actions: Bot,
                                                                  code: str) -> None:
    message, words = ESCALATIONS[code]
    reply = texts(bot_without_actions.say(message))
    assert has(reply, words)
    assert "0808 2000 247" in reply
