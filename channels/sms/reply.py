"""Turning the assistant's answers into text messages.

A reply is at most MAX_PARTS text messages of at most 160 GSM-7 characters each (single,
unconcatenated messages arrive whole and in order; UCS-2: UCS2_MAX_PARTS of 70). Text is
plain: curly quotes, dashes and emoji are replaced, because one character outside GSM-7
makes a message 70 characters long.
An answer in a language whose letters GSM-7 lacks (Polish, Romanian, Lithuanian, Turkish,
Portuguese) keeps its letters and goes in UCS-2: parts of at most 70 characters
(channels/sms/gsm7.py).
Buttons become numbered options ("Reply 1 for ..."), and the first paragraph of an answer (on
risk answers, the 999 line) always starts the first message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from channels.sms import gsm7

MAX_PARTS = 3
# A UCS-2 part holds 70 characters, not 160: a translated answer may take more parts to get its
# 999 line, numbers and options out before MORE.
UCS2_MAX_PARTS = 5
PART_LENGTH = gsm7.SINGLE_SMS
MORE_HINT = "Text MORE for the rest."
REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u2022": "-", "\u00a0": " ", "\u2192": "->",
}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SENTENCE_OPENERS = "0123456789\"'(-"  # besides a capital letter of any alphabet ("Ş", "Ö")
DIGITS = re.compile(r"^\d+[.,;:]?$")


@dataclass(frozen=True)
class SmsReply:
    """What to send back: the text messages, and the rest, sent when the person texts MORE."""

    parts: list[str]
    remainder: str


def plain(text: str) -> str:
    """`text` with known look-alikes replaced and anything but GSM-7 and letters left out.

    An English answer is then GSM-7 only; a translated one keeps its language's letters.
    """
    text = "".join(REPLACEMENTS.get(c, c) for c in text)
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if gsm7.is_gsm7(c) or unicodedata.category(c)[0] in "LM")


def options_line(buttons: list[dict]) -> str:
    """Numbered options for buttons: "Reply 1 for Yes, 2 for No"."""
    choices = [f"{n} for {plain(b['title'])}" for n, b in enumerate(buttons, start=1)]
    line = "Reply " + ", ".join(choices)
    return line if line.endswith(("?", "!", ".")) else line + "."


@dataclass(frozen=True)
class Piece:
    """A sentence, and whether it starts a new line (a paragraph or list item) in the answer."""

    text: str
    new_line: bool


def _sentences(line: str) -> list[str]:
    """The sentences of a line: a stop followed by a capital letter, digit or quote starts one."""
    sentences: list[str] = []
    for chunk in (c.strip() for c in SENTENCE_END.split(line.strip())):
        if not chunk:
            continue
        if sentences and not (chunk[0].isupper() or chunk[0] in SENTENCE_OPENERS):
            sentences[-1] += " " + chunk  # "e.g. the", "approx. 3": not a new sentence
        else:
            sentences.append(chunk)
    return sentences


def _pieces(text: str) -> list[Piece]:
    """The places a message may be cut: lines first, then sentences within a line."""
    pieces = []
    for line in text.splitlines():
        pieces.extend(Piece(s, new_line=(n == 0)) for n, s in enumerate(_sentences(line)))
    return pieces


def _join(pieces: list[Piece]) -> str:
    text = ""
    for piece in pieces:
        separator = ("\n" if piece.new_line else " ") if text else ""
        text += separator + piece.text
    return text


def _words_fitting(piece: Piece, room: int) -> tuple[Piece, Piece]:
    """The longest run of whole words of `piece` that fits `room`, and what is left.

    A phone number's groups ("0808 2000 247") stay together unless the number alone is too long.
    """
    words = piece.text.split(" ")
    count = 1
    while count < len(words) and gsm7.encoded_length(" ".join(words[: count + 1])) <= room:
        count += 1
    cut = count
    while 1 < cut < len(words) and DIGITS.match(words[cut - 1]) and DIGITS.match(words[cut]):
        cut -= 1
    if cut > 1 or not DIGITS.match(words[0]):
        count = cut
    return (Piece(" ".join(words[:count]), piece.new_line),
            Piece(" ".join(words[count:]), new_line=False))


def pack(pieces: list[Piece], max_parts: int,
         part_length: int = PART_LENGTH) -> tuple[list[str], list[Piece]]:
    """Fills up to `max_parts` messages with whole sentences; returns parts and leftovers."""
    parts: list[str] = []
    current: list[Piece] = []
    queue = list(pieces)
    while queue:
        piece = queue.pop(0)
        if gsm7.encoded_length(_join([*current, piece])) <= part_length:
            current.append(piece)
            continue
        if not current:  # one sentence longer than a message: cut it between words
            head, rest = _words_fitting(piece, part_length)
            current, queue = [head], [rest, *queue]
            continue
        parts.append(_join(current))
        current = []
        queue.insert(0, Piece(piece.text, new_line=True))
        if len(parts) == max_parts:
            return parts, queue
    if current:
        parts.append(_join(current))
    return parts, []


def _fill(pieces: list[Piece], room: int) -> tuple[list[Piece], list[Piece]]:
    """Whole sentences from the start of `pieces` that fit in `room` characters."""
    taken: list[Piece] = []
    while pieces and gsm7.encoded_length(_join([*taken, pieces[0]])) <= room:
        taken.append(pieces.pop(0))
    return taken, pieces


def format_reply(messages: list[dict]) -> SmsReply:
    """The text messages for everything the assistant said in one turn.

    When it does not fit in MAX_PARTS messages, the last one keeps the options and ends with
    "Text MORE for the rest."; the rest is returned for the channel to send on MORE.
    """
    text = "\n".join(plain(m["text"]) for m in messages if m.get("text"))
    options = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
    body = _pieces(text)
    ending = [Piece(options_line(options), new_line=True)] if options else []
    limit = gsm7.single_limit(text + "".join(p.text for p in ending))
    max_parts = MAX_PARTS if limit == PART_LENGTH else UCS2_MAX_PARTS
    parts, rest = pack(body + ending, max_parts, limit)
    if not rest:
        return SmsReply(parts=parts, remainder="")
    ending.append(Piece(MORE_HINT, new_line=True))
    ending_parts, _ = pack(ending, max_parts, limit)
    if len(ending_parts) > 1:  # options longer than one UCS-2 part: they get their own parts
        parts, rest = pack(body, max_parts - len(ending_parts), limit)
        return SmsReply(parts=[*parts, *ending_parts], remainder=_join(rest))
    parts, rest = pack(body, max_parts - 1, limit)
    room = limit - gsm7.encoded_length(_join(ending)) - 1
    last, rest = _fill(rest, room)
    parts.append(_join([*last, *ending]))
    return SmsReply(parts=parts, remainder=_join(rest))
