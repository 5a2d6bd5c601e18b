"""Running the checks a scenario carries in its `tests:` section.

A path test plays its `choose` list with `seed` through the engine's own `Session`
and compares what happened with `expect`; a reachability claim asks the exact
exploration in `analysis`. `groupsim test` and the pytest plugin both run tests
through `run_test` and show failures with `describe`, so they always agree.
Pure: no yaml, no pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.authoring.analysis import DEFAULT_BUDGET, Reachability, path_to, reachability
from simulator.engine.model import Scenario, ScenarioTest
from simulator.engine.session import Session, SessionError


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one scenario test. `problems` says, one line each, what was
    expected and what happened; `route` is the states a path test went through."""

    test: ScenarioTest
    index: int
    """The test's position in the `tests:` list, from 1."""
    problems: tuple[str, ...] = ()
    route: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class Shared:
    """What the tests of one scenario share: the exploration, made once and only if
    a reachability claim needs it."""

    scenario: Scenario
    budget: int = DEFAULT_BUDGET
    _reach: Reachability | None = field(default=None, repr=False)

    def reach(self) -> Reachability:
        if self._reach is None:
            self._reach = reachability(self.scenario, self.budget)
        return self._reach


def run_all(s: Scenario, budget: int = DEFAULT_BUDGET) -> list[Result]:
    """Every test of `s`, in file order."""
    shared = Shared(s, budget)
    return [run_test(s, t, i, shared) for i, t in enumerate(s.tests, 1)]


def run_test(s: Scenario, t: ScenarioTest, index: int = 1, shared: Shared | None = None) -> Result:
    """Run one test of `s`."""
    shared = shared or Shared(s)
    problems: list[str] = []
    route: tuple[str, ...] = ()
    if t.choose is not None:
        route = _play(s, t, problems)
    if t.reachable or t.unreachable:
        _reachability(s, t, shared, problems)
    return Result(t, index, tuple(problems), route)


def _play(s: Scenario, t: ScenarioTest, problems: list[str]) -> tuple[str, ...]:
    sess = Session(s, t.seed)
    route = list(sess.opening)
    assert t.choose is not None
    for i, pick in enumerate(t.choose, 1):
        if sess.finished:
            problems.append(
                f"path: the scenario ended at '{sess.state.id}' after decision {i - 1}, "
                f"but the path goes on with {len(t.choose) - i + 1} more ({_rest(t.choose, i)})"
            )
            return tuple(route)
        here = sess.state
        try:
            step = sess.timeout() if pick == "timeout" else sess.choose(int(pick))
        except SessionError as exc:
            on_offer = [str(c.number) for c in sess.choices()] + (["timeout"] if here.on_timeout is not None else [])
            listed = (
                ""
                if "choose one of" in str(exc) and here.on_timeout is None
                else f"; on offer there: {', '.join(on_offer) or 'nothing'}"
            )
            problems.append(f"path: decision {i} ({pick}) at '{here.id}': {exc}{listed}")
            return tuple(route)
        route += step.route

    e = t.ending
    if e == "none":
        if sess.finished:
            problems.append(f"ending: expected none (the path should stop before an ending), got '{sess.state.id}'")
    elif not sess.finished:
        numbers = ", ".join(str(c.number) for c in sess.choices()) or "nothing"
        problems.append(
            f"ending: expected {_q(e) if e else 'an ending'}, but the path stops at decision '{sess.state.id}' "
            f"after {sess.turn} decision(s) (on offer there: {numbers}); add choices, or expect 'ending: none'"
        )
    elif e is not None and sess.state.id != e:
        problems.append(f"ending: expected '{e}', got '{sess.state.id}' ({sess.state.ending.outcome})")  # type: ignore[union-attr]
    if t.outcome is not None:
        outcome = sess.ending.outcome if sess.ending is not None else "no ending"
        if outcome != t.outcome:
            problems.append(
                f"outcome: expected {t.outcome}, got {outcome}"
                + (f" (ending '{sess.state.id}')" if sess.ending else "")
            )
    values = sess.values
    for x in t.values:
        if not x.holds(values[x.name]):
            kind = "member" if x.name in s.members else "meter"
            problems.append(f"{kind} {x.name}: expected {x.describe()}, got {values[x.name]}")
    for x in t.flags:
        has = x.name in sess.flags
        if not x.holds(has):
            problems.append(f"flag {x.name}: expected {str(x.value).lower()}, got {str(has).lower()}")
    visited = sess.visited
    for sid in t.visited:
        if sid not in visited:
            problems.append(f"visited: expected '{sid}' to be visited; it was not")
    for sid in t.not_visited:
        if sid in visited:
            problems.append(f"not_visited: expected '{sid}' not to be visited; it was")
    return tuple(route)


def _reachability(s: Scenario, t: ScenarioTest, shared: Shared, problems: list[str]) -> None:
    found = shared.reach()
    for sid in t.reachable:
        if sid in found.states:
            continue
        if found.complete:
            problems.append(
                f"reachable: expected '{sid}' to be reachable; no path reaches it, conditions taken into account"
            )
        else:
            problems.append(f"reachable: '{sid}' was not reached within {shared.budget:,} configurations; undecided")
    for sid in t.unreachable:
        if sid in found.states:
            w = path_to(s, sid, shared.budget)
            how = ""
            if w is not None:
                how = f": --choose {w.choose}" if w.moves else ": it is entered at the start"
                if w.chance and w.seed is not None and w.moves:
                    how += f" --seed {w.seed}"
            problems.append(f"unreachable: expected '{sid}' to be unreachable; it can be reached{how}")
        elif not found.complete:
            problems.append(
                f"unreachable: cannot prove '{sid}' unreachable: more than {shared.budget:,} configurations to explore"
            )


def _q(sid: str) -> str:
    return f"'{sid}'"


def _rest(choose: tuple[int | str, ...], i: int) -> str:
    return ",".join(str(c) for c in choose[i - 1 :])


def kind(t: ScenarioTest) -> str:
    """A short description of what a test checks, for listings."""
    parts = []
    if t.choose is not None:
        parts.append("path " + (",".join(str(c) for c in t.choose) or "(none)") + (f" seed {t.seed}" if t.seed else ""))
    if t.reachable:
        parts.append("reachable")
    if t.unreachable:
        parts.append("unreachable")
    return ", ".join(parts)


def describe(r: Result) -> list[str]:
    """What a failing test expected and what happened, one line each."""
    lines = list(r.problems)
    if r.test.choose is not None and r.route:
        lines.append("route: " + " → ".join(r.route))
    return lines
