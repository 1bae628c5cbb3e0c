"""No message goes unanswered: when the assistant cannot answer, it says so and gives 999.

Rasa answers nothing when an action fails (the action server is down) and raises when its
stores fail (Redis down: the lock store cannot lock the conversation). Every channel's
`on_new_message` is wrapped here, with the channel's time limit, so on any channel the person
then gets the short apology in the domain (`utter_cannot_answer_now`: the menu and 999), and
the log says what failed without saying anything the person wrote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from redis.exceptions import RedisError
from sanic import Sanic

logger = logging.getLogger(__name__)

APOLOGY = "utter_cannot_answer_now"
# How long a person waits at most before the apology, on every channel whose platform allows
# it; SMS has less (Twilio gives up on a webhook after 15 seconds).
ANSWER_WITHIN_S = 20.0
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _apology(channel: str) -> dict[str, Any]:
    """The domain's apology, in the variant for `channel` if it has one."""
    variants = Sanic.get_app().ctx.agent.domain.responses[APOLOGY]
    for variant in variants:
        if variant.get("channel") == channel:
            return variant
    return next(v for v in variants if not v.get("channel"))


def _log(error: Exception, channel: str | None) -> None:
    """Says what failed. Only Redis's own messages are quoted: others may hold a sender id."""
    # Rasa's lock store raises LockError while handling the Redis error that caused it.
    cause = error if isinstance(error, RedisError) else error.__context__
    if isinstance(cause, RedisError):
        logger.error("conversation store (Redis) unavailable: %s; answered with the apology",
                     cause)
    else:
        logger.error("could not answer a %s message (%s); answered with the apology",
                     channel, type(error).__name__)


def never_silent(on_new_message: OnNewMessage, within_s: float = ANSWER_WITHIN_S
                 ) -> OnNewMessage:
    """`on_new_message`, with the apology when it fails, says nothing or is not done in time."""

    async def answer(message: UserMessage) -> None:
        try:
            await asyncio.wait_for(on_new_message(message), timeout=within_s)
        except asyncio.TimeoutError:
            logger.error("could not answer a %s message within %.0f s; answered with the "
                         "apology", message.input_channel, within_s)
        except Exception as error:  # the person still gets an answer; the cause is logged
            _log(error, message.input_channel)
        output = message.output_channel
        if isinstance(output, CollectingOutputChannel) and not output.messages:
            apology = _apology(output.name())
            await output.send_text_with_buttons(message.sender_id, apology["text"],
                                                apology.get("buttons", []))

    return answer
