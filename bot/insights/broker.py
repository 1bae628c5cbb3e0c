"""A Rasa event broker that keeps campaign counters, never conversations.

Configured in endpoints.yml (`event_broker: type: bot.insights.broker.InsightsBroker`).
`publish` runs on Rasa's event loop for every event, so it only adds to counts in memory; a
background thread writes them to the database every `flush_interval_s` seconds (and on
shutdown). If the database is down, the counts wait in memory and the error is logged once
per failed write, without any event content; a conversation never waits for the database.

No count under counters.MIN_STORED_COUNT is ever written, nor any increment smaller than it
(someone comparing two copies of the table would see a 1 in the difference): a counter waits
in memory until it has that many, then is written whole. What has not reached it when its day
is over, or when the process stops, is dropped, so stored figures are lower bounds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import Counter
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.insights import counters
from bot.insights.counters import CounterStore, Key
from bot.insights.tally import Tally, Vocabulary

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_INTERVAL_S = 10.0
MAX_PENDING_KEYS = 50_000  # counters held while the database is unreachable


class InsightsBroker(EventBroker):
    """Counts events per day, channel and topic into a CounterStore, in batches of 5 or more."""

    def __init__(self, store: CounterStore, tally: Tally, flush_interval_s: float) -> None:
        self.store = store
        self.tally = tally
        self.flush_interval_s = flush_interval_s
        self._pending: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._writer = threading.Thread(target=self._write_periodically, name="insights",
                                        daemon=True)
        self._writer.start()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None,
    ) -> InsightsBroker:
        """Reads `url_env` (default INSIGHTS_DB_URL), `domain` and `flush_interval_s`."""
        options = broker_config.kwargs
        url = os.environ.get(options.get("url_env", counters.URL_ENV)) or counters.DEFAULT_URL
        vocabulary = Vocabulary.from_domain_file(options.get("domain", "domain.yml"))
        interval = float(options.get("flush_interval_s", DEFAULT_FLUSH_INTERVAL_S))
        return cls(CounterStore(url), Tally(vocabulary), interval)

    def publish(self, event: dict[str, Any]) -> None:
        """Adds what `event` says happened to the counts waiting to be written."""
        try:
            keys = self.tally.count(event)
        except Exception as error:  # a counter must never break a conversation
            logger.error("insights: could not count a %s event (%s)",
                         event.get("event"), type(error).__name__)
            return
        if keys:
            with self._lock:
                self._pending.update(keys)

    def flush(self, final: bool = False) -> None:
        """Writes the waiting counts that are big enough; on failure they wait for the next write.

        Counts too small to write keep waiting while their day lasts (and the process runs:
        `final`); after that they are dropped.
        """
        today = counters.day_of(time.time())
        with self._lock:
            pending = Counter({k: n for k, n in self._pending.items()
                               if n >= counters.MIN_STORED_COUNT})
            self._pending = Counter() if final else Counter(
                {k: n for k, n in self._pending.items()
                 if n < counters.MIN_STORED_COUNT and k.day >= today})
        if not pending:
            return
        try:
            self.store.add(pending)
        except Exception as error:
            logger.error("insights: could not write counters (%s); will retry",
                         type(error).__name__)
            with self._lock:
                if len(self._pending) + len(pending) <= MAX_PENDING_KEYS:
                    self._pending.update(pending)

    def _write_periodically(self) -> None:
        while not self._stopped.wait(self.flush_interval_s):
            self.flush()

    async def close(self) -> None:
        """Stops the writer, writes what is big enough and drops the rest."""
        self._stopped.set()
        self.flush(final=True)
