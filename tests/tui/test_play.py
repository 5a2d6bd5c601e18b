"""Playing whole scenarios through the app by keys and by mouse, checking screen and engine."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from simulator.play.run import Observer

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]


class Recorder(Observer):
    """A stand-in for the records' recorder: remembers what it was told."""

    def __init__(self, scenario, settings, seed):
        self.started = (scenario.id, settings.trainee, settings.mode, seed, settings.time_limits)
        self.steps: list[tuple[int, int | None, int | None]] = []
        self.rewinds = 0
        self.finished = None
        self.reflections: dict[str, str] = {}

    def on_step(self, session, step, elapsed_ms):
        self.steps.append((step.turn, step.choice, elapsed_ms))

    def on_rewind(self, session):
        self.rewinds += 1

    def on_finish(self, session):
        self.finished = session.state.id

    def on_reflections(self, texts):
        self.reflections = dict(texts)


@h.asynctest
async def test_practice_by_keys_reaches_the_strong_ending(tmp_path):
    from simulator.tui.screens.debrief import DebriefScreen
    from simulator.tui.screens.session import SessionScreen

    made: list[Recorder] = []

    def observe(*args):
        made.append(Recorder(*args))
        return made[-1]

    app = h.make(h.BREACH, tmp_path, observe=observe)
    async with app.run_test(size=(100, 30)) as pilot:
        # One file: the app opens on its briefing, name field focused.
        assert "Content notes" in h.screen_text(app)
        await pilot.press(*"Sam Ø")
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        session = app.current.session
        assert made[0].started == ("confidentiality-breach", "Sam Ø", "practice", 0, False)
        # Practice: no countdown unless asked for, even at the timed first decision.
        assert session.state.time_limit == 60
        assert not app.screen.query_one("#countdown").display
        assert "Maria" in h.screen_text(app) and "She knew what I said in here in week three." in h.screen_text(app)

        for turn, authored in enumerate(h.BREACH_BEST, 1):
            before = dict(session.values)
            await pilot.press(h.shown_key(app, authored))
            assert session.turn == turn
            step = session.history[-1]
            assert step.choice == authored and step.rating == "recommended"
            # Feedback: the rating in words, the feedback, the references, and the changes by the bars.
            panel = app.screen.query_one("#feedback")
            text = h.screen_text(app)
            assert "Recommended" in text
            assert " ".join(step.feedback.split())[:60] in text
            for key in step.refs:
                assert session.scenario.references[key] in text
            for key, delta in step.changes.items():
                change = str(app.screen.query_one(f"#bar-{key} .bar-change").visual)
                assert change == (f"+{delta}" if delta > 0 else f"\u2212{-delta}"), (key, change)
                assert str(app.screen.query_one(f"#bar-{key} .bar-value").visual) == str(session.values[key])
            assert before != dict(session.values)
            # The choice is echoed in the room as the trainee's own.
            assert " ".join(step.text.split()) in text
            assert panel.has_focus_within
            await pilot.press("enter")

        assert session.finished and session.state.id == "agreement-remade"
        assert session.meters() == {"trust": 90, "cohesion": 88, "follow_through": 75}
        assert session.members()["maria"] == 95 and session.members()["jordan"] == 67
        assert "The group re-made its agreement" in h.screen_text(app)
        await pilot.press("enter")  # the focused "Open the debrief" button
        assert isinstance(app.screen, DebriefScreen)
        assert made[0].finished == "agreement-remade"
        assert [s[1] for s in made[0].steps] == list(h.BREACH_BEST)
        assert all(isinstance(s[2], int) and s[2] >= 0 for s in made[0].steps)

        text = h.screen_text(app)
        assert "Strong outcome" in text and "How did that feel?" in text
        for q in session.scenario.reflection:
            assert " ".join(q.split()) in text
        for o in session.scenario.objectives:
            assert " ".join(o.split()) in text
        assert text.count("You chose:") == len(h.BREACH_BEST)
        assert "Changes: Trust −3, Cohesion −3, Maria +8" in text
        chart = str(app.screen.query_one("#chart-meters").visual)
        assert "100 ┤" in chart and "0 ┤" in chart and "decision (S = start)" in chart and "● Trust 90" in chart

        # Write a reaction, then export.
        await pilot.press(*"ok [b]")
        await pilot.press("ctrl+s")
        md, js = app.screen.exported
        assert md.parent == tmp_path / "exports"
        markdown = md.read_text(encoding="utf-8")
        assert "ok [b]" in markdown and "## Debrief" in markdown
        data = json.loads(js.read_text(encoding="utf-8"))
        assert data["ending"]["state"] == "agreement-remade"
        assert data["mode"] == "practice" and data["trainee"] == "Sam Ø"
        assert data["reflections"] == {"reaction": "ok [b]"}
        assert [d["rating"] for d in data["decisions"]] == ["recommended"] * len(h.BREACH_BEST)
        assert made[0].reflections == {"reaction": "ok [b]"}
        assert str(md) in str(app.screen.query_one("#export-result").visual)


@h.asynctest
async def test_assessment_by_keys_holds_feedback_and_forbids_rewind(tmp_path):
    from simulator.tui.screens.debrief import DebriefScreen
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        assert "held for the debrief" in h.screen_text(app)
        await pilot.click("#begin")
        session = app.current.session
        assert app.current.settings.mode == "assessment"
        # Time limits are on in assessment.
        countdown = app.screen.query_one("#countdown", Countdown)
        assert countdown.display and countdown.remaining == 60 and "1:00 left" in str(countdown.visual)
        assert app.screen.check_action("rewind", ()) is False

        path = (4, 3, 3, 2, 2, 2, 2, 2, 3, 2, 2, 2)  # "Moving on, then catching it": ends mixed, at maria-guarded
        for turn, authored in enumerate(path, 1):
            await pilot.press(h.shown_key(app, authored))
            assert session.turn == turn
            # No feedback panel in assessment: straight on to the next decision.
            assert not app.screen.query("#feedback")
            await pilot.press("r")
            assert session.turn == turn  # rewind refused
        assert session.state.id == "maria-guarded" and session.ending.outcome == "mixed"
        assert not countdown.display
        await pilot.click("#debrief")
        assert isinstance(app.screen, DebriefScreen)
        text = h.screen_text(app)
        # The feedback held back during play is in the debrief.
        first = session.history[0]
        assert "Harmful" in text and " ".join(first.feedback.split())[:50] in text
        assert "Mixed outcome" in text
        # What was recommended where the trainee chose otherwise.
        recommended = next(c for c in session.scenario.states["the-silence"].choices if c.rating == "recommended")
        assert f"Recommended here: {' '.join(recommended.text.split())}" in text


@h.asynctest
async def test_rewind_in_practice_goes_back_one_decision(tmp_path):
    made = []

    def observe(*args):
        made.append(Recorder(*args))
        return made[-1]

    app = h.make(h.BREACH, tmp_path, observe=observe)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        session = app.current.session
        start = dict(session.values)
        await pilot.press(h.shown_key(app, 1))  # the harmful reprimand
        assert session.turn == 1 and session.values != start
        await pilot.press("r")  # straight from the feedback panel
        assert session.turn == 0 and dict(session.values) == start
        assert made[0].rewinds == 1
        assert app.screen.phase == "choosing"
        # The echo of the taken-back choice has left the room.
        assert "You" not in [str(w.visual) for w in app.screen.query(".speaker")]
        await h.choose(app, pilot, 2)
        await pilot.press(h.shown_key(app, 3))
        assert [s.choice for s in session.history] == [2, 3]
        await pilot.press("enter", "r")  # from the next decision's choices
        assert [s.choice for s in session.history] == [2]
        assert made[0].rewinds == 2


@h.asynctest
async def test_mouse_alone_finishes_a_scenario(tmp_path):
    from simulator.tui.screens.briefing import BriefingScreen
    from simulator.tui.screens.debrief import DebriefScreen
    from simulator.tui.widgets.choices import ChoiceList

    app = h.make(h.BREACH.parent, tmp_path)  # the whole library: start from the list
    async with app.run_test(size=(100, 30)) as pilot:
        options = app.screen.query_one("#scenarios")
        index = next(i for i, f in enumerate(app.screen._shown) if f.id == "confidentiality-breach")
        # Click the scenario's title line in the list (inside the list's border).
        await _click_option(pilot, options, index, border=1)
        assert isinstance(app.screen, BriefingScreen), app.screen
        await pilot.click("#begin")
        session = app.current.session
        for authored in h.BREACH_BEST:
            choices = app.screen.query_one("#choices", ChoiceList)
            shown = int(h.shown_key(app, authored)) - 1
            await _click_option(pilot, choices, shown)
            assert session.history[-1].choice == authored
            await pilot.click("#continue")
        assert session.state.id == "agreement-remade"
        await pilot.click("#debrief")
        assert isinstance(app.screen, DebriefScreen)
        await pilot.click("#export")
        assert app.screen.exported is not None and app.screen.exported[0].exists()


async def _click_option(pilot, option_list, index: int, border: int = 0) -> None:
    """Click option `index` of a list, scrolling it into view first as a mouse user would (the wheel)."""
    for _ in range(10):  # the list shown and laid out
        await pilot.pause()
        if option_list.scrollable_content_region.height:
            break
    option_list._update_lines()
    line = option_list._index_to_line[index]
    height = option_list.scrollable_content_region.height
    if not option_list.scroll_y <= line < option_list.scroll_y + height:
        option_list.scroll_to(y=line, animate=False)
        await pilot.pause()
    y = line - round(option_list.scroll_y)
    assert 0 <= y < height, "the option is not in view"
    await pilot.click(option_list, offset=(3 + border, y + border))
