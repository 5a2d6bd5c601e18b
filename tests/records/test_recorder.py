"""The recorder: every decision written as it is made, rewinds kept, runs resumed exactly."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from simulator.engine import Session, SessionError
from simulator.play.settings import Settings
from simulator.records import Recorder, RecordsError, RunRecorder, ScenarioChanged


@pytest.fixture
def rec(tmp_path):
    r = Recorder(tmp_path / "r.db")
    yield r
    r.close()


def play(rec, scenario, picks, *, trainee="Ann", mode="practice", seed=0):
    session = Session(scenario, seed)
    run_id = rec.start_run(scenario, Settings(mode, trainee), seed)
    for i, n in enumerate(picks):
        step = session.timeout() if n == "timeout" else session.choose(n)
        rec.record_step(run_id, session, step, 1000 + i)
    return run_id, session


def steps(rec, run_id):
    return rec.store.read("SELECT * FROM steps WHERE run_id = ? ORDER BY seq", (run_id,))


def test_each_step_is_written_with_everything(rec, tiny):
    run_id, session = play(rec, tiny, [1], seed=7)
    (row,) = steps(rec, run_id)
    assert row["turn"] == 1 and row["state"] == "opening" and row["choice"] == 1
    assert row["rating"] == "recommended" and row["choice_text"] == "Name what is happening in the room."
    assert json.loads(row["meters_before"]) == {"trust": 50, "cohesion": 40}
    assert json.loads(row["meters_after"]) == {"trust": 60, "cohesion": 70}
    assert json.loads(row["trust_before"]) == {"ana": 60, "bo": 30}
    assert json.loads(row["trust_after"]) == {"ana": 60, "bo": 35}
    assert row["response_ms"] == 1000
    assert row["recorded_at"].endswith("Z")
    assert row["scenario_digest"] == tiny.digest and len(tiny.digest) == 64
    assert json.loads(row["session_json"]) == session.to_json()
    (flat,) = rec.store.read("SELECT * FROM decisions WHERE run_id = ?", (run_id,))
    assert (flat["trainee"], flat["scenario_id"], flat["mode"], flat["seed"]) == ("Ann", "tiny", "practice", 7)
    assert flat["undone"] == 0


def test_a_timeout_is_a_step_without_a_choice(rec, tiny):
    run_id, _ = play(rec, tiny, ["timeout"])
    (row,) = steps(rec, run_id)
    assert row["choice"] is None and row["rating"] is None and json.loads(row["route"]) == ["silence", "middle"]


def test_finish_and_reflections(rec, tiny):
    run_id, session = play(rec, tiny, [1, 1], seed=1)
    assert session.finished
    rec.finish_run(run_id, session)
    rec.save_reflections(run_id, {"reaction": "Nervous.", "plus": "Named it.", "delta": "Slower."})
    rec.save_reflections(run_id, {"delta": "Pause more."})  # a later save replaces that prompt only
    info = rec.run(run_id)
    assert (info.status, info.ending, info.outcome, info.decisions) == ("finished", session.state.id, "strong", 2)
    texts = {r["prompt"]: r["text"] for r in rec.store.read("SELECT * FROM reflections")}
    assert texts == {"reaction": "Nervous.", "plus": "Named it.", "delta": "Pause more."}
    assert rec.unfinished_runs() == []
    with pytest.raises(RecordsError, match="is finished"):
        rec.record_step(run_id, session, session.history[-1], 1)


def test_finish_before_an_ending_is_refused(rec, tiny):
    run_id, session = play(rec, tiny, [1])
    with pytest.raises(SessionError):
        rec.finish_run(run_id, session)


def test_unknown_run(rec, tiny):
    with pytest.raises(RecordsError, match="no run 42"):
        rec.resume(42, tiny)
    with pytest.raises(RecordsError, match="no run 42"):
        rec.save_reflections(42, {"plus": "x"})


def test_rewind_keeps_what_was_chosen_before(rec, tiny):
    run_id, session = play(rec, tiny, [1, 3])
    session.rewind(1)
    rec.record_rewind(run_id, session)
    session.choose(2)
    rec.record_step(run_id, session, session.history[-1], 5)
    rows = steps(rec, run_id)
    assert [(r["seq"], r["turn"], r["choice"], r["undone_by"] is not None) for r in rows] == [
        (1, 1, 1, False),
        (2, 2, 3, True),
        (4, 2, 2, False),
    ]
    (event,) = rec.store.read("SELECT * FROM events WHERE run_id = ?", (run_id,))
    assert (event["kind"], event["turn"], event["seq"], event["id"]) == ("rewound", 1, 3, rows[1]["undone_by"])
    assert rec.run(run_id).decisions == 2
    assert rec.resume(run_id, tiny).to_json() == session.to_json()


def test_rewind_to_the_start(rec, tiny):
    run_id, session = play(rec, tiny, [2, 2])
    session.rewind(0)
    rec.record_rewind(run_id, session)
    assert rec.run(run_id).decisions == 0
    resumed = rec.resume(run_id, tiny)
    assert resumed.turn == 0 and resumed.state.id == "opening"


@pytest.mark.parametrize("picks", [[], [1], [2, 3], ["timeout", 2]], ids=str)
def test_resume_gives_the_same_session(rec, tiny, picks):
    run_id, session = play(rec, tiny, picks, seed=11)
    (info,) = rec.unfinished_runs(trainee="Ann", scenario_id="tiny")
    assert info.id == run_id and info.decisions == len(picks)
    resumed = rec.resume(run_id, tiny)
    assert resumed.to_json() == session.to_json()
    assert resumed.seed == 11
    # and it plays on exactly as the original would
    if not resumed.finished:
        n = resumed.choices()[0].number
        assert resumed.choose(n) == session.choose(n)
        assert resumed.to_json() == session.to_json()


def test_resume_on_a_changed_scenario_is_refused_unless_accepted(rec, tiny):
    run_id, session = play(rec, tiny, [1])
    edited = replace(tiny, digest="f" * 64)
    with pytest.raises(ScenarioChanged, match=rf"has changed since run .* {tiny.digest[:12]}.*ffffffffffff"):
        rec.resume(run_id, edited)
    resumed = rec.resume(run_id, edited, accept_changed=True)
    assert resumed.values == session.values
    assert resumed.scenario.digest == "f" * 64
    kinds = [(e["kind"], json.loads(e["detail"])["to_digest"][:1]) for e in rec.store.read("SELECT * FROM events")]
    assert kinds == [("resumed-on-changed-scenario", "f")]
    resumed.choose(1)
    rec.record_step(run_id, resumed, resumed.history[-1], 3)
    digests = [r["scenario_digest"][:1] for r in steps(rec, run_id)]
    assert digests == [tiny.digest[:1], "f"]  # each decision says which version it was made on
    assert rec.run(run_id).scenario_digest == tiny.digest  # and the run, which it started on


def test_resume_of_another_scenario_or_a_finished_run(rec, tiny):
    run_id, session = play(rec, tiny, [1, 1], seed=1)
    with pytest.raises(RecordsError, match="not 'other'"):
        rec.resume(run_id, replace(tiny, id="other"))
    rec.finish_run(run_id, session)
    with pytest.raises(RecordsError, match="only an unfinished run"):
        rec.resume(run_id, tiny)


def test_abandon(rec, tiny):
    run_id, _ = play(rec, tiny, [1])
    rec.abandon_run(run_id)
    assert rec.unfinished_runs() == [] and rec.run(run_id).status == "abandoned"


def test_unfinished_runs_filter_and_order(rec, tiny):
    a, _ = play(rec, tiny, [1], trainee="Ann")
    b, _ = play(rec, tiny, [2], trainee="Ben")
    c, _ = play(rec, tiny, [], trainee="Ann")
    assert [r.id for r in rec.unfinished_runs()] == [c, b, a]
    assert [r.id for r in rec.unfinished_runs(trainee="Ann")] == [c, a]
    assert rec.unfinished_runs(scenario_id="nope") == []


def test_bad_mode(rec, tiny):
    with pytest.raises(ValueError):
        rec.start_run(tiny, Settings("exam", "Ann"), 0)  # type: ignore[arg-type]


def test_run_recorder_callbacks(rec, tiny):
    run = RunRecorder.start(rec, tiny, Settings("assessment", "Cy"), 2)
    session = Session(tiny, 2)
    for n in (1, 1):
        run.on_step(session, session.choose(n), 10)
    run.on_finish(session)
    run.on_reflections({"reaction": "fine"})
    info = rec.run(run.run_id)
    assert (info.trainee, info.mode, info.status, info.decisions) == ("Cy", "assessment", "finished", 2)


def test_two_recorders_one_database(tmp_path, tiny):
    with Recorder(tmp_path / "r.db") as one, Recorder(tmp_path / "r.db") as two:
        a, _ = play(one, tiny, [1])
        b, _ = play(two, tiny, [2])
        assert {r.id for r in one.unfinished_runs()} == {a, b}


def test_an_ending_reached_is_on_the_run_before_the_debrief_and_a_rewind_takes_it_off(rec, tiny):
    run_id, session = play(rec, tiny, [1, 1], seed=1)
    assert session.finished
    info = rec.run(run_id)
    assert (info.status, info.ending, info.outcome) == ("active", "good-end", "strong")
    session.rewind(1)
    rec.record_rewind(run_id, session)
    info = rec.run(run_id)
    assert (info.status, info.ending, info.outcome) == ("active", None, None)
    rec.record_step(run_id, session, session.choose(2), 5)
    rec.finish_run(run_id, session)
    info = rec.run(run_id)
    assert info.status == "finished" and info.ending == session.state.id


def test_a_run_keeps_its_say_first_and_time_accommodation_and_each_steps_own_words(rec, tiny):
    settings = Settings("assessment", "Di", say_first=True, accommodation="2x")
    run = RunRecorder.start(rec, tiny, settings, 4)
    session = Session(tiny, 4)
    run.on_step(session, session.choose(1, said="I'd name what is happening"), 900)
    info = rec.run(run.run_id)
    assert info.settings == settings
    (row,) = rec.store.read("SELECT said FROM steps")
    assert row["said"] == "I'd name what is happening"
    assert rec.finished_scenarios() == set()
    while not session.finished:
        run.on_step(session, session.choose(session.choices()[0].number), 10)
    run.on_finish(session)
    assert rec.finished_scenarios() == {"tiny"}


def test_the_clock_of_a_decision_under_way_is_kept_until_the_decision_is_made(rec, tiny):
    run = RunRecorder.start(rec, tiny, Settings("assessment", "Di"), 4)
    session = Session(tiny, 4)
    run.on_clock(session, 25)
    info = rec.run(run.run_id)
    assert (info.clock_left, info.clock_turn) == (25, 0)
    run.on_step(session, session.choose(1), 5000)
    info = rec.run(run.run_id)
    assert (info.clock_left, info.clock_turn) == (None, None)  # that decision is made
