"""What the web page shows, as plain data for its templates: words, passages, debrief, charts.

Everything here is text for a person, worked out from the play layer's objects; no
rule of the scenario or of the mode is decided here. Scenario and trainee text stays
plain text: the templates escape every piece of it (Jinja's autoescape), and `visible`
has already made any control character or direction override a printable stand-in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulator.engine.model import Scenario
from simulator.engine.session import Session, Step
from simulator.engine.transcript import Entry
from simulator.play.debrief import DebriefItem
from simulator.play.settings import Accommodation
from simulator.play.text import moved_in_words as moving
from simulator.play.text import value_name, visible

RATING_WORDS = {"recommended": "Recommended", "acceptable": "Acceptable", "risky": "Risky", "harmful": "Harmful"}
OUTCOME_WORDS = {"strong": "A strong outcome", "mixed": "A mixed outcome", "poor": "A poor outcome"}
TIME_CHOICES: tuple[tuple[Accommodation, str], ...] = (
    ("none", "Time as written"),
    ("1.5x", "One and a half times as long"),
    ("2x", "Twice as long"),
    ("off", "No time limits"),
)
"""The time accommodations, as the briefing words them."""
MODE_HELP = {
    "practice": "Feedback after every choice; you can go back and choose again. Time limits are off unless you ask for them.",
    "assessment": "Feedback waits for the debrief; no going back; time limits are on; the group's meters stay "
    "hidden until the debrief.",
}
RECORDED = (
    "What is recorded: each choice and how long it took, rewinds, your own words (with say it first) and what "
    "you write in the debrief, with your name if you give one. They are kept in groupsim's records on the "
    "computer serving this page, where your supervisor can read them."
)


def flat(text: str) -> str:
    """`text` on one line, its runs of white space as one space, control characters made visible."""
    return visible(" ".join(text.split()))


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str) -> list[str]:
    """`text` split at its blank lines, each paragraph on one line (see `flat`); empty ones left out."""
    return [p for p in (flat(part) for part in _BLANK_LINE.split(text.replace("\r\n", "\n"))) if p]


def rating_words(rating: str | None) -> str:
    return RATING_WORDS.get(rating or "", rating or "Time ran out")


# -- the story -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Said:
    """One piece of a passage: `kind` is a transcript entry's (title, narration, line,
    choice, timeout, ending); `who` names the speaker of a line."""

    kind: str
    text: list[str]
    who: str = ""


def passage(sc: Scenario, entries: Iterable[Entry]) -> list[Said]:
    """Transcript entries in reading order, each speaker named before what they say."""
    out = []
    for e in entries:
        who = flat(sc.speaker_name(e.speaker)) if e.kind == "line" else ""
        out.append(Said(e.kind, paragraphs(e.text) or [""], who))
    return out


# -- what moved ----------------------------------------------------------------------
def moved_in_words(sc: Scenario, key: str, before: int, after: int) -> str:
    """'Trust rose from 56 to 62', as one line of page text."""
    return flat(moving(sc, key, before, after))


def changes_in_words(sc: Scenario, step: Step) -> list[str]:
    """What a decision changed, one sentence a value (empty when nothing moved)."""
    return [moved_in_words(sc, key, step.before[key], step.after[key]) for key in step.changes]


def signed_words(label: str, change: int) -> str:
    """'Trust up 6', 'Cohesion down 10': a change said in words, not only by its sign."""
    return flat(f"{label} {'up' if change > 0 else 'down'} {abs(change)}")


@dataclass(frozen=True, slots=True)
class Reading:
    """One meter or member as it stands: name, value and range."""

    name: str
    value: int
    low: int
    high: int


def readings(session: Session) -> list[Reading]:
    """Every meter, then every member's trust, as they stand now."""
    sc = session.scenario
    out = []
    for key, value in session.values.items():
        low, high = sc.bounds(key)
        out.append(Reading(value_name(sc, key), value, low, high))
    return out


# -- how long a scenario is ----------------------------------------------------------
def decision_range(sc: Scenario) -> tuple[int, int]:
    """The fewest and the most decisions on a way from the start to an ending.

    Counted on the scenario's map, every branch taken as possible (conditions and
    chance not weighed): a guide for "about how long", not a promise. A way that comes
    back to a state already on it is not followed round again.
    """
    states = sc.states

    def onward(sid: str) -> list[str]:
        st = states[sid]
        out = [c.goto for c in st.choices] + [b.goto for b in st.next]
        if st.on_timeout:
            out.append(st.on_timeout)
        return [t for t in out if t in states]

    def cost(sid: str) -> int:
        return 1 if states[sid].kind == "decision" else 0

    # Fewest: a shortest path where each decision costs one (0-1 breadth first).
    from collections import deque

    best = {sc.start: cost(sc.start)}
    queue = deque([sc.start])
    fewest: int | None = None
    while queue:
        sid = queue.popleft()
        here = best[sid]
        if states[sid].kind == "ending":
            fewest = here if fewest is None else min(fewest, here)
            continue
        for nxt in onward(sid):
            d = here + cost(nxt)
            if d < best.get(nxt, d + 1):
                best[nxt] = d
                if cost(nxt):
                    queue.append(nxt)
                else:
                    queue.appendleft(nxt)
    # Most: the longest way without going round a loop (depth first, remembered per state).
    longest: dict[str, int] = {}
    on_way: set[str] = set()

    def most(sid: str) -> int:
        if sid in longest:
            return longest[sid]
        on_way.add(sid)
        ahead = [most(n) for n in onward(sid) if n not in on_way]
        on_way.discard(sid)
        longest[sid] = cost(sid) + max(ahead, default=0)
        return longest[sid]

    import sys

    depth = sys.getrecursionlimit()
    sys.setrecursionlimit(max(depth, 4 * len(states) + 100))
    try:
        top = most(sc.start)
    finally:
        sys.setrecursionlimit(depth)
    return (fewest if fewest is not None else top), top


def length_words(sc: Scenario) -> str:
    """'about 15 minutes, 4 to 7 decisions' (what the library says of a scenario's length)."""
    low, high = decision_range(sc)
    decisions = f"{low} decision{'s' if low != 1 else ''}" if low == high else f"{low} to {high} decisions"
    return f"about {sc.minutes} minutes, {decisions}" if sc.minutes else decisions


WALKS = 40
"""Playthroughs `typical_decisions` averages over."""


def typical_decisions(sc: Scenario) -> int:
    """About how many decisions a run of `sc` takes: the mean over `WALKS` playthroughs that pick
    among the choices on offer at random (seeded, so the answer is always the same)."""
    import random

    total = 0
    for seed in range(WALKS):
        session = Session(sc, seed)
        pick = random.Random(seed)
        for _ in range(200):  # a scenario that can loop still ends the count
            if session.finished:
                break
            offered = session.choices()
            if offered:
                session.choose(pick.choice(offered).number)
            elif session.state.on_timeout is not None and session.state.time_limit is not None:
                session.timeout()
            else:
                break
        total += session.turn
    return max(1, round(total / WALKS))


def decision_heading(number: int, typical: int) -> str:
    """'Decision 3 of about 8', or 'Decision 9' once past the typical length."""
    return f"Decision {number} of about {typical}" if number <= typical else f"Decision {number}"


# -- the debrief -----------------------------------------------------------------------
def turning_words(r: DebriefItem) -> str:
    did = "you let the time run out" if r.timed_out else f"you chose: {flat(r.chosen)}"
    return f"Decision {r.turn}, {flat(r.where)}: {rating_words(r.rating)}; {did}"


# -- charts ----------------------------------------------------------------------------
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")
"""Each line's marker, in turn: lines differ by shape and dash as well as colour."""
STYLES = 6


@dataclass(frozen=True, slots=True)
class Plotted:
    name: str
    values: tuple[int, ...]
    style: int
    marker: str
    points: str
    """The polyline's points, "x,y x,y ..."."""
    dots: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A line chart of values across the decisions, drawn as inline SVG, with a table beside it."""

    id: str
    title: str
    summary: str
    """The chart's accessible description: what it shows, and where its numbers are."""
    columns: tuple[str, ...]
    """The table's column heads: 'Start', then each decision."""
    lines: tuple[Plotted, ...]
    y_ticks: tuple[tuple[float, int], ...]
    x_ticks: tuple[tuple[float, str], ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def chart(chart_id: str, title: str, series: Sequence[tuple[str, Sequence[int]]], low: int, high: int) -> Chart:
    """Plot `series` (name, values from the start and after each decision) between `low` and `high`."""
    steps = max((len(v) for _, v in series), default=1)
    span = max(1, high - low)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (inner_w * i / (steps - 1) if steps > 1 else inner_w / 2), 1)

    def y(v: int) -> float:
        return round(TOP + inner_h * (1 - (min(max(v, low), high) - low) / span), 1)

    lines = []
    for n, (name, values) in enumerate(series):
        dots = tuple((x(i), y(v)) for i, v in enumerate(values))
        lines.append(
            Plotted(
                name=flat(name),
                values=tuple(values),
                style=n % STYLES,
                marker=MARKERS[n % len(MARKERS)],
                points=" ".join(f"{a},{b}" for a, b in dots),
                dots=dots,
            )
        )
    tick_values = sorted({low, high, *range(low, high + 1, max(1, span // 4))})
    y_ticks = tuple((y(v), v) for v in tick_values if (v - low) % max(1, span // 4) == 0 or v in (low, high))
    every = max(1, (steps - 1) // 10 + 1)  # at most about ten labels along the bottom
    x_ticks = tuple((x(i), "Start" if i == 0 else str(i)) for i in range(0, steps, every))
    columns = ("Start", *(f"After {i}" for i in range(1, steps)))
    names = ", ".join(line.name for line in lines)
    where = f"from the start through decision {steps - 1}" if steps > 1 else "at the start"
    summary = f"Line chart of {names}, {where}, on a scale of {low} to {high}. The table below gives every value."
    return Chart(chart_id, title, summary, columns, tuple(lines), y_ticks, x_ticks)
