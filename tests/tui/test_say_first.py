"""Say it first, end to end: the trainee's own words before the options, the closest option
highlighted (or none, and why), and the words kept in the records, the debrief, the
exports and the supervisor's cohort view."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

# Trainee-style words for confidentiality-breach's first decision, meaning its
# recommended choice (authored 2) without copying it.
OWN_WORDS = (
    "This goes to the agreement we all made in our first session, so let's set tonight's plan aside and deal with it"
)


async def _say(app, pilot, words: str) -> None:
    await pilot.press(*words)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


@h.asynctest
async def test_practice_say_first_records_the_words_and_shows_them_in_the_debrief_and_exports(tmp_path):
    from simulator.records import Recorder, RunRecorder
    from simulator.records.queries import cohort, run_record
    from simulator.tui.widgets.choices import ChoiceList

    db = tmp_path / "r.db"
    with Recorder(db) as rec:
        app = h.make(h.BREACH, tmp_path, observe=RunRecorder.factory(rec))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.click("#say-first-box")
            await pilot.click("#begin")
            assert app.current.settings.say_first
            assert app.screen.phase == "saying"
            # The options are not on screen until the trainee has written something.
            assert not app.screen.query_one("#choices", ChoiceList).display
            assert "Tell Jordan" not in h.visible(app)
            await _say(app, pilot, OWN_WORDS)
            assert app.screen.phase == "choosing"
            key = h.shown_key(app, 2)
            assert f"Closest: option {key}" in h.visible(app)
            assert app.screen.query_one("#choices", ChoiceList).highlighted == int(key) - 1
            await pilot.press("enter")  # confirm the highlighted option
            session = app.current.session
            assert session.history[-1].choice == 2 and session.history[-1].said == OWN_WORDS
            await pilot.press("enter")  # past the feedback
            # Off-topic words: nothing is chosen for the trainee, and the note says so.
            await _say(app, pilot, "idk")
            assert "Nothing is pre-selected" in h.visible(app)
            assert app.screen.query_one("#choices", ChoiceList).highlighted is None
            await pilot.press(h.shown_key(app, 3))
            await pilot.press("enter")
            for authored in h.BREACH_BEST[2:]:
                await _say(app, pilot, "something in my own words")
                await pilot.press(h.shown_key(app, authored))
                await pilot.press("enter")
            await pilot.press("enter")  # open the debrief
            text = h.screen_text(app)
            assert f"You wrote first: “{OWN_WORDS}”" in text
            await pilot.press("ctrl+s")
            md, js = app.screen.exported
        assert f"You wrote first: {OWN_WORDS}" in " ".join(md.read_text(encoding="utf-8").split())
        data = json.loads(js.read_text(encoding="utf-8"))
        assert data["decisions"][0]["said"] == OWN_WORDS
    from simulator.records import Store

    with Store.open(db, create=False) as store:
        record = run_record(store, 1)
        assert record.entries[0].said == OWN_WORDS
        view = cohort(store, "confidentiality-breach", h.resolve_one(h.BREACH))
        first = next(d for d in view.decisions if d.state == session.history[0].state)
        assert (2, OWN_WORDS) in first.said


@h.asynctest
async def test_assessment_can_require_say_first(tmp_path):
    app = h.make(h.BREACH, tmp_path, say_first=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#assessment")
        await pilot.pause()
        assert "This assessment asks for your own words first" in h.screen_text(app)
        await pilot.click("#begin")
        assert app.current.settings.say_first and app.screen.phase == "saying"
        await _say(app, pilot, OWN_WORDS)
        await pilot.press("enter")
        assert app.current.session.history[-1].said == OWN_WORDS
        assert app.screen.phase == "saying"  # assessment: straight on to the next decision's words
