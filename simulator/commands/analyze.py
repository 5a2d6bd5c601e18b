"""Explore every outcome of a scenario and report what a supervisor needs to know.

The exploration is exact: every choice on offer (and letting the time run out at a
timed decision) is tried, both sides of every chance branch are followed, and the
probabilities are those of a trainee who picks uniformly at random among the options
on offer. When the scenario can go round in circles or is too large (--budget), or
with --random N, it plays N seeded random playthroughs instead.

It reports, for each ending: whether it can be reached, its probability and the
range of every meter and member on arrival; the best and worst paths by a score
(default trust + cohesion) with their choice numbers, ready for 'groupsim run
--choose'; states and choices never reached; choices at one decision with identical
effects and destination; and choices that another at the same decision dominates.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from typing import Any

HELP = "explore every outcome of a scenario: endings, chances, best and worst paths"


def positive(text: str) -> int:
    try:
        n = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    p.add_argument(
        "--random",
        type=positive,
        metavar="N",
        help="play N seeded random playthroughs instead of exploring exactly (also the number played when exploring falls back; default 10,000)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the first random playthrough; playthrough i uses seed + i (default 0)",
    )
    p.add_argument(
        "--score",
        metavar="EXPR",
        help="what the best and worst paths maximise and minimise: meters, members, turn and whole numbers added or subtracted, e.g. 'trust + cohesion + maria' (default: trust + cohesion)",
    )
    p.add_argument(
        "--budget",
        type=positive,
        metavar="N",
        help="most configurations to explore exactly before falling back to random playthroughs (default 200,000)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


class _Progress:
    """A one-line progress indicator on stderr, shown only on a terminal and only
    once a run has taken more than half a second."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.live = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.start < 0.5 or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        width = 30
        filled = int(width * min(done, total) / total) if total else width
        sys.stderr.write(f"\r{self.what} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from simulator.authoring import analysis
    from simulator.commands import load_one
    from simulator.engine.conditions import ConditionError

    scenario, code = load_one(args.file, "analyze")
    if scenario is None:
        return code
    try:
        score = analysis.score_expression(scenario, args.score)
    except ConditionError as exc:
        print(f"groupsim analyze: --score: {exc.message}\n  {args.score}\n  {' ' * exc.offset}^", file=sys.stderr)
        known = ", ".join(scenario.initial_values())
        print(
            f"A score adds and subtracts numbers: meters and members ({known}), turn, whole numbers.", file=sys.stderr
        )
        return 2
    progress = _Progress("analyze")
    try:
        result = analysis.analyze(
            scenario,
            score=score,
            budget=args.budget or analysis.DEFAULT_BUDGET,
            runs=args.random or analysis.DEFAULT_RUNS,
            force_random=args.random is not None,
            seed=args.seed,
            progress=progress,
        )
    finally:
        progress.close()
    if args.json:
        json.dump(to_json(scenario, result), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(render(scenario, result))
    return 0


# -- output ------------------------------------------------------------------------


def decimal(p: Any) -> str:
    """A probability as a decimal with four places; tiny non-zero values stay visible."""
    if p == 0:
        return "0"
    if p < 0.00005:
        return "<0.0001"
    return f"{float(p):.4f}"


def margin(p: Any, runs: int) -> float:
    """Half the width of a 95% confidence interval for a frequency of `runs` trials."""
    q = float(p)
    return 1.96 * (q * (1 - q) / runs) ** 0.5 if runs else 0.0


def table(rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Rows as aligned columns, two spaces apart; columns in `right` are right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def _path_line(scenario, label: str, p) -> str:
    if p is None:
        return f"{label}:\tno path reaches an ending"
    end = scenario.states[p.ending].ending
    how = f"--choose {p.choose}" if p.moves else "no decisions"
    if p.chance:
        how += f" --seed {p.seed}" if p.seed is not None else " (with luck that no seed tried reproduces)"
    return f"{label} (score {p.score}):\t{how} → {p.ending} ({end.outcome})"


def render(scenario, a) -> str:
    """The report as plain, aligned text."""
    out: list[str] = [f"{scenario.title} ({scenario.id})"]
    if a.mode == "exact":
        out.append(f"Exact analysis: {a.configurations:,} configurations explored.")
    else:
        why = f"because {a.reason}" if a.reason else "as asked (--random)"
        out += textwrap.wrap(
            f"Random analysis: {a.runs:,} playthroughs, seeds {a.seed}..{a.seed + a.runs - 1}, {why}.", 96
        )
    out.append("Probabilities are for a trainee who picks uniformly among the options on offer (letting the")
    out.append("time run out counts as one option at a timed decision); chance branches weigh as written.")
    out.append("")

    rows = [["Ending", "outcome", "reached", "probability", "title"]]
    for e in a.endings:
        if a.mode == "exact":
            prob = decimal(e.probability)
            reached = "yes" if e.reachable else "NO"
        else:
            prob = decimal(e.probability) + (f" ±{margin(e.probability, a.runs):.4f}" if e.arrivals else "")
            reached = ("yes" if e.reachable else "NO") if a.reach_exact else ("seen" if e.arrivals else "not seen")
            if a.reach_exact and e.reachable and not e.arrivals:
                reached = "yes, unseen"
        rows.append([e.state, e.outcome, reached, prob, e.title])
    out += table(rows, right={3})
    if a.stuck:
        out.append(
            f"Dead ends (a decision with nothing on offer): {', '.join(a.stuck_states)}, probability {decimal(a.stuck)}"
        )
    if a.unfinished:
        out.append(
            f"Never ending (caught in a loop, or 1,000 decisions without an ending): {decimal(a.unfinished)} of playthroughs"
        )

    names = list(scenario.initial_values())
    reached_endings = [e for e in a.endings if e.ranges]
    if reached_endings:
        out.append("")
        out.append("On arrival (min..max):")
        rows = [["Ending"] + names]
        for e in reached_endings:
            rows.append([e.state] + [f"{lo}..{hi}" if lo != hi else str(lo) for lo, hi in (e.ranges[n] for n in names)])
        out += table(rows)

    out.append("")
    out.append(f"Score: {a.score}")
    out += table(
        [
            line.split("\t")
            for line in (_path_line(scenario, "Best path", a.best), _path_line(scenario, "Worst path", a.worst))
        ]
    )

    out.append("")
    seen = "" if a.reach_exact else " in these playthroughs (not proven)"
    out.append(f"Never reached{seen}: " + (", ".join(a.unreached_states) or "none"))
    shown = [f"{sid} {n}" for sid, n in a.unreached_choices]
    out.append(f"Choices never on offer{seen}: " + (", ".join(shown) or "none"))

    identical = [p for p in a.pairs if p.kind == "identical"]
    dominated = [p for p in a.pairs if p.kind == "dominated"]
    out.append("")
    if identical:
        out.append("Identical choices (same effects, flags and destination):")
        for p in identical:
            out.append(f"  {p.state}: {p.choice} and {p.other}")
    else:
        out.append("Identical choices: none")
    if dominated:
        # Often by design (the recommended move does more good): say so, and flag the
        # pairs where the choice rated better is the one that does less.
        out.append("Choices outdone by another at the same decision (same destination and flags; the other")
        out.append("leaves every meter and member as high or higher). Expected where the better-rated choice")
        out.append("is the one that does more good:")
        if any(p.inverted for p in dominated):
            out.append("  ! marks a choice rated better than the one that outdoes it: check its effects.")
        rows = []
        marks = any(p.inverted for p in dominated)
        for p in sorted(dominated, key=lambda p: not p.inverted):
            st = scenario.states[p.state]
            mine, theirs = st.choices[p.choice - 1], st.choices[p.other - 1]
            rows.append(
                [
                    *(["!" if p.inverted else ""] if marks else []),
                    f"{p.state}:",
                    f"{p.choice} ({mine.rating})",
                    f"outdone by {p.other} ({theirs.rating})",
                    "higher for " + ", ".join(p.better),
                ]
            )
        out += ["  " + line for line in table(rows)]
    else:
        out.append("Choices outdone by another: none")
    return "\n".join(out)


def _path_json(p) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "score": p.score,
        "choose": list(p.moves),
        "ending": p.ending,
        "states": list(p.states),
        "chance": p.chance,
        "seed": p.seed,
        "probability": None if p.probability is None else float(p.probability),
    }


def to_json(scenario, a) -> dict[str, Any]:
    """The report as JSON-ready data; exact probabilities also as 'n/d' strings."""
    exact = a.mode == "exact"
    return {
        "scenario": scenario.id,
        "file": scenario.source,
        "mode": a.mode,
        "reason": a.reason,
        "configurations": a.configurations,
        "runs": a.runs,
        "seed": a.seed,
        "endings": [
            {
                "state": e.state,
                "outcome": e.outcome,
                "title": e.title,
                "reachable": e.reachable,
                "probability": float(e.probability),
                **({"exact": str(e.probability)} if exact else {"margin": margin(e.probability, a.runs)}),
                "arrivals": e.arrivals,
                "ranges": {n: list(r) for n, r in e.ranges.items()},
            }
            for e in a.endings
        ],
        "dead_ends": {"probability": float(a.stuck), "states": list(a.stuck_states)},
        "unfinished": float(a.unfinished),
        "score": a.score,
        "best": _path_json(a.best),
        "worst": _path_json(a.worst),
        "unreached": {
            "exact": a.reach_exact,
            "states": list(a.unreached_states),
            "choices": [{"state": s, "choice": n} for s, n in a.unreached_choices],
        },
        "identical": [{"state": p.state, "choices": [p.choice, p.other]} for p in a.pairs if p.kind == "identical"],
        "dominated": [
            {
                "state": p.state,
                "choice": p.choice,
                "by": p.other,
                "better": list(p.better),
                "rating_inverted": p.inverted,
            }
            for p in a.pairs
            if p.kind == "dominated"
        ],
    }
