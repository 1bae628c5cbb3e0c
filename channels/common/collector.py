"""What the assistant says in one turn, collected for one of our channels.

Rasa's CollectingOutputChannel splits every answer at its blank lines into separate messages;
our answers are written as one message with paragraphs (a web bubble, one Telegram message,
SMS texts cut by channels/sms/reply.py), so this keeps each answer whole. Its name is the channel's,
so responses' `channel:` variants (e.g. the short SMS risk answers) are chosen.
"""

from __future__ import annotations

from rasa.core.channels.channel import CollectingOutputChannel


class ChannelCollector(CollectingOutputChannel):
    """Collects whole answers, under the name of the channel they are for."""

    def __init__(self, channel: str) -> None:
        super().__init__()
        self.channel = channel

    def name(self) -> str:  # type: ignore[override]  # Rasa calls it on the instance
        return self.channel

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: object) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))
