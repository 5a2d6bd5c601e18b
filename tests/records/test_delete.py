"""`groupsim records delete`: the deleted text leaves the file even while others read it, and the
debrief exports, files outside the records, are found and (when asked) deleted too."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.commands import records as records_cmd
from simulator.play.run import Run
from simulator.play.settings import Settings
from simulator.records import Recorder, RunRecorder
from simulator.records.queries import exported_files
from simulator.records.recorder import Origin

_spec = importlib.util.spec_from_file_location("files", Path(__file__).with_name("_files.py"))
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)  # type: ignore[union-attr]
_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).parents[1] / "tui" / "helpers.py")
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def in_file(db: Path, text: str) -> bool:
    """Whether `text` is anywhere in the database's file or its -wal file."""
    return any(p.exists() and text.encode() in p.read_bytes() for p in (db, Path(f"{db}-wal")))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    path = tmp_path / "r.db"
    files.record(path, ["Ann Smith", "Bo Li"])
    return path


# -- the deleted text, while another program reads -------------------------------------------


def test_a_reader_holding_the_database_is_waited_for_then_named(db, capsys, monkeypatch):
    monkeypatch.setattr(records_cmd, "CLEAR_WAIT_S", 0.0)  # the reader below never lets go: do not wait for it
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM runs").fetchone()  # a read in progress, as a slow review query holds one
    try:
        code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
        assert "Deleted 1 run(s) of trainee 'Ann Smith'" in out
        assert code == 1 and "still in the file" in err and "Close the programs using it" in err
        assert f"groupsim records delete --trainee 'Ann Smith' --db {db}" in err
        assert in_file(db, "Ann Smith")  # it said so because it is so
    finally:
        reader.execute("COMMIT")
        reader.close()
    code, out, _ = run(capsys, "records", "where", "--db", str(db))
    assert code == 0 and "deleted runs' text is still in the file" in out
    # Run again once the reader has finished: the job is finished.
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
    assert code == 0, err
    assert "No runs of trainee 'Ann Smith' are left" in out and "nothing of the deleted runs is left" in out
    assert not in_file(db, "Ann Smith")
    code, out, _ = run(capsys, "records", "where", "--db", str(db))
    assert "still in the file" not in out
    code, _, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
    assert code == 1 and "no runs of a trainee named 'Ann Smith'" in err  # nothing left to finish


def test_without_readers_the_text_is_gone_at_once(db, capsys):
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
    assert code == 0, err
    assert "nothing of the deleted runs is left in the file" in out and "waiting" not in out
    assert not in_file(db, "Ann Smith") and in_file(db, "Bo Li")


# -- the debrief's exports ---------------------------------------------------------------------


def _export(db: Path, run_id: int, folder: Path, origin: Origin | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"tiny-{run_id}.md", folder / f"tiny-{run_id}.json"]
    for p in paths:
        p.write_text("an export", encoding="utf-8")
    with Recorder(db, origin=origin) as rec:
        rec.record_export(run_id, paths)
    return paths


def test_a_run_tells_its_observer_what_was_exported(tmp_path, tiny):
    from simulator.engine import Session

    with Recorder(tmp_path / "r.db") as rec:
        observer = RunRecorder.start(rec, tiny, Settings("practice", "Ann"), 1)
        run_ = Run(Session(tiny, 1), Settings("practice", "Ann"), observer)
        assert run_.exported([Path("out/tiny.md"), Path("out/tiny.json")]) is None
        (found_md, found_js) = exported_files(rec.store, "Ann")
    assert found_md.path == os.path.abspath("out/tiny.md") and found_js.path == os.path.abspath("out/tiny.json")
    assert found_md.host == Origin.here().host


def test_delete_lists_the_exports_and_deletes_them_with_yes(db, tmp_path, capsys):
    ann = _export(db, 1, tmp_path / "exports")
    bo = _export(db, 2, tmp_path / "exports")
    ann[1].unlink()  # the trainee deleted one already
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
    assert code == 0, err
    assert "exported to 2 file(s) outside the records" in out
    assert f"Deleted the export file(s):\n  {ann[0]}" in out
    assert f"Could not find (moved or deleted already):\n  {ann[1]}" in out
    assert not ann[0].exists() and all(p.exists() for p in bo)  # only Ann's


def test_keep_exports_leaves_them(db, tmp_path, capsys):
    ann = _export(db, 1, tmp_path / "exports")
    code, out, _ = run(
        capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--keep-exports", "--db", str(db)
    )
    assert code == 0 and all(p.exists() for p in ann)
    assert str(ann[0]) in out and "left where they are" in out


def test_only_export_files_on_this_computer_are_deleted(db, tmp_path, capsys):
    elsewhere = _export(db, 1, tmp_path / "lab", origin=Origin("lab-computer-7", "ann"))
    odd = tmp_path / "notes.txt"  # a path that is not an export (a crafted database could name anything)
    odd.write_text("keep me", encoding="utf-8")
    with Recorder(db) as rec:
        rec.record_export(1, [odd])
    code, out, err = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--yes", "--db", str(db))
    assert code == 1
    assert "(on the computer 'lab-computer-7': delete it there)" in out
    assert f"On another computer (delete them there):\n  {elsewhere[0]}" in out
    assert f"{odd} (not an export file groupsim wrote, so left alone)" in err
    assert odd.exists() and all(p.exists() for p in elsewhere)


def test_asked_at_a_terminal_each_part_is_a_choice(db, tmp_path, capsys, monkeypatch):
    ann = _export(db, 1, tmp_path / "exports")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty("y\nn\n"))  # the runs yes, the exports no
    code, out, _ = run(capsys, "records", "delete", "--trainee", "Ann Smith", "--db", str(db))
    assert code == 0 and "Deleted 1 run(s)" in out and "Delete the 2 export file(s) listed above too?" in out
    assert all(p.exists() for p in ann)


def test_export_from_the_debrief_is_recorded_and_a_browser_download_is_not(tmp_path, monkeypatch):
    from simulator.tui.screens.debrief import DebriefScreen

    async def play(web: bool) -> None:
        with Recorder(tmp_path / "r.db") as rec:
            app = h.make(h.TINY, tmp_path, observe=RunRecorder.factory(rec))
            if web:
                monkeypatch.setattr(type(app), "is_web", property(lambda self: True))
                monkeypatch.setattr(app, "deliver_text", lambda *a, **kw: "key")
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.press(*("Web" if web else "Ann"), "enter")
                while not app.current.session.finished:
                    await pilot.press("1")
                    await pilot.press("enter")
                    await pilot.pause()
                await pilot.press("enter")  # open the debrief
                await pilot.pause()
                assert isinstance(app.screen, DebriefScreen)
                await pilot.press("ctrl+s")
                await pilot.pause()
                if not web:
                    assert app.screen.exported is not None
            monkeypatch.undo()

    asyncio.run(play(web=False))
    asyncio.run(play(web=True))
    with Recorder(tmp_path / "r.db") as rec:
        written = exported_files(rec.store, "Ann")
        assert [Path(f.path).suffix for f in written] == [".md", ".json"]
        assert all(Path(f.path).is_file() and Path(f.path).parent == tmp_path / "exports" for f in written)
        assert exported_files(rec.store, "Web") == []  # nothing was left on the server to list


def test_the_review_shows_where_a_run_was_exported(db, tmp_path):
    from textual.widgets import Static

    from simulator.records import Store
    from simulator.tui.review.app import make_app
    from simulator.tui.review.screens.run import RunRecordScreen

    md, js = _export(db, 1, tmp_path / "exports")

    async def go():
        with Store.open(db, read_only=True) as store:
            app = make_app(store)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                await pilot.press("enter")  # the first run: Ann's
                await pilot.pause()
                assert isinstance(app.screen, RunRecordScreen)
                shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
        assert f"⇩ The debrief was exported on {Origin.here().host}: {md}, {js}" in shown

    asyncio.run(go())
