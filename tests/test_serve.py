"""`groupsim serve`: the page over HTTP, a session per websocket, one database, and its refusals.

Every server here listens on 127.0.0.1 and every request goes there; each test is
bounded in time and stops what it started.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.serve import TEMPLATES, is_loopback, make_server, start_up_message

_spec = importlib.util.spec_from_file_location("serve_helpers", Path(__file__).with_name("serve") / "helpers.py")
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
DEADLINE, apps_running, browser, free_port, get, open_app, serving = (
    helpers.DEADLINE,
    helpers.apps_running,
    helpers.browser,
    helpers.free_port,
    helpers.get,
    helpers.open_app,
    helpers.serving,
)


# -- what it says -----------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1"])
def test_network_hosts(host):
    assert not is_loopback(host)


def test_start_up_message_says_loopback_and_where_runs_go():
    text = start_up_message("127.0.0.1", 8000, Path("/data/cohort.db"), "serving 10 scenarios")
    assert "http://127.0.0.1:8000" in text
    assert "Only this computer can open it" in text and "loopback" in text
    assert "/data/cohort.db" in text
    assert "WARNING" not in text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20"])
def test_start_up_message_warns_on_a_network_address(host):
    text = start_up_message(host, 8000, Path("cohort.db"), "serving 10 scenarios")
    assert "WARNING" in text
    assert "Anyone who can reach this computer on the network can open the app" in text


def test_bad_port_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", "70000"])
    assert exc.value.code == 2
    assert "not a port number" in capsys.readouterr().err


def test_port_in_use_is_a_clear_error_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "simulator", "serve", "--port", str(port), "--db", str(tmp_path / "r.db")],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# -- what it serves ---------------------------------------------------------------
def _fetched(html: str) -> list[str]:
    """Every address the page makes the browser fetch: src=, href= and CSS url(...)."""
    return re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) + re.findall(r'url\(\s*"?([^")]*)"?\s*\)', html)


def test_the_page_template_fetches_nothing_from_other_sites():
    """On a training network without internet the page must still load, and tell no one else who opened it."""
    import textual_serve

    server = make_server("true", "127.0.0.1", free_port())
    assert Path(server.templates_path) == TEMPLATES
    page = (TEMPLATES / "app_index.html").read_text(encoding="utf-8")
    assert "googleapis" not in page and "gstatic" not in page
    fetched = _fetched(page)
    assert fetched and all(url.startswith("{{ config.static.url }}") for url in fetched), fetched
    # Every value textual-serve fills into its own page is still filled into ours.
    theirs = (Path(textual_serve.__file__).parent / "templates" / "app_index.html").read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\{\{\s*(.*?)\s*\}\}", theirs))
    assert placeholders and placeholders <= set(re.findall(r"\{\{\s*(.*?)\s*\}\}", page))
    # ...and the parts of the page textual.js looks for.
    for needed in ('id="terminal"', "data-session-websocket-url=", "data-font-size=", "js/textual.js", "css/xterm.css"):
        assert needed in page


def test_serves_the_page_and_its_script(tmp_path):
    with serving(tmp_path) as (port, db, log, _proc):
        status, html = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        # Everything the page fetches comes from this server, and is there: no Google Fonts.
        assert "googleapis" not in html
        for url in _fetched(html):
            assert url.startswith(f"http://127.0.0.1:{port}/static/"), url
            assert get(url)[0] == 200, url
        assert "<title>groupsim</title>" in html
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        assert f'src="http://127.0.0.1:{port}/static/js/textual.js"' in html
        assert "<title>" not in html or "groupsim" in html
        status, script = get(f"http://127.0.0.1:{port}/static/js/textual.js")
        assert status == 200 and len(script) > 10_000
        # The page points its websocket at whatever name the browser used.
        status, html = get(f"http://127.0.0.1:{port}/", Host=f"localhost:{port}")
        assert status == 200 and f'"ws://localhost:{port}/ws"' in html
    said = log.read_text()
    assert f"at http://127.0.0.1:{port}" in said
    assert "Only this computer can open it" in said
    assert str(db) in said


def test_refuses_other_sites_pages_and_rebound_names(tmp_path):
    import aiohttp

    with serving(tmp_path) as (port, _db, _log, _proc):
        # DNS rebinding: a name that resolved to 127.0.0.1 for an attacker's page.
        status, text = get(f"http://127.0.0.1:{port}/", Host=f"attacker.example:{port}")
        assert status == 403 and "only to this computer" in text

        async def websocket_status(origin: str) -> int:
            async with aiohttp.ClientSession() as client:
                try:
                    async with client.ws_connect(
                        f"ws://127.0.0.1:{port}/ws",
                        headers={"Origin": origin},
                        timeout=aiohttp.ClientWSTimeout(ws_receive=DEADLINE),
                    ):
                        return 101
                except aiohttp.WSServerHandshakeError as exc:
                    return exc.status

        assert asyncio.run(asyncio.wait_for(websocket_status("http://attacker.example"), DEADLINE)) == 403


def test_each_tab_is_its_own_session_recording_to_one_database(tmp_path):
    """Two websockets at once: each gets its own app, and both runs land in one database."""
    import aiohttp

    async def tab(port: int, trainee: str) -> str:
        screen = bytearray()

        async def until(predicate, seconds: float = DEADLINE) -> None:
            end = time.monotonic() + seconds
            while not predicate():
                assert time.monotonic() < end, f"timed out; the tab showed:\n{bytes(screen[-3000:])!r}"
                try:
                    msg = await ws.receive(timeout=0.5)
                except TimeoutError:
                    continue
                if msg.type == aiohttp.WSMsgType.BINARY:
                    screen.extend(msg.data)
                elif msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"the session closed: {msg.type}")

        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(
                f"ws://127.0.0.1:{port}/ws?width=100&height=30", headers={"Origin": f"http://127.0.0.1:{port}"}
            ) as ws,
        ):
            await until(lambda: b"scenario library" in screen)  # the app's first screen
            await ws.send_json(["stdin", "\r"])  # open the highlighted scenario's briefing
            await until(lambda: b"Begin" in screen)
            await ws.send_json(["stdin", trainee])  # the name field has focus
            await ws.send_json(["stdin", "\r"])  # Enter in the name field begins the run
            # The run has begun when the records hold it under this trainee's name (the
            # screen's title may wrap the name across a line).
            await until(lambda: trainee in [t for t, _ in runs()])
            return bytes(screen).decode("utf-8", "replace")

    def runs() -> list[tuple[str, str]]:
        if not db.exists():
            return []
        with sqlite3.connect(db) as conn:
            return sorted(conn.execute("SELECT trainee, mode FROM runs").fetchall())

    with serving(tmp_path) as (port, db, _log, _proc):

        async def both() -> list[str]:
            return await asyncio.wait_for(asyncio.gather(tab(port, "Ada Tab"), tab(port, "Bea Tab")), 2 * DEADLINE)

        screens = asyncio.run(both())
        assert all("scenario library" in s for s in screens)
        end = time.monotonic() + DEADLINE
        while len(runs()) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        assert runs() == [("Ada Tab", "practice"), ("Bea Tab", "practice")]


def test_a_headless_browser_shows_the_app(tmp_path, chromium):
    """Chromium opens the page and the app's frames arrive (a screenshot is kept in tmp_path)."""

    async def browse(url: str, png: Path) -> bool:
        async with browser(tmp_path, chromium) as call:
            await open_app(call, url)
            shot = await call("Page.captureScreenshot", format="png")
            png.write_bytes(base64.b64decode(shot["data"]))
            return True

    with serving(tmp_path) as (port, _db, _log, _proc):
        png = tmp_path / "session.png"
        assert asyncio.run(asyncio.wait_for(browse(f"http://127.0.0.1:{port}/", png), 3 * DEADLINE))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_export_in_a_browser_downloads_both_files_and_leaves_none_on_the_server(tmp_path, chromium):
    """A trainee plays to the debrief in Chromium and presses Ctrl+S: the Markdown and the JSON both
    arrive in the browser's downloads (neither is stopped as a pop-up), and nothing is written on the server."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    breach = Path(__file__).resolve().parents[1] / "scenarios" / "confidentiality-breach.yaml"

    async def play_and_export(url: str, db: Path) -> list[Path]:
        async with browser(tmp_path, chromium) as call:
            await call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
            # A page in a focused window, as a trainee's is: the briefing's name field keeps its focus.
            await call("Emulation.setFocusEmulationEnabled", enabled=True)
            await call("Page.bringToFront")
            await open_app(call, url)
            # Keys go to xterm's input box, as they do once a trainee clicks the page.
            await call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")

            async def key(name: str, text: str, code: str, vk: int, modifiers: int = 0) -> None:
                for kind in ("keyDown", "keyUp"):
                    await call(
                        "Input.dispatchKeyEvent",
                        type=kind,
                        key=name,
                        code=code,
                        text=text if kind == "keyDown" else "",
                        windowsVirtualKeyCode=vk,
                        modifiers=modifiers,
                    )
                await asyncio.sleep(0.3)

            def status() -> str | None:
                with sqlite3.connect(db) as conn:
                    row = conn.execute("SELECT status FROM runs").fetchone()
                return row and row[0]

            for ch in "Eve":
                await key(ch, ch, f"Key{ch.upper()}", ord(ch.upper()))
            await key("Enter", "\r", "Enter", 13)
            end = time.monotonic() + 2 * DEADLINE
            while status() != "finished":  # the run is finished when the debrief opens
                assert time.monotonic() < end, "the debrief was not reached"
                await key("1", "1", "Digit1", 49)
                await key("Enter", "\r", "Enter", 13)
            await key("s", "", "KeyS", 83, modifiers=2)  # Ctrl+S: Export
            while not (len(list(downloads.iterdir())) == 2 and not list(downloads.glob("*.crdownload"))):
                assert time.monotonic() < end + DEADLINE, f"downloads: {sorted(p.name for p in downloads.iterdir())}"
                await asyncio.sleep(0.2)
            return sorted(downloads.iterdir())

    with serving(tmp_path, str(breach)) as (port, db, _log, _proc):
        js, md = asyncio.run(asyncio.wait_for(play_and_export(f"http://127.0.0.1:{port}/", db), 5 * DEADLINE))
    assert md.suffix == ".md" and js.name == md.stem + ".json" and md.name.startswith("confidentiality-breach-")
    assert md.read_text(encoding="utf-8").startswith("# When a Secret Leaves the Room\n")
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["trainee"] == "Eve" and data["ending"] is not None
    # The server's working folder holds only what the test put there: no export files.
    assert not list(tmp_path.rglob("groupsim-exports")) and not list(tmp_path.glob("*.md"))


def test_stopping_the_server_ends_open_tabs_and_their_apps(tmp_path):
    """Ctrl+C (SIGTERM here) with a tab open: the tab is told, its app process ends, no traceback."""
    import aiohttp

    with serving(tmp_path) as (port, db, _log, proc):

        async def tab() -> str:
            async with aiohttp.ClientSession() as client:
                async with client.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                    screen = b""
                    while b"scenario library" not in screen:
                        msg = await ws.receive()
                        assert msg.type == aiohttp.WSMsgType.BINARY, msg
                        screen += msg.data
                    if Path("/proc").is_dir():
                        assert len(apps_running(db)) == 1
                    proc.send_signal(signal.SIGTERM)
                    while True:  # the app's last frames, then the close
                        msg = await ws.receive()
                        if msg.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                            return msg.type.name

        assert asyncio.run(asyncio.wait_for(tab(), DEADLINE)) in ("CLOSE", "CLOSED", "CLOSING")
        proc.wait(timeout=DEADLINE)
    if Path("/proc").is_dir():
        assert apps_running(db) == []
