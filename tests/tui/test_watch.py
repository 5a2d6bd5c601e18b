"""`groupsim play FILE --watch`: a saved file reloads, a broken one is reported in the app, choices carry over.

The tests save a copy of the tiny fixture and call `app.check_reload()` themselves
(the interval is set far beyond a test's length), so nothing waits on a clock.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

NARRATION = "narration: The group waits."


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(h.TINY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _save(path: Path, text: str) -> None:
    """Write `text` as an editor would, a second later by the file's clock (saves in one
    test come faster than some file systems' time stamps tick)."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    _save(path, text.replace(old, new))


def _watched(path: Path, tmp_path: Path):
    app = h.make(path, tmp_path, watch=path, watch_interval=3600)
    notes: list[tuple[str, dict]] = []
    notify = app.notify

    def record(message, **kw):
        notes.append((message, kw))
        notify(message, **kw)

    app.notify = record  # type: ignore[method-assign]
    return app, notes


@h.asynctest
async def test_a_saved_change_shows_and_the_choices_so_far_are_replayed(tmp_path):
    from simulator.tui.screens.session import SessionScreen

    path = _copy(tmp_path)
    app, notes = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)  # opening: name it → middle
        old = app.current.session
        assert old.state.id == "middle" and "The group waits." in h.visible(app)
        assert app.check_reload() is False  # nothing saved yet
        _edit(path, NARRATION, "narration: The group waits, arms folded.")
        assert app.check_reload() is True
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        new = app.current.session
        assert new is not old and new.seed == old.seed
        assert new.state.id == "middle" and [s.choice for s in new.history] == [1]
        assert new.values == old.values and new.flags == {"named"}
        assert "The group waits, arms folded." in h.visible(app)
        assert any("your decision replayed" in m for m, _ in notes)
        # Play goes on, on the new version.
        await pilot.press(h.shown_key(app, 1))
        assert new.turn == 2


@h.asynctest
async def test_new_feedback_shows_at_once_when_the_feedback_was_on_screen(tmp_path):
    path = _copy(tmp_path)
    app, _ = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(h.shown_key(app, 1))
        assert app.screen.phase == "feedback" and "Naming it helps." in h.visible(app)
        _edit(path, "feedback: Naming it helps.", "feedback: Naming it lets the group breathe.")
        app.check_reload()
        await pilot.pause()
        assert app.screen.phase == "feedback"
        assert "Naming it lets the group breathe." in h.visible(app)
        assert not app.screen.query_one("#ended").display and not app.screen.query_one("#choices").display
        await pilot.press("enter")
        assert app.screen.phase == "choosing" and app.current.session.state.id == "middle"


@h.asynctest
async def test_a_broken_save_is_reported_in_the_app_and_the_session_kept_until_fixed(tmp_path):
    from simulator.tui.screens.session import SessionScreen

    path = _copy(tmp_path)
    good = path.read_text(encoding="utf-8")
    app, notes = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)
        screen, session = app.screen, app.current.session
        _edit(path, "goto: route\n      - text: Lecture them.", "goto: rout\n      - text: Lecture them.")
        assert app.check_reload() is True
        await pilot.pause()
        # The errors, as line:col: message, in a notification; nothing else moved.
        assert app.reload_errors and all(d.severity == "error" for d in app.reload_errors)
        message, kw = notes[-1]
        assert kw["severity"] == "error" and kw["markup"] is False and "tiny.yaml" in kw["title"]
        first = app.reload_errors[0]
        assert f"{first.line}:{first.col}: {first.message}" in message and "'rout'" in message
        assert "Play goes on with the last version that loaded" in message
        assert f"{first.line}:{first.col}:" in h.visible(app)
        assert app.screen is screen and app.current.session is session and session.turn == 1
        # The session still plays, on the version that loaded.
        await pilot.press(h.shown_key(app, 3))  # wait
        assert session.turn == 2
        # A second broken save (not YAML at all) is reported the same way.
        _save(path, good.replace("states:\n", "states:\n  opening: [\n"))
        assert app.check_reload() is True
        await pilot.pause()
        assert app.reload_errors and app.screen is screen
        # Fixed: reloaded, and both decisions replayed.
        _save(path, good.replace(NARRATION, "narration: The group waits, fixed."))
        assert app.check_reload() is True
        await pilot.pause()
        assert app.reload_errors == ()
        assert isinstance(app.screen, SessionScreen) and app.screen is not screen
        assert [s.choice for s in app.current.session.history] == [1, 3]
        assert "did not load" not in h.visible(app)  # the error notice is cleared


@h.asynctest
async def test_removing_the_choice_taken_restarts_with_a_notice(tmp_path):
    path = _copy(tmp_path)
    app, notes = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 2)  # opening: change the subject (harmful)
        assert app.current.session.history[0].choice == 2
        _edit(
            path,
            "      - text: Change the subject.\n        rating: harmful\n        effects: {trust: -20, bo: -40}\n"
            "        feedback: Avoiding it hurts.\n        goto: middle\n",
            "",
        )
        app.check_reload()
        await pilot.pause()
        session = app.current.session
        assert session.turn == 0 and session.state.id == "opening"
        message, kw = notes[-1]
        assert kw["severity"] == "warning" and kw["title"] == "Session restarted" and "started again" in message
        # Number 2 is still on offer, but it is now what was choice 3: replaying it would take another choice.
        assert "choice 2 at 'opening' (decision 1) is no longer on offer" in message
        assert "that number is now what was choice 3 ('Ask Bo directly, a second time.')" in message
        assert [c.number for c in session.choices()] == [1, 2]
        assert "decision 1" in h.visible(app)


@h.asynctest
async def test_the_briefing_reloads_and_keeps_what_was_typed(tmp_path):
    from simulator.tui.screens.briefing import BriefingScreen

    path = _copy(tmp_path)
    app, _ = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"Sam")
        _edit(path, "title: A Tiny Test Group", "title: A Tiny Test Group, renamed")
        app.check_reload()
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        assert "Briefing · A Tiny Test Group, renamed" in h.visible(app)
        await pilot.press("enter")
        assert app.current.settings.trainee == "Sam"
        assert app.current.session.scenario.title == "A Tiny Test Group, renamed"


@h.asynctest
async def test_a_reload_waits_while_help_or_the_map_is_open(tmp_path):
    from simulator.tui.screens.session import SessionScreen

    path = _copy(tmp_path)
    app, _ = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)
        await pilot.press("m")
        await app.workers.wait_for_complete()
        _edit(path, NARRATION, "narration: The group waits, later.")
        assert app.check_reload() is True  # read, but not put on screen under the map
        await pilot.pause()
        assert type(app.screen).__name__ == "MapScreen"
        await pilot.press("escape")
        assert app.check_reload() is True
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and "The group waits, later." in h.visible(app)
        assert app.check_reload() is False


@h.asynctest
async def test_a_file_broken_at_start_opens_on_the_library_and_a_fix_loads_it(tmp_path):
    path = _copy(tmp_path)
    good = path.read_text(encoding="utf-8")
    _save(path, good.replace("start: opening", "start: nowhere"))
    app, notes = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert type(app.screen).__name__ == "LibraryScreen" and app.reload_errors
        assert notes and notes[0][1]["severity"] == "error" and "nowhere" in notes[0][0]
        _save(path, good)
        app.check_reload()
        await pilot.pause()
        assert type(app.screen).__name__ == "LibraryScreen"
        assert "A Tiny Test Group" in h.visible(app)
        await pilot.press("enter")
        assert type(app.screen).__name__ == "BriefingScreen"


def test_the_interval_calls_the_reload_check(tmp_path):
    """Without a test calling it: the app's own interval notices a save."""
    import asyncio

    path = _copy(tmp_path)

    async def run():
        app = h.make(path, tmp_path, watch=path, watch_interval=0.05)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("enter")
            await h.choose(app, pilot, 1)
            _edit(path, NARRATION, "narration: The group waits, by itself.")
            await pilot.pause()
            assert "by itself" not in h.visible(app)
            app.clock.advance(0.05)  # one interval of the app's clock
            await pilot.pause()
            assert "The group waits, by itself." in h.visible(app)

    asyncio.run(run())


@pytest.mark.parametrize(
    "target, says",
    [
        (None, "--watch follows one scenario file; name it"),
        ("tests/fixtures/valid", "is a folder"),
        ("confidentiality-breach", "is not a file; the shipped scenario 'confidentiality-breach' is the file"),
        ("no-such-thing", "there is no file 'no-such-thing'"),
    ],
    ids=["nothing", "folder", "id", "missing"],
)
def test_watch_needs_a_file(target, says, capsys, monkeypatch):
    from simulator.cli import main

    monkeypatch.chdir(h.ROOT)
    assert main(["play", *([target] if target else []), "--watch", "--db", os.devnull]) == 2
    err = capsys.readouterr().err
    assert err.startswith("groupsim play: ") and says in err and "usage: groupsim play FILE.yaml --watch" in err


def test_replay_is_pure_and_says_why_it_stops():
    from simulator.authoring.loader import load_text
    from simulator.engine.session import Session
    from simulator.play.replay import replay
    from simulator.tui.watch import FileWatch

    text = h.TINY.read_text(encoding="utf-8")
    old_scenario, _ = load_text(text, "tiny.yaml")
    old = Session(old_scenario, 7)
    old.timeout()  # opening → silence → middle
    old.choose(3)
    same, why = replay(old, old_scenario)
    assert why is None and same.to_json()["history"] == old.to_json()["history"]
    untimed, _ = load_text(text.replace("    time_limit: 30\n    on_timeout: silence\n", ""), "tiny.yaml")
    fresh, why = replay(old, untimed)
    assert (
        fresh.turn == 0
        and why == "'opening' no longer has a time limit, so the time-out at decision 1 cannot be replayed"
    )
    # The choice taken (3) is gone: its number is not on offer any more.
    old = Session(old_scenario, 7)
    old.choose(3)
    cut = text.replace(
        "      - text: Ask Bo directly, a second time.\n        rating: risky\n        when: not named\n"
        "        feedback: Offered while nothing has been named.\n        goto: middle\n",
        "",
    )
    assert cut != text
    fresh, why = replay(old, load_text(cut, "tiny.yaml")[0])
    assert fresh.turn == 0 and why == "choice 3 at 'opening' (decision 1) is no longer on offer"
    # Its text edited in place: still the same choice, replayed.
    edited, why = replay(old, load_text(text.replace("a second time.", "once more."), "tiny.yaml")[0])
    assert why is None and edited.history[0].text == "Ask Bo directly, once more."
    assert FileWatch(Path("/nonexistent/file.yaml")).changed() is False


@h.asynctest
async def test_t_saves_the_path_played_so_far_as_a_test_in_the_watched_file(tmp_path):
    from simulator.authoring.library import load_file
    from simulator.authoring.scenario_tests import run_all
    from simulator.tui.screens.save_test import SaveTestScreen

    path = _copy(tmp_path)
    before = path.read_text(encoding="utf-8")
    app, notes = _watched(path, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        assert app.check_action("save_test", ()) is False  # nothing played yet: not offered
        await h.choose(app, pilot, 1)
        await h.choose(app, pilot, 1)
        assert app.current.session.ending is not None
        assert app.check_action("save_test", ()) is True
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, SaveTestScreen)
        shown = " ".join(h.visible(app).split())
        assert "2 decisions made so far and reached" in shown and "good-end" in shown, shown
        await pilot.press(*"model path")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SaveTestScreen)
        assert any("Saved 'model path' to tiny.yaml" in m for m, _ in notes), notes
        # The same name again is refused, in words, and the file is left as it was.
        saved = path.read_text(encoding="utf-8")
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"model path")
        await pilot.press("enter")
        await pilot.pause()
        assert any("already has a test named 'model path'" in m for m, _ in notes)
        assert path.read_text(encoding="utf-8") == saved
    assert saved.startswith(before.rstrip("\n")) and "name: model path" in saved
    found = load_file(path)
    (result,) = [r for r in run_all(found.scenario) if r.test.name == "model path"]
    assert result.passed


@h.asynctest
async def test_t_is_not_offered_when_not_watching_a_file(tmp_path):
    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 1)
        assert app.check_action("save_test", ()) is False
        await pilot.press("t")
        await pilot.pause()
        assert "Save as test" not in h.visible(app)
