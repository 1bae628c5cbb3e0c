"""Shared fixtures: one trained model per test session, and real servers on loopback.

The model is brought up to date once per session (`rasa train` restores every component whose
data and config are unchanged from its fingerprint cache), never inside a test. End-to-end
tests talk to a real Rasa server and a real action server over HTTP on 127.0.0.1, exactly as a
channel would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

# Imported here, before collection: Sanic's import puts a "once" filter for every
# DeprecationWarning in front of pytest.ini's filterwarnings, which then showed known noise.
import sanic  # noqa: F401

from bot import launcher
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model, brought up to date first (Rasa retrains only components whose data changed)."""
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "--quiet", "--out", "models",
         "--fixed-model-name", "assistant"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return ROOT / "models" / "assistant.tar.gz"


@dataclass
class Bot:
    """A client for the REST channel of a running Rasa server."""

    url: str

    def say(self, text: str, sender: str | None = None) -> list[dict]:
        """Sends `text` as `sender` (a fresh conversation if None) and returns the replies."""
        body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {REST_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def conversation(self) -> Conversation:
        """A new conversation with its own sender id."""
        return Conversation(self, uuid.uuid4().hex)


@dataclass
class Conversation:
    """One person's conversation: every message goes out under the same sender id."""

    bot: Bot
    sender: str

    def say(self, text: str) -> list[dict]:
        return self.bot.say(text, self.sender)


def texts(replies: list[dict]) -> str:
    """All reply texts joined, for assertions on what the person reads."""
    return "\n".join(reply.get("text", "") for reply in replies)


def button_titles(replies: list[dict]) -> list[str]:
    """Every button title offered in the replies."""
    return [button["title"] for reply in replies for button in reply.get("buttons", [])]


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


REST_TOKEN = "test-rest-token"  # servers that need one (as deployed) are given this one
# One test client stands for many people: per-client limits (channels/limits.py) are lifted,
# except where a test sets them.
NO_CLIENT_LIMITS = {"CLIENT_REQUESTS_PER_MINUTE": "1000000", "CLIENT_BURST": "1000000",
                    "CLIENT_IN_FLIGHT": "1000000", "SERVER_IN_FLIGHT": "1000000"}
IN_MEMORY_STORE = "tracker_store:\n  type: bot.tracker_store.ForgettingInMemoryTrackerStore\n"
LANGUAGE_NLG = "nlg:\n  type: bot.language_nlg.LanguageNLG\n"  # as endpoints.yml


def start_rasa(
    trained_model: Path, action_url: str, tmp_dir: Path, env: dict[str, str] | None = None,
    endpoints_extra: str = "",
) -> tuple[subprocess.Popen, str]:
    """Starts a Rasa server with the channels in credentials.yml, pointed at `action_url`.

    `env` adds environment variables (channel secrets), `endpoints_extra` more of
    endpoints.yml (an event broker, a tracker store); everything the server logs goes to
    tmp_dir/server.log, so tests can check what it does not log.
    """
    port = free_port()
    endpoints = tmp_dir / "endpoints.yml"
    if "tracker_store:" not in endpoints_extra:  # endpoints.yml's in-memory store
        endpoints_extra += IN_MEMORY_STORE
    if "nlg:" not in endpoints_extra:
        endpoints_extra += LANGUAGE_NLG
    endpoints.write_text(f'action_endpoint:\n  url: "{action_url}"\n{endpoints_extra}',
                         encoding="utf-8")
    log = (tmp_dir / "server.log").open("wb")
    process = subprocess.Popen(
        launcher.rasa_server_command(port, str(endpoints), str(trained_model)), cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT,
        env=launcher.server_environment({**NO_CLIENT_LIMITS, **(env or {})}),
    )
    launcher.wait_until_up(f"http://127.0.0.1:{port}/", process)
    return process, f"http://127.0.0.1:{port}"


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


ALLOWED_ORIGIN = "https://campaign.example.org"


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
