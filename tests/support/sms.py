"""Text messages sent to the SMS webhook as Twilio sends them, signed."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from twilio.request_validator import RequestValidator

TOKEN = "test-twilio-auth-token"
# What Twilio calls (through a proxy or tunnel); the server itself listens on 127.0.0.1.
PUBLIC_URL = "https://sms.example.org/webhooks/sms/webhook"
NUMBER = "+447700900123"


@dataclass
class Sms:
    """Sends text messages to the SMS webhook as Twilio would."""

    url: str
    log: Path
    optout_db: Path

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(f"{self.url}/webhooks/sms/webhook", data=body,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def send(self, text: str, number: str = NUMBER, media: int = 0,
             signature: str | None = None) -> tuple[int, str]:
        params = {"From": number, "To": "+447700900999", "Body": text, "NumMedia": str(media),
                  "MessageSid": "SM" + uuid.uuid4().hex}
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
        return self.post(urllib.parse.urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        })

    def texts(self, text: str, number: str = NUMBER) -> list[str]:
        status, xml = self.send(text, number)
        assert status == 200, xml
        return [m.text or "" for m in ET.fromstring(xml).iter("Message")]


def new_number() -> str:
    return "+4477009" + str(uuid.uuid4().int)[:5]
