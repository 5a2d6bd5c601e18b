"""`groupsim review`: the supervisor's screens, driven by key presses with Textual's pilot."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input, OptionList, Select, Static

from simulator.cli import main
from simulator.engine import Session
from simulator.play.settings import Settings
from simulator.records import Recorder
from simulator.tui.review.app import make_app
from simulator.tui.review.screens.cohort import CohortScreen, bar
from simulator.tui.review.screens.run import RunRecordScreen
from simulator.tui.review.screens.runs import RunsScreen


@pytest.fixture
def store(tmp_path, tiny):
    rec = Recorder(tmp_path / "r.db")

    def play(name, picks, seed=1, rewind_first=False, finish=True, time_limits=False):
        s = Session(tiny, seed)
        rid = rec.start_run(tiny, Settings("practice", name, timed=bool(time_limits)), seed)
        if rewind_first:
            rec.record_step(rid, s, s.choose(2), 900)
            s.rewind(0)
            rec.record_rewind(rid, s)
        for n in picks:
            rec.record_step(rid, s, s.choose(n), 1500)
        if finish:
            rec.finish_run(rid, s)
        return rid

    play("Ann [b]Smith[/b]", [1, 1], rewind_first=True)
    play("Bo", [2, 2], time_limits=True)
    play("Cy", [1], finish=False)
    rec.save_reflections(
        1,
        {
            "reaction": "Tense at first.",
            "plus": "I named it.",
            "delta": "Slow down.",
            "question-1": "Bo's silence.",
            "question-9": "",
        },
    )
    yield rec.store
    rec.close()


def texts(screen) -> str:
    return "\n".join(str(w.render()) for w in screen.query(Static))


def test_bar():
    assert bar(0, 5) == "" and bar(5, 5, 10) == "█" * 10 and bar(1, 100, 10) == "█"


def test_runs_table_filters_and_opens_a_run_record(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            table = app.screen.query_one("#runs", DataTable)
            assert table.row_count == 3
            # markup-looking names are shown as written
            assert str(table.get_row_at(0)[1]) == "Ann [b]Smith[/b]"
            await pilot.press("slash")  # the trainee filter: a list of the names recorded
            trainee = app.screen.query_one("#f-trainee", Select)
            assert trainee.has_focus
            await pilot.press("enter", "b", "enter")  # open it, type to find Bo, pick
            await pilot.pause()
            assert trainee.value == "Bo"
            assert table.row_count == 1 and str(table.get_row_at(0)[1]) == "Bo"
            trainee.clear()  # any trainee again
            await pilot.pause()
            assert table.row_count == 3
            table.focus()  # back to the table
            table.move_cursor(row=0)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, RunRecordScreen)
            shown = texts(app.screen)
            assert " · practice · seed 1 · " in shown  # Ann practised without time limits
            assert "Chose 2: Change the subject.  [harmful]  (taken back by a rewind)" in shown
            assert "↶ Rewound to the start" in shown
            assert "Chose 1: Name what is happening in the room.  [recommended]" in shown
            assert "Trust 50 → 60 (+10)" in shown and "answered in 1.5 s" in shown
            assert "Ending (strong): A good start" in shown and "You named what was happening." in shown
            assert "How it felt: Tense at first." in shown and "What I would change: Slow down." in shown
            assert "What did you notice?: Bo's silence." in shown and "question-9" not in shown  # empty: not shown
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.query_one("#runs", DataTable).row_count == 3
            table = app.screen.query_one("#runs", DataTable)
            table.move_cursor(row=1)  # Bo, who asked for time limits in practice
            await pilot.press("enter")
            await pilot.pause()
            assert " · practice with time limits · seed 1 · " in texts(app.screen)
            await pilot.press("escape")
            await pilot.pause()

    asyncio.run(go())


def test_cohort_view_shows_each_choice_with_its_rating(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, CohortScreen)
            shown = texts(app.screen)
            assert "A Tiny Test Group: 3 run(s), 2 finished" in shown
            assert "1. Name what is happening in the room." in shown and "2 (67%)" in shown
            assert "2. Change the subject." in shown and "1 (33%), 1 taken back" in shown
            assert "3. Ask Bo directly, a second time." in shown and "0 (0%)" in shown  # nobody chose it
            for word in ("recommended", "harmful", "risky"):
                assert word in shown  # the rating in words, never colour alone
            endings = app.screen.query_one("#endings", DataTable)
            rows = {str(endings.get_row_at(i)[0]): endings.get_row_at(i) for i in range(endings.row_count)}
            assert rows["A good start"][2] == "1" and rows["A good start"][3] == "60.0"
            assert rows["A bad start"][2] == "1" and rows["An uneasy start"][2] == "0"

    asyncio.run(go())


def test_anonymised_review_shows_no_names(store):
    async def go():
        app = make_app(store, anonymise=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#runs", DataTable)
            names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            assert all(n.startswith("trainee-") for n in names) and len(set(names)) == 3
            # the trainee filter lists the pseudonyms, and picking one narrows the table to that trainee
            trainee = app.screen.query_one("#f-trainee", Select)
            await pilot.press("slash", "enter")
            listed = trainee.query_one(OptionList)
            options = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
            assert options == ["any trainee", *sorted(names)]
            await pilot.press("down", "enter")  # the first pseudonym listed
            await pilot.pause()
            assert table.row_count == 1 and str(table.get_row_at(0)[1]) == min(names)

    asyncio.run(go())


def test_start_filtered(store):
    async def go():
        for name in ("Cy", "  cY "):  # a trainee's name matches whatever its case and spacing
            app = make_app(store, trainee=name)
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                assert app.screen.query_one("#runs", DataTable).row_count == 1
                assert app.screen.query_one("#f-trainee", Select).value == "Cy"

    asyncio.run(go())


def test_review_command_bad_input(capsys, store, tmp_path):
    assert main(["review", "--db", str(tmp_path / "none.db")]) == 1
    assert "no records database" in capsys.readouterr().err
    assert main(["review", "--db", str(store.path), "--trainee", "Zed"]) == 1
    assert "no runs of a trainee named 'Zed'" in capsys.readouterr().err


def test_outcome_and_date_filters(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#runs", DataTable)
            app.screen.query_one("#f-outcome", Select).value = "unfinished"
            await pilot.pause()
            assert table.row_count == 1 and str(table.get_row_at(0)[1]) == "Cy"
            assert str(table.get_row_at(0)[5]) == "unfinished"
            app.screen.query_one("#f-outcome", Select).value = "strong"
            await pilot.pause()
            assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["Ann [b]Smith[/b]"]
            app.screen.query_one("#f-outcome", Select).clear()
            app.screen.query_one("#f-since", Input).value = "2999-01-01"
            await pilot.pause()
            assert table.row_count == 0
            assert "0 of 3 runs" in str(app.screen.query_one("#count").render())
            await pilot.press("c")  # nothing highlighted: a notice, no crash
            await pilot.pause()
            assert app.screen.query_one("#runs", DataTable) is table
            since = app.screen.query_one("#f-since", Input)
            since.value = "2999-01"  # not a date yet: marked, and narrows nothing
            await pilot.pause()
            assert table.row_count == 3 and since.has_class("-invalid")

    asyncio.run(go())


def test_review_needs_a_terminal(capsys, store):
    assert main(["review", "--db", str(store.path)]) == 2  # pytest's stdout is not a terminal
    assert "groupsim report" in capsys.readouterr().err
