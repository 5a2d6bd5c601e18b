"""Twenty trainees' processes record runs into one new database at the same moment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from simulator.records import Recorder
from simulator.records.store import MIGRATIONS

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "fixtures" / "valid" / "tiny.yaml"
PROCESSES = 20
RUNS_EACH = 5


def test_twenty_writers_lose_nothing_and_never_see_locked(tmp_path):
    db = tmp_path / "records.sqlite3"  # does not exist yet: creating it and its schema races too
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1]), "GROUPSIM_DB": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "_writer.py"), str(db), str(go), str(w), str(RUNS_EACH), str(TINY)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(PROCESSES)
    ]
    time.sleep(0.5)  # let them all import and start waiting
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert "locked" not in err.lower() and "busy" not in err.lower(), err
        assert p.returncode == 0, err
    made = [json.loads(out) for out, _ in results]
    run_ids = [r for m in made for r in m["runs"]]
    assert len(run_ids) == len(set(run_ids)) == PROCESSES * RUNS_EACH

    with Recorder(db) as rec:
        count = lambda sql: rec.store.read(sql)[0]["n"]  # noqa: E731
        assert count("SELECT COUNT(*) AS n FROM runs") == PROCESSES * RUNS_EACH
        assert count("SELECT COUNT(*) AS n FROM runs WHERE status = 'finished'") == PROCESSES * RUNS_EACH
        assert count("SELECT COUNT(*) AS n FROM steps") == sum(m["steps"] for m in made)
        assert count("SELECT COUNT(*) AS n FROM events WHERE kind = 'rewound'") == sum(m["rewinds"] for m in made)
        assert count("SELECT COUNT(*) AS n FROM reflections") == sum(m["reflections"] for m in made)
        assert count("SELECT COUNT(DISTINCT trainee) AS n FROM runs") == PROCESSES
        assert [r["version"] for r in rec.store.read("SELECT version FROM schema_version")] == sorted(
            MIGRATIONS
        )  # each once
        assert len(rec.store.read("SELECT * FROM meta WHERE key = 'pseudonym_key'")) == 1
        # each run's stored state is its last standing step's state
        bad = rec.store.read(
            "SELECT r.id FROM runs r WHERE r.session_json != (SELECT s.session_json FROM steps s"
            " WHERE s.run_id = r.id AND s.undone_by IS NULL ORDER BY s.seq DESC LIMIT 1)"
        )
        assert bad == []
        assert rec.store.read("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
