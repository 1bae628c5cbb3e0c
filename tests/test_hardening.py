"""Holding up under attack: per-client limits, request sizes, malformed input, and logs.

One server with every channel configured and the per-client limits as deployed
(channels/common/limits.py). The "other person" connects from 127.0.0.2 (Linux routes all of 127/8
to loopback), so one client's flood and another's message are told apart as they would be.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import sms as sms_client
from tests.support import telegram as telegram_client
from tests.support.fake_telegram import FakeTelegram
from tests.support.raw_http import post, request
from tests.support.servers import start_rasa
from tools import launcher

pytestmark = pytest.mark.e2e

LONG = ("my partner keeps checking my phone and i do not know what to do " * 20)[:1000]
LIMITS = {"CLIENT_REQUESTS_PER_MINUTE": "300", "CLIENT_BURST": "60", "CLIENT_IN_FLIGHT": "4",
          "SERVER_IN_FLIGHT": "64"}  # channels/common/limits.py's defaults, as deployed


@pytest.fixture(scope="module")
def server(trained_model: Path, action_server: str, fake_telegram: tuple[FakeTelegram, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("hardening")
    env = {"TWILIO_AUTH_TOKEN": sms_client.TOKEN, "SMS_WEBHOOK_URL": sms_client.PUBLIC_URL,
           "SMS_OPTOUT_DB": str(tmp / "opt.db"), "SENDER_HASH_KEY": "hardening-key-0123456789",
           "TELEGRAM_TOKEN": telegram_client.TOKEN, "TELEGRAM_API_URL": fake_telegram[1],
           "TELEGRAM_WEBHOOK_SECRET": telegram_client.SECRET, **LIMITS}
    process, url = start_rasa(trained_model, action_server, tmp, env)
    try:
        yield url, tmp / "server.log"
    finally:
        launcher.stop([process])


def web_message(url: str, text: str, source: str = "127.0.0.1") -> tuple[int, dict]:
    status, minted = request(url, "/webhooks/web/session", {}, source)
    if status != 200:
        return status, minted
    return request(url, "/webhooks/web/message", {"token": minted["token"], "message": text},
                   source)


def test_one_clients_flood_is_shed_and_another_persons_999_answer_still_comes(
        server: tuple[str, Path]) -> None:
    url, _ = server
    time.sleep(1)  # a full bucket for this client
    with ThreadPoolExecutor(40) as pool:
        flood = [pool.submit(web_message, url, LONG) for _ in range(120)]
        rest = [pool.submit(request, url, "/webhooks/rest/webhook",
                            {"sender": uuid.uuid4().hex, "message": LONG}) for _ in range(40)]
        status, answer = web_message(url, "he is going to kill me", "127.0.0.2")
        statuses = [f.result()[0] for f in flood + rest]
    assert status == 200 and "999" in answer["messages"][0]["text"]
    assert statuses.count(429) > 0 and all(s in (200, 429) for s in statuses)
    refused = [f.result()[1] for f in flood if f.result()[0] == 429]
    assert "999" in refused[0]["error"]  # the refusal still says where help is


def test_danger_at_the_end_of_a_long_message_is_still_escalated(server: tuple[str, Path]) -> None:
    """The featurizers see only a message's start (a long one costs no more than a short one);
    the risk check must still read all of it."""
    url, _ = server
    status, answer = web_message(url, LONG[:970] + ". he is going to kill me", "127.0.0.8")
    assert status == 200 and "999" in answer["messages"][0]["text"]


def test_a_client_cannot_mint_tokens_without_limit(server: tuple[str, Path]) -> None:
    url, _ = server
    statuses = [request(url, "/webhooks/web/session", {}, "127.0.0.3")[0] for _ in range(80)]
    assert statuses[:50] == [200] * 50 and 429 in statuses


@pytest.mark.parametrize("path", ["/webhooks/web/message", "/webhooks/rest/webhook",
                                  "/webhooks/telegram/webhook", "/webhooks/sms/webhook"])
def test_a_body_over_64_kb_is_refused_before_it_is_read(server: tuple[str, Path],
                                                         path: str) -> None:
    url, _ = server
    assert request(url, path, b"x" * 70_000, "127.0.0.4")[0] == 413


@pytest.mark.parametrize("body", [
    {"token": "abc.\u00e9xyz", "message": "hi"},       # a non-ASCII token
    {"token": "\ud800.abc", "message": "hi"},          # a lone surrogate
    {"token": "PLACEHOLDER", "payload": ["/greet"]},   # a payload that is not text
    {"token": "PLACEHOLDER", "payload": {"a": 1}},
])
def test_malformed_web_requests_get_a_4xx_with_a_reason(server: tuple[str, Path],
                                                        body: dict) -> None:
    url, _ = server
    if body["token"] == "PLACEHOLDER":
        body = {**body, "token": request(url, "/webhooks/web/session", {}, "127.0.0.5")[1][
            "token"]}
    status, answer = request(url, "/webhooks/web/message",
                             json.dumps(body).encode(), "127.0.0.5")
    assert 400 <= status < 500 and answer["error"]


def test_json_nested_thousands_deep_gets_a_4xx(server: tuple[str, Path]) -> None:
    url, _ = server
    deep = b"[" * 1500 + b"]" * 1500  # under every channel's size limit
    for path in ("/webhooks/web/message", "/webhooks/rest/webhook"):
        assert request(url, path, deep, "127.0.0.6")[0] == 400
    update = b'{"update_id": 1, "x": ' + deep + b"}"
    status, _ = post(f"{url}/webhooks/telegram/webhook", update, "application/json",
                     {"X-Telegram-Bot-Api-Secret-Token": telegram_client.SECRET})
    assert status == 400


def test_a_telegram_date_out_of_range_gets_a_4xx(server: tuple[str, Path]) -> None:
    url, _ = server
    update = {"update_id": 1, "message": {"message_id": 1, "date": 10**20,
                                          "chat": {"id": 1, "type": "private"}, "text": "hi"}}
    status, _ = post(f"{url}/webhooks/telegram/webhook", json.dumps(update).encode(),
                     "application/json", {"X-Telegram-Bot-Api-Secret-Token":
                                          telegram_client.SECRET})
    assert 400 <= status < 500


def test_no_text_reaches_the_log_on_any_channel(server: tuple[str, Path],
                                               fake_telegram: tuple[FakeTelegram, str]) -> None:
    """Text that Rasa would try to parse as an intent ("/...") on every channel: none of it
    is logged, not even in Rasa's "Failed to parse arguments" warning."""
    url, log = server
    marks = {channel: f"LOGMARK{channel}{uuid.uuid4().hex[:8]}"
             for channel in ("rest", "web", "sms", "telegram")}
    for text in ("/ my husband hit me last night {}", '/greet{{"name": "Jane Doe {}"}}'):
        assert request(url, "/webhooks/rest/webhook",
                       {"sender": "logtest", "message": text.format(marks["rest"])},
                       "127.0.0.7")[0] == 200
        assert web_message(url, text.format(marks["web"]), "127.0.0.7")[0] == 200
        sms_client.Sms(url, Path(), Path()).texts(text.format(marks["sms"]),
                                                  sms_client.new_number())
        telegram_client.Telegram(url, fake_telegram[0], Path()).say(
            text.format(marks["telegram"]), chat_id=telegram_client.chat())
    time.sleep(0.5)
    written = log.read_text(encoding="utf-8", errors="replace")
    assert not [channel for channel, mark in marks.items() if mark in written]
