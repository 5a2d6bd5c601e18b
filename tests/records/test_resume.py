"""Finding interrupted runs again with their scenario file, as `groupsim play` offers them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder, RecordsError, RunRecorder, ScenarioChanged
from simulator.records import resume as rs

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml"


@pytest.fixture
def copy(tmp_path):
    path = tmp_path / "tiny.yaml"
    shutil.copy(TINY, path)
    return path


def interrupt(tmp_path, scenario_path, picks=(1,)):
    scenario = load(scenario_path)
    rec = Recorder(tmp_path / "r.db")
    make = RunRecorder.factory(rec)
    run = make(scenario, Settings("practice", "Ann"), 4)
    session = Session(scenario, 4)
    for n in picks:
        run.on_step(session, session.choose(n), 50)
    return rec, run.run_id, session


def test_found_where_it_was_played(tmp_path, copy):
    rec, run_id, session = interrupt(tmp_path, copy)
    (item,) = rs.interrupted(rec)
    assert item.info.id == run_id and item.scenario is not None and not item.changed and item.problem is None
    assert f"'A Tiny Test Group' (from {copy}) by Ann, at decision 2, 1 made, practice" in item.describe()
    resumed, run = rs.resume(rec, item)
    assert resumed.to_json() == session.to_json()
    run.on_step(resumed, resumed.choose(1), 10)  # goes on writing the same run
    assert rec.run(run_id).decisions == 2


def test_an_edited_file_is_flagged_and_refused_unless_accepted(tmp_path, copy):
    rec, run_id, session = interrupt(tmp_path, copy)
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    (item,) = rs.interrupted(rec)
    assert item.changed
    with pytest.raises(ScenarioChanged, match="has changed since"):
        rs.resume(rec, item)
    resumed, _ = rs.resume(rec, item, accept_changed=True)
    assert resumed.values == session.values


def test_the_exact_version_is_preferred(tmp_path, copy):
    rec, run_id, _ = interrupt(tmp_path, copy)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(copy, moved / "tiny.yaml")  # the version played, in a folder searched
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    (item,) = rs.interrupted(rec, search=[moved])
    assert not item.changed and item.scenario.source == str(moved / "tiny.yaml")


def test_a_vanished_file_is_explained(tmp_path, copy):
    rec, run_id, _ = interrupt(tmp_path, copy)
    copy.unlink()
    (item,) = rs.interrupted(rec)
    assert item.scenario is None and "cannot be found" in item.problem
    with pytest.raises(RecordsError, match="cannot be found"):
        rs.resume(rec, item)


def test_filtered_by_scenario(tmp_path, copy):
    rec, _, _ = interrupt(tmp_path, copy)
    assert rs.interrupted(rec, scenario_id="other") == []
    assert len(rs.interrupted(rec, scenario_id="tiny")) == 1


def scripted(*answers):
    said: list[str] = []
    queue = list(answers)

    def ask(prompt: str) -> str:
        said.append(prompt)
        return queue.pop(0) if queue else ""

    return ask, said.append, said


def test_a_resumed_practice_run_keeps_its_time_limits(tmp_path, copy, monkeypatch):
    # `groupsim play`'s resume prompt rebuilds the run's settings from the records:
    # a practice run begun with time limits comes back with them, one without, without.
    from simulator.authoring.library import load_file
    from simulator.commands.play import _offer_interrupted

    scenario = load(copy)
    rec = Recorder(tmp_path / "r.db")
    make = RunRecorder.factory(rec)
    timed = make(scenario, Settings("practice", "Ann", timed=True), 4)
    plain = make(scenario, Settings("practice", "Bo"), 5)
    for run in (timed, plain):
        session = Session(scenario, run.run_id)
        run.on_step(session, session.choose(1), 50)
    assert rec.run(timed.run_id).time_limits and not rec.run(plain.run_id).time_limits
    assert rec.run(make(scenario, Settings("assessment", "Cy"), 6).run_id).time_limits  # always, in assessment
    rec.abandon_run(rec.unfinished_runs(trainee="Cy")[0].id)
    found = [load_file(copy)]
    for run, expected in ((timed, True), (plain, False)):
        order = [i.info.id for i in rs.interrupted(rec)]
        answers = iter([str(order.index(run.run_id) + 1)])
        monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
        resumed = _offer_interrupted(rec, found)
        assert resumed.settings.mode == "practice" and resumed.settings.timed is expected
        assert resumed.settings.time_limits is expected
        rec.abandon_run(run.run_id)


def test_offer_resume_new_abandon(tmp_path, copy):
    rec, run_id, _ = interrupt(tmp_path, copy)
    items = rs.interrupted(rec)
    ask, say, said = scripted("")
    assert rs.offer(items, ask, say).action == "new"
    assert (
        "You have an unfinished run:" in said[0]
        and "1. 'A Tiny Test Group' (from " in said[1]
        and "tiny.yaml) by Ann" in said[1]
    )
    ask, say, said = scripted("what", "1")
    d = rs.offer(items, ask, say)
    assert (d.action, d.item.info.id, d.accept_changed) == ("resume", run_id, False)
    assert any("Please type 1, x, or just Enter." in s for s in said)
    ask, say, _ = scripted("x")
    assert rs.offer(items, ask, say).action == "abandon"
    assert rs.offer([], ask, say).action == "new"


def test_offer_asks_again_for_a_changed_file_and_refuses_a_lost_one(tmp_path, copy):
    rec, run_id, _ = interrupt(tmp_path, copy)
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    items = rs.interrupted(rec)
    ask, say, said = scripted("1", "n", "1", "y")
    d = rs.offer(items, ask, say)
    assert d.action == "resume" and d.accept_changed
    assert "has changed since" in said[1] and sum("Resume anyway?" in s for s in said) == 2
    copy.unlink()
    ask, say, said = scripted("1", "")
    assert rs.offer(rs.interrupted(rec), ask, say).action == "new"
    assert any("cannot be resumed" in s for s in said)


def test_a_run_left_at_its_ending_says_the_debrief_is_waiting(tmp_path, copy):
    rec, run_id, session = interrupt(tmp_path, copy, picks=(1, 1))
    while not session.finished:  # through the lucky state, if chance led there
        rec.record_step(run_id, session, session.choose(1), 10)
    (item,) = rs.interrupted(rec)
    assert "ended 'A good start', debrief not yet seen" in item.describe()
    resumed, _ = rs.resume(rec, item)
    assert resumed.finished and resumed.to_json() == session.to_json()


def test_playing_one_draft_offers_its_own_runs_not_another_drafts_with_the_same_id(tmp_path, copy):
    rec, run_id, _ = interrupt(tmp_path, copy)
    other = tmp_path / "other" / "tiny.yaml"
    other.parent.mkdir()
    other.write_text(copy.read_text(encoding="utf-8") + "\n# another draft\n", encoding="utf-8")
    assert load(other).id == load(copy).id
    assert rs.interrupted(rec, "tiny", file=load(other)) == []
    (item,) = rs.interrupted(rec, "tiny", file=load(copy))
    assert item.info.id == run_id and str(copy) in item.describe()
    # A copy with the same bytes elsewhere is the same scenario: its run is offered.
    same = tmp_path / "same" / "tiny.yaml"
    same.parent.mkdir()
    shutil.copy(copy, same)
    assert [i.info.id for i in rs.interrupted(rec, "tiny", file=load(same))] == [run_id]
