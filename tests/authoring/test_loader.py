"""The loader: each invalid fixture fails at the line, column and words its first line states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.authoring import loader
from simulator.authoring.diagnostics import ScenarioError
from simulator.authoring.loader import load, load_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (\d+):(\d+): (.*)$")


def test_the_corpus_is_there():
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_file_reports_its_defect_where_it_is(path: Path):
    data = path.read_bytes()
    m = EXPECT.match(data.split(b"\n", 1)[0])
    assert m, "each invalid fixture states '# expect: LINE:COL: message' on its first line"
    line, col, message = int(m.group(1)), int(m.group(2)), m.group(3).decode()
    scenario, diags = load_text(data, str(path))
    assert scenario is None
    first = diags[0]
    assert (first.path, first.line, first.col, first.severity) == (str(path), line, col, "error")
    assert message in first.message
    assert str(first).startswith(f"{path}:{line}:{col}: error: ")


def test_empty_file():
    scenario, diags = load_text(b"", "empty.yaml")
    assert scenario is None
    assert "the file is empty" in diags[0].message and (diags[0].line, diags[0].col) == (1, 1)


@pytest.mark.parametrize(
    "text", ["a: " + "[" * 5000 + "]" * 5000, "".join("  " * i + "a:\n" for i in range(3000)) + "  " * 3000 + "x\n"]
)
def test_deep_nesting_is_a_clear_error_not_a_crash(text):
    scenario, diags = load_text(text, "deep.yaml")
    assert scenario is None and "nested too deeply" in diags[0].message


def test_alias_bomb_is_refused_quickly():
    bomb = "format: 1\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    scenario, diags = load_text(bomb, "bomb.yaml")
    assert scenario is None
    assert diags  # unknown keys or aliases: refused without expanding anything


def test_yes_no_on_off_stay_words(tiny):
    text = (
        (FIXTURES / "valid" / "tiny.yaml")
        .read_text()
        .replace("title: The opening", "title: 'no'")
        .replace("narration: Ana looks at you. Bo looks at the floor.", "narration: on")
    )
    scenario, diags = load_text(text)
    assert diags == []
    assert scenario.states["opening"].narration == "on"
    assert scenario.states["opening"].lines[1].text == "yes"


def test_markup_like_text_is_kept_verbatim(tiny):
    assert tiny.members["bo"].name == "Bø [b]bold[/b]"
    assert tiny.members["bo"].about == "[red]quiet[/red]"


def test_source_and_digest_are_recorded(tiny):
    import hashlib

    path = FIXTURES / "valid" / "tiny.yaml"
    assert tiny.source == str(path)
    assert tiny.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_libyaml_is_used_when_present():
    import yaml

    assert yaml.__with_libyaml__ == loader.LIBYAML


def test_load_raises_with_every_diagnostic(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIXTURES / "invalid" / "merge-key.yaml").read_text())
    with pytest.raises(ScenarioError) as info:
        load(bad)
    assert len(info.value.diagnostics) == 2
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load(tmp_path / "missing.yaml")


def test_several_errors_are_all_reported_in_file_order():
    text = (FIXTURES / "valid" / "tiny.yaml").read_text()
    text = text.replace("goto: middle", "goto: midle", 1).replace("rating: harmful", "rating: harmfull")
    text = text.replace("narration:", "narrration:", 1)
    _, diags = load_text(text, "x.yaml")
    assert len(diags) >= 4
    assert [d.line for d in diags] == sorted(d.line for d in diags)


def test_a_state_id_mistyped_where_it_is_declared_is_reported_there_once():
    # Every goto says 'middle'; the state itself was typed 'midle'.
    text = (FIXTURES / "valid" / "tiny.yaml").read_text()
    assert text.count("  middle:\n") == 1
    text = text.replace("  middle:\n", "  midle:\n")
    _, diags = load_text(text, "x.yaml")
    assert len(diags) == 1, diags
    assert diags[0].line == text[: text.index("  midle:\n")].count("\n") + 1
    assert "correct its id to 'middle'" in diags[0].message


def test_cast_speaks_but_has_no_trust_meter(tiny):
    assert tiny.cast["dee"].name == "Dee" and "dee" not in tiny.initial_values()
    assert tiny.speaker_name("dee") == "Dee" and tiny.speaker_name("ana") == "Ana"
    text = (FIXTURES / "valid" / "tiny.yaml").read_text().replace("effects: {cohesion: +10}", "effects: {dee: +10}")
    _, diags = load_text(text, "x.yaml")
    assert "effect on 'dee', which is not a meter or member" in diags[0].message
