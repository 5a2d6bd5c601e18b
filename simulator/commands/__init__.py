"""One module per `groupsim` subcommand: HELP, add_arguments(parser), run(args) -> exit status.

Helpers shared by several commands live here; like the command modules, this file
imports nothing heavy at module level.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from simulator.authoring.library import Found
    from simulator.engine.model import Scenario


TARGET_HELP = "a scenario file, a folder of scenarios, or a shipped scenario's id (default: the shipped library)"


def add_target_argument(p: argparse.ArgumentParser) -> None:
    """The optional TARGET of the commands that open the trainee's app (`play`, `serve`)."""
    p.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)


def _resolve(target: str | None) -> list[Found] | None:
    """`library.resolve(target)`, or None after printing why it names nothing readable."""
    from simulator.authoring.diagnostics import ScenarioError
    from simulator.authoring.library import resolve

    try:
        return resolve(target)
    except ScenarioError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return None


def load_one(target: str, command: str) -> tuple[Scenario | None, int]:
    """The one playable scenario `target` (a file or a shipped id) names.

    Returns the scenario and 0, or None and the exit status after printing why to
    standard error: 1 when it is missing or has errors, 2 when it names a folder.
    """
    found = _resolve(target)
    if found is None:
        return None, 1
    if len(found) != 1:
        print(f"groupsim {command}: '{target}' is a folder; give one scenario file", file=sys.stderr)
        return None, 2
    if found[0].scenario is None:
        for d in found[0].errors:
            print(d, file=sys.stderr)
        print(
            f"groupsim {command}: the scenario has errors; fix them first ('groupsim validate' lists them)",
            file=sys.stderr,
        )
        return None, 1
    return found[0].scenario, 0


def load_many(target: str | None, command: str) -> tuple[list[Found] | None, int]:
    """Every scenario file `target` names: a file, a folder, a shipped id, or (None) the
    shipped library. Files that fail to load are included, with their errors.

    Returns the list and 0, or None and 1 after printing why to standard error.
    """
    found = _resolve(target)
    if found is None:
        return None, 1
    if not found:
        print(f"groupsim {command}: no scenario files (*.yaml) in {target or 'the shipped library'}", file=sys.stderr)
        return None, 1
    return found, 0
