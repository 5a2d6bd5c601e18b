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
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.engine.model import Scenario
from simulator.engine.session import Session, SessionError, Step
from simulator.play.run import Observer, ObserverFactory
from simulator.play.settings import Settings
from simulator.records.store import RecordsError, ScenarioChanged, Store, _now


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
        )


RUN_COLUMNS = """
    r.id, r.trainee, r.scenario_id, r.scenario_title, r.scenario_digest, r.scenario_source,
    r.mode, r.seed, r.time_limits, r.status, r.started_at, r.updated_at, r.finished_at, r.ending, r.ending_title, r.outcome,
    (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.undone_by IS NULL) AS decisions
"""


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
    return (session.state.id, ending.title, ending.outcome, _dumps(meters), _dumps(trust))


class Recorder:
    """Records runs in the database at `db` (see `store.resolve_path` for the default).

    Raises:
        RecordsError: from any method, with a message for a person, when the
            database cannot be opened or written, or a run id is unknown.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, store: Store | None = None) -> None:
        self.store = store if store is not None else Store.open(db)

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
                " mode, seed, time_limits, status, started_at, updated_at, session_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
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
                " route, response_ms, recorded_at, session_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ),
            )
            conn.execute(
                "UPDATE runs SET session_json = ?, updated_at = ?, ending = ?, ending_title = ?, outcome = ?,"
                " final_meters = ?, final_trust = ? WHERE id = ?",
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

    def abandon_run(self, run_id: int) -> None:
        """Mark an unfinished run as given up (the trainee chose not to resume it)."""
        now = _now()

        def update(conn: Any) -> None:
            self._require(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = 'abandoned', updated_at = ? WHERE id = ? AND status = 'active'", (now, run_id)
            )

        self.store.write(update)

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

    def unfinished_runs(self, trainee: str | None = None, scenario_id: str | None = None) -> list[RunInfo]:
        """Runs still active (started, not finished nor abandoned), most recent first."""
        where, params = ["r.status = 'active'"], []
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

    def on_abandon(self, session: Session) -> None:
        self.recorder.abandon_run(self.run_id)
