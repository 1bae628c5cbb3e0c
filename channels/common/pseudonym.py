"""Sender ids that cannot be turned back into a phone number or chat id.

Rasa stores conversations by sender id. Channels hand it a keyed hash (HMAC-SHA256 with a
secret key from configuration) of the platform's user id, never the raw value, so a tracker
store, a log line or a backup reveals no phone number or chat id. Without the key, the hash
cannot be recomputed from a guessed number (phone numbers are few enough to enumerate).
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_ENV = "SENDER_HASH_KEY"
MIN_KEY_LENGTH = 16


class MissingKeyError(RuntimeError):
    """No (or too short a) hash key is configured, so no sender id can be made safely."""


def key_from_env(variable: str = KEY_ENV) -> bytes:
    """The hash key from the environment; refuses to run with none rather than use a default."""
    value = os.environ.get(variable, "")
    if len(value) < MIN_KEY_LENGTH:
        raise MissingKeyError(f"set {variable} to a secret of at least {MIN_KEY_LENGTH} characters")
    return value.encode("utf-8")


def pseudonym(key: bytes, purpose: str, raw_id: str) -> str:
    """The keyed hash of `raw_id`, labelled with `purpose` (e.g. "sms", "sms-optout").

    The label gives the same number unrelated ids in unrelated places.
    """
    digest = hmac.new(key, f"{purpose}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{purpose}-{digest[:40]}"
