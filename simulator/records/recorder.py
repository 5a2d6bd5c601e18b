"""Writing runs as they are played, and picking an interrupted one up again.

Every decision is one transaction: the step's row and the run's current engine
state are written together, so after a crash (a closed terminal, SIGKILL) the
database holds exactly the decisions that were made, and `resume` restores the
session as it stood after the last of them.

A rewind (practice mode) is an event, not a deletion: the steps it takes back
stay in the table with `undone_by` pointing at the rewind, so the record still
shows what was chosen first.

Resuming on a changed scenario file: `resume` refuses by default, raising
`ScenarioChanged` whose message names both versions. A run is evidence of how a
trainee did on one exact version, so the honest default is to keep it as it is
and start a new run. A caller that asks the trainee and gets a yes passes
`accept_changed=True`; the session is then restored onto the new version (if it
still fits: same states and meters), an event records both digests, and every
later step carries the new digest, so the record stays true.

Whose run it is: each run records the computer it was started on and the
operating-system account (`Origin`), so that on a database a cohort shares,
`unfinished_runs` offers a trainee only the runs they left, and `resume` continues
no one else's. Runs recorded before groupsim kept these (NULL in both) are taken to
belong to the account that owns the database file: on a personal database that is
the trainee who made them; on a shared one they are kept out of everyone's way (they
stay in the records, for `report` and `review`). This keeps runs out of sight; it is
no lock: anyone who may write the database may read all of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.engine.model import Scenario
from simulator.engine.session import Session, SessionError, Step
from simulator.play.run import Observer, ObserverFactory
from simulator.play.settings import Settings
from simulator.records.store import RecordsError, ScenarioChanged, Store, _now, is_default

EXPORTED = "exported"
"""The kind of event that records the files a debrief was exported to."""


def _dumps(value: Any) -> str:
    import json  # here, not at the top: the first screen needs no JSON, the first decision does

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the records say about one run, without its steps."""

    id: int
    trainee: str
    scenario_id: str
    scenario_title: str
    scenario_digest: str
    scenario_source: str
    mode: str
    seed: int
    time_limits: bool
    """Whether the run's timed decisions count down (always in assessment)."""
    status: str
    started_at: str
    updated_at: str
    finished_at: str | None
    ending: str | None
    ending_title: str | None
    outcome: str | None
    decisions: int
    """Decisions that stand (those taken back by a rewind are not counted)."""
    host: str | None = None
    """The computer the run was started on (None for runs recorded before groupsim kept it)."""
    account: str | None = None
    """The operating-system account that started it (None likewise)."""
    say_first: bool = False
    """The run asked for the trainee's own words before each decision's options."""
    accommodation: str = "none"
    """The time accommodation in force: none, 1.5x, 2x or off."""
    clock_left: int | None = None
    """Seconds left at the timed decision under way when the run was last seen (for resuming)."""
    clock_turn: int | None = None
    """The decision `clock_left` belongs to (decisions made before it)."""

    @property
    def settings(self) -> Settings:
        """The settings the run was played with."""
        return Settings.from_record(self.mode, self.trainee, self.time_limits, self.say_first, self.accommodation)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunInfo:
        return cls(
            id=int(row["id"]),
            trainee=row["trainee"],
            scenario_id=row["scenario_id"],
            scenario_title=row["scenario_title"],
            scenario_digest=row["scenario_digest"],
            scenario_source=row["scenario_source"],
            mode=row["mode"],
            seed=int(row["seed"]),
            time_limits=bool(row["time_limits"]),
            status=row["status"],
            started_at=row["started_at"],
            updated_at=row["updated_at"],
            finished_at=row["finished_at"],
            ending=row["ending"],
            ending_title=row["ending_title"],
            outcome=row["outcome"],
            decisions=int(row["decisions"]),
            host=row["host"],
            account=row["account"],
            say_first=bool(row["say_first"]),
            accommodation=str(row["accommodation"]),
            clock_left=row["clock_left"],
            clock_turn=row["clock_turn"],
        )


RUN_COLUMNS = """
    r.id, r.trainee, r.scenario_id, r.scenario_title, r.scenario_digest, r.scenario_source,
    r.mode, r.seed, r.time_limits, r.status, r.started_at, r.updated_at, r.finished_at, r.ending, r.ending_title, r.outcome,
    (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.undone_by IS NULL) AS decisions, r.host, r.account,
    r.say_first, r.accommodation, r.clock_left, r.clock_turn
"""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a run is played: the computer's name and the operating-system account."""

    host: str
    account: str

    @classmethod
    def here(cls) -> Origin:
        """This computer and the account this process runs as."""
        import socket

        return cls(host=socket.gethostname(), account=_account())

    @classmethod
    def served(cls) -> Origin:
        """Runs played in browser tabs under `groupsim serve` on this computer: never offered to a terminal's `play`.

        (Every tab runs as the operator's account, so the account alone would hand
        them to the operator's own `groupsim play`.)
        """
        here = cls.here()
        return cls(host=here.host, account=f"{SERVED_PREFIX}{here.account}")


SERVED_PREFIX = "groupsim-serve:"
"""Marks the account of runs played in a browser (`Origin.served`)."""


def _account() -> str:
    """The name of the account this process runs as (its numeric id where it has no name)."""
    if hasattr(os, "getuid"):
        try:
            import pwd

            return pwd.getpwuid(os.getuid()).pw_name
        except (ImportError, KeyError):
            return str(os.getuid())
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no name to be found: the runs are still recorded, under ''
        return ""


def _split(scenario: Scenario, values: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Meters and members' trust, each in the scenario's order."""
    meters = {k: int(values[k]) for k in scenario.meters if k in values}
    trust = {k: int(values[k]) for k in scenario.members if k in values}
    return meters, trust


def _next_seq(conn: Any, run_id: int) -> int:
    row = conn.execute(
        "SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM steps WHERE run_id = ?1"
        " UNION ALL SELECT MAX(seq) FROM events WHERE run_id = ?1)",
        (run_id,),
    ).fetchone()
    return (row[0] or 0) + 1


def _ending_columns(session: Session) -> tuple[str | None, ...]:
    """ending, ending_title, outcome, final_meters, final_trust: all None until an ending is reached."""
    ending = session.ending
    if ending is None:
        return (None, None, None, None, None)
    meters, trust = _split(session.scenario, session.values)
    # The title as this run showed it (an ending's title may follow what happened).
    return (session.state.id, ending.shown("title", session.context), ending.outcome, _dumps(meters), _dumps(trust))


class Recorder:
    """Records runs in the database at `db` (see `store.resolve_path` for the default).

    Raises:
        RecordsError: from any method, with a message for a person, when the
            database cannot be opened or written, or a run id is unknown.
    """

    def __init__(
        self, db: str | os.PathLike[str] | None = None, *, store: Store | None = None, origin: Origin | None = None
    ) -> None:
        self.store = store if store is not None else Store.open(db)
        self.origin = origin if origin is not None else Origin.here()
        """Recorded with each run this recorder starts; only runs started from here are offered back."""

    @property
    def path(self) -> os.PathLike[str]:
        return self.store.path

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------
    def start_run(self, scenario: Scenario, settings: Settings, seed: int) -> int:
        """Open a run of `scenario` played with `settings` and return its id. Its state is the session's start."""
        start = Session(scenario, seed).to_json()
        now = _now()

        def insert(conn: Any) -> int:
            cur = conn.execute(
                "INSERT INTO runs (trainee, scenario_id, scenario_digest, scenario_title, scenario_source,"
                " mode, seed, time_limits, status, started_at, updated_at, session_json, host, account,"
                " say_first, accommodation)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
                (
                    settings.trainee.strip(),
                    scenario.id,
                    scenario.digest,
                    scenario.title,
                    scenario.source,
                    settings.mode,
                    int(seed),
                    int(settings.time_limits),
                    now,
                    now,
                    _dumps(start),
                    self.origin.host,
                    self.origin.account,
                    int(settings.say_first),
                    settings.accommodation,
                ),
            )
            return int(cur.lastrowid)

        return self.store.write(insert)

    def record_step(self, run_id: int, session: Session, step: Step, elapsed_ms: int | None) -> int:
        """Write one decision and the session's state after it, in one transaction."""
        scenario = session.scenario
        mb, tb = _split(scenario, step.before)
        ma, ta = _split(scenario, step.after)
        state = _dumps(session.to_json())
        now = _now()
        # An ending reached is on the run at once, even if the debrief is never opened;
        # the run is 'finished' only by finish_run (practice may still rewind from here).
        reached = _ending_columns(session)

        def insert(conn: Any) -> int:
            self._require(conn, run_id, active=True)
            seq = _next_seq(conn, run_id)
            cur = conn.execute(
                "INSERT INTO steps (run_id, seq, turn, scenario_digest, state, choice, rating, choice_text,"
                " feedback, meters_before, meters_after, trust_before, trust_after, flags_set, flags_unset,"
                " route, response_ms, recorded_at, session_json, said)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    step.turn,
                    scenario.digest,
                    step.state,
                    step.choice,
                    step.rating,
                    step.text,
                    step.feedback,
                    _dumps(mb),
                    _dumps(ma),
                    _dumps(tb),
                    _dumps(ta),
                    _dumps(list(step.flags_set)),
                    _dumps(list(step.flags_unset)),
                    _dumps(list(step.route)),
                    None if elapsed_ms is None else int(elapsed_ms),
                    now,
                    state,
                    step.said,
                ),
            )
            conn.execute(
                "UPDATE runs SET session_json = ?, updated_at = ?, ending = ?, ending_title = ?, outcome = ?,"
                " final_meters = ?, final_trust = ?, clock_left = NULL, clock_turn = NULL WHERE id = ?",
                (state, now, *reached, run_id),
            )
            return int(cur.lastrowid)

        return self.store.write(insert)

    def record_rewind(self, run_id: int, session: Session) -> int:
        """Record that `session` was rewound (it now stands after `session.turn` decisions).

        The steps after that point are marked as undone by this event, not deleted.
        """
        kept = session.turn
        state = _dumps(session.to_json())
        now = _now()

        def insert(conn: Any) -> int:
            self._require(conn, run_id, active=True)
            seq = _next_seq(conn, run_id)
            cur = conn.execute(
                "INSERT INTO events (run_id, seq, kind, turn, detail, recorded_at) VALUES (?, ?, 'rewound', ?, ?, ?)",
                (run_id, seq, kept, _dumps({"to_turn": kept}), now),
            )
            event = int(cur.lastrowid)
            conn.execute(
                "UPDATE steps SET undone_by = ? WHERE run_id = ? AND turn > ? AND undone_by IS NULL",
                (event, run_id, kept),
            )
            conn.execute(
                "UPDATE runs SET session_json = ?, updated_at = ?, ending = ?, ending_title = ?, outcome = ?,"
                " final_meters = ?, final_trust = ? WHERE id = ?",
                (state, now, *_ending_columns(session), run_id),
            )
            return event

        return self.store.write(insert)

    def finish_run(self, run_id: int, session: Session) -> None:
        """Close the run with the session's ending, outcome and final values."""
        if session.ending is None:
            raise SessionError("the session has not reached an ending yet")
        state = _dumps(session.to_json())
        now = _now()

        def update(conn: Any) -> None:
            self._require(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = 'finished', finished_at = ?, updated_at = ?, ending = ?, ending_title = ?,"
                " outcome = ?, final_meters = ?, final_trust = ?, session_json = ? WHERE id = ?",
                (now, now, *_ending_columns(session), state, run_id),
            )

        self.store.write(update)

    def record_clock(self, run_id: int, turn: int, seconds_left: int) -> None:
        """Note the time left at the timed decision under way (after `turn` decisions), so
        that a run resumed after a crash gives back that time rather than the full limit."""

        def update(conn: Any) -> None:
            conn.execute(
                "UPDATE runs SET clock_left = ?, clock_turn = ? WHERE id = ? AND status = 'active'",
                (int(seconds_left), int(turn), run_id),
            )

        self.store.write(update)

    def finished_scenarios(self) -> set[str]:
        """The ids of the scenarios this account has finished a run of here (for the library)."""
        rows = self.store.read(
            "SELECT DISTINCT scenario_id FROM runs WHERE status = 'finished' AND host IS ? AND account IS ?",
            (self.origin.host, self.origin.account),
        )
        return {str(r["scenario_id"]) for r in rows}

    def abandon_run(self, run_id: int) -> None:
        """Mark an unfinished run as given up (the trainee chose not to resume it)."""
        now = _now()

        def update(conn: Any) -> None:
            self._require(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = 'abandoned', updated_at = ? WHERE id = ? AND status = 'active'", (now, run_id)
            )

        self.store.write(update)

    def record_export(self, run_id: int, paths: Sequence[str | os.PathLike[str]]) -> int:
        """Record that the run's debrief was exported to the files `paths` (kept whole, to find them again).

        `groupsim records delete` lists them: they are outside the records, and only
        the trainee's computer has them.
        """
        files = [os.path.abspath(p) for p in paths]
        detail = {"files": files, "host": self.origin.host, "account": self.origin.account}
        now = _now()

        def insert(conn: Any) -> int:
            self._require(conn, run_id)
            cur = conn.execute(
                "INSERT INTO events (run_id, seq, kind, turn, detail, recorded_at) VALUES (?, ?, ?, NULL, ?, ?)",
                (run_id, _next_seq(conn, run_id), EXPORTED, _dumps(detail), now),
            )
            return int(cur.lastrowid)

        return self.store.write(insert)

    def save_reflections(self, run_id: int, texts: Mapping[str, str]) -> None:
        """Save the debrief's reflections (e.g. reaction, plus, delta); a later save replaces a prompt's text."""
        now = _now()
        rows = [(run_id, str(k), str(v), now) for k, v in texts.items()]

        def upsert(conn: Any) -> None:
            self._require(conn, run_id)
            conn.executemany(
                "INSERT INTO reflections (run_id, prompt, text, saved_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (run_id, prompt) DO UPDATE SET text = excluded.text, saved_at = excluded.saved_at",
                rows,
            )

        self.store.write(upsert)

    @staticmethod
    def _require(conn: Any, run_id: int, *, active: bool = False) -> None:
        row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RecordsError(f"there is no run {run_id} in the records")
        if active and row[0] != "active":
            raise RecordsError(f"run {run_id} is {row[0]}; no more decisions can be added to it")

    # -- reading and resuming -------------------------------------------------------
    def run(self, run_id: int) -> RunInfo:
        rows = self.store.read(f"SELECT {RUN_COLUMNS} FROM runs r WHERE r.id = ?", (run_id,))
        if not rows:
            raise RecordsError(f"there is no run {run_id} in the records")
        return RunInfo.from_row(rows[0])

    def accommodation_for(self, trainee: str) -> str:
        """The time accommodation the records grant `trainee` (1.5x, 2x, off, or none): a front
        end's `simulator.play.settings.GrantLookup`. Matched as the report's --trainee matches names."""
        from simulator.records.accommodations import accommodation_for

        return accommodation_for(self.store, trainee)

    def is_mine(self, info: RunInfo) -> bool:
        """Whether `info` was started from this recorder's computer and account (see the module's docstring)."""
        if info.host is None and info.account is None:
            return self._old_runs_are_mine()
        return (info.host, info.account) == (self.origin.host, self.origin.account)

    def _old_runs_are_mine(self) -> bool:
        """Runs recorded before groupsim kept their origin belong to the account that owns the file."""
        if hasattr(os, "getuid"):
            try:
                return os.stat(self.store.path).st_uid == os.getuid()
            except OSError:
                return False
        return is_default(Path(self.store.path))  # no owners to compare: only your own default database

    def unfinished_runs(
        self, trainee: str | None = None, scenario_id: str | None = None, *, everyone: bool = False
    ) -> list[RunInfo]:
        """Runs still active (started, not finished nor abandoned), most recent first.

        Only those started from this computer and account (`is_mine`), unless `everyone`.
        """
        where: list[str] = ["r.status = 'active'"]
        params: list[str] = []
        if not everyone:
            mine = "(r.host = ? AND r.account = ?)"
            params += [self.origin.host, self.origin.account]
            if self._old_runs_are_mine():
                mine = f"({mine} OR (r.host IS NULL AND r.account IS NULL))"
            where.append(mine)
        if trainee is not None:
            where.append("r.trainee = ?")
            params.append(trainee.strip())
        if scenario_id is not None:
            where.append("r.scenario_id = ?")
            params.append(scenario_id)
        rows = self.store.read(
            f"SELECT {RUN_COLUMNS} FROM runs r WHERE {' AND '.join(where)} ORDER BY r.updated_at DESC, r.id DESC",
            tuple(params),
        )
        return [RunInfo.from_row(r) for r in rows]

    def saved_state(self, run_id: int) -> dict[str, Any]:
        """The engine JSON the run stands at now."""
        rows = self.store.read("SELECT session_json FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RecordsError(f"there is no run {run_id} in the records")
        import json

        return json.loads(rows[0]["session_json"])

    def resume(self, run_id: int, scenario: Scenario, *, accept_changed: bool = False) -> Session:
        """The session of run `run_id`, exactly as it stood after its last recorded step.

        Raises:
            ScenarioChanged: `scenario`'s file differs from the version the run was
                played on, and `accept_changed` is false.
            RecordsError: no such run, it is not active, or its state does not fit `scenario`.
        """
        info = self.run(run_id)
        if info.status != "active":
            raise RecordsError(f"run {run_id} is {info.status}; only an unfinished run can be resumed")
        if not self.is_mine(info):
            raise RecordsError(
                f"run {run_id} was started by another account or on another computer; "
                "only the trainee who started it can continue it, there"
            )
        if info.scenario_id != scenario.id:
            raise RecordsError(f"run {run_id} is of scenario '{info.scenario_id}', not '{scenario.id}'")
        data = self.saved_state(run_id)
        played_on = str(data.get("digest") or info.scenario_digest)
        changed = played_on != scenario.digest
        if changed and not accept_changed:
            raise ScenarioChanged(
                f"the scenario '{scenario.id}' has changed since run {run_id} was played "
                f"(its file was version {played_on[:12]}, it is now {scenario.digest[:12]}); "
                "the run is kept as it was — start a new run, or resume it on the changed scenario knowingly"
            )
        try:
            session = Session.from_json(scenario, data)
        except SessionError as exc:
            raise RecordsError(f"run {run_id} cannot be resumed on this version of '{scenario.id}': {exc}") from None
        kind = "resumed-on-changed-scenario" if changed else "resumed"
        detail = {"turn": session.turn, "from_digest": played_on, "to_digest": scenario.digest}
        now = _now()

        def insert(conn: Any) -> None:
            seq = _next_seq(conn, run_id)
            conn.execute(
                "INSERT INTO events (run_id, seq, kind, turn, detail, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, seq, kind, session.turn, _dumps(detail), now),
            )

        self.store.write(insert)
        return session


class RunRecorder(Observer):
    """One run's recorder: the play layer's `Observer`, writing each thing it is told.

    Build it with `RunRecorder.start(recorder, scenario, settings, seed)` for a new
    run, or `RunRecorder(recorder, run_id)` for a resumed one.
    """

    def __init__(self, recorder: Recorder, run_id: int) -> None:
        self.recorder = recorder
        self.run_id = run_id

    @classmethod
    def start(cls, recorder: Recorder, scenario: Scenario, settings: Settings, seed: int) -> RunRecorder:
        return cls(recorder, recorder.start_run(scenario, settings, seed))

    @classmethod
    def factory(cls, recorder: Recorder) -> ObserverFactory:
        """`factory(scenario, settings, seed)` starting a recorded run: what a front end
        calls after the briefing."""

        def make(scenario: Scenario, settings: Settings, seed: int) -> RunRecorder:
            return cls.start(recorder, scenario, settings, seed)

        return make

    def on_step(self, session: Session, step: Step, elapsed_ms: int | None) -> None:
        self.recorder.record_step(self.run_id, session, step, elapsed_ms)

    def on_rewind(self, session: Session) -> None:
        self.recorder.record_rewind(self.run_id, session)

    def on_finish(self, session: Session) -> None:
        self.recorder.finish_run(self.run_id, session)

    def on_reflections(self, texts: Mapping[str, str]) -> None:
        self.recorder.save_reflections(self.run_id, texts)

    def on_clock(self, session: Session, seconds_left: int) -> None:
        self.recorder.record_clock(self.run_id, session.turn, seconds_left)

    def on_abandon(self, session: Session) -> None:
        self.recorder.abandon_run(self.run_id)

    def on_export(self, paths: Sequence[Path]) -> None:
        self.recorder.record_export(self.run_id, paths)
