"""Exact exploration of what a scenario can do, conditions taken into account.

`reachability` walks every configuration a session can be in, but only as much of
it as any condition can observe: a meter that no `when` reads cannot change which
states are reachable, so it is left out of the configuration. That keeps the
exploration exact and small enough to run on every `groupsim validate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.engine.model import Scenario

DEFAULT_BUDGET = 200_000


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


def _observed(s: Scenario) -> _Observed:
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
    numbers = tuple(sorted(n for n in names if n in s.meters or n in s.members))
    flags = frozenset(n for n in names if n in s.flags)
    return _Observed(numbers, flags, frozenset(visits), frozenset(choices), turn, names)


def reachability(s: Scenario, budget: int = DEFAULT_BUDGET) -> Reachability:
    """Every state that some sequence of choices (and chance) reaches, and every
    (state, choice number) that is ever on offer."""
    obs = _observed(s)
    init = s.initial_values()
    values0 = tuple(init[n] for n in obs.numbers)
    index = {n: i for i, n in enumerate(obs.numbers)}
    bounds = {n: s.bounds(n) for n in obs.numbers}

    reached: set[str] = set()
    offered: set[tuple[str, int]] = set()
    seen: set[tuple] = set()
    stack: list[tuple] = []

    def make_ctx(values: tuple[int, ...], flags: frozenset[str], visited: frozenset[str], chosen: frozenset, turn: int) -> _Ctx:
        return _Ctx(dict(zip(obs.numbers, values)), flags, visited, chosen, turn)

    def enter(target: str, values: tuple[int, ...], flags: frozenset[str], visited: frozenset[str], chosen: frozenset, turn: int) -> None:
        """Enter `target`, follow routing (forking on chance), push decisions found."""
        pending = [(target, visited)]
        hops = 0
        while pending:
            sid, vis = pending.pop()
            hops += 1
            if hops > 10_000:  # routing loops are a load error; this is only a guard
                return
            reached.add(sid)
            if sid in obs.visits:
                vis = vis | {sid}
            state = s.states[sid]
            if state.next:
                ctx = make_ctx(values, flags, vis, chosen, turn)
                for b in state.next:
                    if b.when is not None:
                        if b.when.holds(ctx):
                            pending.append((b.goto, vis))
                            break
                    elif b.chance is not None:
                        pending.append((b.goto, vis))  # taken; fall through for not taken
                    else:
                        pending.append((b.goto, vis))
                        break
                continue
            key = (sid, values, flags, vis, chosen, turn if obs.turn else 0)
            if key not in seen:
                seen.add(key)
                stack.append(key)

    enter(s.start, values0, frozenset(), frozenset(), frozenset(), 0)
    complete = True
    while stack:
        if len(seen) > budget:
            complete = False
            break
        sid, values, flags, vis, chosen, turn = stack.pop()
        state = s.states[sid]
        if state.ending is not None:
            continue
        ctx = make_ctx(values, flags, vis, chosen, turn)
        nturn = turn + 1 if obs.turn else 0
        if state.on_timeout is not None:
            enter(state.on_timeout, values, flags, vis, chosen, nturn)
        for c in state.choices:
            if c.when is not None and not c.when.holds(ctx):
                continue
            offered.add((sid, c.number))
            new = list(values)
            for e in c.effects:
                i = index.get(e.target)
                if i is not None:
                    low, high = bounds[e.target]
                    new[i] = e.apply(new[i], low, high)
            nflags = flags
            if c.set or c.unset:
                nflags = frozenset((set(flags) | set(c.set)) - set(c.unset)) & obs.flags
            nchosen = chosen | {(sid, c.number)} if (sid, c.number) in obs.choices else chosen
            enter(c.goto, tuple(new), nflags, vis, nchosen, nturn)
    return Reachability(frozenset(reached), frozenset(offered), complete, len(seen))
