"""One play-through as the TUI holds it: the session, how it is played, and who listens.

Pure Python (no Textual). A recorder (issue 6) plugs in as an `Observer`: the app is
given a factory that is called once per run, after the briefing, with the scenario,
the trainee's name, the mode, the seed and whether time limits are on, and returns an
object with any of the methods below. Every call is guarded, so a failing recorder is
reported to the trainee instead of ending their session.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from simulator.engine.model import Scenario
from simulator.engine.session import Session, Step

Mode = Literal["practice", "assessment"]


class Observer(Protocol):
    """What a recorder may implement; each method is optional."""

    def on_step(self, session: Session, step: Step, elapsed_ms: int | None) -> None: ...

    def on_rewind(self, session: Session) -> None: ...

    def on_finish(self, session: Session) -> None: ...

    def on_reflections(self, texts: Mapping[str, str]) -> None: ...

    def on_abandon(self, session: Session) -> None: ...


ObserverFactory = Callable[[Scenario, str, str, int, bool], object]
"""`factory(scenario, trainee, mode, seed, time_limits)` → an object with some of `Observer`'s methods."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the briefing decides: who plays, in which mode, with or without time limits."""

    mode: Mode = "practice"
    trainee: str = ""
    timed: bool = False
    """Practice only: the trainee asked for time limits. Assessment always has them."""

    @property
    def practice(self) -> bool:
        return self.mode == "practice"

    @property
    def time_limits(self) -> bool:
        return self.mode == "assessment" or self.timed

    @property
    def rewind_allowed(self) -> bool:
        return self.mode == "practice"

    @property
    def feedback_now(self) -> bool:
        return self.mode == "practice"


@dataclass
class Run:
    """A session being played, its settings, and the observer told about it."""

    session: Session
    settings: Settings
    observer: object | None = None
    finished_told: bool = field(default=False)

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        settings: Settings,
        *,
        seed: int | None = None,
        observe: ObserverFactory | None = None,
    ) -> tuple[Run, str | None]:
        """Start a run; a fixed `seed` replays the same chances, None picks one at random.

        Returns the run and, if the observer could not be made, why (the run goes on without it).
        """
        seed = secrets.randbelow(1_000_000) if seed is None else seed
        session = Session(scenario, seed)
        observer, problem = None, None
        if observe is not None:
            try:
                observer = observe(scenario, settings.trainee, settings.mode, seed, settings.time_limits)
            except Exception as exc:  # a recorder's failure must not stop the session
                problem = f"{type(exc).__name__}: {exc}"
        return cls(session, settings, observer), problem

    def _tell(self, name: str, *args: object) -> str | None:
        method = getattr(self.observer, name, None)
        if method is None:
            return None
        try:
            method(*args)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def stepped(self, step: Step, elapsed_ms: int | None) -> str | None:
        return self._tell("on_step", self.session, step, elapsed_ms)

    def rewound(self) -> str | None:
        return self._tell("on_rewind", self.session)

    def finished(self) -> str | None:
        if self.finished_told:
            return None
        self.finished_told = True
        return self._tell("on_finish", self.session)

    def reflections(self, texts: Mapping[str, str]) -> str | None:
        return self._tell("on_reflections", dict(texts))

    def abandoned(self) -> str | None:
        """The trainee left this run unfinished on purpose (restart, library): not to be offered again."""
        if self.session.finished:
            return None
        return self._tell("on_abandon", self.session)


class Stopwatch:
    """Time spent on a decision, leaving out time spent paused."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._paused_at: float | None = None
        self._paused_total = 0.0

    def restart(self) -> None:
        self._start = self._clock()
        self._paused_at = None
        self._paused_total = 0.0

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += self._clock() - self._paused_at
            self._paused_at = None

    def elapsed_ms(self) -> int:
        now = self._paused_at if self._paused_at is not None else self._clock()
        return max(0, round((now - self._start - self._paused_total) * 1000))
