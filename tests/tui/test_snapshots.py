"""Snapshots of every screen at 100x30, from a fixed fixture so edits to the library do not move them.

Review any new or changed SVG by eye (`pytest tests/tui --snapshot-update`, then open the
files under __snapshots__/ or the report pytest writes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CIRCLE = HERE / "fixtures" / "circle.yaml"
SIZE = (100, 30)


def _app(target: Path, tmp_path: Path):
    from simulator.authoring.library import resolve
    from simulator.tui.app import make_app
    from simulator.tui.clock import ManualClock

    # A fixed seed, no blinking cursor, a clock that moves only when told: still pictures.
    return make_app(resolve(str(target)), seed=0, cursor_blink=False, export_dir=tmp_path, clock=ManualClock())


@pytest.fixture
def circle(tmp_path):
    return _app(CIRCLE, tmp_path)


def test_library(snap_compare, tmp_path):
    # The folder holds the fixture and a broken file, listed with its first error.
    assert snap_compare(_app(HERE / "fixtures", tmp_path), terminal_size=SIZE)


def test_briefing(snap_compare, circle):
    assert snap_compare(circle, terminal_size=SIZE)


def test_session(snap_compare, circle):
    assert snap_compare(circle, press=["enter"], terminal_size=SIZE)


def test_feedback(snap_compare, circle):
    assert snap_compare(circle, press=["enter", "2"], terminal_size=SIZE)


def test_assessment_countdown(snap_compare, circle):
    async def choose_assessment(pilot):
        await pilot.click("#assessment")
        await pilot.click("#begin")

    assert snap_compare(circle, run_before=choose_assessment, terminal_size=SIZE)


def test_ended(snap_compare, circle):
    assert snap_compare(circle, press=["enter", "1", "enter", "1", "enter"], terminal_size=SIZE)


def test_debrief(snap_compare, circle):
    assert snap_compare(circle, press=["enter", "2", "enter", "1", "enter", "enter"], terminal_size=SIZE)


def test_debrief_decisions_and_chart(snap_compare, circle):
    async def scroll_to_decisions(pilot):
        await pilot.press("enter", "2", "enter", "1", "enter", "enter")
        body = pilot.app.screen.query_one("#debrief-body")
        body.scroll_to_widget(pilot.app.screen.query_one("#decision-1"), top=True, animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(circle, run_before=scroll_to_decisions, terminal_size=SIZE)


def test_help(snap_compare, circle):
    assert snap_compare(circle, press=["enter", "question_mark"], terminal_size=SIZE)


def test_pause(snap_compare, circle):
    assert snap_compare(circle, press=["enter", "s"], terminal_size=SIZE)
