"""Control characters never leave groupsim as themselves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.play.text import describe, unsafe_characters, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "␛[2J"),  # clear screen
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),  # set the window title
        ("ab\x08\x08cd", "ab␈␈cd"),
        ("evil\u202etxt.exe", "evil<U+202E>txt.exe"),
        ("\x9b31m", "<U+009B>31m"),  # the one-byte CSI
        ("two\r\nlines\tand a tab", "two␍\nlines\tand a tab"),
        ("plain Zoë — “quoted” 🧑‍🤝‍🧑", "plain Zoë — “quoted” 🧑‍🤝‍🧑"),
    ],
)
def test_control_characters_are_shown_not_obeyed(raw, shown):
    assert visible(raw) == shown


@given(st.text())
def test_nothing_a_terminal_obeys_survives(text):
    out = visible(text)
    assert not any(ord(c) < 0x20 and c not in "\n\t" for c in out)
    assert not any(0x7F <= ord(c) < 0xA0 for c in out)
    assert "\u202e" not in out and "\u202d" not in out
    assert unsafe_characters(out) == []


def test_each_unsafe_character_is_named_with_its_place():
    assert unsafe_characters("a\x1b]0;x\x07 \u202e") == [
        (1, "escape (U+001B)"),
        (6, "bell (U+0007)"),
        (8, "right-to-left override (U+202E)"),
    ]
    assert describe("\x7f") == "delete (U+007F)"
