"""Print the JSON Schema (Draft 2020-12) of the scenario format, for editors and tools."""

from __future__ import annotations

import argparse
import sys

HELP = "print the scenario format's JSON Schema"


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from importlib.resources import files

    sys.stdout.write(files("simulator.schema").joinpath("scenario.schema.json").read_text(encoding="utf-8"))
    return 0
