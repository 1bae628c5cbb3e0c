"""Who has texted STOP: kept as keyed hashes only, so the list holds no phone numbers.

A person who texts STOP gets nothing more from the service until they text START. The list
must outlive a restart, so it is a small SQLite file (the path comes from configuration).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class OptOutList:
    """A persistent set of opted-out sender hashes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS opted_out (sender_hash TEXT PRIMARY KEY)")

    def add(self, sender_hash: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO opted_out VALUES (?)", (sender_hash,))

    def remove(self, sender_hash: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM opted_out WHERE sender_hash = ?", (sender_hash,))

    def __contains__(self, sender_hash: object) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM opted_out WHERE sender_hash = ?", (sender_hash,)
            ).fetchone()
        return row is not None
