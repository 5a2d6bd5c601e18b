"""Write a commented starter scenario, ID.yaml, that plays and validates as it stands.

Its comments explain each part of the format; change it into your own a piece at a
time and check it as you go:
    groupsim new late-arrival -o scenarios
    groupsim validate scenarios/late-arrival.yaml --strict
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a commented starter scenario to build on"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "id", metavar="ID", help="the new scenario's id: lowercase letters, digits and hyphens, like late-arrival"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=".",
        help="the folder to write ID.yaml in (default: the current folder)",
    )


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.scaffold import check_id, starter

    problem = check_id(args.id)
    if problem:
        print(f"groupsim new: {problem}", file=sys.stderr)
        return 1
    folder = Path(args.output)
    if not folder.is_dir():
        what = (
            "is a file, not a folder"
            if folder.exists()
            else "does not exist; create it first or choose another with -o"
        )
        print(f"groupsim new: the folder '{folder}' {what}", file=sys.stderr)
        return 1
    path = folder / f"{args.id}.yaml"
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as f:  # "x": never overwrite
            f.write(starter(args.id, folder))
    except FileExistsError:
        print(
            f"groupsim new: '{path}' already exists, and groupsim will not overwrite it; "
            "choose another id, another folder with -o, or move the file away first",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"groupsim new: cannot write '{path}': {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}. Next:")
    print(f"  groupsim validate {path} --strict    check it as you change it")
    print(f"  groupsim run {path} --choose 1,1     play one path")
    print(f"  groupsim play {path}                 play it as a trainee would")
    return 0
