"""Reading the records: the runs, one run's record, choice counts, a scenario's cohort.

What `groupsim report` prints and `groupsim review` shows. Every function takes an
open `Store` and returns frozen dataclasses; those `groupsim report --format json`
prints have a `to_json()`.

Both front ends narrow the runs with one `RunFilter`, turned into SQL in one place
(`_where`), so a filter means the same in the report and in the review:

- trainee: the whole name, ignoring case and surrounding or repeated spaces
  (`name_key`): "ann  SMITH " matches "Ann Smith", "Ann" does not;
- scenario: the scenario's id, exactly;
- since / until: the UTC day the run started on, both days included;
- outcome: strong, mixed or poor is a finished run with that outcome; unfinished is
  any run not finished (still active, even one that has reached an ending, or
  abandoned). `RunSummary.result` is the same word for one run.

"Standing" decisions are those no rewind took back; counts use them, and report
the taken-back ones separately as `rewound`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from simulator.records.store import RecordsError, Store

if TYPE_CHECKING:
    from simulator.engine.model import Scenario

PSEUDONYM_PREFIX = "trainee-"

Status = Literal["active", "finished", "abandoned"]
"""Where a run stands in the records."""
Result = Literal["strong", "mixed", "poor", "unfinished"]
"""A run's outcome as a supervisor reads it: a finished run's outcome, else unfinished."""
RESULTS: tuple[Result, ...] = ("strong", "mixed", "poor", "unfinished")
UNFINISHED: Result = "unfinished"

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""What `json.loads` gives back."""


# -- pseudonyms ------------------------------------------------------------------


class Pseudonyms:
    """Stable pseudonyms for trainee names: an HMAC of the name with the database's own key.

    The same name always gets the same pseudonym in one database, and nothing in it
    can be turned back into the name without the key (which stays in the database).
    Six hex digits, lengthened for the whole database if two names would share one.
    """

    def __init__(self, store: Store) -> None:
        key = store.meta("pseudonym_key")
        if not key:
            raise RecordsError(f"the records database {store.path} has no pseudonym key; it may be damaged")
        self._key = bytes.fromhex(key)
        names = trainees(store)
        self._width = 6
        while len({self._digest(n)[: self._width] for n in names}) < len(names) and self._width < 64:
            self._width += 2

    def _digest(self, name: str) -> str:
        return hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def __call__(self, name: str) -> str:
        return PSEUDONYM_PREFIX + self._digest(name)[: self._width]


# -- filters ---------------------------------------------------------------------


def name_key(name: str) -> str:
    """What two trainee names must share to be the same trainee: the words, ignoring case and spacing."""
    return " ".join(name.split()).casefold()


def parse_day(text: str, what: str) -> date:
    """A UTC day written YYYY-MM-DD (anything after the tenth character is ignored).

    Raises:
        RecordsError: naming `what` (e.g. '--since') when it is not a date.
    """
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RecordsError(f"{what} '{text}' is not a date; write it as YYYY-MM-DD") from None


def result_of(status: str, outcome: str | None) -> Result:
    """The word for a run's outcome: a finished run's own outcome, else 'unfinished'."""
    if status == "finished" and outcome in RESULTS:
        return outcome
    return UNFINISHED


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs to read; None (the default) leaves that part open. See the module's docstring."""

    trainee: str | None = None
    """A trainee's name, matched whole, ignoring case and extra spaces (`name_key`)."""
    scenario: str | None = None
    """A scenario's id, exactly."""
    since: date | None = None
    """Runs started on or after this UTC day."""
    until: date | None = None
    """Runs started on or before this UTC day."""
    outcome: Result | None = None
    """strong, mixed or poor (finished with it), or unfinished (active or abandoned)."""

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in RESULTS:
            raise RecordsError(f"the outcome '{self.outcome}' is not one of {', '.join(RESULTS)}")

    @classmethod
    def parse(
        cls,
        *,
        trainee: str | None = None,
        scenario: str | None = None,
        since: str | None = None,
        until: str | None = None,
        outcome: str | None = None,
    ) -> RunFilter:
        """A filter from the command line's words; dates as YYYY-MM-DD.

        Raises:
            RecordsError: a date or the outcome cannot be read.
        """
        return cls(
            trainee=trainee,
            scenario=scenario,
            since=None if since is None else parse_day(since, "--since"),
            until=None if until is None else parse_day(until, "--until"),
            outcome=cast("Result | None", outcome),
        )


SQLParam: TypeAlias = str | int


def _where(
    store: Store,
    run_filter: RunFilter | None = None,
    *,
    status: Status | None = None,
    mode: str | None = None,
    run_id: int | None = None,
) -> tuple[str, list[SQLParam]]:
    """The one place a `RunFilter` (and the exact selections records use inside) becomes SQL on `runs r`."""
    f = run_filter or RunFilter()
    where: list[str] = []
    params: list[SQLParam] = []
    if run_id is not None:
        where.append("r.id = ?")
        params.append(int(run_id))
    if f.trainee is not None:
        # Names are compared in Python (`casefold` knows every script; SQLite's lower() only ASCII),
        # then looked up exactly, so the index on trainee still serves.
        names = trainees_named(store, f.trainee)
        where.append(f"r.trainee IN ({', '.join('?' * len(names))})" if names else "0")
        params.extend(names)
    if f.scenario is not None:
        where.append("r.scenario_id = ?")
        params.append(f.scenario)
    if f.since is not None:
        where.append("r.started_at >= ?")
        params.append(f.since.isoformat())
    if f.until is not None:  # the whole of that day
        where.append("r.started_at < ?")
        params.append((f.until + timedelta(days=1)).isoformat())
    if f.outcome == UNFINISHED:
        where.append("r.status <> 'finished'")
    elif f.outcome is not None:
        where.append("r.status = 'finished' AND r.outcome = ?")
        params.append(f.outcome)
    if status is not None:
        where.append("r.status = ?")
        params.append(status)
    if mode is not None:
        where.append("r.mode = ?")
        params.append(mode)
    return (" WHERE " + " AND ".join(where)) if where else "", params


def trainees(store: Store) -> list[str]:
    """Every trainee's name as recorded, sorted."""
    return [r["trainee"] for r in store.read("SELECT DISTINCT trainee FROM runs ORDER BY trainee")]


def trainees_named(store: Store, name: str) -> list[str]:
    """The recorded names that `name` matches (whole, ignoring case and extra spaces)."""
    key = name_key(name)
    return [n for n in trainees(store) if name_key(n) == key]


def scenario_ids(store: Store) -> list[str]:
    return [r["scenario_id"] for r in store.read("SELECT DISTINCT scenario_id FROM runs ORDER BY scenario_id")]


def check_known(store: Store, trainee: str | None = None, scenario: str | None = None) -> None:
    """Raise `RecordsError` naming what is there when `trainee` (exactly) or `scenario` has no runs at all.

    For deleting a trainee's runs, where the name must be the one recorded; a filter's
    looser match is checked by `check_filter`.
    """
    if trainee is not None and not store.read("SELECT 1 FROM runs WHERE trainee = ? LIMIT 1", (trainee.strip(),)):
        n = len(trainees(store))
        raise RecordsError(
            f"no runs of a trainee named '{trainee}' in {store.path}"
            + (
                f" ({n} other trainee{'s' * (n != 1)} there; names must match exactly)"
                if n
                else " (it holds no runs yet)"
            )
        )
    check_known_scenario(store, scenario)


def check_known_scenario(store: Store, scenario: str | None) -> None:
    """Raise `RecordsError` naming the scenarios there when `scenario` has no runs at all."""
    if scenario is not None and not store.read("SELECT 1 FROM runs WHERE scenario_id = ? LIMIT 1", (scenario,)):
        ids = scenario_ids(store)
        raise RecordsError(
            f"no runs of a scenario '{scenario}' in {store.path}"
            + (f"; runs there are of: {', '.join(ids)}" if ids else " (it holds no runs yet)")
        )


def check_filter(store: Store, run_filter: RunFilter) -> None:
    """Raise `RecordsError` when the filter's trainee or scenario has no runs at all (a likely typo)."""
    if run_filter.trainee is not None and not trainees_named(store, run_filter.trainee):
        n = len({name_key(t) for t in trainees(store)})
        raise RecordsError(
            f"no runs of a trainee named '{run_filter.trainee}' in {store.path}"
            + (
                f" ({n} other trainee{'s' * (n != 1)} there; a name matches whole, ignoring case and extra spaces)"
                if n
                else " (it holds no runs yet)"
            )
        )
    check_known_scenario(store, run_filter.scenario)


# -- runs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run: who played what, how it stands, and the values it stands at."""

    id: int
    trainee: str
    scenario_id: str
    scenario_title: str
    scenario_digest: str
    """SHA-256 of the scenario file the run started on."""
    mode: str
    time_limits: bool
    accommodation: str
    """The time accommodation in force: none, 1.5x, 2x or off."""
    seed: int
    status: Status
    started_at: str
    """ISO 8601, UTC."""
    finished_at: str | None
    outcome: str | None
    """The ending's outcome, recorded as soon as an ending is reached (the run may still be active)."""
    ending: str | None
    ending_title: str | None
    final_meters: Mapping[str, int]
    """The meters the run stands at, finished or not."""
    final_trust: Mapping[str, int]
    """Each member's trust the run stands at."""
    decisions: int
    """Standing decisions."""
    path: str
    """The standing choices in order, as `groupsim run --choose` takes them ('timeout' for a time-out)."""
    rewinds: int
    response_ms: int
    """The standing decisions' response times, in all."""

    @property
    def result(self) -> Result:
        """strong, mixed or poor when finished, else unfinished: the word `RunFilter.outcome` matches."""
        return result_of(self.status, self.outcome)

    def to_json(self) -> dict[str, JSONValue]:
        """The run as `groupsim report --format json` prints it."""
        return {
            "run": self.id,
            "trainee": self.trainee,
            "scenario": self.scenario_id,
            "scenario_title": self.scenario_title,
            "digest": self.scenario_digest,
            "mode": self.mode,
            "time_limits": self.time_limits,
            "time_accommodation": self.accommodation,
            "seed": self.seed,
            "status": self.status,
            "started": self.started_at,
            "finished": self.finished_at,
            "outcome": self.outcome,
            "ending": self.ending,
            "ending_title": self.ending_title,
            "final_meters": dict(self.final_meters),
            "final_trust": dict(self.final_trust),
            "decisions": self.decisions,
            "path": self.path,
            "rewinds": self.rewinds,
            "response_ms": self.response_ms,
        }


def _path_word(choice: int | None) -> str:
    return "timeout" if choice is None else str(choice)


def _values(text: str) -> dict[str, int]:
    """A JSON object of meters or members' trust, as the recorder wrote it (integers by name, in order)."""
    return cast("dict[str, int]", json.loads(text))


def list_runs(
    store: Store,
    run_filter: RunFilter | None = None,
    *,
    status: Status | None = None,
    mode: str | None = None,
    run_id: int | None = None,
) -> list[RunSummary]:
    """The runs `run_filter` lets through, oldest first.

    `status`, `mode` and `run_id` select exactly on those columns, for callers that
    need one kind of run (the cohort's finished runs, one run's record).
    """
    where, params = _where(store, run_filter, status=status, mode=mode, run_id=run_id)
    runs = store.read(
        "SELECT r.id, r.trainee, r.scenario_id, r.scenario_title, r.scenario_digest, r.mode, r.time_limits, r.accommodation,"
        " r.seed, r.status, r.started_at, r.finished_at, r.outcome, r.ending, r.ending_title, r.final_meters, r.final_trust,"
        " r.session_json, (SELECT COUNT(*) FROM events e WHERE e.run_id = r.id AND e.kind = 'rewound') AS rewinds"
        f" FROM runs r{where} ORDER BY r.started_at, r.id",
        tuple(params),
    )
    by_run: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if runs:
        for s in store.read(
            "SELECT s.run_id, s.choice, s.response_ms, s.meters_after, s.trust_after FROM steps s"
            f" JOIN runs r ON r.id = s.run_id{where}{' AND' if where else ' WHERE'} s.undone_by IS NULL"
            " ORDER BY s.run_id, s.seq",
            tuple(params),
        ):
            by_run[s["run_id"]].append(s)
    out = []
    for r in runs:
        steps = by_run.get(r["id"], [])
        meters, trust = _current_values(r, steps)
        out.append(
            RunSummary(
                id=int(r["id"]),
                trainee=r["trainee"],
                scenario_id=r["scenario_id"],
                scenario_title=r["scenario_title"],
                scenario_digest=r["scenario_digest"],
                mode=r["mode"],
                time_limits=bool(r["time_limits"]),
                accommodation=str(r["accommodation"]),
                seed=int(r["seed"]),
                status=r["status"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                outcome=r["outcome"],
                ending=r["ending"],
                ending_title=r["ending_title"],
                final_meters=meters,
                final_trust=trust,
                decisions=len(steps),
                path=",".join(_path_word(s["choice"]) for s in steps),
                rewinds=int(r["rewinds"]),
                response_ms=sum(s["response_ms"] or 0 for s in steps),
            )
        )
    return out


def count_runs(store: Store, run_filter: RunFilter | None = None) -> int:
    """How many runs `run_filter` lets through (all of them without one)."""
    where, params = _where(store, run_filter)
    return int(store.read(f"SELECT COUNT(*) AS n FROM runs r{where}", tuple(params))[0]["n"])


def _current_values(run: dict[str, Any], steps: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    if run["final_meters"] is not None:
        return _values(run["final_meters"]), _values(run["final_trust"] or "{}")
    if steps:
        return _values(steps[-1]["meters_after"]), _values(steps[-1]["trust_after"])
    # no decision yet: the start, from the saved engine state (meters first, then members)
    return cast("dict[str, int]", dict(json.loads(run["session_json"]).get("values", {}))), {}


# -- one run's record ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One decision as recorded, standing or taken back by a rewind."""

    seq: int
    """Its place in the run, shared with the events."""
    turn: int
    state: str
    choice: int | None
    """The authored number; None when the time ran out."""
    rating: str | None
    text: str
    """The choice's text ('' for a time-out)."""
    feedback: str
    meters_before: Mapping[str, int]
    meters_after: Mapping[str, int]
    trust_before: Mapping[str, int]
    trust_after: Mapping[str, int]
    route: tuple[str, ...]
    """The states passed through after the choice."""
    response_ms: int | None
    recorded_at: str
    scenario_digest: str
    """The version of the scenario file this decision was made on."""
    undone: bool
    """Taken back by a rewind."""
    said: str = ""
    """What the trainee wrote in their own words before choosing (say it first), else ''."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """Something that happened to a run between decisions: a rewind, a resumption."""

    seq: int
    kind: str
    """'rewound', 'resumed', 'resumed-on-changed-scenario' or 'exported' (the debrief written to files)."""
    turn: int | None
    """For 'rewound': how many decisions were kept."""
    recorded_at: str
    detail: Mapping[str, JSONValue]
    """For 'exported': `files` (their absolute paths), `host` and `account` (where they were written)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What the records hold of one run: its summary, its steps and events in order, its reflections."""

    run: RunSummary
    entries: tuple[StepRecord | EventRecord, ...]
    """Steps and events in the order they happened."""
    reflections: Mapping[str, str]
    """The trainee's reflections by prompt ('reaction', 'plus', 'delta', 'question-1', ...), in the order saved."""


def run_record(store: Store, run_id: int) -> RunRecord:
    """One run's record.

    Raises:
        RecordsError: there is no such run.
    """
    found = list_runs(store, run_id=run_id)
    if not found:
        raise RecordsError(f"there is no run {run_id} in {store.path}")
    entries: list[StepRecord | EventRecord] = [
        StepRecord(
            seq=int(s["seq"]),
            turn=int(s["turn"]),
            state=s["state"],
            choice=s["choice"],
            rating=s["rating"],
            text=s["choice_text"],
            feedback=s["feedback"],
            meters_before=_values(s["meters_before"]),
            meters_after=_values(s["meters_after"]),
            trust_before=_values(s["trust_before"]),
            trust_after=_values(s["trust_after"]),
            route=tuple(str(x) for x in json.loads(s["route"])),
            response_ms=s["response_ms"],
            recorded_at=s["recorded_at"],
            scenario_digest=s["scenario_digest"],
            undone=s["undone_by"] is not None,
            said=s["said"] or "",
        )
        for s in store.read("SELECT * FROM steps WHERE run_id = ? ORDER BY seq", (run_id,))
    ]
    entries += [
        EventRecord(
            seq=int(e["seq"]),
            kind=e["kind"],
            turn=e["turn"],
            recorded_at=e["recorded_at"],
            detail=json.loads(e["detail"]),
        )
        for e in store.read("SELECT * FROM events WHERE run_id = ? ORDER BY seq", (run_id,))
    ]
    entries.sort(key=lambda x: x.seq)
    reflections = {
        r["prompt"]: r["text"]
        for r in store.read("SELECT prompt, text FROM reflections WHERE run_id = ? ORDER BY rowid", (run_id,))
    }
    return RunRecord(run=found[0], entries=tuple(entries), reflections=reflections)


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """A file a trainee's debrief was exported to: outside the records, on the computer it was written on."""

    path: str
    host: str | None
    """The computer it was written on."""
    run_id: int


def exported_files(store: Store, trainee: str) -> list[ExportedFile]:
    """The debrief exports recorded for the runs of `trainee` (the name exactly as recorded), oldest first."""
    out: dict[str, ExportedFile] = {}
    for row in store.read(
        "SELECT e.run_id, e.detail FROM events e JOIN runs r ON r.id = e.run_id"
        " WHERE r.trainee = ? AND e.kind = 'exported' ORDER BY e.seq, e.id",
        (trainee,),
    ):
        try:
            detail = json.loads(row["detail"])
        except ValueError:
            continue
        if not isinstance(detail, dict):
            continue
        host = detail.get("host")
        files = detail.get("files")
        for f in files if isinstance(files, list) else []:
            if isinstance(f, str) and f not in out:
                out[f] = ExportedFile(f, host if isinstance(host, str) else None, int(row["run_id"]))
    return list(out.values())


# -- choices and cohorts -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChoiceCount:
    """How often one choice at one decision of one scenario stood, and how often it was taken back."""

    scenario_id: str
    state: str
    choice: int | None
    """The authored number; None for a time-out."""
    rating: str | None
    text: str
    count: int
    """Standing decisions that took it."""
    rewound: int
    """Decisions that took it and were taken back by a rewind."""

    def to_json(self) -> dict[str, JSONValue]:
        """The count as `groupsim report --format json` prints it."""
        return {
            "scenario": self.scenario_id,
            "state": self.state,
            "choice": self.choice,
            "rating": self.rating,
            "text": self.text,
            "count": self.count,
            "rewound": self.rewound,
        }


def choice_counts(store: Store, run_filter: RunFilter | None = None) -> list[ChoiceCount]:
    """Per scenario and decision, for the runs `run_filter` lets through: each choice's counts.

    One per (scenario, state, choice): scenarios by id, decisions in the order trainees
    first met them, choices by number and a time-out last.
    """
    where, params = _where(store, run_filter)
    rows = store.read(
        "SELECT r.scenario_id AS scenario, s.state, s.choice, MAX(s.rating) AS rating, MAX(s.choice_text) AS text,"
        " SUM(s.undone_by IS NULL) AS count, SUM(s.undone_by IS NOT NULL) AS rewound,"
        " MIN(s.id) AS first"
        f" FROM steps s JOIN runs r ON r.id = s.run_id{where}"
        " GROUP BY r.scenario_id, s.state, s.choice",
        tuple(params),
    )
    first_seen: dict[tuple[str, str], int] = {}
    for r in rows:
        k = (r["scenario"], r["state"])
        first_seen[k] = min(first_seen.get(k, r["first"]), r["first"])
    rows.sort(
        key=lambda r: (r["scenario"], first_seen[(r["scenario"], r["state"])], r["choice"] is None, r["choice"] or 0)
    )
    return [
        ChoiceCount(
            scenario_id=r["scenario"],
            state=r["state"],
            choice=r["choice"],
            rating=r["rating"],
            text=r["text"],
            count=int(r["count"]),
            rewound=int(r["rewound"]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class CohortChoice:
    """One choice at a decision, across the cohort."""

    choice: int | None
    """The authored number; None for a time-out."""
    text: str
    rating: str | None
    count: int
    rewound: int


@dataclass(frozen=True, slots=True)
class CohortDecision:
    """One decision across the cohort: each choice with how often it stood."""

    state: str
    title: str
    """The decision's title in the scenario file ('' without the file)."""
    choices: tuple[CohortChoice, ...]
    said: tuple[tuple[int | None, str], ...] = ()
    """What trainees wrote in their own words here (say it first), with the choice each
    went on to take (its authored number; None for a time-out), standing decisions only."""

    @property
    def total(self) -> int:
        """Standing decisions made here."""
        return sum(c.count for c in self.choices)


@dataclass(frozen=True, slots=True)
class CohortEnding:
    """One ending across the cohort: how many finished runs reached it, and their average values."""

    ending: str
    title: str
    outcome: str | None
    runs: int
    average_meters: Mapping[str, float]
    average_trust: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Cohort:
    """A scenario across the cohort."""

    scenario_id: str
    runs: int
    finished: int
    digests: tuple[str, ...]
    """The versions of the file the runs were played on."""
    decisions: tuple[CohortDecision, ...]
    endings: tuple[CohortEnding, ...]


def cohort(
    store: Store, scenario: str, scenario_obj: Scenario | None = None, run_filter: RunFilter | None = None
) -> Cohort:
    """A scenario's cohort view: each decision's choices with rating and count, and average meters per ending.

    With `scenario_obj` (the loaded `Scenario`), choices nobody took are listed
    with a count of 0, decisions appear in the file's order with their titles,
    and endings nobody reached are listed too. `run_filter` narrows the runs (its
    scenario is replaced by `scenario`).
    """
    narrowed = replace(run_filter or RunFilter(), scenario=scenario)
    # Decisions in the file's order, then any the file no longer has; choices likewise.
    titles: dict[str, str] = {}
    choices: dict[str, dict[int | None, CohortChoice]] = {}
    if scenario_obj is not None:
        for st in scenario_obj.states.values():
            if st.kind == "decision":
                titles[st.id] = st.title
                choices[st.id] = {c.number: CohortChoice(c.number, c.text, c.rating, 0, 0) for c in st.choices}
    for c in choice_counts(store, narrowed):
        titles.setdefault(c.state, "")
        at = choices.setdefault(c.state, {})
        had = at.get(c.choice)
        if had is None:
            at[c.choice] = CohortChoice(c.choice, c.text, c.rating, c.count, c.rewound)
        else:
            at[c.choice] = replace(had, count=had.count + c.count, rewound=had.rewound + c.rewound)
    said: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
    where, params = _where(store, narrowed)
    for row in store.read(
        "SELECT s.state, s.choice, s.said FROM steps s JOIN runs r ON r.id = s.run_id"
        f"{where}{' AND' if where else ' WHERE'} s.undone_by IS NULL AND s.said != '' ORDER BY s.id",
        tuple(params),
    ):
        said[row["state"]].append((row["choice"], row["said"]))
    decisions = tuple(
        CohortDecision(state, titles[state], tuple(at.values()), tuple(said.get(state, ())))
        for state, at in choices.items()
    )

    # Each ending's title, outcome and finished runs: the file's endings first, then any it no longer has.
    endings: dict[str, tuple[str, str | None, int]] = {}
    if scenario_obj is not None:
        for st in scenario_obj.states.values():
            if st.ending is not None:
                endings[st.id] = (st.ending.title, st.ending.outcome, 0)
    runs = list_runs(store, narrowed)
    finished = [r for r in runs if r.status == "finished"]
    sums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    tsums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in finished:
        eid = r.ending or ""
        title, outcome, n = endings.get(eid, (r.ending_title or "", r.outcome, 0))
        endings[eid] = (title, outcome, n + 1)
        for k, v in r.final_meters.items():
            sums[eid][k].append(v)
        for k, v in r.final_trust.items():
            tsums[eid][k].append(v)
    return Cohort(
        scenario_id=scenario,
        runs=len(runs),
        finished=len(finished),
        digests=tuple(sorted({r.scenario_digest for r in runs})),
        decisions=decisions,
        endings=tuple(
            CohortEnding(
                ending=eid,
                title=title,
                outcome=outcome,
                runs=n,
                average_meters={k: round(sum(v) / len(v), 1) for k, v in sums[eid].items()},
                average_trust={k: round(sum(v) / len(v), 1) for k, v in tsums[eid].items()},
            )
            for eid, (title, outcome, n) in endings.items()
        ),
    )
