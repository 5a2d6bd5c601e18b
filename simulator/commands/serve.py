"""Serve the trainee's app to web browsers: each browser tab is its own session.

    groupsim serve                               http://127.0.0.1:8000, this computer only
    groupsim serve --port 8080 --db cohort.db    every run recorded in cohort.db
    groupsim serve my-scenarios/ --host 0.0.0.0  every network interface (read the warning)
    groupsim serve --page choose                 / offers the accessible web page and the full-screen app

It listens on the loopback address unless --host says otherwise, so only this
computer can open it. There is no sign-in: to serve trainees over a network, do it
on one you trust, or behind a proxy that asks for one (and pass --public-url).
Every tab records into the same database (--db, else $GROUPSIM_DB, else the default).
At most --max-sessions tabs run at once (by default as many as this computer's free
memory allows); past that, a new tab is asked to try again in a minute.

Beside the full-screen app, the web page (/web/) plays the same scenarios as plain HTML
pages, for screen readers, the keyboard alone and zoom; its runs live in the server
itself, at most --web-runs at once. --page says what the first page (/) is: the app
(terminal), the web page (web), or a page offering both (choose).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

HELP = "serve the app to web browsers, one session per tab"

DEFAULT_PAGE = "choose"
"""What / shows unless --page says otherwise."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a number of sessions (1 or more): {text!r}")
    return value


def _runs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a number of runs (1 or more): {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands import add_target_argument

    add_target_argument(p)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 for every interface)",
    )
    p.add_argument("--port", type=_port, default=8000, help="the port to listen on (default: 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address trainees use, when a proxy sits in front (default: the address the browser used)",
    )
    p.add_argument(
        "--max-sessions",
        metavar="N",
        type=_count,
        help="how many browser tabs may run at once (default: as many as this computer's free memory allows,"
        " about 60 MB each); a tab past that is asked to try again in a minute",
    )
    p.add_argument(
        "--warm",
        metavar="N",
        type=int,
        default=0,
        help="keep N full-screen sessions started ahead, so a class opening the link at once does not wait"
        " for each one to start (each holds about 45 MB while it waits; default: 0)",
    )
    p.add_argument(
        "--page",
        choices=("choose", "web", "terminal"),
        default=DEFAULT_PAGE,
        help="what the first page (/) is: a page offering both (choose), the accessible web page (web),"
        f" or the full-screen app (terminal); the others stay at /web/ and /terminal (default: {DEFAULT_PAGE})",
    )
    p.add_argument(
        "--web-runs",
        metavar="N",
        type=_runs,
        default=500,
        help="how many browsers' runs the web page holds at once (default: 500); a browser past that"
        " is asked to try again in a minute",
    )
    from simulator.commands.play import add_trainee_options

    add_trainee_options(p)
    from simulator.commands.report import add_db_argument

    add_db_argument(p)


def run(args: argparse.Namespace) -> int:
    from simulator.commands import load_many
    from simulator.records import Recorder, RecordsError, resolve_path
    from simulator.serve import (
        Capacity,
        describe_bind_error,
        origin_of,
        port_problem,
        serve,
        session_command,
        start_up_message,
        url_for,
    )

    prog = "groupsim serve"
    if args.public_url is not None and origin_of(args.public_url) is None:
        print(
            f"{prog}: --public-url {args.public_url!r} is not a web address; give the whole address trainees use,"
            " such as https://groupsim.example.org",
            file=sys.stderr,
        )
        return 2
    try:
        max_sessions, room = Capacity.of_this_computer().choose(args.max_sessions)
    except ValueError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    found, code = load_many(args.target, "serve")
    if found is None:
        return code
    # Every tab's process gets the same absolute paths, whatever its working folder.
    target = args.target
    if target is not None and Path(target).exists():
        target = str(Path(target).resolve())
    db = resolve_path(args.db).absolute()
    try:
        Recorder(db).close()  # create or migrate it now, so a bad --db is reported here and not in every tab
    except RecordsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1

    if problem := port_problem(args.host, args.port):
        print(f"{prog}: {problem}", file=sys.stderr)
        return 1
    playable = sum(1 for f in found if f.scenario is not None)
    only = found[0].scenario if len(found) == 1 else None
    what = (
        f"'{only.title}'"
        if only is not None
        else f"{playable} scenario{'s' if playable != 1 else ''} from {target or 'the shipped library'}"
    )
    public = urlsplit(args.public_url) if args.public_url else None
    base = public.path.rstrip("/") if public is not None else ""
    room.append(
        "The web page, for screen readers, the keyboard alone and zoom, is at "
        f"{args.public_url.rstrip('/') if args.public_url else url_for(args.host, args.port)}/web/"
        f" (at most {args.web_runs} of its runs at once: --web-runs)."
    )
    print(start_up_message(args.host, args.port, db, f"serving {what}", args.public_url, room), flush=True)
    from simulator.web import WebOptions

    web_options = WebOptions(
        db=db,
        found=found,
        page=args.page,
        say_first_required=args.say_first,
        accommodation=args.time_accommodation,
        capacity=args.web_runs,
        base=base,
        secure_cookies=public is not None and public.scheme.lower() == "https",
    )
    trainee: tuple[str, ...] = ("--time-accommodation", args.time_accommodation)
    if args.say_first:
        trainee += ("--say-first",)
    try:
        serve(
            session_command(db, target, options=trainee),
            args.host,
            args.port,
            public_url=args.public_url,
            max_sessions=max_sessions,
            web_options=web_options,
            warm=max(0, args.warm),
        )
    except OSError as exc:  # the port was taken between the check and the bind
        print(f"{prog}: {describe_bind_error(exc, args.host, args.port)}", file=sys.stderr)
        return 1
    print(f"{prog}: stopped.")
    return 0
