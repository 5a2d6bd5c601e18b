"""The supervisor's review app and its factory, shared by `groupsim review` and the tests."""

from __future__ import annotations

from textual import on
from textual.app import App

from simulator.records.queries import RunFilter
from simulator.records.store import RecordsError, Store
from simulator.tui.review.data import ReviewData
from simulator.tui.review.screens.cohort import CohortScreen
from simulator.tui.review.screens.run import RunRecordScreen
from simulator.tui.review.screens.runs import RunsScreen


class ReviewApp(App[None]):
    """The runs → one run's record, or a scenario's cohort."""

    TITLE = "groupsim review"
    CSS_PATH = "review.tcss"

    def __init__(self, store: Store, *, start: RunFilter, anonymise: bool) -> None:
        super().__init__()
        self.data = ReviewData(store, anonymise=anonymise)
        """The records, as the screens show them."""
        self.start = start
        """The filters the runs table opens with."""
        self.problem: str | None = None
        """Why the review stopped early (the records could not be read), for the command to print."""

    def on_mount(self) -> None:
        self.push_screen(RunsScreen(self.data, self.start))

    @on(RunsScreen.RunPicked)
    def _open_run(self, event: RunsScreen.RunPicked) -> None:
        try:
            screen = RunRecordScreen(self.data, event.run_id)
        except RecordsError as exc:
            self.fail(str(exc))
            return
        self.push_screen(screen)

    @on(RunsScreen.CohortAsked)
    def _open_cohort(self, event: RunsScreen.CohortAsked) -> None:
        try:
            screen = CohortScreen(self.data, event.scenario_id, event.run_id)
        except RecordsError as exc:
            self.fail(str(exc))
            return
        self.push_screen(screen)

    @on(RunsScreen.ReadFailed)
    def _read_failed(self, event: RunsScreen.ReadFailed) -> None:
        self.fail(event.problem)

    def fail(self, problem: str) -> None:
        """Stop: the records cannot be read. `groupsim review` prints `problem` and exits 1."""
        self.problem = problem
        self.exit(return_code=1)


def make_app(
    store: Store, *, trainee: str | None = None, scenario: str | None = None, anonymise: bool = False
) -> ReviewApp:
    """The app `groupsim review` runs, on an open `Store`.

    Args:
        store: the records database; the caller closes it after the app has run.
        trainee: open with the runs of this trainee (the name matched as `RunFilter` matches it).
        scenario: open with the runs of this scenario id.
        anonymise: show pseudonyms instead of trainees' names, in the table and its filter.
    """
    return ReviewApp(store, start=RunFilter(trainee=trainee, scenario=scenario), anonymise=anonymise)
