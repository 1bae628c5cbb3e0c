"""The website channel's endpoint: server-issued sessions, limits, headers and CORS."""

from __future__ import annotations

import json
import time

import pytest

from channels import web as web_module
from channels.web import TOKEN_LIFETIME_S, WebInput
from tests.support.servers import ALLOWED_ORIGIN
from tests.support.web import call, fetch, new_session, say, text_of

pytestmark = pytest.mark.e2e

CSP = "default-src 'none'; script-src 'self'"


@pytest.mark.parametrize("path", ["/", "/cover-your-tracks", "/static/widget.js",
                                  "/static/widget.css"])
def test_everything_served_carries_the_security_headers(web_server: str, path: str) -> None:
    status, _, headers = call(web_server, path, method="GET")
    assert status == 200
    assert headers["Content-Security-Policy"].startswith(CSP)
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in headers


def test_api_answers_carry_the_security_headers_too(web_server: str) -> None:
    _, _, headers = call(web_server, "/session", b"{}")
    assert headers["Content-Security-Policy"].startswith(CSP)


@pytest.mark.parametrize(("path", "method", "body", "status"), [
    ("/nothing-here", "GET", None, 404),                     # Sanic's own not-found page
    ("/webhooks/web/session", "GET", None, 405),             # Sanic's method-not-allowed page
    ("/webhooks/rest/webhook", "DELETE", None, 405),
    ("/webhooks/web/message", "POST", b"x" * 70_000, 413),   # refused before it is read
], ids=["404", "405-web", "405-rest", "413"])
def test_the_servers_own_error_pages_carry_the_security_headers(
        web_server: str, path: str, method: str, body: bytes | None, status: int) -> None:
    got, _, headers = fetch(web_server, path, body, method)
    assert got == status
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


def test_no_version_banner(web_server: str) -> None:
    """Rasa's root page named Rasa and its version; it stays up for health checks, bare."""
    status, body, headers = fetch(web_server, "/", method="GET")
    assert status == 200 and b"Rasa" not in body and b"3." not in body
    assert not any(name.lower() == "server" for name in headers)


def test_a_session_is_a_private_conversation(web_server: str) -> None:
    first, second = new_session(web_server), new_session(web_server)
    assert first != second
    say(web_server, first, payload="/audience_self")
    assert "safe right now" in text_of(say(web_server, first, message="i need help")[1])
    assert "Who is the help for?" in text_of(say(web_server, second, message="i need help")[1])


@pytest.mark.parametrize("token", ["made-up", "abc.def", "", None, 42, "a." + "b" * 300])
def test_a_token_the_server_did_not_issue_is_refused(web_server: str, token: object) -> None:
    status, answer = say(web_server, token, message="hello")  # type: ignore[arg-type]
    assert status == 403 and "start a new one" in answer["error"]


def test_a_tampered_token_is_refused(web_server: str) -> None:
    nonce, signature = new_session(web_server).split(".")
    status, _ = say(web_server, f"{nonce[:-1]}x.{signature}", message="hello")
    assert status == 403


def test_only_our_buttons_payloads_are_accepted(web_server: str) -> None:
    token = new_session(web_server)
    assert say(web_server, token, payload="/restart")[0] == 400
    assert say(web_server, token, payload="/risk_danger_now")[0] == 400
    status, answer = say(web_server, token, payload="/audience_self")
    assert status == 200 and "Thank you for reaching out" in text_of(answer)


def test_typed_slash_text_is_words(web_server: str) -> None:
    status, answer = say(web_server, new_session(web_server), message="/risk_danger_now")
    assert status == 200 and "Please call 999 now" not in text_of(answer)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"message=hi", "application/x-www-form-urlencoded", 415),
        (b'{"message": "' + b"a" * 5000 + b'"}', "application/json", 413),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_reason(web_server: str, body: bytes,
                                                    content_type: str, status: int) -> None:
    got, answer, _ = call(web_server, "/message", body, content_type)
    assert got == status and answer["error"]


def test_long_and_empty_messages_are_refused_with_a_reason(web_server: str) -> None:
    token = new_session(web_server)
    status, answer = say(web_server, token, message="a" * 1001)
    assert status == 413 and "under 1000 characters" in answer["error"]
    status, answer = say(web_server, token, message="   ")
    assert status == 400 and answer["error"] == "Please type a message."


def test_too_many_messages_a_minute_are_slowed_down(web_server: str) -> None:
    token = new_session(web_server)
    statuses = [say(web_server, token, message="hi")[0] for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429


def test_cors_is_limited_to_configured_origins(web_server: str) -> None:
    status, _, headers = call(web_server, "/session", b"{}", origin=ALLOWED_ORIGIN)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    status, _, headers = call(web_server, "/session", b"{}", origin="https://evil.example")
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    # The widget's own request: JSON as text/plain, which browsers send without a preflight.
    token = new_session(web_server)
    body = json.dumps({"token": token, "message": "hello"}).encode()
    status, _, headers = call(web_server, "/message", body, "text/plain;charset=UTF-8",
                              origin=ALLOWED_ORIGIN)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert call(web_server, "/message", body, "text/plain", origin="https://evil.example")[0] \
        == 403


def test_forget_ends_the_chat_at_once(web_server: str) -> None:
    token = new_session(web_server)
    say(web_server, token, payload="/audience_self")
    status, _, _ = call(web_server, "/forget", token.encode(), "text/plain;charset=UTF-8")
    assert status == 200
    # The chat has ended: its token can neither continue it nor start another.
    status, answer = say(web_server, token, message="i need help")
    assert status == 403 and "start a new one" in answer["error"]
    assert call(web_server, "/forget", b"forged", "text/plain")[0] == 403


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/..%2f..%2fdomain.yml",
                                  "/static/demo.html"])
def test_nothing_but_the_widgets_files_is_served(web_server: str, path: str) -> None:
    assert call(web_server, path, method="GET")[0] == 404


def test_our_own_page_behind_a_tls_proxy_is_not_cross_origin(web_server: str) -> None:
    """Behind a proxy that ends TLS the server sees http, the browser's Origin says https."""
    own_https = web_server.replace("http://", "https://")
    assert call(web_server, "/session", b"{}", origin=own_https)[0] == 200


def test_a_token_expires_hours_after_it_was_issued(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token found later (a HAR file, a proxy's log) no longer opens the chat."""
    monkeypatch.setenv("TOKEN_TEST_KEY", "token-test-key-0123456789")
    channel = WebInput("TOKEN_TEST_KEY", [])
    token = channel.new_token()
    assert channel.sender_for(token) is not None
    later = time.time() + TOKEN_LIFETIME_S + 60
    monkeypatch.setattr(web_module.time, "time", lambda: later)
    assert channel.sender_for(token) is None
    # A quick exit still forgets a chat whose token has expired.
    assert channel.sender_for(token, expired_too=True) is not None
