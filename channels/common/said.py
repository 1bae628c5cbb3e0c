"""What the channels say themselves (STOP, FORGET, /exit, errors), read from the domain.

These answers are sent without a turn of the conversation (an opted-out number, a deleted
chat, a timeout), but they are content like any other: they live in domain.yml as `channel:`
variants, so the number checks and the SMS preview cover them and nobody edits Python to
change a sentence or a number.
"""

from __future__ import annotations

from rasa.core.nlg.generator import ResponseVariationFilter
from sanic import Sanic


def said(name: str, channel: str, **blanks: str | int) -> str:
    """Response `name` of the running assistant's domain, for `channel`, blanks filled in."""
    responses = Sanic.get_app().ctx.agent.domain.responses
    variants = ResponseVariationFilter(responses).responses_for_utter_action(name, channel, {})
    return variants[0]["text"].format(**blanks)
