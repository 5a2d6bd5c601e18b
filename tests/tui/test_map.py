"""The Map screen: the scenario as a tree, the path taken marked, the validator's warnings placed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

HERE = Path(__file__).resolve().parent
CIRCLE = HERE / "fixtures" / "circle.yaml"
WARNINGS = h.ROOT / "tests" / "fixtures" / "warnings"


def _tree(app):
    from simulator.tui.widgets.map_tree import MapTree

    return app.screen.query_one(MapTree)


def _nodes(node):
    yield node
    for child in node.children:
        yield from _nodes(child)


def _label(tree, node) -> str:
    return "".join(text for text, _ in tree.label_parts(node.data))


def _find(tree, **want):
    """Every node whose entry has the given fields (kind=, state=, key=...)."""
    return [
        n for n in _nodes(tree.root) if n.data is not None and all(getattr(n.data, k) == v for k, v in want.items())
    ]


async def _open_map(app, pilot):
    from simulator.tui.screens.map import MapScreen

    await pilot.press("m")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, MapScreen)


@h.asynctest
async def test_map_shows_states_choices_ratings_and_the_path_taken(tmp_path):
    from simulator.tui.screens.session import SessionScreen

    app = h.make(CIRCLE, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await h.choose(app, pilot, 2)  # risky: remind him of the agreement → draw-in
        session = app.current.session
        assert session.state.id == "draw-in"
        await _open_map(app, pilot)
        tree = _tree(app)
        shown = h.visible(app)
        # The scenario, its start state by title (markup-looking text stays text), its kind.
        assert "The Circle [Snapshot] (circle) · 5 states · no problems found" in shown
        assert "Late [again] (late) · decision" in shown
        # Its choices: authored number, text shortened, where each goes; in practice the rating
        # only of the choice taken (the author's view shows them all).
        assert "1. ? Welcome him, say buses are… → draw-in" in shown
        assert "3. ? Carry on as if nothing… → draw-in" in shown
        assert "time runs out (20 s) → stew" in shown
        # The path: the state left and the choice taken marked ●, the state now ◉ with the cursor on it.
        assert "● Late [again] (late)" in shown
        assert "● 2. risky Remind him, firmly, of the… → draw-in" in shown
        assert "◉ draw-in · decision" in shown
        assert tree.cursor_node.data.state == "draw-in" and tree.cursor_node.data.kind == "state"
        (taken,) = _find(tree, kind="choice", key=("choice", "late", 2))
        assert taken.is_expanded and _label(tree, taken).startswith("● ")
        (not_taken,) = _find(tree, kind="choice", key=("choice", "late", 1))
        assert not not_taken.is_expanded and not _label(tree, not_taken).startswith("●")
        # The details show the highlighted node whole.
        detail = str(app.screen.query_one("#map-detail-text").visual)
        assert "Lì has been looking at her hands the whole time." in detail and "you are here" in detail
        # Going down to a choice not taken and opening it shows where it leads.
        await pilot.press("down")
        detail = str(app.screen.query_one("#map-detail-text").visual)
        assert "Choice 1 at 'draw-in'" in detail and "recommended" not in detail
        assert "Say that you'd like to hear from everyone who wants to speak, then leave a pause." in detail
        assert "Its rating, effects and feedback show once you have made this choice." in detail
        await pilot.press("enter")
        await pilot.pause()
        assert "The circle widens (warm) · ending" in h.visible(app)
        assert "ending strong" not in h.visible(app)
        # Esc: back to the session exactly where it was.
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen)
        assert app.current.session is session and session.state.id == "draw-in" and session.turn == 1
        await pilot.press("1")
        assert session.turn == 2


@h.asynctest
async def test_the_authors_view_shows_every_rating_and_outcome(tmp_path):
    app = h.make(CIRCLE, tmp_path, author_view=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await _open_map(app, pilot)
        shown = h.visible(app)
        assert "1. recommended Welcome him, say buses are… → draw-in" in shown
        assert "3. acceptable Carry on as if nothing… → draw-in" in shown
        assert "1. ? " not in shown


@h.asynctest
async def test_the_countdown_waits_while_the_map_is_open(tmp_path):
    from simulator.tui.screens.session import SessionScreen
    from simulator.tui.widgets.countdown import Countdown

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#timed")
        await pilot.click("#begin")
        countdown = app.screen.query_one("#countdown", Countdown)
        assert countdown.running
        await _open_map(app, pilot)
        assert not countdown.running
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen) and countdown.running and countdown.remaining == 30


@h.asynctest
async def test_warnings_are_shown_on_their_state_and_choice(tmp_path):
    app = h.make(WARNINGS / "condition-never-holds.yaml", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await _open_map(app, pilot)
        tree = _tree(app)
        assert "⚠ 3 warnings" in _label(tree, tree.root)
        # Choice 2 of 'opening' is never offered: the warning sits on that choice.
        (choice,) = _find(tree, kind="choice", key=("choice", "opening", 2))
        assert _label(tree, choice).endswith("⚠ 1")
        choice.expand()
        await pilot.pause()
        leaves = [n for n in choice.children if n.data.kind == "warning"]
        assert [n.data.warning.message for n in leaves] == [
            "choice 2 of state 'opening' is never offered: its condition 'trust > 60' never holds when the state is reached"
        ]
        assert "⚠ choice 2 of state 'opening' is never offered" in h.visible(app)
        # The ending nothing reaches carries its own.
        (secret,) = [n for n in _find(tree, kind="state", state="secret")]
        assert _label(tree, secret).endswith("⚠ 1") and secret.allow_expand
        # The highlighted node's details list its warnings with line and column.
        tree.move_cursor(choice)
        await pilot.pause()
        detail = str(app.screen.query_one("#map-detail-text").visual)
        assert "line 24:9: choice 2 of state 'opening' is never offered" in detail


@h.asynctest
async def test_a_state_that_loops_back_is_a_leaf_marked_see_above(tmp_path):
    app = h.make(WARNINGS / "trap.yaml", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        # opening → Wander → loop-a → On → loop-b → On → loop-a again
        await pilot.press("enter")
        await h.choose(app, pilot, 2, 1, 1)
        assert app.current.session.state.id == "loop-a"
        await _open_map(app, pilot)
        tree = _tree(app)
        loops = _find(tree, kind="state", state="loop-a")
        see_above = [n for n in loops if n.data.seen_above]
        assert see_above and not see_above[0].allow_expand
        assert _label(tree, see_above[0]) == "● loop-a (see above)"
        # The cursor is on the state itself, higher up, where the way continues.
        assert tree.cursor_node.data.state == "loop-a" and not tree.cursor_node.data.seen_above
        assert "⚠ no ending can be reached from state 'loop-a'" in h.visible(app)
        # Unreachable states have their own branch.
    app = h.make(WARNINGS / "unreachable-state.yaml", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await _open_map(app, pilot)
        shown = h.visible(app)
        # An ending not reached keeps its outcome to itself in a practice map.
        assert "Not reachable from the start" in shown and "Never seen (orphan) · ending  ⚠ 1" in shown


@h.asynctest
async def test_the_map_is_in_the_palette_in_practice_only(tmp_path):
    from simulator.tui.screens.session import SessionScreen

    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Map" in titles
        next(c for c in app.get_system_commands(app.screen) if c.title == "Map").callback()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "MapScreen"
        await pilot.press("m")  # m closes it too
        assert isinstance(app.screen, SessionScreen)
    app = h.make(h.TINY, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.click("#begin")
        assert "Map" not in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)  # it would show the ratings


def test_map_snapshot(snap_compare, tmp_path):
    from simulator.authoring.library import resolve
    from simulator.tui.app import make_app
    from simulator.tui.clock import ManualClock

    async def open_map(pilot):
        await pilot.press("enter", "2", "enter", "m")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(resolve(str(CIRCLE)), seed=0, cursor_blink=False, export_dir=tmp_path, clock=ManualClock())
    assert snap_compare(app, run_before=open_map, terminal_size=(100, 30))
