"""A real `groupsim play` in a pseudo-terminal is killed (SIGKILL) mid-run; the next
`groupsim play` offers the run, continues it at exactly the same state, and records on."""

from __future__ import annotations

import importlib.util
import json
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.records import Recorder

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "fixtures" / "valid" / "tiny.yaml"
_spec = importlib.util.spec_from_file_location("terminal", HERE.parent / "terminal.py")
term_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(term_mod)  # type: ignore[union-attr]
wait_until = term_mod.wait_until


def Terminal(*args: str):  # type: ignore[no-untyped-def]
    """`groupsim play ARGS` on a 100x30 pseudo-terminal."""
    return term_mod.Terminal(term_mod.groupsim_argv("play", *args))


def key_for(term, text: str) -> str:  # type: ignore[no-untyped-def]
    """The key the screen shows for the choice `text` (the app may show choices in an order of its own)."""
    term.wait_for(text)
    keys = re.findall(rf"(\d)\. {re.escape(text)}", term.text)
    assert keys, f"no number shown for {text!r}:\n{term.text[-2000:]}"
    return keys[-1]


def decisions(db: Path) -> list[tuple[int, int | None]]:
    if not db.exists():
        return []
    with Recorder(db) as rec:
        return [
            (r["run_id"], r["choice"])
            for r in rec.store.read("SELECT run_id, choice FROM steps WHERE undone_by IS NULL ORDER BY seq")
        ]


def runs(db: Path) -> int:
    if not db.exists():
        return 0
    with Recorder(db) as rec:
        return rec.store.read("SELECT COUNT(*) AS n FROM runs")[0]["n"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_sigkill_a_real_groupsim_play_then_resume_it(tmp_path):
    db = tmp_path / "records.sqlite3"
    tiny = load(TINY)
    seed = 3

    first = Terminal(str(TINY), "--seed", str(seed), "--db", str(db))
    try:
        first.wait_for("one awkward moment")  # the briefing (the scenario's summary) is up
        first.type("Ann\r")  # the name, and Enter begins the run
        wait_until(lambda: runs(db) == 1, what="the run to start")
        first.type(key_for(first, "Name what is happening in the room."))  # the first decision: authored choice 1
        wait_until(lambda: len(decisions(db)) == 1, what="the first decision to be recorded")
        first.wait_for("Naming it helps.")  # its feedback is on screen: the trainee is mid-run
    finally:
        first.kill()
    assert first.proc.returncode == -signal.SIGKILL

    expected = Session(tiny, seed)
    expected.choose(1)
    with Recorder(db) as rec:
        (info,) = rec.unfinished_runs()
        assert (info.trainee, info.seed, info.decisions, info.mode) == ("Ann", seed, 1, "practice")
        assert rec.saved_state(info.id) == json.loads(json.dumps(expected.to_json()))

    second = Terminal(str(TINY), "--db", str(db))  # no --seed: the run's own seed comes back with it
    try:
        second.wait_for("Resume one?")
        assert "tiny.yaml) by Ann, at decision 2, 1 made, practice" in second.text
        second.type("1\r")
        second.wait_for("Lecture them.")  # the session screen, offering the second decision's choices
        second.type(key_for(second, "Wait."))  # authored choice 3 at the middle state
        wait_until(lambda: len(decisions(db)) == 2, what="the decision after resuming to be recorded")
    finally:
        second.kill()

    expected.choose(3)
    with Recorder(db) as rec:
        assert decisions(db) == [(info.id, 1), (info.id, 3)]  # one run, continued
        assert rec.saved_state(info.id) == json.loads(json.dumps(expected.to_json()))
        kinds = [r["kind"] for r in rec.store.read("SELECT kind FROM events ORDER BY seq")]
        assert kinds == ["resumed"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("bad", ["missing-folder", "corrupt"])
def test_play_with_a_bad_database_says_so_and_exits_1(tmp_path, bad):
    db = tmp_path / "no" / "such" / "r.db" if bad == "missing-folder" else tmp_path / "r.db"
    if bad == "corrupt":
        db.write_bytes(b"\x00garbage" * 512)
    term = Terminal(str(TINY), "--db", str(db))
    try:
        term.proc.wait(timeout=20)
        time.sleep(0.1)  # let the reader catch the last bytes
    finally:
        term.kill()
    assert term.proc.returncode == 1
    assert "groupsim play:" in term.text and str(db) in term.text.replace("\r\n", "").replace("\n", "")
    assert "Traceback" not in term.text
