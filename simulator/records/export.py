"""Reports for spreadsheets and gradebooks: runs and choice counts as CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from simulator.records.queries import Pseudonyms, choice_counts, list_runs
from simulator.records.store import Store

FORMATS = ("csv", "json", "md")
TABLES = ("runs", "choices")
DIGEST_PREFIX = 12

RUN_COLUMNS = (
    "run",
    "trainee",
    "scenario",
    "digest",
    "mode",
    "time_limits",
    "seed",
    "status",
    "started",
    "finished",
    "outcome",
    "ending",
    "decisions",
    "path",
    "rewinds",
    "response_ms",
)
CHOICE_COLUMNS = ("scenario", "state", "choice", "rating", "count", "rewound", "text")


def build(store: Store, *, anonymise: bool = False, **filters: Any) -> dict[str, Any]:
    """The report's data: `runs` (one per run) and `choices` (counts per scenario, decision and choice)."""
    runs = list_runs(store, **filters)
    if anonymise:
        name = Pseudonyms(store)
        for r in runs:
            r["trainee"] = name(r["trainee"])
    choices = choice_counts(store, **{k: v for k, v in filters.items() if k != "run_id"})
    return {"anonymised": anonymise, "runs": runs, "choices": choices}


def _run_rows(runs: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    meters: list[str] = []
    for r in runs:
        for k in r["final_meters"]:
            if k not in meters:
                meters.append(k)
    header = list(RUN_COLUMNS) + [f"meter_{m}" for m in meters]
    rows = []
    for r in runs:
        row = [r[c] if c != "digest" else r[c][:DIGEST_PREFIX] for c in RUN_COLUMNS]
        row += [r["final_meters"].get(m, "") for m in meters]
        rows.append(["" if v is None else ("yes" if v else "no") if isinstance(v, bool) else v for v in row])
    return header, rows


def _choice_rows(choices: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    rows = [
        ["timeout" if c["choice"] is None and k == "choice" else ("" if c[k] is None else c[k]) for k in CHOICE_COLUMNS]
        for c in choices
    ]
    return list(CHOICE_COLUMNS), rows


def render(data: dict[str, Any], fmt: str, tables: tuple[str, ...] = TABLES) -> str:
    """The report as text. CSV with both tables writes them one after the other, a blank line between."""
    if fmt == "json":
        out = {"anonymised": data["anonymised"]}
        out.update({t: data[t] for t in tables})
        return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    parts = []
    for t in tables:
        header, rows = _run_rows(data["runs"]) if t == "runs" else _choice_rows(data["choices"])
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            w.writerows([[_csv_cell(v) for v in row] for row in rows])
            parts.append(buf.getvalue())
        else:
            title = "Runs" if t == "runs" else "Choices at each decision"
            parts.append(f"## {title}\n\n" + _md_table(header, rows))
    return "\n".join(parts)


def _csv_cell(v: Any) -> Any:
    # A name like "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet.
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def _md_cell(v: Any) -> str:
    return str(v).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    if not rows:
        return "No runs match.\n"
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
