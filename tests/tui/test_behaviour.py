"""The TUI's promises one at a time: plain text, small terminals, time-outs, the library, keys."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

MARKUP_NAME = "Bø [b]bold[/b]"


@h.asynctest
async def test_markup_looking_text_shows_literally(tmp_path):
    # Markup-like text everywhere a scenario's words appear; none of it may style or crash.
    text = h.TINY.read_text(encoding="utf-8")
    text = text.replace(
        "narration: Ana looks at you. Bo looks at the floor.",
        'narration: "Ana [red]looks[/] at you. [/] [b]Bo[link=x] looks at the floor."',
    )
    text = text.replace("title: The opening", "title: The [i]opening[/i]")
    text = text.replace(
        "      - ana: Shall we start?", '      - ana: "Shall we [bold red]start[/]? [@click=app.quit]quit[/]"'
    )
    text = text.replace("text: Name what is happening in the room.", 'text: "Name [u]what[/u] is happening [/]"')
    text = text.replace("feedback: Naming it helps.", 'feedback: "Naming it [red]helps[/red]."')
    path = tmp_path / "markup.yaml"
    path.write_text(text, encoding="utf-8")
    app = h.make(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        shown = h.visible(app)
        assert "[red]quiet[/red]" in h.screen_text(app)  # the member's "about" on the briefing
        assert MARKUP_NAME in shown
        await pilot.press("enter")
        shown = h.visible(app)
        assert "── The [i]opening[/i] ──" in shown
        for piece in ("[red]looks[/]", "[b]Bo[link=x]", "[bold", "red]start[/]?", "[@click=app.quit]quit[/]"):
            assert piece in shown, piece
        text = h.screen_text(app)
        assert "Ana [red]looks[/] at you. [/] [b]Bo[link=x] looks at the floor." in text
        assert "Shall we [bold red]start[/]? [@click=app.quit]quit[/]" in text
        assert MARKUP_NAME in shown  # the speaker's name above their line
        assert f"{h.shown_key(app, 1)}. Name [u]what[/u] is happening [/]" in shown
        # The group panel's label carries the name too (the tooltip has it whole).
        bar_label = app.screen.query_one("#bar-bo .bar-label")
        assert str(bar_label.visual) == MARKUP_NAME
        await pilot.press(h.shown_key(app, 1))
        shown = h.visible(app)
        assert "Naming it [red]helps[/red]." in shown
        assert "Name [u]what[/u] is happening [/]" in shown  # echoed as the trainee's own
        assert app.is_running


@h.asynctest
async def test_resize_to_60x20_mid_session_loses_nothing(tmp_path):
    from simulator.tui.widgets.choices import ChoiceList

    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(h.shown_key(app, 2), "enter")
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-narrow") and screen.has_class("-short")
        room, group, choices = (
            screen.query_one("#room"),
            screen.query_one("#group"),
            screen.query_one("#choices", ChoiceList),
        )
        # All three parts still have room on screen.
        for part in (room, group, choices):
            assert part.region.height >= 3 and part.region.width >= 20, (part, part.region)
            assert part.region in screen.region or screen.region.contains_region(part.region)
        # Every choice can be scrolled into view, and still be taken by number.
        assert len(choices.choices) == len(app.current.session.choices()) >= 3
        assert choices.max_scroll_y > 0 or choices.virtual_size.height <= choices.scrollable_content_region.height
        choices.highlighted = len(choices.choices) - 1
        await pilot.pause()
        assert choices.scroll_y == choices.max_scroll_y
        # Every member's bar is there, reachable by scrolling the panel.
        for key in app.current.session.scenario.members:
            bar = screen.query_one(f"#bar-{key}")
            group.scroll_to_widget(bar, animate=False, immediate=True)
            await pilot.pause()
            assert group.scrollable_content_region.contains_region(bar.region), key
        # The whole story is in the room, and its end can be scrolled to.
        room.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert room.scroll_y == room.max_scroll_y
        last = room.children[-1]
        view = room.scrollable_content_region
        assert view.y < last.region.bottom <= view.bottom
        # And play goes on.
        session = app.current.session
        await pilot.press(h.shown_key(app, 3))
        assert session.turn == 2


@h.asynctest
async def test_session_parts_all_visible_at_100x30_and_80x24(tmp_path):
    for size in ((100, 30), (80, 24)):
        app = h.make(h.BREACH, tmp_path)
        async with app.run_test(size=size) as pilot:
            await pilot.press("enter")
            shown = h.visible(app)
            assert "The room" in shown and "The group" in shown
            assert "The silence is yours to break" in shown
            first = app.current.on_offer()[0]  # the option shown first, whichever it is
            assert f"1. {' '.join(first.text.split()[:3])}" in shown
            assert "Check-in, week five" in shown
            # The choices that do not fit are a scroll away.
            choices = app.screen.query_one("#choices")
            assert choices.virtual_size.height <= choices.scrollable_content_region.height + choices.max_scroll_y
            await pilot.press(h.shown_key(app, 2))
            shown = h.visible(app)
            assert "Recommended" in shown and "Continue" in shown and "Trust" in shown


@h.asynctest
async def test_choices_that_do_not_fit_are_announced(tmp_path):
    # confidentiality-breach's first decision has six long choices: at 80x24 the last
    # are below the panel's edge, and the edge says so until they have been scrolled to.
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        offered = app.current.on_offer()
        assert len(offered) >= 5
        last = offered[-1]  # the option shown last, at the bottom of the list
        shown_last = f"{len(offered)}. {' '.join(last.text.split()[:3])}"
        assert shown_last not in h.visible(app)
        assert "more choices below ↓" in h.visible(app)
        await pilot.press(*["down"] * (len(offered) - 1))
        await pilot.pause()
        assert shown_last in h.visible(app) and "more choices below" not in h.visible(app)
        await pilot.press(h.shown_key(app, 2))  # the feedback replaces the choices: nothing is below
        await pilot.pause()
        assert "more choices below" not in h.visible(app)
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:  # where everything fits, nothing is said
        await pilot.press("enter")
        await pilot.pause()
        offered = app.current.on_offer()
        shown_last = f"{len(offered)}. {' '.join(offered[-1].text.split()[:3])}"
        assert shown_last in h.visible(app) and "more choices below" not in h.visible(app)


@h.asynctest
async def test_briefing_marks_what_is_chosen_with_more_than_colour(tmp_path):
    # Textual's own radio buttons and check boxes draw the same mark on and off and differ
    # by colour only; the briefing's show the mark only when the option is on.
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = h.visible(app)
        assert "▐●▌ Practice" in shown and "▐ ▌ Assessment" in shown and "▐ ▌ Use time limits" in shown
        await pilot.click("#timed")
        await pilot.pause()
        assert "▐✓▌ Use time limits" in h.visible(app) and app.screen.settings().timed
        await pilot.click("#assessment")
        await pilot.pause()
        shown = h.visible(app)
        assert "▐ ▌ Practice" in shown and "▐●▌ Assessment" in shown and app.screen.settings().mode == "assessment"


@h.asynctest
async def test_debrief_opens_on_the_ending_even_on_a_short_terminal(tmp_path):
    # At 80x24 the strong ending's text fills the page: the debrief opens at its top (the
    # outcome and the start of the text), not scrolled down to the first reflection box,
    # and Tab brings "How did that feel?" into view with the keyboard in it.
    from textual.widgets import TextArea

    from simulator.tui.screens.debrief import DebriefScreen

    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        for n in h.BREACH_BEST:
            await pilot.press(h.shown_key(app, n), "enter")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert "Strong outcome" in h.visible(app)
        assert not isinstance(app.focused, TextArea)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#reaction")
        assert "How did that feel?" in h.visible(app) and "Strong outcome" not in h.visible(app)


@h.asynctest
async def test_time_out_moves_to_on_timeout(tmp_path):
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.click("#begin")
        session = app.current.session
        countdown = app.screen.query_one("#countdown", Countdown)
        assert "0:30 left" in h.visible(app)
        for _ in range(29):
            countdown.tick()
        await pilot.pause()
        assert session.turn == 0 and "0:01 left" in h.visible(app)
        assert countdown.has_class("hurry")
        countdown.tick()
        await pilot.pause()
        step = session.history[0]
        assert step.timed_out and step.route[0] == session.scenario.states["opening"].on_timeout == "silence"
        assert session.state.id == "middle"
        shown = h.visible(app)
        assert "(You let the silence run.)" in shown and "The silence stretches." in shown
        # the co-facilitator is in the scenario's cast: her line appears under her name
        assert "Dee" in shown and "Take your time, both of you." in shown
        assert not countdown.display  # the next decision has no time limit


@h.asynctest
async def test_practice_time_limits_only_when_asked_and_stepping_out_stops_the_clock(tmp_path):
    from simulator.tui.screens.pause import PauseScreen
    from simulator.tui.screens.session import SessionScreen
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#timed")
        await pilot.click("#begin")
        countdown = app.screen.query_one("#countdown", Countdown)
        assert countdown.running and countdown.remaining == 30
        await pilot.press("s")
        assert isinstance(app.screen, PauseScreen)
        assert "The Tiny Test Group" not in h.visible(app)  # the scene is hidden
        assert not countdown.running
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen) and countdown.running
        for _ in range(30):
            countdown.tick()
        await pilot.pause()
        session = app.current.session
        assert session.history[0].timed_out
        # In practice a time-out gets a feedback panel too, saying so.
        assert "Time ran out" in h.visible(app)


@h.asynctest
async def test_library_lists_broken_files_and_filters(tmp_path):
    from simulator.tui.screens.briefing import BriefingScreen
    from simulator.tui.screens.library import LibraryScreen

    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "a-tiny.yaml").write_text(h.TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b-broken.yaml").write_text("format: 1\nid: Broken Id\n", encoding="utf-8")
    (folder / "c-not-yaml.yaml").write_text("key: [unclosed\n", encoding="utf-8")
    app = h.make(folder, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, LibraryScreen)
        shown = h.visible(app)
        assert "A Tiny Test Group" in shown and "forming · 2 min · test" in shown
        assert "b-broken.yaml — cannot be played" in shown and "c-not-yaml.yaml — cannot be played" in shown
        # The preview follows the highlight: summary and objectives, or every error.
        assert "Two members, one awkward moment." in shown and "Exercise every feature of the format." in shown
        await pilot.press("down")
        assert "This file cannot be played until these are fixed" in h.screen_text(app)
        await pilot.press("enter")  # a broken file does not open, and nothing crashes
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press(*"tiny")
        assert len(app.screen._shown) == 1
        await pilot.press("escape")
        assert len(app.screen._shown) == 3
        await pilot.press(*"forming", "enter")
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)


@h.asynctest
async def test_help_palette_restart_and_library(tmp_path):
    from simulator.tui.screens.confirm import ConfirmScreen
    from simulator.tui.screens.help import HelpScreen
    from simulator.tui.screens.library import LibraryScreen
    from simulator.tui.screens.session import SessionScreen

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "1-9" in h.visible(app) and "step out" in h.screen_text(app)  # the rest a scroll away
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Restart scenario", "Rewind", "Open library", "Export", "Theme"):
            assert title in titles, titles
        await pilot.press("1", "enter")
        first = app.current
        app.action_restart()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.current is not first and app.current.session.turn == 0
        await pilot.press("1")
        app.action_open_library()
        await pilot.pause()
        await pilot.click("#no")
        assert isinstance(app.screen, SessionScreen)
        app.action_open_library()
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen) and app.current is None


@h.asynctest
async def test_leaving_from_over_the_help_still_asks_first(tmp_path):
    # The command palette's "Open library" can be chosen with the help (or map, or pause)
    # covering the session: the run under it must not be dropped without asking.
    from simulator.tui.screens.confirm import ConfirmScreen
    from simulator.tui.screens.help import HelpScreen
    from simulator.tui.screens.library import LibraryScreen
    from simulator.tui.screens.session import SessionScreen

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter", "1", "enter")
        run = app.current
        assert run.session.turn == 1
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        app.action_open_library()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#no")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.current is run
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen) and app.current.session.turn == 1
        await pilot.press("question_mark")
        app.action_open_library()
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen) and app.current is None


@h.asynctest
async def test_runs_left_on_purpose_are_not_offered_again(tmp_path):
    # Restart and "Open library" leave a run unfinished on purpose: the records mark it
    # abandoned, so the next `groupsim play` does not offer to resume it. A run the app
    # was closed on stays active (that is what the resume prompt is for).
    from simulator.records import Recorder, RunRecorder
    from simulator.tui.screens.library import LibraryScreen

    with Recorder(tmp_path / "r.db") as rec:
        app = h.make(h.TINY, tmp_path, observe=RunRecorder.factory(rec))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("enter", "1", "enter")
            first = app.current.observer.run_id
            app.action_restart()
            await pilot.pause()
            await pilot.click("#yes")
            await pilot.pause()
            second = app.current.observer.run_id
            assert second != first
            app.action_open_library()  # no decision made yet: nothing to confirm
            await pilot.pause()
            assert isinstance(app.screen, LibraryScreen)
            await pilot.press("enter", "enter", "1", "enter")
            third = app.current.observer.run_id
        statuses = {r: rec.run(r).status for r in (first, second, third)}
        assert statuses == {first: "abandoned", second: "abandoned", third: "active"}
        assert [i.id for i in rec.unfinished_runs()] == [third]


@h.asynctest
async def test_tiny_plays_through_every_kind_of_state(tmp_path):
    from simulator.tui.screens.debrief import DebriefScreen

    app = h.make(h.TINY, tmp_path, seed=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        session = app.current.session
        await pilot.press(h.shown_key(app, 2))  # harmful: hides "Invite both in" (when: named)
        assert "Harmful" in h.visible(app)
        await pilot.press("enter")
        assert [c.number for c in session.choices()] == [2, 3]
        await pilot.press(h.shown_key(app, 2), "enter")  # "Lecture them"
        assert session.history[-1].choice == 2
        assert session.state.id == "poor-end"
        await pilot.press("enter")
        assert isinstance(app.screen, DebriefScreen)
        text = h.screen_text(app)
        assert "Poor outcome" in text and "The group closed up." in text
        # At the second decision the recommended choice was hidden, so none is named.
        assert "No choice here was marked recommended." in text
        assert "Recommended here: Name what is happening in the room." in text


@h.asynctest
async def test_every_builtin_theme_renders_the_session(tmp_path):
    # Styles use theme variables only, so any theme must render each part without error.
    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(h.shown_key(app, 1))
        for theme in ("textual-light", "nord", "gruvbox", "solarized-light", "textual-dark"):
            app.theme = theme
            await pilot.pause()
            shown = h.visible(app)
            assert "The room" in shown and "Recommended" in shown, theme
