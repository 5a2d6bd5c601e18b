"""Print the recorded runs for a spreadsheet or a gradebook: one row per run, then how often
each choice was taken at each decision of each scenario.

The records database is the one `groupsim play` writes: --db PATH, else $GROUPSIM_DB, else
the user's data directory. CSV writes the runs table, a blank line, then the choices table;
use --table runs or --table choices for one clean table.
    groupsim report --scenario confidentiality-breach --format csv --anonymise > cohort.csv
    groupsim report --trainee "ann smith" --outcome unfinished --since 2025-03-01

The filters are the ones `groupsim review` offers, and match the same runs there:
  --trainee    the whole name, ignoring case and extra spaces ("ann  SMITH" is "Ann Smith";
               "Ann" alone is not)
  --scenario   the scenario's id, exactly
  --since, --until
               the UTC day a run started on, both days included
  --outcome    strong, mixed or poor: a finished run with that outcome; unfinished: a run
               not finished (still active, even past its ending, or abandoned)
The choices table counts the decisions of the runs the filters let through.

The report only reads: the database is opened read-only, so an archived copy (even on
a read-only disk) can be reported on. Control characters in names and scenario text
are shown as visible stand-ins in CSV and Markdown (an escape sequence becomes ␛[2J,
and so on), and written as \\u escapes in JSON, which keeps the exact text.
"""

from __future__ import annotations

import argparse
import sys

HELP = "print recorded runs and choice counts as CSV, JSON or Markdown"


def add_db_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", metavar="PATH", help="the records database (default: $GROUPSIM_DB, else the user's data directory)"
    )


OUTCOMES = ("strong", "mixed", "poor", "unfinished")
"""What --outcome takes (the same words as `simulator.records.queries.RESULTS`, which this module must not import)."""


def add_filter_arguments(p: argparse.ArgumentParser) -> None:
    """--trainee, --since, --until and --outcome, matched as the module's docstring says."""
    p.add_argument(
        "--trainee", metavar="NAME", help="only runs of this trainee (the whole name, ignoring case and extra spaces)"
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only runs started on or after this day (UTC)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only runs started on or before this day (UTC)")
    p.add_argument(
        "--outcome",
        choices=OUTCOMES,
        help="only finished runs with this outcome, or with 'unfinished' only runs not finished (active or abandoned)",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="ID", help="only runs of this scenario")
    add_filter_arguments(p)
    p.add_argument("--format", choices=("csv", "json", "md"), default="csv", help="output format (default: csv)")
    p.add_argument("--table", choices=("runs", "choices"), help="print only this table (default: both)")
    p.add_argument(
        "--anonymise",
        "--anonymize",
        action="store_true",
        help="replace trainees' names with stable pseudonyms such as trainee-3f9a2c",
    )
    add_db_argument(p)


def run(args: argparse.Namespace) -> int:
    from simulator.play.text import visible
    from simulator.records.queries import RunFilter, check_filter
    from simulator.records.report import TABLES, build, render
    from simulator.records.store import RecordsError, Store

    try:
        with Store.open(args.db, read_only=True) as store:
            run_filter = RunFilter.parse(
                trainee=args.trainee, scenario=args.scenario, since=args.since, until=args.until, outcome=args.outcome
            )
            check_filter(store, run_filter)
            report = build(store, run_filter, anonymise=args.anonymise)
    except RecordsError as exc:
        print(f"groupsim report: {visible(str(exc))}", file=sys.stderr)
        return 1
    sys.stdout.write(render(report, args.format, (args.table,) if args.table else TABLES))
    return 0
