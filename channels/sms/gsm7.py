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
