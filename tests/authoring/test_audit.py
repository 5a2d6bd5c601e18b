"""`groupsim audit` and the length warning of `groupsim validate`: strategy outcomes
against answers worked out by hand on small fixtures (see the comment at the top of
each), picking at random against `analyze` where no timer makes them differ, the
cueing counts, the fall-back to random playthroughs, the text and JSON output, and
the exit status."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest

from simulator.authoring.analysis import analyze
from simulator.authoring.audit import RESULTS, Cueing, audit, cueing, length, summarise
from simulator.authoring.loader import load
from simulator.authoring.validate import check_file
from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "tests" / "fixtures" / "audit"
VALID = ROOT / "tests" / "fixtures" / "valid"
CHANCE = AUDIT / "chance.yaml"
CONDITIONS = AUDIT / "conditions.yaml"
TIES = AUDIT / "ties.yaml"
LOOP = AUDIT / "loop.yaml"
STANDOUT = AUDIT / "standout.yaml"
F = Fraction


def outcomes(**given: Fraction | int) -> dict[str, Fraction]:
    """Every result, those not given at 0."""
    return {r: F(given.get(r, 0)) for r in RESULTS}


# -- strategies, worked out by hand ------------------------------------------------------


@pytest.mark.parametrize(
    "path, strategy, expected",
    [
        # a 30% chance, then a 50% chance on the way that is left
        (CHANCE, "longest", outcomes(strong=F(13, 20), mixed=F(7, 20))),
        (CHANCE, "shortest", outcomes(poor=1)),
        (CHANCE, "first", outcomes(mixed=1)),
        # a third for each choice at the timed decision: the timer is never let run out
        (CHANCE, "random", outcomes(strong=F(1, 4), mixed=F(4, 15), poor=F(29, 60))),
        # the longest choice of 'middle' is on offer only after the long opening
        (CONDITIONS, "longest", outcomes(strong=1)),
        (CONDITIONS, "shortest", outcomes(mixed=1)),
        # choice 1 of 'middle' is hidden, so the first on offer is choice 2
        (CONDITIONS, "first", outcomes(poor=1)),
        (CONDITIONS, "random", outcomes(strong=F(1, 6), mixed=F(5, 12), poor=F(5, 12))),
        # 1 and 2 are equally long: the first authored is taken
        (TIES, "longest", outcomes(mixed=1)),
        # 3 and 4 are equally short: 3 leads where nothing is on offer and no timer runs
        (TIES, "shortest", outcomes(stuck=1)),
        (TIES, "first", outcomes(mixed=1)),
        # 4 leads where nothing is on offer but a timer, which runs out to the poor ending
        (TIES, "random", outcomes(strong=F(1, 4), mixed=F(1, 4), poor=F(1, 4), stuck=F(1, 4))),
    ],
)
def test_strategy_outcomes_match_hand_computation(path, strategy, expected):
    r = audit(load(path), strategies=[strategy]).result(strategy)
    assert (r.mode, r.reason, r.playthroughs) == ("exact", "", 0)
    assert r.outcomes == expected


def test_picking_at_random_is_analyze_where_no_timer_differs():
    # Where no decision has a timer, analyze's random trainee and the audit's random
    # strategy are the same player: their outcomes must agree exactly.
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(VALID.glob("*.yaml")) + [CONDITIONS, TIES]
    untimed = [s for s in map(load, files) if not any(st.time_limit for st in s.states.values())]
    compared = 0
    for s in untimed:
        a = analyze(s)
        if a.mode != "exact":  # analyze estimates a scenario that loops
            continue
        compared += 1
        by_outcome: dict[str, Fraction] = defaultdict(Fraction)
        for e in a.endings:
            by_outcome[e.outcome] += e.probability
        by_outcome["stuck"] = a.stuck
        got = audit(s, strategies=["random"]).result("random").outcomes
        assert {k: got[k] for k in ("strong", "mixed", "poor", "stuck")} == {
            k: by_outcome[k] for k in ("strong", "mixed", "poor", "stuck")
        }, s.id
    assert compared >= 3  # at least the two audit fixtures and analysis-pairs (which gets stuck)


def test_a_timer_changes_analyze_but_not_the_strategies():
    # analyze counts letting the time run out as one more option; a strategy never does.
    a = analyze(load(CHANCE))
    poor = sum((e.probability for e in a.endings if e.outcome == "poor"), Fraction(0))
    assert poor != F(29, 60)
    assert audit(load(CHANCE), strategies=["random"]).result("random").outcomes["poor"] == F(29, 60)


# -- the fall-back to random playthroughs -------------------------------------------------


def test_a_loop_is_estimated_from_random_playthroughs():
    a = audit(load(LOOP))
    longest, shortest, first, rand = (a.result(k) for k in ("longest", "shortest", "first", "random"))
    # Only the strategies whose way goes round are estimated.
    assert (longest.mode, longest.outcomes) == ("exact", outcomes(strong=1))
    assert (shortest.mode, shortest.outcomes) == ("exact", outcomes(poor=1))
    assert first.mode == rand.mode == "random"
    assert first.reason == "it can go round in a circle (opening → opening)"
    assert (first.playthroughs, first.seed) == (10_000, 0)
    # Always the first comes back to the same decision with nothing changed: it never ends.
    assert first.outcomes == outcomes(unfinished=1)
    # At random: a third again, a third strong, a third poor, so half strong and half poor.
    assert abs(rand.outcomes["strong"] - F(1, 2)) < 0.02
    assert abs(rand.outcomes["poor"] - F(1, 2)) < 0.02
    assert rand.outcomes["strong"] + rand.outcomes["poor"] == 1


def test_a_scenario_over_the_budget_is_estimated_and_close_to_exact():
    exact = audit(load(CHANCE))
    sampled = audit(load(CHANCE), budget=1)
    for e, s in zip(exact.strategies, sampled.strategies):
        assert s.mode == "random" and s.reason == "it meets more than 1 configurations"
        for k in RESULTS:
            assert abs(s.outcomes[k] - e.outcomes[k]) < 0.02, (s.strategy, k)


def test_estimates_repeat_with_the_same_seed_and_move_with_another():
    s = load(LOOP)
    assert audit(s, seed=3).result("random").outcomes == audit(s, seed=3).result("random").outcomes
    assert audit(s, seed=3).result("random").outcomes != audit(s, seed=4).result("random").outcomes


# -- cueing by length -------------------------------------------------------------------


def test_length_counts_characters_with_whitespace_folded():
    assert length("Ask   Ben\n first.") == length("Ask Ben first.") == 14
    assert length("  Nod.  ") == 4


@pytest.mark.parametrize(
    "path, expected",
    [
        (CHANCE, Cueing(decisions=2, longest=2)),
        # a tie with a choice not recommended is counted apart, not as the longest;
        # decisions whose only choice is recommended have nothing to compare with
        (TIES, Cueing(decisions=1, tied_longest=1)),
        # 20 against 16, 21 against 16, and two recommended (35 and 4) against 23
        (STANDOUT, Cueing(decisions=3, longest=3, shortest=1)),
    ],
)
def test_cueing_counts(path, expected):
    assert cueing(load(path)) == expected


def test_the_library_adds_up_the_scenarios():
    audits = [audit(load(p)) for p in (CHANCE, CONDITIONS, TIES)]
    lib = summarise(audits)
    assert lib.scenarios == 3
    assert lib.cueing == Cueing(decisions=5, longest=4, tied_longest=1)
    longest = next(s for s in lib.strategies if s.strategy == "longest")
    assert longest.exact and longest.strong_possible == 2  # chance and conditions
    assert longest.mean["strong"] == (F(13, 20) + 1 + 0) / 3
    assert sum(longest.mean.values()) == 1


# -- the validate warning ---------------------------------------------------------------


def test_validate_warns_at_a_recommended_choice_over_a_quarter_longer():
    got = check_file(STANDOUT)
    assert [(d.severity, d.line, d.col) for d in got] == [("warning", 25, 9), ("warning", 29, 9)]
    first, second = (d.message for d in got)
    assert first.startswith("choice 2 of 'long' is recommended and more than a quarter longer")
    assert "(21 characters against 16)" in first
    assert "(35 characters against 23)" in second
    for message in (first, second):
        assert "trainees learn to pick the longest answer" in message
        assert "Shorten it or give the other choices the same weight" in message
        assert "split them across decisions" in message


def test_validate_prints_the_warning_as_file_line_col(capsys):
    assert main(["validate", str(STANDOUT)]) == 0
    out = capsys.readouterr().out
    assert f"{STANDOUT}:25:9: warning: choice 2 of 'long' is recommended" in out
    assert main(["validate", "--strict", str(STANDOUT)]) == 1


# -- the command ------------------------------------------------------------------------


def test_audit_prints_a_table_per_scenario_and_a_summary(capsys):
    assert main(["audit", str(AUDIT)]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines()), [ln for ln in out.splitlines() if len(ln) > 80]
    assert "ties go to the first authored among equally long choices" in " ".join(out.split())
    block = out.split("audit-chance: Audit fixture with chance\n")[1].split("\n\n")[0].splitlines()
    assert block[0].strip() == "Recommended choice longest at 2 of 2 decisions (100%); shortest at 0 (0%)."
    assert block[1].split() == ["Strategy", "strong", "mixed", "poor", "stuck"]
    assert block[2].split() == ["always", "the", "longest", "65%", "35%", "0%", "0%"]
    assert block[5].split() == ["at", "random", "25%", "26.7%", "48.3%", "0%"]
    assert block[6].strip() == "! always the longest reaches a strong ending in 65% of playthroughs"
    assert len(block) == 7  # always the first ends mixed: no flag for it
    loop = out.split("audit-loop: Audit fixture with a loop\n")[1].split("\n\n")[0]
    assert loop.splitlines()[4].split() == ["always", "the", "first", "~0%", "~0%", "~0%", "~0%", "~100%"]
    assert "~ always the first: estimated from 10,000 random playthroughs (seed 0) because it can go round" in (
        " ".join(loop.split())
    )
    ties = out.split("audit-ties: Audit fixture with ties\n")[1].split("\n\n")[0]
    assert "Tied for the longest at 1; for the shortest at 0." in " ".join(ties.split())
    summary = out.split("Library: 5 scenarios, 9 decisions with a recommended choice to compare\n")[1].splitlines()
    assert summary[2].split() == ["Strategy", "strong", "in", "strong", "mixed", "poor", "stuck", "no", "end"]
    # strong: 13/20 (chance), 1 (conditions, loop, standout) and 0 (ties), a fifth each
    assert summary[3].split() == ["always", "the", "longest", "4", "of", "5", "73%", "27%", "0%", "0%", "0%"]
    # estimated in the loop fixture, so the mean is marked as an estimate
    assert summary[5].split()[:6] == ["always", "the", "first", "0", "of", "5"]
    assert summary[5].split()[6:] == ["~0%", "~60%", "~20%", "~0%", "~20%"]


def test_audit_json(capsys):
    assert main(["audit", str(CHANCE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"length", "ties", "scenarios", "library", "not_loaded"}
    assert data["not_loaded"] == []
    (sc,) = data["scenarios"]
    assert sc["scenario"] == "audit-chance" and sc["file"] == str(CHANCE)
    assert (sc["decisions"], sc["recommended_longest"], sc["recommended_tied_longest"]) == (2, 2, 0)
    assert (sc["recommended_shortest"], sc["recommended_tied_shortest"]) == (0, 0)
    assert list(sc["strategies"]) == ["longest", "shortest", "first", "random"]
    longest = sc["strategies"]["longest"]
    assert (longest["mode"], longest["reason"], longest["playthroughs"]) == ("exact", "", 0)
    assert list(longest["outcomes"]) == ["strong", "mixed", "poor", "stuck", "unfinished"]
    assert longest["outcomes"]["strong"] == {"probability": 0.65, "exact": "13/20"}
    assert sc["strategies"]["random"]["outcomes"]["mixed"] == {"probability": 4 / 15, "exact": "4/15"}
    lib = data["library"]
    assert (lib["scenarios"], lib["decisions"]) == (1, 2)
    assert lib["strategies"]["longest"] == {
        "strong_possible": 1,
        "exact": True,
        "mean": {
            "strong": {"probability": 0.65, "exact": "13/20"},
            "mixed": {"probability": 0.35, "exact": "7/20"},
            "poor": {"probability": 0.0, "exact": "0"},
            "stuck": {"probability": 0.0, "exact": "0"},
            "unfinished": {"probability": 0.0, "exact": "0"},
        },
    }


def test_audit_json_marks_estimates(capsys):
    assert main(["audit", str(LOOP), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["scenarios"][0]["strategies"]["first"]
    assert (first["mode"], first["playthroughs"], first["seed"]) == ("random", 10_000, 0)
    assert first["reason"].startswith("it can go round in a circle")
    assert first["outcomes"]["unfinished"] == {"probability": 1.0, "exact": None}


def test_a_file_that_does_not_load_exits_1_with_its_errors(tmp_path, capsys):
    shutil.copy(CHANCE, tmp_path / "good.yaml")
    (tmp_path / "broken.yaml").write_text("format: 1\nid: broken\n", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert f"{tmp_path / 'broken.yaml'}:1:1: error: " in err
    assert "1 file could not be audited" in err
    assert "audit-chance: Audit fixture with chance" in out  # the others are still audited
    assert main(["audit", str(tmp_path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [s["scenario"] for s in data["scenarios"]] == ["audit-chance"]
    (bad,) = data["not_loaded"]
    assert bad["file"] == str(tmp_path / "broken.yaml")
    assert bad["errors"] and all(e["severity"] == "error" for e in bad["errors"])


def test_usage_errors_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["audit", str(CHANCE), "--jsn"])
    assert info.value.code == 2
    assert main(["audit", str(tmp_path)]) == 2  # a folder without scenarios
    assert "no scenario files" in capsys.readouterr().err


def test_a_missing_file_exits_1(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.yaml")]) == 1
    assert "no such file, folder or scenario id" in capsys.readouterr().err
