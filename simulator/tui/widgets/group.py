"""The group: every member's trust and the group meters, as labelled bars."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from simulator.play.debrief import signed


@dataclass(frozen=True, slots=True)
class Gauge:
    """What one bar shows: a named value within bounds, and its last change."""

    key: str
    label: str
    value: int
    low: int = 0
    high: int = 100
    change: int = 0
    help: str = ""
    colour_class: str = ""


class MeterBar(Widget):
    """One labelled bar: `Trust  ██████░░░░  60 +8`."""

    DEFAULT_CSS = """
    MeterBar { height: 1; layout: horizontal; }
    MeterBar > .bar-label { text-wrap: nowrap; text-overflow: ellipsis; padding-right: 1; }
    MeterBar > .bar-track { width: 1fr; min-width: 4; }
    MeterBar > .bar-value { width: 4; text-align: right; }
    MeterBar > .bar-change { width: 5; text-align: right; }
    """

    gauge: reactive[Gauge | None] = reactive(None, init=False)
    """What to show; replaced, never mutated."""

    def __init__(self, gauge: Gauge, *, label_width: int = 10) -> None:
        super().__init__(classes="meter-bar", id=f"bar-{gauge.key}")
        self._first = gauge
        self._label_width = label_width

    def compose(self) -> ComposeResult:
        label = Static(classes=f"bar-label {self._first.colour_class}".strip(), markup=False)
        # At most half the bar, so the track keeps room; a longer name ends in "…" (its
        # whole text is in the tooltip and the briefing).
        label.styles.width = self._label_width + 1
        label.styles.max_width = "50%"
        yield label
        yield Static(classes="bar-track", markup=False)
        yield Static(classes="bar-value", markup=False)
        yield Static(classes="bar-change", markup=False)

    def on_mount(self) -> None:
        self.gauge = self._first

    def on_resize(self) -> None:
        self._draw_track()

    def watch_gauge(self, gauge: Gauge | None) -> None:
        if gauge is None:
            return
        self.query_one(".bar-label", Static).update(Content(gauge.label))
        self.query_one(".bar-value", Static).update(Content(str(gauge.value)))
        change = self.query_one(".bar-change", Static)
        change.update(Content(signed(gauge.change) if gauge.change else ""))
        change.set_class(gauge.change > 0, "up")
        change.set_class(gauge.change < 0, "down")
        about = f"{gauge.label}: {gauge.value} (from {gauge.low} to {gauge.high})"
        self.tooltip = f"{about}\n{gauge.help}" if gauge.help else about
        self._draw_track()

    def _draw_track(self) -> None:
        gauge = self.gauge
        if gauge is None:
            return
        track = self.query_one(".bar-track", Static)
        width = max(1, track.size.width - 1)
        span = max(1, gauge.high - gauge.low)
        filled = round((gauge.value - gauge.low) / span * width)
        track.update(Content.assemble(("█" * filled, "$primary"), ("░" * (width - filled), "$foreground 30%")))


HIDDEN = (
    "Hidden until the debrief. In assessment the meters do not move on screen, "
    "so they give no hint about a choice; the debrief shows how each one moved."
)


class GroupPanel(VerticalScroll):
    """The group meters, then each member's trust. Set `meters` and `members`.

    With `hidden` (assessment) it says the meters are hidden and lists who is in the room.
    """

    meters: reactive[tuple[Gauge, ...]] = reactive((), init=False)
    """The group meters, in the scenario's order."""
    members: reactive[tuple[Gauge, ...]] = reactive((), init=False)
    """Each member's trust, in the scenario's order."""

    def __init__(
        self, meters: tuple[Gauge, ...], members: tuple[Gauge, ...], *, hidden: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id, can_focus=False)
        self._meters = meters
        self._members = members
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        if self.hidden:
            yield Static(Content(HIDDEN), classes="meters-hidden")
            if self._members:
                yield Static(Content("In the room"), classes="panel-heading")
                for g in self._members:
                    yield Static(Content(g.label), classes=f"member-name {g.colour_class}".strip(), markup=False)
            return
        # Every label as wide as the longest, so names are shown whole where there is room.
        width = max((len(g.label) for g in (*self._meters, *self._members)), default=8)
        for g in self._meters:
            yield MeterBar(g, label_width=width)
        if self._members:
            yield Static(Content("Members' trust"), classes="panel-heading")
            for g in self._members:
                yield MeterBar(g, label_width=width)

    def _push(self, gauges: tuple[Gauge, ...]) -> None:
        if self.hidden:
            return
        for g in gauges:
            self.query_one(f"#bar-{g.key}", MeterBar).gauge = g

    def watch_meters(self, gauges: tuple[Gauge, ...]) -> None:
        self._push(gauges)

    def watch_members(self, gauges: tuple[Gauge, ...]) -> None:
        self._push(gauges)
