"""Any mix of choices, time-outs and rewinds, recorded step by step, resumes to the same session."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.authoring.library import library_dir
from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder

TINY = load(Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml")
SHIPPED = [load(p) for p in sorted(library_dir().glob("*.yaml"))]
SCENARIOS = [TINY, *SHIPPED]
_DB = tempfile.TemporaryDirectory()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(SCENARIOS) - 1),
    seed=st.integers(0, 10_000),
    moves=st.lists(
        st.tuples(st.sampled_from(["choose", "choose", "choose", "timeout", "rewind"]), st.integers(0, 50)), max_size=25
    ),
)
def test_recorded_moves_resume_to_the_same_session(which, seed, moves):
    scenario = SCENARIOS[which]
    with Recorder(_DB.name + "/r.db") as rec:  # one database for all examples: runs are told apart by id
        session = Session(scenario, seed)
        run_id = rec.start_run(scenario, Settings("practice", "P"), seed)
        standing: list[int | None] = []
        for kind, k in moves:
            if session.finished:
                break
            if kind == "rewind" and session.turn:
                session.rewind(k % session.turn)
                rec.record_rewind(run_id, session)
                del standing[session.turn :]
            elif kind == "timeout" and session.state.time_limit is not None:
                rec.record_step(run_id, session, session.timeout(), k)
                standing.append(None)
            elif session.choices():
                offered = session.choices()
                step = session.choose(offered[k % len(offered)].number)
                rec.record_step(run_id, session, step, k)
                standing.append(step.choice)
        assert rec.resume(run_id, scenario).to_json() == session.to_json()
        rows = rec.store.read("SELECT choice FROM steps WHERE run_id = ? AND undone_by IS NULL ORDER BY seq", (run_id,))
        assert [r["choice"] for r in rows] == standing
        assert rec.run(run_id).decisions == session.turn
