"""A process recording a run is killed (SIGKILL) mid-run; the run resumes exactly where it stood."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.records import Recorder

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "fixtures" / "valid" / "tiny.yaml"
ENV = {**os.environ, "PYTHONPATH": str(HERE.parents[1]), "GROUPSIM_DB": ""}

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def player(db: Path, seed: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "_player.py"), str(db), str(TINY), str(seed), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def test_sigkill_mid_run_then_resume(tmp_path):
    db = tmp_path / "r.db"
    tiny = load(TINY)
    proc = player(db, 5)
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().startswith("STARTED")
    for word in ["2", "rewind 0", "1"]:  # a choice, a practice rewind, another choice
        proc.stdin.write(word + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("RECORDED"), proc.stderr.read() if proc.poll() is not None else ""
    # The trainee is now looking at the second decision: the process dies without a word.
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    expected = Session(tiny, 5)
    expected.choose(2)
    expected.rewind(0)
    expected.choose(1)
    with Recorder(db) as rec:
        (run,) = rec.unfinished_runs()
        assert (run.trainee, run.seed, run.decisions) == ("Ann", 5, 1)
        resumed = rec.resume(run.id, tiny)
        assert resumed.to_json() == expected.to_json()
        # it goes on as the killed one would have, and the record of the rewound choice is still there
        step = resumed.choose(1)
        rec.record_step(run.id, resumed, step, 9)
        assert step == expected.choose(1)
        rows = rec.store.read("SELECT choice, undone_by IS NOT NULL AS undone FROM steps ORDER BY seq")
        assert [(r["choice"], r["undone"]) for r in rows] == [(2, 1), (1, 0), (1, 0)]
        kinds = [r["kind"] for r in rec.store.read("SELECT kind FROM events ORDER BY seq")]
        assert kinds == ["rewound", "resumed"]


def runs_written(db: Path) -> int:
    """How many runs the writer has committed so far (0 before its schema exists)."""
    import sqlite3

    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.7])
def test_sigkill_at_any_moment_leaves_every_run_consistent(tmp_path, delay):
    db = tmp_path / "r.db"
    tiny = load(TINY)
    proc = player(db, int(delay * 100), "burst")
    # Wait until it has written a few runs (however long a busy machine takes), then kill it
    # wherever it happens to be a moment later.
    deadline = time.monotonic() + 60
    while runs_written(db) < 4:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the writer wrote nothing for a minute"
        time.sleep(0.02)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    with Recorder(db) as rec:
        assert rec.store.read("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
        runs = rec.store.read("SELECT id, seed, status FROM runs")
        assert len(runs) > 3, "the writer did not get going; the test proves nothing"
        for run in runs:
            # replaying the choices that stand gives exactly the state stored for the run
            replay = Session(tiny, run["seed"])
            for s in rec.store.read(
                "SELECT choice FROM steps WHERE run_id = ? AND undone_by IS NULL ORDER BY seq", (run["id"],)
            ):
                replay.choose(s["choice"])
            assert (
                json.loads(
                    rec.store.read("SELECT session_json FROM runs WHERE id = ?", (run["id"],))[0]["session_json"]
                )
                == replay.to_json()
            )
            if run["status"] == "active":
                assert rec.resume(run["id"], tiny).to_json() == replay.to_json()
