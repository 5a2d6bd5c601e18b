"""`groupsim play --plain`: the whole sitting line by line, through a pipe and through a
pseudo-terminal, with the same records, modes and resume as the full-screen app."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"
_tspec = importlib.util.spec_from_file_location("terminal", ROOT / "tests" / "terminal.py")
terminal = importlib.util.module_from_spec(_tspec)
_tspec.loader.exec_module(terminal)  # type: ignore[union-attr]

ESC = "\x1b"


def _play(answers: list[str], *args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        terminal.groupsim_argv("play", "--plain", *args, "--db", str(db)),
        input="\n".join(answers) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_practice_run_through_a_pipe_reads_in_order_and_is_recorded(tmp_path):
    db = tmp_path / "r.db"
    # begin, no name, practice, no time limits, no say-first; choose 2 (name it),
    # go on; at the next decision choose "Wait"; then the debrief's questions and export.
    answers = ["", "", "p", "n", "n", "2", "", "1", "It felt slow", "Naming it", "Earlier", "I noticed", "y"]
    done = _play(answers, str(TINY), "--seed", "0", "--export-dir", str(tmp_path / "out"), db=db)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert ESC not in out  # no cursor movement, no colour: plain lines only
    # Reading order: who speaks, then what; the options numbered in the run's order.
    assert "Ana says: Shall we start?" in out
    assert out.index("Ana says: Shall we start?") < out.index("Decision 1.")
    assert "2. Name what is happening in the room." in out
    # Feedback and changes in words.
    assert "Feedback: Recommended. Naming it helps." in out
    assert "Trust rose from 50 to 60" in out and "Bo's trust rose from 30 to 35" in out.replace("Bø [b]bold[/b]", "Bo")
    assert "The session has ended." in out and "Debrief: A Tiny Test Group." in out
    assert "Saved " in out
    with sqlite3.connect(db) as conn:
        (status, mode) = conn.execute("SELECT status, mode FROM runs").fetchone()
        reflections = dict(conn.execute("SELECT prompt, text FROM reflections").fetchall())
    assert (status, mode) == ("finished", "practice")
    assert reflections["reaction"] == "It felt slow"
    md = next((tmp_path / "out").glob("*.md")).read_text(encoding="utf-8")
    assert "It felt slow" in md


def test_assessment_holds_feedback_and_meters_for_the_debrief(tmp_path):
    answers = ["", "Ann", "a", "2", "1", "", "", "", "n"]
    done = _play(answers, str(TINY), "--seed", "0", db=tmp_path / "r.db")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    session_part = out.split("The session has ended.")[0]
    assert "Feedback:" not in session_part and "rose from" not in session_part and "fell from" not in session_part
    assert "You have 30 seconds." in session_part  # time limits are on in assessment
    assert "Rating: Recommended." in out.split("The session has ended.")[1]


def test_input_that_ends_mid_run_leaves_the_run_to_continue_and_the_next_sitting_offers_it(tmp_path):
    db = tmp_path / "r.db"
    first = _play(["", "Ann", "p", "n", "n", "2"], str(TINY), "--seed", "0", db=db)
    assert first.returncode == 0 and "Input has ended" in first.stdout
    second = _play(["1", "", "1", "", "", "", "n"], str(TINY), db=db)
    assert "You have an unfinished run" in second.stdout
    assert "Continuing 'A Tiny Test Group' at decision 2" in second.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_it_works_on_a_real_terminal_too(tmp_path):
    term = terminal.Terminal(
        terminal.groupsim_argv("play", "--plain", str(TINY), "--seed", "0", "--db", str(tmp_path / "r.db")),
        rows=24,
        cols=80,
    )
    try:
        term.wait_for("Begin this scenario?")
        term.type("\r\r")  # begin; no name
        term.wait_for("Practice or assessment?")
        term.type("p\rn\rn\r")
        term.wait_for("Your choice, 1 to 3")
        assert "Ana says: Shall we start?" in term.text
        term.type("q\ry\r")  # stop here: kept for later
        code = term.wait_exit()
    finally:
        term.kill()
    assert code == 0
    assert "\x1b[?1049h" not in term.raw  # never the alternate (full) screen


def test_say_first_in_plain_mode_asks_for_words_before_the_options(tmp_path):
    answers = ["", "", "p", "n", "y", "I'd name what is going on in the room right now", "", "", "1"]
    done = _play(answers, str(TINY), "--seed", "0", db=tmp_path / "r.db")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    words = out.index("In your own words, what would you say or do?")
    assert words < out.index("The options (3):")
    with sqlite3.connect(tmp_path / "r.db") as conn:
        said = conn.execute("SELECT said FROM steps ORDER BY id").fetchone()[0]
    assert said == "I'd name what is going on in the room right now"
    assert json.dumps(said)  # kept exactly
