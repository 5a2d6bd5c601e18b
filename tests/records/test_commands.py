"""`groupsim report` and `groupsim records`: output for spreadsheets, privacy, and clear failures."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder


@pytest.fixture
def db(tmp_path, tiny, monkeypatch):
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    path = tmp_path / "r.db"
    with Recorder(path) as rec:
        for name, picks, seed in [("Ann Smith", [1, 1], 1), ("Bo Li", [2, 2], 1), ("Ann Smith", [1], 2)]:
            s = Session(tiny, seed)
            rid = rec.start_run(tiny, Settings("practice", name), seed)
            for n in picks:
                rec.record_step(rid, s, s.choose(n), 700)
            if s.finished:
                rec.finish_run(rid, s)
                rec.save_reflections(rid, {"reaction": f"{name} felt fine"})
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_csv_has_a_row_per_run_then_the_counts(capsys, db):
    code, out, err = run(capsys, "report", "--db", str(db))
    assert code == 0, err
    runs_part, choices_part = out.split("\n\n")
    runs = list(csv.DictReader(io.StringIO(runs_part)))
    assert [r["trainee"] for r in runs] == ["Ann Smith", "Bo Li", "Ann Smith"]
    assert runs[0]["outcome"] == "strong" and runs[0]["path"] == "1,1" and runs[0]["meter_cohesion"] == "80"
    assert len(runs[0]["digest"]) == 12 and runs[2]["status"] == "active"
    assert [r["time_limits"] for r in runs] == ["no", "no", "no"]  # practice, limits not asked for
    counts = list(csv.DictReader(io.StringIO(choices_part)))
    assert {(c["state"], c["choice"], c["count"]) for c in counts} >= {("opening", "1", "2"), ("opening", "2", "1")}


def test_report_filters_and_formats(capsys, db):
    code, out, _ = run(capsys, "report", "--db", str(db), "--trainee", "Bo Li", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [r["trainee"] for r in data["runs"]] == ["Bo Li"]
    assert data["runs"][0]["mode"] == "practice" and data["runs"][0]["time_limits"] is False
    assert data["runs"][0]["final_meters"] == {"trust": 30, "cohesion": 25} and data["anonymised"] is False
    assert sum(c["count"] for c in data["choices"]) == 2
    code, out, _ = run(capsys, "report", "--db", str(db), "--scenario", "tiny", "--format", "md", "--table", "choices")
    assert (
        code == 0
        and out.startswith("## Choices at each decision")
        and "| tiny | opening | 1 | recommended | 2 |" in out
    )
    code, out, _ = run(capsys, "report", "--db", str(db), "--table", "runs")
    assert code == 0 and "\n\n" not in out.strip() and len(list(csv.reader(io.StringIO(out)))) == 4


def test_report_trainee_and_outcome(capsys, db):
    """--trainee matches the whole name in any case and spacing; --outcome unfinished is any run not finished."""
    code, out, _ = run(capsys, "report", "--db", str(db), "--trainee", " ann   SMITH", "--format", "json")
    assert code == 0 and [r["run"] for r in json.loads(out)["runs"]] == [1, 3]
    code, _, err = run(capsys, "report", "--db", str(db), "--trainee", "Ann")
    assert code == 1 and "no runs of a trainee named 'Ann'" in err
    code, out, _ = run(capsys, "report", "--db", str(db), "--outcome", "unfinished", "--table", "runs")
    assert code == 0 and [r["run"] for r in csv.DictReader(io.StringIO(out))] == ["3"]
    code, out, _ = run(capsys, "report", "--db", str(db), "--outcome", "poor", "--format", "md", "--table", "runs")
    assert code == 0 and "| 2 | Bo Li |" in out and "Ann Smith" not in out


def test_report_json_keeps_its_fields_and_their_order(capsys, db):
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "json")
    data = json.loads(out)
    assert code == 0 and list(data) == ["anonymised", "runs", "choices"]
    assert list(data["runs"][0]) == [
        "run",
        "trainee",
        "scenario",
        "scenario_title",
        "digest",
        "mode",
        "time_limits",
        "time_accommodation",
        "seed",
        "status",
        "started",
        "finished",
        "outcome",
        "ending",
        "ending_title",
        "final_meters",
        "final_trust",
        "decisions",
        "path",
        "rewinds",
        "response_ms",
    ]
    assert list(data["choices"][0]) == ["scenario", "state", "choice", "rating", "text", "count", "rewound"]


def test_report_anonymised_shows_no_names(capsys, db):
    outs = []
    for fmt in ("csv", "json", "md"):
        code, out, _ = run(capsys, "report", "--db", str(db), "--format", fmt, "--anonymise")
        assert code == 0 and "Ann" not in out and "Bo Li" not in out and "trainee-" in out
        outs.append(out)
    runs = json.loads(outs[1])["runs"]
    assert runs[0]["trainee"] == runs[2]["trainee"] != runs[1]["trainee"]  # stable: one trainee, one pseudonym
    _, again, _ = run(capsys, "report", "--db", str(db), "--format", "json", "--anonymise")
    assert again == outs[1]


def test_report_uses_the_environment(capsys, db, monkeypatch):
    monkeypatch.setenv("GROUPSIM_DB", str(db))
    code, out, _ = run(capsys, "report", "--format", "json")
    assert code == 0 and len(json.loads(out)["runs"]) == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["report", "--trainee", "Zed"], "no runs of a trainee named 'Zed'"),
        (["report", "--scenario", "nope"], "no runs of a scenario 'nope'"),
        (["report", "--since", "yesterday"], "not a date"),
        (["records", "delete", "--trainee", "Zed", "--yes"], "no runs of a trainee named 'Zed'"),
    ],
    ids=["trainee", "scenario", "date", "delete-unknown"],
)
def test_bad_input_is_one_clear_line(capsys, db, argv, message):
    code, out, err = run(capsys, *argv, "--db", str(db))
    assert code == 1 and message in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("what", ["missing", "corrupt", "folder", "no-such-folder", "foreign"])
def test_bad_database_is_one_clear_line(capsys, tmp_path, what):
    import sqlite3

    path = {
        "missing": tmp_path / "none.db",
        "corrupt": tmp_path / "bad.db",
        "folder": tmp_path,
        "no-such-folder": tmp_path / "nope" / "r.db",
        "foreign": tmp_path / "other.db",
    }[what]
    if what == "corrupt":
        path.write_bytes(os.urandom(4096))
    if what == "foreign":
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    for argv in (["report"], ["records", "delete", "--trainee", "Ann", "--yes"], ["records", "where"]):
        code, out, err = run(capsys, *argv, "--db", str(path))
        if what == "missing" and argv[-1] == "where":
            assert code == 0 and "not created yet" in out
            continue
        if what == "no-such-folder" and argv[-1] == "where":
            continue
        assert code == 1, (argv, out, err)
        assert "Traceback" not in err and err.startswith("groupsim ") and str(path) in err


def test_delete_asks_and_refuses_without_a_terminal(capsys, db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a TTY
    code, _, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--db", str(db))
    assert code == 1 and "--yes" in err and "2 run(s)" in err
    with Recorder(db) as rec:
        assert len(rec.store.read("SELECT * FROM runs WHERE trainee = 'Ann Smith'")) == 2

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    code, out, _ = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--db", str(db))
    assert code == 1 and "Nothing deleted" in out
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    code, out, _ = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--db", str(db))
    assert code == 0 and "Deleted 2 run(s)" in out


def test_delete_removes_every_trace(capsys, db):
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--db", str(db), "--yes")
    assert code == 0, err
    with Recorder(db) as rec:
        count = lambda sql: rec.store.read(sql)[0]["n"]  # noqa: E731
        assert count("SELECT COUNT(*) AS n FROM runs") == 1
        assert count("SELECT COUNT(*) AS n FROM steps WHERE run_id NOT IN (SELECT id FROM runs)") == 0
        assert count("SELECT COUNT(*) AS n FROM events WHERE run_id NOT IN (SELECT id FROM runs)") == 0
        assert count("SELECT COUNT(*) AS n FROM reflections") == 1
    # and not in the file's free pages or its WAL either
    for f in [db, Path(f"{db}-wal")]:
        if f.exists():
            assert b"Ann Smith" not in f.read_bytes(), f
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "json")
    assert [r["trainee"] for r in json.loads(out)["runs"]] == ["Bo Li"]


def test_records_where(capsys, db):
    code, out, _ = run(capsys, "records", "where", "--db", str(db))
    assert code == 0 and str(db) in out and "3 run(s) by 2 trainee(s)" in out


def test_the_installed_command(db):
    """The real entry point, in a subprocess: exit status and no traceback."""
    exe = Path(sys.executable).with_name("groupsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simulator"]
    done = subprocess.run([*cmd, "report", "--db", str(db), "--trainee", "Nobody"], capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "Nobody" in done.stderr
    done = subprocess.run([*cmd, "report", "--db", str(db), "--format", "md"], capture_output=True, text=True)
    assert done.returncode == 0 and "## Runs" in done.stdout
