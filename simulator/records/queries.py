"""Reading the records: runs, one run's transcript, choice counts, a cohort per scenario.

What `groupsim report` prints and `groupsim review` shows. Every function takes an
open `Store` and returns plain data (dicts, lists), ready for JSON.

"Standing" decisions are those no rewind took back; counts use them, and report
the taken-back ones separately as `rewound`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from simulator.records.store import RecordsError, Store

PSEUDONYM_PREFIX = "trainee-"


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
        names = [r["trainee"] for r in store.read("SELECT DISTINCT trainee FROM runs")]
        self._width = 6
        while len({self._digest(n)[: self._width] for n in names}) < len(names) and self._width < 64:
            self._width += 2

    def _digest(self, name: str) -> str:
        return hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def __call__(self, name: str) -> str:
        return PSEUDONYM_PREFIX + self._digest(name)[: self._width]


# -- filters ---------------------------------------------------------------------


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RecordsError(f"{what} '{text}' is not a date; write it as YYYY-MM-DD") from None


def _where(
    trainee: str | None = None,
    scenario: str | None = None,
    since: str | None = None,
    until: str | None = None,
    outcome: str | None = None,
    status: str | None = None,
    mode: str | None = None,
    run_id: int | None = None,
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if run_id is not None:
        where.append("r.id = ?")
        params.append(int(run_id))
    if trainee is not None:
        where.append("r.trainee = ?")
        params.append(trainee.strip())
    if scenario is not None:
        where.append("r.scenario_id = ?")
        params.append(scenario)
    if since is not None:
        where.append("r.started_at >= ?")
        params.append(_day(since, "--since").isoformat())
    if until is not None:  # the whole of that day
        where.append("r.started_at < ?")
        params.append((_day(until, "--until") + timedelta(days=1)).isoformat())
    if outcome is not None:
        if outcome == "none":
            where.append("r.outcome IS NULL")
        else:
            where.append("r.outcome = ?")
            params.append(outcome)
    if status is not None:
        where.append("r.status = ?")
        params.append(status)
    if mode is not None:
        where.append("r.mode = ?")
        params.append(mode)
    return (" WHERE " + " AND ".join(where)) if where else "", params


def trainees(store: Store) -> list[str]:
    return [r["trainee"] for r in store.read("SELECT DISTINCT trainee FROM runs ORDER BY trainee")]


def scenario_ids(store: Store) -> list[str]:
    return [r["scenario_id"] for r in store.read("SELECT DISTINCT scenario_id FROM runs ORDER BY scenario_id")]


def check_known(store: Store, trainee: str | None = None, scenario: str | None = None) -> None:
    """Raise `RecordsError` naming what is there when `trainee` or `scenario` has no runs at all."""
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
    if scenario is not None and not store.read("SELECT 1 FROM runs WHERE scenario_id = ? LIMIT 1", (scenario,)):
        ids = scenario_ids(store)
        raise RecordsError(
            f"no runs of a scenario '{scenario}' in {store.path}"
            + (f"; runs there are of: {', '.join(ids)}" if ids else " (it holds no runs yet)")
        )


# -- runs ------------------------------------------------------------------------


def _path_word(choice: int | None) -> str:
    return "timeout" if choice is None else str(choice)


def list_runs(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """One dict per run, oldest first. Filters: trainee, scenario, since, until, outcome, status, mode, run_id.

    Each has the run's identity and result, `final_meters`/`final_trust` (the
    values the run stands at, finished or not), `decisions` (standing), `path`
    (the standing choices in order, as `groupsim run --choose` takes them),
    `rewinds` and `response_ms` (the standing decisions' total).
    """
    where, params = _where(**filters)
    runs = store.read(
        "SELECT r.id, r.trainee, r.scenario_id, r.scenario_title, r.scenario_digest, r.mode, r.time_limits, r.seed,"
        " r.status, r.started_at, r.finished_at, r.outcome, r.ending, r.ending_title, r.final_meters, r.final_trust,"
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
            {
                "run": r["id"],
                "trainee": r["trainee"],
                "scenario": r["scenario_id"],
                "scenario_title": r["scenario_title"],
                "digest": r["scenario_digest"],
                "mode": r["mode"],
                "time_limits": bool(r["time_limits"]),
                "seed": r["seed"],
                "status": r["status"],
                "started": r["started_at"],
                "finished": r["finished_at"],
                "outcome": r["outcome"],
                "ending": r["ending"],
                "ending_title": r["ending_title"],
                "final_meters": meters,
                "final_trust": trust,
                "decisions": len(steps),
                "path": ",".join(_path_word(s["choice"]) for s in steps),
                "rewinds": r["rewinds"],
                "response_ms": sum(s["response_ms"] or 0 for s in steps),
            }
        )
    return out


def _current_values(run: dict[str, Any], steps: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    if run["final_meters"] is not None:
        return json.loads(run["final_meters"]), json.loads(run["final_trust"] or "{}")
    if steps:
        return json.loads(steps[-1]["meters_after"]), json.loads(steps[-1]["trust_after"])
    # no decision yet: the start, from the saved engine state (meters first, then members)
    values = json.loads(run["session_json"]).get("values", {})
    return dict(values), {}


# -- one run ---------------------------------------------------------------------


def transcript(store: Store, run_id: int) -> dict[str, Any]:
    """One run: its summary, every step and event in the order they happened, and its reflections.

    `entries` holds dicts with `kind` 'step' (with `undone`: taken back by a rewind)
    or the event's kind ('rewound', 'resumed', ...).
    """
    found = list_runs(store, run_id=run_id)
    if not found:
        raise RecordsError(f"there is no run {run_id} in {store.path}")
    run = found[0]
    entries: list[dict[str, Any]] = []
    for s in store.read("SELECT * FROM steps WHERE run_id = ? ORDER BY seq", (run_id,)):
        entries.append(
            {
                "kind": "step",
                "seq": s["seq"],
                "turn": s["turn"],
                "state": s["state"],
                "choice": s["choice"],
                "rating": s["rating"],
                "text": s["choice_text"],
                "feedback": s["feedback"],
                "meters_before": json.loads(s["meters_before"]),
                "meters_after": json.loads(s["meters_after"]),
                "trust_before": json.loads(s["trust_before"]),
                "trust_after": json.loads(s["trust_after"]),
                "route": json.loads(s["route"]),
                "response_ms": s["response_ms"],
                "recorded_at": s["recorded_at"],
                "digest": s["scenario_digest"],
                "undone": s["undone_by"] is not None,
            }
        )
    for e in store.read("SELECT * FROM events WHERE run_id = ? ORDER BY seq", (run_id,)):
        entries.append(
            {
                "kind": e["kind"],
                "seq": e["seq"],
                "turn": e["turn"],
                "recorded_at": e["recorded_at"],
                "detail": json.loads(e["detail"]),
            }
        )
    entries.sort(key=lambda x: x["seq"])
    reflections = {
        r["prompt"]: r["text"]
        for r in store.read("SELECT prompt, text FROM reflections WHERE run_id = ? ORDER BY rowid", (run_id,))
    }
    return {"run": run, "entries": entries, "reflections": reflections}


# -- choices and cohorts -----------------------------------------------------------


def choice_counts(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """Per scenario and decision: how often each choice stood, and how often it was rewound.

    One row per (scenario, state, choice), in order; a time-out is choice None.
    """
    where, params = _where(**filters)
    rows = store.read(
        "SELECT r.scenario_id AS scenario, s.state, s.choice, MAX(s.rating) AS rating, MAX(s.choice_text) AS text,"
        " SUM(s.undone_by IS NULL) AS count, SUM(s.undone_by IS NOT NULL) AS rewound,"
        " MIN(s.id) AS first"
        f" FROM steps s JOIN runs r ON r.id = s.run_id{where}"
        " GROUP BY r.scenario_id, s.state, s.choice",
        tuple(params),
    )
    # Decisions in the order trainees first met them, choices by number (time-outs last).
    first_seen: dict[tuple[str, str], int] = {}
    for r in rows:
        k = (r["scenario"], r["state"])
        first_seen[k] = min(first_seen.get(k, r["first"]), r["first"])
    rows.sort(
        key=lambda r: (r["scenario"], first_seen[(r["scenario"], r["state"])], r["choice"] is None, r["choice"] or 0)
    )
    return [{k: v for k, v in r.items() if k != "first"} for r in rows]


def cohort(store: Store, scenario: str, scenario_obj: Any = None, **filters: Any) -> dict[str, Any]:
    """A scenario's cohort view: each decision's choices with rating and count, and average meters per ending.

    With `scenario_obj` (the loaded `Scenario`), choices nobody took are listed
    with a count of 0, decisions appear in the file's order with their titles,
    and endings nobody reached are listed too.
    """
    filters = {k: v for k, v in filters.items() if k not in ("scenario", "status", "run_id")}
    counts = choice_counts(store, scenario=scenario, **filters)
    decisions: dict[str, dict[str, Any]] = {}
    if scenario_obj is not None:
        for st in scenario_obj.states.values():
            if st.kind == "decision":
                decisions[st.id] = {
                    "state": st.id,
                    "title": st.title,
                    "choices": [
                        {"choice": c.number, "text": c.text, "rating": c.rating, "count": 0, "rewound": 0}
                        for c in st.choices
                    ],
                }
    for c in counts:
        d = decisions.setdefault(c["state"], {"state": c["state"], "title": "", "choices": []})
        for existing in d["choices"]:
            if existing["choice"] == c["choice"]:
                existing["count"] += c["count"]
                existing["rewound"] += c["rewound"]
                break
        else:
            d["choices"].append({k: c[k] for k in ("choice", "text", "rating", "count", "rewound")})
    for d in decisions.values():
        d["total"] = sum(c["count"] for c in d["choices"])
    endings: dict[str, dict[str, Any]] = {}
    if scenario_obj is not None:
        for st in scenario_obj.states.values():
            if st.ending is not None:
                endings[st.id] = {
                    "ending": st.id,
                    "title": st.ending.title,
                    "outcome": st.ending.outcome,
                    "runs": 0,
                    "average_meters": {},
                    "average_trust": {},
                }
    finished = list_runs(store, scenario=scenario, status="finished", **filters)
    sums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    tsums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in finished:
        e = endings.setdefault(
            r["ending"],
            {
                "ending": r["ending"],
                "title": r["ending_title"],
                "outcome": r["outcome"],
                "runs": 0,
                "average_meters": {},
                "average_trust": {},
            },
        )
        e["runs"] += 1
        for k, v in r["final_meters"].items():
            sums[r["ending"]][k].append(v)
        for k, v in r["final_trust"].items():
            tsums[r["ending"]][k].append(v)
    for eid, e in endings.items():
        e["average_meters"] = {k: round(sum(v) / len(v), 1) for k, v in sums[eid].items()}
        e["average_trust"] = {k: round(sum(v) / len(v), 1) for k, v in tsums[eid].items()}
    runs = list_runs(store, scenario=scenario, **filters)
    return {
        "scenario": scenario,
        "runs": len(runs),
        "finished": len(finished),
        "digests": sorted({r["digest"] for r in runs}),
        "decisions": list(decisions.values()),
        "endings": list(endings.values()),
    }
