"""The `groupsim` command. Thin: each subcommand lives in `simulator.commands.<name>`,
whose module is cheap to import; the heavy parts load inside its `run`."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

from simulator import __version__

# Order is the order `groupsim --help` lists them.
COMMANDS = (
    "play",
    "serve",
    "validate",
    "run",
    "schema",
    "report",
    "records",
    "review",
    "analyze",
    "audit",
    "match",
    "test",
    "graph",
    "new",
    "twee",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` (one of COMMANDS) only that command's part.

    `main` passes the command named first on the line, so `groupsim play FILE` neither
    imports nor builds the other commands' options (what it prints, and how it fails,
    are the same: the top level's usage names no command).
    """
    parser = argparse.ArgumentParser(
        prog="groupsim",
        description="Rehearse facilitating a support or therapy group through critical incidents.",
        epilog="Start with 'groupsim play'. Each command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"groupsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (command,) if command in COMMANDS else COMMANDS:
        module = importlib.import_module(f"simulator.commands.{name}")
        # The descriptions are the commands' docstrings, laid out by hand (examples in
        # columns): print them as written rather than rewrapped into one paragraph.
        p = sub.add_parser(
            name, help=module.HELP, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


YOUNG_GC_THRESHOLD = 2000
"""The cycle collector's first threshold: Python 3.13's default (3.11 and 3.12 use 700)."""


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # run as the program, so this process's settings are ours to choose
        argv = sys.argv[1:]
        # Start-up makes tens of thousands of objects that live as long as the process
        # (modules, classes, the scenario, Textual's styles and widgets) and little
        # garbage. At 3.11's pace the collector walks them again and again, with a full
        # pass, before the first screen is drawn (10-15 ms of `groupsim play`); at
        # 3.13's it makes fewer passes and no full one, and still collects cycles.
        threshold = gc.get_threshold()
        if threshold[0] < YOUNG_GC_THRESHOLD:
            gc.set_threshold(YOUNG_GC_THRESHOLD, *threshold[1:])
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `groupsim run ... | head`
        return 0
    except Exception as exc:  # a bug of ours: say so plainly, keep the traceback for those who ask
        if os.environ.get("GROUPSIM_DEBUG"):
            raise
        print(
            f"groupsim: something went wrong inside groupsim ({type(exc).__name__}: {exc}).\n"
            "Nothing of yours was changed. Run again with GROUPSIM_DEBUG=1 to see the details for a bug report.",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
