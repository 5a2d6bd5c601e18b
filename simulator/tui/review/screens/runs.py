"""Every run in a table, narrowed by the filters above it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select

from simulator.records.queries import RunFilter, RunSummary
from simulator.records.store import RecordsError
from simulator.tui.review.data import ReviewData
from simulator.tui.review.text import clip, plain
from simulator.tui.review.widgets.filters import RunFilterBar


class RunsScreen(Screen[None]):
    """All runs in a table, with filters; Enter opens a run's record, c its scenario's cohort."""

    BINDINGS = [
        Binding("enter", "open_run", "Open run", show=True, priority=False),
        Binding("c", "cohort", "Cohort view"),
        Binding("r", "reload", "Reload"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("q", "app.quit", "Quit"),
    ]

    @dataclass
    class RunPicked(Message):
        """A run was chosen, to read its record."""

        run_id: int

    @dataclass
    class ReadFailed(Message):
        """The records could not be read (a damaged database, a vanished file): the review cannot go on."""

        problem: str

    @dataclass
    class CohortAsked(Message):
        """The cohort view of a run's scenario was asked for."""

        scenario_id: str
        run_id: int
        """The run it was asked from: its version of the scenario file names the decisions."""

    def __init__(self, data: ReviewData, start: RunFilter | None = None) -> None:
        super().__init__()
        self.data = data
        self._start = start
        """The filters to open with (picked once the options are known)."""
        self._shown: dict[int, RunSummary] = {}
        """The runs in the table now, by id."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield RunFilterBar(id="filters")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Label("", id="count")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        table.add_columns("Run", "Trainee", "Scenario", "Mode", "Started", "Outcome", "Dec.", "Ending")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        try:
            self.data.reload()
            trainees, scenarios = self.data.trainee_options(), self.data.scenario_ids()
        except RecordsError as exc:
            self.post_message(self.ReadFailed(str(exc)))
            return
        bar = self.query_one(RunFilterBar)
        bar.set_options(trainees, scenarios, self._start)
        self._start = None
        self.refilter(bar.run_filter)

    def refilter(self, run_filter: RunFilter) -> None:
        """Show the runs `run_filter` lets through."""
        try:
            rows, total = self.data.runs(run_filter), self.data.total()
        except RecordsError as exc:
            self.post_message(self.ReadFailed(str(exc)))
            return
        table = self.query_one("#runs", DataTable)
        table.clear()
        self._shown = {r.id: r for r in rows}
        for r in rows:
            table.add_row(
                str(r.id),  # numbers, and the outcome's word from RESULTS: nothing for a terminal to obey
                plain(clip(self.data.shown_name(r.trainee), 16)),
                plain(clip(r.scenario_title or r.scenario_id, 22)),
                plain(clip(r.mode, 10)),
                plain(r.started_at[:10]),
                r.result,
                str(r.decisions),
                plain(clip(r.ending_title or "", 30)),
                key=str(r.id),
            )
        self.query_one("#count", Label).update(f"{len(rows)} of {total} runs · Enter opens the highlighted run")

    @on(RunFilterBar.FilterChanged)
    def _filter_changed(self, event: RunFilterBar.FilterChanged) -> None:
        self.refilter(event.run_filter)

    @on(Input.Submitted)
    def _filter_submitted(self) -> None:
        self.query_one("#runs", DataTable).focus()

    def _highlighted(self) -> int | None:
        table = self.query_one("#runs", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    @on(DataTable.RowSelected, "#runs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.RunPicked(int(event.row_key.value)))

    def action_open_run(self) -> None:
        run_id = self._highlighted()
        if run_id is not None:
            self.post_message(self.RunPicked(run_id))

    def action_cohort(self) -> None:
        run_id = self._highlighted()
        if run_id is None:
            self.notify("No run is highlighted.", severity="warning")
            return
        self.post_message(self.CohortAsked(self._shown[run_id].scenario_id, run_id))

    def action_focus_filter(self) -> None:
        self.query_one("#f-trainee", Select).focus()
