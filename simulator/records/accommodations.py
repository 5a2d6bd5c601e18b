"""Time accommodations a supervisor grants a trainee once, kept in the records (WCAG 2.2.1, Timing Adjustable).

    groupsim records accommodate --trainee "Ann Smith" --time 2x
    groupsim records accommodations

A grant applies to every later run of that trainee, in practice and in assessment,
without a flag to remember: when a run starts, the play layer takes the more generous
of what the command allows (`--time-accommodation`) and what is granted here
(`simulator.play.settings.more_generous`). Runs already recorded keep the
accommodation they were played with (`runs.accommodation`).

A name matches as the report's `--trainee` does (`queries.name_key`): the whole name,
in any case and spacing, so "ann  SMITH" is granted what "Ann Smith" is, and "Ann"
alone is not. One grant per trainee: granting again replaces it; `--time none` clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.records.queries import name_key
from simulator.records.store import RecordsError, Store, _now

GRANTS = ("1.5x", "2x", "off")
"""What can be granted (no grant is no row)."""
CLEAR = "none"
"""What `grant` takes to clear a trainee's accommodation."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One trainee's time accommodation, as the records keep it."""

    trainee: str
    """The name as the supervisor wrote it (surrounding and repeated spaces tidied)."""
    time: str
    """1.5x, 2x or off."""
    granted_at: str
    """When it was granted (ISO 8601, UTC)."""


def tidy(name: str) -> str:
    """A name as it is kept: its words, one space apart."""
    return " ".join(name.split())


def _rows(conn: Any) -> list[Grant]:
    return [
        Grant(trainee=r[0], time=r[1], granted_at=r[2])
        for r in conn.execute("SELECT trainee, time, granted_at FROM accommodations ORDER BY trainee")
    ]


def _matching(grants: list[Grant], name: str) -> list[Grant]:
    key = name_key(name)
    return [g for g in grants if name_key(g.trainee) == key]


def granted(store: Store) -> list[Grant]:
    """Every grant, by name."""
    rows = store.read("SELECT trainee, time, granted_at FROM accommodations")
    grants = [Grant(trainee=r["trainee"], time=r["time"], granted_at=r["granted_at"]) for r in rows]
    return sorted(grants, key=lambda g: (name_key(g.trainee), g.trainee))


def accommodation_for(store: Store, trainee: str) -> str:
    """What the records grant the trainee named `trainee`: 1.5x, 2x, off, or none (also for no name)."""
    if not name_key(trainee):
        return CLEAR
    found = _matching(granted(store), trainee)
    return found[0].time if found else CLEAR


def grant(store: Store, trainee: str, time: str) -> Grant | None:
    """Grant `trainee` the time accommodation `time` (1.5x, 2x or off), or clear theirs with `none`.

    Replaces the grant of any name that matches (`name_key`), in one transaction.
    Returns the grant it replaced or cleared, if there was one.

    Raises:
        RecordsError: no name, or `time` is not one of none, 1.5x, 2x, off.
    """
    name = tidy(trainee)
    if not name:
        raise RecordsError("a time accommodation is granted to a trainee by name; the name is empty")
    if time != CLEAR and time not in GRANTS:
        raise RecordsError(f"a time accommodation is one of {CLEAR}, {', '.join(GRANTS)}; not '{time}'")
    return store.write(lambda conn: put(conn, name, time))


def put(conn: Any, trainee: str, time: str) -> Grant | None:
    """`grant`'s change, inside a transaction already open on `conn` (deleting a trainee's runs
    clears their grant in the same transaction). Returns the grant replaced or cleared."""
    name = tidy(trainee)
    before = _matching(_rows(conn), name)
    for g in before:
        conn.execute("DELETE FROM accommodations WHERE trainee = ?", (g.trainee,))
    if time != CLEAR:
        conn.execute("INSERT INTO accommodations (trainee, time, granted_at) VALUES (?, ?, ?)", (name, time, _now()))
    return before[0] if before else None
