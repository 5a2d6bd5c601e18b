"""The `when` language: what it accepts, what it refuses, and where it says the problem is."""

from dataclasses import dataclass, field

import pytest

from simulator.engine.conditions import ConditionError, parse

NAMES = {"trust": "number", "cohesion": "number", "maria": "number", "breach_named": "flag"}
STATES = {"start", "group-reacts"}
COUNTS = {"start": 3, "group-reacts": 0}


@dataclass
class Ctx:
    values: dict = field(default_factory=lambda: {"trust": 60, "cohesion": 40, "maria": 70})
    flags: set = field(default_factory=set)
    visited: set = field(default_factory=lambda: {"start"})
    chosen: set = field(default_factory=set)
    turn: int = 2


@pytest.mark.parametrize(
    "src, expected",
    [
        ("trust >= 50", True),
        ("trust >= 50 and cohesion >= 50", False),
        ("trust >= 50 or cohesion >= 50", True),
        ("not breach_named", True),
        ("breach_named", False),
        ("trust - cohesion == 20", True),
        ("trust + -10 == 50", True),
        ("(trust > 10 or false) and not (maria < 50)", True),
        ('visited("start")', True),
        ('visited("group-reacts")', False),
        ('chose("start", 2)', True),
        ('chose("start", 1)', False),
        ("turn == 2", True),
        ("breach_named == false", True),
        ("true", True),
        ("trust!=60", False),
    ],
)
def test_evaluates(src, expected):
    ctx = Ctx(chosen={("start", 2)})
    assert parse(src, NAMES, STATES, COUNTS).holds(ctx) is expected


def test_records_what_it_reads():
    c = parse(
        'trust > 1 and visited("start") and chose("start", 1) and turn < 5 and breach_named', NAMES, STATES, COUNTS
    )
    assert c.names == {"trust", "breach_named"}
    assert c.visits == {"start"}
    assert c.choices == {("start", 1)}
    assert c.uses_turn


@pytest.mark.parametrize(
    "src, message, offset",
    [
        ("trsut > 5", "unknown name 'trsut' — did you mean 'trust'?", 0),
        ("trust >", "expected a value, found the end", 7),
        ("trust", "must be yes/no", 0),
        ("trust and breach_named", "each side of 'and' must be yes/no", 0),
        ("trust > 5 && breach_named", "write 'and' instead of '&&'", 10),
        ("trust = 5", "write '==' (two equals signs)", 6),
        ("1 < trust < 9", "cannot be chained", 10),
        ("__import__('os')", "'__import__(...)' is not allowed", 0),
        ("trust.real > 1", "'.' is not part of the condition language", 5),
        ('visited("nowhere")', "unknown state 'nowhere'", 9),
        ('chose("start", 4)', "has choices 1 to 3; there is no choice 4", 15),
        ('chose("group-reacts", 1)', "offers no choices", 22),
        ("'start' == 1", "text in quotes is only allowed", 0),
        ("breach_named == 1", "both sides of a comparison", 13),
        ("", "the condition is empty", 0),
        ("trust > 5 trust", "is an 'and' or 'or' missing?", 10),
    ],
)
def test_rejects_with_message_and_offset(src, message, offset):
    with pytest.raises(ConditionError) as info:
        parse(src, NAMES, STATES, COUNTS)
    assert message in info.value.message
    assert info.value.offset == offset


def test_never_evaluates_python():
    # Even something that would be valid Python is only ever read by our own parser.
    for src in ("exec('1')", "eval('1') == 1", "[1][0] == 1", "lambda: 1"):
        with pytest.raises(ConditionError):
            parse(src, NAMES, STATES, COUNTS)
