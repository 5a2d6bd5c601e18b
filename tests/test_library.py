"""The shipped library held to the content standard (issue 4), scenario by scenario.

Paths are explored exhaustively: every choice on offer, both sides of every chance
branch, memoised on the whole configuration (state, values, flags, what conditions see).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.authoring.analysis import reachability, score_expression
from simulator.authoring.loader import load
from simulator.authoring.validate import check_file
from simulator.engine.model import Choice, Scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
SENSITIVE = {"suicidal-disclosure": "suicid", "intoxicated-member": "intoxica"}


@dataclass(frozen=True)
class Arrival:
    ending: str
    outcome: str
    trust_cohesion: int
    harmful: bool
    decisions: int


class _Ctx:
    def __init__(self, values, flags, visited, chosen, turn):
        self.values, self.flags, self.visited, self.chosen, self.turn = values, flags, visited, chosen, turn


def explore(s: Scenario, policy) -> set[Arrival]:
    """Every ending reachable when `policy(offered)` picks the choices to follow."""
    names = list(s.initial_values())
    out: set[Arrival] = set()
    seen: set = set()

    expr = score_expression(s)  # trust + cohesion, or every meter where those are not kept

    def score(values) -> int:
        return expr.value(_Ctx(dict(zip(names, values)), frozenset(), frozenset(), frozenset(), 0))

    def enter(sid, values, flags, visited, chosen, turn, harmful, timed_out_ok=True):
        visited = visited | {sid}
        st = s.states[sid]
        if st.ending is not None:
            out.add(Arrival(sid, st.ending.outcome, score(values), harmful, turn))
            return
        ctx = _Ctx(dict(zip(names, values)), flags, visited, chosen, turn)
        if st.next:
            for b in st.next:
                if b.when is not None:
                    if b.when.holds(ctx):
                        return enter(b.goto, values, flags, visited, chosen, turn, harmful)
                elif b.chance is not None:
                    enter(b.goto, values, flags, visited, chosen, turn, harmful)
                else:
                    return enter(b.goto, values, flags, visited, chosen, turn, harmful)
            return
        key = (sid, values, flags, visited, chosen, turn, harmful)
        if key in seen or turn > 40:
            return
        seen.add(key)
        offered = [c for c in st.choices if c.when is None or c.when.holds(ctx)]
        for c in policy(offered):
            new = list(values)
            for e in c.effects:
                i = names.index(e.target)
                new[i] = e.apply(new[i], *s.bounds(e.target))
            nflags = (flags | frozenset(c.set)) - frozenset(c.unset)
            enter(
                c.goto,
                tuple(new),
                nflags,
                visited,
                chosen | {(sid, c.number)},
                turn + 1,
                harmful or c.rating == "harmful",
            )

    init = s.initial_values()
    enter(s.start, tuple(init[n] for n in names), frozenset(), frozenset(), frozenset(), 0, False)
    return out


def first_recommended(offered: list[Choice]) -> list[Choice]:
    rec = [c for c in offered if c.rating == "recommended"]
    return rec[:1]


def every(offered: list[Choice]) -> list[Choice]:
    return offered


_REACHED: dict[str, object] = {}


def reached(s: Scenario):  # type: ignore[no-untyped-def]
    """`reachability(s)`, worked out once per scenario for the tests below that read it."""
    if s.digest not in _REACHED:
        _REACHED[s.digest] = reachability(s)
    return _REACHED[s.digest]


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.name)
def scenario(request) -> Scenario:
    return load(request.param)


def test_the_library_has_the_founding_scenario_and_nine_more():
    ids = {p.stem for p in SHIPPED}
    assert "confidentiality-breach" in ids and len(ids) >= 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_validates_clean_under_strict(path):
    assert [str(d) for d in check_file(path)] == []


def test_every_state_and_ending_is_reachable(scenario):
    found = reached(scenario)
    assert found.complete
    assert set(scenario.states) - found.states == set()


def test_all_recommended_path_reaches_a_strong_ending_after_four_decisions(scenario):
    arrivals = explore(scenario, first_recommended)
    assert arrivals, "the all-recommended path never ends"
    for a in arrivals:
        assert a.outcome == "strong", a
        assert a.decisions >= 4, a


def best_after_harm(s: Scenario) -> int | None:
    """The highest score (trust + cohesion, as `groupsim analyze` scores) that any path
    taking a harmful choice ends with (None if none does). Walks the configurations
    analysis walks, projected on what conditions and the score can see, each once with
    and once without a harm behind it: every path, without listing paths one by one."""
    from simulator.authoring.analysis import _observed, _Space

    score = score_expression(s)
    space = _Space(s, _observed(s, score))
    best: int | None = None
    seen: set = set()
    stack = [(o[3], False) for o in space.start()]
    while stack:
        key, harmed = stack.pop()
        if (key, harmed) in seen:
            continue
        seen.add((key, harmed))
        if s.states[key.state].ending is not None:
            if harmed:
                value = score.value(space.ctx(key))
                best = value if best is None else max(best, value)
            continue
        _, moves = space.moves(key)
        for _, choice, outcomes in moves:
            now = harmed or (choice is not None and choice.rating == "harmful")
            stack += [(o[3], now) for o in outcomes]
    return best


def test_no_harmful_path_ends_better_than_the_recommended_one(scenario):
    recommended = min(a.trust_cohesion for a in explore(scenario, first_recommended))
    best = best_after_harm(scenario)
    assert best is not None, "no path takes a harmful choice"
    assert best <= recommended, f"a path with a harmful choice ends with a score of {best}, above {recommended}"


def test_endings_run_from_strong_to_poor(scenario):
    outcomes = {st.ending.outcome for st in scenario.states.values() if st.ending}
    assert outcomes >= {"strong", "mixed", "poor"}
    for st in scenario.states.values():
        if st.ending:
            assert len(st.ending.debrief) > 80, f"ending '{st.id}' needs a debrief that names what made the difference"


def test_every_decision_offers_three_choices_with_a_model_and_a_mistake(scenario):
    for st in scenario.states.values():
        if not st.choices:
            continue
        ratings = [c.rating for c in st.choices]
        assert len(st.choices) >= 3, st.id
        assert "recommended" in ratings, st.id
        assert {"risky", "harmful"} & set(ratings), f"{st.id} offers no tempting mistake"
        for c in st.choices:
            assert len(c.feedback) > 60, f"{st.id} choice {c.number}: feedback should say why"
            assert c.competencies, f"{st.id} choice {c.number}: tag the CSWE EPAS competencies"


def test_a_recommended_choice_is_on_offer_whenever_a_decision_is_reached(scenario):
    found = reached(scenario)
    for st in scenario.states.values():
        if st.choices and st.id in found.states:
            rec = {c.number for c in st.choices if c.rating == "recommended"}
            assert rec & {n for s, n in found.offered if s == st.id}, st.id
            # a recommended choice that can be hidden must not leave the decision without one
            always = [c for c in st.choices if c.rating == "recommended" and c.when is None]
            assert always or len(rec) > 1, f"{st.id}: every recommended choice is conditional"


def test_members_are_a_real_group_whose_trust_moves_on_its_own(scenario):
    assert len(scenario.members) >= 5
    diverging = [
        c
        for st in scenario.states.values()
        for c in st.choices
        if any(e.target in scenario.members for e in c.effects)
        and {e.target for e in c.effects if e.target in scenario.members}
        and any(
            (e.target in scenario.members)
            and (e.amount > 0) != any(g.amount > 0 for g in c.effects if g.target == "trust")
            for e in c.effects
        )
    ]
    assert diverging, "no choice moves a member's trust against the group's"


def test_the_standards_are_cited_and_the_setting_is_described(scenario):
    assert scenario.references and scenario.objectives and scenario.reflection
    cited = {r for st in scenario.states.values() for c in st.choices for r in c.refs}
    assert cited, "no choice cites a standard"
    assert set(scenario.references) <= cited | set(), "a reference is listed but never cited"
    needle = SENSITIVE.get(scenario.id)
    if needle:
        assert any(needle in n.lower() for n in scenario.content_notes), "sensitive material needs content notes"


def test_scenario_text_stays_readable_in_a_terminal(scenario):
    for st in scenario.states.values():
        assert len(st.narration) < 900, f"{st.id}: narration is long for a terminal"
        for ln in st.lines:
            assert len(ln.text) < 400, f"{st.id}: a line of {ln.speaker} is long"


# -- judgement, not a pattern (issue 12) ------------------------------------------------------


def test_no_blind_strategy_reaches_a_strong_ending(scenario):
    from simulator.authoring.audit import audit

    found = audit(scenario, strategies=("first", "longest", "shortest"))
    for r in found.strategies:
        assert r.strong == 0, f"always the {r.strategy} ends strong with probability {float(r.strong):.2f}"


def test_pressing_the_first_option_on_screen_rarely_ends_strong(scenario):
    # What a trainee sees: each run shows a decision's options in its own order.
    from simulator.engine import Session
    from simulator.play.order import shown_order

    strong = 0
    for seed in range(20):
        session = Session(scenario, seed)
        while not session.finished:
            offered = session.choices()
            assert offered, f"stuck at {session.state.id}"
            session.choose(shown_order(seed, session.state, offered)[0].number)
        strong += session.ending.outcome == "strong"
    assert strong <= 2, f"{strong} of 20 runs that always press the first option end strong"


def test_across_the_library_the_recommended_choice_is_seldom_the_longest():
    from simulator.authoring.audit import cueing

    total = None
    for path in SHIPPED:
        c = cueing(load(path))
        total = c if total is None else total + c
    assert total is not None and total.decisions >= 100
    assert total.longest / total.decisions <= 0.40, f"longest at {total.longest} of {total.decisions} decisions"
