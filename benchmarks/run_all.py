"""Every benchmark in one table; each figure is a ratio against a baseline measured in this run.

    python benchmarks/run_all.py            # about three minutes on a small machine
    python benchmarks/run_all.py --quick    # about a minute: fewer repeats, memory at 10,000 states

A ratio is groupsim's cost divided by the baseline's: time (or time per decision)
for speed, peak resident memory above an interpreter's floor for memory, so 1.00x
means "as cheap as the baseline" and higher is worse. The measurements come from the
other scripts here (load_validate.py, analysis.py, tui_startup.py, memory.py), each
of which runs alone too and prints more detail.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import analysis as analysis_bench  # noqa: E402
import load_validate  # noqa: E402
import memory  # noqa: E402
import tui_startup  # noqa: E402
from generate import generate  # noqa: E402

from simulator.authoring.analysis import analyze  # noqa: E402
from simulator.authoring.loader import load, load_text  # noqa: E402
from simulator.engine import Scenario, Session  # noqa: E402


@dataclass
class Row:
    measure: str
    ours: str
    baseline: str
    ratio: float
    target: str
    verdict: str = ""


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "meets" if ok else "MISSES"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def per_second(rate: float) -> str:
    return f"{rate:,.0f}/s"


# -- the measurements -------------------------------------------------------------
def load_and_validate(n: int, repeat: int) -> Row:
    m = load_validate.measure(n, repeat)
    both = m["load"] + m["validate"]
    ratio = both / m["libyaml"]
    target, ok = ("< 2x", ratio < 2) if n == 10_000 else ("(< 2x at 10,000)", None)
    return Row(
        f"load + validate, {n:,} states",
        f"{ms(both)} ({ms(m['load'])} + {ms(m['validate'])})",
        f"libyaml parse {ms(m['libyaml'])}",
        ratio,
        target,
        verdict(ok),
    )


def cli_help(runs: int) -> Row:
    helped, bare, heavy = load_validate.help_startup(runs)
    return Row(
        "groupsim --help",
        f"{ms(helped)}, imports {heavy}",
        f"bare python {ms(bare)}",
        helped / bare,
        "< 150 ms",
        verdict(helped < 0.150),
    )


def generated(n: int) -> Scenario:
    s, errors = load_text(generate(n), f"generated-{n}.yaml")
    assert s is not None, errors[:3]
    return s


def bare_rate(s: Scenario, seconds: float) -> float:
    """Decisions per second of analysis.py's bare loop over plain dicts on `s`."""
    steps, elapsed = analysis_bench.bare_steps(s, analysis_bench.plain_graph(s), seconds)
    return steps / elapsed


def engine_vs_bare(s: Scenario, repeat: int) -> tuple[Row, float]:
    graph = analysis_bench.plain_graph(s)
    bare = engine = 0.0
    for _ in range(repeat):  # alternate, so a busy spell hits both alike; keep the best of each
        n, t = analysis_bench.bare_steps(s, graph, 1.0)
        bare = max(bare, n / t)
        n, t = analysis_bench.engine_steps(s, 1.0)
        engine = max(engine, n / t)
    ratio = bare / engine
    return Row(
        f"engine decisions, {len(s.states):,}-state generated",
        per_second(engine),
        f"bare dict walk {per_second(bare)}",
        ratio,
        "<= 3x",
        verdict(ratio <= 3),
    ), bare


def exact_shipped(repeat: int) -> Row:
    """Exact analysis of every shipped scenario, against the bare walk making as many decisions
    as the analysis explores configurations, on each scenario's own graph."""
    total = walk = 0.0
    configurations = 0
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    for p in paths:
        s = load(p)
        a = analyze(s)
        assert a.mode == "exact", f"{p.name}: {a.reason}"
        total += analysis_bench.best_of(lambda s=s: analyze(s), repeat)
        configurations += a.configurations
        walk += a.configurations / bare_rate(s, 0.2)
    return Row(
        f"exact analysis, {len(paths)} shipped scenarios",
        f"{total:.2f} s, {per_second(configurations / total)} configs",
        f"bare dict walk {ms(walk)}, same decisions",
        total / walk,
        "< 1 s in all",
        verdict(total < 1.0),
    )


def mean_decisions(s: Scenario, plays: int = 2000) -> float:
    """Decisions per playthrough when every choice is picked uniformly at random."""
    rng = random.Random(7)
    steps = 0
    for seed in range(plays):
        session = Session(s, seed)
        while not session.finished and (offered := session.choices()):
            session.choose(rng.choice(offered).number)
            steps += 1
    return steps / plays


def random_analysis(s: Scenario, bare: float, repeat: int, runs: int = 10_000) -> Row:
    t = analysis_bench.best_of(lambda: analyze(s, force_random=True, runs=runs, seed=0), repeat)
    decisions = runs * mean_decisions(s)
    return Row(
        f"random analysis, {runs:,} plays of {len(s.states):,} states",
        f"{t:.2f} s, {per_second(decisions / t)} decisions",
        f"bare dict walk {ms(decisions / bare)}",
        t / (decisions / bare),
        "< 10 s",
        verdict(t < 10),
    )


def tui_first_frame(runs: int) -> list[Row]:
    # A records database of its own: the user's may hold unfinished runs, and then
    # `groupsim play` would stop at its "resume?" prompt instead of drawing the briefing.
    import tempfile

    tmp = tempfile.TemporaryDirectory()
    os.environ["GROUPSIM_DB"] = str(Path(tmp.name) / "bench.db")
    ours_argv = [sys.executable, "-m", "simulator", "play", str(tui_startup.DEFAULT)]
    base_argv = [sys.executable, "-c", tui_startup.MINIMAL]
    same_argv = [sys.executable, "-c", tui_startup.SAME_WIDGETS]
    tui_startup.cache_bytecode()  # as pip does at install, and as Textual's files already are
    tui_startup.first_frame(ours_argv, b"Briefing")  # warm the OS's file cache for all three
    tui_startup.first_frame(base_argv, b"Minimal-ready")
    tui_startup.first_frame(same_argv, b"Widgets-ready")
    ours, base, same = [], [], []
    for _ in range(runs):  # alternate, so a busy spell slows all alike
        ours.append(tui_startup.first_frame(ours_argv, b"Briefing"))
        base.append(tui_startup.first_frame(base_argv, b"Minimal-ready"))
        same.append(tui_startup.first_frame(same_argv, b"Widgets-ready"))
    del os.environ["GROUPSIM_DB"]
    tmp.cleanup()
    o, b, w = statistics.median(ours), statistics.median(base), statistics.median(same)
    return [
        Row(
            "TUI first frame, groupsim play FILE",
            f"{ms(o)} (median of {runs})",
            f"minimal Textual app {ms(b)}",
            o / b,
            "<= 1.3x",
            verdict(o / b <= 1.3),
        ),
        Row(
            "  the briefing's widgets, no groupsim",
            f"{ms(w)} (median of {runs})",
            f"minimal Textual app {ms(b)}",
            w / b,
            "(context)",
        ),
    ]


def peak_memory(n: int) -> Row:
    m = memory.measure(n)
    floor = m["floor"][0]
    ours, base = m["load"][0] - floor, m["yaml"][0] - floor
    return Row(
        f"peak memory, load {n:,} states ({m['megabytes']:.0f} MiB)",
        f"+{ours:,.0f} MiB",
        f"libyaml parse +{base:,.0f} MiB",
        ours / base,
        "(none set)",
    )


# -- the table --------------------------------------------------------------------
def print_table(rows: list[Row]) -> None:
    head = Row("measure", "groupsim", "baseline (same run)", 0.0, "target", "")
    w = [max(len(getattr(r, f)) for r in [head, *rows]) for f in ("measure", "ours", "baseline", "target")]
    line = f"{head.measure:<{w[0]}}  {head.ours:<{w[1]}}  {head.baseline:<{w[2]}}  {'ratio':>7}  {head.target:<{w[3]}}"
    print(line.rstrip())
    print("-" * (len(line) + 8))
    for r in rows:
        print(
            f"{r.measure:<{w[0]}}  {r.ours:<{w[1]}}  {r.baseline:<{w[2]}}  {r.ratio:6.2f}x  {r.target:<{w[3]}}  {r.verdict}".rstrip()
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats and memory at 10,000 states (about a minute)")
    p.add_argument(
        "--memory-states",
        type=int,
        default=None,
        metavar="N",
        help="states for the memory row (default 100,000; 10,000 with --quick)",
    )
    args = p.parse_args()
    quick = args.quick
    mem_states = args.memory_states or (10_000 if quick else 100_000)

    import textual

    started = time.perf_counter()
    print(
        f"groupsim benchmarks, {time.strftime('%Y-%m-%d %H:%M')}: Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Textual {textual.__version__}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    rows: list[Row] = []

    def step(label: str, fn, *a) -> None:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        print(f"  {label} ...", end="", flush=True, file=sys.stderr)
        rows.append(fn(*a))
        print(f" {time.perf_counter() - t:.0f} s", file=sys.stderr)

    step("load + validate, 1,000 states", load_and_validate, 1_000, 1 if quick else 3)
    step("load + validate, 10,000 states", load_and_validate, 10_000, 1 if quick else 2)
    step("groupsim --help", cli_help, 3 if quick else 7)
    s = generated(1_000)
    t = time.perf_counter()
    print("  engine vs bare dict walk ...", end="", flush=True, file=sys.stderr)
    row, bare = engine_vs_bare(s, 1 if quick else 3)
    rows.append(row)
    print(f" {time.perf_counter() - t:.0f} s", file=sys.stderr)
    step("exact analysis of the shipped scenarios", exact_shipped, 1 if quick else 3)
    step("random analysis", random_analysis, s, bare, 1 if quick else 2)
    t = time.perf_counter()
    print("  TUI first frame ...", end="", flush=True, file=sys.stderr)
    rows.extend(tui_first_frame(3 if quick else 7))
    print(f" {time.perf_counter() - t:.0f} s", file=sys.stderr)
    step(f"peak memory at {mem_states:,} states", peak_memory, mem_states)

    print()
    print_table(rows)
    print(
        f"\nTook {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f} at the end. "
        "Memory: peak RSS (the kernel's VmHWM) of fresh processes, above a floor process that "
        "holds the same imports and text; GC off in them (see memory.py)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
