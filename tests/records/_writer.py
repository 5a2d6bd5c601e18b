"""A trainee's process for the concurrency test: waits for the go file, then plays and records runs.

Usage: python _writer.py DB GO_FILE WORKER RUNS SCENARIO_FILE
Prints one JSON line: the run ids it made and how many steps, rewinds and reflections it wrote.
"""

import json
import os
import sys
import time

from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder


def main() -> int:
    db, go, worker, runs, scenario_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    scenario = load(scenario_file)
    deadline = time.monotonic() + 60
    while not os.path.exists(go):  # start together, to collide as much as possible
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.001)
    made = {"worker": worker, "runs": [], "steps": 0, "rewinds": 0, "reflections": 0}
    with Recorder(db) as rec:  # opening races the other nineteen to create the file and its schema
        for i in range(runs):
            seed = worker * 100 + i
            run_id = rec.start_run(scenario, Settings("practice", f"trainee-{worker}"), seed)
            made["runs"].append(run_id)
            session = Session(scenario, seed)
            turn = 0
            while not session.finished:
                offered = session.choices()
                step = session.choose(offered[(worker + i + turn) % len(offered)].number)
                rec.record_step(run_id, session, step, 100 + turn)
                made["steps"] += 1
                turn += 1
                if i % 2 == 0 and turn == 1 and made["rewinds"] < runs:  # a practice rewind now and then
                    session.rewind(0)
                    rec.record_rewind(run_id, session)
                    made["rewinds"] += 1
            rec.finish_run(run_id, session)
            rec.save_reflections(run_id, {"reaction": f"run {run_id}", "plus": "p", "delta": "d"})
            made["reflections"] += 3
    print(json.dumps(made), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
