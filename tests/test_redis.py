"""Conversations in the real Redis on 127.0.0.1:6379, as endpoints.redis.yml configures them.

Two Rasa servers (one with two Sanic workers) share one conversation; a conversation expires
after its sliding TTL; "forget me" deletes it; and a Redis that goes away and comes back is
survived without a restart, every message still answered.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from channels.common import pseudonym
from channels.rest import rest_sender
from tests.support import sms as sms_client
from tests.support import telegram as telegram_client
from tests.support.fake_telegram import FakeTelegram
from tests.support.rest import Bot, texts
from tests.support.servers import HASH_KEY, TTL_S, free_port, start_on_redis, start_redis
from tests.support.web import call, new_session, say, text_of
from tools import launcher

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def shared(trained_model: Path, action_server: str, prefix: str,
           fake_telegram: tuple[FakeTelegram, str], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, str, Path]]:
    """Two Rasa servers on the shared Redis, the first with two workers; their URLs and logs.

    Both serve the REST, web, SMS and Telegram channels.
    """
    tmp_a, tmp_b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    telegram = {"TELEGRAM_TOKEN": telegram_client.TOKEN, "TELEGRAM_API_URL": fake_telegram[1],
                "TELEGRAM_WEBHOOK_SECRET": telegram_client.SECRET}
    a, url_a = start_on_redis(trained_model, action_server, tmp_a, 6379, prefix, SANIC_WORKERS="2",
                     **telegram)
    b, url_b = start_on_redis(trained_model, action_server, tmp_b, 6379, prefix, **telegram)
    try:
        yield url_a, url_b, tmp_a
    finally:
        launcher.stop([a, b])
    client = redis.Redis()
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def tracker_key(prefix: str, sender: str) -> str:
    return f"{prefix}:tracker:{sender}"


def rest_key(prefix: str, sender: str) -> str:
    """Where a REST caller's conversation is kept: in REST's own namespace."""
    return tracker_key(prefix, rest_sender(sender))


def test_two_servers_carry_one_conversation_alternately(shared: tuple[str, str, Path],
                                                        prefix: str) -> None:
    url_a, url_b, log_dir = shared
    sender = uuid.uuid4().hex
    assert "Who is the help for?" in texts(Bot(url_a).say("i need help", sender))
    assert "safe right now" in texts(Bot(url_b).say("it's for me", sender))
    assert "What kind of help" in texts(Bot(url_a).say("yes", sender))
    assert redis.Redis().exists(rest_key(prefix, sender))
    assert "i need help" not in (log_dir / "server.log").read_text()


def test_a_conversation_expires_after_its_ttl(shared: tuple[str, str, Path], prefix: str) -> None:
    url_a, url_b, _ = shared
    sender = uuid.uuid4().hex
    Bot(url_a).say("i need help", sender)
    assert 0 < redis.Redis().ttl(rest_key(prefix, sender)) <= TTL_S
    time.sleep(TTL_S + 1)
    assert not redis.Redis().exists(rest_key(prefix, sender))
    assert "safe right now" not in texts(Bot(url_b).say("it's for me", sender))


def test_forget_me_removes_the_conversation_from_redis(shared: tuple[str, str, Path],
                                                       prefix: str) -> None:
    url_a, _, _ = shared
    token = new_session(url_a)
    say(url_a, token, message="i need help")
    # The web channel's sender id: the keyed hash of the session's nonce.
    key = tracker_key(prefix, pseudonym.pseudonym(HASH_KEY.encode(), "web", token.split(".")[0]))
    assert redis.Redis().exists(key)
    assert call(url_a, "/forget", token.encode(), "text/plain")[0] == 200
    assert not redis.Redis().exists(key)


def test_rest_needs_its_token_and_cannot_reach_another_channels_conversation(
        shared: tuple[str, str, Path], prefix: str) -> None:
    url_a, _, _ = shared
    request = urllib.request.Request(f"{url_a}/webhooks/rest/webhook",
                                     data=b'{"sender": "a", "message": "hello"}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    # A web conversation in the middle of a flow; REST sends its sender id and gets a
    # conversation of its own, never that one.
    token = new_session(url_a)
    say(url_a, token, message="i need help")
    web_sender = pseudonym.pseudonym(HASH_KEY.encode(), "web", token.split(".")[0])
    assert "safe right now" not in texts(Bot(url_a).say("it's for me", web_sender))
    assert "safe right now" in text_of(say(url_a, token, message="it's for me")[1])
    assert redis.Redis().exists(rest_key(prefix, web_sender))


def test_what_channels_remember_is_shared_by_both_servers(
        shared: tuple[str, str, Path], fake_telegram: tuple[FakeTelegram, str]) -> None:
    url_a, url_b, _ = shared
    # SMS: a long answer on one server, "MORE" on the other.
    number = sms_client.new_number()
    first = sms_client.Sms(url_a, Path(), Path()).texts("how do i plan to leave him safely", number)
    assert first[-1].endswith("Text MORE for the rest.")
    rest = " ".join(sms_client.Sms(url_b, Path(), Path()).texts("MORE", number))
    assert "Don't delay leaving to look for documents" in rest
    # Telegram: messages through one server, /forget through the other deletes them.
    api = fake_telegram[0]
    chat_id = telegram_client.chat()
    telegram_client.Telegram(url_a, api, Path()).say("what is clares law", chat_id=chat_id)
    telegram_client.Telegram(url_b, api, Path()).say("/forget", chat_id=chat_id)
    deletes = [c.params for c in api.calls if c.method == "deleteMessages"
               and int(c.params["chat_id"]) == chat_id]
    assert deletes and len(deletes[0]["message_ids"]) >= 2  # the person's and the answer
    # Web: the per-minute limit counts messages on both servers.
    token = new_session(url_a)
    statuses = [say(url_a if n % 2 else url_b, token, payload="/help_menu")[0]
                for n in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_redis_going_away_is_answered_with_999_and_survived(
        trained_model: Path, action_server: str, tmp_path: Path) -> None:
    port = free_port()
    own_redis = start_redis(port)
    server, url = start_on_redis(trained_model, action_server, tmp_path, port, "down")
    try:
        bot = Bot(url)
        assert "Who is the help for?" in texts(bot.say("i need help"))
        own_redis.terminate()
        own_redis.wait()
        answer = texts(bot.say("what is clare's law"))
        assert "Sorry, I can't answer that right now" in answer and "999" in answer
        own_redis = start_redis(port)
        assert "Who is the help for?" in texts(bot.say("i need help"))
    finally:
        launcher.stop([server])
        own_redis.terminate()
    log = (tmp_path / "server.log").read_text()
    assert "conversation store (Redis) unavailable" in log
    assert "clare's law" not in log.lower()
