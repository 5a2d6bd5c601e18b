"""Exchange scenarios with Twine through Twee 3, Twine's text format.

    groupsim twee export scenarios/subgrouping.yaml -o subgrouping.twee
    groupsim twee import story.twee -o scenarios/my-story.yaml
    groupsim twee import src/ -o scenarios/my-story.yaml       (a story split over files)
    groupsim twee import subgrouping.twee --into scenarios/subgrouping.yaml

Export writes a passage per state, the members' lines as `**Name:** words` and a [[link]]
per choice, with every other detail in the passages' metadata, so Twine's story map shows
the scenario. Import reads any Twee 3 story; what Twine cannot say (ratings, feedback,
meters) gets a default and a warning, file:line:col on standard error. `--into` merges a
story edited in Twine back into its scenario, keeping what Twine dropped, and writes the
file only once the result loads. No file is overwritten without its previous version
being kept beside it (FILE.bak).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.authoring.twee import Imported

HELP = "export a scenario as a Twine (Twee 3) story, or import one as a scenario"
TWEE_SUFFIXES = (".twee", ".tw", ".twee3", ".tw3")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = sub.add_parser(
        "export",
        help="write a scenario as a Twee 3 story",
        description="Write a scenario as a Twee 3 story: a passage per state, the members' lines as "
        "'**Name:** words', a [[link]] per choice, every other detail in passage metadata and a passage "
        "tagged 'groupsim'. An existing OUT is kept as OUT.bak before it is replaced.",
    )
    e.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    e.add_argument("-o", "--output", metavar="OUT", help="write the story to this file (default: standard output)")
    i = sub.add_parser(
        "import",
        help="read a Twee 3 story (one or more files) as a scenario, or merge it into one (--into)",
        description="Read a Twee 3 story as a scenario: passages become states, links become choices. "
        "Several files (or a folder of .twee files) are read as one story. With --into, merge a story "
        "edited in Twine into the scenario it came from: passages keep their state's ratings, feedback, "
        "effects, conditions and time limits, and take their text and links from the story; the changes "
        "are listed, and the file is written only if the result loads. An existing file that is replaced "
        "is kept beside it as FILE.bak (FILE.bak2, ... when that is taken).",
    )
    i.add_argument(
        "files", nargs="+", metavar="FILE.twee", help="Twee files, or folders of them, read in order as one story"
    )
    i.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the scenario to this file (default: standard output; with --into, the scenario's own file)",
    )
    i.add_argument(
        "--into",
        metavar="FILE.yaml",
        help="merge the story into this scenario (a file, or a shipped scenario's id) and write the result "
        "back to it, keeping the previous version as FILE.yaml.bak; with -o, write the result there and "
        "leave FILE.yaml as it is",
    )


def run(args: argparse.Namespace) -> int:
    return _export(args) if args.action == "export" else _import(args)


def _backup_name(path: Path) -> Path:
    """The first free name of FILE.bak, FILE.bak2, FILE.bak3 ..."""
    n = 1
    while True:
        candidate = path.with_name(f"{path.name}.bak{n if n > 1 else ''}")
        if not candidate.exists():
            return candidate
        n += 1


def _write(text: str, out: str | None, command: str) -> bool:
    """Write `text` to `out` (standard output if None). An existing file with other
    contents is first kept as OUT.bak (or .bak2 ...), and said so: nothing is lost."""
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return True
    path = Path(out)
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.groupsim-tmp")
    try:
        if path.is_dir():
            print(f"groupsim twee {command}: '{out}' is a folder; give a file name to write", file=sys.stderr)
            return False
        if path.exists() and path.read_bytes() == data:
            return True
        tmp.write_bytes(data)
        if path.exists():
            backup = _backup_name(path)
            os.replace(path, backup)
            print(f"groupsim twee {command}: the previous '{out}' is kept as '{backup}'", file=sys.stderr)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
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


def _story_files(names: list[str], command: str) -> list[Path] | None:
    paths: list[Path] = []
    for name in names:
        p = Path(name)
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.suffix.lower() in TWEE_SUFFIXES and f.is_file())
            if not inside:
                print(
                    f"groupsim {command}: no Twee files ({', '.join(TWEE_SUFFIXES)}) in the folder '{p}'",
                    file=sys.stderr,
                )
                return None
            paths.extend(inside)
        else:
            paths.append(p)
    return paths


def _read(paths: list[Path], command: str) -> list[tuple[str, bytes]] | None:
    sources = []
    for p in paths:
        try:
            sources.append((str(p), p.read_bytes()))
        except OSError as exc:
            print(f"groupsim {command}: cannot read '{p}': {exc.strerror or exc}", file=sys.stderr)
            return None
    return sources


def _import(args: argparse.Namespace) -> int:
    from simulator.authoring.twee import TweeError, import_twee

    if args.into:
        return _merge(args)
    paths = _story_files(args.files, "twee import")
    if paths is None:
        return 1
    if args.output and any(Path(args.output).resolve() == p.resolve() for p in paths):
        print(
            "groupsim twee import: the output would overwrite one of the Twee files read; choose another -o",
            file=sys.stderr,
        )
        return 1
    sources = _read(paths, "twee import")
    if sources is None:
        return 1
    try:
        result = import_twee(sources)
    except TweeError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        print("groupsim twee import: the story could not be read; nothing was written", file=sys.stderr)
        return 1
    _print_diagnostics(result, "<imported scenario>", args.output or "<stdout>")
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


def _print_diagnostics(result: Imported, placeholder: str, out_name: str) -> None:
    for d in result.diagnostics:
        # Problems in the scenario itself are placed in the YAML written, not the Twee read.
        print(d if d.path != placeholder else str(d).replace(placeholder, out_name, 1), file=sys.stderr)


def _comments(text: str) -> tuple[list[str], list[int]]:
    """The comment lines that open a YAML file (without their '#'), and the line numbers
    of the other lines that are only a comment."""
    rows = text.split("\n")
    header: list[str] = []
    n = 0
    while n < len(rows) and rows[n].startswith("#"):
        header.append(rows[n][2:] if rows[n].startswith("# ") else rows[n][1:])
        n += 1
    return header, [k + 1 for k in range(n, len(rows)) if rows[k].lstrip().startswith("#")]


def _merge(args: argparse.Namespace) -> int:
    from simulator.authoring.twee import MERGED, TweeError, merge_twee
    from simulator.commands import load_one

    command = "twee import --into"
    paths = _story_files(args.files, command)
    if paths is None:
        return 1
    base, code = load_one(args.into, command)
    if base is None:
        return code
    into = Path(base.source)
    out = Path(args.output) if args.output else into
    if any(out.resolve() == p.resolve() for p in paths):
        print(
            f"groupsim {command}: the result would overwrite one of the Twee files read; choose another -o",
            file=sys.stderr,
        )
        return 1
    sources = _read(paths, command)
    if sources is None:
        return 1
    try:
        before = into.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"groupsim {command}: cannot read '{into}': {exc}", file=sys.stderr)
        return 1
    header, inner = _comments(before)
    try:
        result = merge_twee(sources, base, header or None)
    except TweeError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        print(f"groupsim {command}: nothing was merged; '{out}' was not changed", file=sys.stderr)
        return 1
    _print_diagnostics(result, MERGED, str(out))
    if not result.ok:
        print(
            f"groupsim {command}: the merged scenario does not load (see the errors above), so nothing was "
            f"written and '{out}' was not changed; fix the story or '{into}' and merge again",
            file=sys.stderr,
        )
        return 1
    if result.same and out == into:
        print(f"groupsim {command}: the story changes nothing in '{into}'; it is left as it was", file=sys.stderr)
        return 0
    _report(result, into)
    kept = set(result.yaml.split("\n"))
    lost = [n for n in inner if before.split("\n")[n - 1] not in kept]
    if out.exists() and out.read_text(encoding="utf-8") == result.yaml:
        print(f"groupsim {command}: nothing changed; '{out}' is as it was", file=sys.stderr)
        return 0
    if not _write(result.yaml, str(out), "import --into"):
        return 1
    if lost:
        where = f"'{into}'" if out != into else "the previous version (the .bak file named above)"
        shown = ", ".join(map(str, lost[:8])) + (", ..." if len(lost) > 8 else "")
        print(
            f"groupsim {command}: the file is written anew in groupsim's layout; the comments on lines {shown} "
            f"of '{into}' are not in it — they are kept in {where}",
            file=sys.stderr,
        )
    print(
        f"groupsim {command}: merged {len(paths)} file{'s' * (len(paths) != 1)} into '{out}' "
        f"({result.states} states); check it with 'groupsim validate {out}'",
        file=sys.stderr,
    )
    return 0


def _report(result: Imported, into: Path) -> None:
    """What the merge changed, passage by passage."""
    if not result.changes:
        print("groupsim twee import --into: no passage changed", file=sys.stderr)
        return
    by_passage: dict[str, list[str]] = {}
    for passage, what in result.changes:
        by_passage.setdefault(passage, []).append(what)
    same = f"{result.unchanged} passage{'s' * (result.unchanged != 1)} unchanged"
    print(f"Changes from the story ({same}):", file=sys.stderr)
    for passage, whats in by_passage.items():
        print(f"  {passage}: " + "; ".join(whats), file=sys.stderr)
