"""The evaluation tool judges what it says it judges: for a per-language question set, the right
content counts only in the person's language (issue 18's "right answer in the right language");
a held-out file's summary shows its figures, never its messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain

from bot.nlg.language_nlg import variant_language
from tests.support import ROOT
from tools.evaluation import (
    ConversationReply,
    Reply,
    evaluate_conversations,
    print_conversations,
    print_intents,
    reply_language,
)

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def text_of(name: str, code: str) -> str:
    """The web variant of a response in `code`, with no other condition than the language."""
    return next(v["text"] for v in DOMAIN.responses[name]
                if variant_language(v) == code and not v.get("channel")
                and len(v.get("condition") or []) == (code != "en"))


def test_every_answer_is_recognised_in_the_language_it_is_written_in() -> None:
    """Service names stay in English inside translated answers; the judge must not be fooled."""
    variants = [v for vs in DOMAIN.responses.values() for v in vs if v.get("text")]
    wrong = [v["text"][:60] for v in variants if reply_language(v["text"]) != variant_language(v)]
    assert len(variants) > 300 and not wrong


@pytest.mark.parametrize("code", ["pl", "ro", "lt", "pt", "tr"])
def test_an_english_answer_after_the_not_translated_note_is_right_content_in_the_wrong_language(
        code: str) -> None:
    english = f"{text_of('utter_not_translated', code)}\n{text_of('utter_ask_clares_law', 'en')}"
    cases = [{"id": "clares-law", "turns": [{"say": "...", "any": ["Clare's Law"]}]},
             {"id": "helplines", "turns": [{"say": "...", "any": ["0808 2000 247"]}]}]
    replies = {"clares-law": english, "helplines": text_of("utter_ask_helplines", code)}
    answers = iter(replies[case["id"]] for case in cases)
    report = evaluate_conversations(
        cases, lambda sender, text: ConversationReply(next(answers), "x"), code)
    assert report.right_content_rate == 1.0
    assert report.in_language_rate == 0.5
    assert not report.in_language("clares-law") and report.in_language("helplines")


@pytest.mark.parametrize("summary", [False, True])
def test_a_summary_gives_the_shares_without_the_messages_missed(
        summary: bool, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [{"id": "hidden-case", "turns": [{"say": "a held-out message", "any": ["999"]}]},
             {"id": "answered", "turns": [{"say": "another message", "any": ["101"]}]}]
    replies = iter(["Sorry, I didn't understand that.", "Call 101."])
    report = evaluate_conversations(
        cases, lambda sender, text: ConversationReply(next(replies), "x"))
    assert print_conversations(report, summary) == 1  # 50% right misses the 95% target
    shown = capsys.readouterr().out
    assert "right content: 50.0%" in shown and "hit the fallback: 50.0%" in shown
    assert ("a held-out message" in shown) is not summary
    assert ("hidden-case" in shown) is not summary


def test_a_development_file_of_intents_counts_and_shows_each_question_given_another_intent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "intents_pl.yml"
    path.write_text(yaml.safe_dump({"language": "pl", "intents": {
        "ask_clares_law": ["czy moge sprawdzic partnera", "prawo Clare"],
        "greet": ["czesc"]}}, allow_unicode=True), encoding="utf-8")
    understood = {"prawo Clare": "ask_clares_law", "czesc": "greet"}
    print_intents(path, lambda text: Reply(understood.get(text, "nlu_fallback"), None, ""))
    shown = capsys.readouterr().out
    assert "right intent 66.7% (2/3)" in shown
    assert "MISSED (ask_clares_law) -> nlu_fallback: czy moge sprawdzic partnera" in shown
