"""Print the scenario format's JSON Schema (Draft 2020-12), or point scenario files at it.

Editors that support yaml-language-server (VS Code's YAML extension, and others) give
completion, hover help and checking in a scenario whose first line names the schema:
    # yaml-language-server: $schema=file:///.../simulator/schema/scenario.schema.json
`groupsim new` writes that line. For a file written another way, or after groupsim was
reinstalled somewhere else, write or update it in place (the rest of each file is left
exactly as it was):
    groupsim schema --header late-arrival.yaml
    groupsim schema --header my-scenarios/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "print the scenario format's JSON Schema, or write the editor header into scenario files"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--header",
        nargs="+",
        metavar="FILE",
        help="write or update the editor header line at the top of these scenario files (or of every "
        "*.yaml file in a folder) so that it points to this groupsim's schema; nothing else changes",
    )


def run(args: argparse.Namespace) -> int:
    from simulator.schema import schema_text

    if args.header:
        return _write_headers(args.header)
    sys.stdout.write(schema_text())
    return 0


def _write_headers(paths: list[str]) -> int:
    from simulator.authoring.files import replace_file
    from simulator.authoring.validate import scenario_files
    from simulator.schema import find_header, header_for, header_target, with_header

    failed = False
    seen = 0

    def problem(where: object, message: str) -> None:
        nonlocal failed
        failed = True
        print(f"groupsim schema: {where}: {message}", file=sys.stderr)

    for path in scenario_files(Path(p) for p in paths):
        seen += 1
        if isinstance(path, str):
            problem(path, "no such file or folder")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem(path, f"cannot read it: {exc.strerror or exc}")
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problem(path, "it is not UTF-8 text, so it was left alone; save it as UTF-8 in your editor first")
            continue
        header = header_for(path.parent)
        if header is None:
            problem(path, "this groupsim's schema is not a file on disk, so no header can point to it")
            continue
        new = with_header(text, header)
        if new == text:
            print(f"{path}: the header already points to the schema")
            continue
        old = find_header(text)
        try:
            replace_file(path, new.encode("utf-8"))
        except OSError as exc:
            problem(path, f"cannot write it: {exc.strerror or exc}; the file is unchanged")
            continue
        if old is None:
            print(f"{path}: header added")
        else:
            before = header_target(old[1], path.parent)
            gone = before is not None and not before.is_file()
            print(f"{path}: header updated" + (f" (it pointed to {before}, which does not exist)" if gone else ""))
    if not seen:
        print(f"groupsim schema: no scenario files (*.yaml) in {', '.join(paths)}", file=sys.stderr)
        return 1
    return 1 if failed else 0
