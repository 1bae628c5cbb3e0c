"""Issue 18 without a server: language detection and switching, the risk phrases of each
language, the translated answers (complete, 999 first, flagged for review) and UCS-2 SMS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language import asked_for, decide, languages
from bot.nlg.language_nlg import LanguageNLG, variant_language
from bot.risk.detector import PRIORITY
from bot.risk.languages import default_patterns
from channels.sms import gsm7
from channels.sms.reply import format_reply

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
OTHER_LANGUAGES = [code for code in languages() if code != "en"]
# The answers every language must have: escalation, the turns after it, greeting, menu,
# fallback and the main topics (issue 18, "Answer in the person's language").
MUST_TRANSLATE = [
    *(f"utter_risk_{category}" for category in PRIORITY),
    "utter_safety_check_in", "utter_check_in_safe", "utter_safe_ack", "utter_still_danger_now",
    "utter_greet", "utter_help_menu", "utter_default", "utter_goodbye", "utter_thanks",
    "utter_language_changed", "utter_not_translated", "utter_ask_what_is_abuse",
    "utter_ask_coercive_control", "utter_ask_helplines", "utter_ask_how_to_report",
    "utter_ask_help_friend",
    "utter_ask_clares_law",
    "utter_ask_local_services",
    "utter_ask_change_project",
    "utter_ask_reflect",
    "utter_own_behaviour_help",
    "utter_ask_silent_call",
    "utter_ask_consent",
    "utter_ask_deepfakes",
    "utter_ask_image_abuse",
    "utter_images_under_18",
    "utter_ask_refuge",
    "utter_ask_stalking",
    "utter_ask_signs_of_abuse",
    "utter_ask_male_victims",
    "utter_ask_children",
    "utter_ask_immigration",
    "utter_ask_protection_orders",
    "utter_ask_police_orders",
    "utter_ask_safety_plan",
    "utter_ask_tech_abuse",
    "utter_ask_sexual_assault_support",
    "utter_ask_older_people",
    "utter_ask_lgbt",
    "utter_ask_not_physical",
    "utter_ask_what_happens_report",
    "utter_ask_cover_tracks",
    "utter_about_assistant",
    "utter_out_of_scope",
]


def translated(code: str) -> dict[str, list[dict]]:
    return {name: [v for v in variants if variant_language(v) == code]
            for name, variants in DOMAIN.responses.items()
            if any(variant_language(v) == code for v in variants)}


# ------------------------------------------------------------------------------- detection
@pytest.mark.parametrize(("text", "remembered", "expected"), [
    ("English please", "pl", "en"),
    ("po polsku", None, "pl"),
    ("LANG RO", None, "ro"),  # the SMS keyword
    ("language lt", "pl", "lt"),  # Telegram's /language lt, after its slash is removed
    ("em português", None, "pt"),
    ("Türkçe lütfen", None, "tr"),
    ("co to jest kontrola przymusowa", None, "pl"),
    ("soțul meu îmi citește toate mesajele", None, "ro"),
    ("ok", "pl", "pl"),  # too short to say anything: the conversation keeps its language
    ("999", "lt", "lt"),
    ("he hit me", None, "en"),
    ("what is coercive control", "tr", "en"),
])
def test_the_conversation_language_changes_on_a_clear_message_or_a_request(
        text: str, remembered: str | None, expected: str) -> None:
    assert decide(text, remembered) == expected


def test_a_question_that_only_names_a_language_is_not_a_switch() -> None:
    assert asked_for("is polish food nice") is None
    assert asked_for("language klingon") is None


# ------------------------------------------------------------------------------- risk phrases
PHRASES = {  # one message a category in each language, typed with and without its letters
    "pl": {"danger_now": "on ma nóż i stoi w drzwiach", "self_harm": "nie chce juz zyc",
           "child": "on bije moje dziecko", "sexual_violence": "zgwałcił mnie wczoraj",
           "high_indicator": "dusił mnie w nocy", "danger_from_me": "boję się że ją skrzywdzę"},
    "ro": {"danger_now": "are un cuțit și vrea să mă omoare", "self_harm": "vreau să mor",
           "child": "îmi bate copilul", "sexual_violence": "m-a violat",
           "high_indicator": "m-a strâns de gât", "danger_from_me": "nu ma mai pot controla"},
    "lt": {"danger_now": "jis turi peilį", "self_harm": "noriu mirti",
           "child": "jis muša vaiką", "sexual_violence": "jis mane išprievartavo",
           "high_indicator": "bandė mane pasmaugti", "danger_from_me": "bijau kad ją sumušiu"},
    "pt": {"danger_now": "ele tem uma faca", "self_harm": "quero morrer",
           "child": "ele bate no meu filho", "sexual_violence": "fui violada",
           "high_indicator": "ele estrangulou-me", "danger_from_me": "perdi o controlo"},
    "tr": {"danger_now": "elinde bıçak var", "self_harm": "ölmek istiyorum",
           "child": "çocuğumu dövüyor", "sexual_violence": "bana tecavüz etti",
           "high_indicator": "boğazımı sıktı", "danger_from_me": "kendimi kontrol edemiyorum"},
}


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_each_language_has_a_risk_phrase_for_every_category(code: str) -> None:
    for category, text in PHRASES[code].items():
        assert default_patterns().match(text, code) == category, text


@pytest.mark.parametrize(("code", "text"), [
    ("pl", "co to jest gwałt"), ("pl", "ten film mnie zabił haha"),
    ("ro", "unde pot găsi ajutor"), ("lt", "kur gauti pagalbos"),
    ("pt", "o que é violação"), ("pt", "o que é estupro"), ("tr", "tecavüz nedir"),
    ("tr", "yardım hattı numarası nedir"), ("ro", "ce este violul"),
    ("pt", "vou matar-me a estudar para os exames"), ("tr", "bu iş beni öldürecek"),
    ("tr", "kardeşim yine telefonumu alırsa onu öldürürüm haha"),
    ("pt", "ela comeu o meu bolo, vou matá-la kkkk"),
    ("pt", "na escola pensava em suicídio, há muitos anos, agora estou bem"),
])
def test_questions_and_asking_for_help_are_not_risk_phrases(code: str, text: str) -> None:
    assert default_patterns().match(text, code) is None


def test_a_joke_marker_does_not_clear_a_child_or_sexual_violence_phrase() -> None:
    assert default_patterns().match("bana tecavüz etti haha", "tr") == "sexual_violence"
    assert default_patterns().match("on bije moje dziecko xd", "pl") == "child"


# ------------------------------------------------------------------------------- translations
@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_each_language_has_the_answers_issue_18_asks_for(code: str) -> None:
    missing = sorted(set(MUST_TRANSLATE) - set(translated(code)))
    assert not missing, f"{code}: no translation of {missing}"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_translated_risk_answer_on_sms_starts_with_999_in_its_first_text(code: str):
    for category in PRIORITY:
        variants = translated(code)[f"utter_risk_{category}"]
        sms = [v for v in variants if v.get("channel") == "sms"]
        assert sms, f"{code} {category}: no SMS variant"
        for variant in sms:
            first = format_reply([variant]).parts[0]
            assert first.startswith("999"), (code, category, first)
            assert gsm7.encoded_length(first) <= gsm7.single_limit(first)


def test_every_translation_is_flagged_and_listed_for_a_native_speakers_review() -> None:
    checks = (ROOT / "docs" / "content-checks.md").read_text(encoding="utf-8")
    for code in OTHER_LANGUAGES:
        for name, variants in translated(code).items():
            for variant in variants:
                reviewed = (variant.get("metadata") or {}).get("reviewed")
                assert reviewed in (True, False), f"{name} ({code}): no reviewed flag"
                if not reviewed:
                    assert f"`{name}`" in checks, f"{name} is not in docs/content-checks.md"
    for path in ["content/languages.yml", "content/risk_patterns_languages.yml",
                 "content/nlu_languages/", "web/widget.js"]:
        assert path in checks, f"{path} is not in docs/content-checks.md"


def test_translations_keep_service_names_in_english() -> None:
    """A translated name would not be what the person hears when they call."""
    for code in OTHER_LANGUAGES:
        text = " ".join(v["text"] for vs in translated(code).values() for v in vs)
        for name in ["National Domestic Abuse Helpline", "Samaritans", "Change Project",
                     "Oakwood Place", "Compass", "Childline", "NSPCC", "Essex Police"]:
            assert name in text, (code, name)


# ------------------------------------------------------------------------------- choosing
def nlg_reply(name: str, slots: dict[str, str], channel: str = "rest") -> str:
    tracker = DialogueStateTracker.from_events("t", [
        *(SlotSet(k, v) for k, v in slots.items()), UserUttered("x")], DOMAIN.slots)
    nlg = LanguageNLG(domain=DOMAIN)
    import asyncio

    response = asyncio.run(nlg.generate(name, tracker, channel))
    assert response is not None
    return response["text"]


def test_the_answer_is_in_the_conversations_language_and_for_who_is_asking() -> None:
    assert nlg_reply("utter_risk_danger_now", {"language": "pl"}).startswith(
        "Jeśli grozi Ci niebezpieczeństwo")
    # Someone worried about their own behaviour: their help, in their language.
    own = nlg_reply("utter_risk_danger_now", {"language": "pl", "audience": "own_behaviour"})
    assert "Change Project" in own and "Odejdź" in own
    assert nlg_reply("utter_risk_danger_now", {}).startswith("Please call 999 now")
    assert nlg_reply("utter_risk_danger_now", {"language": "ro"}, "telegram").endswith(
        "apoi ștergeți chatul.")


def test_an_answer_not_translated_yet_says_so_in_the_language_with_999_and_the_helpline():
    reply = nlg_reply("utter_ask_pets", {"language": "lt"})
    note, english = reply.split("\n\n", 1)
    assert "angliškai" in note and "999" in note and "0808 2000 247" in note
    assert english == nlg_reply("utter_ask_pets", {})


# ------------------------------------------------------------------------------- UCS-2 SMS
def test_sms_segments_are_counted_in_the_encoding_the_text_needs() -> None:
    assert gsm7.segments("a" * 160) == 1 and gsm7.segments("a" * 161) == 2
    assert gsm7.segments("a" * 306) == 2 and gsm7.segments("a" * 307) == 3
    assert gsm7.segments("ł" * 70) == 1 and gsm7.segments("ł" * 71) == 2
    assert gsm7.segments("ł" * 134) == 2 and gsm7.segments("ł" * 135) == 3
    assert gsm7.segments("ș" + "a" * 69) == 1  # one Romanian letter makes it all UCS-2
    assert gsm7.ucs2_length("\U0001f600") == 2  # outside the BMP: two code units


def test_a_polish_answer_keeps_its_letters_in_parts_of_70() -> None:
    text = " ".join(["Zażółć gęślą jaźń, dzwoń pod 999."] * 6)
    reply = format_reply([{"text": text}])
    assert all(gsm7.ucs2_length(part) <= gsm7.UCS2_SINGLE for part in reply.parts)
    assert "Zażółć gęślą jaźń" in reply.parts[0]
    assert re.sub(r"\s+", " ", " ".join(reply.parts) + " " + reply.remainder).strip() \
        .startswith(text[:100])


def test_an_english_answer_is_still_cut_into_gsm7_parts_of_160() -> None:
    reply = format_reply([{"text": "Call 999 now. " * 40}])
    assert all(gsm7.is_gsm7(p) and gsm7.length(p) <= gsm7.SINGLE_SMS for p in reply.parts)
    assert max(len(p) for p in reply.parts) > gsm7.UCS2_SINGLE


def test_content_files_carry_the_reviewed_flag() -> None:
    folders = [ROOT / "content" / "nlu_languages", ROOT / "content" / "risk_corpus_languages"]
    for path in ["content/languages.yml", "content/risk_patterns_languages.yml", *sorted(
            str(p.relative_to(ROOT)) for folder in folders for p in folder.glob("*.yml"))]:
        data = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
        assert data.get("reviewed") is False, path


def test_questions_written_in_each_language_name_its_code_and_the_domains_intents() -> None:
    """A question filed under an intent the domain no longer has would teach the head a label
    no rule or story answers; a file without its language cannot be reviewed by the right person."""
    for path in sorted((ROOT / "content" / "nlu_languages").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("language") in OTHER_LANGUAGES, path.name
        unknown = set(data.get("intents") or {}) - set(DOMAIN.intents)
        assert not unknown, f"{path.name}: intents not in domain.yml: {sorted(unknown)}"


NUMBER = re.compile(r"(?<![\w.])\d+(?: \d+)*(?![\w])")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_a_translated_answer_by_sms_gives_every_number_before_more(code: str) -> None:
    """What an SMS user gets in their language: each text fits one message, and no number
    (999 first of all) is held back until they text MORE."""
    for name, variants in translated(code).items():
        sms = [v for v in variants if v.get("channel") == "sms"] or \
            [v for v in variants if not v.get("channel")]
        for variant in sms:
            reply = format_reply([variant])
            assert all(gsm7.encoded_length(p) <= gsm7.single_limit(p) for p in reply.parts)
            held_back = [n for n in NUMBER.findall(variant["text"])  # whole, in one text
                         if not any(n in part for part in reply.parts) and n not in ("16", "24")]
            assert not held_back, (name, code, held_back)


def test_a_sentence_starting_with_a_capital_of_another_alphabet_is_a_place_to_cut() -> None:
    """Before, only A-Z started a sentence: Turkish text ran on and was cut between words."""
    first = "Yardım için her zaman arayabilirsiniz ve konuşabilirsiniz."
    reply = format_reply([{"text": f"{first} Şiddet suçtur: 0808 2000 247 numarasını arayın."}])
    assert reply.parts[0] == first
    assert "0808 2000 247" in reply.parts[1]


@pytest.mark.parametrize("text", [
    # The 70-character part ends inside the number: "... hat: 0808 2000" then "247 ..."
    "Yardım almak için gece gündüz ücretsiz arayabileceğiniz hat: 0808 2000 247 numarasıdır.",
    # ... and after its first group: "... şudur: 0808" then "2000 247 ..."
    "Gece gündüz ücretsiz arayabileceğiniz ulusal yardım hattı şudur: 0808 2000 247 numarası.",
])
def test_a_phone_number_is_never_cut_across_two_texts(text: str) -> None:
    reply = format_reply([{"text": text}])
    assert len(reply.parts) == 2
    assert reply.parts[1].startswith("0808 2000 247")


def test_translated_options_longer_than_a_ucs2_part_are_sent_whole_in_parts_of_their_own():
    menu = next(v for v in translated("lt")["utter_help_menu"] if not v.get("channel"))
    reply = format_reply([menu])
    assert all(gsm7.encoded_length(p) <= gsm7.single_limit(p) for p in reply.parts)
    options = " ".join(reply.parts)
    assert "1 for Pagalbos telefonai" in options and "3 for Kaip pranešti policijai" in options
