"""The story of a session as a list of entries: what the TUI, `run` and exports show.

Entries carry plain text only; how they look is the caller's business. Text that
follows what happened (variants, conditional lines) is resolved as it was on arrival:
after the decision's effects, with the states passed on the way counted as visited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulator.engine.conditions import Context
from simulator.engine.model import Scenario
from simulator.engine.session import Session, Step

Kind = Literal["title", "narration", "line", "choice", "timeout", "ending"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One piece of the story. For a `line`, `speaker` is the member id."""

    kind: Kind
    text: str
    speaker: str = ""
    state: str = ""


def state_entries(scenario: Scenario, state_id: str, ctx: Context) -> list[Entry]:
    """What a trainee sees on entering a state, as `ctx` (the session on arrival) makes it:
    its title, narration, lines and ending."""
    st = scenario.states[state_id]
    out: list[Entry] = []
    if title := st.shown("title", ctx):
        out.append(Entry("title", title, state=state_id))
    if narration := st.shown("narration", ctx):
        out.append(Entry("narration", narration, state=state_id))
    out.extend(Entry("line", ln.text, ln.speaker, state_id) for ln in st.lines_shown(ctx))
    if st.ending is not None:
        out.append(Entry("ending", st.ending.shown("title", ctx), state=state_id))
    return out


def step_entries(scenario: Scenario, step: Step, ctx: Context) -> list[Entry]:
    """The facilitator's move in `step`, then every state it led through (`ctx`: the session just after it)."""
    out = (
        [Entry("timeout", "You let the silence run.", state=step.state)]
        if step.timed_out
        else [Entry("choice", step.text, state=step.state)]
    )
    for sid in step.route:
        out.extend(state_entries(scenario, sid, ctx))
    return out


def transcript(session: Session) -> list[Entry]:
    """The whole story so far (replayed from the start, so each text is as it was on arrival)."""
    sc = session.scenario
    replay = Session(sc, session.seed)
    out: list[Entry] = []
    for sid in replay.opening:
        out.extend(state_entries(sc, sid, replay.context))
    for step in session.history:
        taken = replay.timeout() if step.choice is None else replay.choose(step.choice)
        out.extend(step_entries(sc, taken, replay.context))
    return out
