"""Scenario tests (`tests:` in a scenario): the runner, `groupsim test`, and the pytest
plugin that lets `pytest scenarios/` collect the same tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.authoring.loader import load, load_text
from simulator.authoring.scenario_tests import Shared, describe, run_all, run_test
from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "fixtures" / "valid"
TINY = VALID / "tiny.yaml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")

# Appended to tiny.yaml, whose own two tests pass. Each of these checks one way a
# test can fail (or, where marked, pass).
EXTRA_TESTS = """
  - name: wrong ending
    choose: [1, 1]
    expect: {ending: poor-end, outcome: poor}
  - name: wrong values
    choose: [1, 1]
    expect: {meters: {trust: ">= 99", cohesion: 80}, members: {bo: "< 10"}, flags: {named: false}}
  - name: visits
    choose: [1, 1]
    expect: {visited: [silence], not_visited: [route]}
  - name: not on offer
    choose: [1, 9]
  - name: too long
    choose: [1, 1, 1]
  - name: stops early
    choose: [1]
  - name: stops early on purpose
    choose: [1]
    expect: {ending: none}
  - name: ends though it should not
    choose: [1, 1]
    expect: {ending: none}
  - name: timeout where there is no time limit
    choose: [1, timeout]
  - name: a time-out where there is one
    choose: [timeout, 3]
    expect: {visited: [silence]}
  - name: a seed that rolls the lucky branch
    choose: [1, 1, 3]
    seed: 4
    expect: {ending: mixed-end, visited: [lucky]}
  - name: lucky is not unreachable
    unreachable: [lucky]
  - name: the island
    reachable: [island]
  - name: the island is unreachable
    unreachable: [island]
"""
ISLAND = """
  island:
    ending: {outcome: mixed, title: Nobody comes here}
"""


@pytest.fixture(scope="module")
def extended_text() -> str:
    text = TINY.read_text(encoding="utf-8")
    text = text.replace("\ntests:\n", ISLAND + "tests:\n")
    return text + EXTRA_TESTS


@pytest.fixture(scope="module")
def results(extended_text):
    s, errors = load_text(extended_text, "extended.yaml")
    assert s is not None, errors
    return {r.test.name: r for r in run_all(s)}


def problems(results, name):
    return list(results[name].problems)


def test_the_passing_ones_pass(results):
    for name in (
        "recommended path",
        "reachable: good-end, poor-end, mixed-end, lucky",
        "stops early on purpose",
        "a time-out where there is one",
        "a seed that rolls the lucky branch",
        "the island is unreachable",
    ):
        assert results[name].passed, (name, results[name].problems)


def test_wrong_ending_says_expected_and_got(results):
    assert problems(results, "wrong ending") == [
        "ending: expected 'poor-end', got 'good-end' (strong)",
        "outcome: expected poor, got strong (ending 'good-end')",
    ]
    assert describe(results["wrong ending"])[-1] == "route: opening → middle → route → good-end"


def test_wrong_values(results):
    assert problems(results, "wrong values") == [
        "meter trust: expected >= 99, got 60",
        "member bo: expected < 10, got 35",
        "flag named: expected false, got true",
    ]


def test_visits(results):
    assert problems(results, "visits") == [
        "visited: expected 'silence' to be visited; it was not",
        "not_visited: expected 'route' not to be visited; it was",
    ]


def test_path_problems(results):
    assert problems(results, "not on offer") == [
        "path: decision 2 (9) at 'middle': choice 9 is not on offer at 'middle'; choose one of 1, 2, 3"
    ]
    assert problems(results, "too long") == [
        "path: the scenario ended at 'good-end' after decision 2, but the path goes on with 1 more (1)"
    ]
    assert problems(results, "stops early")[0].startswith(
        "ending: expected an ending, but the path stops at decision 'middle' after 1 decision(s) (on offer there: 1, 2, 3)"
    )
    assert problems(results, "ends though it should not") == [
        "ending: expected none (the path should stop before an ending), got 'good-end'"
    ]
    assert problems(results, "timeout where there is no time limit") == [
        "path: decision 2 (timeout) at 'middle': state 'middle' has no time limit, so it cannot time out; on offer there: 1, 2, 3"
    ]


def test_reachability_claims(results):
    [lucky] = problems(results, "lucky is not unreachable")
    assert lucky.startswith("unreachable: expected 'lucky' to be unreachable; it can be reached: --choose 1,1 --seed ")
    assert problems(results, "the island") == [
        "reachable: expected 'island' to be reachable; no path reaches it, conditions taken into account"
    ]


def test_the_witness_in_a_failed_unreachable_claim_replays(results):
    from simulator.engine import Session

    s = load(TINY)
    seed = int(problems(results, "lucky is not unreachable")[0].rsplit(" ", 1)[1])
    sess = Session(s, seed)
    sess.choose(1)
    sess.choose(1)
    assert sess.state.id == "lucky"


def test_a_claim_the_budget_cannot_settle_fails_as_undecided():
    s = load(TINY)
    t = next(t for t in s.tests if t.reachable)
    from dataclasses import replace

    claim = replace(t, reachable=(), unreachable=("poor-end",))
    r = run_test(s, claim, 1, Shared(s, budget=1))
    # with a budget of one configuration the exploration cannot rule anything out
    assert not r.passed and (
        "cannot prove 'poor-end' unreachable" in r.problems[0] or "it can be reached" in r.problems[0]
    )


def test_reachability_is_explored_once_per_scenario(monkeypatch):
    import simulator.authoring.scenario_tests as runner

    calls = []
    real = runner.reachability
    monkeypatch.setattr(runner, "reachability", lambda s, budget: calls.append(1) or real(s, budget))
    s = load(TINY)
    shared = Shared(s)
    for i, t in enumerate(s.tests + s.tests, 1):
        run_test(s, t, i, shared)
    assert calls == [1]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_scenarios_own_tests_pass(path):
    s = load(path)
    failed = [(r.test.name, r.problems) for r in run_all(s) if not r.passed]
    assert not failed


# -- groupsim test -----------------------------------------------------------------------


def test_command_reports_like_a_test_runner(tmp_path, extended_text, capsys):
    f = tmp_path / "extended.yaml"
    f.write_text(extended_text, encoding="utf-8")
    assert main(["test", str(f), str(TINY)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "8 passed, 10 failed"
    assert SUMMARY.match(lines[-1])
    line_of = {
        name: n
        for n, text in enumerate(extended_text.splitlines(), 1)
        for name in [text.partition("- name: ")[2]]
        if name
    }
    assert f"PASS  {f}:{line_of['recommended path']}  recommended path" in lines
    i = lines.index(f"FAIL  {f}:{line_of['wrong ending']}  wrong ending")
    assert lines[i + 1 : i + 4] == [
        "      ending: expected 'poor-end', got 'good-end' (strong)",
        "      outcome: expected poor, got strong (ending 'good-end')",
        "      route: opening → middle → route → good-end",
    ]
    assert f"PASS  {TINY}:112  recommended path" in lines


def test_command_all_pass_exits_0(capsys):
    assert main(["test", str(TINY)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 passed, 0 failed"


def test_command_on_the_shipped_folder(capsys):
    code = main(["test", str(ROOT / "scenarios")])
    lines = capsys.readouterr().out.splitlines()
    passed, failed = map(int, SUMMARY.match(lines[-1]).groups())
    assert passed == sum(len(load(p).tests) for p in SHIPPED) and failed == 0 and code == 0


def test_command_counts_files_that_do_not_load_and_paths_that_do_not_exist(capsys):
    bad = ROOT / "tests" / "fixtures" / "invalid" / "goto-unknown.yaml"
    assert main(["test", str(bad), "nowhere.yaml", str(TINY)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"FAIL  {bad}  (the scenario does not load)"
    assert out[1].startswith(f"      {bad}:35:15: error: unknown state 'rout'")
    assert "FAIL  nowhere.yaml  (no such file or folder)" in out
    assert out[-1] == "2 passed, 2 failed"


def test_command_with_nothing_to_run(tmp_path, capsys):
    assert main(["test", str(tmp_path)]) == 2
    assert "no scenario files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["test"])
    assert info.value.code == 2


def test_command_json(capsys):
    assert main(["test", str(TINY), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["passed"], data["failed"]) == (2, 0)
    assert data["tests"][0]["name"] == "recommended path" and data["tests"][0]["line"] == 112
    assert data["tests"][0]["route"] == ["opening", "middle", "route", "good-end"]


# -- the pytest plugin ---------------------------------------------------------------------


def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_pytest_collects_one_item_per_scenario_test_in_scenarios():
    out = _pytest("--collect-only", "-q", "scenarios")
    assert out.returncode == 0, out.stdout + out.stderr
    counts = dict(re.findall(r"^scenarios/(\S+\.yaml): (\d+)$", out.stdout, re.M))
    assert {k: int(v) for k, v in counts.items()} == {p.name: len(load(p).tests) for p in SHIPPED if load(p).tests}


def test_pytest_reports_scenario_failures_readably(tmp_path, extended_text):
    (tmp_path / "conftest.py").write_text((ROOT / "scenarios" / "conftest.py").read_text(encoding="utf-8"))
    (tmp_path / "extended.yaml").write_text(extended_text, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("format: 1\nid: Broken Id\n", encoding="utf-8")
    out = _pytest("-q", "-o", "addopts=", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 1
    text = out.stdout
    assert "11 failed, 6 passed" in text  # 10 failing tests and the file that does not load
    assert "scenario test failed: wrong ending" in text
    assert "  ending: expected 'poor-end', got 'good-end' (strong)" in text
    assert "the scenario does not load:" in text
    assert "FAILED extended.yaml::wrong ending" in text
    assert "Traceback" not in text


def test_the_projects_own_run_collects_no_yaml():
    # tests/fixtures holds YAML too; without the scenarios/ conftest nothing collects it
    out = _pytest("--collect-only", "-q", "tests/fixtures/valid")
    assert out.returncode == 5, out.stdout  # pytest: no tests collected
