"""Per-person state kept in process memory, bounded.

A flood of senders must not grow it without limit: the least recently set entries go first.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(dict, Generic[K, V]):
    """A dict of at most `limit` entries; setting an entry makes it the most recent."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        self.pop(key, None)
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]
