"""Rank a decision's choices against words a trainee might type, as say-it-first mode does.

In say-it-first mode a trainee first types what they would say or do; the choices are
then shown with the closest one pre-selected, or none when the matcher cannot tell.
This shows what the matcher makes of any words at any decision: every choice of STATE
(whatever its `when`) with its score from 0 to 1, best first, and which one would be
pre-selected, or why none would. Authors can use it to see what `phrasings` on a
choice change.

    groupsim match scenarios/confidentiality-breach.yaml the-silence "talk about it as a group"
    groupsim match confidentiality-breach the-silence "tell Jordan off" --json

With --json it prints {"state": ..., "selected": N or null, "ranked": [{"choice": N,
"text": ..., "score": ...}, ...]}, N being the choice's number in the file.
Exit status: 0 when it ran, 1 when the file does not load or STATE is not a decision
there, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

HELP = "rank a decision's choices against words a trainee might type (say-it-first)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    p.add_argument("state", metavar="STATE", help="the id of a decision (a state with choices)")
    p.add_argument("text", metavar="TEXT", help="what the trainee says or does, in their own words (quote it)")
    p.add_argument("--json", action="store_true", help="print the ranking as JSON")


def run(args: argparse.Namespace) -> int:
    import difflib

    from simulator.commands import load_one
    from simulator.play.matcher import match
    from simulator.play.text import visible

    scenario, code = load_one(args.file, "match")
    if scenario is None:
        return code
    decisions = [sid for sid, st in scenario.states.items() if st.kind == "decision"]
    state = scenario.states.get(args.state)
    if state is None:
        close = difflib.get_close_matches(args.state, list(scenario.states), n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else f"; its decisions are: {', '.join(decisions)}"
        print(f"groupsim match: no state '{visible(args.state)}' in {args.file}{hint}", file=sys.stderr)
        return 1
    if state.kind != "decision":
        what = "an ending" if state.kind == "ending" else "a state that routes on by itself"
        print(
            f"groupsim match: '{state.id}' is {what}, not a decision: there are no choices to match; "
            f"its decisions are: {', '.join(decisions)}",
            file=sys.stderr,
        )
        return 1

    result = match(args.text, state.choices)
    selected = result.selected.number if result.selected else None
    if args.json:
        out = {
            "state": state.id,
            "selected": selected,
            "ranked": [{"choice": r.choice.number, "text": r.choice.text, "score": r.score} for r in result.ranked],
        }
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0

    lines = [f"{scenario.title}, '{state.id}': {visible(state.prompt)}", f'Your words: "{visible(args.text)}"', ""]
    lines.append("  score  choice")
    for r in result.ranked:
        mark = ">" if r.choice is result.selected else " "
        body = f"{r.choice.number}. {visible(r.choice.text)} ({r.choice.rating})"
        wrapped = textwrap.wrap(body, width=88) or [""]
        lines.append(f"{mark} {r.score:.2f}   {wrapped[0]}")
        lines.extend(f"         {w}" for w in wrapped[1:])
    lines.append("")
    if selected is not None:
        lines.append(f"Pre-selected (>): choice {selected}. The trainee confirms it or picks another.")
    else:
        lines.append(f"Nothing would be pre-selected: {result.reason}. The trainee picks from the shuffled options.")
    print("\n".join(lines))
    return 0
