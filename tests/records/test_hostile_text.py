"""Names and recorded text with control characters, markup and wide characters: what reaches a
terminal from `report`, `review` and `records` is shown, never obeyed, and the review's columns
are measured and cut by terminal cells."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import json
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Static

from simulator.cli import main
from simulator.play.text import unsafe_characters
from simulator.records import Recorder
from simulator.tui.review.app import make_app
from simulator.tui.review.screens.run import RunRecordScreen
from simulator.tui.review.text import clip

_spec = importlib.util.spec_from_file_location("files", Path(__file__).with_name("_files.py"))
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)  # type: ignore[union-attr]

CLEAR = "Eve\x1b[2J\x1b]0;pwned\x07\x08\x08 \u202eevil\x9b31m"
"""Clears the screen, sets the window title, rings the bell, backspaces, reverses the text, a one-byte CSI."""
MARKUP = "Zoë <b>bold</b> [link](http://x) *star* | pipe"
FAMILY = "Ana 👩\u200d👩\u200d👧"
WIDE = "山田太郎山田太郎山田太郎"
NAMES = ["Ann", CLEAR, MARKUP, FAMILY, WIDE]


def obeyed(text: str) -> list[tuple[int, str]]:
    """Every character a terminal would act on rather than show (but line feed and tab)."""
    return unsafe_characters(text)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPSIM_DB", raising=False)
    path = tmp_path / "r.db"
    files.record(path, NAMES)
    with Recorder(path) as rec:  # scenario text and reflections the same (a crafted file, or database)
        rec.store.write(
            lambda c: (
                c.execute("UPDATE steps SET choice_text = ?, feedback = ? WHERE run_id = 2", (CLEAR, CLEAR)),
                c.execute("UPDATE runs SET ending_title = ?, scenario_title = ? WHERE id = 2", (CLEAR, CLEAR)),
                c.execute("UPDATE reflections SET text = ? WHERE run_id = 2", (CLEAR,)),
            )
        )
    return path


@pytest.mark.parametrize("fmt", ["csv", "md", "json"])
def test_the_report_shows_control_characters_instead_of_sending_them(capsys, db, fmt):
    code, out, err = run(capsys, "report", "--db", str(db), "--format", fmt)
    assert code == 0, err
    assert obeyed(out) == []
    if fmt == "json":  # the exact text, each control character escaped
        runs = json.loads(out)["runs"]
        assert [r["trainee"] for r in runs] == NAMES
        assert "\\u001b[2J" in out and "\\u202e" in out and "\\u009b" in out
    elif fmt == "csv":
        assert "Eve␛[2J␛]0;pwned␇␈␈ <U+202E>evil<U+009B>31m" in out
    else:  # and Markdown escapes the stand-ins' angle brackets like any other
        assert "Eve␛[2J␛]0;pwned␇␈␈ &lt;U+202E>evil&lt;U+009B>31m" in out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.split("\n\n")[0])))
        assert [r["trainee"] for r in rows][3:] == [FAMILY, WIDE]


def test_the_markdown_report_escapes_html_and_links_in_names(capsys, db):
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "md", "--table", "runs")
    assert code == 0
    assert "| Zoë &lt;b>bold&lt;/b> [link\\](http://x) \\*star\\* \\| pipe |" in out
    assert "<b>" not in out and "[link](" not in out


def test_records_output_shows_control_characters(capsys, db):
    code, out, err = run(capsys, "records", "delete", "--trainee", CLEAR, "--yes", "--db", str(db))
    assert code == 0, err
    assert "Deleted 1 run(s) of trainee 'Eve␛[2J" in out and obeyed(out + err) == []
    code, out, err = run(capsys, "report", "--db", str(db), "--trainee", "\x1b[2JNobody")
    assert code == 1 and "␛[2JNobody" in err and obeyed(err) == []


def test_clip_counts_terminal_cells_and_never_splits_a_character():
    assert clip(WIDE, 16) == "山田太郎山田太…" and cell_len(clip(WIDE, 16)) <= 16  # 24 cells, 12 characters
    assert clip(FAMILY, 16) == FAMILY  # 6 cells, though 9 characters
    families = "Ana " + "👩\u200d👩\u200d👧" * 3 + " Lopez Garcia"
    cut = clip(families, 16)
    assert cell_len(cut) <= 16 and cut.endswith("…")
    assert families.startswith(cut[:-1]) and not cut[:-1].endswith("\u200d")  # whole emoji only
    assert clip("x\x1b[2Jy", 16) == "x␛[2Jy"


def _rendered(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_the_review_table_shows_every_name_safely_in_columns_that_line_up(db):
    async def go():
        with Recorder(db) as rec:
            app = make_app(rec.store)
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.pause()
                table = app.screen.query_one("#runs", DataTable)
                names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
                assert names[1] == "Eve␛[2J␛]0;pwne…" and names[3] == FAMILY
                assert names[4] == "山田太郎山田太…"
                assert all(cell_len(n) <= 16 for n in names)
                lines = [line for line in _rendered(app) if " practice " in line]
                assert len(lines) == len(NAMES)
                starts = {cell_len(line[: line.index(" practice ")]) for line in lines}
                assert len(starts) == 1, lines  # the mode column starts at one place on every row
                assert all(obeyed(line) == [] for line in _rendered(app))

    asyncio.run(go())


def test_a_run_record_shows_recorded_text_safely(db):
    async def go():
        with Recorder(db) as rec:
            app = make_app(rec.store)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                table = app.screen.query_one("#runs", DataTable)
                table.move_cursor(row=1)
                await pilot.press("enter")
                await pilot.pause()
                assert isinstance(app.screen, RunRecordScreen)
                shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
                assert shown.count("Eve␛[2J␛]0;pwned␇␈␈ <U+202E>evil<U+009B>31m") >= 5  # name, title, choice...
                assert obeyed(shown) == []

    asyncio.run(go())
