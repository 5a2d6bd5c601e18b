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

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")

    @classmethod
    def from_record(cls, mode: str, trainee: str, time_limits: bool) -> Settings:
        """The settings a recorded run was played with (to resume it as it was)."""
        checked: Mode = "assessment" if mode == "assessment" else "practice"
        return cls(mode=checked, trainee=trainee, timed=time_limits and checked == "practice")

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
