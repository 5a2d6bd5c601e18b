"""Show how far a scenario lets a trainee do well by a pattern instead of judgement.

  groupsim audit                    every shipped scenario
  groupsim audit scenarios/         every scenario file in a folder
  groupsim audit FILE --json        one file, as JSON for tools

For each scenario, and for the whole set when there are several:

Cueing by length. At each decision that has a recommended choice and a choice not
recommended: is a recommended choice the longest option there, or the shortest?
Length is the number of characters of a choice's text, each run of spaces and line
breaks counting as one space. "Tied" means a choice not recommended is exactly as
long, and is counted apart from "longest" and "shortest".

Blind strategies. Where a trainee ends who never reads the situation: always the
longest choice, always the shortest, always the first authored (the top of the
list as written), or at random among the choices. Each picks among the choices on
offer at that moment (their conditions honoured); among equally long choices it
takes the first authored. A strategy never lets a timer run out (only at a timed
decision with nothing on offer, where that is the only way on). "stuck" is a
decision with nothing on offer and no timer. Chance branches weigh exactly, as in
'groupsim analyze'. A line starting with "!" flags each of the first three
strategies that can reach a strong ending; picking at random is the baseline.

Where a strategy can go round in a circle, or meets more than 200,000
configurations, its figures are estimated from 10,000 random playthroughs (seed 0)
instead: they are marked "~", the reason is given, and playthroughs that never end
count as "no end" ("unfinished" in JSON).

JSON (--json) is one object:

  {"length": how length is measured, "ties": how ties are broken,
   "scenarios": [{"scenario": id, "title": ..., "file": path,
                  "decisions": N, "recommended_longest": N,
                  "recommended_tied_longest": N, "recommended_shortest": N,
                  "recommended_tied_shortest": N,
                  "strategies": {"longest"|"shortest"|"first"|"random":
                      {"mode": "exact"|"random", "reason": why not exact or "",
                       "playthroughs": N (0 when exact), "seed": N,
                       "outcomes": {"strong"|"mixed"|"poor"|"stuck"|"unfinished":
                           {"probability": float, "exact": "n/d" or null}}}}}],
   "library": {"scenarios": N, "decisions": N, "recommended_longest": N, ...,
               "strategies": {name: {"strong_possible": scenarios where it can
                   end strong, "exact": true if every figure is,
                   "mean": {result: {"probability": float,
                                     "exact": "n/d" or null}}}}},
   "not_loaded": [{"file": path, "errors": [as 'groupsim validate --format json']}]}

"exact" is null for estimated figures. The library's "mean" averages the
scenarios, each counting alike.

Exit status: 0 when every file was audited, 1 when one does not load (its errors
are printed as 'groupsim validate' prints them), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fractions import Fraction

    from simulator.authoring.audit import Audit, Cueing, Library, StrategyResult

HELP = "show whether a blind strategy (longest, first...) does as well as judgement"

WIDTH = 80
LENGTH = "characters of the choice's text, each run of spaces and line breaks counting as one space"
TIES = "the first authored among equally long choices"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "target",
        nargs="?",
        metavar="FILE|DIR",
        help="a scenario file, a folder of them, or a shipped scenario's id (default: the shipped library)",
    )
    p.add_argument("--json", action="store_true", help="print the audit as JSON (structure above)")


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.audit import audit, summarise
    from simulator.commands import load_many

    found, code = load_many(args.target, "audit")
    if found is None:
        # An existing folder without scenario files is a wrong argument, not a broken file.
        return 2 if args.target is not None and Path(args.target).is_dir() else code
    broken = [f for f in found if f.scenario is None]
    audits = [audit(f.scenario) for f in found if f.scenario is not None]
    for f in broken:
        for d in f.errors:
            print(d, file=sys.stderr)
    if broken:
        n = len(broken)
        print(
            f"groupsim audit: {n} file{'s' * (n != 1)} could not be audited; fix the errors above"
            " ('groupsim validate' lists them)",
            file=sys.stderr,
        )
    library = summarise(audits)
    if args.json:
        data = to_json(audits, library)
        data["not_loaded"] = [{"file": str(f.path), "errors": [d.to_json() for d in f.errors]} for f in broken]
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif audits:
        print(render(audits, library))
    return 1 if broken else 0


# -- text ------------------------------------------------------------------------------


def percent(p: Fraction | float) -> str:
    """A probability as a percentage with one decimal; tiny and near-certain values
    stay distinguishable from 0 and 100."""
    if p == 0:
        return "0%"
    if p == 1:
        return "100%"
    q = float(p) * 100
    if q < 0.05:
        return "<0.1%"
    if q > 99.95:
        return ">99.9%"
    return f"{q:.1f}%".replace(".0%", "%")


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH - 1, initial_indent=indent, subsequent_indent=indent + "  " * bool(indent))


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows as columns two spaces apart: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    ]


def _cueing_line(c: Cueing) -> str:
    if not c.decisions:
        return "No decision has both a recommended choice and one not recommended, so length cannot cue."
    line = (
        f"Recommended choice longest at {c.longest} of {c.decisions} decision{'s' * (c.decisions != 1)}"
        f" ({percent(c.longest / c.decisions)}); shortest at {c.shortest} ({percent(c.shortest / c.decisions)})."
    )
    if c.tied_longest or c.tied_shortest:
        line += f" Tied for the longest at {c.tied_longest}; for the shortest at {c.tied_shortest}."
    return line


def _cell(r: StrategyResult, result: str) -> str:
    return ("~" if r.mode == "random" else "") + percent(r.outcomes[result])


def render_one(a: Audit) -> list[str]:
    """One scenario: its cueing line, its strategy table, its flags and notes."""
    from simulator.authoring.analysis import MAX_DECISIONS
    from simulator.authoring.audit import BLIND, NAMES
    from simulator.play.text import visible

    out = _wrap(f"{a.scenario}: {visible(a.title)}")
    c = a.cueing
    out += _wrap(_cueing_line(c), "  ")
    columns = ["strong", "mixed", "poor", "stuck"]
    if any(r.outcomes["unfinished"] for r in a.strategies):
        columns.append("unfinished")
    rows = [["Strategy", *[("no end" if k == "unfinished" else k) for k in columns]]]
    rows += [[NAMES[r.strategy], *[_cell(r, k) for k in columns]] for r in a.strategies]
    out += _table(rows)
    for r in a.strategies:
        if r.strategy in BLIND and r.strong > 0:
            out += _wrap(f"! {NAMES[r.strategy]} reaches a strong ending in {_cell(r, 'strong')} of playthroughs", "  ")
    sampled = [r for r in a.strategies if r.mode == "random"]
    if "unfinished" in columns:
        out += _wrap(
            f"'no end': playthroughs that go round for ever, find no ending, or pass {MAX_DECISIONS:,} decisions.",
            "  ",
        )
    for r in sampled:
        out += _wrap(
            f"~ {NAMES[r.strategy]}: estimated from {r.playthroughs:,} random playthroughs (seed {r.seed})"
            f" because {r.reason}.",
            "  ",
        )
    return out


def render(audits: list[Audit], library: Library) -> str:
    """The audit as text for a terminal of 80 columns."""
    from simulator.authoring.audit import NAMES

    n = len(audits)
    out = [f"Cueing audit of {n} scenario{'s' * (n != 1)}"]
    out += _wrap(
        f"Length: {LENGTH}; a recommended choice exactly as long as the longest (or shortest) other counts as"
        f" tied, not as the longest (shortest). Strategies pick among the choices on offer, conditions honoured;"
        f" ties go to {TIES}; no strategy lets a timer run out. Chance branches weigh exactly, as in"
        " 'groupsim analyze'."
    )
    for a in audits:
        out.append("")
        out += render_one(a)
    if n > 1:
        c = library.cueing
        out.append("")
        out.append(f"Library: {n} scenarios, {c.decisions} decisions with a recommended choice to compare")
        out += _wrap(_cueing_line(c), "  ")
        columns = ["strong", "mixed", "poor", "stuck"]
        if any(s.mean["unfinished"] for s in library.strategies):
            columns.append("unfinished")
        rows = [["Strategy", "strong in", *[("no end" if k == "unfinished" else k) for k in columns]]]
        for s in library.strategies:
            mark = "" if s.exact else "~"
            rows.append(
                [NAMES[s.strategy], f"{s.strong_possible} of {n}", *[mark + percent(s.mean[k]) for k in columns]]
            )
        out += _table(rows)
        out += _wrap(
            "'strong in': the scenarios where the strategy can reach a strong ending; the percentages are"
            " the mean over the scenarios, each counting alike.",
            "  ",
        )
    return "\n".join(out)


# -- JSON ------------------------------------------------------------------------------


def _probability(p: Fraction, exact: bool) -> dict[str, Any]:
    return {"probability": float(p), "exact": str(p) if exact else None}


def _counts(c: Cueing) -> dict[str, int]:
    return {
        "decisions": c.decisions,
        "recommended_longest": c.longest,
        "recommended_tied_longest": c.tied_longest,
        "recommended_shortest": c.shortest,
        "recommended_tied_shortest": c.tied_shortest,
    }


def to_json(audits: list[Audit], library: Library) -> dict[str, Any]:
    """The audit as JSON-ready data (the structure is in this module's docstring)."""
    scenarios = []
    for a in audits:
        c = a.cueing
        scenarios.append(
            {
                "scenario": a.scenario,
                "title": a.title,
                "file": a.source,
                **_counts(c),
                "strategies": {
                    r.strategy: {
                        "mode": r.mode,
                        "reason": r.reason,
                        "playthroughs": r.playthroughs,
                        "seed": r.seed,
                        "outcomes": {k: _probability(p, r.mode == "exact") for k, p in r.outcomes.items()},
                    }
                    for r in a.strategies
                },
            }
        )
    c = library.cueing
    return {
        "length": LENGTH,
        "ties": TIES,
        "scenarios": scenarios,
        "library": {
            "scenarios": library.scenarios,
            **_counts(c),
            "strategies": {
                s.strategy: {
                    "strong_possible": s.strong_possible,
                    "exact": s.exact,
                    "mean": {k: _probability(p, s.exact) for k, p in s.mean.items()},
                }
                for s in library.strategies
            },
        },
    }
