"""How many sessions `groupsim serve` runs at once, and what a tab past that is told.

Each tab is a ~43 MB process; without a cap, tabs past the open-file limit closed
with no explanation. Now the cap (`--max-sessions`, by default worked out from the
machine) is said at start-up, and a full room answers a new tab in plain words.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.serve import FILES_PER_SESSION, FILES_RESERVED, SESSION_MB, Capacity, Room, available_memory

_spec = importlib.util.spec_from_file_location("serve_helpers", Path(__file__).with_name("helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
DEADLINE, Tab, browser, evaluate, fetch, page_until, serving, wait_until = (
    helpers.DEADLINE,
    helpers.Tab,
    helpers.browser,
    helpers.evaluate,
    helpers.fetch,
    helpers.page_until,
    helpers.serving,
    helpers.wait_until,
)

GB = 2**30
WORDS = ("The room is full", "Please try again in a minute.")


# -- the cap -----------------------------------------------------------------------
def test_the_default_cap_follows_free_memory_with_headroom():
    four_gb = Capacity(memory=4 * GB, file_limit=None)
    assert four_gb.default() == int(4 * 1024 * 0.75) // SESSION_MB == 51
    assert 51 * SESSION_MB < 4 * 1024  # room is left for everything else
    n, said = four_gb.choose(None)
    assert n == 51
    assert said == [
        "At most 51 sessions (browser tabs) at once, for this computer's free memory (4.0 GB at 60 MB a session);",
        "--max-sessions changes it. A tab opened past that is asked to try again in a minute.",
    ]


def test_the_default_cap_never_passes_the_open_file_limit():
    roomy = Capacity(memory=64 * GB, file_limit=256)
    assert roomy.default() == (256 - FILES_RESERVED) // FILES_PER_SESSION == 32
    assert "limit of 256 open files" in roomy.choose(None)[1][0]


def test_a_machine_that_says_nothing_still_gets_a_cap():
    assert Capacity(memory=None, file_limit=None).default() >= 1
    assert Capacity(memory=10 * 2**20, file_limit=None).default() == 1  # never none at all


def _machine(root: Path, meminfo_kb: int | None, cgroup: dict[str, str]) -> Path:
    if meminfo_kb is not None:
        (root / "proc").mkdir(parents=True)
        (root / "proc" / "meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {meminfo_kb} kB\n")
    for name, text in cgroup.items():
        (root / "sys/fs/cgroup" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "sys/fs/cgroup" / name).write_text(text + "\n")
    return root


@pytest.mark.parametrize(
    ("meminfo_kb", "cgroup", "free"),
    [
        (4 * 2**20, {}, 4 * GB),  # MemAvailable
        (4 * 2**20, {"memory.max": "max", "memory.current": "123"}, 4 * GB),  # a container without a limit
        (4 * 2**20, {"memory.max": str(2 * GB), "memory.current": str(GB // 2)}, GB + GB // 2),  # cgroup v2
        (
            4 * 2**20,
            {"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.usage_in_bytes": "5"},
            4 * GB,
        ),  # cgroup v1, no limit
        (4 * 2**20, {"memory/memory.limit_in_bytes": str(GB), "memory/memory.usage_in_bytes": "0"}, GB),  # v1
        (None, {}, None),  # says nothing
    ],
)
def test_free_memory_is_the_machines_or_its_containers_whichever_is_less(tmp_path, meminfo_kb, cgroup, free):
    assert available_memory(_machine(tmp_path, meminfo_kb, cgroup)) == free


def test_an_asked_for_cap_is_kept_and_said():
    n, said = Capacity(memory=4 * GB, file_limit=1024).choose(2)
    assert n == 2 and said == [
        "At most 2 sessions (browser tabs) at once (--max-sessions).",
        "A tab opened past that is asked to try again in a minute.",
    ]
    n, said = Capacity(memory=1 * GB, file_limit=None).choose(100)
    assert n == 100 and "Note: 100 sessions may need more memory than is free now (1.0 GB, room for about 12)." in said


def test_a_cap_past_the_open_file_limit_is_refused_with_what_to_do():
    with pytest.raises(ValueError) as exc:
        Capacity(memory=64 * GB, file_limit=256).choose(500)
    text = str(exc.value)
    assert "--max-sessions 500" in text and "choose at most 32" in text and "ulimit -n" in text


def test_the_room_counts_places():
    room = Room(2)
    assert room.enter() and room.enter()
    assert room.full and not room.enter()
    room.leave()
    assert not room.full and room.enter()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_max_sessions_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--max-sessions", value])
    assert exc.value.code == 2
    assert "not a number of sessions (1 or more)" in capsys.readouterr().err


def test_a_max_sessions_the_file_limit_cannot_hold_is_refused_before_starting(tmp_path):
    def low_limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--max-sessions", "500", "--db", str(tmp_path / "r.db")],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        preexec_fn=low_limit,
    )
    assert done.returncode == 2
    assert "choose at most 32" in done.stderr and "ulimit -n" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "r.db").exists()


def test_the_start_up_message_says_the_cap(tmp_path):
    with serving(tmp_path) as (_port, _db, log, _proc):
        said = log.read_text()
    assert re.search(
        r"At most \d+ sessions \(browser tabs\) at once, for this computer's .*\n.*--max-sessions changes it", said
    ), said
    with serving(tmp_path, "--max-sessions", "2") as (_port, _db, log, _proc):
        assert "At most 2 sessions (browser tabs) at once (--max-sessions)." in log.read_text()


# -- a full room -------------------------------------------------------------------
async def refused(port: int) -> tuple[int, str]:
    """Open a websocket as a page would; the close code and reason it gets before any session starts."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as client,
        client.ws_connect(f"ws://127.0.0.1:{port}/ws", headers={"Origin": f"http://127.0.0.1:{port}"}) as ws,
    ):
        msg = await ws.receive(timeout=DEADLINE)
        assert msg.type == aiohttp.WSMsgType.CLOSE, msg
        return msg.data, msg.extra


def test_a_full_room_turns_a_new_tab_away_in_words_until_a_place_frees(tmp_path):
    with serving(tmp_path, "--max-sessions", "1") as (port, _db, _log, _proc):
        url = f"http://127.0.0.1:{port}/"
        assert fetch(url).status == 200

        async def one_in_the_room() -> None:
            async with Tab.open(port) as tab:
                await tab.shows("scenario library")
                # The page: 503, when to come back, the words, and nothing that needs JavaScript.
                page = fetch(url)
                assert page.status == 503
                assert page.headers["Retry-After"] == "60"
                assert all(w in page.text for w in WORDS)
                assert "<script" not in page.text
                assert 'href="?"' in page.text  # "Try again" is a plain link to this page
                # The websocket: closed with "try again later" and the same words, no session started.
                code, reason = await refused(port)
                assert code == 1013 and all(w in reason for w in WORDS)
                # ...while the session in the room carries on: a key still draws.
                mark = len(tab.screen)
                await tab.keys("\x1b[B")  # the down arrow
                await tab.until(lambda: len(tab.screen) > mark)

        asyncio.run(asyncio.wait_for(one_in_the_room(), 2 * DEADLINE))
        # The tab closed: its place frees once its process has ended.
        wait_until(lambda: fetch(url).status == 200, "the page served again once the tab closed")

        async def next_in() -> None:
            async with Tab.open(port) as tab:
                await tab.shows("scenario library")

        asyncio.run(asyncio.wait_for(next_in(), 2 * DEADLINE))


def test_a_cap_of_two_lets_two_in(tmp_path):
    with serving(tmp_path, "--max-sessions", "2") as (port, _db, _log, _proc):

        async def three() -> tuple[int, str]:
            async with Tab.open(port) as a, Tab.open(port) as b:
                await asyncio.gather(a.shows("scenario library"), b.shows("scenario library"))
                return await refused(port)

        code, _reason = asyncio.run(asyncio.wait_for(three(), 2 * DEADLINE))
        assert code == 1013


def test_in_a_browser_a_full_room_says_so_in_words(tmp_path, chromium):
    """In Chromium: the page served while a place was free, whose websocket then finds the room full,
    says the room is full (not "session ended"); and the page a full room sends reads the same with
    JavaScript off. Screenshots of both are kept in tmp_path."""

    async def look(port: int) -> tuple[str, str]:
        url = f"http://127.0.0.1:{port}/"
        async with browser(tmp_path, chromium) as call:
            # Hold textual.js back (so the page has no websocket yet) while another tab takes the only place.
            await call("Fetch.enable", patterns=[{"urlPattern": "*textual.js*", "requestStage": "Request"}])
            await call("Page.navigate", url=url)
            end = asyncio.get_running_loop().time() + DEADLINE
            while not any(e["method"] == "Fetch.requestPaused" for e in call.events):
                assert asyncio.get_running_loop().time() < end, "the page never asked for textual.js"
                await call("Runtime.evaluate", expression="1")  # reads the events that have arrived
            paused = next(e for e in call.events if e["method"] == "Fetch.requestPaused")
            async with Tab.open(port) as other:
                await other.shows("scenario library")
                await call("Fetch.continueRequest", requestId=paused["params"]["requestId"])
                await call("Fetch.disable")
                await page_until(call, "document.body.classList.contains('-full')", "the page marked full")
                shown = await evaluate(call, "document.body.innerText")
                shot = await call("Page.captureScreenshot", format="png")
                (tmp_path / "full-app-page.png").write_bytes(base64.b64decode(shot["data"]))
                # A new page now gets the plain one; JavaScript off changes nothing on it.
                await call("Emulation.setScriptExecutionDisabled", value=True)
                await call("Page.navigate", url=url)
                wait = asyncio.get_running_loop().time() + DEADLINE
                while True:
                    try:
                        html = await call("DOM.getOuterHTML", nodeId=(await call("DOM.getDocument"))["root"]["nodeId"])
                    except AssertionError:  # the document was replaced between the two calls
                        html = {"outerHTML": ""}
                    if 'href="?"' in html["outerHTML"]:  # the plain page's link, not the app page's button
                        break
                    assert asyncio.get_running_loop().time() < wait, "the full room's page did not load"
                    await asyncio.sleep(0.2)
                shot = await call("Page.captureScreenshot", format="png")
                (tmp_path / "full-plain-page.png").write_bytes(base64.b64decode(shot["data"]))
                return shown, html["outerHTML"]

    with serving(tmp_path, "--max-sessions", "1") as (port, _db, _log, _proc):
        shown, plain = asyncio.run(asyncio.wait_for(look(port), 4 * DEADLINE))
    assert all(w in shown for w in WORDS), shown
    assert "This session has ended" not in shown  # innerText holds only what is displayed
    assert all(w in plain for w in WORDS)
    assert (tmp_path / "full-app-page.png").stat().st_size > 5_000
