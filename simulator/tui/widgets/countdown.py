"""A visible countdown for a timed decision."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from simulator.tui.clock import Clock, Ticking


class Countdown(Static):
    """Seconds left to decide. `start(n)`, `stop()`, `pause()`, `resume()`; posts `Expired`."""

    @dataclass
    class Expired(Message):
        """The time ran out."""

    remaining: reactive[int | None] = reactive(None)
    """Whole seconds left, or None when no time limit is running."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._clock = clock
        self._timer: Ticking | None = None
        self._paused = False

    def start(self, seconds: int) -> None:
        self.stop()
        self.remaining = seconds
        self._paused = False
        self._timer = self._clock.every(self, 1.0, self.tick, name="countdown")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.remaining = None

    def pause(self) -> None:
        if self._timer is not None and not self._paused:
            self._timer.pause()
            self._paused = True

    def resume(self) -> None:
        if self._timer is not None and self._paused:
            self._timer.resume()
            self._paused = False

    @property
    def running(self) -> bool:
        return self._timer is not None and not self._paused

    def tick(self) -> None:
        """One second passed (the interval's handler; tests call it to drive time)."""
        if self.remaining is None:
            return
        self.remaining = max(0, self.remaining - 1)
        if self.remaining == 0:
            self.stop()
            self.post_message(self.Expired())

    def watch_remaining(self, remaining: int | None) -> None:
        self.display = remaining is not None
        self.set_class(remaining is not None and remaining <= 10, "hurry")
        if remaining is not None:
            m, s = divmod(remaining, 60)
            self.update(Content(f"{m}:{s:02d} left"))
