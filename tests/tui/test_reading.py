"""The trainee reads what they react to: new text from its first line, the rest a key
away (and the room's edge says so), changes kept until the next decision, prompts whole,
the debrief reachable by keys alone, and nothing given away in assessment."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

BREACH_OPENING_LAST = "young man in a grief group at the hospice"


def _room_edge(app) -> str:
    """The room's bottom border, where it says whether there is more below."""
    lines = h.visible_lines(app)
    top = next(i for i, line in enumerate(lines) if "The room" in line)
    return next(line for line in lines[top + 1 :] if line.lstrip().startswith("╰"))


@h.asynctest
async def test_the_text_to_react_to_is_read_from_its_first_line_and_paged_by_named_keys(tmp_path):
    from simulator.tui.widgets.choices import ChoiceList

    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        shown = h.visible(app)
        # The opening starts at its first line, and the edge says there is more.
        assert "Check-in, week five" in shown
        assert BREACH_OPENING_LAST not in shown
        assert "more below · PgDn" in shown and "PgDn Read on" in shown
        choices = app.screen.query_one("#choices", ChoiceList)
        # Space and PgDn page the room; the choices keep the keyboard all the while, and
        # every line passes through view until the edge no longer says there is more.
        seen = False
        for key in ["space", "pagedown"] * 4:
            seen = seen or BREACH_OPENING_LAST in h.visible(app)
            if "more below" not in _room_edge(app):
                break
            await pilot.press(key)
            await pilot.pause()
            assert app.focused is choices
        assert seen and "more below" not in _room_edge(app)
        assert "Everyone is waiting for you." in h.visible(app)  # the decision's own last line
        # After a choice the new text starts where the trainee's words are echoed.
        await pilot.press(h.shown_key(app, 2))
        await pilot.pause()
        room = h.visible(app).split("The room")[1]
        assert room.index("You") < room.index("Say that what Maria has raised")


@h.asynctest
async def test_changes_stay_beside_the_bars_until_the_next_decision(tmp_path):
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(h.shown_key(app, 2))
        step = app.current.session.history[-1]
        key, delta = next(iter(step.changes.items()))
        change = app.screen.query_one(f"#bar-{key} .bar-change")
        assert str(change.visual) != ""
        feedback = h.screen_text(app)
        assert "Changes: " in feedback and "Trust" in feedback.split("Changes: ")[1]
        app.clock.advance(10)  # ten seconds of reading later
        await pilot.pause()
        assert str(change.visual) != ""
        await pilot.press("enter")  # on to the next decision: still there while it is read
        assert str(change.visual) != ""
        await pilot.press(h.shown_key(app, 3))  # the next decision replaces them
        await pilot.pause()
        now = app.current.session.history[-1].changes.get(key, 0)
        assert (str(change.visual) != "") == (now != 0)


@h.asynctest
async def test_a_long_prompt_is_shown_whole_at_80x24(tmp_path):
    text = h.TINY.read_text(encoding="utf-8").replace(
        "prompt: What do you say?",
        "prompt: Ana has just said what everyone was thinking and the room has gone very still; "
        "everything said here stays here. What do you do?",
    )
    path = tmp_path / "long-prompt.yaml"
    path.write_text(text, encoding="utf-8")
    app = h.make(path, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        shown = " ".join(h.visible(app).split())
        assert "everything said here stays here. What do you do?" in shown


@h.asynctest
async def test_the_debrief_is_reachable_by_keys_alone(tmp_path):
    from textual.widgets import TextArea

    from simulator.tui.screens.debrief import Decision
    from simulator.tui.widgets.chart import MeterChart

    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, *h.BREACH_BEST)
        await pilot.press("enter")
        await pilot.pause()
        assert "PgDn/PgUp Scroll" in h.visible(app) and "Next part" in h.visible(app)
        body = app.screen.query_one("#debrief-body")
        seen = []
        for _ in range(14):
            await pilot.press("tab")
            await pilot.pause()
            widget = app.focused
            seen.append(type(widget))
            # Whatever has the keyboard is on screen: the page followed it.
            assert widget.region.y < 24 and widget.region.bottom > 0
        assert Decision in seen and MeterChart in seen and TextArea in seen
        # PgDn scrolls the page from inside a writing box.
        box = app.screen.query_one("#reaction", TextArea)
        box.focus()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        before = body.scroll_y
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > before


@h.asynctest
async def test_assessment_moves_no_meter_on_screen_before_the_debrief(tmp_path):
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.click("#begin")
        assert "Hidden until the debrief" in h.visible(app)
        assert not app.screen.query(".meter-bar")
        await pilot.press(h.shown_key(app, 1))  # the harmful choice: trust falls
        await pilot.pause()
        assert app.current.session.history[-1].changes
        shown = h.visible(app)
        assert "Hidden until the debrief" in shown and "−" not in shown.split("The group")[1].split("╯")[0]
        assert "Map" not in [c.title for c in app.get_system_commands(app.screen)]


@h.asynctest
async def test_ctrl_q_asks_before_leaving_a_run_under_way(tmp_path):
    from simulator.tui.screens.confirm import ConfirmScreen

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+q")  # nothing decided yet: it quits at once
        assert not app.is_running
    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        assert "saved" in h.screen_text(app)
        await pilot.press("escape")  # no: back to the run
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert not app.is_running


DEAD_END = """\
format: 1
id: dead-end
title: A Dead End
summary: A decision whose every choice a condition hides.
group: {kind: Test group, stage: forming}
objectives: [Never leave a trainee before an empty list.]
meters:
  trust: {label: Trust, start: 50}
flags: [ready]
start: opening
states:
  opening:
    narration: The room waits.
    choices:
      - {text: Begin., rating: recommended, feedback: Fine., goto: stuck}
  stuck:
    narration: Nothing here can be done.
    choices:
      - {text: Only when ready., rating: recommended, when: ready, feedback: Fine., goto: done}
  done:
    ending: {outcome: strong, title: Done}
"""


@h.asynctest
async def test_a_decision_with_nothing_on_offer_is_never_an_empty_list(tmp_path):
    from simulator.tui.screens.debrief import DebriefScreen

    path = tmp_path / "dead-end.yaml"
    path.write_text(DEAD_END, encoding="utf-8")
    app = h.make(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)
        await pilot.pause()
        assert app.screen.phase == "stuck"
        assert not app.screen.query_one("#choices").display
        assert "This scenario cannot go on from here." in h.visible(app)
        await pilot.press("enter")  # the debrief button has the keyboard
        assert isinstance(app.screen, DebriefScreen)
