"""Open the trainee's app: the scenario library, or one scenario's briefing.

    groupsim play                         the shipped library
    groupsim play confidentiality-breach  a shipped scenario, by id
    groupsim play my-scenarios/           every scenario in a folder
    groupsim play breach.yaml --seed 7    one file, with chance branches fixed by a seed
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "rehearse a scenario in the terminal app (start here)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="a scenario file, a folder of scenarios, or a shipped scenario's id (default: the shipped library)",
    )
    p.add_argument("--seed", type=int, default=None, help="fix the seed for chance branches (default: a new one each run)")
    p.add_argument(
        "--export-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the debrief's exports are written (default: ./groupsim-exports)",
    )


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.diagnostics import ScenarioError
    from simulator.authoring.library import resolve

    try:
        found = resolve(args.target)
    except ScenarioError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1
    if not found:
        where = args.target or "the shipped library"
        print(f"groupsim play: no scenario files (*.yaml) in {where}", file=sys.stderr)
        return 1
    if not sys.stdout.isatty():
        print("groupsim play: needs a terminal; to play without one use 'groupsim run FILE --choose 1,2'", file=sys.stderr)
        return 2

    from simulator.tui.app import make_app

    make_app(found, seed=args.seed, export_dir=args.export_dir).run()
    return 0
