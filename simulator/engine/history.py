"""Looking back over a play-through: what was on offer at each decision.

A `Step` records what was chosen, not what else could have been. The debrief
needs the alternatives (above all the recommended ones), and `choices()` depends
on flags, visits and earlier picks as well as values, so the honest answer comes
from replaying the history on a fresh session with the same seed.
"""

from __future__ import annotations

from simulator.engine.model import Choice
from simulator.engine.session import Session


def offered(session: Session) -> tuple[tuple[Choice, ...], ...]:
    """The choices on offer at each decision of `session.history`, in order.

    Entry `i` belongs to `session.history[i]`; a decision that timed out still
    lists what was on offer when the time ran out.
    """
    replay = Session(session.scenario, session.seed)
    out: list[tuple[Choice, ...]] = []
    for step in session.history:
        out.append(replay.choices())
        if step.choice is None:
            replay.timeout()
        else:
            replay.choose(step.choice)
    return tuple(out)


def recommended(choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """The choices rated `recommended` among `choices`."""
    return tuple(c for c in choices if c.rating == "recommended")
