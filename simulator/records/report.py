"""What `groupsim report` prints: runs and choice counts as CSV, JSON or Markdown, for spreadsheets and gradebooks.

Names and scenario text may hold control characters (an escape sequence in a name
clears a terminal's screen or retitles its window). Every format is safe to print:
CSV and Markdown show each control character as a visible stand-in
(`simulator.play.text.visible`); JSON keeps the exact text, with every control
character written as a `\\uXXXX` escape. Markdown also escapes what would render as
HTML, a link or emphasis (`simulator.play.export.escape_markdown`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from simulator.play.export import escape_markdown
from simulator.play.text import unsafe_characters, visible
from simulator.records.queries import (
    ChoiceCount,
    JSONValue,
    Pseudonyms,
    RunFilter,
    RunSummary,
    choice_counts,
    list_runs,
)
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
    "time_accommodation",
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
"""The runs table's columns (keys of `RunSummary.to_json`), before one column per meter."""
CHOICE_COLUMNS = ("scenario", "state", "choice", "rating", "count", "rewound", "text")
"""The choices table's columns (keys of `ChoiceCount.to_json`)."""

Cell = str | int | float


@dataclass(frozen=True, slots=True)
class Report:
    """The report's data: one summary per run, and the choice counts of those runs."""

    anonymised: bool
    runs: tuple[RunSummary, ...]
    choices: tuple[ChoiceCount, ...]

    def to_json(self, tables: Sequence[str] = TABLES) -> dict[str, JSONValue]:
        """The report as `--format json` prints it: `anonymised`, then each of `tables`."""
        out: dict[str, JSONValue] = {"anonymised": self.anonymised}
        for t in tables:
            out[t] = [r.to_json() for r in self.runs] if t == "runs" else [c.to_json() for c in self.choices]
        return out


def build(store: Store, run_filter: RunFilter | None = None, *, anonymise: bool = False) -> Report:
    """The report for the runs `run_filter` lets through; `anonymise` puts pseudonyms for names."""
    runs = list_runs(store, run_filter)
    if anonymise:
        name = Pseudonyms(store)
        runs = [replace(r, trainee=name(r.trainee)) for r in runs]
    return Report(anonymised=anonymise, runs=tuple(runs), choices=tuple(choice_counts(store, run_filter)))


def _cell(v: JSONValue) -> Cell:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    assert isinstance(v, str | int | float), v
    return v


def _run_rows(runs: Sequence[RunSummary]) -> tuple[list[str], list[list[Cell]]]:
    meters: list[str] = []
    for r in runs:
        for k in r.final_meters:
            if k not in meters:
                meters.append(k)
    header = list(RUN_COLUMNS) + [f"meter_{m}" for m in meters]
    rows = []
    for r in runs:
        data = r.to_json()
        data["digest"] = r.scenario_digest[:DIGEST_PREFIX]
        row: list[JSONValue] = [data[c] for c in RUN_COLUMNS]
        row += [r.final_meters.get(m, "") for m in meters]
        rows.append([_cell(v) for v in row])
    return header, rows


def _choice_rows(choices: Sequence[ChoiceCount]) -> tuple[list[str], list[list[Cell]]]:
    rows = []
    for c in choices:
        data = c.to_json()
        data["choice"] = "timeout" if c.choice is None else c.choice
        rows.append(["" if data[k] is None else _cell(data[k]) for k in CHOICE_COLUMNS])
    return list(CHOICE_COLUMNS), rows


def render(report: Report, fmt: str, tables: Sequence[str] = TABLES) -> str:
    """The report as text. CSV with both tables writes them one after the other, a blank line between."""
    if fmt == "json":
        return _escape_controls(json.dumps(report.to_json(tables), indent=2, ensure_ascii=False)) + "\n"
    parts = []
    for t in tables:
        header, rows = _run_rows(report.runs) if t == "runs" else _choice_rows(report.choices)
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow([_csv_cell(h) for h in header])
            w.writerows([[_csv_cell(v) for v in row] for row in rows])
            parts.append(buf.getvalue())
        else:
            title = "Runs" if t == "runs" else "Choices at each decision"
            parts.append(f"## {title}\n\n" + _md_table(header, rows))
    return "\n".join(parts)


def _escape_controls(text: str) -> str:
    """JSON text with every control character `json.dumps` leaves as it is (DEL, C1, bidirectional) as `\\uXXXX`.

    Such characters can only stand inside JSON strings, where the escape reads back as the same character.
    """
    for offset, _ in reversed(unsafe_characters(text)):
        text = f"{text[:offset]}\\u{ord(text[offset]):04x}{text[offset + 1 :]}"
    return text


def _csv_cell(v: Cell) -> Cell:
    if not isinstance(v, str):
        return v
    v = visible(v)
    # A name like "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet.
    if v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


_MD_PLAIN = re.compile(r"[A-Za-z0-9_.,:-]*")
"""Identifiers, numbers, times, digests and paths of choices: nothing in them can render as Markdown in a cell."""


def _md_cell(v: Cell) -> str:
    text = visible(str(v)).replace("\n", " ")
    if _MD_PLAIN.fullmatch(text):
        return text
    return escape_markdown(text)


def _md_table(header: list[str], rows: list[list[Cell]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    if not rows:
        return "No runs match.\n"
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
