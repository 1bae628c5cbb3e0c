"""Shared fixtures: one trained model per test session, and real servers on loopback.

The model is brought up to date once per session (`rasa train` restores every component whose
data and config are unchanged from its fingerprint cache), never inside a test. End-to-end
tests talk to a real Rasa server and a real action server over HTTP on 127.0.0.1, exactly as a
channel would. Only fixtures live here; the clients, fakes and server starters they use are in
tests/support/, which test modules import (never each other).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

# Imported here, before collection: Sanic's import puts a "once" filter for every
# DeprecationWarning in front of pytest.ini's filterwarnings, which then showed known noise.
import sanic  # noqa: F401

from tests.support import ROOT
from tests.support import sms as sms_client
from tests.support import telegram as telegram_client
from tests.support.fake_telegram import FakeTelegram
from tests.support.rest import Bot
from tests.support.servers import ALLOWED_ORIGIN, free_port, start_rasa
from tools import launcher

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # SQLAlchemy shows it past filters


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own (letters and digits); its keys go afterwards."""
    prefix = "test" + uuid.uuid4().hex[:12]
    yield prefix
    client = redis.Redis()
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model, brought up to date first (Rasa retrains only components whose data changed)."""
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "--quiet", "--out", "models",
         "--fixed-model-name", "assistant"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return ROOT / "models" / "assistant.tar.gz"


@pytest.fixture(scope="session")
def action_server() -> Iterator[str]:
    """The real action server (actions/) on a free loopback port; yields its webhook URL."""
    port = free_port()
    process = subprocess.Popen(
        launcher.action_server_command(port), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        launcher.wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        launcher.stop([process])


@pytest.fixture(scope="session")
def bot(
    trained_model: Path, action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bot]:
    """A running assistant (Rasa server + action server) reached over its REST channel."""
    process, url = start_rasa(trained_model, action_server, tmp_path_factory.mktemp("rasa"))
    try:
        yield Bot(url)
    finally:
        launcher.stop([process])


@pytest.fixture(scope="session")
def web_server(
    trained_model: Path, action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A running assistant for the website widget; yields the server's base URL."""
    process, url = start_rasa(trained_model, action_server, tmp_path_factory.mktemp("web"),
                              {"WEB_ALLOWED_ORIGINS": ALLOWED_ORIGIN})
    try:
        yield url
    finally:
        launcher.stop([process])


@pytest.fixture(scope="session")
def bot_without_actions(trained_model: Path, tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[Bot]:
    """The assistant with its action server down (nothing listens on the action port)."""
    dead = f"http://127.0.0.1:{free_port()}/webhook"
    process, url = start_rasa(trained_model, dead, tmp_path_factory.mktemp("no-actions"))
    try:
        yield Bot(url)
    finally:
        launcher.stop([process])


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[tuple[FakeTelegram, str]]:
    """A stand-in for Telegram's Bot API on loopback; yields it and its URL."""
    api = FakeTelegram()
    server, api_url = api.serve()
    try:
        yield api, api_url
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def sms(trained_model: Path, action_server: str, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[sms_client.Sms]:
    tmp = tmp_path_factory.mktemp("sms")
    env = {"TWILIO_AUTH_TOKEN": sms_client.TOKEN, "SMS_WEBHOOK_URL": sms_client.PUBLIC_URL,
           "SENDER_HASH_KEY": "test-hash-key-0123456789", "SMS_OPTOUT_DB": str(tmp / "opt.db")}
    process, url = start_rasa(trained_model, action_server, tmp, env)
    try:
        yield sms_client.Sms(url, tmp / "server.log", tmp / "opt.db")
    finally:
        launcher.stop([process])


@pytest.fixture(scope="module")
def telegram(trained_model: Path, action_server: str, fake_telegram: tuple[FakeTelegram, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[telegram_client.Telegram]:
    api, api_url = fake_telegram
    tmp = tmp_path_factory.mktemp("telegram")
    env = {"TELEGRAM_TOKEN": telegram_client.TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": telegram_client.SECRET,
           "SENDER_HASH_KEY": "test-hash-key-0123456789", "TELEGRAM_API_URL": api_url}
    process, url = start_rasa(trained_model, action_server, tmp, env)
    try:
        yield telegram_client.Telegram(url, api, tmp / "server.log")
    finally:
        launcher.stop([process])
