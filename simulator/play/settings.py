"""What a run allows: its mode and the rules that follow from it, in one place.

Every front end and the records ask a `Settings`; none writes a mode rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["practice", "assessment"]
MODES: tuple[Mode, ...] = ("practice", "assessment")


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

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")

    @classmethod
    def from_record(cls, mode: str, trainee: str, time_limits: bool, say_first: bool = False) -> Settings:
        """The settings a recorded run was played with (to resume it as it was)."""
        checked: Mode = "assessment" if mode == "assessment" else "practice"
        return cls(mode=checked, trainee=trainee, timed=time_limits and checked == "practice", say_first=say_first)

    @property
    def practice(self) -> bool:
        return self.mode == "practice"

    @property
    def time_limits(self) -> bool:
        """Whether timed decisions count down: always in assessment, on request in practice."""
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
        return seconds + (TYPING_SECONDS if self.say_first else 0)


TYPING_SECONDS = 45
"""Added to a timed decision's limit when the trainee types an answer first (say-it-first):
about 20 words at a slow typist's 30 words a minute, and a moment to read what was matched."""
