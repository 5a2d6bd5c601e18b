"""`groupsim play FILE --watch`: notice a saved scenario file and carry a session over to it.

Pure Python (no Textual): the app polls `FileWatch.changed()` on an interval and uses
`replay` to move the trainee's decisions onto the new version. Polling the file's
size, modification time and inode needs no new dependency and behaves the same on
every platform and with editors that save by writing a new file and renaming it.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.authoring.diagnostics import Diagnostic
from simulator.engine.model import Scenario
from simulator.engine.session import Session

Signature = tuple[int, int, int]

MAX_SHOWN = 8
"""Errors listed in the notification; the rest are counted."""


class FileWatch:
    """Tells whether a file has been saved since the last look."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self.signature()

    def signature(self) -> Signature | None:
        """(modification time in ns, size, inode), or None while the file is missing
        (an editor between removing the old file and renaming the new one into place)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def changed(self) -> bool:
        """True once for each save seen; a missing file is not a change (it is waited for)."""
        now = self.signature()
        if now is None or now == self._seen:
            return False
        self._seen = now
        return True


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


def problems_text(errors: tuple[Diagnostic, ...] | list[Diagnostic]) -> str:
    """The errors as `line:col: message` lines, at most `MAX_SHOWN` of them."""
    lines = [f"{d.line}:{d.col}: {d.message}" for d in errors[:MAX_SHOWN]]
    if len(errors) > MAX_SHOWN:
        lines.append(f"… and {len(errors) - MAX_SHOWN} more (groupsim validate lists them all)")
    return "\n".join(lines) or "the file could not be loaded"
