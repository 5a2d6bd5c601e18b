"""`groupsim play FILE --watch`: carry a session over to a new version of its scenario.

The front end notices the save and loads the file; this decides whether the
trainee's decisions still mean the same on the new version, and replays them.
"""

from __future__ import annotations

from simulator.engine.model import Scenario
from simulator.engine.session import Session


def replay(old: Session, scenario: Scenario) -> tuple[Session, str | None]:
    """`old`'s decisions played again on `scenario`, from its start with the same seed.

    A decision still applies when the session stands at the same state as it did then
    and that state still offers the same authored choice number (or, for a time-out,
    still has a time limit), and that number has not passed to another of the state's
    choices: a choice removed or moved above it renumbers the rest, and replaying by
    number alone would then take a different choice. (A choice whose text was edited in
    place still applies.) Returns the new session and None; or, at the first decision
    that no longer applies, a fresh session at the new start and the reason, for a person.
    """
    new = Session(scenario, old.seed)
    for i, step in enumerate(old.history, 1):
        fresh = Session(scenario, old.seed)
        where = f"decision {i}"
        if new.finished:
            return fresh, f"the scenario now ends at '{new.state.id}' before {where}"
        if new.state.id != step.state:
            return fresh, f"{where} was made at '{step.state}', and the session now reaches '{new.state.id}' instead"
        if step.choice is None:
            if new.state.time_limit is None or new.state.on_timeout is None:
                return (
                    fresh,
                    f"'{step.state}' no longer has a time limit, so the time-out at {where} cannot be replayed",
                )
            new.timeout()
        else:
            if step.choice not in {c.number for c in new.choices()}:
                return fresh, f"choice {step.choice} at '{step.state}' ({where}) is no longer on offer"
            moved = _renumbered(old.scenario, scenario, step.state, step.choice)
            if moved is not None:
                return (
                    fresh,
                    f"choice {step.choice} at '{step.state}' ({where}) is no longer on offer: that number is now {moved}",
                )
            new.choose(step.choice)
    return new, None


def _renumbered(before: Scenario, after: Scenario, sid: str, number: int) -> str | None:
    """How choice `number` of state `sid` now names another of the state's old choices, or None."""
    old = before.states.get(sid)
    if old is None or not 1 <= number <= len(old.choices):
        return None
    now = after.states[sid].choices[number - 1].text
    if now == old.choices[number - 1].text:
        return None
    for c in old.choices:
        if c.number != number and c.text == now:
            return f"what was choice {c.number} ('{_short(c.text)}')"
    return None


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
