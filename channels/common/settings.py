"""Channel settings: credentials.yml names environment variables, and the secrets stay there."""

from __future__ import annotations

import os
from typing import Any


def from_env(credentials: dict[str, Any] | None, key: str, variable: str, default: str = "") -> str:
    """The value of the environment variable credentials.yml names under `key`.

    `variable` is used when credentials.yml names none; `default` when it is not set.
    """
    return os.environ.get((credentials or {}).get(key, variable), default)
