"""The debrief as data: each decision looked back on, and the meters across the run.

The debrief screen, the exports and any other front end read the same `DebriefItem`s,
so what the trainee sees and what they take away agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.engine.history import offered, recommended
from simulator.engine.session import Session

REFLECTION_PROMPTS: dict[str, str] = {
    "reaction": "How did that feel?",
    "plus": "What went well? (plus)",
    "delta": "What would you change? (delta)",
}
"""The fixed PEARLS prompts, by the key their answer is stored under."""


def question_key(index: int) -> str:
    """The key a scenario's reflection question `index` (0-based) is stored under."""
    return f"question-{index + 1}"


@dataclass(frozen=True, slots=True)
class DebriefItem:
    """One decision looked back on: what was chosen, how it rated, what it changed."""

    turn: int
    state: str
    where: str
    """The state's title, or its id when it has none."""
    chosen: str
    """The text of the choice taken, or '' when the time ran out."""
    rating: str | None
    feedback: str
    refs: tuple[tuple[str, str], ...]
    """(key, citation) for each reference the choice cites."""
    recommended: tuple[str, ...]
    """The texts of the recommended choices that were on offer."""
    changes: tuple[tuple[str, int], ...]
    """(label, change) for each meter and member that moved."""
    said: str = ""
    """What the trainee wrote in their own words before choosing (say it first), else ''."""

    @property
    def timed_out(self) -> bool:
        return not self.chosen

    @property
    def took_recommended(self) -> bool:
        return self.rating == "recommended"


def debrief_items(session: Session) -> list[DebriefItem]:
    """Every decision of `session` as a `DebriefItem`."""
    sc = session.scenario
    out = []
    for step, on_offer in zip(session.history, offered(session)):
        state = sc.states[step.state]
        out.append(
            DebriefItem(
                turn=step.turn,
                state=step.state,
                where=state.title or step.state,
                chosen=step.text,
                rating=step.rating,
                feedback=step.feedback,
                said=step.said,
                refs=tuple((k, sc.references.get(k, k)) for k in step.refs),
                recommended=tuple(c.text for c in recommended(on_offer)),
                changes=tuple((sc.label(k), d) for k, d in step.changes.items()),
            )
        )
    return out


def series(session: Session) -> dict[str, list[int]]:
    """Each meter's and member's value at the start and after every decision, by id."""
    out = {k: [v] for k, v in session.scenario.initial_values().items()}
    for step in session.history:
        for k in out:
            out[k].append(step.after[k])
    return out


def signed(n: int) -> str:
    """`+8` or `−12` (a true minus sign, which reads better than a hyphen)."""
    return f"+{n}" if n >= 0 else f"\u2212{-n}"


_COST = {"harmful": 0, "risky": 1}


def turning_points(items: list[DebriefItem]) -> list[DebriefItem]:
    """The decisions of this run that cost the group, worst first: harmful, then risky (a
    time-out rated so counts; one without a rating counts as risky), each kind in the
    order made. What the debrief names first, instead of every mistake one could make."""
    costly = [r for r in items if r.rating in _COST or (r.timed_out and r.rating is None)]
    return sorted(costly, key=lambda r: (_COST.get(r.rating or "risky", 1), r.turn))
