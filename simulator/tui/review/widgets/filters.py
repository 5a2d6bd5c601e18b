"""The runs table's filters: trainee, scenario, outcome and dates, read as one `RunFilter`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.validation import Function
from textual.widgets import Input, Select

from simulator.records.queries import RESULTS, RunFilter, name_key, parse_day
from simulator.records.store import RecordsError
from simulator.tui.review.text import plain

DATE_HELP = "write the date as YYYY-MM-DD"


def day_or_none(text: str) -> date | None:
    """The UTC day typed in a date box, or None while it is empty or not (yet) a date."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_day(text, "the date")
    except RecordsError:
        return None


class RunFilterBar(Horizontal):
    """Filters for the runs, matched as `groupsim report` matches its options (see `RunFilter`).

    The trainee and scenario are picked from those in the records; a date box holding
    something that is not a date is marked invalid and narrows nothing.
    """

    @dataclass
    class FilterChanged(Message):
        """The filters now read differently."""

        run_filter: RunFilter

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last = RunFilter()

    def compose(self) -> ComposeResult:
        yield Select[str]([], prompt="any trainee", id="f-trainee")
        yield Select[str]([], prompt="any scenario", id="f-scenario")
        yield Select[str]([(word, word) for word in RESULTS], prompt="any outcome", id="f-outcome")
        is_day = Function(lambda text: day_or_none(text) is not None, DATE_HELP)
        yield Input(
            placeholder="from date",
            id="f-since",
            tooltip="runs started on or after YYYY-MM-DD (UTC)",
            validators=[is_day],
            valid_empty=True,
        )
        yield Input(
            placeholder="to date",
            id="f-until",
            tooltip="runs started on or before YYYY-MM-DD (UTC)",
            validators=[is_day],
            valid_empty=True,
        )

    @property
    def run_filter(self) -> RunFilter:
        """What the filters say now."""
        outcome = self._value("#f-outcome")
        return RunFilter(
            trainee=self._value("#f-trainee"),
            scenario=self._value("#f-scenario"),
            since=day_or_none(self.query_one("#f-since", Input).value),
            until=day_or_none(self.query_one("#f-until", Input).value),
            outcome=next((word for word in RESULTS if word == outcome), None),
        )

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def set_options(self, trainees: list[tuple[str, str]], scenarios: list[str], start: RunFilter | None) -> None:
        """Offer these trainees ((name as shown, name)) and scenario ids, keeping what is picked where it still is.

        With `start`, pick its trainee and scenario instead, when there are runs of them.
        """
        trainee = self.query_one("#f-trainee", Select)
        scenario = self.query_one("#f-scenario", Select)
        kept_trainee, kept_scenario = self._value("#f-trainee"), self._value("#f-scenario")
        if start is not None:
            kept_trainee, kept_scenario = start.trainee, start.scenario
        trainee.set_options([(plain(shown), name) for shown, name in trainees])
        # A name picked or asked for, under whichever spelling the option now has.
        wanted = None if kept_trainee is None else name_key(kept_trainee)
        match = next((name for _, name in trainees if name_key(name) == wanted), None)
        if match is not None:
            trainee.value = match
        scenario.set_options([(plain(i), i) for i in scenarios])
        if kept_scenario in scenarios:
            scenario.value = kept_scenario

    @on(Select.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        now = self.run_filter
        if now != self._last:
            self._last = now
            self.post_message(self.FilterChanged(now))
