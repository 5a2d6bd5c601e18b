"""Timing of `groupsim analyze` and of the engine it drives (issue 5, Speed).

Targets:
  1. exact analysis of every shipped scenario: under 1 s in all;
  2. random analysis of 10,000 playthroughs of a generated 1,000-state scenario: under 10 s;
  3. engine steps per second within 3x of a bare loop that walks the same graph with
     plain dicts, both measured here in one run (printed as a ratio).

Each figure is the best of several repeats, so that a busy machine counts less; the
exact analyses also show CPU time (time.process_time), which other processes on a
shared machine disturb less than the wall clock.

    python benchmarks/analysis.py [REPEATS]
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

from simulator.authoring.analysis import analyze  # noqa: E402
from simulator.authoring.loader import load, load_text  # noqa: E402
from simulator.engine import Scenario, Session  # noqa: E402

ROOT = HERE.parent


def best_of(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def shipped(repeat: int) -> None:
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    wall = cpu = 0.0
    print(
        f"1. Exact analysis of the {len(paths)} shipped scenarios (best of {repeat}; load average {os.getloadavg()[0]:.1f}):"
    )
    for p in paths:
        s = load(p)
        a = analyze(s)
        t = best_of(lambda s=s: analyze(s), repeat)
        c = best_of(lambda s=s: analyze(s), repeat, time.process_time)
        wall, cpu = wall + t, cpu + c
        print(
            f"   {p.name:34} {t * 1000:7.1f} ms wall {c * 1000:7.1f} ms CPU  {a.configurations:>7,} configurations ({a.mode})"
        )
    verdict = "meets" if wall < 1.0 else "MISSES"
    print(f"   all together: {wall:.3f} s wall, {cpu:.3f} s CPU  ({verdict} the target of 1 s on the wall clock)\n")


def generated_random(repeat: int) -> Scenario:
    s, errors = load_text(generate(1000), "generated-1000.yaml")
    assert s is not None, errors
    runs = 10_000
    t = best_of(lambda: analyze(s, force_random=True, runs=runs, seed=0), repeat)
    verdict = "meets" if t < 10 else "MISSES"
    a = analyze(s, force_random=True, runs=runs, seed=0)
    decisions = sum(len(p.moves) for p in (a.best, a.worst) if p) / 2
    print(
        f"2. Random analysis, {runs:,} playthroughs of a generated {len(s.states):,}-state scenario (best of {repeat}):"
    )
    print(f"   {t:.3f} s  ({verdict} the target of 10 s); about {decisions:.0f} decisions per playthrough")
    print(f"   (its exact analysis, for comparison: {best_of(lambda: analyze(s), 1):.3f} s)\n")
    return s


def plain_graph(s: Scenario) -> dict:
    """The scenario as plain dicts and tuples: what a bare loop would walk."""
    graph = {}
    for sid, st in s.states.items():
        graph[sid] = {
            "choices": [
                (c.when, [(e.target, e.amount, e.fair, *s.bounds(e.target)) for e in c.effects], c.goto)
                for c in st.choices
            ],
            "next": [(b.when, b.chance, b.goto) for b in st.next],
            "end": st.ending is not None,
        }
    return graph


class _Ctx:
    __slots__ = ("chosen", "flags", "turn", "values", "visited")


def bare_steps(s: Scenario, graph: dict, seconds: float) -> tuple[int, float]:
    """Decisions per second of a loop over plain dicts: the same picks, effects (with
    fair changes and clamping), conditions and chance as the engine, nothing else."""
    rng = random.Random(1)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        ctx = _Ctx()
        ctx.values, ctx.flags, ctx.visited, ctx.chosen, ctx.turn = s.initial_values(), set(), set(), set(), 0
        sid = s.start
        while True:
            node = graph[sid]
            ctx.visited.add(sid)
            if node["end"]:
                break
            if node["next"]:
                for when, chance, goto in node["next"]:
                    if when is not None:
                        if when.holds(ctx):
                            break
                    elif chance is not None:
                        if rng.randrange(100) < chance:
                            break
                    else:
                        break
                sid = goto
                continue
            offered = [c for c in node["choices"] if c[0] is None or c[0].holds(ctx)]
            if not offered:
                break
            _, effects, goto = offered[int(rng.random() * len(offered))]
            values = ctx.values
            for target, amount, fair, low, high in effects:
                v = values[target]
                if fair:
                    gap = ((high if amount > 0 else low) - v) * abs(amount)
                    step = (2 * abs(gap) + 100) // 200
                    v += step if gap >= 0 else -step
                else:
                    v += amount
                values[target] = low if v < low else high if v > high else v
            ctx.turn += 1
            steps += 1
            sid = goto
    return steps, time.perf_counter() - start


def engine_steps(s: Scenario, seconds: float) -> tuple[int, float]:
    """Decisions per second through the engine's public API: choices(), then choose()."""
    rng = random.Random(1)
    steps = seed = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        sess = Session(s, seed)
        seed += 1
        while not sess.finished:
            offered = sess.choices()
            if not offered:
                break
            sess.choose(offered[int(rng.random() * len(offered))].number)
            steps += 1
    return steps, time.perf_counter() - start


def steps_per_second(s: Scenario, repeat: int) -> None:
    graph = plain_graph(s)
    bare = engine = 0.0
    for _ in range(repeat):  # alternate, so that a busy spell hits both alike
        n, t = bare_steps(s, graph, 1.0)
        bare = max(bare, n / t)
        n, t = engine_steps(s, 1.0)
        engine = max(engine, n / t)
    ratio = bare / engine
    verdict = "meets" if ratio <= 3 else "MISSES"
    print(f"3. Decisions per second on the generated scenario (best of {repeat} one-second runs):")
    print(f"   bare loop over plain dicts: {bare:12,.0f}/s")
    print(f"   engine (Session):           {engine:12,.0f}/s")
    print(f"   the bare loop is {ratio:.2f}x as fast as the engine ({verdict} the target of 3x)")


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    shipped(repeat)
    s = generated_random(repeat)
    steps_per_second(s, repeat)


if __name__ == "__main__":
    main()
