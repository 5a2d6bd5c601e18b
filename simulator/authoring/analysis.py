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
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from simulator.engine.conditions import Expression, Kind, parse_number
from simulator.engine.model import Choice, Effect, Scenario
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


Key = tuple  # (state id, observed values, flags, visited, chosen, turn)
Outcome = tuple
"""(weight, chances, route, key): the route is taken with probability weight / 100**chances."""


@dataclass(frozen=True, slots=True)
class _Move:
    """A choice prepared for the projected configuration."""

    choice: Choice
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

    def ctx(self, key: Key) -> _Ctx:
        _, values, flags, vis, chosen, turn = key
        return _Ctx(dict(zip(self.numbers, values)), flags, vis, chosen, turn)

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
        chosen: frozenset,
        turn: int,
    ) -> list[Outcome]:
        """Enter `target` and follow routing, forking on chance; one outcome per way it can go."""
        states = self.s.states
        visits = self.obs.visits
        if not states[target].next and target not in visits:  # the common case: no routing
            return [(1, 0, (target,), (target, values, flags, visited, chosen, turn))]
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
                out.append((prob, chances, route, (sid, values, flags, vis, chosen, turn)))
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

    def moves(self, key: Key) -> tuple[list[Choice], list[tuple[Option, Choice | None, list[Outcome]]]]:
        """What is on offer in a decision configuration, and where each option leads."""
        sid, values, flags, vis, chosen, turn = key
        state = self.s.states[sid]
        nturn = turn + 1 if self.obs.turn else 0
        ctx = None
        offered: list[Choice] = []
        out: list[tuple[Option, Choice | None, list[Outcome]]] = []
        for m in self.moves_at[sid]:
            c = m.choice
            if c.when is not None:
                if ctx is None:
                    ctx = self.ctx(key)
                if not c.when.holds(ctx):
                    continue
            offered.append(c)
            new = values
            if m.effects:
                lst = list(values)
                for i, e, low, high in m.effects:
                    lst[i] = e.apply(lst[i], low, high)
                new = tuple(lst)
            nflags = (flags | m.set) - m.unset if (m.set or m.unset) else flags
            nchosen = chosen | {(sid, c.number)} if m.observed else chosen
            out.append((c.number, c, self.enter(c.goto, new, nflags, vis, nchosen, nturn)))
        if state.on_timeout is not None:
            out.append((TIMEOUT, None, self.enter(state.on_timeout, values, flags, vis, chosen, nturn)))
        return offered, out


def reachability(s: Scenario, budget: int = DEFAULT_BUDGET) -> Reachability:
    """Every state that some sequence of choices (and chance) reaches, and every
    (state, choice number) that is ever on offer."""
    space = _Space(s, _observed(s))
    reached: set[str] = set()
    offered: set[tuple[str, int]] = set()
    seen: set[Key] = set()
    stack: list[Key] = []

    def push(outcomes: list[Outcome]) -> None:
        for _, _, route, key in outcomes:
            reached.update(route)
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
        if s.states[key[0]].ending is not None:
            continue
        on_offer, moves = space.moves(key)
        offered.update((key[0], c.number) for c in on_offer)
        for _, _, outcomes in moves:
            push(outcomes)
    return Reachability(frozenset(reached), frozenset(offered), complete, len(seen))


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
    parent: dict[Key, tuple[Key | None, int | str | None, tuple[str, ...], bool]] = {}
    frontier: list[Key] = []

    def found(key: Key | None, option: int | str | None, route: tuple[str, ...], rolled: bool) -> Witness:
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
        nxt: list[Key] = []
        for key in frontier:
            if s.states[key[0]].ending is not None:
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
        parts = [m for m in ("trust", "cohesion") if m in s.meters] or list(s.meters)
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


def _note_together(cands: dict[str, list[tuple[int, int]]], sid: str, offered: list[Choice], together: set) -> None:
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


def _exact(s: Scenario, score: Expression, budget: int, progress: Progress | None) -> Analysis | str:
    """The exact analysis, or the reason it cannot be done."""
    obs = _observed(s, score)
    space = _Space(s, obs)
    names = _ordered_values(s)
    observed_at = {n: i for i, n in enumerate(obs.numbers)}
    hidden = tuple(n for n in names if n not in observed_at)  # carried as value sets
    cands = _candidates(s)
    final = {sid for sid, st in s.states.items() if st.ending is not None}

    # The graph of decision configurations; node 0 is a virtual root whose edges are
    # the opening routes. An edge is (option, weight, options, chances, child, route),
    # taken with probability weight / (options * 100**chances); option is None at the
    # root. Arrivals at an ending are not nodes (they are most configurations and
    # lead nowhere): an edge to one has child ~j for arrival j.
    index: dict[Key, int] = {}
    keys: list[Key | None] = [None]
    edges: list[list[tuple[Option | None, int, int, int, int, tuple[str, ...]]]] = [[]]
    arrival_index: dict[tuple, int] = {}
    arrivals: list[tuple] = []  # (ending state, observed values, turn)
    reached: set[str] = set()
    offered: set[tuple[str, int]] = set()
    together: set[tuple[str, int, int]] = set()
    stuck_nodes: list[int] = []
    widths: set[int] = {1}

    def link(out: list, option: Option | None, k: int, outcomes: list[Outcome]) -> None:
        for weight, chances, route, child in outcomes:
            reached.update(route)
            if child[0] in final:
                # at an ending only the state, the values and the turn still matter
                child = (child[0], child[1], child[5])
                j = arrival_index.get(child)
                if j is None:
                    j = arrival_index[child] = len(arrivals)
                    arrivals.append(child)
                out.append((option, weight, k, chances, ~j, route))
                continue
            m = index.get(child)
            if m is None:
                m = index[child] = len(keys)
                keys.append(child)
                edges.append([])
            out.append((option, weight, k, chances, m, route))

    link(edges[0], None, 1, space.start())

    def expand(n: int) -> None:
        key = keys[n]
        sid = key[0]  # type: ignore[index]
        on_offer, moves = space.moves(key)
        offered.update((sid, c.number) for c in on_offer)
        _note_together(cands, sid, on_offer, together)
        if not moves:
            stuck_nodes.append(n)
            return
        widths.add(len(moves))
        for option, _, outcomes in moves:
            link(edges[n], option, len(moves), outcomes)

    # Depth-first, for a post-order (reverse topological) and to catch cycles.
    colour = bytearray(1)  # 0 new, 1 on the stack, 2 done
    post: list[int] = []
    stack: list[tuple[int, int]] = [(0, 0)]
    colour[0] = 1
    while stack:
        n, i = stack[-1]
        if i < len(edges[n]):
            stack[-1] = (n, i + 1)
            child = edges[n][i][4]
            if child < 0:
                continue
            if child >= len(colour):
                colour.extend(bytes(len(keys) - len(colour)))
            c = colour[child]
            if c == 0:
                if len(keys) + len(arrivals) > budget:
                    return f"the scenario has more than {budget:,} configurations to explore (--budget)"
                colour[child] = 1
                expand(child)
                stack.append((child, 0))
                if progress is not None and len(keys) % 5000 == 0:
                    progress(len(keys) + len(arrivals), budget)
            elif c == 1:
                first = next(j for j, (m, _) in enumerate(stack) if m == child)
                loop = [keys[m][0] for m, _ in stack[first:]]  # type: ignore[index]
                shown = " → ".join(dict.fromkeys(loop)) + f" → {loop[0]}"
                return f"the scenario can go round in a circle ({shown}) with nothing changing, which the exact exploration does not follow"
        else:
            colour[n] = 2
            post.append(n)
            stack.pop()
    order = post[::-1]  # topological: every edge goes forward
    total = len(keys)

    # Backward: best and worst score reachable from each configuration (ties: fewer decisions).
    c0, coef, cturn = _linear(score, obs.numbers)
    arrival_score = [c0 + sum(map(operator.mul, coef, key[1])) + cturn * key[2] for key in arrivals]
    best: list[tuple[int, int, int] | None] = [None] * total  # (score, -decisions, edge index)
    worst: list[tuple[int, int, int] | None] = [None] * total  # (score, decisions, edge index)
    # Alongside, the most decisions and chance rolls on any path onwards, for the
    # common denominator of the probabilities below.
    height = [0] * total
    luck = [0] * total
    for n in post:
        b = w = None
        hn = ln = 0
        for i, (option, _, _, chances, child, _) in enumerate(edges[n]):
            step = option is not None
            if child < 0:
                v = arrival_score[~child]
                cand_b, cand_w = (v, -step, i), (v, step, i)
                hn, ln = max(hn, step), max(ln, chances)
            else:
                hn, ln = max(hn, height[child] + step), max(ln, luck[child] + chances)
                cb, cw = best[child], worst[child]
                if cb is None or cw is None:
                    continue
                cand_b, cand_w = (cb[0], cb[1] - step, i), (cw[0], cw[1] + step, i)
            if b is None or cand_b[:2] > b[:2]:
                b = cand_b
            if w is None or cand_w[:2] < w[:2]:
                w = cand_w
        best[n], worst[n] = b, w
        height[n], luck[n] = hn, ln

    # Probability mass as whole numbers over one common denominator, which every
    # path's probability divides: lcm(option counts)**decisions * 100**chances, maxima
    # over paths. Big-integer sums are exact and much faster than Fractions.
    most_depth, most_luck = height[0], luck[0]
    lcm = 1
    for k in widths:
        lcm = lcm * k // math.gcd(lcm, k)
    denominator = lcm**most_depth * 100**most_luck
    hundreds = [100**c for c in range(most_luck + 1)]
    mass = [0] * total
    mass[0] = denominator
    arrival_mass = [0] * len(arrivals)

    # The values no condition observes travel as sets of possible values: one bit per
    # value, every such meter and member packed side by side into one integer. Exact,
    # since an effect reads only its own value; merging two sets is a single `|`.
    init = s.initial_values()
    fields: dict[str, tuple[int, int, int]] = {}  # name -> (offset, width, low)
    offset = 0
    for name in hidden:
        low, high = s.bounds(name)
        fields[name] = (offset, high - low + 1, low)
        offset += high - low + 1
    packed = [0] * total
    packed[0] = sum(1 << (o + init[name] - low) for name, (o, _, low) in fields.items())
    arrival_bits = [0] * len(arrivals)
    # For each choice, its effects on those values, with the bit masks they need.
    shift: dict[tuple[str, Option], tuple[tuple, ...]] = {}
    for sid, st in s.states.items():
        for c in st.choices:
            prepared = []
            for e in c.effects:
                if e.target not in fields:
                    continue
                o, w, low = fields[e.target]
                full = (1 << w) - 1
                prepared.append(
                    (o, w, full, ~(full << o), 1 << (w - 1), (1 << abs(e.amount)) - 1, e, low, s.bounds(e.target)[1])
                )
            shift[(sid, c.number)] = tuple(prepared)
    moved_cache: dict[tuple[str, Option, int], int] = {}

    def move(sid: str, option: Option, bits: int) -> int:
        got = moved_cache.get((sid, option, bits))
        if got is not None:
            return got
        out = bits
        for o, w, full, clear, top, spill, e, low, high in shift[(sid, option)]:
            f = (out >> o) & full
            if not e.fair:  # a shift; whatever falls off an end piles up at that bound
                a = e.amount
                if a >= 0:
                    g = f << a
                    f = (g & full) | (top if g >> w else 0)
                else:
                    f = (f >> -a) | (1 if f & spill else 0)
            else:
                nf, v = 0, low
                while f:
                    if f & 1:
                        nf |= 1 << (e.apply(v, low, high) - low)
                    f >>= 1
                    v += 1
                f = nf
            out = (out & clear) | (f << o)
        moved_cache[(sid, option, bits)] = out
        return out

    for n in order:
        here, bits = mass[n], packed[n]
        sid = keys[n][0] if n else ""  # type: ignore[index]
        last, new = None, bits
        for option, weight, k, chances, child, _ in edges[n]:
            share = here * weight // (k * hundreds[chances])
            if option != last:  # the outcomes of one option are next to each other
                last, new = option, bits
                if fields and option is not None and option != TIMEOUT and shift[(sid, option)]:
                    new = move(sid, option, bits)
            if child >= 0:
                mass[child] += share
                packed[child] |= new
            else:
                arrival_mass[~child] += share
                arrival_bits[~child] |= new

    # Endings: probability, and the range of every value on arrival.
    ending_ids = [sid for sid in s.states if sid in final]
    weight_of = dict.fromkeys(ending_ids, 0)
    count_of = dict.fromkeys(ending_ids, 0)
    bits_of = dict.fromkeys(ending_ids, 0)
    values_of: dict[str, list[tuple[int, ...]]] = {e: [] for e in ending_ids}
    for j, key in enumerate(arrivals):
        sid = key[0]
        weight_of[sid] += arrival_mass[j]
        count_of[sid] += 1
        bits_of[sid] |= arrival_bits[j]
        values_of[sid].append(key[1])

    def ranges(e: str) -> dict[str, tuple[int, int]]:
        if not count_of[e]:
            return {}
        columns = list(zip(*values_of[e]))
        out: dict[str, tuple[int, int]] = {}
        for name in names:
            if name in observed_at:
                col = columns[observed_at[name]]
                out[name] = (min(col), max(col))
            else:
                o, w, low = fields[name]
                f = (bits_of[e] >> o) & ((1 << w) - 1)
                out[name] = (low + (f & -f).bit_length() - 1, low + f.bit_length() - 1)
        return out

    endings = tuple(
        EndingResult(
            e,
            s.states[e].ending.outcome,
            s.states[e].ending.title,
            count_of[e] > 0,  # type: ignore[union-attr]
            Fraction(weight_of[e], denominator),
            count_of[e],
            ranges(e),
        )
        for e in ending_ids
    )
    stuck = Fraction(sum(mass[n] for n in stuck_nodes), denominator)

    def path(table: list) -> Path | None:
        if table[0] is None:
            return None
        n, moves, routes, prob, chance = 0, [], [], Fraction(1), False
        while n >= 0:
            option, weight, k, chances, n, route = edges[n][table[n][2]]
            if option is not None:
                moves.append(option)
            routes.append(route)
            prob *= Fraction(weight, k * 100**chances)
            chance = chance or chances > 0
        states = tuple(sid for r in routes for sid in r)
        seed = _find_seed(s, tuple(moves), routes) if chance else 0
        return Path(table[0][0], tuple(moves), states[-1], states, chance, seed, prob)

    unreached_states = tuple(sid for sid in s.states if sid not in reached)
    unreached_choices = tuple(
        (sid, c.number)
        for sid, st in s.states.items()
        if sid in reached
        for c in st.choices
        if (sid, c.number) not in offered
    )
    return Analysis(
        scenario=s.id,
        mode="exact",
        reason="",
        score=score.source,
        configurations=total - 1 + len(arrivals),
        runs=0,
        seed=0,
        endings=endings,
        stuck=stuck,
        stuck_states=tuple(dict.fromkeys(keys[n][0] for n in stuck_nodes)),  # type: ignore[index]
        unfinished=Fraction(0),
        best=path(best),
        worst=path(worst),
        unreached_states=unreached_states,
        unreached_choices=unreached_choices,
        reach_exact=True,
        pairs=_pairs(s, together),
    )


def _can_end(s: Scenario) -> set[str]:
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
    can_end = _can_end(s)
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

    exact = reachability(s, budget)
    if exact.complete:
        reached, offered = set(exact.states), set(exact.offered)
    endings = tuple(
        EndingResult(
            e,
            s.states[e].ending.outcome,
            s.states[e].ending.title,
            e in reached,  # type: ignore[union-attr]
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
