"""A scenario across the cohort: each decision's choices as bars, and the average meters at each ending."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from simulator.tui.review.data import ReviewData
from simulator.tui.review.text import clip, plain, rating_class, rating_word


def bar(count: int, most: int, width: int = 24) -> str:
    """A bar of `count` out of `most`, at least one cell when count > 0."""
    if count <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(width * count / most))


class CohortScreen(Screen[None]):
    """How often each choice was taken at each decision, labelled by rating, and the average meters per ending."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

    def __init__(self, data: ReviewData, scenario_id: str, run_id: int) -> None:
        """Reads the cohort now.

        Raises:
            RecordsError: the records cannot be read.
        """
        super().__init__()
        self.data = data
        self.scenario_id = scenario_id
        self.run_id = run_id
        """The run the view was opened from: its scenario file gives the titles and the choices nobody took."""
        self.scenario = data.scenario_for(run_id)
        self.cohort = data.cohort(scenario_id, self.scenario)

    def compose(self) -> ComposeResult:
        scenario = self.scenario
        data = self.cohort
        labels = {} if scenario is None else {k: scenario.label(k) for k in scenario.initial_values()}
        yield Header()
        with VerticalScroll(id="cohort"):
            versions = len(data.digests)
            yield Static(
                plain(
                    f"{scenario.title if scenario else self.scenario_id}: {data.runs} run(s), {data.finished} finished"
                    + (f" · played on {versions} versions of the file" if versions > 1 else "")
                ),
                classes="summary",
            )
            for d in data.decisions:
                yield Label(plain(f"{d.title or d.state}  ({d.total} decision(s))"), classes="section")
                most = max([c.count for c in d.choices] + [1])
                for c in d.choices:
                    pct = f"{100 * c.count / d.total:.0f}%" if d.total else "—"
                    number = "timeout" if c.choice is None else f"{c.choice}."
                    with Horizontal(classes=f"bar-row {rating_class(c.rating)}"):
                        yield Static(plain(f"{number} {clip(c.text or 'the time ran out', 64)}"), classes="bar-label")
                        yield Static(plain(rating_word(c.rating)), classes="bar-rating")
                        yield Static(bar(c.count, most), classes="bar")
                        rewound = f", {c.rewound} taken back" if c.rewound else ""
                        yield Static(plain(f"{c.count} ({pct}){rewound}"), classes="bar-count")
                if d.said:
                    # Say it first: what trainees wrote before they saw the options, and what they then chose.
                    yield Static(plain("In their own words, before the options:"), classes="said-heading")
                    for taken, text in d.said:
                        took = "then let the time run out" if taken is None else f"then chose {taken}"
                        yield Static(plain(f"“{text}” ({took})"), classes="said-line")
            yield Label("Average meters at each ending", classes="section")
            table: DataTable[Any] = DataTable(id="endings", cursor_type="none")
            meter_ids = (
                list(scenario.meters)
                if scenario is not None
                else sorted({k for e in data.endings for k in e.average_meters})
            )
            table.add_columns("Ending", "Outcome", "Runs", *[plain(labels.get(m, m)) for m in meter_ids])
            for e in data.endings:
                table.add_row(
                    plain(e.title or e.ending),
                    plain(e.outcome or ""),
                    str(e.runs),  # numbers, counted here: nothing in them for a terminal to obey
                    *[("—" if m not in e.average_meters else f"{e.average_meters[m]:.1f}") for m in meter_ids],
                )
            yield table
        yield Footer()
