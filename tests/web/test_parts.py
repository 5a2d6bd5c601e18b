"""The web page's parts without a server: the sittings in memory, and what the pages say."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.authoring.loader import load
from simulator.engine.session import Session
from simulator.play.run import Run
from simulator.play.settings import Settings
from simulator.records import Origin
from simulator.web import views
from simulator.web.sittings import AWAY_AFTER_S, Sitting, Sittings, is_token, new_token, web_origin

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_tokens_are_random_and_checked_by_shape():
    a, b = new_token(), new_token()
    assert a != b and is_token(a) and is_token(b) and len(a) == 24
    for bad in (None, "", "short", "x" * 25, "../../../etc/passwd/xxxx", "a" * 23 + "!"):
        assert not is_token(bad)


def test_a_browsers_runs_are_recorded_under_a_digest_of_its_token_never_the_token():
    served = Origin("host", "groupsim-serve:alice")
    token = new_token()
    origin = web_origin(served, token)
    assert origin.host == "host" and origin.account.startswith("groupsim-serve:alice:web:")
    assert token not in origin.account
    assert origin == web_origin(served, token) and origin != web_origin(served, new_token())


def test_the_room_holds_at_most_its_capacity_and_makes_room_only_from_idle_sittings():
    clock = Clock()
    room = Sittings(2, clock)
    first = room.admit("a" * 24, recorder=None)  # type: ignore[arg-type]
    clock.now = 10
    assert room.admit("b" * 24, recorder=None) is not None  # type: ignore[arg-type]
    assert room.full and room.admit("c" * 24, recorder=None) is None  # type: ignore[arg-type]
    assert room.admit("a" * 24, recorder=None) is first  # (one already there is let back in)
    clock.now = 10 + AWAY_AFTER_S
    assert room.get("a" * 24) is first  # used just now: "b" is the one idle longest
    assert room.admit("c" * 24, recorder=None) is not None  # type: ignore[arg-type]
    assert "b" * 24 not in room and len(room) == 2
    with pytest.raises(ValueError):
        Sittings(0, clock)


def test_a_decisions_clock_runs_from_its_first_showing_through_reloads():
    sc = load(TINY)
    run = Run(Session(sc, 1), Settings("practice", timed=True, accommodation="1.5x"))
    sitting = Sitting("t" * 24, recorder=None, last_seen=0)  # type: ignore[arg-type]
    sitting.begin(run)
    sitting.start_decision(100.0)
    assert sitting.limit == 45 and sitting.seconds_left(100.0) == 45
    sitting.start_decision(120.0)  # a reload: the same clock
    assert sitting.seconds_left(130.0) == 15 and not sitting.late(145.0) and sitting.late(145.01)
    assert sitting.elapsed_ms(145.5) == 45_500
    # A run picked up mid-decision gets back the time it had left, not the whole limit.
    resumed = Run(Session(sc, 1), Settings("practice", timed=True), clock_left=7)
    sitting.begin(resumed)
    sitting.start_decision(0.0)
    assert sitting.limit == 7 and resumed.clock_left is None


def test_what_the_pages_say_of_lengths_changes_and_paragraphs():
    sc = load(TINY)
    assert views.decision_range(sc) == (2, 3)
    assert views.length_words(sc) == "about 2 minutes, 2 to 3 decisions"
    assert views.typical_decisions(sc) == views.typical_decisions(sc) >= 2  # seeded: always the same
    assert views.decision_heading(2, 3) == "Decision 2 of about 3" and views.decision_heading(4, 3) == "Decision 4"
    assert views.moved_in_words(sc, "trust", 56, 62) == "Trust rose from 56 to 62"
    assert views.moved_in_words(sc, "ana", 58, 53) == "Ana's trust fell from 58 to 53"
    assert views.moved_in_words(sc, "cohesion", 40, 40) == "Cohesion stayed at 40"
    assert views.signed_words("Trust", -6) == "Trust down 6"
    assert views.paragraphs("One\nline.\n\n  Two\t paragraphs.\x1b[2J\n") == ["One line.", "Two paragraphs.␛[2J"]
    assert views.rating_words(None) == "Time ran out" and views.rating_words("risky") == "Risky"


def test_a_chart_plots_every_value_in_its_box_and_says_where_its_numbers_are():
    chart = views.chart("m", "The group", [("Trust", [50, 60, 0]), ("Cohesion", [40, 100, 70])], 0, 100)
    assert chart.columns == ("Start", "After 1", "After 2")
    assert [line.marker for line in chart.lines] == ["circle", "square"]
    for line in chart.lines:
        for x, y in line.dots:
            assert chart.left <= x <= chart.right and chart.top <= y <= chart.bottom
    assert chart.lines[0].dots[2][1] == chart.bottom and chart.lines[1].dots[1][1] == chart.top
    assert "Trust, Cohesion" in chart.summary and "table below" in chart.summary
    assert [v for _, v in chart.y_ticks] == [0, 25, 50, 75, 100]
