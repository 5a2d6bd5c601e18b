"""Time accommodations granted per trainee in the records (WCAG 2.2.1, Timing Adjustable):
`groupsim records accommodate` and `accommodations`, the migration that keeps them, and
every later run of that trainee getting the more generous of the grant and the command's
`--time-accommodation`, in assessment too; the report and the review show each run's."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.engine import Session
from simulator.play.settings import ACCOMMODATIONS, GRANTED_WORDS, Settings, more_generous
from simulator.records import Recorder, Store
from simulator.records import store as store_mod
from simulator.records.accommodations import accommodation_for, grant, granted

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml"
"""Its first decision is timed: 30 seconds as written."""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    return tmp_path / "r.db"


def play_plain(capsys, monkeypatch, db: Path, name: str, mode: str, *options: str) -> tuple[str, dict]:
    """`groupsim play --plain` on tiny as `name` in `mode` (p or a), to the first decision.

    Input ends as the first decision is announced, before any answer: nothing here can
    come late, however slow the machine. Returns what was said and the run's row.
    """
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"\n{name}\n{mode}\n"))
    code, out, err = run(capsys, "play", "--plain", str(TINY), "--seed", "0", "--db", str(db), *options)
    assert code == 0, err
    assert "Decision 1." in out and "Input has ended" in out
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM runs WHERE trainee = ? ORDER BY id DESC LIMIT 1", (name,)).fetchone()
        # The run is left for the next sitting to offer; give it up, so the next play asks nothing first.
        conn.execute("UPDATE runs SET status = 'abandoned' WHERE id = ?", (row["id"],))
    return out, dict(row)


# -- the rule, in the play layer ---------------------------------------------------------------


def test_the_more_generous_of_two_wins_in_one_order():
    assert ACCOMMODATIONS == ("none", "1.5x", "2x", "off")
    for i, a in enumerate(ACCOMMODATIONS):
        for j, b in enumerate(ACCOMMODATIONS):
            assert more_generous(a, b) == more_generous(b, a) == ACCOMMODATIONS[max(i, j)]
    with pytest.raises(ValueError, match=r"one of none, 1\.5x, 2x, off, not '3x'"):
        more_generous("none", "3x")


# -- granting, listing, clearing ---------------------------------------------------------------


def test_granting_listing_and_clearing(capsys, db):
    code, out, err = run(capsys, "records", "accommodate", "--trainee", " Ann  Smith ", "--time", "2x", "--db", str(db))
    assert code == 0, err
    assert "Trainee 'Ann Smith' now has 2x (twice as long) on timed decisions in every later run" in out
    assert "No runs of a trainee named 'Ann Smith' are recorded yet" in out  # a grant may come before any run
    run(capsys, "records", "accommodate", "--trainee", "Bo Li", "--time", "off", "--db", str(db))

    code, out, _ = run(capsys, "records", "accommodations", "--db", str(db))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"Time accommodations in {db} (2):"
    assert lines[1].startswith("  Ann Smith: 2x (twice as long), since 20") and lines[1].endswith(" UTC")
    assert lines[2].startswith("  Bo Li: off (no time limits), since ")

    # The same trainee in another case and spacing: the grant is replaced, not doubled.
    code, out, _ = run(capsys, "records", "accommodate", "--trainee", "ann SMITH", "--time", "1.5x", "--db", str(db))
    assert code == 0 and "(was 2x, since " in out
    with Store.open(db, read_only=True) as store:
        assert [(g.trainee, g.time) for g in granted(store)] == [("ann SMITH", "1.5x"), ("Bo Li", "off")]

    code, out, _ = run(capsys, "records", "accommodate", "--trainee", "Ann Smith", "--time", "none", "--db", str(db))
    assert code == 0 and "Cleared the time accommodation of trainee 'ann SMITH' (was 1.5x" in out
    code, out, _ = run(capsys, "records", "accommodate", "--trainee", "Ann Smith", "--time", "none", "--db", str(db))
    assert code == 0 and "had no time accommodation" in out and "nothing changed" in out
    code, out, _ = run(capsys, "records", "accommodations", "--db", str(db))
    assert code == 0 and "Ann" not in out and "Bo Li: off" in out


def test_names_match_whole_in_any_case_and_spacing(db):
    with Store.open(db) as store:
        grant(store, "Ann Smith", "2x")
        assert accommodation_for(store, "  ANN   smith ") == "2x"
        assert accommodation_for(store, "Ann") == accommodation_for(store, "Ann Smithson") == "none"
        assert accommodation_for(store, "") == accommodation_for(store, "   ") == "none"
    with Recorder(db) as rec:
        assert rec.accommodation_for("ann smith") == "2x" and rec.accommodation_for("Bo") == "none"


def test_a_bad_value_or_no_name_is_refused_clearly(capsys, db):
    with pytest.raises(SystemExit) as exc:
        main(["records", "accommodate", "--trainee", "Ann", "--time", "3x", "--db", str(db)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "argument --time: invalid choice: '3x'" in err and "'1.5x', '2x', 'off'" in err
    with pytest.raises(SystemExit) as exc:
        main(["records", "accommodate", "--trainee", "Ann", "--db", str(db)])  # no --time
    assert exc.value.code == 2 and "--time" in capsys.readouterr().err
    code, _, err = run(capsys, "records", "accommodate", "--trainee", "  ", "--time", "2x", "--db", str(db))
    assert code == 2 and "--trainee needs a name" in err
    assert not db.exists()  # nothing was made for a refused grant


def test_listing_with_no_records_yet_says_so_and_makes_nothing(capsys, db):
    code, out, _ = run(capsys, "records", "accommodations", "--db", str(db))
    assert code == 0 and "No time accommodations are granted" in out and not db.exists()


def test_help_names_both_actions(capsys):
    with pytest.raises(SystemExit):
        main(["records", "--help"])
    out = capsys.readouterr().out
    assert "accommodate" in out and "accommodations" in out and "--time none" in out
    with pytest.raises(SystemExit):
        main(["records", "accommodate", "--help"])
    out = capsys.readouterr().out
    assert "{none,1.5x,2x,off}" in out and "none to clear" in out


# -- the migration -----------------------------------------------------------------------------


def _version_4_database(db: Path, monkeypatch) -> None:
    """A database as groupsim's schema version 4 left it, with one run in it."""
    monkeypatch.setattr(store_mod, "MIGRATIONS", {v: store_mod.MIGRATIONS[v] for v in range(1, 5)})
    with Store.open(db) as s:
        s.write(
            lambda c: c.execute(
                "INSERT INTO runs (trainee, scenario_id, scenario_digest, mode, seed, started_at, updated_at,"
                " session_json, accommodation) VALUES ('Ann', 'tiny', 'd', 'assessment', 0, 'now', 'now', '{}', '1.5x')"
            )
        )
        assert s.version == 4
    monkeypatch.undo()


def test_version_5_adds_the_table_and_keeps_everything(tmp_path, monkeypatch, capsys):
    db = tmp_path / "old.db"
    _version_4_database(db, monkeypatch)
    # A reader leaves the file at version 4, and finds no grants in it.
    code, out, _ = run(capsys, "records", "accommodations", "--db", str(db))
    assert code == 0 and "No time accommodations are granted" in out
    with Store.open(db, read_only=True) as s:
        assert s.file_version == 4 and s.version == store_mod.latest_version() == 5
    # The next writer brings it up to 5: the table is there, the run is as it was.
    code, out, err = run(capsys, "records", "accommodate", "--trainee", "ann", "--time", "2x", "--db", str(db))
    assert code == 0, err
    assert "No runs of a trainee named" not in out  # 'ann' is the recorded 'Ann'
    with Store.open(db) as s:
        assert [r["version"] for r in s.read("SELECT version FROM schema_version")] == [1, 2, 3, 4, 5]
        (run_row,) = s.read("SELECT trainee, mode, accommodation FROM runs")
        assert run_row == {"trainee": "Ann", "mode": "assessment", "accommodation": "1.5x"}
        assert s.meta("pseudonym_key")
        assert [(g.trainee, g.time) for g in granted(s)] == [("ann", "2x")]
    with pytest.raises(sqlite3.IntegrityError):  # the table takes only what can be granted
        conn = sqlite3.connect(db)
        try:
            conn.execute("INSERT INTO accommodations VALUES ('Cy', '3x', 'now')")
        finally:
            conn.close()


# -- applied when a run starts ---------------------------------------------------------------


def test_assessment_gives_the_named_trainee_what_was_granted_and_no_one_else(capsys, monkeypatch, db):
    run(capsys, "records", "accommodate", "--trainee", "Ann Smith", "--time", "2x", "--db", str(db))
    out, row = play_plain(capsys, monkeypatch, db, "ann  smith", "a")
    assert GRANTED_WORDS["2x"] == "Your supervisor has given you twice the time on timed decisions."
    assert GRANTED_WORDS["2x"] in out and "You have 60 seconds." in out
    assert row["mode"] == "assessment" and row["accommodation"] == "2x" and row["time_limits"] == 1
    # Another trainee, on the same records: the time as written.
    out, row = play_plain(capsys, monkeypatch, db, "Bo Li", "a")
    assert "Your supervisor has" not in out and "You have 30 seconds." in out
    assert row["accommodation"] == "none"


def test_the_more_generous_of_the_grant_and_the_command_wins(capsys, monkeypatch, db):
    run(capsys, "records", "accommodate", "--trainee", "Ann", "--time", "1.5x", "--db", str(db))
    out, row = play_plain(capsys, monkeypatch, db, "Ann", "a", "--time-accommodation", "2x")
    assert row["accommodation"] == "2x" and "You have 60 seconds." in out
    assert "Time for timed decisions: twice as long (set for you)." in out
    run(capsys, "records", "accommodate", "--trainee", "Ann", "--time", "off", "--db", str(db))
    out, row = play_plain(capsys, monkeypatch, db, "Ann", "a", "--time-accommodation", "2x")
    assert row["accommodation"] == "off" and row["time_limits"] == 0
    assert "Your supervisor has turned time limits off for you." in out and "You have" not in out


def test_practice_gets_at_least_the_grant(capsys, monkeypatch, db):
    run(capsys, "records", "accommodate", "--trainee", "Ann", "--time", "2x", "--db", str(db))
    # begin, name, practice, time limits yes (2x granted: no question of how long), say-first no
    monkeypatch.setattr(sys, "stdin", io.StringIO("\nAnn\np\ny\nn\n"))
    code, out, err = run(capsys, "play", "--plain", str(TINY), "--seed", "0", "--db", str(db))
    assert code == 0, err
    assert GRANTED_WORDS["2x"] in out and "You have 60 seconds." in out and "Time: Enter" not in out
    with Recorder(db) as rec:
        (info,) = rec.unfinished_runs()
        assert (info.mode, info.accommodation, info.time_limits) == ("practice", "2x", True)


def test_a_resumed_run_keeps_the_accommodation_it_started_with(db, tiny):
    with Recorder(db) as rec:
        grant(rec.store, "Ann", "2x")
        rid = rec.start_run(tiny, Settings("assessment", "Ann", accommodation="2x"), 0)
        grant(rec.store, "Ann", "none")  # cleared meanwhile: the run goes on as it began
        assert rec.run(rid).settings.accommodation == "2x"


# -- shown in the report and the review, and deleted with the trainee ----------------------------


def _recorded(db: Path, tiny) -> None:
    with Recorder(db) as rec:
        for name, accommodation in (("Ann", "2x"), ("Bo", "none")):
            s = Session(tiny, 1)
            rid = rec.start_run(tiny, Settings("assessment", name, accommodation=accommodation), 1)
            rec.record_step(rid, s, s.choose(1), 700)


def test_the_report_shows_each_runs_time_accommodation(capsys, db, tiny):
    _recorded(db, tiny)
    code, out, _ = run(capsys, "report", "--db", str(db), "--table", "runs")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["trainee"], r["time_accommodation"]) for r in rows] == [("Ann", "2x"), ("Bo", "none")]
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "json", "--table", "runs")
    assert [r["time_accommodation"] for r in json.loads(out)["runs"]] == ["2x", "none"]
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "md", "--table", "runs")
    header, _, ann, bo = out.strip().splitlines()[2:6]
    column = header.split(" | ").index("time_accommodation")
    assert ann.split(" | ")[column] == "2x" and bo.split(" | ")[column] == "none"


def test_the_review_shows_a_runs_time_accommodation(db, tiny):
    from textual.widgets import DataTable, Static

    from simulator.tui.review.app import make_app
    from simulator.tui.review.screens.run import RunRecordScreen

    _recorded(db, tiny)

    async def go() -> list[str]:
        shown = []
        with Store.open(db, read_only=True) as store:
            app = make_app(store)
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                for row in (0, 1):
                    app.screen.query_one("#runs", DataTable).move_cursor(row=row)
                    await pilot.press("enter")
                    await pilot.pause()
                    assert isinstance(app.screen, RunRecordScreen)
                    shown.append("\n".join(str(w.render()) for w in app.screen.query(Static)))
                    await pilot.press("escape")
                    await pilot.pause()
        return shown

    ann, bo = asyncio.run(go())
    assert " · assessment · time accommodation 2x (twice as long) · seed 1 · " in ann
    assert " · assessment · seed 1 · " in bo and "accommodation" not in bo


def test_deleting_a_trainee_deletes_their_grant_too(capsys, db, tiny):
    _recorded(db, tiny)
    with Store.open(db) as store:
        grant(store, "Ann", "2x")
        grant(store, "Bo", "1.5x")
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann", "--yes", "--db", str(db))
    assert code == 0, err
    assert "Their time accommodation (2x) is kept in the records too, and is deleted with the runs." in out
    with Store.open(db, read_only=True) as store:
        assert [(g.trainee, g.time) for g in granted(store)] == [("Bo", "1.5x")]
