"""What a run allows: its mode and the rules that follow from it, in one place.

Every front end and the records ask a `Settings`; none writes a mode rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Mode = Literal["practice", "assessment"]
MODES: tuple[Mode, ...] = ("practice", "assessment")

Accommodation = Literal["none", "1.5x", "2x", "off"]
ACCOMMODATIONS: tuple[Accommodation, ...] = ("none", "1.5x", "2x", "off")
"""Time accommodations (WCAG 2.2.1, Timing Adjustable): a timed decision's limit as
written, one and a half or two times as long, or no limit at all."""
_SCALE = {"none": 1.0, "1.5x": 1.5, "2x": 2.0}

GrantLookup = Callable[[str], str]
"""The time accommodation a trainee's supervisor has granted them by name (`groupsim records
accommodate`): what a front end asks when a named trainee's run starts. The records provide
it (`Recorder.accommodation_for`); a front end only calls it."""


def no_grant(trainee: str) -> str:
    """The `GrantLookup` where there are no records to ask: nobody has been granted anything."""
    return "none"


def more_generous(a: str, b: str) -> Accommodation:
    """The more generous of two time accommodations: none < 1.5x < 2x < off.

    The one rule for combining what a command allows (`--time-accommodation`) with what
    the records grant a trainee, or a trainee's own choice in practice with that grant.

    Raises:
        ValueError: either is not a time accommodation.
    """
    for value in (a, b):
        if value not in ACCOMMODATIONS:
            raise ValueError(f"a time accommodation is one of {', '.join(ACCOMMODATIONS)}, not {value!r}")
    return ACCOMMODATIONS[max(ACCOMMODATIONS.index(a), ACCOMMODATIONS.index(b))]


GRANTED_WORDS: dict[Accommodation, str] = {
    "none": "",
    "1.5x": "Your supervisor has given you one and a half times the time on timed decisions.",
    "2x": "Your supervisor has given you twice the time on timed decisions.",
    "off": "Your supervisor has turned time limits off for you.",
}
"""What a front end tells a trainee whose supervisor granted them a time accommodation."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Who plays, in which mode, and with or without time limits (what the briefing decides)."""

    mode: Mode = "practice"
    trainee: str = ""
    timed: bool = False
    """Practice only: the trainee asked for time limits. Assessment always has them."""
    say_first: bool = False
    """At each decision the trainee first types what they would say or do, then sees the options."""
    author_view: bool = False
    """An author trying out their own file (`--watch`, `--author`): the map shows every
    choice's rating, effects and feedback before it is chosen."""
    accommodation: Accommodation = "none"
    """More time for timed decisions, or none at all: in practice the trainee's choice; in
    assessment only what the supervisor allows (`--time-accommodation`, or per trainee)."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.accommodation not in ACCOMMODATIONS:
            raise ValueError(f"a time accommodation is one of {', '.join(ACCOMMODATIONS)}, not {self.accommodation!r}")

    @classmethod
    def from_record(
        cls, mode: str, trainee: str, time_limits: bool, say_first: bool = False, accommodation: str = "none"
    ) -> Settings:
        """The settings a recorded run was played with (to resume it as it was)."""
        checked: Mode = "assessment" if mode == "assessment" else "practice"
        allowed: Accommodation = next((a for a in ACCOMMODATIONS if a == accommodation), "none")
        return cls(
            mode=checked,
            trainee=trainee,
            timed=time_limits and checked == "practice",
            say_first=say_first,
            accommodation=allowed,
        )

    @property
    def practice(self) -> bool:
        return self.mode == "practice"

    @property
    def time_limits(self) -> bool:
        """Whether timed decisions count down: in assessment unless an accommodation turns
        them off, in practice on request."""
        if self.accommodation == "off":
            return False
        return self.mode == "assessment" or self.timed

    @property
    def rewind_allowed(self) -> bool:
        return self.mode == "practice"

    @property
    def feedback_now(self) -> bool:
        """Feedback after each choice (practice); in assessment it waits for the debrief."""
        return self.mode == "practice"

    @property
    def map_allowed(self) -> bool:
        """The map shows the scenario's graph, so it is for practice only."""
        return self.mode == "practice"

    @property
    def map_shows_everything(self) -> bool:
        """Whether the map shows ratings, effects and feedback of choices not yet taken."""
        return self.author_view

    @property
    def meters_shown(self) -> bool:
        """Whether the group's and members' meters, and what each decision changed, are on
        screen during play. In assessment they stay hidden until the debrief, so that a
        meter moving is not a hint about the choice just made."""
        return self.mode == "practice"

    def time_limit(self, seconds: int | None) -> int | None:
        """The time a trainee gets for a decision whose scenario gives it `seconds` (None: untimed).

        None when time limits are off for this run; with say-it-first, time to type is added.
        """
        if seconds is None or not self.time_limits:
            return None
        typing = TYPING_SECONDS if self.say_first else 0
        return round((seconds + typing) * _SCALE[self.accommodation])


TYPING_SECONDS = 45
"""Added to a timed decision's limit when the trainee types an answer first (say-it-first):
about 20 words at a slow typist's 30 words a minute, and a moment to read what was matched."""
