"""Check scenario files and folders; print one problem a line as path:line:col: severity: message.

Exit status: 0 when clean, 1 on any error (or any warning with --strict), 2 on bad usage."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "check scenario files for errors and warnings"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders of them")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.diagnostics import Diagnostic
    from simulator.authoring.validate import check_file, scenario_files

    results: list[tuple[str, list[Diagnostic]]] = []
    for f in scenario_files(Path(p) for p in args.paths):
        if isinstance(f, str):
            results.append((f, [Diagnostic(f, 1, 1, "error", "no such file or folder")]))
        else:
            results.append((str(f), check_file(f)))
    if not results:
        print(f"groupsim validate: no scenario files (*.yaml) in {', '.join(args.paths)}", file=sys.stderr)
        return 2
    errors = sum(d.severity == "error" for _, ds in results for d in ds)
    warns = sum(d.severity == "warning" for _, ds in results for d in ds)
    failed = errors > 0 or (args.strict and warns > 0)
    if args.format == "json":
        json.dump(
            {
                "files": [{"path": p, "diagnostics": [d.to_json() for d in ds]} for p, ds in results],
                "errors": errors,
                "warnings": warns,
                "ok": not failed,
            },
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
    else:
        for _, ds in results:
            for d in ds:
                print(d)
        n = len(results)
        summary = f"{n} file{'s' * (n != 1)} checked: {errors} error{'s' * (errors != 1)}, {warns} warning{'s' * (warns != 1)}"
        print(
            summary + (" (warnings count as errors with --strict)" if args.strict and warns and not errors else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0
