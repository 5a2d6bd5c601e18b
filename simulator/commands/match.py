"""Placeholder while `groupsim match` is being built (replaced by its real module)."""

from __future__ import annotations

import argparse
import sys

HELP = "rank a decision's choices against words a trainee typed (being built)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    print("groupsim match: not built yet", file=sys.stderr)
    return 2
