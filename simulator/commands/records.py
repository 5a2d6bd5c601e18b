"""Look after the records database: where it is, and deleting a trainee's runs.

    groupsim records where
    groupsim records delete --trainee "Ann Smith"
Deleting removes the trainee's runs with every decision, event and reflection in them,
and overwrites the freed space, so the name and answers do not linger in the file.
"""

from __future__ import annotations

import argparse
import sys

HELP = "show where the records are kept, or delete a trainee's runs"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands.report import add_db_argument

    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    where = sub.add_parser("where", help="print the path of the records database and what it holds")
    add_db_argument(where)
    delete = sub.add_parser("delete", help="delete every run of one trainee")
    delete.add_argument("--trainee", metavar="NAME", required=True, help="the trainee's name, exactly as entered")
    delete.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (needed when not at a terminal)"
    )
    add_db_argument(delete)


def run(args: argparse.Namespace) -> int:
    from simulator.records.store import RecordsError, Store, resolve_path

    prog = f"groupsim records {args.action}"
    try:
        if args.action == "where":
            path = resolve_path(args.db)
            if not path.exists():
                print(f"{path} (not created yet)")
                return 0
            with Store.open(args.db, create=False) as store:
                n = store.read("SELECT COUNT(*) AS n, COUNT(DISTINCT trainee) AS t FROM runs")[0]
                print(f"{store.path}\n{n['n']} run(s) by {n['t']} trainee(s); schema version {store.version}")
            return 0
        with Store.open(args.db, create=False) as store:
            return _delete(store, args, prog)
    except RecordsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1


def _delete(store, args: argparse.Namespace, prog: str) -> int:
    import contextlib
    import sqlite3

    from simulator.records.queries import check_known

    name = args.trainee.strip()
    check_known(store, trainee=name)
    counts = store.read(
        "SELECT COUNT(*) AS runs, (SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.trainee = ?1) AS steps"
        " FROM runs WHERE trainee = ?1",
        (name,),
    )[0]
    what = f"{counts['runs']} run(s) with {counts['steps']} decision(s) of trainee '{name}' from {store.path}"
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                f"{prog}: this would delete {what}; add --yes to confirm (input is not a terminal, so I cannot ask)",
                file=sys.stderr,
            )
            return 1
        answer = input(f"Delete {what}? This cannot be undone. [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing deleted.")
            return 1

    def delete(conn) -> int:
        # Steps and events first: steps point at the rewind events that took them back.
        ids = "SELECT id FROM runs WHERE trainee = ?"
        conn.execute(f"DELETE FROM steps WHERE run_id IN ({ids})", (name,))
        conn.execute(f"DELETE FROM events WHERE run_id IN ({ids})", (name,))
        conn.execute(f"DELETE FROM reflections WHERE run_id IN ({ids})", (name,))
        return int(conn.execute("DELETE FROM runs WHERE trainee = ?", (name,)).rowcount)

    # secure_delete overwrites the freed pages; the checkpoint then clears the WAL of the old pages.
    store.conn.execute("PRAGMA secure_delete = ON")
    n = store.write(delete)
    # Another process reading: the WAL is cleared at its next checkpoint.
    with contextlib.suppress(sqlite3.Error):
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"Deleted {n} run(s) of trainee '{name}'.")
    return 0
