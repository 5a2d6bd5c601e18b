"""Headless Chromium driven over the Chrome DevTools Protocol (a websocket, through aiohttp's client).

Enough for the web page's tests: open a page and wait for it to load, run JavaScript,
press keys as a keyboard does, emulate the dark colour scheme, and run axe-core. No
Selenium or Playwright: the protocol's few calls are all these tests need.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

DEADLINE = 60.0
"""Seconds for one step on a slow machine (a safety net; nothing waits for it to pass)."""
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
KEYS = {
    "Tab": ("Tab", "Tab", 9, ""),
    "Space": (" ", "Space", 32, " "),
    "Enter": ("Enter", "Enter", 13, "\r"),
}


def axe_source() -> str:
    """axe-core's script, from the axe-core-python package (the `test` extra installs it)."""
    from importlib.resources import files

    try:
        script = files("axe_core_python") / "axe.min.js"
    except ModuleNotFoundError:
        raise AssertionError("axe-core-python is not installed: pip install -e '.[test]'") from None
    return script.read_text(encoding="utf-8")


class Chrome:
    """One page in a headless Chromium: `call` any DevTools method; events are kept as they arrive."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict] = []
        self._ids = iter(range(1, 10_000_000))
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader = asyncio.create_task(self._read())
        self._axe: str | None = None

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def call(self, method: str, **params: Any) -> Any:
        n = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[n] = future
        await self.ws.send_json({"id": n, "method": method, "params": params})
        data = await asyncio.wait_for(future, DEADLINE)
        assert "error" not in data, (method, data)
        return data.get("result")

    def loads(self) -> int:
        return sum(1 for e in self.events if e["method"] == "Page.loadEventFired")

    async def loaded_after(self, count: int) -> None:
        """Wait until a page has loaded since `loads()` was `count`."""
        end = time.monotonic() + DEADLINE
        while self.loads() <= count:
            assert time.monotonic() < end, "no page loaded"
            await asyncio.sleep(0.05)

    async def goto(self, url: str) -> None:
        count = self.loads()
        await self.call("Page.navigate", url=url)
        await self.loaded_after(count)

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def key(self, name: str) -> None:
        key, code, vk, text = KEYS[name]
        await self.call(
            "Input.dispatchKeyEvent", type="keyDown", key=key, code=code, windowsVirtualKeyCode=vk, text=text
        )
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=vk)

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def scheme(self, value: str) -> None:
        """Emulate the light or dark colour scheme (prefers-color-scheme)."""
        await self.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": value}])

    async def axe(self) -> list[dict]:
        """axe-core's violations of WCAG 2.0/2.1 A and AA on the page as it stands."""
        if self._axe is None:
            self._axe = axe_source()
        if not await self.js("typeof window.axe === 'object'"):
            await self.js(self._axe)
        options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]})
        found = await self.js(
            f"axe.run(document, {options})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))"
        )
        return list(found)


@asynccontextmanager
async def devtools(path: str, tmp_path: Path, *, width: int = 1000, height: int = 800):
    """Headless Chromium at `path` with one blank page; yields the DevTools websocket of
    that page, and stops the browser after (also used by tests/serve)."""
    import aiohttp

    profile = tempfile.mkdtemp(dir=tmp_path)
    process = subprocess.Popen(
        [
            path,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active = Path(profile, "DevToolsActivePort")
        end = time.monotonic() + DEADLINE
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            assert process.poll() is None, "chromium exited at start"
            assert time.monotonic() < end, "chromium did not start"
            await asyncio.sleep(0.1)
        port = int(active.read_text().splitlines()[0])
        async with aiohttp.ClientSession() as client:
            pages = await (await client.get(f"http://127.0.0.1:{port}/json")).json()
            page = next(p for p in pages if p["type"] == "page")
            async with client.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield ws
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def chromium(path: str, tmp_path: Path, *, width: int = 1000, height: int = 800):
    """Headless Chromium at `path` with one page; yields a `Chrome` on it, and stops it after."""
    async with devtools(path, tmp_path, width=width, height=height) as ws:
        chrome = Chrome(ws)
        try:
            await chrome.call("Page.enable")
            # A focused window, as a trainee's is (autofocus and :focus-visible behave as on a desktop).
            await chrome.call("Emulation.setFocusEmulationEnabled", enabled=True)
            await chrome.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield chrome
        finally:
            chrome._reader.cancel()
            with suppress(asyncio.CancelledError):
                await chrome._reader
