"""Where the app's time comes from: the time now, and callbacks after or every so many seconds.

Everything in the TUI that waits or counts (a decision's countdown, the time taken to
decide, saving reflections a moment after typing stops, looking at a watched file) asks
the app's `Clock`. The real one is `time.monotonic` and Textual's timers; tests give the
app a `ManualClock` and move it on by hand, so no test depends on how fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from textual.message_pump import MessagePump

Callback = Callable[[], object]


class Ticking(Protocol):
    """A scheduled callback: stop it for good, or hold it and let it go on."""

    def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class Clock:
    """Real time: `time.monotonic` and Textual timers on the widget that asks."""

    def now(self) -> float:
        return time.monotonic()

    def after(self, owner: MessagePump, seconds: float, callback: Callback, name: str | None = None) -> Ticking:
        """Call `callback` once, `seconds` from now (while `owner` lives)."""
        return owner.set_timer(seconds, callback, name=name)

    def every(self, owner: MessagePump, seconds: float, callback: Callback, name: str | None = None) -> Ticking:
        """Call `callback` every `seconds` (while `owner` lives)."""
        return owner.set_interval(seconds, callback, name=name)


class _Scheduled:
    """One callback of a `ManualClock`."""

    def __init__(self, clock: ManualClock, owner: MessagePump, due: float, period: float | None, callback: Callback):
        self.clock = clock
        self.owner = owner
        self.due = due
        self.period = period
        self.callback = callback
        self.stopped = False
        self.paused_at: float | None = None

    def stop(self) -> None:
        self.stopped = True

    def pause(self) -> None:
        if self.paused_at is None:
            self.paused_at = self.clock.now()

    def resume(self) -> None:
        if self.paused_at is not None:
            self.due += self.clock.now() - self.paused_at  # the time held does not count
            self.paused_at = None


class ManualClock(Clock):
    """Time that moves only when `advance` is called: for tests.

    `advance(seconds)` calls, in order, every callback falling due on the way, as the
    real clock's timers would have; a held (paused) one waits, and a stopped one, or one
    whose owner has left the screen, is dropped.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._scheduled: list[_Scheduled] = []

    def now(self) -> float:
        return self._now

    def after(self, owner: MessagePump, seconds: float, callback: Callback, name: str | None = None) -> Ticking:
        return self._add(_Scheduled(self, owner, self._now + seconds, None, callback))

    def every(self, owner: MessagePump, seconds: float, callback: Callback, name: str | None = None) -> Ticking:
        return self._add(_Scheduled(self, owner, self._now + seconds, seconds, callback))

    def _add(self, item: _Scheduled) -> _Scheduled:
        self._scheduled.append(item)
        return item

    def pending(self) -> int:
        """How many callbacks are waiting (not stopped)."""
        return sum(1 for s in self._scheduled if not s.stopped)

    def advance(self, seconds: float) -> None:
        """Move time on by `seconds`, calling whatever falls due, earliest first."""
        end = self._now + seconds
        while True:
            live = [s for s in self._scheduled if not s.stopped and s.paused_at is None and s.owner.is_attached]
            self._scheduled = [s for s in self._scheduled if not s.stopped and s.owner.is_attached]
            due = [s for s in live if s.due <= end]
            if not due:
                break
            item = min(due, key=lambda s: s.due)
            self._now = max(self._now, item.due)
            if item.period is None:
                item.stopped = True
            else:
                item.due += item.period
            item.callback()
        self._now = end
