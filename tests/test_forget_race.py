"""Forgetting wins over a reply in flight, on every channel, in Redis and in memory.

The person types, then presses the quick exit (texts FORGET, sends /forget) while the answer
is still being prepared. The action server here is slowed down for one action, so a reply is
deliberately in flight when the forget arrives; once both are done, nothing of the
conversation may be left, and the person is treated as someone new.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from bot.stores.forget import forget
from bot.stores.tracker_store import ForgettingInMemoryTrackerStore
from channels.common import pseudonym
from tests.support import json_server, servers
from tests.support import sms as sms_client
from tests.support import telegram as telegram_client
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import start_rasa
from tests.support.web import call, new_session, say
from tools import launcher

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SLOW_ACTION = "action_reset_flow_slots"  # run by the "Am I in a controlling relationship?" flow
SLOW_S = 2.0
SLOW_CALL_ARRIVED = threading.Event()  # set when the proxy starts holding SLOW_ACTION's call
HASH_KEY = servers.HASH_KEY


@pytest.fixture(scope="module")
def slow_actions(action_server: str) -> Iterator[str]:
    """The real action server behind a proxy that holds SLOW_ACTION's calls for SLOW_S."""

    def answer(_: str, __: str, body: bytes) -> tuple[int, bytes]:
        if SLOW_ACTION.encode() in body:
            SLOW_CALL_ARRIVED.set()
            time.sleep(SLOW_S)
        request = urllib.request.Request(action_server, data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return 200, response.read()

    server, url = json_server.serve(answer)
    try:
        yield f"{url}/webhook"
    finally:
        server.shutdown()


def env(tmp: Path, fake_telegram: tuple[FakeTelegram, str]) -> dict[str, str]:
    """Every channel configured (Telegram's API faked on loopback), REST without a token."""
    return {"TWILIO_AUTH_TOKEN": sms_client.TOKEN, "SMS_WEBHOOK_URL": sms_client.PUBLIC_URL,
            "SMS_OPTOUT_DB": str(tmp / "opt.db"), "SENDER_HASH_KEY": HASH_KEY,
            "TELEGRAM_TOKEN": telegram_client.TOKEN, "TELEGRAM_API_URL": fake_telegram[1],
            "TELEGRAM_WEBHOOK_SECRET": telegram_client.SECRET, "REST_TOKEN": ""}


@pytest.fixture(scope="module", params=["redis", "memory"])
def server(request: pytest.FixtureRequest, trained_model: Path, slow_actions: str,
           fake_telegram: tuple[FakeTelegram, str], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, str | None]]:
    """A server with every channel, on Redis (with its key prefix) or in memory (None)."""
    tmp = tmp_path_factory.mktemp(request.param)
    prefix = "race" + uuid.uuid4().hex[:10] if request.param == "redis" else None
    if prefix:
        process, url = servers.start_on_redis(trained_model, slow_actions, tmp, 6379, prefix,
                                        **env(tmp, fake_telegram))
    else:
        process, url = start_rasa(trained_model, slow_actions, tmp, env(tmp, fake_telegram))
    try:
        yield url, prefix
    finally:
        launcher.stop([process])
        if prefix:
            client = redis.Redis()
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)


def in_flight(send: Callable[[], object]) -> threading.Thread:
    """Sends a message whose reply takes SLOW_S; returns once it is being answered (its slow
    action has reached the proxy), however busy the machine is."""
    SLOW_CALL_ARRIVED.clear()
    thread = threading.Thread(target=send)
    thread.start()
    assert SLOW_CALL_ARRIVED.wait(timeout=60), "the reply never reached its slow action"
    return thread


def nothing_left(prefix: str | None, sender: str, marker: str) -> None:
    """In Redis: no conversation for `sender`, and `marker` in no value under the prefix."""
    if prefix is None:
        return
    client = redis.Redis()
    assert not client.exists(f"{prefix}:tracker:{sender}")
    for key in client.scan_iter(f"{prefix}:*"):
        if client.type(key) == b"string":
            assert marker.encode() not in (client.get(key) or b""), key


def test_quick_exit_with_a_reply_in_flight_forgets_the_web_chat(
        server: tuple[str, str | None]) -> None:
    url, prefix = server
    token, marker = new_session(url), uuid.uuid4().hex
    assert say(url, token, message=f"my husband checks my phone {marker}")[0] == 200
    replying = in_flight(lambda: say(url, token, payload="/check_controlling"))
    assert call(url, "/forget", token.encode(), "text/plain")[0] == 200
    replying.join()
    sender = pseudonym.pseudonym(HASH_KEY.encode(), "web", token.split(".")[0])
    nothing_left(prefix, sender, marker)
    # The chat has ended for good: its token is refused, so nothing can be added to it.
    status, answer = say(url, token, message="hello")
    assert status == 403 and "start a new one" in answer["error"]


def test_forget_by_sms_with_a_reply_in_flight_forgets_the_conversation(
        server: tuple[str, str | None]) -> None:
    url, prefix = server
    sms, number, marker = sms_client.Sms(url, Path(), Path()), sms_client.new_number(), \
        uuid.uuid4().hex
    sms.texts(f"my husband checks my phone {marker}", number)
    replying = in_flight(lambda: sms.texts("am i in a controlling relationship", number))
    assert "Deleted" in sms.texts("FORGET", number)[0]
    replying.join()
    nothing_left(prefix, pseudonym.pseudonym(HASH_KEY.encode(), "sms", number), marker)
    # Treated as someone new: "yes" is answered as on a conversation that never existed,
    # not as the next answer in the checklist that was in flight.
    assert sms.texts("yes", number) == sms.texts("yes", sms_client.new_number())


def test_telegram_forget_with_a_button_in_flight_forgets_the_conversation(
        server: tuple[str, str | None], fake_telegram: tuple[FakeTelegram, str]) -> None:
    url, prefix = server
    tg = telegram_client.Telegram(url, fake_telegram[0], Path())
    chat_id, marker = telegram_client.chat(), uuid.uuid4().hex
    tg.say(f"my husband checks my phone {marker}", chat_id=chat_id)
    replying = in_flight(lambda: tg.press("/check_controlling", chat_id=chat_id))
    assert "forgotten" in telegram_client.texts(tg.say("/forget", chat_id=chat_id))
    replying.join()
    # Nothing arrives in the chat after "I've forgotten our conversation".
    assert "forgotten" in fake_telegram[0].sent(chat_id)[-1]["text"]
    nothing_left(prefix, pseudonym.pseudonym(HASH_KEY.encode(), "telegram", str(chat_id)),
                 marker)
    fresh = telegram_client.chat()
    assert telegram_client.texts(tg.say("yes", chat_id=chat_id)) == \
        telegram_client.texts(tg.say("yes", chat_id=fresh))


def test_a_reply_saved_after_the_forget_is_refused_but_a_new_conversation_is_kept() -> None:
    """The tombstone, in memory: a reply that loaded the conversation before the forget and
    saves after it (its lock expired) writes nothing; what the person says next is kept."""
    asyncio.run(_reply_after_forget())


async def _reply_after_forget() -> None:
    store = ForgettingInMemoryTrackerStore(Domain.empty())
    agent = type("Agent", (), {"tracker_store": store, "lock_store": InMemoryLockStore()})()
    before = await store.get_or_create_tracker("someone")
    before.update(UserUttered("my husband checks my phone"))
    await store.save(before)
    assert await forget(agent, "someone")  # type: ignore[arg-type]
    await store.save(before)  # the reply in flight
    assert await store.retrieve("someone") is None
    after = await store.get_or_create_tracker("someone")
    after.update(UserUttered("hello again"))
    await store.save(after)
    assert await store.retrieve("someone") is not None


def test_rest_is_off_as_deployed_unless_a_token_is_set(server: tuple[str, str | None]) -> None:
    """In Redis (as deployed) with no REST_TOKEN the REST channel answers 404; in memory
    (`make run`) it is open."""
    url, prefix = server
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook",
                                     data=b'{"sender": "a", "message": "hello"}',
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == (404 if prefix else 200)
