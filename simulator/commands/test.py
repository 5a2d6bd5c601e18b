"""Run the checks that scenarios carry in their `tests:` section, like a test runner.

One line per test, PASS or FAIL with the file, line and name; under each failure,
what was expected and what happened; last, a line 'N passed, N failed'. A file
that does not load counts as one failure. Exit status: 0 when every test passes,
1 on any failure, 2 on bad usage (no scenario files found).

The same tests run under pytest: 'pytest scenarios/'.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "run the tests written in scenarios' tests: sections"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="FILE|DIR", help="scenario files, or folders of them")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.library import SUFFIXES, load_file
    from simulator.authoring.scenario_tests import describe, kind, run_all

    files: list[Path | str] = []
    for raw in args.paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.suffix in SUFFIXES
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                print(f"groupsim test: no scenario files (*.yaml) in {raw}", file=sys.stderr)
            files += found
        elif p.is_file():
            files.append(p)
        else:
            files.append(raw)
    if not files:
        return 2

    passed = failed = 0
    records: list[dict[str, Any]] = []
    lines: list[str] = []
    for f in files:
        if isinstance(f, str):
            failed += 1
            lines.append(f"FAIL  {f}  (no such file or folder)")
            records.append(
                {"file": f, "line": None, "name": None, "passed": False, "problems": ["no such file or folder"]}
            )
            continue
        loaded = load_file(f)
        if loaded.scenario is None:
            failed += 1
            lines.append(f"FAIL  {f}  (the scenario does not load)")
            lines += [f"      {d}" for d in loaded.errors]
            records.append(
                {
                    "file": str(f),
                    "line": None,
                    "name": None,
                    "passed": False,
                    "problems": [str(d) for d in loaded.errors],
                }
            )
            continue
        if loaded.test_errors:
            # The scenario plays, but its tests: section has mistakes: each counts as a failure.
            failed += len(loaded.test_errors)
            lines.append(f"FAIL  {f}  (its tests: section has mistakes, so those tests cannot run)")
            lines += [f"      {d}" for d in loaded.test_errors]
            records.append(
                {
                    "file": str(f),
                    "line": loaded.test_errors[0].line,
                    "name": None,
                    "passed": False,
                    "problems": [str(d) for d in loaded.test_errors],
                }
            )
        for r in run_all(loaded.scenario):
            t = r.test
            where = f"{f}:{t.pos.line}" if t.pos.line else str(f)
            if r.passed:
                passed += 1
                lines.append(f"PASS  {where}  {t.name}")
            else:
                failed += 1
                lines.append(f"FAIL  {where}  {t.name}")
                lines += [f"      {d}" for d in describe(r)]
            records.append(
                {
                    "file": str(f),
                    "line": t.pos.line or None,
                    "name": t.name,
                    "kind": kind(t),
                    "passed": r.passed,
                    "problems": list(r.problems),
                    "route": list(r.route),
                }
            )
    summary = f"{passed} passed, {failed} failed"
    if args.json:
        json.dump({"tests": records, "passed": passed, "failed": failed}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for line in lines:
            print(line)
        if passed + failed == 0:
            print("groupsim test: none of these scenarios has a tests: section", file=sys.stderr)
        print(summary)
    return 1 if failed else 0
