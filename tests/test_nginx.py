"""deploy/nginx.conf on Debian's nginx, for real: it loads, and requests go through it.

The shipped file is used as it is, except for what only a deployment knows: the upstream
servers (here the test's Rasa server), the address it listens on, the certificate (made here,
self-signed) and the error log's path. `make test` installs Debian's nginx when it is missing.
"""

from __future__ import annotations

import http.client
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.servers import free_port

pytestmark = pytest.mark.e2e

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render(tmp: Path, upstream_port: int, port: int) -> Path:
    """deploy/nginx.conf with this test's upstream, port, certificate and log, in a main file."""
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = re.sub(r"(?m)^\s*server 10\.0\.0\.\d+:5005.*$", "", site, count=2)
    site = site.replace("least_conn;", f"least_conn;\n    server 127.0.0.1:{upstream_port};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
    site = site.replace("/etc/ssl/assistant/", f"{tmp}/")
    site = site.replace("/var/log/nginx/assistant-error.log", f"{tmp}/assistant-error.log")
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    main = tmp / "nginx.conf"
    main.write_text(
        f"daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/main-error.log warn;\n"
        "user root;\nevents {}\n"
        f"http {{\n  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n"
        f"  include {tmp}/site.conf;\n}}\n", encoding="utf-8")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(tmp / "privkey.pem"),
                    "-out", str(tmp / "fullchain.pem")], check=True, capture_output=True)
    return main


@pytest.fixture(scope="module")
def nginx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test's nginx keeps its configuration, certificate and logs."""
    return tmp_path_factory.mktemp("nginx")


@pytest.fixture(scope="module")
def nginx(web_server: str, nginx_dir: Path) -> Iterator[int]:
    """deploy/nginx.conf in front of the web server; yields the port it listens on."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (make test installs Debian's: apt-get install nginx)")
    tmp = nginx_dir
    port = free_port()
    main = render(tmp, int(web_server.rsplit(":", 1)[1]), port)
    checked = subprocess.run([NGINX, "-t", "-c", str(main), "-p", str(tmp)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([NGINX, "-c", str(main), "-p", str(tmp)],
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while post(port, "/webhooks/web/session")[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(port: int, path: str, body: bytes = b"{}") -> tuple[int, dict[str, str]]:
    """POSTs through nginx over TLS; the status (0 if nothing answers) and the headers."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        # A header sent twice shows as its values joined, as a browser would combine them.
        return response.status, {name: ", ".join(response.headers.get_all(name))
                                 for name in response.headers}
    except OSError:
        return 0, {}
    finally:
        connection.close()


def test_the_chat_is_served_through_nginx_with_hsts_and_no_version(nginx: int) -> None:
    status, headers = post(nginx, "/webhooks/web/session")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Server"] == "nginx"  # no version


def test_rest_and_rasas_api_are_not_exposed(nginx: int) -> None:
    assert post(nginx, "/webhooks/rest/webhook", b'{"sender": "a", "message": "hi"}')[0] == 404
    assert post(nginx, "/conversations/x/tracker")[0] == 404


def test_a_busy_platform_webhook_is_not_held_to_one_persons_limit(nginx: int) -> None:
    """60 Telegram updates at once (one platform address) all reach the server, while 60 web
    requests at once from one person's address are limited."""
    with ThreadPoolExecutor(30) as pool:
        telegram = list(pool.map(lambda _: post(nginx, "/webhooks/telegram/webhook")[0],
                                 range(60)))
        web = list(pool.map(lambda _: post(nginx, "/webhooks/web/session")[0], range(60)))
    assert 429 not in telegram  # the test server has no Telegram secrets: it answers 503
    assert web.count(429) > 0 and web.count(200) >= 20


def test_a_body_over_the_limit_is_refused_by_nginx(nginx: int) -> None:
    assert post(nginx, "/webhooks/web/message", b"x" * 70_000)[0] == 413


def test_the_error_log_keeps_no_client_address(nginx: int, nginx_dir: Path) -> None:
    """nginx logs a refused request (rate limit, too large) with the client's address and the
    time: who used the service, and when. The deployed log level keeps none of them."""
    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(lambda _: post(nginx, "/webhooks/web/session")[0], range(60)))
    assert 429 in statuses
    assert post(nginx, "/webhooks/web/message", b"x" * 70_000)[0] == 413
    log = nginx_dir / "assistant-error.log"
    written = log.read_text(encoding="utf-8") if log.exists() else ""
    assert "127.0.0.1" not in written and "client:" not in written


def test_nginxs_own_answers_carry_the_security_headers_and_the_servers_are_not_doubled(
        nginx: int) -> None:
    for status, headers in (post(nginx, "/webhooks/rest/webhook"),          # nginx's 404
                            post(nginx, "/webhooks/web/message", b"x" * 70_000)):  # its 413
        assert status in (404, 413)
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
    deadline = time.monotonic() + 15  # other tests here used up this address's burst
    while (answer := post(nginx, "/webhooks/web/session"))[0] == 429 \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    status, headers = answer  # the server's own headers, once each
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy"].count("default-src") == 1
    assert headers["X-Content-Type-Options"] == "nosniff"
