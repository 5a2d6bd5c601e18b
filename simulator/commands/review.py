"""Open the supervisor's review of recorded runs in the terminal.

Every run in a table, filtered by trainee, scenario, outcome and date. Enter opens a
run's record: each decision (those a rewind took back shown as such), the ending and
the trainee's reflections. c opens the cohort view of the highlighted run's scenario:
for each decision, how often each choice was taken, as a bar labelled with its rating,
and the average meters at each ending. The records database is the one `groupsim play`
writes (see `groupsim report`).

The filters match the runs `groupsim report` prints for the same options: a trainee
is picked from the names recorded (a name differing only in case or spacing is the
same trainee; with --anonymise the pseudonyms are listed); the outcome is strong,
mixed or poor for a finished run with that outcome, unfinished for a run not finished
(still active, even past its ending, or abandoned), the word the table shows; dates
are the UTC day a run started on, both days included.

The review only reads: the database is opened read-only (an archived copy can be
reviewed), and is checked first, so a damaged one is named with what to do instead of
failing midway. Control characters in names and scenario text are shown as visible
stand-ins (an escape sequence becomes ␛[2J), never sent to the terminal.
"""

from __future__ import annotations

import argparse
import sys

HELP = "review recorded runs, each run's record and a cohort view per scenario (full screen)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands.report import add_db_argument

    p.add_argument("--scenario", metavar="ID", help="start filtered to this scenario")
    p.add_argument(
        "--trainee",
        metavar="NAME",
        help="start filtered to this trainee (the whole name, ignoring case and extra spaces)",
    )
    p.add_argument("--anonymise", "--anonymize", action="store_true", help="show pseudonyms instead of names")
    add_db_argument(p)


def run(args: argparse.Namespace) -> int:
    from simulator.play.text import visible
    from simulator.records.queries import RunFilter, check_filter
    from simulator.records.store import RecordsError, Store

    try:
        store = Store.open(args.db, read_only=True)
        try:
            check_filter(store, RunFilter(trainee=args.trainee, scenario=args.scenario))
        except RecordsError:
            store.close()
            raise
    except RecordsError as exc:
        print(f"groupsim review: {visible(str(exc))}", file=sys.stderr)
        return 1
    if not sys.stdout.isatty():
        store.close()
        print("groupsim review: needs a terminal; for the same data as text use 'groupsim report'", file=sys.stderr)
        return 2
    from simulator.tui.review.app import make_app

    with store:
        app = make_app(store, trainee=args.trainee, scenario=args.scenario, anonymise=args.anonymise)
        app.run()
    if app.problem is not None:
        print(f"groupsim review: {visible(app.problem)}", file=sys.stderr)
        return 1
    return int(app.return_code or 0)
