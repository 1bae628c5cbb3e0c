"""Per-client limits on the public channels (web and REST), checked before any work is done.

Answering a message is CPU work on the server's event loop: while one is answered, nothing
else in that process is. One client sending long messages at 150 at a time once delayed the
answer to "he is going to kill me" by 26 s. So each client (its address, or its /64 for
IPv6) may have only a few requests in progress in a process and a bounded number a minute,
and a request past either limit is refused at once with 429 (shed, not queued), before a
token is minted or a message read. The process also sheds everything past a total of
requests in progress, so a flood from many addresses is refused rather than queued
behind.

Behind nginx the client's address is the one nginx puts in X-Forwarded-For, which Sanic reads
when SANIC_PROXIES_COUNT=1 (deploy/nginx.conf); otherwise it is the TCP peer. Addresses are
kept only in this process's memory, as keyed hashes (the key never leaves the process), at
most MAX_CLIENTS of them, the oldest going first.

SMS and Telegram are not limited here: their requests come from the platforms' few
addresses and are authenticated (signature, secret); nginx gives them their own limits.

Settings (environment): CLIENT_REQUESTS_PER_MINUTE (default 300), CLIENT_BURST (60),
CLIENT_IN_FLIGHT (4 per process), SERVER_IN_FLIGHT (64 per process).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cache

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.recent import Recent

MAX_CLIENTS = 100_000
# The largest legitimate body (a Telegram update with a 4,096-character message and its
# entities); Sanic's default, 100 MB, is read into memory before any channel can refuse it.
MAX_REQUEST_BYTES = 64 * 1024
_ADDRESS_KEY = secrets.token_bytes(32)
BUSY = ("The assistant is very busy. Please try again in a moment. "
        "If you are in danger, call 999.")


def _setting(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def client_key(request: Request) -> str:
    """Who sent `request`: a keyed hash of its address (an IPv6 address's /64 network).

    The key lives only in this process's memory, so the hashes cannot be turned back into
    addresses by trying every one.
    """
    address = request.remote_addr or request.ip or ""
    try:
        ip = ipaddress.ip_address(address)
        if ip.version == 6:
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    except ValueError:
        pass
    return hmac.new(_ADDRESS_KEY, address.encode(), hashlib.sha256).hexdigest()[:24]


class Overloaded(Exception):
    """The request is past a limit; `reason` is what the person is told (with a 429)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClientLimits:
    """A token bucket a client and a count of requests in progress, for one process."""

    def __init__(self) -> None:
        self.per_minute = _setting("CLIENT_REQUESTS_PER_MINUTE", 300)
        self.burst = _setting("CLIENT_BURST", 60)
        self.client_in_flight = _setting("CLIENT_IN_FLIGHT", 4)
        self.server_in_flight = _setting("SERVER_IN_FLIGHT", 64)
        self._buckets: Recent[str, tuple[float, float]] = Recent(MAX_CLIENTS)
        self._in_flight: dict[str, int] = {}
        self._total = 0

    def _take(self, client: str) -> bool:
        """Takes one request from the client's bucket; False if it is empty."""
        now = time.monotonic()
        tokens, since = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - since) * self.per_minute / 60)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return False
        self._buckets[client] = (tokens - 1, now)
        return True

    @contextmanager
    def admit(self, request: Request) -> Iterator[None]:
        """Holds a place for `request` while it is answered; raises Overloaded when full."""
        client = client_key(request)
        if self._total >= self.server_in_flight:
            raise Overloaded(BUSY)
        if self._in_flight.get(client, 0) >= self.client_in_flight or not self._take(client):
            raise Overloaded("Too many requests from your connection. Please wait a minute. "
                             "If you are in danger, call 999.")
        self._in_flight[client] = self._in_flight.get(client, 0) + 1
        self._total += 1
        try:
            yield
        finally:
            self._total -= 1
            left = self._in_flight.pop(client) - 1
            if left:
                self._in_flight[client] = left


async def within_limits(request: Request, work: Callable[[], Awaitable[HTTPResponse]],
                        refuse: Callable[[str], HTTPResponse]) -> HTTPResponse:
    """`work`'s response if `request` is within its client's limits, else `refuse(reason)`.

    The place is held while the work is done, and given back however it ends.
    """
    try:
        with limits().admit(request):
            return await work()
    except Overloaded as error:
        return refuse(error.reason)


@cache
def limits() -> ClientLimits:
    """The process's limits, shared by the web and REST channels.

    Read from the environment on first use, in the worker.
    """
    return ClientLimits()


def cap_request_size(blueprint: Blueprint) -> None:
    """Makes the server refuse (413) any body over MAX_REQUEST_BYTES before reading it all."""

    @blueprint.listener("before_server_start")
    async def cap(app: Sanic, _: object) -> None:
        app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
