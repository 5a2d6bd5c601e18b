"""The command line as an author uses it: exit codes, output forms, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
TINY = FIXTURES / "valid" / "tiny.yaml"


def test_validate_clean_file_exits_0(capsys):
    assert main(["validate", str(TINY)]) == 0
    assert "1 file checked: 0 errors, 0 warnings" in capsys.readouterr().err


def test_validate_prints_path_line_col_and_exits_1(capsys):
    bad = FIXTURES / "invalid" / "goto-unknown.yaml"
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:35:15: error: unknown state 'rout' — did you mean 'route'?" in out


def test_validate_warnings_fail_only_with_strict(capsys):
    warn = FIXTURES / "warnings" / "no-recommended.yaml"
    assert main(["validate", str(warn)]) == 0
    assert main(["validate", "--strict", str(warn)]) == 1


def test_validate_folder_and_json(capsys):
    assert main(["validate", "--format", "json", str(FIXTURES / "invalid")]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["errors"] >= 40
    first = data["files"][0]["diagnostics"][0]
    assert set(first) == {"path", "line", "column", "severity", "message"}


def test_validate_missing_path(capsys):
    assert main(["validate", "nowhere.yaml"]) == 1
    assert "nowhere.yaml:1:1: error: no such file or folder" in capsys.readouterr().out


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["run", str(TINY), "--choose", "1,x"])
    assert info.value.code == 2
    assert "'x' is not a choice number" in capsys.readouterr().err


def test_run_prints_transcript_and_final_meters(capsys):
    assert main(["run", str(TINY), "--choose", "1,1"]) == 0
    out = capsys.readouterr().out
    assert "[1] You chose 1: Name what is happening in the room. (recommended)" in out
    assert "Trust 50 → 60 (+10)" in out
    assert "Ending (strong): A good start" in out
    assert "Meters: Trust 60, Cohesion 80" in out
    assert "Bø [b]bold[/b] 35" in out


def test_run_choice_not_on_offer_lists_the_offered(capsys):
    assert main(["run", str(TINY), "--choose", "2,1"]) == 1
    err = capsys.readouterr().err
    assert "choice 1 is not on offer at 'middle'" in err
    assert "  2. Lecture them." in err and "  3. Wait." in err


def test_run_timeout_and_json(capsys):
    assert main(["run", str(TINY), "--choose", "timeout,3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["steps"][0]["choice"] is None
    assert data["steps"][0]["route"] == ["silence", "middle"]
    assert data["ending"]["outcome"] == "strong"


def test_run_on_invalid_file_shows_errors(capsys):
    assert main(["run", str(FIXTURES / "invalid" / "goto-unknown.yaml"), "--choose", "1"]) == 1
    assert "unknown state 'rout'" in capsys.readouterr().err


def test_run_past_the_ending(capsys):
    assert main(["run", str(TINY), "--choose", "1,1,1"]) == 1
    assert "after the scenario has ended" in capsys.readouterr().err


def test_schema_is_printed(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["run", "--help"]])
def test_console_script_and_module_entry(args):
    out = subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True)
    assert out.returncode == 0 and "usage: groupsim" in out.stdout


@pytest.mark.parametrize("command", ["play", "serve", "graph", "twee"])
def test_help_keeps_each_example_on_its_own_line(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    examples = [line.strip() for line in out.splitlines() if line.strip().startswith(f"groupsim {command}")]
    assert len(examples) >= 2, out
    for line in examples:  # one example a line, not run together into a paragraph
        assert line.count("groupsim ") == 1 or "|" in line, line


def test_no_traceback_on_garbage_file(tmp_path):
    f = tmp_path / "garbage.yaml"
    f.write_bytes(b"\x00\xff\xfe" * 50)
    out = subprocess.run([sys.executable, "-m", "simulator", "validate", str(f)], capture_output=True, text=True)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    assert "not UTF-8" in out.stdout
