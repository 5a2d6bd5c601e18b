"""What supervisors read: runs filtered, one run's record, choice counts, the cohort view."""

from __future__ import annotations

import pytest

from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder, RecordsError
from simulator.records import queries as q
from simulator.records.queries import EventRecord, RunFilter, StepRecord


@pytest.fixture
def filled(tmp_path, tiny):
    """Four runs of tiny: Ann finishes strong and poor, Ben finishes after a rewind, Cy stops half way."""
    rec = Recorder(tmp_path / "r.db")

    def play(name, picks, seed=1, rewind_at=None, finish=True, mode="practice"):
        s = Session(tiny, seed)
        rid = rec.start_run(tiny, Settings(mode, name), seed)
        for i, n in enumerate(picks):
            if rewind_at is not None and i == rewind_at[0]:
                s.rewind(rewind_at[1])
                rec.record_rewind(rid, s)
            rec.record_step(rid, s, s.timeout() if n == "timeout" else s.choose(n), 100 * (i + 1))
        if finish:
            rec.finish_run(rid, s)
        return rid

    ids = {
        "ann1": play("Ann", [1, 1]),  # good-end, strong (seed 1 skips the lucky state)
        "ann2": play("Ann", ["timeout", 2]),  # cohesion 25 < 30: poor-end
        "ben": play("Ben", [2, 3, 1, 1], rewind_at=(2, 0), mode="assessment"),  # chose 2,3 then rewound to the start
        "cy": play("Cy", [1], finish=False),
    }
    rec.save_reflections(ids["ann1"], {"reaction": "Calm.", "plus": "Named it.", "delta": "Less talk."})
    rec.store.conn.execute("UPDATE runs SET started_at = '2025-01-10T09:00:00.000Z' WHERE id = ?", (ids["ann2"],))
    yield rec.store, ids
    rec.close()


def test_list_runs_and_filters(filled):
    store, ids = filled
    runs = {r.id: r for r in q.list_runs(store)}
    assert len(runs) == 4
    a = runs[ids["ann1"]]
    assert (a.trainee, a.outcome, a.ending, a.decisions, a.path) == (
        "Ann",
        "strong",
        "good-end",
        2,
        "1,1",
    )
    assert a.final_meters == {"trust": 60, "cohesion": 80} and a.final_trust == {"ana": 60, "bo": 35}
    assert runs[ids["ann2"]].path == "timeout,2" and runs[ids["ann2"]].outcome == "poor"
    b = runs[ids["ben"]]
    assert (b.path, b.rewinds, b.decisions, b.mode) == ("1,1", 1, 2, "assessment")
    c = runs[ids["cy"]]
    assert (c.status, c.outcome, c.final_meters) == ("active", None, {"trust": 60, "cohesion": 70})
    assert [runs[ids[k]].result for k in ("ann1", "ann2", "ben", "cy")] == ["strong", "poor", "strong", "unfinished"]
    pick = lambda run_filter=None, **kw: [r.id for r in q.list_runs(store, run_filter, **kw)]  # noqa: E731
    assert sorted(pick(RunFilter(trainee="Ann"))) == sorted([ids["ann1"], ids["ann2"]])
    assert pick(RunFilter(outcome="poor")) == [ids["ann2"]]
    assert pick(RunFilter(outcome="unfinished")) == [ids["cy"]]
    assert pick(status="active") == [ids["cy"]]
    assert pick(mode="assessment") == [ids["ben"]]
    assert pick(RunFilter.parse(until="2025-01-10")) == [ids["ann2"]]
    assert ids["ann2"] not in pick(RunFilter.parse(since="2025-01-11"))
    assert pick(RunFilter(scenario="other")) == []
    with pytest.raises(RecordsError, match="YYYY-MM-DD"):
        RunFilter.parse(since="last week")
    assert q.count_runs(store) == 4 and q.count_runs(store, RunFilter(trainee="ann")) == 2


def test_run_record_keeps_the_rewound_choices_in_order(filled):
    store, ids = filled
    t = q.run_record(store, ids["ben"])
    seen = [("step", e.choice, e.undone) if isinstance(e, StepRecord) else (e.kind, None, None) for e in t.entries]
    assert seen == [
        ("step", 2, True),
        ("step", 3, True),
        ("rewound", None, None),
        ("step", 1, False),
        ("step", 1, False),
    ]
    assert t.run.trainee == "Ben" and t.reflections == {}
    rewound = next(e for e in t.entries if isinstance(e, EventRecord))
    assert (rewound.turn, rewound.detail) == (0, {"to_turn": 0})
    t = q.run_record(store, ids["ann1"])
    assert list(t.reflections) == ["reaction", "plus", "delta"]
    first = t.entries[0]
    assert isinstance(first, StepRecord)
    assert first.meters_before == {"trust": 50, "cohesion": 40} and first.response_ms == 100
    with pytest.raises(RecordsError, match="no run 99"):
        q.run_record(store, 99)


def test_choice_counts(filled):
    store, _ = filled
    rows = [(r.state, r.choice, r.rating, r.count, r.rewound) for r in q.choice_counts(store)]
    assert rows == [
        ("opening", 1, "recommended", 3, 0),  # Ann, Ben after the rewind, Cy
        ("opening", 2, "harmful", 0, 1),  # Ben's first try, taken back
        ("opening", None, None, 1, 0),  # Ann's time-out
        ("middle", 1, "recommended", 2, 0),
        ("middle", 2, "harmful", 1, 0),
        ("middle", 3, "acceptable", 0, 1),
    ]
    assert sum(r.count for r in q.choice_counts(store, RunFilter(trainee="Ann"))) == 4


def test_cohort_with_the_scenario_lists_what_nobody_chose(filled, tiny):
    store, _ = filled
    c = q.cohort(store, "tiny", tiny)
    assert (c.runs, c.finished, c.digests) == (4, 3, (tiny.digest,))
    decisions = {d.state: d for d in c.decisions}
    assert list(decisions) == ["opening", "middle", "lucky"]  # file order
    opening = {ch.choice: (ch.rating, ch.count) for ch in decisions["opening"].choices}
    assert opening == {1: ("recommended", 3), 2: ("harmful", 0), 3: ("risky", 0), None: (None, 1)}
    assert decisions["opening"].title == "The opening" and decisions["opening"].total == 4
    assert decisions["lucky"].total == 0
    endings = {e.ending: e for e in c.endings}
    assert endings["good-end"].runs == 2 and endings["good-end"].average_meters == {
        "trust": 60.0,
        "cohesion": 80.0,
    }
    assert endings["poor-end"].runs == 1 and endings["poor-end"].average_meters["cohesion"] == 25.0
    assert endings["mixed-end"].runs == 0 and endings["mixed-end"].outcome == "mixed"


def test_cohort_without_the_scenario(filled):
    store, _ = filled
    c = q.cohort(store, "tiny")
    assert [d.state for d in c.decisions] == ["opening", "middle"]
    assert {e.ending for e in c.endings} == {"good-end", "poor-end"}


def test_pseudonyms_are_stable_per_database_and_differ_between_them(filled, tmp_path, tiny):
    store, _ = filled
    name = q.Pseudonyms(store)
    assert name("Ann") == q.Pseudonyms(store)("Ann") != name("Ben")
    assert name("Ann").startswith("trainee-") and len(name("Ann")) == len("trainee-") + 6
    with Recorder(tmp_path / "other.db") as other:
        other.start_run(tiny, Settings("practice", "Ann"), 0)
        assert q.Pseudonyms(other.store)("Ann") != name("Ann")


def test_check_known(filled):
    store, _ = filled
    q.check_known(store, trainee="Ann", scenario="tiny")
    with pytest.raises(RecordsError, match="no runs of a trainee named 'Zed'"):
        q.check_known(store, trainee="Zed")
    with pytest.raises(RecordsError, match="runs there are of: tiny"):
        q.check_known(store, scenario="nope")
