"""Exact exploration of what a scenario can do, conditions taken into account.

Both `reachability` (run by `groupsim validate`) and `analyze` (`groupsim analyze`)
walk the same configuration space, built by `_Space`: a configuration is a state
plus only what some condition (or the analysis score) can observe — the meters,
members and flags conditions read, the states named in `visited(...)`, the choices
named in `chose(...)`, and `turn` when a condition reads it. Values nobody can
observe cannot change where a session goes, so leaving them out keeps the
exploration exact and small.

`analyze` adds probabilities (choices picked uniformly at random among those on
offer, a time-out counting as one more option at a timed decision, chance branches
weighted exactly, all as `Fraction`s), the range of every meter and member on
arrival at each ending (the unobserved ones carried along as sets of possible
values, which is exact because an effect on a value depends on that value alone),
best and worst paths by a score, and choices that are identical or dominated. When
the space is cyclic or larger than the budget it plays seeded random sessions
instead. Pure: standard library and the engine only.
"""

from __future__ import annotations

import gc
import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, NamedTuple

from simulator.engine.conditions import Expression, Kind, parse_number
from simulator.engine.model import Choice, Effect, Ending, Scenario, Variant
from simulator.engine.session import Session

DEFAULT_BUDGET = 200_000
DEFAULT_RUNS = 10_000
MAX_DECISIONS = 1_000
"""A random playthrough that has not ended after this many decisions is stopped."""
SEED_TRIES = 5_000
"""Seeds tried to find one that reproduces a path's chance outcomes with `groupsim run`."""
TIMEOUT = "timeout"

Option = int | str
"""A choice number, or `TIMEOUT`."""
Progress = Callable[[int, int], None]
"""Called now and then with (done, total) during long explorations."""
_make = tuple.__new__
"""`_make(SomeNamedTuple, (field, ...))` builds a NamedTuple in C, about twice as fast
as calling the class; used where one is made per configuration or edge. The fields
must be given in order: mypy does not check them here."""


@dataclass(slots=True)
class _Ctx:
    values: dict[str, int]
    flags: frozenset[str]
    visited: frozenset[str]
    chosen: frozenset[tuple[str, int]]
    turn: int


@dataclass(frozen=True, slots=True)
class Reachability:
    """What exploration found. When `complete` is False the budget ran out and
    `states`/`offered` are only what was seen before it did."""

    states: frozenset[str]
    offered: frozenset[tuple[str, int]]
    complete: bool
    configurations: int = 0
    shown: frozenset[tuple[str, str, int]] = frozenset()
    """(state, text, index) of every version of a text that some arrival shows: text is
    "title", "narration", "prompt", "ending title", "ending debrief", or "line" (index:
    the line's place in the state's lines, for a line with a condition)."""


@dataclass(slots=True)
class _Observed:
    numbers: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    visits: frozenset[str] = frozenset()
    choices: frozenset[tuple[str, int]] = frozenset()
    turn: bool = False
    names: set[str] = field(default_factory=set)


def _observed(s: Scenario, extra: Expression | None = None) -> _Observed:
    names: set[str] = set()
    visits: set[str] = set()
    choices: set[tuple[str, int]] = set()
    turn = False
    conds = [c.when for st in s.states.values() for c in st.choices if c.when is not None]
    conds += [b.when for st in s.states.values() for b in st.next if b.when is not None]
    conds += [v.when for _, _, v in _text_variants(s) if v.when is not None]
    conds += [ln.when for st in s.states.values() for ln in st.lines if ln.when is not None]
    for c in conds:
        names |= c.names
        visits |= c.visits
        choices |= c.choices
        turn = turn or c.uses_turn
    if extra is not None:
        names |= extra.names
        turn = turn or extra.uses_turn
    numbers = tuple(sorted(n for n in names if n in s.meters or n in s.members))
    flags = frozenset(n for n in names if n in s.flags)
    return _Observed(numbers, flags, frozenset(visits), frozenset(choices), turn, names)


class _Config(NamedTuple):
    """A configuration: a state plus everything there that some condition (or the
    score) can observe. A NamedTuple, as configurations are dict keys by the hundred
    thousand and hash as fast as plain tuples."""

    state: str
    values: tuple[int, ...]  # the observed meters and members, in `_Observed.numbers` order
    flags: frozenset[str]  # the observed flags that are set
    visited: frozenset[str]  # the states named in `visited(...)` that were entered
    chosen: frozenset[tuple[str, int]]  # the (state, choice) named in `chose(...)` that were taken
    turn: int  # 0 throughout when no condition reads it, so that turns do not split configurations


Outcome = tuple[int, int, tuple[str, ...], _Config]
"""(weight, chances, route, configuration): the route is taken with probability
weight / 100**chances. A plain tuple, unpacked at once wherever it is used: made for
every way every option can go, a named type would cost more than it tells."""


@dataclass(frozen=True, slots=True)
class _Move:
    """A choice, or a time-out's consequences, prepared for the projected configuration."""

    choice: Choice | None
    effects: tuple[tuple[int, Effect, int, int], ...]
    set: frozenset[str]
    unset: frozenset[str]
    observed: bool  # whether a `chose(...)` names it


class _Space:
    """The configuration space of a scenario, projected onto what can be observed."""

    def __init__(self, s: Scenario, obs: _Observed) -> None:
        self.s = s
        self.obs = obs
        self.numbers = obs.numbers
        index = {n: i for i, n in enumerate(obs.numbers)}
        self.moves_at: dict[str, tuple[_Move, ...]] = {}
        self.timeout_at: dict[str, _Move] = {}
        for sid, st in s.states.items():
            self.moves_at[sid] = tuple(
                _Move(
                    c,
                    tuple((index[e.target], e, *s.bounds(e.target)) for e in c.effects if e.target in index),
                    frozenset(c.set) & obs.flags,
                    frozenset(c.unset) & obs.flags,
                    (sid, c.number) in obs.choices,
                )
                for c in st.choices
            )
            t = st.timeout
            self.timeout_at[sid] = _Move(
                None,
                tuple((index[e.target], e, *s.bounds(e.target)) for e in t.effects if e.target in index),
                frozenset(t.set) & obs.flags,
                frozenset(t.unset) & obs.flags,
                False,
            )
        # The states entered as they are, with no routing on and no visit to record: most of them.
        self.plain = frozenset(sid for sid, st in s.states.items() if not st.next and sid not in obs.visits)

    def ctx(self, key: _Config) -> _Ctx:
        return _Ctx(dict(zip(self.numbers, key.values)), key.flags, key.visited, key.chosen, key.turn)

    def start(self) -> list[Outcome]:
        init = self.s.initial_values()
        values = tuple(init[n] for n in self.numbers)
        return self.enter(self.s.start, values, frozenset(), frozenset(), frozenset(), 0)

    def enter(
        self,
        target: str,
        values: tuple[int, ...],
        flags: frozenset[str],
        visited: frozenset[str],
        chosen: frozenset[tuple[str, int]],
        turn: int,
    ) -> list[Outcome]:
        """Enter `target` and follow routing, forking on chance; one outcome per way it can go."""
        if target in self.plain:
            return [(1, 0, (target,), _make(_Config, (target, values, flags, visited, chosen, turn)))]
        states = self.s.states
        visits = self.obs.visits
        out: list[Outcome] = []
        # Probabilities stay whole numbers over a power of 100, so no Fraction is made here.
        pending: list[tuple[str, frozenset[str], int, int, tuple[str, ...]]] = [(target, visited, 1, 0, ())]
        hops = 0
        while pending:
            sid, vis, prob, chances, route = pending.pop()
            hops += 1
            if hops > 10_000:  # routing loops are a load error; this is only a guard
                break
            route = route + (sid,)
            if sid in visits:
                vis = vis | {sid}
            state = states[sid]
            if not state.next:
                out.append((prob, chances, route, _make(_Config, (sid, values, flags, vis, chosen, turn))))
                continue
            ctx = _Ctx(dict(zip(self.numbers, values)), flags, vis, chosen, turn)
            for b in state.next:
                if b.when is not None:
                    if b.when.holds(ctx):
                        pending.append((b.goto, vis, prob, chances, route))
                        break
                elif b.chance is not None:
                    chances += 1
                    pending.append((b.goto, vis, prob * b.chance, chances, route))
                    prob *= 100 - b.chance  # not taken: fall through to the next branch
                else:
                    pending.append((b.goto, vis, prob, chances, route))
                    break
        return out

    def moves(self, key: _Config) -> tuple[list[Choice], list[tuple[Option, Choice | None, list[Outcome]]]]:
        """What is on offer in a decision configuration, and where each option leads."""
        sid, values, flags, vis, chosen, turn = key
        state = self.s.states[sid]
        nturn = turn + 1 if self.obs.turn else 0
        ctx = None
        offered: list[Choice] = []
        out: list[tuple[Option, Choice | None, list[Outcome]]] = []
        for m in self.moves_at[sid]:
            c = m.choice
            assert c is not None
            if c.when is not None:
                if ctx is None:
                    ctx = self.ctx(key)
                if not c.when.holds(ctx):
                    continue
            offered.append(c)
            new, nflags = self._changed(m, values, flags)
            nchosen = chosen | {(sid, c.number)} if m.observed else chosen
            out.append((c.number, c, self.enter(c.goto, new, nflags, vis, nchosen, nturn)))
        if state.on_timeout is not None:
            new, nflags = self._changed(self.timeout_at[sid], values, flags)
            out.append((TIMEOUT, None, self.enter(state.on_timeout, new, nflags, vis, chosen, nturn)))
        return offered, out

    @staticmethod
    def _changed(m: _Move, values: tuple[int, ...], flags: frozenset[str]) -> tuple[tuple[int, ...], frozenset[str]]:
        """The observed values and flags after move `m`."""
        new = values
        if m.effects:
            lst = list(values)
            for i, e, low, high in m.effects:
                lst[i] = e.apply(lst[i], low, high)
            new = tuple(lst)
        return new, (flags | m.set) - m.unset if (m.set or m.unset) else flags


def configuration_space(s: Scenario) -> _Space:
    """The configuration space the exact exploration walks, for explorations of other
    kinds (`audit`'s fixed strategies). `start()` gives the opening's outcomes and
    `moves(config)` what is on offer at a decision configuration (its `.state`) and
    where each option leads; an outcome (weight, chances, route, config) is taken with
    probability weight / 100**chances."""
    return _Space(s, _observed(s))


def _text_variants(s: Scenario) -> list[tuple[str, str, Variant]]:
    """Every version of every text that follows what happened, as (state, text, version)."""
    out = []
    for sid, st in s.states.items():
        for name, variants in st.variants.items():
            out += [(sid, name, v) for v in variants]
        if st.ending is not None:
            for name, variants in st.ending.variants.items():
                out += [(sid, f"ending {name}", v) for v in variants]
    return out


def _shown_on_arrival(s: Scenario, sid: str, ctx: _Ctx) -> set[tuple[str, str, int]]:
    """The versions of `sid`'s texts (and its conditional lines) that an arrival in `ctx` shows."""
    st = s.states[sid]
    out: set[tuple[str, str, int]] = set()
    groups = [(name, vs) for name, vs in st.variants.items()]
    if st.ending is not None:
        groups += [(f"ending {name}", vs) for name, vs in st.ending.variants.items()]
    for name, variants in groups:
        for i, v in enumerate(variants):
            if v.when is None or v.when.holds(ctx):
                out.add((sid, name, i))
                break
    for i, ln in enumerate(st.lines):
        if ln.when is not None and ln.when.holds(ctx):
            out.add((sid, "line", i))
    return out


def reachability(s: Scenario, budget: int = DEFAULT_BUDGET) -> Reachability:
    """Every state that some sequence of choices (and chance) reaches, every (state,
    choice number) that is ever on offer, and every version of a text ever shown."""
    space = _Space(s, _observed(s))
    reached: set[str] = set()
    offered: set[tuple[str, int]] = set()
    shown: set[tuple[str, str, int]] = set()
    seen: set[_Config] = set()
    stack: list[_Config] = []
    # Only states whose texts follow what happened need looking at on each arrival.
    varying = frozenset(
        sid
        for sid, st in s.states.items()
        if st.variants or (st.ending is not None and st.ending.variants) or any(ln.when for ln in st.lines)
    )

    def push(outcomes: list[Outcome]) -> None:
        for _, _, route, key in outcomes:
            reached.update(route)
            # A text is resolved on arrival, after the whole route (as the transcript does).
            for sid in varying.intersection(route):
                shown.update(_shown_on_arrival(s, sid, space.ctx(key)))
            if key not in seen:
                seen.add(key)
                stack.append(key)

    push(space.start())
    complete = True
    while stack:
        if len(seen) > budget:
            complete = False
            break
        key = stack.pop()
        if s.states[key.state].ending is not None:
            continue
        on_offer, moves = space.moves(key)
        offered.update((key.state, c.number) for c in on_offer)
        for _, _, outcomes in moves:
            push(outcomes)
    return Reachability(frozenset(reached), frozenset(offered), complete, len(seen), frozenset(shown))


@dataclass(frozen=True, slots=True)
class Witness:
    """A shortest way to a state: the options to take and, when chance decides part
    of the route, a session seed that rolls it (None if none of the seeds tried did)."""

    moves: tuple[int | str, ...]
    states: tuple[str, ...]
    chance: bool
    seed: int | None

    @property
    def choose(self) -> str:
        return ",".join(str(m) for m in self.moves)


def path_to(s: Scenario, target: str, budget: int = DEFAULT_BUDGET) -> Witness | None:
    """A path with the fewest decisions that enters `target`, or None if none is
    found within `budget` configurations."""
    space = _Space(s, _observed(s))
    parent: dict[_Config, tuple[_Config | None, int | str | None, tuple[str, ...], bool]] = {}
    frontier: list[_Config] = []

    def found(key: _Config | None, option: int | str | None, route: tuple[str, ...], rolled: bool) -> Witness:
        moves: list[int | str] = [] if option is None else [option]
        routes: list[tuple[str, ...]] = [route[: route.index(target) + 1]]  # stop where it enters
        chance = rolled
        while key is not None:
            key, option, route, rolled = parent[key]
            routes.append(route)
            chance = chance or rolled
            if option is not None:
                moves.append(option)
        moves.reverse()
        routes.reverse()
        seed = _find_seed(s, tuple(moves), routes) if chance else 0
        return Witness(tuple(moves), tuple(sid for r in routes for sid in r), chance, seed)

    for _, chances, route, key in space.start():
        if target in route:
            return found(None, None, route, chances > 0)
        if key not in parent:
            parent[key] = (None, None, route, chances > 0)
            frontier.append(key)
    while frontier and len(parent) <= budget:
        nxt: list[_Config] = []
        for key in frontier:
            if s.states[key.state].ending is not None:
                continue
            for option, _, outcomes in space.moves(key)[1]:
                for _, chances, route, child in outcomes:
                    if target in route:
                        return found(key, option, route, chances > 0)
                    if child not in parent:
                        parent[child] = (key, option, route, chances > 0)
                        nxt.append(child)
        frontier = nxt
    return None


# -- the analysis ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndingResult:
    """One ending: whether it can be reached, how likely it is, and where values stand on arrival.

    `ranges` holds (min, max) of every meter and member on arrival, meters first;
    it is empty when the ending was never reached. `arrivals` counts configurations
    (exact) or playthroughs (random) that ended here.
    """

    state: str
    outcome: str
    title: str
    reachable: bool
    probability: Fraction
    arrivals: int
    ranges: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Path:
    """A way through the scenario: the options taken, in order, and where it ended.

    `chance` says whether chance branches decided part of the route; `seed` is a
    session seed with which `groupsim run --choose ... --seed` takes exactly this
    route (None if none of the seeds tried did). `probability` is how likely a
    random player is to follow it (exact mode only).
    """

    score: int
    moves: tuple[Option, ...]
    ending: str
    states: tuple[str, ...]
    chance: bool
    seed: int | None
    probability: Fraction | None = None

    @property
    def choose(self) -> str:
        """The moves as `--choose` takes them: `1,3,timeout,2`."""
        return ",".join(str(m) for m in self.moves)


@dataclass(frozen=True, slots=True)
class ChoicePair:
    """Two choices at one decision: `identical` (same effects, flags and destination),
    or `dominated` (`choice` is dominated by `other`: `other` leaves every meter and
    member at least as high, some higher — those in `better` — with the same flags
    and destination). `inverted` marks a dominated choice rated better than the one
    that beats it, which is usually an authoring slip."""

    state: str
    kind: Literal["identical", "dominated"]
    choice: int
    other: int
    better: tuple[str, ...] = ()
    inverted: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything `groupsim analyze` reports. Probabilities are exact in `exact`
    mode and observed frequencies (playthroughs / runs) in `random` mode."""

    scenario: str
    mode: Literal["exact", "random"]
    reason: str
    """Why the analysis is random: '' if exact or asked for."""
    score: str
    configurations: int
    runs: int
    seed: int
    endings: tuple[EndingResult, ...]
    stuck: Fraction
    """Probability of reaching a decision with nothing on offer."""
    stuck_states: tuple[str, ...]
    unfinished: Fraction
    """Random mode: share of playthroughs stopped after MAX_DECISIONS decisions, or
    caught where no edge leads on to an ending."""
    best: Path | None
    worst: Path | None
    unreached_states: tuple[str, ...]
    unreached_choices: tuple[tuple[str, int], ...]
    reach_exact: bool
    """Whether reachability (endings, unreached states and choices) is exact."""
    pairs: tuple[ChoicePair, ...]


class AnalysisError(ValueError):
    """Bad input to the analysis, such as a score that does not parse; for a person."""


def score_expression(s: Scenario, source: str | None = None) -> Expression:
    """Parse a score over the scenario's meters and members.

    The default is the sum of the meters named `trust` and `cohesion` that exist,
    else the sum of every meter.

    Raises:
        ConditionError: the expression does not parse (message and offset).
    """
    names: dict[str, Kind] = dict.fromkeys(s.initial_values(), "number")
    names.update(dict.fromkeys(s.flags, "flag"))
    if source is None:
        parts: list[str] = [m for m in ("trust", "cohesion") if m in s.meters] or list(s.meters)
        source = " + ".join(parts)
    return parse_number(source, names)


def analyze(
    s: Scenario,
    *,
    score: Expression | None = None,
    budget: int = DEFAULT_BUDGET,
    runs: int = DEFAULT_RUNS,
    force_random: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
) -> Analysis:
    """Analyse `s`: exactly when its configuration space is acyclic and within
    `budget` configurations, else (or when `force_random`) by `runs` seeded random
    playthroughs.

    Args:
        score: what the best and worst paths maximise and minimise; default
            `score_expression(s)`.
        seed: the first session seed of the random playthroughs (run i uses seed + i).
        progress: called with (done, total) now and then.
    """
    if score is None:
        score = score_expression(s)
    reason = ""
    if not force_random:
        # The exploration makes many small tuples and no reference cycles; pausing the
        # cyclic garbage collector saves it from scanning them over and over.
        paused = gc.isenabled()
        gc.disable()
        try:
            result = _exact(s, score, budget, progress)
        finally:
            if paused:
                gc.enable()
        if isinstance(result, Analysis):
            return result
        reason = result
    return _random(s, score, runs, seed, budget, reason, progress)


def _ordered_values(s: Scenario) -> tuple[str, ...]:
    return tuple(s.initial_values())


def _pairs(s: Scenario, together: set[tuple[str, int, int]]) -> tuple[ChoicePair, ...]:
    """Identical and dominated pairs, among the candidates that are on offer together somewhere."""
    rank = {r: i for i, r in enumerate(("recommended", "acceptable", "risky", "harmful"))}
    order = {sid: i for i, sid in enumerate(s.states)}
    out: list[ChoicePair] = []
    for sid, na, nb in sorted(together, key=lambda t: (order[t[0]], t[1], t[2])):
        a, b = s.states[sid].choices[na - 1], s.states[sid].choices[nb - 1]
        # Only the values either choice changes can differ; the order is the scenario's.
        names = tuple(n for n in s.initial_values() if any(e.target == n for e in a.effects + b.effects))
        ta, tb = _tables(s, a, names), _tables(s, b, names)
        if ta == tb:
            out.append(ChoicePair(sid, "identical", a.number, b.number))
            continue
        for lo, hi, x, y in ((a, b, ta, tb), (b, a, tb, ta)):
            # `lo` is dominated by `hi` if hi leaves every value >= everywhere, > somewhere
            if all(p >= q for k in range(len(names)) for p, q in zip(y[k], x[k])):
                better = tuple(n for k, n in enumerate(names) if y[k] != x[k])
                out.append(
                    ChoicePair(sid, "dominated", lo.number, hi.number, better, rank[lo.rating] < rank[hi.rating])
                )
                break
    return tuple(out)


def _tables(s: Scenario, c: Choice, names: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """For each of `names`, the value after the choice for every value before it."""
    effects = {e.target: e for e in c.effects}
    out = []
    for n in names:
        low, high = s.bounds(n)
        e = effects.get(n)
        out.append(
            tuple(range(low, high + 1)) if e is None else tuple(e.apply(v, low, high) for v in range(low, high + 1))
        )
    return tuple(out)


def _candidates(s: Scenario) -> dict[str, list[tuple[int, int]]]:
    """Per decision, the pairs of choices with the same destination and flags: the only
    ones that can be identical or dominated, so the only co-offers worth recording."""
    out: dict[str, list[tuple[int, int]]] = {}
    for sid, st in s.states.items():
        pairs = [
            (a.number, b.number)
            for i, a in enumerate(st.choices)
            for b in st.choices[i + 1 :]
            if a.goto == b.goto and set(a.set) == set(b.set) and set(a.unset) == set(b.unset)
        ]
        if pairs:
            out[sid] = pairs
    return out


def _note_together(
    cands: dict[str, list[tuple[int, int]]], sid: str, offered: list[Choice], together: set[tuple[str, int, int]]
) -> None:
    pairs = cands.get(sid)
    if pairs:
        nums = {c.number for c in offered}
        for a, b in pairs:
            if a in nums and b in nums:
                together.add((sid, a, b))


def _find_seed(s: Scenario, moves: tuple[Option, ...], routes: list[tuple[str, ...]]) -> int | None:
    """A session seed under which `moves` follow exactly `routes` (the opening first;
    the last may be a prefix of the route taken)."""
    last = len(routes) - 1
    for seed in range(SEED_TRIES):
        sess = Session(s, seed)
        # the last route may stop short (a path *to* a state): compare its prefix
        if sess.opening[: len(routes[0])] != routes[0] or (last > 0 and sess.opening != routes[0]):
            continue
        for i, (move, route) in enumerate(zip(moves, routes[1:]), 1):
            step = sess.timeout() if move == TIMEOUT else sess.choose(int(move))
            if (step.route[: len(route)] if i == last else step.route) != route:
                break
        else:
            return seed
    return None


def _linear(score: Expression, numbers: tuple[str, ...]) -> tuple[int, tuple[int, ...], int]:
    """The score as constant, coefficients over `numbers`, coefficient of `turn`.

    A number expression of the condition language is linear (only `+`, `-` and
    parentheses), so evaluating it at zero and at each unit vector gives it exactly."""

    def at(values: dict[str, int], turn: int) -> int:
        return score.value(_Ctx(values, frozenset(), frozenset(), frozenset(), turn))

    zero = dict.fromkeys(numbers, 0)
    c0 = at(zero, 0)
    coef = tuple(at({**zero, n: 1}, 0) - c0 for n in numbers)
    return c0, coef, at(zero, 1) - c0


# -- the exact analysis: a graph of configurations, then passes over it -------------


class _Edge(NamedTuple):
    """One way on from a node of `_Graph`, taken with probability
    weight / (options * 100**chances)."""

    option: Option | None  # None on the root's edges, which are the opening routes
    weight: int
    options: int  # how many options were on offer, a time-out included
    chances: int  # how many chance branches the route rolled
    to: int  # the node it leads to; for arrival j at an ending, ~j (always negative)
    route: tuple[str, ...]  # the states it passes through, the last one included


class _Arrival(NamedTuple):
    """An arrival at an ending. Nothing happens after it, so of its configuration only
    what the results show or score is kept, and arrivals that differ only in flags or
    in what was visited or chosen count as one."""

    state: str
    values: tuple[int, ...]  # the observed meters and members, as in `_Config`
    turn: int


_Pick = tuple[int, int, int]
"""A node's best (or worst) way on: (score at the end, decisions, index of the edge to
take), the decisions negated for the best so that one `>` prefers a higher score, then
fewer decisions. Plain tuples: two are made for every edge, and they compare in C."""

_ROOT = 0
_ROOT_CONFIG = _Config("", (), frozenset(), frozenset(), frozenset(), 0)
"""Stands in for the root's configuration: the root is before the opening, in no state."""


class _Graph:
    """The decision configurations of a scenario as a graph, built depth-first.

    Nodes are numbered in the order they are found, from the virtual root 0, whose
    edges are the opening routes. Arrivals at an ending are not nodes: they are most
    configurations and lead nowhere, so they are numbered apart, in `arrivals`.
    """

    __slots__ = (
        "_candidates",
        "_endings",
        "_space",
        "arrival_number",
        "arrivals",
        "configs",
        "edges",
        "node_number",
        "offered",
        "reached",
        "stuck",
        "together",
        "widths",
    )

    def __init__(self, s: Scenario, space: _Space) -> None:
        self._space = space
        self._candidates = _candidates(s)
        self._endings = frozenset(sid for sid, st in s.states.items() if st.ending is not None)
        self.configs: list[_Config] = [_ROOT_CONFIG]  # by node
        self.edges: list[list[_Edge]] = [[]]  # by node; a node's edges are grouped by option
        self.node_number: dict[_Config, int] = {}
        self.arrivals: list[_Arrival] = []
        self.arrival_number: dict[_Arrival, int] = {}
        self.reached: set[str] = set()  # every state on some route
        self.offered: set[tuple[str, int]] = set()  # every (state, choice number) ever on offer
        self.together: set[tuple[str, int, int]] = set()  # candidate pairs (see `_pairs`) on offer together
        self.stuck: list[int] = []  # the nodes with nothing on offer
        self.widths: set[int] = {1}  # every number of options on offer; 1 for the root
        self.link(_ROOT, [(None, None, space.start())])  # the opening: one way on, not a decision

    def link(self, n: int, moves: Sequence[tuple[Option | None, Choice | None, list[Outcome]]]) -> None:
        """Give node `n` an edge for each way each of `moves` can go, numbering what is new."""
        # Local names, since this runs for every outcome of every node: looking each up
        # on `self` every time shows on the clock.
        out, reached, endings = self.edges[n], self.reached, self._endings
        configs, node_number, edges = self.configs, self.node_number, self.edges
        arrivals, arrival_number = self.arrivals, self.arrival_number
        options = len(moves)
        for option, _, outcomes in moves:
            for weight, chances, route, config in outcomes:
                reached.update(route)
                if config.state in endings:
                    arrival = _make(_Arrival, (config.state, config.values, config.turn))
                    j = arrival_number.get(arrival)
                    if j is None:
                        j = arrival_number[arrival] = len(arrivals)
                        arrivals.append(arrival)
                    to = ~j
                else:
                    m = node_number.get(config)
                    if m is None:
                        m = node_number[config] = len(configs)
                        configs.append(config)
                        edges.append([])
                    to = m
                out.append(_make(_Edge, (option, weight, options, chances, to, route)))

    def expand(self, n: int) -> None:
        """Give node `n` its edges: what is on offer there, and where each option leads."""
        config = self.configs[n]
        on_offer, moves = self._space.moves(config)
        for c in on_offer:
            self.offered.add((config.state, c.number))
        _note_together(self._candidates, config.state, on_offer, self.together)
        if not moves:
            self.stuck.append(n)
            return
        self.widths.add(len(moves))
        self.link(n, moves)

    def explore(self, budget: int, progress: Progress | None) -> list[int] | str:
        """Expand every node the root leads to; the nodes in post-order (each after every
        node it leads to), or why the exact analysis cannot be done."""
        # Depth-first, for the post-order and because a cycle shows up as an edge to a
        # node still on the stack. A loop with a stack rather than recursion: paths can
        # be longer than Python's recursion limit. The lists are only ever appended to,
        # so local names for them stay good.
        edges, configs, arrivals, expand = self.edges, self.configs, self.arrivals, self.expand
        colour = bytearray(1)  # by node: 0 not expanded yet, 1 on the stack, 2 done
        colour[_ROOT] = 1
        post: list[int] = []
        stack: list[tuple[int, int]] = [(_ROOT, 0)]  # (node, index of its next edge)
        while stack:
            n, i = stack[-1]
            out = edges[n]
            if i == len(out):
                colour[n] = 2
                post.append(n)
                stack.pop()
                continue
            stack[-1] = (n, i + 1)
            child = out[i].to
            if child < 0:  # an arrival at an ending
                continue
            if child >= len(colour):
                colour.extend(bytes(len(configs) - len(colour)))
            c = colour[child]
            if c == 0:
                if len(configs) + len(arrivals) > budget:
                    return f"the scenario has more than {budget:,} configurations to explore (--budget)"
                colour[child] = 1
                expand(child)
                stack.append((child, 0))
                if progress is not None and len(configs) % 5000 == 0:
                    progress(len(configs) + len(arrivals), budget)
            elif c == 1:
                return self._circle([m for m, _ in stack], child)
        return post

    def _circle(self, path: list[int], back_to: int) -> str:
        """Why a cycle stops the analysis, naming its states: `path` ends with an edge back to `back_to`."""
        loop = [self.configs[m].state for m in path[path.index(back_to) :]]
        shown = " → ".join(dict.fromkeys(loop)) + f" → {loop[0]}"
        return f"the scenario can go round in a circle ({shown}) with nothing changing, which the exact exploration does not follow"


def _longest(g: _Graph, post: list[int]) -> tuple[int, int]:
    """The most decisions, and the most chance rolls, on any path from the root
    (each the most on its own path)."""
    decisions = [0] * len(g.configs)
    rolls = [0] * len(g.configs)
    for n in post:
        most_decisions = most_rolls = 0
        for option, _, _, chances, to, _ in g.edges[n]:
            ahead_decisions = 0 if option is None else 1  # the root's edges are no decision
            ahead_rolls = chances
            if to >= 0:  # a node, not an arrival: add the most on from there
                ahead_decisions += decisions[to]
                ahead_rolls += rolls[to]
            # (`if` rather than max(): this runs for every edge, and a call costs more)
            if ahead_decisions > most_decisions:
                most_decisions = ahead_decisions
            if ahead_rolls > most_rolls:
                most_rolls = ahead_rolls
        decisions[n], rolls[n] = most_decisions, most_rolls
    return decisions[_ROOT], rolls[_ROOT]


def _denominator(widths: set[int], decisions: int, rolls: int) -> int:
    """A denominator common to every path's probability: lcm(option counts)**decisions * 100**rolls."""
    # A path's probability is a product of weight / (options * 100**chances) over its
    # edges, with at most `decisions` decisions and `rolls` chance rolls in all.
    return math.lcm(*widths) ** decisions * 100**rolls


def _probabilities(g: _Graph, order: list[int], denominator: int, rolls: int) -> tuple[list[int], list[int]]:
    """How likely a random player is to reach each node and each arrival, as whole
    numbers over `denominator`; no edge rolls more than `rolls` chances."""
    # Whole numbers, as big-integer sums are exact and much faster than Fractions; the
    # divisions are exact because of how the denominator is chosen.
    hundreds = [100**c for c in range(rolls + 1)]
    mass = [0] * len(g.configs)
    mass[_ROOT] = denominator
    arrival_mass = [0] * len(g.arrivals)
    for n in order:
        here = mass[n]
        for _, weight, options, chances, to, _ in g.edges[n]:
            share = here * weight // (options * hundreds[chances])
            if to >= 0:
                mass[to] += share
            else:
                arrival_mass[~to] += share
    return mass, arrival_mass


class _Field(NamedTuple):
    """Where the set of one hidden value sits in the packed integer."""

    offset: int
    width: int  # one bit per value from `low` to the upper bound
    low: int


class _PackedEffect(NamedTuple):
    """An effect on a hidden value, with the bit masks that applying it to a set needs."""

    offset: int
    width: int
    full: int  # `width` ones
    clear: int  # every bit but this field's
    top: int  # the field's highest bit: the upper bound
    spill: int  # the low bits a shift down by the amount drops
    effect: Effect
    low: int
    high: int


class _Hidden:
    """The meters and members no condition observes, carried as sets of possible values.

    One bit per value, every such value's set packed side by side into one integer.
    Exact, since an effect reads only its own value; merging two sets is a single `|`.
    """

    __slots__ = ("_cache", "_effects", "fields", "start")

    def __init__(self, s: Scenario, names: tuple[str, ...]) -> None:
        self.fields: dict[str, _Field] = {}
        offset = 0
        for name in names:
            low, high = s.bounds(name)
            self.fields[name] = _Field(offset, high - low + 1, low)
            offset += high - low + 1
        init = s.initial_values()
        # The sets at the start, one value in each.
        self.start = sum(1 << (f.offset + init[name] - f.low) for name, f in self.fields.items())
        # Only the options (choices and time-outs) with an effect on a hidden value: the
        # others (and the opening) leave the sets as they are.
        self._effects: dict[tuple[str, Option | None], tuple[_PackedEffect, ...]] = {}
        for sid, st in s.states.items():
            for c in st.choices:
                packed = tuple(self._pack(s, e) for e in c.effects if e.target in self.fields)
                if packed:
                    self._effects[(sid, c.number)] = packed
            packed = tuple(self._pack(s, e) for e in st.timeout.effects if e.target in self.fields)
            if packed:
                self._effects[(sid, TIMEOUT)] = packed
        # Many nodes carry the same sets into the same choice.
        self._cache: dict[tuple[str, Option | None, int], int] = {}

    def _pack(self, s: Scenario, e: Effect) -> _PackedEffect:
        """`e` with its bit masks."""
        offset, width, low = self.fields[e.target]
        full = (1 << width) - 1
        spill = (1 << abs(e.amount)) - 1
        return _PackedEffect(
            offset, width, full, ~(full << offset), 1 << (width - 1), spill, e, low, s.bounds(e.target)[1]
        )

    def after(self, sid: str, option: Option | None, bits: int) -> int:
        """The sets `bits` once `option` is taken at `sid`."""
        effects = self._effects.get((sid, option))
        if effects is None:
            return bits
        got = self._cache.get((sid, option, bits))
        if got is None:
            got = bits
            for p in effects:
                moved = _moved(p, (got >> p.offset) & p.full)
                got = (got & p.clear) | (moved << p.offset)
            self._cache[(sid, option, bits)] = got
        return got

    def range(self, name: str, bits: int) -> tuple[int, int]:
        """The least and the greatest value of `name` in the sets `bits`."""
        offset, width, low = self.fields[name]
        f = (bits >> offset) & ((1 << width) - 1)
        return low + (f & -f).bit_length() - 1, low + f.bit_length() - 1


def _moved(p: _PackedEffect, f: int) -> int:
    """The set `f` of one value (bit i for value low + i) after the effect `p`."""
    e = p.effect
    if not e.fair:
        # The same amount added to every value is a shift of the set; whatever falls
        # off an end is clamped, so it piles up at that bound.
        if e.amount >= 0:
            g = f << e.amount
            return (g & p.full) | (p.top if g >> p.width else 0)
        return (f >> -e.amount) | (1 if f & p.spill else 0)
    # A fair change depends on the value, so each value is moved on its own.
    out, v = 0, p.low
    while f:
        if f & 1:
            out |= 1 << (e.apply(v, p.low, p.high) - p.low)
        f >>= 1
        v += 1
    return out


def _hidden_on_arrival(g: _Graph, order: list[int], hidden: _Hidden) -> list[int]:
    """For each arrival, the sets of hidden values it can be reached with (see `_Hidden`)."""
    arrival_bits = [0] * len(g.arrivals)
    if not hidden.fields:
        return arrival_bits
    packed = [0] * len(g.configs)  # by node: the sets it can be reached with
    packed[_ROOT] = hidden.start
    for n in order:
        bits, sid = packed[n], g.configs[n].state
        last: Option | None = None
        after = bits
        for option, _, _, _, to, _ in g.edges[n]:
            if option != last:  # a node's edges are grouped by option: one `after` each
                last = option
                after = hidden.after(sid, option, bits)
            if to >= 0:
                packed[to] |= after
            else:
                arrival_bits[~to] |= after
    return arrival_bits


def _arrival_scores(g: _Graph, score: Expression, numbers: tuple[str, ...]) -> list[int]:
    """The score on each arrival."""
    c0, coef, cturn = _linear(score, numbers)
    return [c0 + sum(map(operator.mul, coef, a.values)) + cturn * a.turn for a in g.arrivals]


def _extremes(g: _Graph, post: list[int], arrival_score: list[int]) -> tuple[list[_Pick | None], list[_Pick | None]]:
    """For each node, its best and its worst way on (see `_Pick`); ties go to fewer
    decisions, then to the earlier edge. None where no way on reaches an ending."""
    best: list[_Pick | None] = [None] * len(g.configs)
    worst: list[_Pick | None] = [None] * len(g.configs)
    for n in post:
        b: _Pick | None = None
        w: _Pick | None = None
        for i, (option, _, _, _, to, _) in enumerate(g.edges[n]):
            step = 0 if option is None else 1  # the root's edges are no decision
            if to < 0:
                v = arrival_score[~to]
                cand_b, cand_w = (v, -step, i), (v, step, i)
            else:
                cb, cw = best[to], worst[to]
                if cb is None or cw is None:
                    continue
                cand_b, cand_w = (cb[0], cb[1] - step, i), (cw[0], cw[1] + step, i)
            if b is None or cand_b[:2] > b[:2]:
                b = cand_b
            if w is None or cand_w[:2] < w[:2]:
                w = cand_w
        best[n], worst[n] = b, w
    return best, worst


def _path(s: Scenario, g: _Graph, picks: list[_Pick | None]) -> Path | None:
    """The path from the root that takes, at every node, the edge `picks` names there."""
    first = picks[_ROOT]
    if first is None:
        return None
    n, moves, routes, prob, chance = _ROOT, [], [], Fraction(1), False
    while n >= 0:
        pick = picks[n]
        assert pick is not None  # an edge was picked into `n`, so it leads on to an ending
        option, weight, options, chances, n, route = g.edges[n][pick[2]]
        if option is not None:
            moves.append(option)
        routes.append(route)
        prob *= Fraction(weight, options * 100**chances)
        chance = chance or chances > 0
    states = tuple(sid for r in routes for sid in r)
    seed = _find_seed(s, tuple(moves), routes) if chance else 0
    return Path(first[0], tuple(moves), states[-1], states, chance, seed, prob)


@dataclass(slots=True)
class _Tally:
    """The arrivals at one ending, added up."""

    mass: int = 0  # probability, over the common denominator
    count: int = 0
    hidden: int = 0  # the sets of hidden values, merged
    values: list[tuple[int, ...]] = field(default_factory=list)  # each arrival's observed values


def _ranges(
    names: tuple[str, ...], observed_at: dict[str, int], hidden: _Hidden, tally: _Tally
) -> dict[str, tuple[int, int]]:
    """(min, max) of each of `names` on arrival at one ending; {} if it is never reached."""
    if not tally.count:
        return {}
    columns = list(zip(*tally.values))
    out: dict[str, tuple[int, int]] = {}
    for name in names:
        if name in observed_at:
            col = columns[observed_at[name]]
            out[name] = (min(col), max(col))
        else:
            out[name] = hidden.range(name, tally.hidden)
    return out


def _exact(s: Scenario, score: Expression, budget: int, progress: Progress | None) -> Analysis | str:
    """The exact analysis, or the reason it cannot be done."""
    obs = _observed(s, score)
    g = _Graph(s, _Space(s, obs))
    post = g.explore(budget, progress)
    if isinstance(post, str):
        return post
    order = post[::-1]  # topological: every edge goes forward

    decisions, rolls = _longest(g, post)
    denominator = _denominator(g.widths, decisions, rolls)
    mass, arrival_mass = _probabilities(g, order, denominator, rolls)

    names = _ordered_values(s)
    observed_at = {n: i for i, n in enumerate(obs.numbers)}
    hidden = _Hidden(s, tuple(n for n in names if n not in observed_at))
    arrival_bits = _hidden_on_arrival(g, order, hidden)

    ending_of = {sid: st.ending for sid, st in s.states.items() if st.ending is not None}
    tallies = {sid: _Tally() for sid in ending_of}
    for j, arrival in enumerate(g.arrivals):
        t = tallies[arrival.state]
        t.mass += arrival_mass[j]
        t.count += 1
        t.hidden |= arrival_bits[j]
        t.values.append(arrival.values)
    endings = tuple(
        EndingResult(
            sid,
            ending.outcome,
            ending.title,
            tallies[sid].count > 0,
            Fraction(tallies[sid].mass, denominator),
            tallies[sid].count,
            _ranges(names, observed_at, hidden, tallies[sid]),
        )
        for sid, ending in ending_of.items()
    )

    best, worst = _extremes(g, post, _arrival_scores(g, score, obs.numbers))
    return Analysis(
        scenario=s.id,
        mode="exact",
        reason="",
        score=score.source,
        configurations=len(g.configs) - 1 + len(g.arrivals),  # the root is no configuration
        runs=0,
        seed=0,
        endings=endings,
        stuck=Fraction(sum(mass[n] for n in g.stuck), denominator),
        stuck_states=tuple(dict.fromkeys(g.configs[n].state for n in g.stuck)),
        unfinished=Fraction(0),
        best=_path(s, g, best),
        worst=_path(s, g, worst),
        unreached_states=tuple(sid for sid in s.states if sid not in g.reached),
        unreached_choices=tuple(
            (sid, c.number)
            for sid, st in s.states.items()
            if sid in g.reached
            for c in st.choices
            if (sid, c.number) not in g.offered
        ),
        reach_exact=True,
        pairs=_pairs(s, g.together),
    )


def states_that_can_end(s: Scenario) -> set[str]:
    """The states from which some edge of the graph leads to an ending (conditions aside)."""
    into: dict[str, set[str]] = {sid: set() for sid in s.states}
    for sid, st in s.states.items():
        for goto in (
            [c.goto for c in st.choices] + [b.goto for b in st.next] + ([st.on_timeout] if st.on_timeout else [])
        ):
            into[goto].add(sid)
    found = {sid for sid, st in s.states.items() if st.ending is not None}
    todo = list(found)
    while todo:
        for prev in into[todo.pop()]:
            if prev not in found:
                found.add(prev)
                todo.append(prev)
    return found


def _random(
    s: Scenario, score: Expression, runs: int, seed: int, budget: int, reason: str, progress: Progress | None
) -> Analysis:
    """`runs` playthroughs with the engine's own Session, choices picked by a seeded RNG."""
    names = _ordered_values(s)
    cands = _candidates(s)
    rng = random.Random(seed)
    ending_ids = [sid for sid, st in s.states.items() if st.ending is not None]
    counts = dict.fromkeys(ending_ids, 0)
    lows: dict[str, dict[str, int]] = {e: {} for e in ending_ids}
    highs: dict[str, dict[str, int]] = {e: {} for e in ending_ids}
    reached: set[str] = set()
    offered: set[tuple[str, int]] = set()
    together: set[tuple[str, int, int]] = set()
    stuck = unfinished = 0
    stuck_states: dict[str, None] = {}
    best: tuple[tuple[int, int], int, list[Option], Session] | None = None
    worst: tuple[tuple[int, int], int, list[Option], Session] | None = None
    can_end = states_that_can_end(s)
    every = max(1, runs // 100)
    for i in range(runs):
        if progress is not None and i % every == 0:
            progress(i, runs)
        sess = Session(s, seed + i)
        moves: list[Option] = []
        while not sess.finished:
            on_offer = sess.choices()
            sid = sess.state.id
            if len(moves) >= MAX_DECISIONS or (sid not in can_end and (on_offer or sess.state.on_timeout)):
                unfinished += 1  # too long, or caught where no way leads to an ending
                reached.add(sid)
                break
            for c in on_offer:
                offered.add((sid, c.number))
            _note_together(cands, sid, list(on_offer), together)
            options: list[Option] = [c.number for c in on_offer]
            if sess.state.on_timeout is not None:
                options.append(TIMEOUT)
            if not options:
                stuck += 1
                stuck_states[sid] = None
                break
            pick = options[int(rng.random() * len(options))]
            moves.append(pick)
            if pick == TIMEOUT:
                sess.timeout()
            else:
                sess.choose(pick)  # type: ignore[arg-type]
        reached |= sess.visited
        if not sess.finished:
            continue
        end = sess.state.id
        counts[end] += 1
        values = sess.values
        lo, hi = lows[end], highs[end]
        for n in names:
            v = values[n]
            if n not in lo or v < lo[n]:
                lo[n] = v
            if n not in hi or v > hi[n]:
                hi[n] = v
        v = score.value(sess)  # a Session is a condition context
        if best is None or (v, -len(moves)) > best[0]:
            best = ((v, -len(moves)), seed + i, moves, sess)
        if worst is None or (v, len(moves)) < worst[0]:
            worst = ((v, len(moves)), seed + i, moves, sess)
    if progress is not None:
        progress(runs, runs)

    def path(found: tuple | None) -> Path | None:
        if found is None:
            return None
        (v, _), run_seed, moves, sess = found
        states = sess.opening + tuple(sid for step in sess.history for sid in step.route)
        rolled = sess.to_json()["rolls"] > 0
        return Path(v, tuple(moves), sess.state.id, states, rolled, run_seed)

    def ending_of(sid: str) -> Ending:
        ending = s.states[sid].ending
        assert ending is not None
        return ending

    exact = reachability(s, budget)
    if exact.complete:
        reached, offered = set(exact.states), set(exact.offered)
    endings = tuple(
        EndingResult(
            e,
            ending_of(e).outcome,
            ending_of(e).title,
            e in reached,
            Fraction(counts[e], runs) if runs else Fraction(0),
            counts[e],
            {n: (lows[e][n], highs[e][n]) for n in names} if counts[e] else {},
        )
        for e in ending_ids
    )
    return Analysis(
        scenario=s.id,
        mode="random",
        reason=reason,
        score=score.source,
        configurations=exact.configurations,
        runs=runs,
        seed=seed,
        endings=endings,
        stuck=Fraction(stuck, runs) if runs else Fraction(0),
        stuck_states=tuple(stuck_states),
        unfinished=Fraction(unfinished, runs) if runs else Fraction(0),
        best=path(best),
        worst=path(worst),
        unreached_states=tuple(sid for sid in s.states if sid not in reached),
        unreached_choices=tuple(
            (sid, c.number)
            for sid, st in s.states.items()
            if sid in reached
            for c in st.choices
            if (sid, c.number) not in offered
        ),
        reach_exact=exact.complete,
        pairs=_pairs(s, together),
    )
