"""A line chart of meters across decisions, drawn in text with labelled axes."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from simulator.tui.plot import Series, legend, plot

SERIES_STYLES = ("$text-primary", "$text-accent", "$text-secondary", "$text-warning", "$text-success", "$text-error")
"""Theme colours for the series; the markers tell them apart without colour."""


def _style(index: int | None) -> str:
    return "" if index is None else SERIES_STYLES[index % len(SERIES_STYLES)]


class MeterChart(Static, can_focus=True):
    """A titled chart of `series` between `low` and `high`, with its legend (Tab stops here)."""

    def __init__(self, title: str, series: list[Series], low: int, high: int, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="meter-chart", markup=False)
        self._title = title
        self._series = series
        self._low = low
        self._high = high

    def on_mount(self) -> None:
        points = max((len(s.values) for s in self._series), default=1)
        step = 6 if points <= 8 else 4 if points <= 14 else 3
        rows = plot(self._series, self._low, self._high, height=17, step=step)
        parts: list[Content | tuple[str, str] | str] = [(self._title, "bold"), "\n"]
        for row in rows:
            parts.extend((text, _style(i)) for text, i in row)
            parts.append("\n")
        parts.extend((text, _style(i)) for text, i in legend(self._series))
        self.update(Content.assemble(*parts))
