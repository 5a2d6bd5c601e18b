"""Exchange scenarios with Twine through Twee 3, Twine's text format.

    groupsim twee export scenarios/subgrouping.yaml -o subgrouping.twee
    groupsim twee import story.twee -o scenarios/my-story.yaml
    groupsim twee import src/ -o scenarios/my-story.yaml       (a story split over files)

Export writes a passage per state and a [[link]] per choice, with every other detail
in the passages' metadata, so Twine's story map shows the scenario. Import reads any
Twee 3 story; what Twine cannot say (ratings, feedback, meters) gets a default and a
warning, file:line:col on standard error. The result always loads and plays.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "export a scenario as a Twine (Twee 3) story, or import one as a scenario"
TWEE_SUFFIXES = (".twee", ".tw", ".twee3", ".tw3")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = sub.add_parser(
        "export",
        help="write a scenario as a Twee 3 story",
        description="Write a scenario as a Twee 3 story: a passage per state, a [[link]] per choice, "
        "every other detail in passage metadata and a passage tagged 'groupsim'.",
    )
    e.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    e.add_argument("-o", "--output", metavar="OUT", help="write the story to this file (default: standard output)")
    i = sub.add_parser(
        "import",
        help="read a Twee 3 story (one or more files) as a scenario",
        description="Read a Twee 3 story as a scenario: passages become states, links become choices. "
        "Several files (or a folder of .twee files) are read as one story.",
    )
    i.add_argument(
        "files", nargs="+", metavar="FILE.twee", help="Twee files, or folders of them, read in order as one story"
    )
    i.add_argument("-o", "--output", metavar="OUT", help="write the scenario to this file (default: standard output)")


def run(args: argparse.Namespace) -> int:
    return _export(args) if args.action == "export" else _import(args)


def _write(text: str, out: str | None, command: str) -> bool:
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return True
    try:
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as exc:
        print(f"groupsim twee {command}: cannot write '{out}': {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _export(args: argparse.Namespace) -> int:
    from simulator.authoring.twee import export_twee
    from simulator.commands import load_one

    if Path(args.file).is_dir():
        print(f"groupsim twee export: '{args.file}' is a folder; give one scenario file", file=sys.stderr)
        return 1
    scenario, code = load_one(args.file, "twee export")
    if scenario is None:
        return code
    if args.output and Path(args.output).resolve() == Path(scenario.source).resolve():
        print(
            "groupsim twee export: the output would overwrite the scenario itself; choose another -o", file=sys.stderr
        )
        return 1
    return 0 if _write(export_twee(scenario), args.output, "export") else 1


def _import(args: argparse.Namespace) -> int:
    from simulator.authoring.twee import TweeError, import_twee

    paths: list[Path] = []
    for name in args.files:
        p = Path(name)
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.suffix.lower() in TWEE_SUFFIXES and f.is_file())
            if not inside:
                print(
                    f"groupsim twee import: no Twee files ({', '.join(TWEE_SUFFIXES)}) in the folder '{p}'",
                    file=sys.stderr,
                )
                return 1
            paths.extend(inside)
        else:
            paths.append(p)
    if args.output and any(Path(args.output).resolve() == p.resolve() for p in paths):
        print(
            "groupsim twee import: the output would overwrite one of the Twee files read; choose another -o",
            file=sys.stderr,
        )
        return 1
    sources = []
    for p in paths:
        try:
            sources.append((str(p), p.read_bytes()))
        except OSError as exc:
            print(f"groupsim twee import: cannot read '{p}': {exc.strerror or exc}", file=sys.stderr)
            return 1
    try:
        result = import_twee(sources)
    except TweeError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        print("groupsim twee import: the story could not be read; nothing was written", file=sys.stderr)
        return 1
    out_name = args.output or "<stdout>"
    for d in result.diagnostics:
        # Problems in the scenario itself are placed in the YAML written, not the Twee read.
        print(
            d if d.path != "<imported scenario>" else str(d).replace("<imported scenario>", out_name, 1),
            file=sys.stderr,
        )
    if not _write(result.yaml, args.output, "import"):
        return 1
    warnings = sum(d.severity == "warning" for d in result.diagnostics)
    files = f"{len(paths)} file{'s' * (len(paths) != 1)}"
    summary = f"{result.passages} passages from {files} became {result.states} states ({warnings} warning{'s' * (warnings != 1)})"
    if not result.ok:
        print(f"groupsim twee import: {summary}, but the scenario does not load; see the errors above", file=sys.stderr)
        return 1
    check = f"; check it with 'groupsim validate {args.output}'" if args.output else ""
    print(f"groupsim twee import: {summary}{check}", file=sys.stderr)
    return 0
