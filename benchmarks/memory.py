"""Peak memory of loading a generated scenario vs libyaml's bare parse of the same file.

Each figure is the peak resident set size of a fresh Python process, so nothing earlier
in a run inflates it: on Linux the kernel's high-water mark VmHWM from /proc/self/status,
which starts afresh at exec (resource.getrusage's ru_maxrss does not: a child started
from a large process reports at least its parent's peak); elsewhere ru_maxrss.

  floor   imports yaml and groupsim's loader and reads the file's text
  yaml    the floor, then yaml.load(text, CSafeLoader), the result kept
  load    the floor, then groupsim's load_text(text), the Scenario kept
  load+validate   as load, then validate.warnings(scenario)

The figures compared are each one's peak above the floor: what parsing costs on top of
an interpreter that already holds the text.

    python benchmarks/memory.py [N_STATES] [--validate] [--gc]

Python's cyclic garbage collector is switched off in the children by default: neither
side makes cycles worth collecting, and with it on, libyaml's parse of 100,000 states
spends most of its time in full collections over the growing object graph (`--gc` to
keep it on; see README.md for the difference it makes to the peaks).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

MODES = ("floor", "yaml", "load", "load+validate")


def _high_water_kib() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib // 1024 if sys.platform == "darwin" else kib  # bytes on macOS, KiB elsewhere


def _child(mode: str, path: str, gc_on: bool) -> None:
    import gc

    if not gc_on:
        gc.disable()
    import yaml

    from simulator.authoring.loader import load_text
    from simulator.authoring.validate import warnings

    text = Path(path).read_text(encoding="utf-8")
    t = time.perf_counter()
    kept: object = None
    if mode == "yaml":
        kept = yaml.load(text, Loader=yaml.CSafeLoader)
    elif mode in ("load", "load+validate"):
        kept, errors = load_text(text, path)
        assert kept is not None, errors[:3]
        if mode == "load+validate":
            warnings(kept)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    kib = _high_water_kib()
    print(f"{kib} {elapsed:.3f}")
    del kept


def peak(mode: str, path: Path, *, gc_on: bool = False) -> tuple[float, float]:
    """(peak RSS in MiB, seconds spent in the measured step) of a fresh process doing `mode`."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)] + (["--gc"] if gc_on else []),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    kib, seconds = done.stdout.split()
    return int(kib) / 1024, float(seconds)


def measure(n_states: int, *, validate: bool = False, gc_on: bool = False) -> dict[str, object]:
    """Peaks for a generated scenario of `n_states`; the children run side by side (RSS is per process)."""
    t = time.perf_counter()
    text = generate(n_states)
    generated = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"generated-{n_states}.yaml"
        path.write_text(text, encoding="utf-8")
        modes = [m for m in MODES if validate or m != "load+validate"]
        with ThreadPoolExecutor(len(modes)) as pool:
            results = dict(zip(modes, pool.map(lambda m: peak(m, path, gc_on=gc_on), modes)))
    return {"states": n_states, "megabytes": len(text.encode()) / 2**20, "generate_s": generated, **results}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("states", nargs="?", type=int, default=100_000)
    p.add_argument("--validate", action="store_true", help="also measure load + validate (slow at 100,000 states)")
    p.add_argument("--gc", action="store_true", help="keep the cyclic garbage collector on in the children")
    p.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.gc)
        return
    r = measure(args.states, validate=args.validate, gc_on=args.gc)
    floor = r["floor"][0]  # type: ignore[index]
    print(
        f"{r['states']:,} states, {r['megabytes']:.1f} MiB of YAML (generated in {r['generate_s']:.1f} s); "
        f"peak RSS (VmHWM), GC {'on' if args.gc else 'off'}"
    )
    print(f"  floor (interpreter, imports, the text)   {floor:8.0f} MiB")
    base = r["yaml"][0] - floor  # type: ignore[index]
    for mode in MODES[1:]:
        if mode in r:
            mib, seconds = r[mode]  # type: ignore[misc]
            print(
                f"  {mode:<15} +{mib - floor:7.0f} MiB above the floor  {(mib - floor) / base:5.2f}x   ({seconds:.1f} s)"
            )


if __name__ == "__main__":
    main()
