"""Real servers on loopback for the tests: Rasa with our channels, and Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis
import yaml

from tests.support import ROOT, sms
from tools import launcher


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REST_TOKEN = "test-rest-token"  # servers that need one (as deployed) are given this one
# One test client stands for many people: per-client limits (channels/common/limits.py) are lifted,
# except where a test sets them.
NO_CLIENT_LIMITS = {"CLIENT_REQUESTS_PER_MINUTE": "1000000", "CLIENT_BURST": "1000000",
                    "CLIENT_IN_FLIGHT": "1000000", "SERVER_IN_FLIGHT": "1000000"}


def shipped_endpoint(name: str) -> str:
    """One section of endpoints.yml as shipped (the tracker store, the response generator)."""
    shipped = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    return yaml.safe_dump({name: shipped[name]}, sort_keys=False)


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
    for name in ("tracker_store", "nlg"):
        if f"{name}:" not in endpoints_extra:
            endpoints_extra += shipped_endpoint(name)
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


ALLOWED_ORIGIN = "https://campaign.example.org"


TTL_S = 8
HASH_KEY = "redis-test-hash-key-0123456789"
REDIS_BINARY = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_endpoints() -> str:
    """endpoints.redis.yml as shipped, less its action endpoint (start_rasa writes that)."""
    text = (ROOT / "endpoints.redis.yml").read_text(encoding="utf-8")
    return text[text.index("tracker_store:"):]


def start_on_redis(trained_model: Path, action_server: str, tmp: Path, port: int, prefix: str,
          **env: str) -> tuple[subprocess.Popen, str]:
    """A Rasa server on endpoints.redis.yml, with the SMS channel configured too."""
    return start_rasa(trained_model, action_server, tmp,
                      {"REDIS_PORT": str(port), "REDIS_KEY_PREFIX": prefix,
                       "CONVERSATION_TTL_S": str(TTL_S),
                       "INSIGHTS_DB_URL": f"sqlite:///{tmp / 'insights.sqlite'}",
                       "TWILIO_AUTH_TOKEN": sms.TOKEN,
                       "SMS_WEBHOOK_URL": sms.PUBLIC_URL,
                       "SMS_OPTOUT_DB": str(tmp / "opt.db"), "SENDER_HASH_KEY": HASH_KEY,
                       "REST_TOKEN": REST_TOKEN, **env},
                      redis_endpoints())


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen([REDIS_BINARY, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port).ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.1)
    raise TimeoutError("redis-server did not start")
