"""What the review's screens read: the runs through one `RunFilter`, names as shown, each run's scenario file.

No Textual here: the screens are handed a `ReviewData` and ask it.
"""

from __future__ import annotations

from simulator.engine.model import Scenario
from simulator.records.queries import (
    Cohort,
    Pseudonyms,
    RunFilter,
    RunRecord,
    RunSummary,
    cohort,
    count_runs,
    list_runs,
    name_key,
    run_record,
    scenario_ids,
    trainees,
)
from simulator.records.recorder import Recorder
from simulator.records.resume import locate
from simulator.records.store import Store


class ReviewData:
    """The records as the review shows them: with pseudonyms for names when `anonymise`."""

    def __init__(self, store: Store, *, anonymise: bool = False) -> None:
        self.store = store
        self.anonymise = anonymise
        self._pseudonyms: Pseudonyms | None = None
        self._scenarios: dict[int, Scenario | None] = {}

    def reload(self) -> None:
        """Read the names afresh (a pseudonym can lengthen when a new name would share one)."""
        self._pseudonyms = Pseudonyms(self.store) if self.anonymise else None

    def shown_name(self, name: str) -> str:
        """The trainee's name, or its pseudonym when anonymised."""
        return self._pseudonyms(name) if self._pseudonyms is not None else name

    def trainee_options(self) -> list[tuple[str, str]]:
        """(name as shown, name) for each trainee, sorted as shown.

        Names that a `RunFilter` takes for one trainee (differing only in case or spacing)
        are one option, under the spelling recorded first in sorted order.
        """
        by_key: dict[str, str] = {}
        for name in trainees(self.store):
            by_key.setdefault(name_key(name), name)
        shown = ((self.shown_name(n) or "(no name)", n) for n in by_key.values())
        return sorted(shown, key=lambda o: (o[0].casefold(), o[0]))

    def scenario_ids(self) -> list[str]:
        return scenario_ids(self.store)

    def runs(self, run_filter: RunFilter) -> list[RunSummary]:
        """The runs the filter lets through, oldest first: what `groupsim report` lists for it."""
        return list_runs(self.store, run_filter)

    def total(self) -> int:
        """How many runs there are in all."""
        return count_runs(self.store)

    def record(self, run_id: int) -> RunRecord:
        return run_record(self.store, run_id)

    def cohort(self, scenario_id: str, scenario: Scenario | None) -> Cohort:
        return cohort(self.store, scenario_id, scenario)

    def scenario_for(self, run_id: int) -> Scenario | None:
        """The scenario file of a run, for titles and choices nobody took (None if it cannot be found)."""
        if run_id not in self._scenarios:
            info = Recorder(store=self.store).run(run_id)
            self._scenarios[run_id] = locate(info)[0]
        return self._scenarios[run_id]
