"""The GSM-7 alphabet of SMS: which texts fit, and how many characters they count as.

A single SMS holds 160 GSM-7 characters. One character outside the alphabet (an emoji, a curly
quote) switches the whole message to UCS-2, with 70 characters a part, so risk answers on SMS
must stay inside it. Characters of the extension table (e.g. "€", "[") count twice.
"""

from __future__ import annotations

SINGLE_SMS = 160
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(BASIC)
_EXTENSION = frozenset(EXTENSION)


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 alphabet (basic or extension)."""
    return all(c in _BASIC or c in _EXTENSION for c in text)


def length(text: str) -> int:
    """How many GSM-7 characters `text` takes (extension characters take two)."""
    return sum(2 if c in _EXTENSION else 1 for c in text)


# Outside GSM-7 (Polish "ł", Romanian "ș", Turkish "ı"), a message is sent in UCS-2: 70 UTF-16
# code units in a single message, 67 a segment when a long one is concatenated (the 6-byte
# header takes the rest); GSM-7 concatenates 153 a segment.
GSM7_SEGMENT = 153
UCS2_SINGLE = 70
UCS2_SEGMENT = 67


def ucs2_length(text: str) -> int:
    """UTF-16 code units: an emoji outside the Basic Multilingual Plane takes two."""
    return len(text.encode("utf-16-le")) // 2


def encoded_length(text: str) -> int:
    """How many characters `text` takes in the encoding it will be sent in."""
    return length(text) if is_gsm7(text) else ucs2_length(text)


def single_limit(text: str) -> int:
    """The most characters a single (unconcatenated) message in `text`'s encoding holds."""
    return SINGLE_SMS if is_gsm7(text) else UCS2_SINGLE


def segments(text: str) -> int:
    """How many billed segments `text` is as one (possibly concatenated) message."""
    size, single = encoded_length(text), single_limit(text)
    if size <= single:
        return 1
    per_segment = GSM7_SEGMENT if is_gsm7(text) else UCS2_SEGMENT
    return -(-size // per_segment)
