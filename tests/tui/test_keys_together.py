"""Keys that arrive together (key rollover, a fast typist, a busy server batching keystrokes)
must never end the app: a message about a list that has since changed is taken for what
it names, not for a position in the list as it is now."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
from textual import events

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]
_tspec = importlib.util.spec_from_file_location("terminal", h.ROOT / "tests" / "terminal.py")
terminal = importlib.util.module_from_spec(_tspec)
_tspec.loader.exec_module(terminal)  # type: ignore[union-attr]


def _together(app, keys: str) -> None:
    """Queue every key before the app handles the first (as a terminal delivers a burst)."""
    for k in keys:
        app.post_message(events.Key(k, k))


@pytest.mark.parametrize("burst", ["sx", "aq", "tq", "a" * 50, "zzq", "s\x7f"], ids=repr)
@h.asynctest
async def test_a_burst_of_keys_in_the_library_filter_keeps_the_app_and_its_preview_right(burst):
    from simulator.tui.screens.library import LibraryScreen

    app = h.make(h.ROOT / "scenarios")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        _together(app, burst.replace("\x7f", ""))
        if "\x7f" in burst:
            app.post_message(events.Key("backspace", None))
        for _ in range(5):
            await pilot.pause()
        assert app.is_running and isinstance(app.screen, LibraryScreen)
        screen = app.screen
        expected = burst.replace("\x7f", "")[:-1] if "\x7f" in burst else burst
        assert screen.query_one("#filter").value == expected
        preview = str(screen.query_one("#preview-text").visual)
        option = screen.query_one("#scenarios").highlighted_option
        if option is None:
            assert "No scenario matches that filter." in preview
        else:  # the preview is of the scenario highlighted now
            assert screen._found_for(option).scenario.title in preview


@h.asynctest
async def test_a_pick_from_a_replaced_choice_list_is_not_taken_at_the_next_decision(tmp_path):
    """Two picks at once in assessment: the second belongs to the list the first replaced."""
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.click("#begin")
        session = app.current.session
        assert session.turn == 0
        _together(app, "11")
        for _ in range(5):
            await pilot.pause()
        assert session.turn == 1, "the second '1' was meant for the first decision's list"
        assert app.is_running


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_keys_typed_together_in_a_real_terminal_do_not_end_groupsim_play(tmp_path):
    term = terminal.Terminal(terminal.groupsim_argv("play", "--db", str(tmp_path / "r.db")))
    try:
        term.wait_for("Type to filter")
        term.type("sx")  # one write: both keys arrive together
        term.wait_for("No scenario matches that filter.")
        term.type("\x1b")  # Esc clears the filter: the list is back
        term.type("aq")
        term.type("\x11")  # Ctrl+Q
        code = term.wait_exit()
    finally:
        term.kill()
    assert "Traceback" not in term.text and "IndexError" not in term.text
    assert code == 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_an_uncaught_error_in_the_app_ends_groupsim_play_with_a_non_zero_status(tmp_path):
    """Whatever goes wrong inside the full-screen app, the shell (or serve) is told."""
    script = textwrap.dedent(
        f"""
        import sys
        import simulator.tui.app as tui_app
        from simulator.cli import main

        made = tui_app.make_app

        def broken(*args, **kwargs):
            app = made(*args, **kwargs)
            def explode():
                raise RuntimeError("a bug")
            app.call_after_refresh(explode)
            return app

        tui_app.make_app = broken
        sys.exit(main(["play", {str(h.TINY)!r}, "--db", {str(tmp_path / "r.db")!r}]))
        """
    )
    term = terminal.Terminal([sys.executable, "-c", script])
    try:
        code = term.wait_exit()
    finally:
        term.kill()
    assert "RuntimeError" in term.text
    assert code != 0
