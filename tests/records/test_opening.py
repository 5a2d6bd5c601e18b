"""Opening the records as an operator meets them: a fresh account, another program's
database, an empty file, a damaged one, a read-only archive, an older version."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.records import Recorder
from simulator.records import store as store_mod
from simulator.records.store import DatabaseDamaged, RecordsError, Store, latest_version, resolve_path

_spec = importlib.util.spec_from_file_location("files", Path(__file__).with_name("_files.py"))
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)  # type: ignore[union-attr]

READERS = (["report"], ["report", "--format", "json"], ["records", "where"], ["review"])


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fresh_account(tmp_path, monkeypatch):
    """An account that has never run groupsim: no data folder at all."""
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    return resolve_path(None)


# -- 3. the default folder ------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_default_database_named_by_its_full_path_is_created_with_its_folder(fresh_account):
    # `groupsim serve` passes the default path on, made absolute, to every tab's process.
    with Recorder(fresh_account.absolute()) as rec:
        assert rec.store.path.exists()
    assert stat.S_IMODE(os.stat(fresh_account.parent).st_mode) == 0o700


def test_serve_on_a_fresh_account_starts(fresh_account, capsys, monkeypatch):
    import simulator.serve as serve_mod

    served = []
    monkeypatch.setattr(serve_mod, "port_problem", lambda host, port: None)
    monkeypatch.setattr(serve_mod, "serve", lambda *a, **kw: served.append(a))
    code, out, err = run(capsys, "serve", str(files.TINY))
    assert code == 0, err
    assert served and fresh_account.exists() and str(fresh_account) in out


@pytest.mark.parametrize("argv", READERS, ids=" ".join)
def test_readers_on_a_fresh_account_say_there_are_no_records_yet(fresh_account, capsys, argv):
    code, out, err = run(capsys, *argv)
    if argv == ["records", "where"]:
        assert code == 0 and "no runs are recorded yet" in out
    else:
        assert code == 1 and "no runs are recorded yet" in err and "Traceback" not in err
    assert not fresh_account.parent.exists()  # a reader makes nothing


# -- 4. another program's database, an empty file ----------------------------------------


def _foreign(path: Path, *, wal: bool) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_another_programs_database_is_refused_untouched(tmp_path, capsys, wal):
    db = _foreign(tmp_path / "other.db", wal=wal)
    before = files.state(tmp_path)
    assert files.journal_mode_byte(db) == (2 if wal else 1)
    with pytest.raises(RecordsError, match="not a groupsim records database"):
        Recorder(db)
    for argv in (["report"], ["records", "where"], ["review"], ["records", "delete", "--trainee", "x", "--yes"]):
        code, _, err = run(capsys, *argv, "--db", str(db))
        assert code == 1 and "not a groupsim records database" in err, (argv, err)
    assert files.state(tmp_path) == before  # not switched to WAL, no -wal or -shm left beside it


def test_report_on_an_empty_file_writes_nothing_into_it(tmp_path, capsys):
    db = tmp_path / "empty.db"
    db.touch()
    for argv in (["report"], ["review"], ["records", "delete", "--trainee", "Ann", "--yes"]):
        code, _, err = run(capsys, *argv, "--db", str(db))
        assert code == 1 and "no runs are recorded yet" in err and "empty" in err
    code, out, _ = run(capsys, "records", "where", "--db", str(db))
    assert code == 0 and "empty" in out
    assert db.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    with Recorder(db) as rec:  # a writer may make it a records database: it was named for that
        assert rec.store.version == store_mod.latest_version()


# -- 5. a damaged database ---------------------------------------------------------------


@pytest.fixture
def damaged(tmp_path):
    db = tmp_path / "r.db"
    files.record(db, ["Ann", "Bo"])
    files.damage(db)
    return db


def test_a_damaged_database_is_never_written_into(damaged):
    before = files.state(damaged.parent)
    with pytest.raises(DatabaseDamaged) as caught:
        Recorder(damaged)
    message = str(caught.value)
    assert "is damaged" in message and str(damaged) in message
    assert "backup" in message and "--db" in message  # what to do
    assert files.state(damaged.parent) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["records", "where"],
        ["report"],
        ["review"],
        ["records", "delete", "--trainee", "Ann", "--yes"],
        ["play", str(files.TINY)],
    ],
    ids=" ".join,
)
def test_every_command_names_the_damage_and_what_to_do(damaged, capsys, argv, monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)  # let play and review get that far

    def no_app(*args, **kw):
        raise AssertionError("the app was started on a damaged database")

    monkeypatch.setattr("simulator.tui.app.make_app", no_app)
    monkeypatch.setattr("simulator.tui.review.app.make_app", no_app)
    before = files.state(damaged.parent)
    code, out, err = run(capsys, *argv, "--db", str(damaged))
    assert code == 1, (out, err)
    assert "is damaged" in err and "Traceback" not in err and "backup" in err
    assert files.state(damaged.parent) == before


def test_a_store_that_meets_damage_writes_no_more(tmp_path):
    db = tmp_path / "r.db"
    files.record(db, ["Ann"])
    with Recorder(db) as rec:
        rec.store.conn.close()  # stand-in for the file failing under an open store
        rec.store.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        rec.store.conn.execute("CREATE TABLE runs (x)")
        rec.store.damaged = store_mod.damaged_message(db, "database disk image is malformed")
        with pytest.raises(DatabaseDamaged, match="is damaged"):
            rec.abandon_run(1)
        assert rec.store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_a_malformed_read_marks_the_store_damaged(tmp_path):
    db = tmp_path / "r.db"
    files.record(db, ["Ann", "Bo"])
    store = Store.open(db)
    files.damage(db)
    try:
        with pytest.raises(DatabaseDamaged):
            store.read("SELECT * FROM steps")
        with pytest.raises(DatabaseDamaged):  # and then refuses to write at all
            store.write(lambda c: c.execute("INSERT INTO meta VALUES ('x', 'y')"))
    finally:
        store.close()


# -- 7. read-only databases ---------------------------------------------------------------


@pytest.fixture
def archive(tmp_path):
    """A records database copied into a folder this account may only read."""
    made = tmp_path / "made.db"
    files.record(made, ["Ann", "Bo"])
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(made, folder / "r.db")
    os.chmod(folder / "r.db", 0o444)
    os.chmod(folder, 0o555)
    yield folder / "r.db"
    os.chmod(folder, 0o755)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_read_only_archive_can_be_reported_on_and_is_left_as_it_is(archive):
    before = files.state(archive.parent)
    done = files.as_plain_user(files.groupsim("report", "--db", str(archive), "--format", "json"))
    assert done.returncode == 0, done.stderr
    assert [r["trainee"] for r in json.loads(done.stdout)["runs"]] == ["Ann", "Bo"]
    done = files.as_plain_user(files.groupsim("records", "where", "--db", str(archive)))
    assert done.returncode == 0 and "2 run(s) by 2 trainee(s)" in done.stdout, done.stderr
    done = files.as_plain_user(files.groupsim("review", "--db", str(archive)))
    assert done.returncode == 2 and "needs a terminal" in done.stderr  # it opened; there is no terminal here
    done = files.as_plain_user(files.groupsim("records", "delete", "--trainee", "Ann", "--yes", "--db", str(archive)))
    assert done.returncode == 1 and "may not write" in done.stderr and "Traceback" not in done.stderr
    assert files.state(archive.parent) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_read_only_file_in_a_folder_that_may_be_written(archive):
    os.chmod(archive.parent, 0o755)  # the file alone is read-only
    done = files.as_plain_user(files.groupsim("report", "--db", str(archive), "--table", "runs"))
    assert done.returncode == 0 and "Ann" in done.stdout, done.stderr
    assert archive.read_bytes()[:16] == b"SQLite format 3\x00"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_recent_records_in_a_wal_that_cannot_be_read_are_explained(tmp_path):
    made = tmp_path / "made.db"
    files.record(made, ["Ann"])
    folder = tmp_path / "archive"
    folder.mkdir()
    writer = sqlite3.connect(made, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("UPDATE runs SET trainee = 'Only in the WAL'")
    shutil.copy(made, folder / "r.db")  # copied while a writer holds recent commits in the -wal
    shutil.copy(f"{made}-wal", folder / "r.db-wal")
    writer.close()
    os.chmod(folder, 0o555)
    try:
        done = files.as_plain_user(files.groupsim("report", "--db", str(folder / "r.db")))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "r.db-wal" in done.stderr and "Copy the database together with its -wal file" in done.stderr
        os.chmod(folder, 0o755)  # once it can make the -shm, it reads the newest records
        done = files.as_plain_user(files.groupsim("report", "--db", str(folder / "r.db")))
        assert done.returncode == 0 and "Only in the WAL" in done.stdout, done.stderr
    finally:
        os.chmod(folder, 0o755)


def test_readers_leave_an_older_database_at_its_version(tmp_path, capsys):
    db = tmp_path / "old.db"
    files.record(db, ["Ann"])
    files.as_version_2(db)  # as groupsim's schema version 2 left it
    latest = latest_version()
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0 and json.loads(out)["runs"][0]["trainee"] == "Ann"
    code, out, _ = run(capsys, "records", "where", "--db", str(db))
    assert code == 0 and f"schema version 2 (groupsim brings it up to {latest}" in out
    with Store.open(db, read_only=True) as store:
        assert store.file_version == 2 and store.version == latest  # read through a copy brought up to date
    with Recorder(db) as rec:  # the next writer migrates it; the old run has no origin
        assert rec.store.file_version == latest
        (row,) = rec.store.read("SELECT host, account FROM runs")
        assert row == {"host": None, "account": None}


def test_a_read_only_store_refuses_to_write(tmp_path):
    db = tmp_path / "r.db"
    files.record(db, ["Ann"])
    with Store.open(db, read_only=True) as store, pytest.raises(RecordsError, match="only to read"):
        store.write(lambda c: c.execute("DELETE FROM runs"))


def test_the_review_stops_with_the_reason_when_the_records_fail_midway(tmp_path, monkeypatch):
    import asyncio

    from simulator.tui.review.app import make_app
    from simulator.tui.review.data import ReviewData

    db = tmp_path / "r.db"
    files.record(db, ["Ann", "Bo"])

    def failing(self, run_id):
        raise DatabaseDamaged(store_mod.damaged_message(db, "database disk image is malformed"))

    async def go():
        with Store.open(db, read_only=True) as store:
            app = make_app(store)
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.pause()
                monkeypatch.setattr(ReviewData, "record", failing)  # the file fails after the review opened
                await pilot.press("enter")
                await pilot.pause()
            assert app.return_code == 1 and app.problem is not None and "is damaged" in app.problem
            app = make_app(store)
            monkeypatch.setattr(ReviewData, "runs", failing)
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.pause()
            assert app.return_code == 1 and "is damaged" in (app.problem or "")

    asyncio.run(go())
