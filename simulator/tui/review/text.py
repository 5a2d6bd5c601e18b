"""Wording shared by the review's screens."""

from __future__ import annotations

from rich.text import Text

RATING_WORDS: dict[str | None, str] = {
    "recommended": "recommended",
    "acceptable": "acceptable",
    "risky": "risky",
    "harmful": "harmful",
    None: "time ran out",
}
"""A choice's rating in words (never colour alone); None is a time-out."""


def plain(text: object) -> Text:
    """Names and scenario text are shown as written, never read as markup."""
    return Text(str(text))


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def rating_word(rating: str | None) -> str:
    return RATING_WORDS.get(rating, str(rating))
