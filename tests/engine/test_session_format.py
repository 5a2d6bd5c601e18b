"""Saved sessions carry their format version and the oldest reader that can read them,
so a format change moves unfinished runs forward instead of stranding them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.engine import Session, SessionError
from simulator.engine import session as session_module

SAVED_V1 = Path(__file__).resolve().parents[1] / "fixtures" / "sessions" / "tiny-v1.json"


def test_a_saved_session_names_its_format_and_the_oldest_reader_of_it(tiny):
    data = Session(tiny, 1).to_json()
    assert data["version"] == session_module.JSON_VERSION
    assert data["min_version"] == session_module.JSON_MIN_VERSION <= data["version"]


def test_a_session_saved_by_groupsim_0_1_still_resumes_where_it_stood(tiny):
    """The file was written by the first release (no min_version then): it must keep loading."""
    data = json.loads(SAVED_V1.read_text(encoding="utf-8"))
    restored = Session.from_json(tiny, data)
    replayed = Session(tiny, 3)
    replayed.choose(1)
    assert restored.state.id == replayed.state.id and restored.values == replayed.values
    assert [s.choice for s in restored.history] == [1]


def test_a_newer_format_that_older_readers_may_read_is_read(tiny):
    data = Session(tiny, 2).to_json()
    data.update(version=session_module.JSON_VERSION + 3, something_new={"a": 1})
    assert Session.from_json(tiny, data).seed == 2


def test_a_newer_format_this_groupsim_cannot_read_is_refused_with_what_to_do(tiny):
    data = Session(tiny, 2).to_json()
    data.update(version=99, min_version=99)
    with pytest.raises(SessionError, match="upgrade groupsim"):
        Session.from_json(tiny, data)


@pytest.mark.parametrize("version", [None, "1", True])
def test_a_missing_or_odd_version_is_called_damaged_not_a_crash(tiny, version):
    data = Session(tiny, 2).to_json()
    data["version"] = version
    data.pop("min_version")
    with pytest.raises(SessionError, match="format version"):
        Session.from_json(tiny, data)


def test_older_sessions_are_migrated_step_by_step(tiny, monkeypatch):
    """What the next format change does: raise the version and add a migration."""
    seen: list[int] = []

    def to_v2(data):
        seen.append(data["version"])
        return {**data, "flags": [*data["flags"], "migrated"]}

    def to_v3(data):
        seen.append(data["version"])
        return data

    monkeypatch.setattr(session_module, "JSON_VERSION", 3)
    monkeypatch.setattr(session_module, "MIGRATIONS", {2: to_v2, 3: to_v3})
    restored = Session.from_json(tiny, json.loads(SAVED_V1.read_text(encoding="utf-8")))
    assert seen == [1, 2]
    assert "migrated" in restored.flags
    assert restored.to_json()["version"] == 3


def test_a_gap_in_the_migrations_is_refused_not_guessed(tiny, monkeypatch):
    monkeypatch.setattr(session_module, "JSON_VERSION", 2)
    monkeypatch.setattr(session_module, "MIGRATIONS", {})
    with pytest.raises(SessionError, match="cannot bring it up to date"):
        Session.from_json(tiny, json.loads(SAVED_V1.read_text(encoding="utf-8")))


def test_format_2_keeps_what_the_trainee_said_and_reads_format_1_steps_as_saying_nothing(tiny):
    s = Session(tiny, 3)
    s.choose(1, said="I'd name what just happened")
    again = Session.from_json(tiny, json.loads(json.dumps(s.to_json())))
    assert again.history[0].said == "I'd name what just happened"
    old = Session.from_json(tiny, json.loads(SAVED_V1.read_text(encoding="utf-8")))
    assert [step.said for step in old.history] == [""]
    s.rewind(0)
    assert s.history == ()
