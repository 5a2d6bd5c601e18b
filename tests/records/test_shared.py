"""A database a cohort shares: `groupsim play` offers each trainee only the runs they left."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from simulator.records import Recorder, RecordsError
from simulator.records import resume as rs
from simulator.records.recorder import Origin

_spec = importlib.util.spec_from_file_location("files", Path(__file__).with_name("_files.py"))
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)  # type: ignore[union-attr]

ANN = Origin("lab-pc-1", "ann")
BO = Origin("lab-pc-2", "bo")


@pytest.fixture
def cohort(tmp_path):
    """cohort.db with an unfinished run by Ann (her account, her computer) and one by Bo."""
    db = tmp_path / "cohort.db"
    shutil.copy(files.TINY, tmp_path / "tiny.yaml")
    files.record(db, ["Ann"], finish=False, origin=ANN)
    files.record(db, ["Bo"], finish=False, origin=BO)
    return db


def test_each_run_records_where_it_was_started(cohort):
    with Recorder(cohort) as rec:
        assert [(r.trainee, r.host, r.account) for r in rec.unfinished_runs(everyone=True)] == [
            ("Bo", "lab-pc-2", "bo"),
            ("Ann", "lab-pc-1", "ann"),
        ]


def test_only_your_own_unfinished_runs_are_offered(cohort):
    for origin, name in [(ANN, "Ann"), (BO, "Bo")]:
        with Recorder(cohort, origin=origin) as rec:
            assert [i.info.trainee for i in rs.interrupted(rec)] == [name]
    with Recorder(cohort, origin=Origin("lab-pc-1", "cy")) as rec:  # same computer, another account
        assert rs.interrupted(rec) == []
    with Recorder(cohort, origin=Origin("lab-pc-3", "ann")) as rec:  # same name, another computer
        assert rs.interrupted(rec) == []


def test_no_one_continues_another_trainees_run(cohort):
    with Recorder(cohort, origin=BO) as rec:
        (ann,) = [i for i in rec.unfinished_runs(everyone=True) if i.trainee == "Ann"]
        item = rs.locate(ann)
        with pytest.raises(RecordsError, match="another account or on another computer"):
            rs.resume(rec, rs.Interrupted(ann, item[0]))
        assert rec.store.read("SELECT COUNT(*) AS n FROM events")[0]["n"] == 0  # no 'resumed' written


def _from_before(db: Path) -> None:
    """Make `db` as groupsim's schema version 2 left it: runs with no computer or account."""
    files.as_version_2(db)


def test_runs_from_before_are_offered_on_your_own_database(tmp_path):
    db = tmp_path / "records.sqlite3"
    files.record(db, ["Ann"], finish=False)
    _from_before(db)
    with Recorder(db, origin=ANN) as rec:  # the file is this account's own
        (item,) = rs.interrupted(rec)
        assert item.info.host is None and item.info.trainee == "Ann"
        rs.resume(rec, item)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file owners")
def test_runs_from_before_stay_out_of_sight_on_a_database_someone_else_owns(tmp_path, monkeypatch):
    db = tmp_path / "cohort.db"
    files.record(db, ["Ann"], finish=False)
    _from_before(db)
    owner = os.stat(db).st_uid
    # A trainee's account, writing to the operator's file through group permissions.
    monkeypatch.setattr(os, "getuid", lambda: owner + 1)
    with Recorder(db, origin=ANN) as rec:
        assert rs.interrupted(rec) == []
        assert len(rec.unfinished_runs(everyone=True)) == 1  # still in the records, for the supervisor


def test_runs_played_in_a_browser_are_not_offered_to_the_operators_terminal(tmp_path):
    db = tmp_path / "cohort.db"
    files.record(db, ["Tab trainee"], finish=False, origin=Origin.served())
    with Recorder(db) as rec:  # the operator's own account, on the serving computer
        assert rec.unfinished_runs() == [] and len(rec.unfinished_runs(everyone=True)) == 1
