"""Time accommodations (WCAG 2.2.1): more time, or none, as the trainee (practice) or the
supervisor (assessment) says; and the library's count and marks."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]


@h.asynctest
async def test_practice_time_can_be_doubled_or_turned_off_by_the_trainee(tmp_path):
    from textual.widgets import Select

    from simulator.tui.widgets.countdown import Countdown

    for choice, shown in (("2x", 60), ("off", None)):
        app = h.make(h.TINY, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.click("#timed")
            await pilot.pause()
            app.screen.query_one("#more-time", Select).value = choice
            await pilot.click("#begin")
            countdown = app.screen.query_one("#countdown", Countdown)
            assert countdown.remaining == shown  # tiny's first decision gives 30 s as written
            assert app.current.settings.accommodation == choice


@h.asynctest
async def test_assessment_uses_the_accommodation_the_supervisor_set_and_says_so(tmp_path):
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.TINY, tmp_path, accommodation="1.5x")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.pause()
        assert "Time: one and a half times as long (set for you)." in h.screen_text(app)
        await pilot.click("#begin")
        assert app.screen.query_one("#countdown", Countdown).remaining == 45
        assert app.current.settings.accommodation == "1.5x"


@h.asynctest
async def test_a_trainee_granted_more_time_in_the_records_is_told_and_gets_it(tmp_path):
    from textual.widgets import Input

    from simulator.tui.widgets.countdown import Countdown

    asked: list[str] = []

    def granted(name: str) -> str:  # what `Recorder.accommodation_for` answers
        asked.append(name)
        return "2x" if name.casefold() == "ann" else "none"

    for name, shown, accommodation in (("Ann", 60, "2x"), ("Bo", 45, "1.5x")):
        app = h.make(h.TINY, tmp_path, accommodation="1.5x", granted=granted)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.click("#assessment")
            app.screen.query_one("#trainee", Input).value = name
            await pilot.pause()
            told = "Your supervisor has given you twice the time on timed decisions."
            assert (told in h.screen_text(app)) == (name == "Ann")
            await pilot.click("#begin")
            assert app.screen.query_one("#countdown", Countdown).remaining == shown  # 30 s as written
            assert app.current.settings.accommodation == accommodation
    assert "" not in asked  # no name, no question


@h.asynctest
async def test_say_first_adds_time_to_type(tmp_path):
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.TINY, tmp_path, say_first=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.click("#begin")
        assert app.current.settings.say_first
        assert app.screen.query_one("#countdown", Countdown).remaining == 30 + 45


@h.asynctest
async def test_the_library_counts_what_the_filter_shows_and_marks_what_is_done(tmp_path):
    app = h.make(h.ROOT / "scenarios", tmp_path, finished={"confidentiality-breach"})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        total = sum(1 for f in app.found if f.scenario is not None)
        assert f"Scenarios ({total}) · 1 done" in h.visible(app)
        await pilot.press(*"confidentiality-breach")
        await pilot.pause()
        shown = h.visible(app)
        assert f"Scenarios (1 of {total}) · 1 done" in shown
        assert "✓ done" in shown


def test_a_file_that_does_not_load_is_reported_before_any_screen_opens(tmp_path):
    broken = h.INVALID / sorted(p.name for p in h.INVALID.glob("*.yaml"))[0]
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "play", str(broken), "--db", str(tmp_path / "r.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "the scenario has errors" in done.stderr and ": error:" in done.stderr
    assert "\x1b[?1049h" not in done.stdout  # no full screen was opened
