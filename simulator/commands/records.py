"""Look after the records database: where it is and whether it is sound, trainees' time
accommodations, and deleting a trainee's runs.

    groupsim records where
    groupsim records accommodate --trainee "Ann Smith" --time 2x
    groupsim records accommodations
    groupsim records delete --trainee "Ann Smith"

`where` prints the database's path, what it holds, and whether SQLite's check finds
it sound; it only reads.

`accommodate` grants a trainee a time accommodation for timed decisions (WCAG 2.2.1):
1.5x or 2x as long, or no time limits (off); `--time none` clears it. It is kept in the
records and applies to every later run of that trainee, practice or assessment, with
no flag to remember: a run gets the more generous of it and `groupsim play` or `serve`'s
`--time-accommodation`. The name matches as in `groupsim report --trainee`: the whole
name, in any case and spacing. `accommodations` lists who has what, since when.

Deleting removes the trainee's runs with every decision, event and reflection in them,
and the time accommodation granted to that name if any, and overwrites the freed space,
so the name and answers do not linger in the file. That last step needs a moment when
no other program is reading the database: it waits for one (up to half a minute) and
says plainly whether it came. If it did not, run the same command again once the
programs using the database are closed; it finishes the job.

Debrief exports are files outside the records: `groupsim play` writes them where the
trainee played (./groupsim-exports unless --export-dir said otherwise). Those recorded
for the trainee's runs are listed, and deleted too when you say so (--yes does, unless
--keep-exports). Only the Markdown and JSON files groupsim recorded, on this computer,
are deleted; a file moved, already deleted or on another computer is named as such.
"""

from __future__ import annotations

import argparse
import sys

HELP = "show where the records are kept and check them, grant trainees more time, or delete a trainee's runs"

CLEAR_WAIT_S = 30.0
"""How long `delete` waits for other programs to stop reading before it says the deleted text is still in the file."""
PENDING = "deleted_text_remains"
"""The `meta` key set while the text of deleted runs may still be in the file (a deletion that could not finish)."""
EXPORT_SUFFIXES = (".md", ".json")
"""The only files `delete` removes: the debrief's exports."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands.report import add_db_argument

    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    where = sub.add_parser("where", help="print the path of the records database, what it holds, and check it")
    add_db_argument(where)
    accommodate = sub.add_parser(
        "accommodate",
        help="grant a trainee more time (or no time limits) in every later run, assessment too; --time none clears it",
        description="Grant a trainee a time accommodation, kept in the records: every later run of theirs "
        "(practice and assessment) gets the more generous of it and what `groupsim play --time-accommodation` "
        "allows. `groupsim records accommodations` lists them.",
    )
    accommodate.add_argument(
        "--trainee",
        metavar="NAME",
        required=True,
        help="the trainee's name (the whole name, ignoring case and extra spaces, as `report --trainee`)",
    )
    accommodate.add_argument(
        "--time",
        choices=("none", "1.5x", "2x", "off"),
        required=True,
        help="1.5x or 2x as long on timed decisions, off for no time limits, none to clear what was granted",
    )
    add_db_argument(accommodate)
    accommodations = sub.add_parser(
        "accommodations", help="list the trainees granted a time accommodation: who has what, since when"
    )
    add_db_argument(accommodations)
    delete = sub.add_parser("delete", help="delete every run of one trainee (and, if you say so, their exports)")
    delete.add_argument("--trainee", metavar="NAME", required=True, help="the trainee's name, exactly as entered")
    delete.add_argument(
        "--yes",
        action="store_true",
        help="do not ask for confirmation (needed when not at a terminal); deletes the listed exports too",
    )
    delete.add_argument(
        "--keep-exports", action="store_true", help="leave the trainee's debrief export files where they are"
    )
    add_db_argument(delete)


def run(args: argparse.Namespace) -> int:
    from simulator.play.text import visible
    from simulator.records.store import NoRecordsYet, RecordsError, Store, resolve_path

    prog = f"groupsim records {args.action}"
    try:
        if args.action == "where":
            path = resolve_path(args.db)
            if not path.exists():
                print(visible(f"{path} (not created yet: no runs are recorded yet)"))
                return 0
            try:
                store = Store.open(args.db, read_only=True)
            except NoRecordsYet:
                print(visible(f"{path} (empty: no runs are recorded yet)"))
                return 0
            with store:
                _where(store)
            return 0
        if args.action == "accommodations":
            return _accommodations(args)
        if args.action == "accommodate":
            if not args.trainee.split():
                print(f"{prog}: --trainee needs a name", file=sys.stderr)
                return 2
            with Store.open(args.db) as store:
                return _accommodate(store, args, prog)
        with Store.open(args.db, create=False) as store:
            return _delete(store, args, prog)
    except RecordsError as exc:
        print(f"{prog}: {visible(str(exc))}", file=sys.stderr)
        return 1


def _where(store) -> None:
    from simulator.play.text import visible
    from simulator.records.store import latest_version

    n = store.read("SELECT COUNT(*) AS n, COUNT(DISTINCT trainee) AS t FROM runs")[0]
    version = f"schema version {store.file_version}"
    if store.file_version < latest_version():
        version += f" (groupsim brings it up to {latest_version()} the next time it records into it)"
    print(visible(f"{store.path}\n{n['n']} run(s) by {n['t']} trainee(s); {version}; checked: no damage found"))
    if store.meta(PENDING):
        print(
            "Some deleted runs' text is still in the file (another program was reading it at the time); "
            "run `groupsim records delete --trainee NAME` again, with NAME as then, to overwrite it."
        )


TIME_WORDS = {
    "1.5x": "one and a half times as long",
    "2x": "twice as long",
    "off": "no time limits",
}
"""What each time accommodation means, in `accommodate` and `accommodations`."""


def _since(stamp: str) -> str:
    return f"{stamp[:16].replace('T', ' ')} UTC"


def _accommodate(store, args: argparse.Namespace, prog: str) -> int:
    from simulator.play.text import visible
    from simulator.records.accommodations import CLEAR, grant, tidy
    from simulator.records.queries import trainees_named

    name = tidy(args.trainee)
    store.conn.execute("PRAGMA secure_delete = ON")  # a grant replaced or cleared leaves nothing behind
    before = grant(store, name, args.time)
    was = f" (was {before.time}, since {_since(before.granted_at)})" if before is not None else ""
    if args.time == CLEAR:
        if before is None:
            print(visible(f"Trainee '{name}' had no time accommodation in {store.path}; nothing changed."))
        else:
            print(
                visible(
                    f"Cleared the time accommodation of trainee '{before.trainee}'{was}: their later runs have the "
                    "time `groupsim play --time-accommodation` allows."
                )
            )
        return 0
    print(
        visible(
            f"Trainee '{name}' now has {args.time} ({TIME_WORDS[args.time]}) on timed decisions in every later run, "
            f"practice and assessment{was}. Kept in {store.path}."
        )
    )
    if not trainees_named(store, name):
        print(
            visible(
                f"No runs of a trainee named '{name}' are recorded yet: it applies when they play under this name "
                "(in any case and spacing). Check the spelling if they have played already."
            )
        )
    return 0


def _accommodations(args: argparse.Namespace) -> int:
    from simulator.play.text import visible
    from simulator.records.accommodations import granted
    from simulator.records.store import NoRecordsYet, Store

    try:
        store = Store.open(args.db, read_only=True)
    except NoRecordsYet as exc:
        print(visible(f"No time accommodations are granted ({exc})."))
        return 0
    with store:
        grants = granted(store)
        if not grants:
            print(visible(f"No time accommodations are granted in {store.path}."))
            return 0
        print(visible(f"Time accommodations in {store.path} ({len(grants)}):"))
        for g in grants:
            print(visible(f"  {g.trainee}: {g.time} ({TIME_WORDS.get(g.time, g.time)}), since {_since(g.granted_at)}"))
    return 0


def _delete(store, args: argparse.Namespace, prog: str) -> int:
    from simulator.play.text import visible
    from simulator.records.accommodations import accommodation_for, put
    from simulator.records.queries import check_known, exported_files

    name = args.trainee.strip()
    runs = store.read("SELECT COUNT(*) AS n FROM runs WHERE trainee = ?", (name,))[0]["n"]
    if not runs and store.meta(PENDING):
        # Asked again after a deletion that could not overwrite its text: finish that.
        print(visible(f"No runs of trainee '{name}' are left in {store.path}; overwriting the text of deleted runs."))
        return _clear(store, args, prog)
    check_known(store, trainee=name)
    counts = store.read(
        "SELECT COUNT(*) AS runs, (SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.trainee = ?1) AS steps,"
        " SUM(host IS NULL) AS old FROM runs WHERE trainee = ?1",
        (name,),
    )[0]
    what = f"{counts['runs']} run(s) with {counts['steps']} decision(s) of trainee '{name}' from {store.path}"
    exports = exported_files(store, name)
    delete_exports = bool(exports) and not args.keep_exports
    if exports:
        print(visible(f"Their debrief was exported to {len(exports)} file(s) outside the records:"))
        for f in exports:
            print(visible(f"  {f.path}{_where_file(f)}"))
    granted = accommodation_for(store, name)
    if granted != "none":
        print(
            visible(f"Their time accommodation ({granted}) is kept in the records too, and is deleted with the runs.")
        )
    if counts["old"]:
        print(
            "Runs recorded before groupsim noted its exports do not say where theirs went: look in the "
            "groupsim-exports folders where the trainee played."
        )
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                visible(
                    f"{prog}: this would delete {what}; add --yes to confirm (input is not a terminal, so I cannot ask)"
                ),
                file=sys.stderr,
            )
            return 1
        answer = input(visible(f"Delete {what}? This cannot be undone. [y/N] ")).strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
        if delete_exports:
            answer = input(f"Delete the {len(exports)} export file(s) listed above too? [y/N] ").strip().lower()
            delete_exports = answer in ("y", "yes")

    def delete(conn) -> int:
        # Steps and events first: steps point at the rewind events that took them back.
        ids = "SELECT id FROM runs WHERE trainee = ?"
        conn.execute(f"DELETE FROM steps WHERE run_id IN ({ids})", (name,))
        conn.execute(f"DELETE FROM events WHERE run_id IN ({ids})", (name,))
        conn.execute(f"DELETE FROM reflections WHERE run_id IN ({ids})", (name,))
        n = int(conn.execute("DELETE FROM runs WHERE trainee = ?", (name,)).rowcount)
        put(conn, name, "none")  # their time accommodation, if the records grant them one
        return n

    # secure_delete overwrites the freed pages (in the -wal first); `_clear` then gets them into the file.
    store.conn.execute("PRAGMA secure_delete = ON")
    n = store.write(delete)
    print(visible(f"Deleted {n} run(s) of trainee '{name}' from the records in {store.path}."))
    code = 0
    if delete_exports:
        code = _delete_exports(exports, prog)
    elif exports:
        print("The export files listed above were left where they are.")
    return _clear(store, args, prog) or code


def _where_file(f) -> str:
    """' (on computer X)' for an export written on another computer, ' (not found)' for one gone from here."""
    import os

    from simulator.records.recorder import Origin

    if f.host is not None and f.host != Origin.here().host:
        return f"  (on the computer '{f.host}': delete it there)"
    if not os.path.lexists(f.path):
        return "  (not found: moved or deleted already)"
    return ""


def _delete_exports(exports, prog: str) -> int:
    """Delete the export files that are here; say which were not found or could not be deleted."""
    import os
    import stat

    from simulator.play.text import visible
    from simulator.records.recorder import Origin

    here = Origin.here().host
    gone, missing, elsewhere, refused = [], [], [], []
    for f in exports:
        if f.host is not None and f.host != here:
            elsewhere.append(f.path)
            continue
        try:
            info = os.lstat(f.path)
        except FileNotFoundError:
            missing.append(f.path)
            continue
        except OSError as exc:
            refused.append(f"{f.path} ({exc.strerror or exc})")
            continue
        # Only what groupsim wrote: a regular Markdown or JSON file (never a link, a folder or anything else).
        if not stat.S_ISREG(info.st_mode) or not f.path.endswith(EXPORT_SUFFIXES):
            refused.append(f"{f.path} (not an export file groupsim wrote, so left alone)")
            continue
        try:
            os.remove(f.path)
        except OSError as exc:
            refused.append(f"{f.path} ({exc.strerror or exc})")
            continue
        gone.append(f.path)
    for title, paths in (
        ("Deleted the export file(s):", gone),
        ("Could not find (moved or deleted already):", missing),
        ("On another computer (delete them there):", elsewhere),
    ):
        if paths:
            print(title)
            for path in paths:
                print(visible(f"  {path}"))
    if refused:
        print(f"{prog}: could not delete:", file=sys.stderr)
        for line in refused:
            print(visible(f"  {line}"), file=sys.stderr)
        return 1
    return 0


def _clear(store, args: argparse.Namespace, prog: str) -> int:
    """Overwrite the deleted runs' text in the file itself, waiting a while for readers; say how it went."""
    import shlex

    from simulator.play.text import visible

    cleared = store.clear_freed(0)
    if not cleared:
        print(
            visible(
                f"Another program is reading {store.path}; waiting up to {CLEAR_WAIT_S:.0f} seconds for it to finish, "
                "so that the deleted text can be overwritten..."
            ),
            flush=True,
        )
        cleared = store.clear_freed(CLEAR_WAIT_S)
    if cleared:
        if store.meta(PENDING):
            store.write(lambda conn: conn.execute("DELETE FROM meta WHERE key = ?", (PENDING,)))
            store.clear_freed(0)  # the note just deleted need not linger either
        print("Their text is overwritten: nothing of the deleted runs is left in the file.")
        return 0
    store.write(lambda conn: conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (PENDING,)))
    again = f"groupsim records delete --trainee {shlex.quote(args.trainee.strip())}"
    if args.db:
        again += f" --db {shlex.quote(str(args.db))}"
    print(
        visible(
            f"{prog}: the runs are gone from the records, but their text is still in the file {store.path} (and "
            "its -wal file): another program kept the database open for reading (a groupsim review, report or "
            f"serve, or another tool), so SQLite could not overwrite it yet. Close the programs using it, then run "
            f"`{again}` again to finish."
        ),
        file=sys.stderr,
    )
    return 1
