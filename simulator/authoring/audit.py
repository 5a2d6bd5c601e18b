"""The cueing audit: can a trainee do well in a scenario without judging anything?

Two measures, for each scenario and for a set of them (`groupsim audit`):

- **Cueing by length.** At each decision with a recommended choice and at least one
  choice that is not recommended, whether a recommended choice is the longest option
  there, or the shortest. Length is `length()`: characters of the text, each run of
  whitespace counted as one space. A recommended choice *is the longest* when it is
  longer than every choice not recommended; *tied* when the longest choice not
  recommended is just as long. The same for the shortest.
- **Blind strategies.** Where a player ends who never reads the situation: always the
  longest choice on offer, always the shortest, always the first authored, or any of
  them uniformly at random. Only the choices on offer at that moment count (their
  `when` holds); among equally long choices the first authored is taken. A strategy
  never lets a timer run out, except at a timed decision with nothing on offer, where
  that is the only way on; a decision with nothing on offer and no timer is *stuck*.
  Chance branches are weighed exactly, as `analysis.analyze` weighs them, over the
  configuration space it walks.

When a strategy can go round in a circle, or meets more configurations than the
budget, its outcome is estimated from seeded random playthroughs instead (`mode`
"random"); a playthrough that provably goes round for ever, is caught where no ending
can be reached, or runs to `MAX_DECISIONS`, counts as *unfinished*.

`standout()` is the check behind `groupsim validate`'s warning on a recommended
choice that is longer than the others by more than a quarter.

Pure: the engine and the analysis only.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from simulator.authoring.analysis import (
    DEFAULT_BUDGET,
    DEFAULT_RUNS,
    MAX_DECISIONS,
    Outcome,
    configuration_space,
    states_that_can_end,
)
from simulator.engine.model import OUTCOMES, Choice, Scenario, State

Strategy = Literal["longest", "shortest", "first", "random"]
STRATEGIES: tuple[Strategy, ...] = ("longest", "shortest", "first", "random")
NAMES: dict[Strategy, str] = {
    "longest": "always the longest",
    "shortest": "always the shortest",
    "first": "always the first",
    "random": "at random",
}
"""How each strategy is called in what people read."""
BLIND: tuple[Strategy, ...] = ("longest", "shortest", "first")
"""The strategies that follow a cue; picking at random is the baseline they are compared with."""
RESULTS: tuple[str, ...] = (*OUTCOMES, "stuck", "unfinished")
"""Where a playthrough can finish: an ending's outcome, a decision with nothing on
offer, or (random playthroughs only) nowhere."""
STANDOUT = Fraction(5, 4)
"""A recommended choice longer than this many times the longest choice not recommended stands out."""


def length(text: str) -> int:
    """The length of a choice's text as the audit measures it: characters, with each
    run of whitespace (spaces, line breaks) counted as one space and none at either end."""
    return len(" ".join(text.split()))


# -- cueing by length ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cueing:
    """Counts over the decisions that have a recommended choice and a choice not
    recommended (`decisions`): those where a recommended choice is longer than every
    other (`longest`) or as long as the longest other (`tied_longest`), and the same
    for the shortest."""

    decisions: int = 0
    longest: int = 0
    tied_longest: int = 0
    shortest: int = 0
    tied_shortest: int = 0

    def __add__(self, other: Cueing) -> Cueing:
        return Cueing(
            self.decisions + other.decisions,
            self.longest + other.longest,
            self.tied_longest + other.tied_longest,
            self.shortest + other.shortest,
            self.tied_shortest + other.tied_shortest,
        )


def cueing(s: Scenario) -> Cueing:
    """How often the recommended choice is the longest, or the shortest, at its decision."""
    counts = [0, 0, 0, 0, 0]
    for st in s.states.values():
        recommended = [length(c.text) for c in st.choices if c.rating == "recommended"]
        others = [length(c.text) for c in st.choices if c.rating != "recommended"]
        if not recommended or not others:
            continue
        counts[0] += 1
        longest, longest_other = max(recommended), max(others)
        shortest, shortest_other = min(recommended), min(others)
        counts[1] += longest > longest_other
        counts[2] += longest == longest_other
        counts[3] += shortest < shortest_other
        counts[4] += shortest == shortest_other
    return Cueing(*counts)


def standout(st: State) -> list[tuple[Choice, int, int]]:
    """The recommended choices at decision `st` that are longer than `STANDOUT` times
    the longest choice there that is not recommended, each as (choice, its length,
    that other length)."""
    others = [length(c.text) for c in st.choices if c.rating != "recommended"]
    if not others:
        return []
    longest_other = max(others)
    out = []
    for c in st.choices:
        if c.rating == "recommended":
            n = length(c.text)
            if n > STANDOUT * longest_other:
                out.append((c, n, longest_other))
    return out


# -- blind strategies ---------------------------------------------------------------


def picks(strategy: Strategy, offered: Sequence[Choice]) -> Sequence[Choice]:
    """What `strategy` takes from the choices on offer (in authored order, at least
    one): a single choice, or for "random" every one of them, each as likely."""
    if strategy == "random":
        return offered
    if strategy == "first":
        return offered[:1]
    # max() and min() keep the first of equals: the first authored among the longest.
    if strategy == "longest":
        return [max(offered, key=lambda c: length(c.text))]
    return [min(offered, key=lambda c: length(c.text))]


@dataclass(frozen=True, slots=True)
class StrategyResult:
    """Where one strategy finishes, as a probability for each of `RESULTS`.

    Exact (`mode` "exact") or, when `reason` says why it could not be, the share of
    `playthroughs` seeded random playthroughs (random generator seeded with `seed`)."""

    strategy: Strategy
    outcomes: dict[str, Fraction]
    mode: Literal["exact", "random"] = "exact"
    reason: str = ""
    playthroughs: int = 0
    seed: int = 0

    @property
    def strong(self) -> Fraction:
        return self.outcomes["strong"]


@dataclass(frozen=True, slots=True)
class Audit:
    """The audit of one scenario."""

    scenario: str
    title: str
    source: str
    cueing: Cueing
    strategies: tuple[StrategyResult, ...]

    def result(self, strategy: Strategy) -> StrategyResult:
        return next(r for r in self.strategies if r.strategy == strategy)


def audit(
    s: Scenario,
    *,
    strategies: Iterable[Strategy] = STRATEGIES,
    budget: int = DEFAULT_BUDGET,
    playthroughs: int = DEFAULT_RUNS,
    seed: int = 0,
) -> Audit:
    """Audit `s`: cueing by length and each strategy's outcomes, exactly when the
    strategy's way through is acyclic and within `budget` configurations, else from
    `playthroughs` random playthroughs seeded with `seed`."""
    space = configuration_space(s)
    results = []
    for strategy in strategies:
        found = _exact(s, space, strategy, budget)
        if isinstance(found, str):
            outcomes = _sample(s, space, strategy, playthroughs, seed)
            results.append(StrategyResult(strategy, outcomes, "random", found, playthroughs, seed))
        else:
            results.append(StrategyResult(strategy, found))
    return Audit(s.id, s.title, s.source, cueing(s), tuple(results))


def _taken(strategy: Strategy, space: Any, config: Any) -> tuple[list[tuple[Fraction, list[Outcome]]], bool]:
    """Where `strategy` goes from a decision configuration: each option it may take with
    its probability and outcomes, or ([], True) when it is stuck there."""
    offered, moves = space.moves(config)
    if offered:
        chosen = {c.number for c in picks(strategy, offered)}
        share = Fraction(1, len(chosen))
        return [(share, outcomes) for option, _, outcomes in moves if option in chosen], False
    if moves:  # nothing on offer, but a timer: the time runs out
        return [(Fraction(1), moves[-1][2])], False
    return [], True


def _exact(s: Scenario, space: Any, strategy: Strategy, budget: int) -> dict[str, Fraction] | str:
    """The exact probability of each result under `strategy`, or why it cannot be had."""
    outcome_of = {sid: st.ending.outcome for sid, st in s.states.items() if st.ending is not None}
    number: dict[Any, int] = {}
    configs: list[Any] = [None]  # node 0 is the root, before the opening
    edges: list[list[tuple[Fraction, int | str]]] = [[]]  # by node: (probability, node or result)

    def link(n: int, ways: list[tuple[Fraction, list[Outcome]]]) -> None:
        for share, outcomes in ways:
            for weight, chances, _, config in outcomes:
                p = share * Fraction(weight, 100**chances)
                if config.state in outcome_of:
                    edges[n].append((p, outcome_of[config.state]))
                    continue
                m = number.get(config)
                if m is None:
                    m = number[config] = len(configs)
                    configs.append(config)
                    edges.append([])
                edges[n].append((p, m))

    link(0, [(Fraction(1), space.start())])
    # Depth-first, with a stack rather than recursion: a cycle shows as an edge back
    # to a node still on the stack, and the post-order gives the order to add up in.
    colour = {0: 1}  # 1 on the stack, 2 done
    post: list[int] = []
    stack = [(0, 0)]
    while stack:
        n, i = stack[-1]
        if i == len(edges[n]):
            colour[n] = 2
            post.append(n)
            stack.pop()
            continue
        stack[-1] = (n, i + 1)
        to = edges[n][i][1]
        if isinstance(to, str):
            continue
        c = colour.get(to, 0)
        if c == 1:
            loop = [configs[m].state for m, _ in stack[[m for m, _ in stack].index(to) :]]
            shown = " → ".join(dict.fromkeys(loop)) + f" → {loop[0]}"
            return f"it can go round in a circle ({shown})"
        if c == 0:
            if len(configs) > budget:
                return f"it meets more than {budget:,} configurations"
            colour[to] = 1
            ways, stuck = _taken(strategy, space, configs[to])
            if stuck:
                edges[to].append((Fraction(1), "stuck"))
            else:
                link(to, ways)
            stack.append((to, 0))

    mass = [Fraction(0)] * len(configs)
    mass[0] = Fraction(1)
    out = dict.fromkeys(RESULTS, Fraction(0))
    for n in reversed(post):  # every edge leads forward in this order
        for p, to in edges[n]:
            if isinstance(to, str):
                out[to] += mass[n] * p
            else:
                mass[to] += mass[n] * p
    return out


def _draw(rng: random.Random, outcomes: list[Outcome]) -> tuple[Any, bool]:
    """One of `outcomes`, drawn by its weight, and whether there was more than one."""
    if len(outcomes) == 1:
        return outcomes[0][3], False
    u, total = rng.random(), 0.0
    for weight, chances, _, config in outcomes:
        total += weight / 100**chances
        if u < total:
            return config, True
    return outcomes[-1][3], True


def _sample(s: Scenario, space: Any, strategy: Strategy, playthroughs: int, seed: int) -> dict[str, Fraction]:
    """The share of each result in `playthroughs` random playthroughs under `strategy`."""
    rng = random.Random(seed)
    outcome_of = {sid: st.ending.outcome for sid, st in s.states.items() if st.ending is not None}
    can_end = states_that_can_end(s)
    counts = dict.fromkeys(RESULTS, 0)
    opening = space.start()
    for _ in range(playthroughs):
        config, _ = _draw(rng, opening)
        # The configurations met since the last draw that could have gone another way:
        # meeting one again means the playthrough goes round that circle for ever.
        since_draw: set[Any] = set()
        decisions = 0
        while True:
            sid = config.state
            if sid in outcome_of:
                counts[outcome_of[sid]] += 1
                break
            if sid not in can_end or decisions >= MAX_DECISIONS or config in since_draw:
                counts["unfinished"] += 1
                break
            since_draw.add(config)
            ways, stuck = _taken(strategy, space, config)
            if stuck:
                counts["stuck"] += 1
                break
            k = int(rng.random() * len(ways)) if len(ways) > 1 else 0
            config, drawn = _draw(rng, ways[k][1])
            if drawn or len(ways) > 1:
                since_draw = set()
            decisions += 1
    return {r: Fraction(n, playthroughs) for r, n in counts.items()}


# -- a set of scenarios ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LibraryStrategy:
    """One strategy over a set of scenarios: in how many it can end strong, and the
    mean of each result's probability, every scenario counting alike (`exact` when
    every one was explored exactly)."""

    strategy: Strategy
    strong_possible: int
    mean: dict[str, Fraction]
    exact: bool


@dataclass(frozen=True, slots=True)
class Library:
    """The audit of a set of scenarios, summed up."""

    scenarios: int
    cueing: Cueing
    strategies: tuple[LibraryStrategy, ...]


def summarise(audits: Sequence[Audit]) -> Library:
    """What `audits` add up to."""
    total = sum((a.cueing for a in audits), Cueing())
    out = []
    if audits:
        for strategy in (r.strategy for r in audits[0].strategies):
            results = [a.result(strategy) for a in audits]
            out.append(
                LibraryStrategy(
                    strategy,
                    sum(1 for r in results if r.strong > 0),
                    {k: sum((r.outcomes[k] for r in results), Fraction(0)) / len(results) for k in RESULTS},
                    all(r.mode == "exact" for r in results),
                )
            )
    return Library(len(audits), total, tuple(out))
