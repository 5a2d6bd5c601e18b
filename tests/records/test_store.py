"""The records database: where it is, how it is created and opened, its schema and migrations."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from simulator.records import store as store_mod
from simulator.records.store import RecordsError, Store, default_path, resolve_path


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_path_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_path(None) == default_path()
    assert default_path().parent.name == "groupsim"
    monkeypatch.setenv("GROUPSIM_DB", str(tmp_path / "env.db"))
    assert resolve_path(None) == tmp_path / "env.db"
    assert resolve_path(tmp_path / "arg.db") == tmp_path / "arg.db"  # --db wins over the environment


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_default_place_is_created_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    old = os.umask(0o022)
    try:
        with Store.open() as s:
            s.write(lambda c: c.execute("INSERT INTO meta VALUES ('x', 'y')"))
            folder = s.path.parent
            assert mode(folder) == 0o700
            for f in [s.path, Path(f"{s.path}-wal"), Path(f"{s.path}-shm")]:
                assert mode(f) == 0o600, f
    finally:
        os.umask(old)


def test_wal_and_busy_timeout(tmp_path):
    with Store.open(tmp_path / "r.db") as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert s.version == store_mod.latest_version() == max(store_mod.MIGRATIONS)
        assert len(s.meta("pseudonym_key") or "") == 64


def test_opening_twice_migrates_once(tmp_path):
    Store.open(tmp_path / "r.db").close()
    with Store.open(tmp_path / "r.db") as s:
        assert [r["version"] for r in s.read("SELECT version FROM schema_version")] == sorted(store_mod.MIGRATIONS)


def test_version_2_records_whether_time_limits_were_on(tmp_path, monkeypatch):
    # A database made before version 2: its assessment runs had limits, its practice
    # runs are taken to have had none (the briefing's default).
    db = tmp_path / "r.db"
    monkeypatch.setattr(store_mod, "MIGRATIONS", {1: store_mod.MIGRATIONS[1]})
    with Store.open(db) as s:
        for mode in ("practice", "assessment"):
            s.write(
                lambda c, mode=mode: c.execute(
                    "INSERT INTO runs (trainee, scenario_id, scenario_digest, mode, seed, started_at, updated_at, session_json)"
                    " VALUES ('Ann', 'tiny', 'd', ?, 0, 'now', 'now', '{}')",
                    (mode,),
                )
            )
    monkeypatch.undo()
    with Store.open(db) as s:
        assert s.version == store_mod.latest_version()
        rows = s.read("SELECT mode, time_limits FROM runs ORDER BY id")
        assert [(r["mode"], r["time_limits"]) for r in rows] == [("practice", 0), ("assessment", 1)]


def test_a_second_version_is_a_function(tmp_path, monkeypatch):
    db = tmp_path / "r.db"
    with Store.open(db) as s:
        key = s.meta("pseudonym_key")
        s.write(lambda c: c.execute("INSERT INTO meta VALUES ('kept', 'yes')"))

    def next_version(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN cohort TEXT")

    following = store_mod.latest_version() + 1
    monkeypatch.setitem(store_mod.MIGRATIONS, following, next_version)
    with Store.open(db) as s:
        assert s.version == following
        assert "cohort" in {r["name"] for r in s.read("PRAGMA table_info(runs)")}
        assert s.meta("kept") == "yes" and s.meta("pseudonym_key") == key
    with Store.open(db) as s:  # and only once
        assert [r["version"] for r in s.read("SELECT version FROM schema_version")] == list(range(1, following + 1))


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "r.db"
    Store.open(db).close()

    def next_version(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN cohort TEXT")
        raise RuntimeError("boom")

    following = store_mod.latest_version() + 1
    monkeypatch.setitem(store_mod.MIGRATIONS, following, next_version)
    with pytest.raises(RuntimeError):
        Store.open(db)
    monkeypatch.delitem(store_mod.MIGRATIONS, following)
    with Store.open(db) as s:
        assert s.version == following - 1
        assert "cohort" not in {r["name"] for r in s.read("PRAGMA table_info(runs)")}


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "r.db"
    with Store.open(db) as s:
        s.write(lambda c: c.execute("INSERT INTO schema_version VALUES (99, 'later')"))
    with pytest.raises(RecordsError, match="newer groupsim"):
        Store.open(db)


def test_corrupt_file_is_refused_clearly(tmp_path):
    db = tmp_path / "r.db"
    db.write_bytes(b"this is not a database at all, just some text " * 100)
    with pytest.raises(RecordsError, match="not a readable groupsim records database"):
        Store.open(db)


def test_foreign_sqlite_database_is_refused(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(RecordsError, match="not a groupsim records database"):
        Store.open(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]  # left alone


def test_missing_folder_of_an_explicit_path(tmp_path):
    with pytest.raises(RecordsError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "r.db")
    assert not (tmp_path / "no").exists()


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(RecordsError, match="is a folder"):
        Store.open(tmp_path)


def test_readers_do_not_create(tmp_path):
    with pytest.raises(RecordsError, match="no records database"):
        Store.open(tmp_path / "r.db", create=False)
    assert not (tmp_path / "r.db").exists()


def test_unwritable_place(tmp_path):
    # CI runs as root, who may write into any folder on disk, but not into /proc;
    # where there is no /proc, a read-only folder does the same for an ordinary user.
    if Path("/proc/self").exists():
        target = Path("/proc/groupsim-records-test.db")
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        target = ro / "r.db"
    with pytest.raises(RecordsError, match="cannot create"):
        Store.open(target)
