"""The story of a session as a list of entries: what the TUI, `run` and exports show.

Entries carry plain text only; how they look is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


def state_entries(scenario: Scenario, state_id: str) -> list[Entry]:
    """What a trainee sees on entering a state: its title, narration, lines and ending."""
    st = scenario.states[state_id]
    out: list[Entry] = []
    if st.title:
        out.append(Entry("title", st.title, state=state_id))
    if st.narration:
        out.append(Entry("narration", st.narration, state=state_id))
    out.extend(Entry("line", ln.text, ln.speaker, state_id) for ln in st.lines)
    if st.ending is not None:
        out.append(Entry("ending", st.ending.title, state=state_id))
    return out


def step_entries(scenario: Scenario, step: Step) -> list[Entry]:
    """The facilitator's move in `step`, then every state it led through."""
    out = (
        [Entry("timeout", "You let the silence run.", state=step.state)]
        if step.timed_out
        else [Entry("choice", step.text, state=step.state)]
    )
    for sid in step.route:
        out.extend(state_entries(scenario, sid))
    return out


def transcript(session: Session) -> list[Entry]:
    """The whole story so far."""
    out: list[Entry] = []
    for sid in session.opening:
        out.extend(state_entries(session.scenario, sid))
    for step in session.history:
        out.extend(step_entries(session.scenario, step))
    return out
