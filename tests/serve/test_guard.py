"""Who may use `groupsim serve`: one Host and Origin check on every route, no folder listings.

The operator's findings: /static/ served a directory listing and skipped the Host
check, and the Origin check ignored the scheme (http://127.0.0.1:8000 passed for
https://127.0.0.1:8000). Every route now passes `Guard.refusal`, an origin is scheme,
host and port, and the public URL's scheme is accepted when --public-url is given.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.serve import Guard, origin_of

_spec = importlib.util.spec_from_file_location("serve_helpers", Path(__file__).with_name("helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
DEADLINE, fetch, serving = helpers.DEADLINE, helpers.fetch, helpers.serving


# -- the rules -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000", ("http", "127.0.0.1", 8000)),
        ("https://Example.org", ("https", "example.org", 443)),
        ("http://[::1]", ("http", "::1", 80)),
        ("HTTPS://example.org:8443/groupsim/", ("https", "example.org", 8443)),
    ],
)
def test_an_origin_is_scheme_host_and_port(url, origin):
    assert origin_of(url) == origin


@pytest.mark.parametrize("url", ["null", "", "example.org", "ftp://example.org", "http://", "http://h:99999"])
def test_anything_else_is_no_origin(url):
    assert origin_of(url) is None


def test_the_scheme_and_the_port_count():
    guard = Guard("127.0.0.1")
    assert guard.refusal("http", "127.0.0.1:8000", "http://127.0.0.1:8000") is None
    assert guard.refusal("http", "127.0.0.1:8000", None) is None  # no Origin: not a page's request
    for other in ("https://127.0.0.1:8000", "http://127.0.0.1:8001", "http://localhost:8000", "null"):
        assert guard.refusal("http", "127.0.0.1:8000", other) == f"a page from {other} may not open a session here"
    assert guard.refusal("http", "localhost", "http://localhost:80") is None  # the default port is the port


def test_the_public_urls_scheme_is_accepted_beside_the_servers_own():
    guard = Guard("127.0.0.1", "https://groupsim.example.org")
    assert guard.refusal("http", "groupsim.example.org", "https://groupsim.example.org") is None
    assert guard.refusal("http", "127.0.0.1:8000", "https://groupsim.example.org") is None
    assert guard.refusal("http", "127.0.0.1:8000", "http://127.0.0.1:8000") is None
    assert guard.refusal("http", "groupsim.example.org", "http://groupsim.example.org") is not None
    assert guard.refusal("http", "127.0.0.1:8000", "https://groupsim.example.org:8443") is not None


def test_on_loopback_only_this_computers_names_are_answered_and_none_is_looked_up(monkeypatch):
    """A rebound name resolves to 127.0.0.1 — that is the attack — so resolving it proves nothing."""
    real = socket.getaddrinfo

    def rebound(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(host).startswith("rebound.example"):
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    guard = Guard("127.0.0.1")
    for host in ("127.0.0.1:8000", "localhost:8000", "app.localhost:8000", "[::1]:8000", "127.0.0.2:8000"):
        assert guard.refusal("http", host, None) is None, host
    for host in ("rebound.example:8000", "attacker.example", "192.168.1.20:8000"):
        assert "only to this computer's own addresses" in (guard.refusal("http", host, None) or ""), host
    # On every interface, any name reaches it (the Origin check still applies).
    assert Guard("0.0.0.0").refusal("http", "rebound.example:8000", None) is None


# -- every route, on a real server ---------------------------------------------------------
def test_no_folder_is_listed(tmp_path):
    with serving(tmp_path) as (port, _db, _log, _proc):
        for folder in ("/static/", "/static/js/", "/static/css/", "/static/fonts/"):
            got = fetch(f"http://127.0.0.1:{port}{folder}")
            assert got.status in (403, 404), folder
            assert "textual.js" not in got.text and "Index of" not in got.text, folder
        assert fetch(f"http://127.0.0.1:{port}/static/js/textual.js").status == 200


def test_every_route_refuses_a_foreign_host_and_origin(tmp_path):
    with serving(tmp_path) as (port, _db, _log, _proc):
        here = f"http://127.0.0.1:{port}"
        for path in ("/", "/static/js/textual.js", "/static/css/xterm.css", "/download/some-key", "/ws"):
            got = fetch(here + path, Host=f"rebound.example:{port}")
            assert got.status == 403 and "only to this computer" in got.text, path
            got = fetch(here + path, Origin=f"https://127.0.0.1:{port}")
            assert got.status == 403 and "may not open a session here" in got.text, path
        assert fetch(here + "/static/js/textual.js", Origin=here).status == 200


async def websocket_status(port: int, origin: str, host: str | None = None) -> int:
    import aiohttp

    headers = {"Origin": origin}
    if host is not None:
        headers["Host"] = host
    async with aiohttp.ClientSession() as client:
        try:
            async with client.ws_connect(f"ws://127.0.0.1:{port}/ws", headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_a_websocket_from_the_same_host_on_another_scheme_is_refused(tmp_path):
    with serving(tmp_path) as (port, _db, _log, _proc):

        async def statuses() -> list[int]:
            return [
                await websocket_status(port, f"http://127.0.0.1:{port}"),
                await websocket_status(port, f"https://127.0.0.1:{port}"),
                await websocket_status(port, f"http://127.0.0.1:{port + 1}"),
            ]

        assert asyncio.run(asyncio.wait_for(statuses(), DEADLINE)) == [101, 403, 403]


def test_behind_a_tls_proxy_the_public_urls_origin_opens_sessions(tmp_path):
    public = "https://groupsim.example.org"
    with serving(tmp_path, "--public-url", public) as (port, _db, log, _proc):

        async def statuses() -> list[int]:
            return [
                await websocket_status(port, public, host="groupsim.example.org"),
                await websocket_status(port, "http://groupsim.example.org", host="groupsim.example.org"),
                await websocket_status(port, f"http://127.0.0.1:{port}"),
            ]

        assert asyncio.run(asyncio.wait_for(statuses(), DEADLINE)) == [101, 403, 101]
        page = fetch(f"http://127.0.0.1:{port}/", Host="groupsim.example.org")
        assert page.status == 200 and 'data-session-websocket-url="wss://groupsim.example.org/ws"' in page.text
        assert f"at {public}" in log.read_text()


def test_a_public_url_that_is_not_a_web_address_is_a_clear_error(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--public-url",
            "groupsim.example.org",
            "--db",
            str(tmp_path / "r.db"),
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 2
    assert "is not a web address" in done.stderr and "https://" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
