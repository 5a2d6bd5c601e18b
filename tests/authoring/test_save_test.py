"""Saving a playthrough as a test: the file gains exactly the new test, which loads and
passes under `groupsim test`; everything else stays byte for byte; and a name already
used, a file changed on disk, or a path that does not lead there is refused, with the
file untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.authoring.loader import load, load_text
from simulator.authoring.save_test import SaveTestError, save_test
from simulator.authoring.scaffold import starter
from simulator.cli import main
from simulator.engine.session import Session

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = (FIXTURES / "valid" / "tiny.yaml").read_text(encoding="utf-8")


def _play(path: Path, picks, seed: int = 0) -> Session:
    session = Session(load(path), seed)
    for p in picks:
        session.timeout() if p == "timeout" else session.choose(int(p))
    return session


def _only_added(before: str, after: str, added: str) -> None:
    """`after` is `before` with `added` put in at one place, and nothing else changed."""
    at = after.index(added)
    assert after[:at] + after[at + len(added) :] == before


def _passes(path: Path, name: str, capsys) -> None:
    assert main(["test", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"PASS  {path}" in out and name in out and " 0 failed" in out


@pytest.fixture
def starter_file(tmp_path) -> Path:
    path = tmp_path / "late-arrival.yaml"
    path.write_text(starter("late-arrival", tmp_path), encoding="utf-8")
    return path


def test_a_path_becomes_a_test_after_the_others(starter_file, capsys):
    before = starter_file.read_text(encoding="utf-8")
    session = _play(starter_file, [2, 2])
    saved = save_test(starter_file, "Reassuring Ben ends uneasy", [2, 2], 0, session)
    after = starter_file.read_text(encoding="utf-8")
    _only_added(before, after, saved.text)
    assert after.endswith(saved.text)  # the tests were last in the file
    assert saved.text == (
        "  - name: Reassuring Ben ends uneasy\n"
        "    choose: [2, 2]\n"
        "    expect:\n"
        "      ending: an-uneasy-truce\n"
        "      outcome: mixed\n"
        "      # Saved from a playthrough: each value may move 4 from where the path left it,\n"
        "      # on the side it moved from its start. Change the numbers to loosen or tighten the test.\n"
        "      meters:\n"
        '        trust: "<= 50"      # fell from 50 to 46\n'
        '        cohesion: ">= 46"   # held at 50\n'
        "      members:\n"
        '        ada: "<= 39"        # fell from 45 to 35\n'
        '        ben: ">= 62"        # rose from 55 to 66\n'
    )
    assert after.splitlines()[saved.line - 1] == "  - name: Reassuring Ben ends uneasy"
    _passes(starter_file, "Reassuring Ben ends uneasy", capsys)


def test_a_seed_other_than_0_is_kept_and_0_left_out(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    # tiny's 'route' rolls a 50% chance: find a seed that takes it to 'lucky'.
    seed = next(s for s in range(1, 50) if _play(path, [1, 1], s).state.id == "lucky")
    saved = save_test(path, "lucky", [1, 1, 1], seed, _play(path, [1, 1, 1], seed))
    assert f"    seed: {seed}\n" in saved.text
    plain = save_test(path, "plain", [1, 1], 0, _play(path, [1, 1], 0))
    assert "seed" not in plain.text
    _passes(path, "lucky", capsys)


def test_a_path_that_stops_before_an_ending_expects_none(starter_file, capsys):
    saved = save_test(starter_file, "Up to the break", [1], 0, _play(starter_file, [1]))
    assert "      ending: none" in saved.text and "outcome" not in saved.text
    assert "'at-the-break'" in saved.text  # the comment says where it stopped
    _passes(starter_file, "Up to the break", capsys)


def test_a_timeout_is_saved_as_the_word(starter_file, capsys):
    saved = save_test(starter_file, "Silence at the break", [2, "timeout"], 0, _play(starter_file, [2, "timeout"]))
    assert "choose: [2, timeout]" in saved.text
    _passes(starter_file, "Silence at the break", capsys)


@pytest.mark.parametrize(
    "tolerance, trust, ben",
    [(0, "46", "66"), (10, '"<= 56"', '">= 56"'), (50, '"<= 96"', '">= 16"'), (60, '"<= 100"', '">= 6"')],
)
def test_the_tolerance_is_the_authors_to_choose(starter_file, tolerance, trust, ben):
    # trust falls from 50 to 46 and ben rises from 55 to 66: "<=" and ">=" with the slack,
    # within the meters' range; with 0, the exact values.
    saved = save_test(starter_file, f"t{tolerance}", [2, 2], 0, _play(starter_file, [2, 2]), tolerance=tolerance)
    assert f"trust: {trust} " in saved.text and f"ben: {ben} " in saved.text
    assert ("Saved from a playthrough" in saved.text) == (tolerance > 0)


def test_a_file_without_tests_gets_a_tests_section_at_the_end(tmp_path, capsys):
    path = tmp_path / "no-tests.yaml"
    body = TINY[: TINY.index("tests:")] + "# the end of my file\n"
    path.write_text(body, encoding="utf-8")
    saved = save_test(path, "first test", [1, 1], 0, _play(path, [1, 1]))
    after = path.read_text(encoding="utf-8")
    assert after.startswith(body) and after.endswith(saved.text)
    assert "\ntests:" in after[len(body) :]
    _passes(path, "first test", capsys)


def test_an_empty_tests_list_is_filled_in(tmp_path, capsys):
    path = tmp_path / "empty.yaml"
    body = TINY[: TINY.index("tests:")] + "tests: []   # none yet\n"
    path.write_text(body, encoding="utf-8")
    save_test(path, "first test", [1, 1], 0, _play(path, [1, 1]))
    after = path.read_text(encoding="utf-8")
    assert "tests:   # none yet\n  - name: first test\n" in after
    _passes(path, "first test", capsys)


def test_tests_followed_by_more_of_the_file_get_the_new_one_in_place(tmp_path, capsys):
    path = tmp_path / "middle.yaml"
    head, tests = TINY[: TINY.index("tests:")], TINY[TINY.index("tests:") :]
    start = head.index("\nmeters:") + 1
    # Move 'tests:' above 'meters:', with a comment and a blank line after its last test.
    text = head[:start] + tests + "\n  # more tests to come\n\n" + head[start:]
    path.write_text(text, encoding="utf-8")
    saved = save_test(path, "in the middle", [1, 1], 0, _play(path, [1, 1]))
    after = path.read_text(encoding="utf-8")
    _only_added(text, after, saved.text)
    assert after.index(saved.text) < after.index("# more tests to come") < after.index("\nmeters:")
    _passes(path, "in the middle", capsys)


def test_layout_and_line_endings_are_kept(tmp_path, capsys):
    path = tmp_path / "crlf.yaml"
    original = ("\ufeff" + TINY.replace("{trust: +10,", "{trust: +10 ,")).replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(original)
    saved = save_test(path, "windows", [1, 1], 0, _play(path, [1, 1]))
    data = path.read_bytes()
    added = saved.text.encode("utf-8")
    assert b"\r\n" in added and b"\n" not in added.replace(b"\r\n", b"")
    at = data.index(added)
    assert data[:at] + data[at + len(added) :] == original
    _passes(path, "windows", capsys)


def test_a_name_that_needs_quotes_is_quoted(starter_file):
    name = 'Ada: "yes" # 2'
    save_test(starter_file, name, [3], 0, _play(starter_file, [3]))
    scenario, errors = load_text(starter_file.read_bytes())
    assert errors == [] and scenario.tests[-1].name == name


def _refused(path: Path, *args, message: str, **kwargs) -> None:
    before = path.read_bytes()
    files = set(path.parent.iterdir())
    with pytest.raises(SaveTestError) as caught:
        save_test(path, *args, **kwargs)
    assert message in str(caught.value) and "Traceback" not in str(caught.value)
    assert path.read_bytes() == before and set(path.parent.iterdir()) == files


def test_a_name_already_used_is_refused(starter_file):
    session = _play(starter_file, [3])
    _refused(starter_file, "Shaming Ben closes the group", [3], 0, session, message="already has a test named")
    _refused(starter_file, "   ", [3], 0, session, message="give the test a name")


def test_a_file_changed_since_it_was_loaded_is_refused(starter_file):
    session = _play(starter_file, [3])
    with starter_file.open("a", encoding="utf-8") as f:
        f.write("# edited in the editor meanwhile\n")
    _refused(starter_file, "after an edit", [3], 0, session, message="has changed since this playthrough loaded it")


def test_choices_that_do_not_lead_there_are_refused(starter_file):
    session = _play(starter_file, [3])
    _refused(starter_file, "wrong path", [1, 1], 0, session, message="does not lead where this playthrough is")
    _refused(starter_file, "bad pick", [0], 0, session, message="each choice should be")


def test_tests_written_as_one_flow_list_are_refused_with_advice(tmp_path):
    path = tmp_path / "flow.yaml"
    path.write_text(TINY[: TINY.index("tests:")] + "tests: [{reachable: [good-end]}]\n", encoding="utf-8")
    _refused(path, "x", [1, 1], 0, _play(path, [1, 1]), message="'- name: ...' lines")


def test_the_file_is_replaced_whole_and_keeps_its_permissions(starter_file):
    os.chmod(starter_file, 0o640)
    save_test(starter_file, "perms", [3], 0, _play(starter_file, [3]))
    assert starter_file.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in starter_file.parent.iterdir()) == ["late-arrival.yaml"]


# -- from the command line: groupsim run --save-test ---------------------------------------
def test_run_save_test_keeps_the_path_and_groupsim_test_runs_it(tmp_path, capsys):
    from simulator.cli import main

    path = tmp_path / "tiny.yaml"
    path.write_bytes((Path(__file__).resolve().parent.parent / "fixtures" / "valid" / "tiny.yaml").read_bytes())
    before = path.read_bytes()
    assert main(["run", str(path), "--choose", "1,1", "--save-test", "the model path ends strong"]) == 0
    out = capsys.readouterr().out
    assert "Saved the test 'the model path ends strong'" in out
    after = path.read_bytes()
    assert after.startswith(before.rstrip(b"\n")), "the rest of the file is untouched"
    assert b"the model path ends strong" in after and b"ending: good-end" in after
    assert main(["test", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out
    # The same name again: refused, nothing written.
    assert main(["run", str(path), "--choose", "1,1", "--save-test", "the model path ends strong"]) == 1
    assert "already has a test named" in capsys.readouterr().err
    assert path.read_bytes() == after


def test_run_save_test_refuses_a_path_that_goes_wrong_and_a_shipped_id(tmp_path, capsys):
    from simulator.cli import main

    path = tmp_path / "tiny.yaml"
    path.write_bytes((Path(__file__).resolve().parent.parent / "fixtures" / "valid" / "tiny.yaml").read_bytes())
    before = path.read_bytes()
    assert main(["run", str(path), "--choose", "9", "--save-test", "nowhere"]) == 1
    assert "the test was not saved" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["run", "confidentiality-breach", "--choose", "1", "--save-test", "x"]) == 1
    assert "not a file" in capsys.readouterr().err
