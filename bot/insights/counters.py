"""Where the insight counters live: one table of (day, channel, metric, name) -> count.

Nothing else is stored: no message text, no sender id, no exact time (the UTC day is the
finest grain: an hour on a quiet channel often held a single person, review L-4), and no
count under MIN_STORED_COUNT (bot/insights/broker.py writes only batches of at least that).
SQLite by default, PostgreSQL (or any SQLAlchemy database) by URL. Several Rasa processes may
add to the same table: each addition is one upsert that increments in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

DEFAULT_URL = "sqlite:///var/insights.sqlite"
URL_ENV = "INSIGHTS_DB_URL"

# What is counted; `name` says which topic, category, flow or button (or "" when none).
CONVERSATION_STARTED = "conversation_started"
MESSAGE = "message"  # name: the intent (topic) it was understood as
ESCALATION = "escalation"  # name: the risk category
FALLBACK = "fallback"
FLOW_STARTED = "flow_started"  # name: the form
FLOW_FINISHED = "flow_finished"  # name: the form
BUTTON = "button"  # name: the intent the button stands for
QUICK_EXIT = "quick_exit"

# The smallest count ever written: a cell of 1 next to knowing someone used the service that
# day would say what they disclosed. Counts below it wait in memory, and are never written if
# they stay below it (bot/insights/broker.py).
MIN_STORED_COUNT = 5

METADATA = MetaData()
# Not "insight_counters": that table (before L-4) held hours and small counts; it is not read.
COUNTERS = Table(
    "insight_counters_daily", METADATA,
    Column("day", String(10), primary_key=True),  # UTC, "2026-11-21"
    Column("channel", String(16), primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
)


@dataclass(frozen=True)
class Key:
    """One counter: what happened, on which channel, on which day."""

    day: str
    channel: str
    metric: str
    name: str = ""


def day_of(timestamp: float) -> str:
    """The UTC day a Unix time falls in: the finest time we ever keep."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def url_from_env() -> str:
    """The database URL: INSIGHTS_DB_URL, or a SQLite file under var/."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


class CounterStore:
    """The counters table in one database."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: wait for another process's write rather than fail at once.
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, future=True, **options)
        self._tables_exist = False

    def _ensure_tables(self) -> None:
        """Creates the table on first use, not at start: a server must start without it."""
        if not self._tables_exist:
            METADATA.create_all(self.engine)
            self._tables_exist = True

    def add(self, counts: Mapping[Key, int]) -> None:
        """Adds `counts` to the stored counters, in one transaction."""
        if not counts:
            return
        self._ensure_tables()
        dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
        insert = dialect.insert(COUNTERS)
        upsert = insert.on_conflict_do_update(
            index_elements=["day", "channel", "metric", "name"],
            set_={"count": COUNTERS.c["count"] + insert.excluded["count"]},
        )
        rows = [{"day": k.day, "channel": k.channel, "metric": k.metric, "name": k.name,
                 "count": n} for k, n in counts.items()]
        with self.engine.begin() as connection:
            connection.execute(upsert, rows)

    def all(self) -> dict[Key, int]:
        """Every counter."""
        self._ensure_tables()
        with self.engine.connect() as connection:
            return {Key(r.day, r.channel, r.metric, r.name): r.count
                    for r in connection.execute(select(COUNTERS))}
