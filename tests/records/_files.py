"""Helpers for the tests of opening databases: record some runs, damage a file, look at a folder, run as a
plain user. Imported by path (tests run with --import-mode=importlib):

    spec = importlib.util.spec_from_file_location("files", Path(__file__).with_name("_files.py"))
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TINY = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"


def record(db: Path, names: list[str], *, finish: bool = True, **recorder_kw) -> list[int]:
    """One run of tiny for each name (two decisions, finished unless not `finish`); their ids."""
    from simulator.authoring.loader import load
    from simulator.engine import Session
    from simulator.play.settings import Settings
    from simulator.records import Recorder

    tiny = load(TINY)
    ids = []
    with Recorder(db, **recorder_kw) as rec:
        for name in names:
            s = Session(tiny, 1)
            rid = rec.start_run(tiny, Settings("practice", name), 1)
            for n in (1, 1) if finish else (1,):
                rec.record_step(rid, s, s.choose(n), 700)
            if finish:
                rec.finish_run(rid, s)
                rec.save_reflections(rid, {"reaction": f"{name} felt fine"})
            ids.append(rid)
    return ids


def damage(db: Path, table: str = "steps") -> None:
    """Overwrite the middle of `table`'s first page with garbage, as a failing disk might."""
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)  # leaves no -wal or -shm behind
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * size + 8)
        f.write(b"\xff" * 200)


def state(folder: Path) -> dict[str, str]:
    """Every file in `folder` with a digest of its bytes: what must not change."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def journal_mode_byte(db: Path) -> int:
    """The file format's write version (header byte 18): 1 for a rollback journal, 2 for WAL."""
    return db.read_bytes()[18]


def groupsim(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("groupsim")
    return [*([str(exe)] if exe.exists() else [sys.executable, "-m", "simulator"]), *args]


def as_plain_user(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    """Run `argv` so that file permissions bind it, as they bind everyone but root.

    CI runs as root, who may write any file whatever its mode; `setpriv` takes away the
    capabilities that allow that, so a read-only file or folder is read-only to it too.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise AssertionError("running as root needs setpriv (util-linux) to test read-only files")
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *argv]
    env = {**os.environ, "GROUPSIM_DB": "", **kw.pop("env", {})}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, **kw)


# The columns each schema version after 2 added, newest last: undone to make a database as
# an older groupsim left it.
ADDED_AFTER_V2 = [
    ("runs", "host"),
    ("runs", "account"),
    ("steps", "said"),
    ("runs", "say_first"),
    ("runs", "accommodation"),
    ("runs", "clock_left"),
    ("runs", "clock_turn"),
]

TABLES_AFTER_V2 = ["accommodations"]
"""The tables each schema version after 2 added, newest last."""


def as_version_2(db) -> None:  # type: ignore[no-untyped-def]
    """Make `db` as groupsim's schema version 2 left it (no origin, no say-it-first, no clock)."""
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    for table, column in ADDED_AFTER_V2:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    for table in TABLES_AFTER_V2:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM schema_version WHERE version > 2")
    conn.close()
