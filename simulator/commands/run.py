"""Play one path through a scenario without the TUI and print what happened.

Give the choices by their numbers in the file (1 = the first choice listed at that
state), separated by commas; write 'timeout' to let a timed decision run out:
    groupsim run scenarios/confidentiality-breach.yaml --choose 1,timeout,2
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

HELP = "play a path of choices without the TUI and print the transcript"


def parse_path(text: str) -> list[int | str]:
    out: list[int | str] = []
    for raw in text.split(","):
        word = raw.strip().lower()
        if word == "timeout":
            out.append("timeout")
        elif word.isdigit() and int(word) > 0:
            out.append(int(word))
        elif word:
            raise argparse.ArgumentTypeError(
                f"'{raw.strip()}' is not a choice number; use numbers like 1,3,2 or the word timeout"
            )
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    p.add_argument(
        "--choose", type=parse_path, default=[], metavar="1,3,2", help="the choice numbers to take, in order"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for chance branches (default 0)")
    p.add_argument("--json", action="store_true", help="print the run as JSON")
    p.add_argument(
        "--save-test",
        metavar="NAME",
        help="keep this path as a test in the scenario file's tests: section (run by 'groupsim test'),"
        " expecting the ending it reached and each meter within --tolerance",
    )
    p.add_argument(
        "--tolerance",
        type=int,
        default=None,
        metavar="N",
        help="with --save-test: how far a meter may move from the value this path reached before the test"
        " fails (default 4)",
    )


def _fmt_changes(scenario, step) -> str:
    parts = [f"{scenario.label(k)} {step.before[k]} → {step.after[k]} ({d:+d})" for k, d in step.changes.items()]
    return ", ".join(parts) if parts else "no change"


def run(args: argparse.Namespace) -> int:
    from simulator.commands import load_one
    from simulator.engine import Session, SessionError
    from simulator.engine.transcript import state_entries, step_entries

    scenario, code = load_one(args.file, "run")
    if scenario is None:
        return code
    session = Session(scenario, args.seed)
    out: list[str] = []
    wrap = lambda text, indent="": textwrap.fill(  # noqa: E731
        " ".join(text.split()), width=96, initial_indent=indent, subsequent_indent=indent
    )

    def show(entries) -> None:
        for e in entries:
            if e.kind == "title":
                out.append(f"\n── {e.text} ──")
            elif e.kind == "narration":
                out.append(wrap(e.text))
            elif e.kind == "line":
                out.append(wrap(f"{scenario.speaker_name(e.speaker)}: {e.text}", "  "))
            elif e.kind == "choice":
                out.append("")
            elif e.kind == "ending":
                pass

    out.append(f"{scenario.title}  (seed {args.seed})")
    for sid in session.opening:
        show(state_entries(scenario, sid, session.context))
    problem = None
    for i, pick in enumerate(args.choose, 1):
        if session.finished:
            problem = f"choice {i} ('{pick}') comes after the scenario has ended, at decision {session.turn}"
            break
        try:
            step = session.timeout() if pick == "timeout" else session.choose(int(pick))
        except SessionError as exc:
            offered = session.choices()
            listing = "\n".join(f"  {c.number}. {c.text}" for c in offered)
            timed = "\n  timeout (let the time run out)" if session.state.time_limit else ""
            problem = f"at decision {i} (state '{session.state.id}'): {exc}\nOn offer there:\n{listing}{timed}"
            break
        if step.timed_out:
            rated = f", {step.rating}" if step.rating else ""
            out.append(f"\n[{step.turn}] The time ran out (timeout{rated}).")
            if step.changes:
                out.append(wrap(_fmt_changes(scenario, step), "    "))
            if step.feedback:
                out.append(wrap("Why: " + step.feedback, "    "))
        else:
            out.append("")
            out.append(wrap(f"[{step.turn}] You chose {step.choice}: {step.text} ({step.rating})"))
            out.append(wrap(_fmt_changes(scenario, step), "    "))
            out.append(wrap("Why: " + step.feedback, "    "))
        show(step_entries(scenario, step, session.context)[1:])
    if args.json:
        result = {
            "scenario": scenario.id,
            "seed": args.seed,
            "steps": [s.to_json() for s in session.history],
            "state": session.state.id,
            "ending": None
            if session.ending is None
            else {
                "state": session.state.id,
                "outcome": session.ending.outcome,
                "title": session.ending.shown("title", session.context),
            },
            "meters": session.meters(),
            "members": session.members(),
            "flags": sorted(session.flags),
            "error": problem,
        }
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print("\n".join(out))
        print()
        if session.ending is not None:
            print(f"Ending ({session.ending.outcome}): {session.ending.shown('title', session.context)}")
        elif problem is None:
            print(f"Stopped after {session.turn} decision(s) at '{session.state.id}'. On offer:")
            for c in session.choices():
                print(f"  {c.number}. {c.text}")
        meters = ", ".join(f"{scenario.meters[k].label} {v}" for k, v in session.meters().items())
        members = ", ".join(f"{scenario.members[k].name} {v}" for k, v in session.members().items())
        print(f"Meters: {meters}" + (f"\nMembers' trust: {members}" if members else ""))
    if problem:
        print(f"groupsim run: {problem}", file=sys.stderr)
        if args.save_test:
            print("groupsim run: the test was not saved: correct the path first", file=sys.stderr)
        return 1
    if args.save_test:
        return _save(args, session)
    return 0


def _save(args: argparse.Namespace, session) -> int:
    """Add the path just played to the scenario file as a test; say where, or why not."""
    from pathlib import Path

    from simulator.authoring.save_test import DEFAULT_TOLERANCE, SaveTestError, save_test

    path = Path(args.file)
    if not path.is_file():
        print(
            f"groupsim run: '{args.file}' is a shipped scenario's id, not a file: copy the scenario"
            " (groupsim new, or the file from the library) and save tests into your copy",
            file=sys.stderr,
        )
        return 1
    tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    try:
        saved = save_test(path, args.save_test, args.choose, args.seed, session, tolerance=tolerance)
    except SaveTestError as exc:
        print(f"groupsim run: the test was not saved: {exc}", file=sys.stderr)
        return 1
    out = sys.stderr if args.json else sys.stdout
    print(
        f"Saved the test '{saved.name}' to {saved.path}, line {saved.line}; 'groupsim test {saved.path}' runs it.",
        file=out,
    )
    return 0
