"""Beginners' YAML mistakes, each explained on the line it is on, with what to type.

Each file in fixtures/yaml-mistakes makes one mistake a new author makes (its second line
says which) and states on its first line where it is and part of what the author is told:
`# expect: LINE:COL: SEVERITY: words of the message`. libyaml itself stops a line or more
after many of these and names them in its own terms ("mapping values are not allowed here");
the author is told what to type instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.authoring.library import load_file
from simulator.authoring.loader import read_text
from simulator.authoring.validate import check_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MISTAKES = sorted((FIXTURES / "yaml-mistakes").glob("*.yaml"))
TEST_ERRORS = sorted((FIXTURES / "test-errors").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (error|warning): (.*)$")
# libyaml's own words, which mean nothing to an author.
JARGON = ("mapping values", "scalar", "while scanning", "while parsing", "block end", "expected <", "token")


def _expected(path: Path) -> tuple[int, int, str, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    m = EXPECT.match(first)
    assert m, f"{path.name} states '# expect: LINE:COL: SEVERITY: message' on its first line"
    return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)


def test_the_corpus_covers_the_common_mistakes():
    assert len(MISTAKES) >= 15


@pytest.mark.parametrize("path", MISTAKES, ids=lambda p: p.stem)
def test_each_mistake_is_reported_on_its_own_line_with_what_to_type(path: Path):
    line, col, severity, words = _expected(path)
    found = check_file(path)
    assert found, "the mistake is reported"
    first = found[0]
    assert (first.line, first.col, first.severity) == (line, col, severity), str(first)
    assert words in first.message
    assert not any(j in first.message for j in JARGON), first.message


def test_a_file_with_a_mistake_does_not_play_and_one_with_a_warning_does():
    for path in MISTAKES:
        _, _, severity, _ = _expected(path)
        assert (load_file(path).scenario is None) == (severity == "error"), path.name


def test_text_cut_short_by_a_comment_says_what_trainees_would_see():
    path = FIXTURES / "yaml-mistakes" / "hash-cut.yaml"
    scenario = load_file(path).scenario
    assert scenario is not None
    assert scenario.states["opening"].narration == "Ana is"
    # Quoting it keeps the whole text.
    fixed = path.read_text(encoding="utf-8").replace("narration: Ana is #1 here.", 'narration: "Ana is #1 here."')
    loaded = read_text(fixed, "fixed.yaml")
    assert loaded.scenario is not None and loaded.warnings == []
    assert loaded.scenario.states["opening"].narration == "Ana is #1 here."


@pytest.mark.parametrize("path", TEST_ERRORS, ids=lambda p: p.stem)
def test_a_mistake_in_tests_keeps_the_tests_from_running_not_the_trainee_from_playing(path: Path):
    line, col, _, words = _expected(path)
    found = load_file(path)
    assert found.scenario is not None, "the scenario plays"
    assert [(d.line, d.col) for d in found.test_errors] == [(line, col)]
    assert words in found.test_errors[0].message
    # validate reports it as an error (so --strict and CI catch it) ...
    assert any(d.severity == "error" and (d.line, d.col) == (line, col) for d in check_file(path))
    # ... and 'groupsim test' counts it as a failure, saying why.
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "test", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "tests: section has mistakes" in done.stdout and words in done.stdout
