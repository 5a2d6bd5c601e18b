"""`groupsim new`: the starter scenario loads, plays, validates strictly and passes its own tests."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import pytest

from simulator.authoring.analysis import reachability
from simulator.authoring.loader import SCHEMA_HEADER, load, load_text
from simulator.authoring.scaffold import check_id, starter, title_for
from simulator.authoring.validate import warnings
from simulator.cli import main
from simulator.engine import Session

IDS = [
    "late-arrival",
    "x",
    "yes",
    "no",
    "2024",
    "on-1",
    "a-very-long-scenario-id-that-pushes-the-comments-to-the-right",
]


def _load(scenario_id: str):
    scenario, errors = load_text(starter(scenario_id), f"{scenario_id}.yaml")
    assert errors == [], errors
    return scenario


@pytest.mark.parametrize("scenario_id", IDS)
def test_starter_loads_with_its_id_and_no_warnings(scenario_id):
    s = _load(scenario_id)
    assert s.id == scenario_id and s.title == title_for(scenario_id)
    assert warnings(s) == []


@pytest.mark.parametrize("scenario_id", IDS)
def test_starter_passes_validate_strict_as_written(scenario_id, tmp_path, capsys):
    assert main(["new", scenario_id, "-o", str(tmp_path)]) == 0
    path = tmp_path / f"{scenario_id}.yaml"
    assert main(["validate", "--strict", str(path)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err
    assert main(["test", str(path)]) == 0
    assert "0 failed" in capsys.readouterr().out


def test_starter_teaches_the_format():
    s = _load("late-arrival")
    text = starter("late-arrival")
    assert text.splitlines()[0].startswith("# yaml-language-server: $schema=")
    assert set(s.meters) == {"trust", "cohesion"} and len(s.members) == 2
    decisions = [st for st in s.states.values() if st.choices]
    assert len(decisions) >= 2 and all(len(st.choices) == 3 for st in decisions)
    assert any(st.next for st in s.states.values())
    assert sorted(st.ending.outcome for st in s.states.values() if st.ending) == ["mixed", "poor", "strong"]
    assert s.tests and any(t.reachable for t in s.tests) and any(t.choose for t in s.tests)
    # Every key it uses is explained on its line: most lines carry a comment.
    for key in (
        "format:",
        "id:",
        "meters:",
        "members:",
        "flags:",
        "start:",
        "choices:",
        "rating:",
        "effects:",
        "feedback:",
        "goto:",
        "next:",
        "when:",
        "ending:",
        "outcome:",
        "time_limit:",
        "on_timeout:",
        "tests:",
        "narration:",
        "phrasings:",
    ):
        line = next(line for line in text.splitlines() if line.strip().startswith(key))
        assert " # " in line, f"'{key}' has no comment: {line}"


def test_starter_shows_the_newer_keys_where_a_beginner_meets_them():
    s = _load("late-arrival")
    text = starter("late-arrival")
    # A narration that follows what happened: a version with `when`, then one without.
    versions = s.states["at-the-break"].variants["narration"]
    assert len(versions) == 2 and versions[0].when is not None and versions[1].when is None
    # A time-out with consequences of its own.
    timeout = s.states["at-the-break"].timeout
    assert timeout.rating == "risky" and timeout.effects and timeout.feedback
    # Phrasings on a choice, and `order: fixed` explained in a comment.
    assert any(c.phrasings for st in s.states.values() for c in st.choices)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "order: fixed" in line)
    explained = " ".join(" ".join(lines[at : at + 3]).replace("#", " ").split())
    assert all(line.lstrip().startswith("#") for line in lines[at : at + 3])  # a comment: it plays shuffled
    assert "order drawn for each run" in explained and "as written" in explained
    # Each version is shown on some way through, so `validate --strict` stays quiet.
    assert warnings(s) == []


def test_starter_lines_stay_within_100_columns():
    assert max(len(line) for line in starter(IDS[0]).splitlines()[1:]) <= 100


def _editor_target(text: str, folder: Path) -> Path | None:
    """Where yaml-language-server looks for the schema: the `$schema=` of the first
    `# yaml-language-server:` comment, a file: URI as it is, else a path from the folder."""
    for line in text.splitlines():
        found = re.match(r"^#\s+yaml-language-server\s*:.*?\$schema=(\S+)", line)
        if found:
            value = found.group(1)
            if value.startswith("file:"):
                return Path(url2pathname(unquote(urlparse(value).path)))
            return Path(os.path.normpath(folder.absolute() / value))
    return None


SCHEMA = Path(__file__).resolve().parents[2] / "simulator" / "schema" / "scenario.schema.json"


@pytest.mark.parametrize("where", ["here", "a folder with spaces", "deep/er/still"])
def test_new_writes_a_header_that_resolves_from_the_files_folder(where, tmp_path, capsys):
    folder = tmp_path / where
    folder.mkdir(parents=True)
    assert main(["new", "late-arrival", "-o", str(folder)]) == 0
    text = (folder / "late-arrival.yaml").read_text(encoding="utf-8")
    target = _editor_target(text, folder)
    assert target is not None and target.is_file(), text.splitlines()[0]
    assert target.read_bytes() == SCHEMA.read_bytes()


def test_new_inside_the_checkout_writes_the_shipped_relative_header(tmp_path):
    # The library's own files share one header, relative, so the checkout can move whole.
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    assert starter("late-arrival", scenarios).splitlines()[0] == SCHEMA_HEADER
    assert _editor_target(SCHEMA_HEADER, scenarios).resolve() == SCHEMA.resolve()


def test_new_from_another_folder_with_a_relative_o(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["new", "late-arrival", "-o", "out"]) == 0
    text = (tmp_path / "out" / "late-arrival.yaml").read_text(encoding="utf-8")
    assert _editor_target(text, tmp_path / "out").is_file()


def test_starter_plays_every_path_to_an_ending():
    s = _load("late-arrival")
    endings = set()
    for first in (1, 2, 3):
        for second in (1, 2, 3, "timeout"):
            session = Session(s)
            session.choose(first)
            if not session.finished:
                offered = [c.number for c in session.choices()]
                if second == "timeout":
                    session.timeout()
                elif second in offered:
                    session.choose(second)
                else:
                    continue
            assert session.finished
            endings.add(session.state.id)
    assert endings == {"ada-goes-on", "an-uneasy-truce", "the-group-closes"}


def test_starter_passes_its_own_tests():
    # `groupsim test` runs these; check them here with the engine directly too.
    s = _load("late-arrival")
    found = reachability(s)
    for t in s.tests:
        assert set(t.reachable) <= found.states and not set(t.unreachable) & found.states
        if t.choose is None:
            continue
        session = Session(s, t.seed)
        for pick in t.choose:
            session.timeout() if pick == "timeout" else session.choose(int(pick))
        assert session.finished
        assert t.ending in (None, session.state.id)
        assert t.outcome in (None, session.ending.outcome)
        values = {**session.meters(), **session.members()}
        assert all(x.holds(values[x.name]) for x in t.values), t.name
        assert all(x.holds(x.name in session.flags) for x in t.flags), t.name
        assert set(t.visited) <= session.visited and not set(t.not_visited) & session.visited


@pytest.mark.parametrize(
    "bad, hint",
    [
        ("My Scenario", "'my-scenario'"),
        ("late_arrival", "'late-arrival'"),
        ("Late-Arrival", "'late-arrival'"),
        ("-late", "'late'"),
        ("late-", "'late'"),
        ("a--b", "'a-b'"),
        ("", "'late-arrival'"),
        ("Ünïcode", "'unicode'"),
    ],
)
def test_bad_ids_are_explained(bad, hint):
    message = check_id(bad)
    assert message and "lowercase letters, digits and hyphens" in message and hint in message


def test_new_writes_the_file_and_says_what_next(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "late-arrival"]) == 0
    assert (tmp_path / "late-arrival.yaml").read_text(encoding="utf-8") == starter("late-arrival", tmp_path)
    assert "groupsim validate late-arrival.yaml --strict" in capsys.readouterr().out
    assert load(tmp_path / "late-arrival.yaml").id == "late-arrival"


def test_new_never_overwrites(tmp_path, capsys):
    path = tmp_path / "late-arrival.yaml"
    path.write_text("mine\n", encoding="utf-8")
    assert main(["new", "late-arrival", "-o", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["new", "My Scenario"], "is not a scenario id"),
        (["new", "ok", "-o", "no-such-folder"], "does not exist"),
    ],
)
def test_new_bad_input_is_a_message_and_exit_1(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
