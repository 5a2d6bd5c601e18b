"""Text on its way out of groupsim: control characters made visible.

Names and scenario text end up in terminals (`report`, `review`, `run`, the app) and in
files others open. A control character in them (an escape sequence, a bell, a
backspace, a right-to-left override) could clear a screen, retitle a window or hide
text. `visible()` replaces each with a printable stand-in, so what reaches a terminal is
what was typed, made plain.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.engine.model import Scenario

# Line feed and tab are text; every other C0 control, DEL and the C1 controls are not.
_C0_C1 = "".join(chr(c) for c in (*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)))
# Characters that reorder or hide the text around them.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[{re.escape(_C0_C1 + _BIDI)}]")


def _stand_in(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL ...
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """`text` with every control character (but line feed and tab) shown as a printable stand-in.

    ESC becomes ␛, BEL ␇, backspace ␈, carriage return ␍ (C0 controls as Unicode's
    control pictures), DEL ␡, and C1 controls and bidirectional overrides `<U+202E>`.
    """
    return _UNSAFE.sub(lambda m: _stand_in(m.group()), text)


_NAMES = {
    0x00: "null",
    0x07: "bell",
    0x08: "backspace",
    0x0B: "vertical tab",
    0x0C: "form feed",
    0x0D: "carriage return",
    0x1B: "escape",
    0x7F: "delete",
}


def describe(ch: str) -> str:
    """A control character's name for a person: 'escape (U+001B)', 'right-to-left override (U+202E)'."""
    code = ord(ch)
    name = _NAMES.get(code) or unicodedata.name(ch, "").lower() or "control character"
    return f"{name} (U+{code:04X})"


def unsafe_characters(text: str) -> list[tuple[int, str]]:
    """Each control character in `text` (but line feed and tab) as (offset, `describe(ch)`)."""
    return [(m.start(), describe(m.group())) for m in _UNSAFE.finditer(text)]


def value_name(sc: Scenario, key: str) -> str:
    """A meter's label, or "Maria's trust" for a member."""
    if key in sc.members:
        return f"{sc.members[key].name}'s trust"
    return sc.label(key)


def moved_in_words(sc: Scenario, key: str, before: int, after: int) -> str:
    """'Trust rose from 56 to 62', 'Maria's trust fell from 58 to 53', 'Cohesion stayed at 40'
    (as written: each front end makes it safe for its own screen)."""
    name = value_name(sc, key)
    if after > before:
        return f"{name} rose from {before} to {after}"
    if after < before:
        return f"{name} fell from {before} to {after}"
    return f"{name} stayed at {after}"
