"""One meaning for each filter: `groupsim report` and the review's table list the same runs for it.

The runs are chosen so the old meanings disagreed: a run that reached an ending but is
still active (its outcome column is set, yet it is not finished), an abandoned run, and
one trainee's name recorded in two spellings that differ only in case and spacing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
from textual.widgets import DataTable, Input, Select

from simulator.cli import main
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder, RecordsError
from simulator.records import queries as q
from simulator.records.queries import RunFilter
from simulator.tui.review.app import make_app


@pytest.fixture
def runs(tmp_path, tiny):
    """Six runs of tiny; the ids by name."""
    rec = Recorder(tmp_path / "r.db")

    def play(name, picks, finish=True, abandon=False, day="2025-03-01"):
        s = Session(tiny, 1)  # seed 1 skips the lucky state
        rid = rec.start_run(tiny, Settings("practice", name), 1)
        for n in picks:
            rec.record_step(rid, s, s.choose(n), 500)
        if finish:
            rec.finish_run(rid, s)
        if abandon:
            rec.abandon_run(rid)
        rec.store.conn.execute("UPDATE runs SET started_at = ? WHERE id = ?", (f"{day}T10:00:00.000Z", rid))
        return rid

    ids = {
        "ann-strong": play("Ann Smith", [1, 1], day="2025-03-01"),
        "ann-ended-active": play("ann  smith", [1, 1], finish=False, day="2025-03-02"),  # strong ending, not finished
        "bo-poor": play("Bo", [2, 2], day="2025-03-03"),
        "bo-abandoned": play("Bo", [2, 2], finish=False, abandon=True, day="2025-03-04"),  # poor ending, abandoned
        "cy-active": play("Cy", [1], finish=False, day="2025-03-05"),
        "annie": play("Annie Smithers", [1, 1], day="2025-03-06"),  # "ann smith" is not a part of a name
    }
    yield rec.store, ids
    rec.close()


CASES = [
    # (report options, what the review's filters are set to, the runs expected)
    (["--outcome", "strong"], {"outcome": "strong"}, ["ann-strong", "annie"]),
    (["--outcome", "poor"], {"outcome": "poor"}, ["bo-poor"]),
    (["--outcome", "mixed"], {"outcome": "mixed"}, []),
    (["--outcome", "unfinished"], {"outcome": "unfinished"}, ["ann-ended-active", "bo-abandoned", "cy-active"]),
    (["--trainee", "  ANN   smith "], {"trainee": "Ann Smith"}, ["ann-strong", "ann-ended-active"]),
    (
        ["--trainee", "ann smith", "--outcome", "unfinished"],
        {"trainee": "Ann Smith", "outcome": "unfinished"},
        ["ann-ended-active"],
    ),
    (["--trainee", "bo", "--outcome", "unfinished"], {"trainee": "Bo", "outcome": "unfinished"}, ["bo-abandoned"]),
    (
        ["--since", "2025-03-02", "--until", "2025-03-04"],
        {"since": "2025-03-02", "until": "2025-03-04"},
        ["ann-ended-active", "bo-poor", "bo-abandoned"],
    ),
    (["--scenario", "tiny", "--until", "2025-03-01"], {"scenario": "tiny", "until": "2025-03-01"}, ["ann-strong"]),
]


def reported(capsys, db, options) -> list[int]:
    code = main(["report", "--db", str(db), "--format", "json", "--table", "runs", *options])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [r["run"] for r in json.loads(out)["runs"]]


def reviewed(store, settings) -> list[tuple[int, str]]:
    """(run id, outcome column) of each row of the review's table once its filters are set."""

    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            screen = app.screen
            for what, value in settings.items():
                widget = screen.query_one(f"#f-{what}")
                if isinstance(widget, Select):
                    widget.value = value
                else:
                    assert isinstance(widget, Input)
                    widget.value = value
            await pilot.pause()
            table = screen.query_one("#runs", DataTable)
            return [
                (int(table.coordinate_to_cell_key((i, 0)).row_key.value), str(table.get_row_at(i)[5]))
                for i in range(table.row_count)
            ]

    return asyncio.run(go())


@pytest.mark.parametrize(
    "options, settings, expected", CASES, ids=lambda c: " ".join(c) if isinstance(c, list) else None
)
def test_report_and_review_list_the_same_runs(capsys, runs, options, settings, expected):
    store, ids = runs
    want = [ids[k] for k in expected]
    assert reported(capsys, store.path, options) == want
    rows = reviewed(store, settings)
    assert [run for run, _ in rows] == want
    if "outcome" in settings:  # the table's outcome column says the word the filter matched
        assert {word for _, word in rows} <= {settings["outcome"]}


def test_the_outcome_column_and_the_outcome_filter_use_one_word(runs):
    store, ids = runs
    shown = dict(reviewed(store, {}))
    assert shown == {
        ids["ann-strong"]: "strong",
        ids["ann-ended-active"]: "unfinished",
        ids["bo-poor"]: "poor",
        ids["bo-abandoned"]: "unfinished",
        ids["cy-active"]: "unfinished",
        ids["annie"]: "strong",
    }
    for word in q.RESULTS:
        assert [r.id for r in q.list_runs(store, RunFilter(outcome=word))] == [
            run for run, shown_word in shown.items() if shown_word == word
        ]


def test_the_trainee_filter_offers_each_trainee_once(runs):
    store, _ = runs

    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            return app.data.trainee_options()

    # "Ann Smith" and "ann  smith" are one trainee, listed under the first spelling
    assert asyncio.run(go()) == [
        ("Ann Smith", "Ann Smith"),
        ("Annie Smithers", "Annie Smithers"),
        ("Bo", "Bo"),
        ("Cy", "Cy"),
    ]


def test_name_matching():
    assert q.name_key("  Ann \t SMITH ") == q.name_key("ann smith") != q.name_key("annsmith")
    assert q.name_key("ÉMILE") == q.name_key("émile")  # not ASCII only
    assert q.name_key("Straße") == q.name_key("STRASSE")


def test_run_filter_words(runs):
    store, _ = runs
    f = RunFilter.parse(trainee="Bo", since="2025-03-02", until="2025-03-04T23:00", outcome="unfinished")
    assert f == RunFilter("Bo", None, date(2025, 3, 2), date(2025, 3, 4), "unfinished")
    with pytest.raises(RecordsError, match="--until 'soon' is not a date"):
        RunFilter.parse(until="soon")
    with pytest.raises(RecordsError, match="not one of strong, mixed, poor, unfinished"):
        RunFilter.parse(outcome="none")
    q.check_filter(store, RunFilter(trainee=" ANN SMITH", scenario="tiny"))
    with pytest.raises(RecordsError, match=r"no runs of a trainee named 'Ann' .*ignoring case"):
        q.check_filter(store, RunFilter(trainee="Ann"))
    with pytest.raises(RecordsError, match="runs there are of: tiny"):
        q.check_filter(store, RunFilter(scenario="nope"))
    # Deleting needs the name as recorded: check_known stays exact.
    with pytest.raises(RecordsError, match="names must match exactly"):
        q.check_known(store, trainee="ann smith")


def test_report_outcome_takes_only_the_four_words(capsys, runs):
    store, _ = runs
    with pytest.raises(SystemExit) as exc:
        main(["report", "--db", str(store.path), "--outcome", "none"])
    assert exc.value.code == 2 and "invalid choice: 'none'" in capsys.readouterr().err
    from simulator.commands import report

    assert report.OUTCOMES == q.RESULTS  # the command cannot import the records (no sqlite at --help)


def test_choice_counts_follow_the_filter(capsys, runs):
    """The choices table counts the decisions of the runs listed, the outcome filter included."""
    store, _ = runs
    code = main(["report", "--db", str(store.path), "--format", "json", "--outcome", "unfinished"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert sum(c["count"] for c in data["choices"]) == sum(r["decisions"] for r in data["runs"]) == 5
