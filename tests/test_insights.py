"""Campaign insights: real conversations update counters, and nothing personal is kept.

The counters are checked in SQLite (the default) and in the real PostgreSQL on
127.0.0.1:5432; the report is rendered from a seeded database by the same command as
`make report`.
"""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import create_engine, inspect, select, text

from bot.insights import counters
from bot.insights.broker import InsightsBroker
from bot.insights.counters import CounterStore, Key
from bot.insights.tally import COUNTED, Tally, Vocabulary
from tests.support import ROOT
from tests.support.raw_http import request
from tests.support.rest import Bot
from tests.support.servers import start_rasa
from tests.support.web import call, new_session, say
from tools import launcher

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[str]:
    """An empty database of each kind, dropped afterwards; yields its SQLAlchemy URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('insights') / 'counters.sqlite'}"
        return
    name = f"insights_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


class CountedServer(NamedTuple):
    url: str
    process: subprocess.Popen


@pytest.fixture(scope="module")
def counted_server(trained_model: Path, action_server: str, database: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountedServer]:
    """A running assistant whose events feed the insights broker, writing only when it stops.

    Counts are written in batches of 5 or more, so a periodic write could leave the last few of
    a counter waiting: the test stops the server and reads what its final write kept.
    """
    broker = ("event_broker:\n  type: bot.insights.broker.InsightsBroker\n"
              "  flush_interval_s: 3600\n")
    process, url = start_rasa(trained_model, action_server, tmp_path_factory.mktemp("counted"),
                              {"INSIGHTS_DB_URL": database}, broker)
    try:
        yield CountedServer(url, process)
    finally:
        launcher.stop([process])


def sum_by(found: dict[Key, int], channel: str, metric: str, name: str = "") -> int:
    return sum(n for k, n in found.items()
               if (k.channel, k.metric, k.name) == (channel, metric, name))


SENT = ["what is clare's law", "/ask_helplines", "zxqv blorp flimb", "what is coercive control",
        "he said he is going to kill me tonight", "am i in a controlling relationship", "stop",
        "i think i'm the abuser in my relationship", "yes", "sometimes", "yeah"]
CHATS = 5  # each stored count must reach counters.MIN_STORED_COUNT


def web_chat(url: str, messages: list[str]) -> str:
    """A website chat that opens as the widget does and says `messages` (a "/..." is a
    button); its token."""
    token = new_session(url)
    for message in ["/greet", *messages]:
        field = "payload" if message.startswith("/") else "message"
        assert say(url, token, **{field: message})[0] == 200
    return token


def test_conversations_update_the_counters_and_nothing_personal_is_kept(
        counted_server: CountedServer, database: str) -> None:
    url = counted_server.url
    rest = Bot(url).conversation()  # REST without the integrators' token
    for message in SENT:
        rest.say(message)
    tokens = [web_chat(url, SENT) for _ in range(CHATS)]
    for token in tokens:  # each quick exit counts once, whatever the beacon sends again
        for _ in range(2):
            assert call(url, "/forget", token.encode(), "text/plain")[0] == 200
    # A chat never used (from another address, so that it takes nothing from this one's
    # count): nothing to forget, no quick exit.
    unused = request(url, "/webhooks/web/session", {}, "127.0.0.9")[1]["token"]
    assert request(url, "/webhooks/web/forget", unused.encode(), "127.0.0.9")[0] \
        == 200
    # This address starts 7 more chats: only the first 5 of them (10 an hour) are counted.
    more = [web_chat(url, ["what is coercive control"]) for _ in range(7)]

    launcher.stop([counted_server.process])  # its final write: every counter of 5 or more
    found = CounterStore(database).all()
    assert sum_by(found, "web", counters.QUICK_EXIT) == CHATS
    assert sum_by(found, "web", counters.CONVERSATION_STARTED) == CHATS + 5
    assert sum_by(found, "web", counters.MESSAGE, "ask_coercive_control") == CHATS + 5
    assert sum_by(found, "web", counters.MESSAGE, "greet") == CHATS + 5  # the opening button
    # "yes" and "yeah" in each chat: 10, written in batches of at least 5 (a last few may wait).
    assert 5 <= sum_by(found, "web", counters.MESSAGE, "affirm") <= 2 * CHATS
    assert sum_by(found, "web", counters.MESSAGE, "ask_clares_law") == CHATS
    assert sum_by(found, "web", counters.BUTTON, "ask_helplines") == CHATS
    assert sum_by(found, "web", counters.FALLBACK) == CHATS
    assert sum(n for k, n in found.items() if k.metric == counters.ESCALATION) == CHATS
    assert sum_by(found, "web", counters.FLOW_STARTED, "controlling_check_form") == CHATS
    assert sum_by(found, "web", counters.FLOW_FINISHED, "controlling_check_form") == 0
    assert sum_by(found, "web", counters.FLOW_STARTED, "reflect_form") == CHATS
    assert sum_by(found, "web", counters.FLOW_FINISHED, "reflect_form") == CHATS
    # Nothing from REST without the token, and no count under 5 at rest.
    assert not [k for k in found if k.channel == "rest"]
    assert min(found.values()) >= counters.MIN_STORED_COUNT

    # Scan every column of every table: no text anyone sent, no sender id, no token.
    secrets = [m for m in SENT if len(m) > 5] + [rest.sender, *tokens, *more, "coercive control"]
    engine = create_engine(database)
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(select(text("*")).select_from(text(table))):
                for value in row:
                    assert not any(secret in str(value) for secret in secrets), (table, value)
                    assert len(str(value)) <= 64  # short labels and counts only
    engine.dispose()
    if database.startswith("sqlite:///"):  # nor anywhere in the file, deleted pages included
        raw = Path(database.removeprefix("sqlite:///")).read_bytes()
        assert not any(secret.encode() in raw for secret in secrets)


def user_event(sender: str, intent: str, channel: str = "sms") -> dict:
    """A user event as Rasa publishes it, from a channel that vouches for it."""
    return {"event": "user", "sender_id": sender, "timestamp": time.time(),
            "input_channel": channel, "text": "x", "parse_data": {"intent": {"name": intent}},
            "metadata": {COUNTED: True}}


def test_no_count_under_5_is_ever_written(database: str) -> None:
    """Someone who reads the table (or compares two copies of it) never sees a count, or an
    increment, under 5: a 1 next to knowing who used the service that day says what they
    disclosed."""
    store = CounterStore(database)
    broker = InsightsBroker(store, Tally(Vocabulary.from_domain_file(ROOT / "domain.yml")),
                            flush_interval_s=3600)
    key = Key(counters.day_of(time.time()), "sms", counters.ESCALATION, "danger_now")
    try:
        for n in range(4):
            broker.publish(user_event(f"sms-{n}", "risk_danger_now"))
        broker.flush()
        assert key not in store.all()  # 4 wait in memory
        broker.publish(user_event("sms-4", "risk_danger_now"))
        broker.flush()
        assert store.all()[key] == 5
        for n in range(3):
            broker.publish(user_event(f"sms-{5 + n}", "risk_danger_now"))
        broker.flush()
        assert store.all()[key] == 5  # not 6, 7, 8: increments wait for 5 too
    finally:
        asyncio.run(broker.close())
    assert store.all()[key] == 5  # what never reached 5 is dropped, not written at shutdown
    assert min(store.all().values()) >= counters.MIN_STORED_COUNT


def test_counts_reach_the_database_while_the_server_runs(database: str) -> None:
    """The writer thread writes on its own, so a process that dies loses one interval's
    counts at most, not the day's."""
    store = CounterStore(database)
    broker = InsightsBroker(store, Tally(Vocabulary.from_domain_file(ROOT / "domain.yml")),
                            flush_interval_s=0.05)
    key = Key(counters.day_of(time.time()), "telegram", counters.ESCALATION, "self_harm")
    try:
        for n in range(counters.MIN_STORED_COUNT):
            broker.publish(user_event(f"telegram-{n}", "risk_self_harm", "telegram"))
        deadline = time.monotonic() + 10
        while key not in store.all() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.all().get(key) == counters.MIN_STORED_COUNT  # before close() is called
    finally:
        asyncio.run(broker.close())


def test_a_counted_server_still_answers_when_its_database_is_gone(
        trained_model: Path, action_server: str, tmp_path: Path) -> None:
    broker = "event_broker:\n  type: bot.insights.broker.InsightsBroker\n  flush_interval_s: 0.2\n"
    process, url = start_rasa(trained_model, action_server, tmp_path,
                              {"INSIGHTS_DB_URL": "postgresql://nobody@127.0.0.1:1/none"}, broker)
    try:
        assert "999" in "".join(r.get("text", "") for r in Bot(url).say("hello"))
        for _ in range(CHATS):  # enough counted greetings to be written
            web_chat(url, [])
        time.sleep(1)
    finally:
        launcher.stop([process])
    log = (tmp_path / "server.log").read_text()
    assert "insights: could not write counters" in log
    assert "hello" not in log


def seed(url: str) -> None:
    """Two days of counters, with cells either side of the small-count threshold (the broker
    writes none under 5; the report withholds them all the same)."""
    day1, day2 = "2026-11-20", "2026-11-21"
    CounterStore(url).add({
        Key(day1, "web", counters.CONVERSATION_STARTED): 7,
        Key(day1, "sms", counters.CONVERSATION_STARTED): 2,
        Key(day2, "telegram", counters.CONVERSATION_STARTED): 12,
        Key(day1, "web", counters.MESSAGE, "ask_clares_law"): 30,
        Key(day1, "web", counters.MESSAGE, "ask_consent"): 20,
        Key(day1, "sms", counters.MESSAGE, "ask_consent"): 8,
        Key(day1, "sms", counters.MESSAGE, "nlu_fallback"): 1,
        Key(day1, "web", counters.MESSAGE, "risk_danger_now"): 6,
        Key(day1, "web", counters.ESCALATION, "danger_now"): 6,
        Key(day2, "telegram", counters.ESCALATION, "child"): 1,
        Key(day1, "web", counters.FALLBACK): 5,
        Key(day1, "sms", counters.FALLBACK): 1,
        Key(day1, "web", counters.FLOW_STARTED, "get_help_form"): 10,
        Key(day1, "web", counters.FLOW_FINISHED, "get_help_form"): 6,
        Key(day1, "web", counters.QUICK_EXIT): 5,
    })


def test_the_report_shows_the_counters_with_small_counts_withheld(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seeded.sqlite'}"
    seed(url)
    subprocess.run([sys.executable, "-m", "bot.insights.report", "--db", url, "--out",
                    str(tmp_path / "out")], cwd=ROOT, check=True, capture_output=True)
    with (tmp_path / "out" / "insights.csv").open(encoding="utf-8") as file:
        shown = {(r["section"], r["period"], r["channel"], r["name"]): r["value"]
                 for r in csv.DictReader(file)}
    assert shown[("conversations per day", "2026-11-20", "web", "")] == "7"
    assert shown[("conversations per day", "2026-11-20", "sms", "")] == "fewer than 5"
    assert shown[("conversations per day", "2026-11-21", "telegram", "")] == "12"
    assert shown[("messages per day", "2026-11-20", "web", "")] == "56"
    assert shown[("top topics", "all", "all", "ask_consent")] == "28"
    assert shown[("top topics", "all", "all", "ask_clares_law")] == "30"
    assert ("top topics", "all", "all", "nlu_fallback") not in shown
    assert shown[("escalations by category", "all", "all", "danger_now")] == "6"
    assert shown[("escalations by category", "all", "all", "child")] == "fewer than 5"
    assert shown[("fallback rate", "all", "web", "")] == "8.9%"  # 5 of 56
    assert shown[("fallback rate", "all", "sms", "")] == "not shown"  # 1 of 9
    assert shown[("flow completion", "all", "all", "get_help_form")] == "60.0%"
    assert shown[("quick exits per day", "2026-11-20", "web", "")] == "5"

    page = (tmp_path / "out" / "insights.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 4
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "fewer than 5" in page and "60.0%" in page and ">12<" in page
    assert ">1<" not in page and ">2<" not in page  # no small count escapes into a table


def test_counters_add_up_across_writers(database: str) -> None:
    """Two processes' brokers writing the same counter add, never overwrite."""
    key = Key("2000-01-01", "web", counters.MESSAGE, "ask_consent")
    first, second = CounterStore(database), CounterStore(database)
    first.add({key: 2})
    second.add({key: 3})
    assert first.all()[key] == 5


