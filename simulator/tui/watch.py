"""`groupsim play FILE --watch`: notice a saved scenario file, and word its load errors.

Pure Python (no Textual): the app polls `FileWatch.changed()` on an interval and uses
`simulator.play.replay.replay` to move the trainee's decisions onto the new version. Polling the file's
size, modification time and inode needs no new dependency and behaves the same on
every platform and with editors that save by writing a new file and renaming it.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.authoring.diagnostics import Diagnostic

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


def problems_text(errors: tuple[Diagnostic, ...] | list[Diagnostic]) -> str:
    """The errors as `line:col: message` lines, at most `MAX_SHOWN` of them."""
    lines = [f"{d.line}:{d.col}: {d.message}" for d in errors[:MAX_SHOWN]]
    if len(errors) > MAX_SHOWN:
        lines.append(f"… and {len(errors) - MAX_SHOWN} more (groupsim validate lists them all)")
    return "\n".join(lines) or "the file could not be loaded"
