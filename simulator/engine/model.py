"""The scenario as frozen data: what the loader builds and the session plays.

Everything here is immutable and free of I/O. Positions (`Pos`) point back into
the source file so that the validator can name the line of a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from simulator.engine.conditions import Condition, Context

Rating = Literal["recommended", "acceptable", "risky", "harmful"]
Outcome = Literal["strong", "mixed", "poor"]

RATINGS: tuple[str, ...] = ("recommended", "acceptable", "risky", "harmful")
OUTCOMES: tuple[str, ...] = ("strong", "mixed", "poor")
STAGES: tuple[str, ...] = ("forming", "storming", "norming", "performing", "adjourning")


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column in the scenario's source file."""

    line: int = 0
    col: int = 0


NOWHERE = Pos()


@dataclass(frozen=True, slots=True)
class Meter:
    """A bounded whole-number measure of the group, such as trust or cohesion."""

    id: str
    label: str
    start: int
    min: int = 0
    max: int = 100
    help: str = ""
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Member:
    """A group member; `trust` is the start of their own 0..100 trust meter."""

    id: str
    name: str
    about: str = ""
    trust: int = 50
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Voice:
    """Someone who speaks in the scenario but is not a group member (a co-leader, staff):
    they have lines, but no trust meter."""

    id: str
    name: str
    about: str = ""
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Effect:
    """A change to one meter or member: `amount` added, or a fair change in percent."""

    target: str
    amount: int
    fair: bool = False
    pos: Pos = NOWHERE

    def apply(self, value: int, low: int, high: int) -> int:
        """Return `value` after this change, clamped to `low`..`high`."""
        if self.fair:
            bound = high if self.amount > 0 else low
            gap = (bound - value) * abs(self.amount)  # hundredths of a point
            # Integer arithmetic, halves away from zero as the format promises.
            step = (2 * abs(gap) + 100) // 200
            value += step if gap >= 0 else -step
        else:
            value += self.amount
        return low if value < low else high if value > high else value

    def describe(self) -> str:
        """The change as an author wrote it: `+8`, `-6`, `%+20`."""
        sign = "+" if self.amount >= 0 else "-"
        return f"{'%' if self.fair else ''}{sign}{abs(self.amount)}"


@dataclass(frozen=True, slots=True)
class Variant:
    """One version of a text: shown when `when` holds (None: otherwise), the first that holds winning."""

    text: str
    when: Condition | None = None
    pos: Pos = NOWHERE


Variants = tuple[Variant, ...]


def pick(variants: Variants, ctx: Context) -> str | None:
    """The text of the first variant whose condition holds (or that has none), else None."""
    for v in variants:
        if v.when is None or v.when.holds(ctx):
            return v.text
    return None


@dataclass(frozen=True, slots=True)
class Line:
    """One thing a member says; with `when`, only when that holds on arrival."""

    speaker: str
    text: str
    pos: Pos = NOWHERE
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """One of the facilitator's options at a decision."""

    number: int
    text: str
    rating: Rating
    feedback: str
    goto: str
    effects: tuple[Effect, ...] = ()
    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    competencies: tuple[int, ...] = ()
    when: Condition | None = None
    phrasings: tuple[str, ...] = ()
    """Ways a trainee might say this in their own words (they help say-it-first's matcher)."""
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Timeout:
    """What letting the time run out at a decision does, besides going to `on_timeout`:
    a rating, feedback and references for the debrief, and effects and flags, like a choice's."""

    rating: Rating | None = None
    feedback: str = ""
    effects: tuple[Effect, ...] = ()
    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    competencies: tuple[int, ...] = ()
    pos: Pos = NOWHERE


NO_CONSEQUENCE = Timeout()
"""A time-out that only moves on (`on_timeout` written as a state id)."""


@dataclass(frozen=True, slots=True)
class Branch:
    """One branch of a `next` list: a condition, a chance in percent, or the default."""

    goto: str
    when: Condition | None = None
    chance: int | None = None
    pos: Pos = NOWHERE

    @property
    def is_default(self) -> bool:
        return self.when is None and self.chance is None


@dataclass(frozen=True, slots=True)
class Ending:
    """How a scenario ends: an outcome, a title and a debrief text.

    `title` and `debrief` hold the text shown when no variant applies; `variants` maps
    "title" and "debrief" to versions that follow what happened (see `State.variants`).
    """

    outcome: Outcome
    title: str
    debrief: str = ""
    pos: Pos = NOWHERE
    variants: Mapping[str, Variants] = field(default_factory=dict)

    def shown(self, name: Literal["title", "debrief"], ctx: Context) -> str:
        """The ending's `name` as shown, given what `ctx` says happened."""
        return _shown(self, name, ctx)


@dataclass(frozen=True, slots=True)
class State:
    """One moment of the session: it offers choices, routes on, or ends."""

    id: str
    title: str = ""
    narration: str = ""
    lines: tuple[Line, ...] = ()
    prompt: str = "What do you do?"
    time_limit: int | None = None
    on_timeout: str | None = None
    timeout: Timeout = NO_CONSEQUENCE
    """What running out of time does besides going to `on_timeout`."""
    choices: tuple[Choice, ...] = ()
    next: tuple[Branch, ...] = ()
    ending: Ending | None = None
    pos: Pos = NOWHERE
    order: Literal["shuffled", "fixed"] = "shuffled"
    """How a decision's choices are shown: in an order drawn for each run, or as authored."""
    variants: Mapping[str, Variants] = field(default_factory=dict)
    """Versions of "title", "narration" and "prompt" that follow what happened: the first
    whose condition holds on arrival is shown. The plain fields hold the version without a
    condition (shown when none holds), or the default."""
    guarded: bool = field(init=False, repr=False, compare=False)
    """Whether any choice here has a `when` condition (worked out once, so a session
    can hand out the choices of an unconditional decision without testing each)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "guarded", any(c.when is not None for c in self.choices))

    def shown(self, name: Literal["title", "narration", "prompt"], ctx: Context) -> str:
        """The state's `name` as shown on arrival, given what `ctx` says happened."""
        return _shown(self, name, ctx)

    def lines_shown(self, ctx: Context) -> tuple[Line, ...]:
        """The lines spoken on arrival: those without a condition, and those whose condition holds."""
        return tuple(ln for ln in self.lines if ln.when is None or ln.when.holds(ctx))

    @property
    def kind(self) -> Literal["decision", "route", "ending"]:
        if self.ending is not None:
            return "ending"
        return "route" if self.next else "decision"


def _shown(owner: State | Ending, name: str, ctx: Context) -> str:
    variants = owner.variants.get(name)
    if variants:
        text = pick(variants, ctx)
        if text is not None:
            return text
    plain: str = getattr(owner, name)
    return plain


@dataclass(frozen=True, slots=True)
class Group:
    """The setting shown before play."""

    kind: str
    stage: str
    session: str = ""
    setting: str = ""


@dataclass(frozen=True, slots=True)
class Expectation:
    """A check on a value in a scenario test: `op` is one of < <= > >= == !=."""

    name: str
    op: str
    value: int | bool

    def holds(self, actual: int | bool) -> bool:
        v = self.value
        return {
            "<": lambda: actual < v,
            "<=": lambda: actual <= v,
            ">": lambda: actual > v,
            ">=": lambda: actual >= v,
            "==": lambda: actual == v,
            "!=": lambda: actual != v,
        }[self.op]()

    def describe(self) -> str:
        return f"{self.op} {str(self.value).lower() if isinstance(self.value, bool) else self.value}"


@dataclass(frozen=True, slots=True)
class ScenarioTest:
    """A check a scenario carries: a path with expectations, or reachability claims."""

    name: str
    choose: tuple[int | str, ...] | None = None
    seed: int = 0
    ending: str | None = None
    outcome: str | None = None
    values: tuple[Expectation, ...] = ()
    flags: tuple[Expectation, ...] = ()
    visited: tuple[str, ...] = ()
    not_visited: tuple[str, ...] = ()
    reachable: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole scenario, checked and ready to play."""

    id: str
    title: str
    summary: str
    group: Group
    objectives: tuple[str, ...]
    meters: dict[str, Meter]
    states: dict[str, State]
    start: str
    members: dict[str, Member] = field(default_factory=dict)
    cast: dict[str, Voice] = field(default_factory=dict)
    """Speakers who are not members: lines only, no trust meter."""
    flags: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    minutes: int | None = None
    content_notes: tuple[str, ...] = ()
    reflection: tuple[str, ...] = ()
    say_first: bool = False
    """Assessment runs of this scenario ask the trainee's own words before each set of options."""
    tests: tuple[ScenarioTest, ...] = ()
    format: int = 1
    source: str = ""
    """The path the scenario was loaded from, or '' when built in code."""
    digest: str = ""
    """SHA-256 of the source bytes, so a record knows the exact version played."""
    limits: dict[str, tuple[int, int]] = field(init=False, repr=False, compare=False)
    """Every meter's and member's (min, max), worked out once for the session's effects."""

    def __post_init__(self) -> None:
        limits = dict.fromkeys(self.members, (0, 100))
        limits.update({k: (m.min, m.max) for k, m in self.meters.items()})
        object.__setattr__(self, "limits", limits)

    def bounds(self, name: str) -> tuple[int, int]:
        """The min and max of a meter or of a member's trust."""
        return self.limits.get(name, (0, 100))

    def initial_values(self) -> dict[str, int]:
        """Every meter's and member's starting value, meters first."""
        values = {m.id: m.start for m in self.meters.values()}
        values.update({m.id: m.trust for m in self.members.values()})
        return values

    def speaker_name(self, speaker: str) -> str:
        """The display name of whoever speaks a line: a member or one of the cast."""
        if speaker in self.members:
            return self.members[speaker].name
        if speaker in self.cast:
            return self.cast[speaker].name
        return speaker

    def label(self, name: str) -> str:
        """A human name for a meter or member."""
        if name in self.meters:
            return self.meters[name].label
        if name in self.members:
            return self.members[name].name
        return name
