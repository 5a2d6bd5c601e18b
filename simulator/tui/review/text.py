"""Wording shared by the review's screens, and how recorded text is made safe to show.

Everything the review shows from the records (names, scenario text, reflections,
even the words a crafted database could put where a mode or an outcome belongs) goes
through `plain`: never read as markup, and every control character shown as a
visible stand-in (`simulator.play.text.visible`), so an escape sequence in a name can
neither clear the screen nor blank the table. `clip` shortens by terminal cells, as
the table measures them, and never inside a character drawn from several code points
(an emoji family joined by zero-width joiners).
"""

from __future__ import annotations

from rich.cells import cell_len, chop_cells
from rich.text import Text

from simulator.play.text import visible

RATING_WORDS: dict[str | None, str] = {
    "recommended": "recommended",
    "acceptable": "acceptable",
    "risky": "risky",
    "harmful": "harmful",
    None: "time ran out",
}
"""A choice's rating in words (never colour alone); None is a time-out."""

OUTCOMES = ("strong", "mixed", "poor")
"""The outcomes the stylesheet colours."""

ELLIPSIS = "…"


def plain(text: object) -> Text:
    """Recorded text as it is shown: as written, never read as markup, control characters made visible."""
    return Text(visible(str(text)))


def clip(text: str, width: int) -> str:
    """`text` (control characters made visible) cut to at most `width` terminal cells, an ellipsis marking the cut."""
    text = visible(text)
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    return chop_cells(text, width - cell_len(ELLIPSIS))[0] + ELLIPSIS


def rating_word(rating: str | None) -> str:
    return RATING_WORDS.get(rating, visible(str(rating)))


def rating_class(rating: str | None) -> str:
    """The CSS class for a rating: `rating-harmful`, `rating-timeout`; `rating-other` for a word the records should not hold."""
    if rating is None:
        return "rating-timeout"
    return f"rating-{rating}" if rating in RATING_WORDS else "rating-other"


def outcome_class(outcome: str | None) -> str:
    """The CSS class for an ending's outcome (`outcome-other` for one the records should not hold)."""
    return f"outcome-{outcome}" if outcome in OUTCOMES else "outcome-other"
