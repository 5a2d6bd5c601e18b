"""Placeholder while `groupsim audit` is being built (replaced by its real module)."""

from __future__ import annotations

import argparse
import sys

HELP = "report how a scenario cues its recommended answers (being built)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    print("groupsim audit: not built yet", file=sys.stderr)
    return 2
