"""Text a person typed, as opposed to a button they pressed.

Rasa reads any message that starts with "/" as an intent ("/restart", "/risk_danger_now"), after
the NLU pipeline has run, so nothing in the pipeline can stop it. Only a channel knows whether a
message was typed or was a button's payload: our channels pass typed text through `typed_text`
and send button payloads as they are. Rasa's REST channel cannot tell the two apart, so it keeps
Rasa's behaviour (integrators send button payloads that way).
"""

from __future__ import annotations

from sanic.request import Request

from bot.nlg.suggestions import load_suggestions

INTENT_PREFIX = "/"


def typed_text(text: str) -> str:
    """`text` with any leading slashes removed, so it is read as words, never as an intent."""
    return valid_text(text).strip().lstrip(INTENT_PREFIX).strip()


def valid_text(text: str) -> str:
    """`text` with lone surrogates (which JSON allows and UTF-8 cannot encode) replaced."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def button_payloads(responses: dict[str, list[dict]]) -> frozenset[str]:
    """Every payload one of our buttons can offer.

    The domain's responses' own, and the topics the fallback may suggest
    (bot/nlg/suggestions.py). A client can send any "button press" it likes (Telegram
    callback data, the widget's requests); channels pass on only payloads that one of our
    buttons really offers.
    """
    own = {
        button["payload"]
        for variants in responses.values()
        for variant in variants
        for button in variant.get("buttons", [])
    }
    return frozenset(own | {f"/{intent}" for intent in load_suggestions().titles})


class OfferedPayloads:
    """The payloads our buttons offer, read from the running assistant's domain once."""

    def __init__(self) -> None:
        self._payloads: frozenset[str] | None = None

    def offers(self, request: Request, payload: object) -> bool:
        if self._payloads is None:
            self._payloads = button_payloads(request.app.ctx.agent.domain.responses)
        return payload in self._payloads
