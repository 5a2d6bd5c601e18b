"""Shared helpers for the `groupsim serve` tests (imported by path: tests run with --import-mode=importlib).

Every server here is a real `groupsim serve` process on a free 127.0.0.1 port; every
wait polls against a generous deadline (CI is a busy 2-core machine), and each helper
stops what it started.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
BREACH = ROOT / "scenarios" / "confidentiality-breach.yaml"
DEADLINE = 30.0
"""Seconds for anything one step may take on a slow machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], what: str, seconds: float = DEADLINE) -> None:
    """Poll `predicate` until it is true; fail saying `what` did not happen within `seconds`."""
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, f"{what}: not within {seconds:.0f}s"
        time.sleep(0.1)


@contextmanager
def serving(tmp_path: Path, *extra: str, clean_exit: bool = True):
    """`groupsim serve` on a free loopback port; yields (port, db, log path, process) and stops it.

    With `clean_exit` (the default) the server must end with status 0 and no traceback
    once it is sent SIGTERM; a test that kills it itself passes False.
    """
    port = free_port()
    db = tmp_path / "cohort.db"
    log = tmp_path / "serve.log"
    with open(log, "w") as out:  # a file, not a pipe: access logs must never fill a buffer and stall the server
        proc = subprocess.Popen(
            # These tests drive the full-screen app's page at "/" (the first page by default offers both).
            [
                sys.executable,
                "-m",
                "simulator",
                "serve",
                "--port",
                str(port),
                "--db",
                str(db),
                "--page",
                "terminal",
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        end = time.monotonic() + DEADLINE
        while True:
            assert proc.poll() is None, f"groupsim serve exited early:\n{log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < end, f"groupsim serve did not listen within {DEADLINE}s:\n{log.read_text()}"
                time.sleep(0.1)
        yield port, db, log, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if clean_exit:
        assert proc.returncode == 0, log.read_text()
        assert "Traceback" not in log.read_text()


class Response(NamedTuple):
    status: int
    text: str
    headers: dict[str, str]


def fetch(url: str, **headers: str) -> Response:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return Response(response.status, response.read().decode("utf-8", "replace"), dict(response.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers))


def get(url: str, **headers: str) -> tuple[int, str]:
    got = fetch(url, **headers)
    return got.status, got.text


# -- tab processes and the records ------------------------------------------------
def apps_running(db: Path) -> list[int]:
    """The process ids of tab processes recording into `db` (Linux: read from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"simulator.serve" in argv and str(db).encode() in argv:
            found.append(int(cmdline.parent.name))
    return found


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def run_status(db: Path) -> dict[str, str]:
    """Each run's status by trainee."""
    return dict(rows(db, "SELECT trainee, status FROM runs"))


def decisions(db: Path, trainee: str) -> int:
    return rows(db, "SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.trainee = ?", trainee)[0][0]


# -- a tab, driven over its websocket ----------------------------------------------
class Tab:
    """One browser tab's session, spoken to as textual.js does: keys in, the app's output collected."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws
        self.screen = bytearray()

    @classmethod
    @asynccontextmanager
    async def open(cls, port: int, **headers: str):
        import aiohttp

        headers.setdefault("Origin", f"http://127.0.0.1:{port}")
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30", headers=headers) as ws,
        ):
            yield cls(ws)

    async def until(self, predicate: Callable[[], bool], seconds: float = DEADLINE) -> None:
        """Read the app's output until `predicate()` holds."""
        import aiohttp

        end = time.monotonic() + seconds
        while not predicate():
            assert time.monotonic() < end, f"timed out; the tab showed:\n{bytes(self.screen[-3000:])!r}"
            try:
                msg = await self.ws.receive(timeout=0.5)
            except TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.screen.extend(msg.data)
            elif msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"the session closed: {msg.type}")

    async def shows(self, text: str) -> None:
        await self.until(lambda: text.encode() in self.screen)

    async def keys(self, text: str) -> None:
        await self.ws.send_json(["stdin", text])

    async def begin(self, trainee: str) -> None:
        """From a scenario's briefing (the name field has focus), begin a run as `trainee`."""
        await self.shows("Begin")
        mark = len(self.screen)
        await self.keys(trainee)
        await self.until(lambda: trainee.encode() in self.screen[mark:])  # typed into the name field
        mark = len(self.screen)
        await self.keys("\r")
        await self.until(lambda: b"Step out" in self.screen[mark:])  # the session's footer: choices take keys now


# -- a real browser ----------------------------------------------------------------
def _chrome_module():  # type: ignore[no-untyped-def]
    """tests/web/chrome.py, which starts headless Chromium for both folders' browser tests."""
    import importlib.util
    import sys

    name = "web_chrome"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "web" / "chrome.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


@asynccontextmanager
async def browser(tmp_path: Path, chromium: str):
    """Headless Chromium (at path `chromium`) with one page; yields `call(method, **params)`, a DevTools call on it."""
    async with _chrome_module().devtools(chromium, tmp_path, width=1280, height=800) as cdp:
        ids = iter(range(1, 1_000_000))
        events: list[dict] = []

        async def call(method: str, **params):  # type: ignore[no-untyped-def]
            n = next(ids)
            await cdp.send_json({"id": n, "method": method, "params": params})
            async for msg in cdp:
                data = json.loads(msg.data)
                if data.get("id") == n:
                    assert "error" not in data, data
                    return data.get("result")
                if "method" in data:
                    events.append(data)

        call.events = events  # type: ignore[attr-defined]
        yield call


async def evaluate(call, expression: str):  # type: ignore[no-untyped-def]
    return (await call("Runtime.evaluate", expression=expression))["result"].get("value")


async def page_until(call, expression: str, what: str, seconds: float = 2 * DEADLINE) -> None:  # type: ignore[no-untyped-def]
    """Poll a JavaScript expression on the page until it is true."""
    end = time.monotonic() + seconds
    while not await evaluate(call, expression):
        assert time.monotonic() < end, f"{what}: not within {seconds:.0f}s"
        await asyncio.sleep(0.2)


async def open_app(call, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open the page and wait for the app's first frame."""
    await call("Page.navigate", url=url)
    # textual.js marks the body once the app's first bytes arrive.
    await page_until(
        call,
        "document.body && document.body.classList.contains('-first-byte')",
        "no frame from the app reached the page",
    )
    await asyncio.sleep(1.0)  # let the first frame paint (a screenshot's looks only; nothing is asserted on time)
