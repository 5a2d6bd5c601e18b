"""Coming back to an interrupted run: the clock keeps the time that was left, the room
opens on the last decision's text (not the start of the session), and the offer names
the scenario, the decision and the local time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]


@h.asynctest
async def test_a_timed_decision_resumed_after_a_crash_keeps_the_time_that_was_left(tmp_path, monkeypatch):
    from simulator.commands.play import _offer_interrupted
    from simulator.records import Recorder, RunRecorder
    from simulator.tui.widgets.countdown import Countdown

    db = tmp_path / "r.db"
    with Recorder(db) as rec:
        app = h.make(h.BREACH, tmp_path, observe=RunRecorder.factory(rec))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.click("#assessment")
            await pilot.click("#begin")
            countdown = app.screen.query_one("#countdown", Countdown)
            assert countdown.remaining == 60
            for _ in range(23):  # 23 seconds pass at the first decision: 37 left
                countdown.tick()
            await pilot.pause()
            assert countdown.remaining == 37
        # The terminal closed here: the run is left active, its clock last noted at 40.
    with Recorder(db) as rec:
        from simulator.authoring.library import resolve

        answers = iter(["1"])
        shown: list[str] = []
        monkeypatch.setattr("builtins.input", lambda prompt: (shown.append(prompt), next(answers))[1])
        monkeypatch.setattr("builtins.print", lambda *a, **k: shown.append(" ".join(map(str, a))))
        run = _offer_interrupted(rec, resolve(str(h.BREACH)))
        offer = "\n".join(shown)
        assert "'When a Secret Leaves the Room'" in offer and "at decision 1 (The silence)" in offer
        assert "UTC" not in offer
        assert run is not None and run.clock_left == 40 and run.settings.mode == "assessment"
        app = h.make(h.BREACH, tmp_path, observe=None, resume=run)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            countdown = app.screen.query_one("#countdown", Countdown)
            assert countdown.remaining == 40  # not the full 60


@h.asynctest
async def test_a_resumed_or_rewound_run_opens_the_room_at_the_last_decisions_text(tmp_path):
    from simulator.engine.session import Session
    from simulator.play.run import Run
    from simulator.play.settings import Settings

    scenario = h.resolve_one(h.BREACH)
    session = Session(scenario, 0)
    for n in h.BREACH_BEST[:4]:
        session.choose(n)
    app = h.make(h.BREACH, tmp_path, resume=Run(session, Settings()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        room = app.screen.query_one("#room")
        assert room.scroll_y > 0, "the room opened at the start of the session"
        last = session.history[-1].text.split()[0]
        assert last in h.visible(app)
