"""One run: the session being played, its settings, and the observer told about it.

An observer (the records' recorder, in practice) is made once per run by a factory
the front end is given, called after the briefing with the scenario, the settings
and the seed. Every call to it is guarded, so a failing observer is reported to the
trainee instead of ending their session.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.engine.model import Choice, Scenario
from simulator.engine.session import Session, Step
from simulator.play.order import shown_order
from simulator.play.settings import Settings


class Observer:
    """Told what happens in a run. Every method does nothing here; override the ones you need."""

    def on_step(self, session: Session, step: Step, elapsed_ms: int | None) -> None:
        """A decision was made (or its time ran out) after `elapsed_ms` of thinking time."""

    def on_rewind(self, session: Session) -> None:
        """The session went back to an earlier decision (practice)."""

    def on_finish(self, session: Session) -> None:
        """The trainee reached the debrief of an ending."""

    def on_reflections(self, texts: Mapping[str, str]) -> None:
        """The debrief's reflections as written so far, by prompt key."""

    def on_abandon(self, session: Session) -> None:
        """The trainee left the run unfinished on purpose (restart, library): not to be offered again."""

    def on_clock(self, session: Session, seconds_left: int) -> None:
        """The time left at the timed decision under way, now and then (so a resumed run keeps it)."""

    def on_export(self, paths: Sequence[Path]) -> None:
        """The debrief was exported to these files on this computer (not told of browser downloads)."""


ObserverFactory = Callable[[Scenario, Settings, int], Observer]
"""`factory(scenario, settings, seed)` → the observer of a run that is starting."""


@dataclass
class Run:
    """A session being played, its settings, and the observer told about it."""

    session: Session
    settings: Settings
    observer: Observer | None = None
    finished_told: bool = False
    clock_left: int | None = None
    """Seconds left at the current timed decision when a resumed run was interrupted
    (None: the decision starts with its whole limit)."""

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
                observer = observe(scenario, settings, seed)
            except Exception as exc:  # a recorder's failure must not stop the session
                problem = f"{type(exc).__name__}: {exc}"
        return cls(session, settings, observer), problem

    def on_offer(self) -> tuple[Choice, ...]:
        """The choices on offer now, in the order this run shows them (see `play.order`)."""
        session = self.session
        return shown_order(session.seed, session.state, session.choices())

    def _tell(self, call: Callable[[Observer], None]) -> str | None:
        if self.observer is None:
            return None
        try:
            call(self.observer)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def stepped(self, step: Step, elapsed_ms: int | None) -> str | None:
        return self._tell(lambda o: o.on_step(self.session, step, elapsed_ms))

    def rewound(self) -> str | None:
        return self._tell(lambda o: o.on_rewind(self.session))

    def finished(self) -> str | None:
        if self.finished_told:
            return None
        self.finished_told = True
        return self._tell(lambda o: o.on_finish(self.session))

    def reflections(self, texts: Mapping[str, str]) -> str | None:
        copy = dict(texts)
        return self._tell(lambda o: o.on_reflections(copy))

    def exported(self, paths: Sequence[Path]) -> str | None:
        """The debrief was written to the files `paths`, so the records can say where they are."""
        copy = tuple(paths)
        return self._tell(lambda o: o.on_export(copy))

    def clock(self, seconds_left: int) -> str | None:
        """Tell the observer how much time is left at the timed decision under way."""
        return self._tell(lambda o: o.on_clock(self.session, seconds_left))

    def closed(self) -> str | None:
        """The front end went away for good (a browser tab closed): a run at its ending is
        finished, as its debrief would have recorded it; any other is abandoned, its
        decisions kept. (A terminal that closes leaves the run to be resumed instead.)"""
        return self.finished() if self.session.finished else self.abandoned()

    def abandoned(self) -> str | None:
        """The trainee left this run unfinished on purpose (restart, library): not to be offered again."""
        if self.session.finished:
            return None
        return self._tell(lambda o: o.on_abandon(self.session))


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
