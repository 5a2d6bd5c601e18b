"""Load + validate a generated scenario vs libyaml's bare parse of the same file.

Target (issue 2): load and validate a 10,000-state scenario in under 2x the time
libyaml alone takes to parse it (yaml.load with CSafeLoader), measured in one run.
Also: how long `groupsim --help` takes and which heavy modules it imports.

    python benchmarks/load_validate.py [N_STATES]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

from simulator.authoring.loader import load_text
from simulator.authoring.validate import warnings


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(n: int, repeat: int = 5) -> dict[str, float]:
    """Best-of-`repeat` seconds to parse a generated `n`-state scenario with libyaml
    (yaml.load, CSafeLoader), to load it with groupsim, and to validate it."""
    text = generate(n)
    baseline = best_of(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeat)
    loaded = best_of(lambda: load_text(text, "bench.yaml"), repeat)
    scenario, errors = load_text(text, "bench.yaml")
    assert scenario is not None, errors[:3]
    validated = best_of(lambda: warnings(scenario), repeat=max(1, min(repeat, 3)))
    return {"states": n, "megabytes": len(text) / 1e6, "libyaml": baseline, "load": loaded, "validate": validated}


def help_startup(runs: int = 7) -> tuple[float, float, str]:
    """Median seconds of `python -m simulator --help` and of a bare interpreter, and
    the heavy modules `--help` imports (as a printed list)."""

    def run(args: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        return time.perf_counter() - t

    bare = statistics.median(run([sys.executable, "-c", "pass"]) for _ in range(runs))
    helped = statistics.median(run([sys.executable, "-m", "simulator", "--help"]) for _ in range(runs))
    probe = "import sys; from simulator.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('textual','networkx','yaml') if m in sys.modules), file=sys.stderr)"
    heavy = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stderr.strip()
    return helped, bare, heavy


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    m = measure(n)
    baseline, loaded, validated = m["libyaml"], m["load"], m["validate"]
    both = loaded + validated
    print(f"{n} states, {m['megabytes']:.1f} MB of YAML")
    print(f"  libyaml parse (yaml.load, CSafeLoader)   {baseline * 1000:8.0f} ms   1.00x")
    print(f"  groupsim load                            {loaded * 1000:8.0f} ms   {loaded / baseline:.2f}x")
    print(f"  groupsim validate (graph + conditions)   {validated * 1000:8.0f} ms   {validated / baseline:.2f}x")
    print(
        f"  load + validate                          {both * 1000:8.0f} ms   {both / baseline:.2f}x   (target < 2.00x)"
    )

    # `groupsim --help`: the console script's start-up against a bare interpreter.
    helped, bare, heavy = help_startup()
    print(
        f"  groupsim --help                          {helped * 1000:8.0f} ms   (bare python {bare * 1000:.0f} ms; target < 150 ms)"
    )
    print(f"  heavy modules imported by --help: {heavy}")


if __name__ == "__main__":
    main()
