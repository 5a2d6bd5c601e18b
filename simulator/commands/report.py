"""Print the recorded runs for a spreadsheet or a gradebook: one row per run, then how often
each choice was taken at each decision of each scenario.

The records database is the one `groupsim play` writes: --db PATH, else $GROUPSIM_DB, else
the user's data directory. CSV writes the runs table, a blank line, then the choices table;
use --table runs or --table choices for one clean table.
    groupsim report --scenario confidentiality-breach --format csv --anonymise > cohort.csv
"""

from __future__ import annotations

import argparse
import sys

HELP = "print recorded runs and choice counts as CSV, JSON or Markdown"


def add_db_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", metavar="PATH", help="the records database (default: $GROUPSIM_DB, else the user's data directory)"
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="ID", help="only runs of this scenario")
    p.add_argument("--trainee", metavar="NAME", help="only runs of this trainee (the name exactly as entered)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only runs started on or after this day (UTC)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only runs started on or before this day (UTC)")
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
    from simulator.records.export import TABLES, build, render
    from simulator.records.queries import check_known
    from simulator.records.store import RecordsError, Store

    try:
        with Store.open(args.db, create=False) as store:
            check_known(store, trainee=args.trainee, scenario=args.scenario)
            data = build(
                store,
                anonymise=args.anonymise,
                trainee=args.trainee,
                scenario=args.scenario,
                since=args.since,
                until=args.until,
            )
    except RecordsError as exc:
        print(f"groupsim report: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(render(data, args.format, (args.table,) if args.table else TABLES))
    return 0
