"""Open the trainee's app: the scenario library, or one scenario's briefing.

    groupsim play                         the shipped library
    groupsim play confidentiality-breach  a shipped scenario, by id
    groupsim play my-scenarios/           every scenario in a folder
    groupsim play breach.yaml --seed 7    one file, with chance branches fixed by a seed
    groupsim play breach.yaml --watch     reload the file whenever it is saved (for authors)
    groupsim play --plain                 line by line, for screen readers and plain terminals
    groupsim play --say-first             assessment runs ask for the trainee's own words first
    groupsim play --time-accommodation 2x timed decisions give twice the time (or 1.5x, or off)
    groupsim play --high-contrast --calm  white on black; no animation, blinking or fading messages

A trainee granted a time accommodation in the records (`groupsim records accommodate`)
gets the more generous of that and --time-accommodation, in practice and assessment.

Every decision is recorded as it is made (see `groupsim records where`); a run left
unfinished by a closed terminal or a crash is offered again at the next start.
With --watch nothing is recorded: it is an author trying out a scenario as they
write it, and each save would otherwise leave a run behind on a version that no
longer exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "rehearse a scenario in the terminal app (start here)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands import add_target_argument

    add_target_argument(p)
    p.add_argument(
        "--seed", type=int, default=None, help="fix the seed for chance branches (default: a new one each run)"
    )
    p.add_argument(
        "--export-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the debrief's exports are written (default: ./groupsim-exports)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="reload the scenario FILE whenever it is saved, replaying the choices made so far "
        "(for authors; runs are not recorded; the map shows everything)",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="play line by line, with no full-screen drawing: for screen readers, plain terminals and pipes",
    )
    p.add_argument(
        "--author",
        action="store_true",
        help="the author's view: the map shows every choice's rating, effects and feedback before it is chosen",
    )
    p.add_argument(
        "--high-contrast",
        action="store_true",
        help="white on black with bright accents, for low vision (also in the app's palette: Ctrl+P, Theme)",
    )
    p.add_argument(
        "--calm",
        action="store_true",
        help="no animation, no blinking cursor, and messages that stay until clicked rather than fading",
    )
    add_trainee_options(p)
    from simulator.commands.report import add_db_argument

    add_db_argument(p)


def add_trainee_options(p: argparse.ArgumentParser) -> None:
    """What a supervisor can set for every run of `play` or `serve`."""
    p.add_argument(
        "--say-first",
        action="store_true",
        help="assessment runs ask the trainee's own words before each decision's options (say it first)",
    )
    p.add_argument(
        "--time-accommodation",
        choices=("none", "1.5x", "2x", "off"),
        default="none",
        help="time for timed decisions: as written (none), 1.5x or 2x as long, or no limits (off); "
        "in practice trainees may also choose it in the briefing (default: none)",
    )


def run(args: argparse.Namespace) -> int:
    from simulator.commands import load_many

    if args.watch:
        problem = _watch_usage(args.target)
        if problem:
            print(f"groupsim play: {problem}", file=sys.stderr)
            return 2
    found, code = load_many(args.target, "play")
    if found is None:
        return code
    if len(found) == 1 and found[0].scenario is None and not args.watch:
        # One file that does not load: say why here, before any full screen opens.
        from simulator.play.text import visible

        for d in found[0].errors:
            print(visible(str(d)), file=sys.stderr)
        print(
            "groupsim play: the scenario has errors; fix them first ('groupsim validate' lists them)", file=sys.stderr
        )
        return 1
    if not args.plain and not sys.stdout.isatty():
        print(
            "groupsim play: the full-screen app needs a terminal; 'groupsim play --plain' plays line by line "
            "anywhere (a pipe too), and 'groupsim run FILE --choose 1,2' plays one path",
            file=sys.stderr,
        )
        return 2
    if args.watch:
        from simulator.tui.app import make_app

        # A file that does not load yet opens on the library, its errors listed; a save that fixes it reloads.
        app = make_app(
            found,
            seed=args.seed,
            export_dir=args.export_dir,
            watch=Path(args.target),
            say_first=args.say_first,
            accommodation=args.time_accommodation,
            high_contrast=args.high_contrast,
            calm=args.calm,
        )
        app.run()
        return app.return_code or 0

    from simulator.play.text import visible
    from simulator.records import Recorder, RecordsError, RunRecorder

    try:
        recorder = Recorder(args.db)
    except RecordsError as exc:
        print(f"groupsim play: {visible(str(exc))}", file=sys.stderr)
        return 1
    with recorder:
        try:
            resumed = _offer_interrupted(recorder, found)
        except RecordsError as exc:
            print(f"groupsim play: {visible(str(exc))}", file=sys.stderr)
            return 1
        if args.plain:
            return _plain(args, found, recorder, resumed)
        from simulator.tui.app import make_app

        app = make_app(
            found,
            seed=args.seed,
            export_dir=args.export_dir,
            observe=RunRecorder.factory(recorder),
            resume=resumed,
            say_first=args.say_first,
            author_view=args.author,
            accommodation=args.time_accommodation,
            high_contrast=args.high_contrast,
            calm=args.calm,
            finished=recorder.finished_scenarios(),
            granted=_granted(recorder),
        )
        app.run()
    # Textual prints an uncaught error's traceback and sets a non-zero return code.
    return app.return_code or 0


def _plain(args: argparse.Namespace, found, recorder, resumed) -> int:
    """The line-by-line front end, reading answers from standard input (a terminal or a pipe)."""
    from simulator.plain.session import Plain
    from simulator.records import RunRecorder

    def ask(question: str) -> str | None:
        print(question, end="", flush=True)
        answer = sys.stdin.readline()
        if not answer:
            print()
            return None
        if not sys.stdin.isatty():  # echo piped answers, so the transcript reads as a conversation
            print(answer.rstrip("\n"))
        return answer.rstrip("\r\n")

    def say(text: str) -> None:
        print(text, flush=True)

    return Plain(
        found,
        ask,
        say,
        observe=RunRecorder.factory(recorder),
        seed=args.seed,
        export_dir=args.export_dir or Path.cwd() / "groupsim-exports",
        say_first_required=args.say_first,
        accommodation=args.time_accommodation,
        finished=recorder.finished_scenarios(),
        resume=resumed,
        granted=_granted(recorder),
    ).run()


def _granted(recorder):
    """The records' lookup of what a trainee is granted by name (`groupsim records accommodate`), for
    a front end. A lookup that fails grants nothing; the run's recording then says what is wrong."""
    from simulator.records import RecordsError

    def granted(trainee: str) -> str:
        try:
            return recorder.accommodation_for(trainee)
        except RecordsError:
            return "none"

    return granted


def _watch_usage(target: str | None) -> str | None:
    """Why `--watch` cannot follow `target`, or None when it is a file."""
    usage = "usage: groupsim play FILE.yaml --watch"
    if target is None:
        return f"--watch follows one scenario file; name it ({usage})"
    p = Path(target)
    if p.is_dir():
        return f"--watch follows one scenario file, and '{target}' is a folder ({usage})"
    if p.is_file():
        return None
    from simulator.authoring.diagnostics import ScenarioError
    from simulator.authoring.library import resolve

    try:
        shipped = resolve(target)
    except ScenarioError:
        return f"--watch follows one scenario file, and there is no file '{target}' ({usage})"
    where = f"; the shipped scenario '{target}' is the file {shipped[0].path}" if shipped else ""
    return f"--watch follows one scenario file, and '{target}' is not a file{where} ({usage})"


def _offer_interrupted(recorder, found):
    """Offer the unfinished runs this trainee left (of this scenario, or any when playing a folder) at a plain prompt.

    Only runs started on this computer by this account are offered (`Recorder.unfinished_runs`):
    on a database a cohort shares, nobody sees or continues another trainee's run.

    Returns the `Run` to continue, or None to start afresh.
    """
    from simulator.play.run import Run
    from simulator.records import resume as resuming

    playable = [f for f in found if f.scenario is not None]
    only = playable[0].scenario.id if len(found) == 1 and playable else None
    folders = list(dict.fromkeys(f.path.parent for f in found))
    # Playing one file: only its own runs (another draft with the same id keeps its own).
    one = playable[0].scenario if only else None
    items = resuming.interrupted(recorder, scenario_id=only, search=folders, file=one)
    if not items:
        return None

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return ""

    decision = resuming.offer(items, ask, print)
    if decision.action == "abandon":
        for item in items[: resuming.OFFER_LIMIT]:
            recorder.abandon_run(item.info.id)
        return None
    if decision.action != "resume" or decision.item is None:
        return None
    session, observer = resuming.resume(recorder, decision.item, accept_changed=decision.accept_changed)
    info = decision.item.info
    # The clock of a timed decision interrupted mid-way gives back the time that was left.
    left = info.clock_left if info.clock_turn == session.turn else None
    return Run(session, info.settings, observer, clock_left=left)
