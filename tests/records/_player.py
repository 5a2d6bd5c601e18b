"""A trainee's process for the crash tests, recording through the Recorder.

Usage: python _player.py DB SCENARIO_FILE SEED (stdin)   - one choice number (or 'rewind N') a line;
                                                          prints 'RECORDED <run> <turn>' after each commit
       python _player.py DB SCENARIO_FILE SEED burst     - plays runs as fast as it can, forever
"""

import random
import sys

from simulator.authoring.loader import load
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder


def main() -> int:
    db, scenario_file, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    burst = len(sys.argv) > 4 and sys.argv[4] == "burst"
    scenario = load(scenario_file)
    rec = Recorder(db)
    if burst:
        rng = random.Random(seed)
        while True:
            run_seed = rng.randrange(1000)
            run_id = rec.start_run(scenario, Settings("practice", "burst"), run_seed)
            session = Session(scenario, run_seed)
            while not session.finished:
                if session.turn and rng.random() < 0.2:
                    session.rewind(rng.randrange(session.turn))
                    rec.record_rewind(run_id, session)
                    continue
                offered = session.choices()
                step = session.choose(rng.choice(offered).number)
                rec.record_step(run_id, session, step, rng.randrange(5000))
            if rng.random() < 0.5:  # leave half of them unfinished, as a closed terminal would
                rec.finish_run(run_id, session)
    run_id = rec.start_run(scenario, Settings("practice", "Ann"), seed)
    session = Session(scenario, seed)
    print(f"STARTED {run_id}", flush=True)
    for line in sys.stdin:
        word = line.strip()
        if word.startswith("rewind"):
            session.rewind(int(word.split()[1]))
            rec.record_rewind(run_id, session)
        else:
            step = session.timeout() if word == "timeout" else session.choose(int(word))
            rec.record_step(run_id, session, step, 1234)
        print(f"RECORDED {run_id} {session.turn}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
