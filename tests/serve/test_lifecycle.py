"""A tab's process and its run, however the tab or its server ends.

The operator's findings: tabs closed in `groupsim serve` left their runs active for
ever, and a server killed hard left every tab's process running. Every run here is
begun in a real tab (a websocket to a real server, or the tab's process itself), and
what is checked is what an operator would look at: the processes still running, and
the runs' status and decisions in the records.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from simulator.serve import Watchdog, close_run, hung_up

_spec = importlib.util.spec_from_file_location("serve_helpers", Path(__file__).with_name("helpers.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
BREACH, DEADLINE, Tab = helpers.BREACH, helpers.DEADLINE, helpers.Tab
apps_running, decisions, run_status, serving, wait_until = (
    helpers.apps_running,
    helpers.decisions,
    helpers.run_status,
    helpers.serving,
    helpers.wait_until,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="finds tab processes through /proc (Linux)")


async def begin_and_decide(tab, trainee: str, db: Path) -> None:  # type: ignore[no-untyped-def]
    """Begin a run of the breach scenario as `trainee` and make its first decision."""
    await tab.begin(trainee)
    await tab.keys("1")
    end = time.monotonic() + DEADLINE
    while decisions(db, trainee) < 1:
        assert time.monotonic() < end, "the first decision was not recorded"
        await asyncio.sleep(0.1)


def test_closing_a_tab_abandons_its_unfinished_run(tmp_path):
    """A trainee closes the tab mid-run: its process ends and the run is abandoned, its decision kept."""
    with serving(tmp_path, str(BREACH)) as (port, db, _log, _proc):

        async def play_then_close() -> None:
            async with Tab.open(port) as tab:
                await begin_and_decide(tab, "Ada", db)
                assert run_status(db) == {"Ada": "active"}
            # leaving the block closes the websocket, as closing the browser tab does

        asyncio.run(asyncio.wait_for(play_then_close(), 2 * DEADLINE))
        wait_until(lambda: run_status(db).get("Ada") == "abandoned", "the closed tab's run marked abandoned")
        wait_until(lambda: apps_running(db) == [], "the closed tab's process ended")
        assert decisions(db, "Ada") == 1


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_tab_process_told_to_stop_abandons_its_run(tmp_path, signame):
    """SIGTERM (the server ending it) or SIGHUP (its terminal closing) to a tab's process mid-run:
    the run is abandoned with its decision kept, the tab is told, and the server goes on."""
    with serving(tmp_path, str(BREACH)) as (port, db, _log, _proc):

        async def play_then_signal() -> str:
            async with Tab.open(port) as tab:
                await begin_and_decide(tab, "Bea", db)
                (pid,) = apps_running(db)
                os.kill(pid, getattr(signal, signame))
                with pytest.raises(AssertionError, match="the session closed"):
                    await tab.until(lambda: False)
                return "closed"

        assert asyncio.run(asyncio.wait_for(play_then_signal(), 2 * DEADLINE)) == "closed"
        wait_until(lambda: run_status(db).get("Bea") == "abandoned", f"the run abandoned after {signame}")
        wait_until(lambda: apps_running(db) == [], f"the tab's process ended after {signame}")
        assert decisions(db, "Bea") == 1
        # The server still serves new tabs.
        assert helpers.get(f"http://127.0.0.1:{port}/")[0] == 200


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_server_stopped_ends_its_tabs_and_their_runs(tmp_path, signame):
    """Ctrl+C, SIGTERM, or its terminal closing (SIGHUP), with a tab mid-run: the server says it
    stopped and exits cleanly, the tab is told, its process ends, and the run is abandoned."""
    with serving(tmp_path, str(BREACH)) as (port, db, log, proc):

        async def play_then_stop() -> None:
            async with Tab.open(port) as tab:
                await begin_and_decide(tab, "Flo", db)
                proc.send_signal(getattr(signal, signame))
                with pytest.raises(AssertionError, match="the session closed"):
                    await tab.until(lambda: False)

        asyncio.run(asyncio.wait_for(play_then_stop(), 2 * DEADLINE))
        proc.wait(timeout=DEADLINE)
        assert proc.returncode == 0 and "groupsim serve: stopped." in log.read_text()
        wait_until(lambda: apps_running(db) == [], f"the tab's process ended after {signame} to the server")
        assert run_status(db) == {"Flo": "abandoned"} and decisions(db, "Flo") == 1


def test_a_server_killed_hard_takes_its_tabs_with_it(tmp_path):
    """SIGKILL to the server with two tabs open, one mid-run: both processes end within seconds,
    and the run is left as it stood (its decision kept), abandoned rather than active for ever."""
    with serving(tmp_path, str(BREACH), clean_exit=False) as (port, db, _log, proc):

        async def two_tabs_then_kill() -> None:
            async with Tab.open(port) as playing, Tab.open(port) as idle:
                await idle.shows("Begin")
                await begin_and_decide(playing, "Cy", db)
                assert len(apps_running(db)) == 2
                proc.kill()
                proc.wait(timeout=DEADLINE)

        asyncio.run(asyncio.wait_for(two_tabs_then_kill(), 2 * DEADLINE))
        wait_until(lambda: apps_running(db) == [], "every tab's process ended after the server was killed")
        wait_until(lambda: run_status(db).get("Cy") == "abandoned", "the run abandoned after the server was killed")
        assert decisions(db, "Cy") == 1


def test_a_tab_sending_what_textual_js_never_sends_is_closed_without_a_traceback(tmp_path):
    with serving(tmp_path) as (port, db, log, _proc):  # (the server must still end cleanly, no traceback)

        async def garbage() -> None:
            async with Tab.open(port) as tab:
                await tab.shows("scenario library")
                await tab.ws.send_str("this is not JSON")
                with pytest.raises(AssertionError, match="the session closed"):
                    await tab.until(lambda: False)

        asyncio.run(asyncio.wait_for(garbage(), 2 * DEADLINE))
        wait_until(lambda: apps_running(db) == [], "the tab's process ended")
        wait_until(lambda: "a tab sent something" in log.read_text(), "the server's log says why it closed the tab")


def _packet(text: str) -> bytes:
    """Keys for a tab's process, framed as textual-serve frames them (D, length, bytes)."""
    data = text.encode()
    return b"D" + len(data).to_bytes(4, "big") + data


def test_a_tab_whose_connection_closes_ends_without_any_signal(tmp_path):
    """The portable watchdog: its server still running (so no parent-death signal), the pipe
    from it closed. The tab's process ends by itself and abandons its run."""
    db = tmp_path / "cohort.db"
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="100", ROWS="30")
    tab = subprocess.Popen(
        [sys.executable, "-m", "simulator.serve", "--db", str(db), "--parent", str(os.getpid()), str(BREACH)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    shown = bytearray()

    def read() -> None:  # the app blocks if nobody reads what it draws
        while chunk := tab.stdout.read1(65536):
            shown.extend(chunk)

    threading.Thread(target=read, daemon=True).start()
    try:
        wait_until(lambda: b"Begin" in shown, "the briefing drawn")
        tab.stdin.write(_packet("Dee") + _packet("\r"))
        tab.stdin.flush()
        wait_until(lambda: run_status(db).get("Dee") == "active", "the run begun")
        tab.stdin.write(_packet("1"))
        tab.stdin.flush()
        wait_until(lambda: decisions(db, "Dee") == 1, "the first decision recorded")
        tab.stdin.close()
        wait_until(lambda: tab.poll() is not None, "the tab's process ended once its connection closed")
        assert run_status(db) == {"Dee": "abandoned"}
        assert decisions(db, "Dee") == 1
    finally:
        if tab.poll() is None:
            tab.kill()
        tab.wait()


def test_a_tab_started_after_its_server_died_ends_at_once(tmp_path):
    """The server it names is not its parent (it died before the tab started): it ends, opening nothing."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    done = subprocess.run(
        [sys.executable, "-m", "simulator.serve", "--db", str(tmp_path / "r.db"), "--parent", str(dead.pid)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 1
    assert not (tmp_path / "r.db").exists()


# -- the watchdog, driven by hand ---------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_watchdog_ends_a_tab_whose_server_is_gone_then_gives_up_after_grace():
    told: list[str] = []
    clock = Clock()
    dog = Watchdog(
        os.getpid(),  # not this process's parent: as if the server had died and we were adopted
        stdin=None,
        end=lambda: told.append("end"),
        give_up=lambda: told.append("give up"),
        grace=5.0,
        clock=clock,
    )
    assert dog.gone() == "the server has stopped"
    dog.check()
    assert told == ["end"]
    clock.now = 4.9
    dog.check()
    assert told == ["end"]  # asked once, and given time
    clock.now = 5.0
    dog.check()
    assert told == ["end", "give up"]


def test_watchdog_leaves_a_tab_alone_while_its_server_is_there():
    read, write = os.pipe()
    try:
        told: list[str] = []
        dog = Watchdog(os.getppid(), stdin=read, end=lambda: told.append("end"), give_up=lambda: told.append("give up"))
        for _ in range(3):
            dog.check()
        assert dog.gone() is None and told == []
        os.write(write, b"keys")  # input waiting is not a hang-up
        assert not hung_up(read)
        os.close(write)
        write = -1
        assert hung_up(read)
        assert dog.gone() == "the server closed its connection to this session"
        dog.check()
        assert told == ["end"]
    finally:
        os.close(read)
        if write != -1:
            os.close(write)


# -- what a closed tab leaves in the records ----------------------------------------
def _recorded_run(tmp_path: Path):  # type: ignore[no-untyped-def]
    from simulator.authoring.loader import load
    from simulator.play.run import Run
    from simulator.play.settings import Settings
    from simulator.records import Recorder, RunRecorder

    recorder = Recorder(tmp_path / "r.db")
    run, problem = Run.start(load(BREACH), Settings(trainee="Eve"), seed=1, observe=RunRecorder.factory(recorder))
    assert problem is None
    return recorder, run


def _status(recorder) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    info = recorder.run(1)
    return info.status, info.ending


def test_close_run_abandons_a_run_left_mid_way(tmp_path):
    recorder, run = _recorded_run(tmp_path)
    with recorder:
        step = run.session.choose(1)
        assert run.stepped(step, 1000) is None
        assert close_run(run) is None
        assert _status(recorder) == ("abandoned", None)
        assert recorder.run(1).decisions == 1


def test_close_run_finishes_a_run_left_at_its_ending(tmp_path):
    """Closed at the ending, before the debrief was opened: the ending reached is what the records keep."""
    recorder, run = _recorded_run(tmp_path)
    with recorder:
        while not run.session.finished:
            assert run.stepped(run.session.choose(run.session.choices()[0].number), 1000) is None
        assert close_run(run) is None
        status, ending = _status(recorder)
        assert status == "finished" and ending == run.session.state.id


def test_close_run_with_no_run_does_nothing():
    assert close_run(None) is None


def test_warm_sessions_are_started_ahead_taken_by_tabs_replaced_and_ended_with_the_server(tmp_path):
    """`--warm 2`: two tab processes wait before anyone connects; a tab takes one (at its own
    size), is played as usual, and another is started in its place; stopping the server ends all."""
    with serving(tmp_path, str(BREACH), "--warm", "2") as (port, db, log, proc):
        wait_until(lambda: len(apps_running(db)) == 2, "two sessions started ahead")
        before = set(apps_running(db))

        async def play() -> None:
            async with Tab.open(port) as tab:
                await begin_and_decide(tab, "Wen", db)
                # The tab was served by a process started before it connected ...
                assert before & set(apps_running(db))
                # ... and the pool is full again beside it.
                wait_until(lambda: len(apps_running(db)) == 3, "a warm session started in place of the one taken")

        asyncio.run(asyncio.wait_for(play(), 2 * DEADLINE))
        assert decisions(db, "Wen") == 1
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=DEADLINE)
        assert proc.returncode == 0 and "Traceback" not in log.read_text()
        wait_until(lambda: apps_running(db) == [], "every session, warm or taken, ended with the server")
