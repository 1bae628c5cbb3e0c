"""Channel settings: credentials.yml names environment variables, and the secrets stay there."""

from __future__ import annotations

import os
from typing import Any

from channels.common import pseudonym


def from_env(credentials: dict[str, Any] | None, key: str, variable: str, default: str = "") -> str:
    """The value of the environment variable credentials.yml names under `key`.

    `variable` is used when credentials.yml names none; `default` when it is not set.
    """
    return os.environ.get((credentials or {}).get(key, variable), default)


def hash_key_env(credentials: dict[str, Any] | None) -> str:
    """The name of the variable holding the sender-hash key (credentials.yml's hash_key_env)."""
    return (credentials or {}).get("hash_key_env", pseudonym.KEY_ENV)
