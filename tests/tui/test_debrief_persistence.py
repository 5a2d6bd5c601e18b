"""The debrief keeps what the trainee writes, and Export reaches a trainee in a browser.

Reflections reach the records database while the trainee is still on the debrief
(no export, no leaving the screen), so a closed terminal loses at most the last
second of typing. Under `groupsim serve` the exports go to the browser as downloads,
not onto the server's disk.
"""

from __future__ import annotations

import importlib.util
import io
import json
from datetime import datetime
from pathlib import Path

from simulator.play.run import Observer

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]


WAIT = 1.5
"""Seconds of the app's (hand-driven) clock: longer than the pause after which reflections are saved."""


async def _wait(app, pilot, seconds: float = WAIT) -> None:
    """Let `seconds` pass on the app's clock, then let the app handle what that set off."""
    await pilot.pause()  # what was typed is handled first: it may start a timer
    app.clock.advance(seconds)
    await pilot.pause()


"""Past the debrief's pause before saving ("about a second after the last change")."""


async def _to_the_debrief(app, pilot, trainee: str = "Sam") -> None:
    """Play the all-recommended path by keys and open the debrief."""
    from simulator.tui.screens.debrief import DebriefScreen

    await pilot.press(*trainee)
    await pilot.press("enter")
    for authored in h.BREACH_BEST:
        await pilot.press(h.shown_key(app, authored))
        await pilot.press("enter")
    await pilot.press("enter")  # "Open the debrief"
    assert isinstance(app.screen, DebriefScreen)


def _stored(db: Path) -> dict[str, str]:
    """The reflections the records hold for the only run in `db`, read as `groupsim review` reads them."""
    from simulator.records import Store
    from simulator.records.queries import list_runs, run_record

    with Store.open(db, create=False) as store:
        (run,) = list_runs(store)
        return dict(run_record(store, run.id).reflections)


@h.asynctest
async def test_reflections_are_recorded_while_the_trainee_is_still_writing(tmp_path):
    from simulator.records import Recorder, RunRecorder
    from simulator.tui.screens.debrief import DebriefScreen

    db = tmp_path / "records.db"
    writes: list[dict[str, str]] = []
    with Recorder(db) as recorder:
        save = recorder.save_reflections

        def counted(run_id, texts):
            writes.append(dict(texts))
            save(run_id, texts)

        recorder.save_reflections = counted  # type: ignore[method-assign]
        app = h.make(h.BREACH, tmp_path, observe=RunRecorder.factory(recorder))
        async with app.run_test(size=(100, 30)) as pilot:
            await _to_the_debrief(app, pilot)
            assert app.screen.query_one("#reaction").has_focus
            await pilot.press(*"I froze at first [b]")
            assert writes == [], "written to the database on a key press"
            assert _stored(db) == {}

            await _wait(app, pilot)
            # Still on the debrief, nothing exported: the words are in the records, written once.
            assert isinstance(app.screen, DebriefScreen)
            assert not (tmp_path / "exports").exists()
            assert _stored(db) == {"reaction": "I froze at first [b]"}
            assert len(writes) == 1

            # A scenario question's box: leaving it saves at once, without waiting.
            box = app.screen.query_one("#question-1")
            box.focus()
            await pilot.pause()
            await pilot.press(*"Name the breach")
            await pilot.press("tab")
            await pilot.pause()
            assert _stored(db) == {"reaction": "I froze at first [b]", "question-1": "Name the breach"}
            assert len(writes) == 2

            # Words deleted after they were saved do not stay in the records.
            app.screen.query_one("#reaction").clear()
            await _wait(app, pilot)
            assert _stored(db).get("reaction", "") == ""
            assert _stored(db)["question-1"] == "Name the breach"

            # Nothing new written: no further database write.
            before = len(writes)
            await _wait(app, pilot)
            assert len(writes) == before


@h.asynctest
async def test_a_recorder_that_fails_is_reported_once_and_the_words_stay(tmp_path):
    class Failing(Observer):
        def on_reflections(self, texts):
            raise OSError("disk full")

    app = h.make(h.BREACH, tmp_path, observe=lambda *args: Failing())
    async with app.run_test(size=(100, 30)) as pilot:
        await _to_the_debrief(app, pilot)
        await pilot.press(*"abc")
        await _wait(app, pilot)
        await pilot.press(*"def")
        await _wait(app, pilot)
        said = [n.message for n in app._notifications if "reflections" in n.message]
        assert said == [
            "Could not save your reflections to the records: OSError: disk full. "
            "They are still here; Export keeps a copy."
        ]
        assert app.screen.query_one("#reaction").text == "abcdef"


@h.asynctest
async def test_export_in_a_browser_sends_both_files_and_writes_nothing_on_the_server(tmp_path, monkeypatch):
    from simulator.tui.screens.debrief import DebriefScreen

    app = h.make(h.BREACH, tmp_path)
    monkeypatch.setattr(type(app), "is_web", property(lambda self: True))
    sent: list[dict] = []

    def deliver(path_or_file, **kw):
        # What textual-serve would stream to the browser: the file's whole text.
        assert isinstance(path_or_file, io.TextIOBase)
        sent.append({"text": path_or_file.read(), **kw})
        return f"key-{len(sent)}"

    def not_binary(*args, **kw):
        raise AssertionError("the exports are text")

    monkeypatch.setattr(app, "deliver_text", deliver)
    monkeypatch.setattr(app, "deliver_binary", not_binary)
    async with app.run_test(size=(100, 30)) as pilot:
        await _to_the_debrief(app, pilot, trainee="Ada")
        await pilot.press(*"It went better than I feared")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        session = app.current.session
        title = session.scenario.title
        result = str(app.screen.query_one("#export-result").visual)

    names = [s["save_filename"] for s in sent]
    assert len(names) == 2
    md, js = names
    assert md.startswith("confidentiality-breach-") and md.endswith(".md")
    assert js == md[: -len(".md")] + ".json"
    markdown, data = sent[0]["text"], json.loads(sent[1]["text"])
    assert title == "When a Secret Leaves the Room" and f"# {title}" in markdown
    assert "It went better than I feared" in markdown
    # The same content a terminal's Export writes to its files.
    from simulator.play.export import to_json, to_markdown
    from simulator.play.settings import Settings

    said = {"reaction": "It went better than I feared"}
    # Written at the moment the export says it was (the clock ran on since).
    when = datetime.fromisoformat(data["exported_at"])
    assert markdown == to_markdown(session, Settings("practice", "Ada"), reflections=said, now=when)
    assert data == json.loads(json.dumps(to_json(session, Settings("practice", "Ada"), reflections=said, now=when)))
    assert data["trainee"] == "Ada" and data["ending"]["state"] == "agreement-remade"
    assert data["reflections"] == {"reaction": "It went better than I feared"}
    assert all(s.get("open_method", "download") == "download" for s in sent)
    # Nothing on the server's disk, and the trainee is told what went to their browser.
    assert not (tmp_path / "exports").exists()
    assert f"Sent to your browser: {md}, {js}" in result
    assert str(tmp_path) not in result


@h.asynctest
async def test_typing_without_a_pause_is_still_saved_now_and_then(tmp_path, monkeypatch):
    import simulator.tui.screens.debrief as debrief

    monkeypatch.setattr(debrief, "SAVE_WITHIN_S", 0.4)  # stands for ten seconds of steady typing
    seen: list[dict[str, str]] = []

    class Listening(Observer):
        def on_reflections(self, texts):
            seen.append(dict(texts))

    app = h.make(h.BREACH, tmp_path, observe=lambda *args: Listening())
    async with app.run_test(size=(100, 30)) as pilot:
        await _to_the_debrief(app, pilot)
        for ch in "steady typing":
            await pilot.press(ch)
            await _wait(app, pilot, 0.1)  # never a pause long enough for the usual save
        assert seen, "nothing saved during a long stretch of typing"
        assert all(s["reaction"] for s in seen) and len(seen) < len("steady typing")
