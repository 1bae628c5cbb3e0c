"""Starts the action server and the Rasa server together, and stops both cleanly on Ctrl-C.

`make run` uses `run`: both servers, then a note on where to talk to the assistant.
`make shell` uses `shell`: Rasa's terminal chat (its own server on SHELL_PORT, so it works
beside `make run`), with the action server of `make run` if it is up, or one of its own.

Every Rasa server is started through bot/serve.py, which replaces the Rasa internals in
bot/rasa_patches.py before Rasa starts; the action server is plain `rasa run actions`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT", "5055"))
RASA_PORT = int(os.environ.get("RASA_PORT", "5005"))
SHELL_PORT = int(os.environ.get("SHELL_PORT", "5006"))
START_TIMEOUT_S = 180
ENDPOINTS = os.environ.get("RASA_ENDPOINTS", "endpoints.yml")
# What endpoints.redis.yml reads from the environment, when it is not set there.
REDIS_DEFAULTS = {
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0", "REDIS_PASSWORD": "",
    "REDIS_KEY_PREFIX": "assistant", "CONVERSATION_TTL_S": "1800",
    "ACTION_SERVER_URL": f"http://localhost:{ACTIONS_PORT}/webhook",
}


def _rasa(*args: str) -> list[str]:
    return [str(BIN / "rasa"), *args]


def _served(*args: str) -> list[str]:
    """A Rasa server's command: Rasa's command line through bot/serve.py (the speed-ups)."""
    return [str(BIN / "python"), "-m", "bot.serve", *args]


def action_server_command(port: int = ACTIONS_PORT) -> list[str]:
    """The command that serves actions/ on `port`."""
    return _rasa("run", "actions", "--actions", "actions", "--port", str(port))


def rasa_server_command(
    port: int = RASA_PORT, endpoints: str = ENDPOINTS, model: str = "models",
    speedups: bool = True,
) -> list[str]:
    """The command that serves `model` (a file, or the newest in a folder).

    The channels are those in credentials.yml. Rasa's HTTP API (--enable-api) stays off:
    it would expose every conversation. `speedups=False`: Rasa as shipped (bench's baseline).
    """
    return (_served if speedups else _rasa)(
        "run", "--model", model, "--port", str(port),
        "--credentials", "credentials.yml", "--endpoints", endpoints,
    )


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The Rasa server's environment: ours, Redis defaults filled in, then `extra`."""
    return {**REDIS_DEFAULTS, **os.environ, **(extra or {})}


def is_up(url: str) -> bool:
    """Whether something answers at `url` right now."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_until_up(url: str, process: subprocess.Popen, timeout_s: float = START_TIMEOUT_S) -> None:
    """Polls `url` until it answers; fails early if the process behind it has died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {url} was up")
        if is_up(url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f}s")


def stop(processes: list[subprocess.Popen]) -> None:
    """Asks each process to stop (SIGTERM: Sanic shuts down gracefully), then kills it.

    A process still running 15 seconds later is killed.
    """
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _interrupt(signum: int, frame: object) -> None:
    """Turns SIGINT and SIGTERM into the same clean shutdown as Ctrl-C."""
    raise KeyboardInterrupt


def run() -> int:
    """Runs both servers until Ctrl-C (SIGINT) or SIGTERM."""
    # Set both explicitly, before starting the servers: a shell that starts us in the
    # background hands us SIGINT ignored, and an ignored signal is inherited by children.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    actions = subprocess.Popen(action_server_command(), cwd=ROOT)
    server = subprocess.Popen(rasa_server_command(), cwd=ROOT, env=server_environment())
    processes = [actions, server]
    try:
        wait_until_up(f"http://localhost:{ACTIONS_PORT}/health", actions)
        wait_until_up(f"http://localhost:{RASA_PORT}/", server)
        print(
            "\nThe assistant is running.\n"
            f"  Website demo: http://localhost:{RASA_PORT}/webhooks/web/\n"
            "  Terminal:     make shell (in another terminal)\n"
            f"  REST:         POST http://localhost:{RASA_PORT}/webhooks/rest/webhook\n"
            '                with {"sender": "me", "message": "hello"}\n'
            "  Stop it:      Ctrl-C\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)


def shell() -> int:
    """Rasa's terminal chat, with an action server running behind it."""
    health = f"http://localhost:{ACTIONS_PORT}/health"
    own: list[subprocess.Popen] = []
    try:
        if not is_up(health):
            own.append(subprocess.Popen(action_server_command(), cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_until_up(health, own[0])
        return subprocess.call(
            _served("shell", "--model", "models", "--endpoints", "endpoints.yml",
                  "--port", str(SHELL_PORT)),
            cwd=ROOT,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        stop(own)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"])
    return {"run": run, "shell": shell}[parser.parse_args().mode]()


if __name__ == "__main__":
    sys.exit(main())
