"""Twine interchange: the Twee 3 reader, export, import, and the round trip between them."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simulator.authoring import twee
from simulator.authoring.emit import dump, plain_ok, scalar, scenario_doc
from simulator.authoring.loader import load, load_text
from simulator.authoring.twee import TweeError, export_twee, import_twee, links_in, narration_of, parse, read_text
from simulator.authoring.validate import warnings as graph_warnings
from simulator.cli import main
from simulator.engine import Session, model
from simulator.play.text import unsafe_characters

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TWEE = FIXTURES / "twee"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
# Every scenario that loads: the shipped ones, the valid fixtures (warnings too) and the texts made hard.
ROUND_TRIP = (
    SHIPPED
    + sorted((FIXTURES / "valid").glob("*.yaml"))
    + sorted((FIXTURES / "warnings").glob("*.yaml"))
    + sorted(TWEE.glob("*.yaml"))
)
REAL = ROOT.parent / "shared" / "data" / "twee"


def read(*paths: Path):
    return import_twee([(str(p), p.read_bytes()) for p in paths])


def passages(text: str):
    story, diags = parse([("t.twee", read_text(text.encode(), "t.twee"))])
    return story.passages, diags


def saved_by_twine(story: str) -> str:
    """The story as Twine saves it: each passage keeps its position and size, not our metadata."""
    return re.sub(r',"groupsim":\{.*\}\}$', "}", story, flags=re.M)


def loads(yaml_text: str):
    scenario, errors = load_text(yaml_text, "imported.yaml")
    assert errors == [], errors
    return scenario


# -- reading Twee by its specification ---------------------------------------------------


@pytest.mark.parametrize(
    "header, name, tags, meta",
    [
        (":: An overgrown path", "An overgrown path", (), None),
        (":: An overgrown path [forest spooky]", "An overgrown path", ("forest", "spooky"), None),
        (
            ':: An overgrown path {"position":"600,400","size":"100,200"}',
            "An overgrown path",
            (),
            {"position": "600,400", "size": "100,200"},
        ),
        (
            ':: An overgrown path [forest spooky] {"position":"600,400"}',
            "An overgrown path",
            ("forest", "spooky"),
            {"position": "600,400"},
        ),
        (":: A \\[bracketed\\] \\{braced\\} back\\\\slash", "A [bracketed] {braced} back\\slash", (), None),
        (":: \\ Leading space", " Leading space", (), None),
        (":: Tight[a\\]b c]{}", "Tight", ("a]b", "c"), {}),
        (":: Empty tags []", "Empty tags", (), None),
        (":: Twee2 <10,20>", "Twee2", (), {"position": "10,20"}),
        (":: Twee2 tagged [x] <10,20>", "Twee2 tagged", ("x",), {"position": "10,20"}),
        ("::NoSpace", "NoSpace", (), None),
    ],
)
def test_headers(header, name, tags, meta):
    (p,), diags = passages(header + "\ntext")
    assert (p.name, p.tags, p.meta, p.text) == (name, tags, meta, "text")
    assert diags == []


def test_metadata_that_is_not_json_is_warned_and_dropped():
    (p, q), diags = passages(':: A {"position": 600,}\nfirst\n:: B [t] {"a": 1} {"b": 2}\nsecond')
    assert p.meta is None and q.meta is None and (p.text, q.text) == ("first", "second")
    assert [(d.line, d.col, d.severity) for d in diags] == [(1, 23, "warning"), (3, 19, "warning")]
    assert all("not valid JSON" in d.message for d in diags)


@pytest.mark.parametrize(
    "text, message",
    [
        (":: [tag]\nx", "has no name"),
        (":: Name [unclosed\nx", "never closes"),
        (":: Name [t] trailing words\nx", "unexpected 'trailing words'"),
    ],
)
def test_malformed_headers_are_errors(text, message):
    _, diags = passages(text)
    assert diags and diags[0].severity == "error" and message in diags[0].message
    with pytest.raises(TweeError) as exc:
        import_twee([("bad.twee", text.encode())])
    assert exc.value.diagnostics[0].path == "bad.twee" and exc.value.diagnostics[0].line == 1


def test_not_utf8_is_an_error_with_its_place():
    with pytest.raises(TweeError) as exc:
        import_twee([("latin1.twee", ":: Start\nCaf\xe9\n".encode("latin-1"))])
    d = exc.value.diagnostics[0]
    assert (d.line, d.col, d.severity) == (2, 4, "error") and "not UTF-8" in d.message


def test_no_passages_is_an_error():
    with pytest.raises(TweeError, match="no passages"):
        import_twee([("empty.twee", b"just words\n")])
    with pytest.raises(TweeError, match="no passages to turn into states"):
        import_twee([("title.twee", b":: StoryTitle\nOnly a title\n")])


def test_content_trailing_blank_lines_escapes_and_line_endings():
    (p, q), _ = passages(":: A\n\nline one\n\\:: not a header\n  \n\n\n:: B\nx")
    assert p.text == "\nline one\n:: not a header" and q.text == "x"
    (c,), _ = passages("\ufeff:: C\r\none\r\ntwo\r\n\r\n")
    assert (c.name, c.text) == ("C", "one\ntwo")


def test_text_before_the_first_header_is_ignored_with_a_warning():
    (p,), diags = passages("stray words\n:: A\nx")
    assert p.name == "A" and diags[0].severity == "warning" and diags[0].line == 1


@pytest.mark.parametrize(
    "link, text, target",
    [
        ("[[Target]]", "Target", "Target"),
        ("[[Go on->Target]]", "Go on", "Target"),
        ("[[Target<-Go on]]", "Go on", "Target"),
        ("[[Go on|Target]]", "Go on", "Target"),
        ("[[a->b->Target]]", "a->b", "Target"),
        ("[[Target<-a<-b]]", "a<-b", "Target"),
        ("[[Go on|Target][$x to 1]]", "Go on", "Target"),
        ("[[x ] y->Target]]", "x ] y", "Target"),
    ],
)
def test_link_forms(link, text, target):
    (lk,) = links_in(f"before {link} after")
    assert (lk.text, lk.target, lk.start) == (text, target, 7)


def test_narration_drops_link_lines_and_keeps_link_text_in_sentences():
    text = "One.\n\nIt's [[sunny->Day]] or [[raining]].\n\n[[A]]\n[[B->C]]  [[D]]\n\n\n\nTwo."
    assert narration_of(text) == "One.\n\nIt's sunny or raining.\n\nTwo."
    assert narration_of("[[A]]\n[[B]]") == ""


# -- importing stories written in Twine ----------------------------------------------------


def test_import_fixture_story():
    result = read(TWEE / "story.twee")
    assert result.ok
    s = loads(result.yaml)
    assert s.title == "Six Chairs" and s.id == "six-chairs" and s.start == "the-circle"
    assert list(s.meters) == ["trust", "cohesion"] and s.meters["trust"].start == 50
    circle = s.states["the-circle"]
    assert [(c.text, c.goto, c.rating) for c in circle.choices] == [
        ("wait", "Silence", "acceptable"),
        ("ask a question", "Question", "acceptable"),
        ("name the silence", "name-it", "acceptable"),
        ("Leave", "Leave", "acceptable"),
        ("Broken link", "nowhere-at-all", "acceptable"),
    ]
    assert circle.narration.endswith("You could wait, ask a question or name the silence.")
    assert "(set: $trust to 5)" in circle.narration and "<<set $x to 1>>" in circle.narration
    assert s.states["Question"].narration == "Someone answers.\n:: not a header"
    assert [c.goto for c in s.states["name-it"].choices] == ["good-end", "Leave"]
    assert s.states["Silence"].ending.outcome == "poor" and s.states["good-end"].ending.outcome == "strong"
    assert s.states["Leave"].ending.outcome == "mixed"
    assert s.states["nowhere-at-all"].ending.title == "Missing passage: Nowhere at all"
    assert "twee2-position" in s.states and "Widgets" not in s.states and "StoryInit" not in s.states

    by_line = {(d.line, d.severity): d.message for d in result.diagnostics}
    assert "Harlowe macro '(set:)'" in by_line[(15, "warning")]
    assert "SugarCube macro '<<set>>'" in by_line[(16, "warning")]
    assert "not valid JSON" in by_line[(29, "warning")]
    assert "second passage named 'Name it'" in by_line[(58, "warning")]
    notes = [d.message for d in result.diagnostics if d.severity == "note"]
    assert len(notes) == 4 and all(m.startswith("skipped passage") for m in notes)
    missing = [d for d in result.diagnostics if "not a passage of the story" in d.message]
    assert [(d.line, d.col) for d in missing] == [(20, 1), (34, 1)]
    unrated = [d for d in result.diagnostics if "has no rating and feedback" in d.message]
    assert len(unrated) == 9 and (unrated[0].line, unrated[0].col) == (18, 11)
    assert all(str(d).startswith(f"{TWEE / 'story.twee'}:") for d in result.diagnostics)


def test_imported_story_plays_to_an_ending():
    s = loads(read(TWEE / "story.twee").yaml)
    session = Session(s)
    session.choose(3)  # name the silence
    session.choose(1)  # Good end
    assert session.finished and session.ending.outcome == "strong"


def test_crlf_and_bom_story_without_title_or_story_data():
    result = read(TWEE / "crlf.twee")
    s = loads(result.yaml)
    assert s.title == "crlf" and s.start == "Start" and s.states["Start"].narration == "Windows line endings."
    assert any("no StoryTitle" in d.message for d in result.diagnostics)


def test_a_story_split_across_files_is_one_story():
    files = sorted((TWEE / "split").glob("*.twee"))
    s = loads(read(*files).yaml)
    assert (s.title, s.start) == ("Split Across Files", "Begin")
    assert set(s.states) == {"Begin", "Middle", "Wait", "End"}
    # The order of the files does not matter for what the story is.
    again = loads(read(*reversed(files)).yaml)
    assert again.start == "Begin" and set(again.states) == set(s.states)


def test_ids_from_names_are_unique_and_valid():
    text = ":: Start\n[[A b]]\n[[a-b]]\n[[Ä B!]]\n[[会話]]\n:: A b\nx\n:: a-b\ny\n:: Ä B!\nz\n:: 会話\nw\n"
    s = loads(import_twee([("ids.twee", text.encode())]).yaml)
    assert [c.goto for c in s.states["Start"].choices] == ["a-b-2", "a-b", "a-b-3", "passage"]


# -- exporting -------------------------------------------------------------------------------


def test_export_shape(tiny):
    text = export_twee(tiny)
    story, diags = parse([("tiny.twee", text)])
    assert diags == []
    names = [p.name for p in story.passages]
    assert names[:3] == ["StoryTitle", "StoryData", twee.DATA_PASSAGE]
    assert names[3:] == list(tiny.states)
    data = json.loads(story.passages[1].text)
    assert data["start"] == tiny.start and data["format"] == "Harlowe"
    assert data["ifid"] == twee.ifid("tiny") == export_twee(tiny).split('"ifid": "')[1][:36]
    assert uuid.UUID(data["ifid"]) and data["ifid"] == data["ifid"].upper()
    opening = story.passages[3]
    assert [(lk.text, lk.target) for lk in links_in(opening.text)] == [
        (c.text, c.goto) for c in tiny.states["opening"].choices
    ]
    meta = opening.meta["groupsim"]
    assert meta["choices"][0]["rating"] == "recommended" and meta["time_limit"] == 30
    good = next(p for p in story.passages if p.name == "good-end")
    assert good.tags == ("ending", "strong") and good.text == "The group settles."
    assert twee.ifid("tiny") != twee.ifid("tiny2")


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_export_import_export_gives_the_same_text(path):
    s = load(path)
    first = export_twee(s)
    result = import_twee([("story.twee", first.encode())])
    assert result.ok and [d for d in result.diagnostics if d.severity != "note"] == []
    again = loads(result.yaml)
    assert scenario_doc(again) == scenario_doc(s)
    assert export_twee(again) == first


def test_round_trip_keeps_texts_twine_cannot_show(tmp_path):
    s = load(TWEE / "tricky.yaml")
    back = loads(import_twee([("t.twee", export_twee(s).encode())]).yaml)
    yes = back.states["yes"]
    assert yes.choices[0].text == "Go -> there <- or | here ]] [[ ]["
    assert yes.choices[1].text == " padded "
    assert yes.narration.startswith("First line has [[two]]") and yes.narration.endswith("trailing spaces   ")
    assert back.states["123"].narration == "a\ttab and \u00a0 no-break space and “curly quotes”"
    assert back.title == "Yes: [brackets], {braces} and ::colons" and back.summary == "no"
    assert back.members["no"].name == "Y" and back.tags == ("on", "123", "[x]")


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_a_story_saved_by_twine_itself_still_imports(path):
    # Twine keeps a passage's text, tags, position and size, and drops other metadata:
    # what is left (texts, links, the data passage, outcome tags) still makes a scenario,
    # with every member's line (conditions too) and every version of a narration.
    s = load(path)
    saved = saved_by_twine(export_twee(s))
    assert ',"groupsim":{' not in saved
    back = loads(import_twee([("twine.twee", saved.encode())]).yaml)
    assert back.id == s.id and back.meters.keys() == s.meters.keys() and back.states.keys() == s.states.keys()
    for sid, st in s.states.items():
        was, now = scenario_doc(s)["states"][sid], scenario_doc(back)["states"][sid]
        assert now.get("lines") == was.get("lines")
        if path.name != "tricky.yaml":  # its texts are made to need the metadata
            assert now.get("narration") == was.get("narration")
        if st.ending:
            assert back.states[sid].ending.outcome == st.ending.outcome
        elif st.choices:
            assert [c.goto for c in back.states[sid].choices] == [c.goto for c in st.choices]
            if path.name != "tricky.yaml":
                assert [c.text for c in back.states[sid].choices] == [c.text for c in st.choices]


def test_exported_metadata_edited_by_hand_is_checked():
    s = load(FIXTURES / "valid" / "tiny.yaml")
    text = export_twee(s).replace(
        '"rating":"recommended","effects":{"trust":"+10"', '"rating":"great","effects":{"trust":"+10"', 1
    )
    result = import_twee([("edited.twee", text.encode())])
    assert result.ok
    assert any("'rating' of choice" in d.message for d in result.diagnostics)
    assert loads(result.yaml).states["opening"].choices[0].rating == "acceptable"
    broken = export_twee(s).replace('"when":"named"', '"when":"named and"', 1)
    result = import_twee([("broken.twee", broken.encode())])
    assert not result.ok and any(d.severity == "error" and "condition" in d.message for d in result.diagnostics)


# -- YAML written for imported scenarios -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "~",
        "null",
        "true",
        "12",
        "+8",
        "1.5",
        "0x1F",
        "1e3",
        "[brackets]",
        "{braces}",
        "- dash",
        "# hash",
        "a: b",
        "a #b",
        "ends:",
        " pad",
        "",
        "%+20",
        "@x",
        "`x",
        "!x",
        "&x",
        "*x",
        "|x",
        ">x",
        "'q'",
        '"q"',
        "2024-01-02",
    ],
)
def test_texts_yaml_would_misread_are_quoted(text):
    assert not plain_ok(text)
    scenario = loads(
        dump({**scenario_doc(load(FIXTURES / "valid" / "tiny.yaml")), "summary": text or "x", "title": text or "x"})
    )
    assert scenario.summary == (text or "x")


@pytest.mark.parametrize("text", ["Trust", "5 of 8", "NASW Code of Ethics 1.07(f)", "Tomás", "it's fine", "C#"])
def test_ordinary_texts_stay_plain(text):
    assert plain_ok(text) and scalar(text) == text


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_another_yaml_reader_reads_the_same_data(path):
    # PyYAML's own YAML 1.1 reading (where yes, on and 12 are not texts) and the JSON
    # Schema that editors use both agree with what the loader read.
    import jsonschema
    import yaml

    doc = scenario_doc(load(path))
    text = dump(doc)
    data = yaml.safe_load(text)
    for sd in doc["states"].values():
        timeout = sd.get("on_timeout")
        for c in sd.get("choices", []) + ([timeout] if isinstance(timeout, dict) else []):
            for k, v in c.get("effects", {}).items():
                c["effects"][k] = int(v) if v.lstrip("+-").isdigit() else v  # +8 is written bare, as authors do
    assert data == doc
    schema = json.loads((ROOT / "simulator" / "schema" / "scenario.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


# Any text a scenario may hold: control characters (but tab and line feed) are refused by
# the loader, since they could change what a trainee's terminal shows.
def _allowed(text: str) -> str:
    for offset, _ in reversed(unsafe_characters(text)):  # bidirectional overrides too
        text = text[:offset] + text[offset + 1 :]
    return text


_chars = st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n")
_texts = st.text(_chars, max_size=60).map(_allowed)
_words = st.text(_chars, min_size=1, max_size=40).map(_allowed).filter(lambda t: t.strip() != "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(narration=_texts, choice=_words, feedback=_words, title=_words, name=_words)
def test_any_text_survives_yaml_and_twee(narration, choice, feedback, title, name):
    doc = scenario_doc(load(FIXTURES / "valid" / "tiny.yaml"))
    doc["title"] = title
    doc["members"]["ana"]["name"] = name
    opening = doc["states"]["opening"]
    opening["narration"] = narration
    opening["choices"][0]["text"] = choice
    opening["choices"][0]["feedback"] = feedback
    if not narration:
        del opening["narration"]
    s = loads(dump(doc))
    assert scenario_doc(s) == doc
    first = export_twee(s)
    result = import_twee([("h.twee", first.encode())])
    assert result.ok, result.diagnostics
    assert export_twee(loads(result.yaml)) == first


# Rows that mean something in a passage's text, mixed with any text.
_row = st.sampled_from(
    [
        "**Ana:** hi",
        "Ana: hi",
        "**ana (if named):** x",
        "**Zed:** who",
        "(if named)",
        "(otherwise)",
        "[[x]]",
        "",
        " ",
        "::x",
    ]
)
_passage_text = st.lists(_row | _texts, max_size=6).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    narration=_passage_text,
    versions=st.lists(_passage_text, max_size=3),
    lines=st.lists(st.tuples(st.sampled_from(["ana", "bo", "dee"]), _passage_text, st.booleans()), max_size=4),
    name=_words,
)
def test_any_lines_and_versions_survive_twee_and_twine(narration, versions, lines, name):
    doc = scenario_doc(load(FIXTURES / "valid" / "tiny.yaml"))
    doc["members"]["ana"]["name"] = name
    middle = doc["states"]["middle"]
    middle["narration"] = [{"when": "named", "text": v} for v in versions] + [{"text": narration}]
    middle["lines"] = [{who: said} | ({"when": "named"} if when else {}) for who, said, when in lines]
    if not middle["lines"]:
        del middle["lines"]
    scenario, errors = load_text(dump(doc), "h.yaml")
    assume(scenario is not None)  # empty texts are not allowed
    first = export_twee(scenario)
    result = import_twee([("h.twee", first.encode())])
    assert result.ok, result.diagnostics
    assert scenario_doc(loads(result.yaml)) == scenario_doc(scenario)
    assert export_twee(loads(result.yaml)) == first
    merged = twee.merge_twee([("saved.twee", saved_by_twine(first).encode())], scenario)
    assert merged.ok and merged.same, merged.diagnostics


def test_the_model_has_no_field_that_interchange_forgets():
    # A field added to the model must be written by emit.scenario_doc and carried by twee;
    # this list is what they handle today. Add the new field there, then here.
    handled = {
        model.Scenario: {
            "id",
            "title",
            "summary",
            "group",
            "objectives",
            "meters",
            "states",
            "start",
            "members",
            "cast",
            "flags",
            "references",
            "tags",
            "minutes",
            "content_notes",
            "reflection",
            "say_first",
            "tests",
            "format",
            "source",
            "digest",
        },
        model.State: {
            "id",
            "title",
            "narration",
            "lines",
            "prompt",
            "time_limit",
            "on_timeout",
            "choices",
            "next",
            "ending",
            "pos",
            "order",
            "timeout",
            "variants",
        },
        model.Line: {"speaker", "text", "when", "pos"},
        model.Variant: {"text", "when", "pos"},
        model.Timeout: {"rating", "feedback", "effects", "set", "unset", "refs", "competencies", "pos"},
        model.Voice: {"id", "name", "about", "pos"},
        model.Choice: {
            "number",
            "text",
            "rating",
            "feedback",
            "goto",
            "effects",
            "set",
            "unset",
            "refs",
            "competencies",
            "when",
            "phrasings",
            "pos",
        },
        model.Branch: {"goto", "when", "chance", "pos"},
        model.Ending: {"outcome", "title", "debrief", "pos", "variants"},
        model.Meter: {"id", "label", "start", "min", "max", "help", "pos"},
        model.Member: {"id", "name", "about", "trust", "pos"},
        model.Group: {"kind", "stage", "session", "setting"},
        model.ScenarioTest: {
            "name",
            "choose",
            "seed",
            "ending",
            "outcome",
            "values",
            "flags",
            "visited",
            "not_visited",
            "reachable",
            "unreachable",
            "pos",
        },
    }
    for cls, known in handled.items():
        fields = {f.name for f in dataclasses.fields(cls) if f.init}  # init=False fields are worked out, not written
        assert fields <= known, (
            f"{cls.__name__} has new fields {fields - known}: teach emit.scenario_doc and twee about them"
        )


# -- the command ------------------------------------------------------------------------


def test_cli_export_then_import(tmp_path, capsys):
    story = tmp_path / "tiny.twee"
    assert main(["twee", "export", str(FIXTURES / "valid" / "tiny.yaml"), "-o", str(story)]) == 0
    out = tmp_path / "tiny.yaml"
    assert main(["twee", "import", str(story), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"became {len(load(FIXTURES / 'valid' / 'tiny.yaml').states)} states (0 warnings)" in err
    assert out.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    assert main(["twee", "export", str(out)]) == 0
    assert capsys.readouterr().out == story.read_text(encoding="utf-8")
    assert main(["validate", "--strict", str(out)]) == 0


def test_cli_export_a_shipped_scenario_by_id(capsys):
    assert main(["twee", "export", "subgrouping"]) == 0
    assert capsys.readouterr().out.startswith(":: StoryTitle\nThe Nap Squad\n")


def test_cli_import_to_stdout_with_warnings_on_stderr(capsys):
    assert main(["twee", "import", str(TWEE / "story.twee")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# yaml-language-server")
    assert f"{TWEE / 'story.twee'}:15:1: warning: Harlowe macro" in captured.err
    assert loads(captured.out).id == "six-chairs"


def test_cli_import_reads_a_folder_as_one_story(tmp_path, capsys):
    assert main(["twee", "import", str(TWEE / "split"), "-o", str(tmp_path / "s.yaml")]) == 0
    assert "from 3 files" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["twee", "import", "no-such.twee"], "cannot read 'no-such.twee'"),
        (["twee", "export", "no-such.yaml"], "no such file, folder or scenario id"),
        (["twee", "export", str(FIXTURES / "invalid" / "goto-unknown.yaml")], "the scenario has errors"),
        (["twee", "export", str(FIXTURES / "valid")], "is a folder"),
    ],
)
def test_cli_bad_input_is_a_message_and_exit_1(argv, message, capsys):
    assert main(argv) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "data, message",
    [
        (b":: Start [open\nx\n", ":1:10: error: the tag list of passage 'Start' opens with '['"),
        (b":: Start\n\xff\n", ":2:1: error: the file is not UTF-8"),
        (b"::\nx\n", ":1:1: error: this passage header has no name"),
    ],
)
def test_cli_bad_twee_is_a_message_and_exit_1(tmp_path, data, message, capsys):
    bad = tmp_path / "bad.twee"
    bad.write_bytes(data)
    out = tmp_path / "out.yaml"
    assert main(["twee", "import", str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}{message}" in err and "Traceback" not in err and not out.exists()


def test_cli_refuses_to_overwrite_its_input(tmp_path, capsys):
    story = tmp_path / "s.twee"
    story.write_text(":: Start\nx\n", encoding="utf-8")
    assert main(["twee", "import", str(story), "-o", str(story)]) == 1
    assert story.read_text(encoding="utf-8") == ":: Start\nx\n"


# -- members' lines and versions of a text in the passage text -------------------------------


def _passage(story: str, name: str):
    found, _ = parse([("s.twee", story)])
    return next(p for p in found.passages if p.name == name)


def test_members_lines_are_rows_of_the_passage_text():
    s = load(FIXTURES / "valid" / "tiny.yaml")
    opening = _passage(export_twee(s), "opening")
    assert opening.text.split("\n\n")[1] == "**Ana:** Shall we start?\n**Bø [b]bold[/b]:** yes"
    assert "lines" not in opening.meta["groupsim"]
    follows = export_twee(load(FIXTURES / "valid" / "follows.yaml"))
    after = _passage(follows, "after")
    assert after.text.startswith(
        "(if froze)\nThe silence went on until Bo spoke first.\n\n(if trust >= 60)\nAna nods, and goes on.\n\n"
        "(otherwise)\nAna goes on, quieter.\n\n**Bo (if named):** Thank you for noticing.\n**Ana:** Anyway.\n\n"
    )
    assert "narration" not in after.meta["groupsim"] and "lines" not in after.meta["groupsim"]
    back = loads(import_twee([("f.twee", saved_by_twine(follows).encode())]).yaml).states["after"]
    assert [(ln.speaker, ln.text, ln.when and ln.when.source) for ln in back.lines] == [
        ("bo", "Thank you for noticing.", "named"),
        ("ana", "Anyway.", None),
    ]
    assert [(v.when and v.when.source, v.text) for v in back.variants["narration"]] == [
        ("froze", "The silence went on until Bo spoke first."),
        ("trust >= 60", "Ana nods, and goes on."),
        (None, "Ana goes on, quieter."),
    ]


STORY_WITH_MEMBERS = """:: StoryTitle
Lines
:: Groupsim Scenario [groupsim]
{"members": {"maria": {"name": "Maria"}, "jordan": {"name": "Jordan Lee"}}, "flags": ["named"]}
:: Start
{rows}

[[On->End]]
:: End [strong]
Done.
"""


def _start(rows: str):
    result = import_twee([("lines.twee", STORY_WITH_MEMBERS.replace("{rows}", rows).encode())])
    assert result.ok, result.diagnostics
    return loads(result.yaml).states["Start"], result.diagnostics


def test_lines_written_in_twine_are_read_exactly():
    start, diags = _start(
        "The room is quiet.\n\n**Maria:** I need to say something.\n**Jordan Lee (if named):** Sorry.\n"
        "**maria:**   Said by id, with spaces kept.\n**JORDAN LEE:** Names in any case.\n**Maria:** It's *hard*: [[really]]."
    )
    assert start.narration == "The room is quiet."
    assert [(ln.speaker, ln.text, ln.when and ln.when.source) for ln in start.lines] == [
        ("maria", "I need to say something.", None),
        ("jordan", "Sorry.", "named"),
        ("maria", "  Said by id, with spaces kept.", None),
        ("jordan", "Names in any case.", None),
        ("maria", "It's *hard*: really.", None),
    ]
    assert [c.goto for c in start.choices] == ["really", "End"]  # a link in a line is still a link
    assert not [d for d in diags if "**" in d.message]


@pytest.mark.parametrize(
    "row",
    [
        "Maria: I need to say something.",
        "Maria : said with a space",
        "**Maria**: bold name, colon outside",
        "*Maria:* in italics",
        " **Maria:** with a space before",
        "**Maria:**",
        "Jordan Lee: 34, new to the group.",
        "**Note:** the room is booked until nine.",
        "**Maria (when named):** not the condition form",
        "(if you ask me) Maria says nothing.",
        "Maria says: (otherwise) nothing",
    ],
)
def test_text_that_merely_looks_like_a_line_stays_narration(row):
    start, diags = _start(f"The room is quiet.\n{row}")
    assert start.lines == () and start.narration == f"The room is quiet.\n{row}"
    assert all(d.severity in ("note", "warning") for d in diags)


def test_rows_that_look_like_lines_get_a_hint_where_they_are():
    _, diags = _start("**Zed:** Who?\nMaria: a member.\n**Maria:** Hello.\nMore narration.")
    by_line = {d.line: (d.severity, d.message) for d in diags}
    assert by_line[6][0] == "warning" and "'**Zed:**' names no member or cast" in by_line[6][1]
    assert "Jordan Lee, Maria" in by_line[6][1]
    assert by_line[7] == ("note", "'Maria:' starts a row of narration; a line Maria says is written '**Maria:** words'")
    assert by_line[9][0] == "warning" and "narration after the members' lines" in by_line[9][1]
    no_members = import_twee([("n.twee", b":: Start\n**Maria:** Hello.\n")])
    assert loads(no_members.yaml).states["Start"].narration == "**Maria:** Hello."
    assert any(d.severity == "note" and "no members or cast" in d.message for d in no_members.diagnostics)


def test_a_narration_that_looks_like_lines_or_versions_is_kept_exactly():
    doc = scenario_doc(load(FIXTURES / "valid" / "tiny.yaml"))
    narration = "(if named)\n**Ana:** this is narration, not a line\nAna: nor this\n(otherwise)"
    doc["states"]["middle"]["narration"] = narration
    s = loads(dump(doc))
    story = export_twee(s)
    middle = _passage(story, "middle")
    assert middle.meta["groupsim"]["narration"] == narration
    assert middle.text.startswith("[if named]\n**Ana**: this is narration, not a line\nAna: nor this\n[otherwise]\n")
    assert loads(import_twee([("m.twee", story.encode())]).yaml).states["middle"].narration == narration
    # Saved by Twine, the tidied text comes back as narration still: no line, no version.
    back = loads(import_twee([("m.twee", saved_by_twine(story).encode())]).yaml).states["middle"]
    assert back.lines == () and "narration" not in back.variants
    assert back.narration == "[if named]\n**Ana**: this is narration, not a line\nAna: nor this\n[otherwise]"


def test_lines_a_row_cannot_hold_are_kept_in_the_metadata():
    doc = scenario_doc(load(FIXTURES / "valid" / "tiny.yaml"))
    doc["states"]["opening"]["lines"] = [{"ana": "two\nrows"}, {"bo": "a [[link]] in it"}]
    s = loads(dump(doc))
    opening = _passage(export_twee(s), "opening")
    assert opening.meta["groupsim"]["lines"] == [{"ana": "two\nrows"}, {"bo": "a [[link]] in it"}]
    assert "**Ana:** two rows\n**Bø [b]bold[/b]:** a [ [link] ] in it" in opening.text
    back = loads(import_twee([("o.twee", export_twee(s).encode())]).yaml)
    assert scenario_doc(back) == scenario_doc(s)


# -- merging a story edited in Twine back into its scenario: --into ------------------------

CHECK_IN = TWEE / "check-in.yaml"


def _edit(story: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in story, old
        story = story.replace(old, new, 1)
    return story


def _without(story: str, passage: str) -> str:
    start = story.index(f":: {passage} ")
    end = story.index("\n::", start + 1)
    return story[:start] + story[end + 1 :]


@pytest.fixture
def check_in(tmp_path):
    """A copy of the check-in scenario, and its export as Twine saves it (no groupsim metadata)."""
    target = tmp_path / "check-in.yaml"
    target.write_bytes(CHECK_IN.read_bytes())
    return target, saved_by_twine(export_twee(load(CHECK_IN)))


def _merge(tmp_path, story: str, target: Path, *more: str, capsys):
    twee_file = tmp_path / "edited.twee"
    twee_file.write_text(story, encoding="utf-8")
    code = main(["twee", "import", str(twee_file), "--into", str(target), *more])
    return code, twee_file, capsys.readouterr().err


def test_merge_keeps_what_twine_dropped_and_takes_what_was_edited(tmp_path, check_in, capsys):
    target, story = check_in
    edited = _edit(
        story,
        ("Ana stops mid-sentence and looks at Bo.", "Ana stops mid-sentence. She looks at Bo, then at the floor."),
        ("**Ana:** I've lost my place.", "**Ana:** I've lost my place.\n**Bo:** Take your time."),
        ("[[Make a joke about it.->aside]]\n", ""),
        ("[[Thank the group.->done]]", "[[Thank the group.->done]]\n[[Ask Bo how the pause was for him.->Bo answers]]"),
    )
    edited = _without(edited, "aside") + "\n:: Bo answers\nBo shrugs.\n\n**Bo:** It was fine.\n\n[[done]]\n"
    code, twee_file, err = _merge(tmp_path, edited, target, capsys=capsys)
    assert code == 0, err

    # Nothing is lost: the previous file is kept beside the new one, byte for byte.
    assert (tmp_path / "check-in.yaml.bak").read_bytes() == CHECK_IN.read_bytes()
    before, after = load(CHECK_IN), load(target)
    assert main(["validate", str(target)]) == 0

    # Taken from Twine: the new text, lines and links, the new passage.
    opening = after.states["opening"]
    assert opening.narration == "Ana stops mid-sentence. She looks at Bo, then at the floor."
    assert [(ln.speaker, ln.text) for ln in opening.lines] == [
        ("ana", "I've lost my place."),
        ("bo", "Take your time."),
    ]
    assert [c.text for c in opening.choices] == ["Name the pause gently.", "Move on to the next person."]
    assert "aside" not in after.states
    assert [c.goto for c in after.states["after"].choices] == ["done", "bo-answers"]
    assert after.states["bo-answers"].lines[0].text == "It was fine."

    # Kept from the scenario: ratings, feedback, effects, flags, conditions, phrasings,
    # references, the time limit and what a silence does, titles, versions, the ending.
    was, now = scenario_doc(before)["states"], scenario_doc(after)["states"]
    assert now["opening"]["choices"] == was["opening"]["choices"][:2]
    assert {k: now["opening"][k] for k in ("title", "time_limit", "on_timeout")} == {
        "title": "Check-in",
        "time_limit": 20,
        "on_timeout": was["opening"]["on_timeout"],
    }
    assert was["opening"]["on_timeout"]["rating"] == "risky" and was["opening"]["choices"][1]["when"] == "not named"
    assert {k: now["after"][k] for k in ("narration", "lines")} == {k: was["after"][k] for k in ("narration", "lines")}
    assert now["after"]["choices"][0] == was["after"]["choices"][0]
    assert now["done"] == was["done"]
    assert scenario_doc(after)["tests"] == scenario_doc(before)["tests"] and after.members == before.members
    kept = after.states["after"]

    # New links get the defaults, with a warning placed in the story.
    new = kept.choices[1]
    assert (new.rating, new.feedback) == ("acceptable", twee.PLACEHOLDER_FEEDBACK)
    assert (
        f"{twee_file}:{edited.splitlines().index('[[Ask Bo how the pause was for him.->Bo answers]]') + 1}:1: warning: "
        "choice 'Ask Bo how the pause was for him.' in passage 'after' has no rating and feedback" in err
    )

    # The report says what changed, passage by passage.
    assert "Changes from the story (1 passage unchanged):" in err
    assert "  opening: text changed; members' lines changed; link removed: 'Make a joke about it.' -> aside\n" in err
    assert "  after: link added: 'Ask Bo how the pause was for him.' -> Bo answers\n" in err
    assert "  Bo answers: new passage (state 'bo-answers'): a decision with 1 choice\n" in err
    assert "  aside: removed; it was reached from 'opening', whose links to it were removed too\n" in err
    assert f"the previous '{target}' is kept as '{target}.bak'" in err


def test_merge_pairs_reworded_and_redirected_links_with_their_choices(tmp_path, check_in, capsys):
    target, story = check_in
    edited = _edit(
        story,
        ("[[Name the pause gently.->after]]", "[[Gently name the pause.->after]]"),
        ("[[Make a joke about it.->aside]]", "[[Make a joke about it.->done]]"),
    )
    code, twee_file, err = _merge(tmp_path, edited, target, capsys=capsys)
    assert code == 0, err
    before = scenario_doc(load(CHECK_IN))["states"]["opening"]["choices"]
    reworded, joke = scenario_doc(load(target))["states"]["opening"]["choices"][0::2]
    assert reworded == before[0] | {"text": "Gently name the pause."}
    assert joke == before[2] | {"goto": "done"}
    assert "warning: choice 'Gently name the pause.' in passage 'opening' was 'Name the pause gently.'" in err
    assert "opening: choice reworded: 'Name the pause gently.' -> 'Gently name the pause.'; " in err
    assert "link 'Make a joke about it.' now leads to done (was aside)" in err


def test_merge_warns_when_choices_are_numbered_anew(tmp_path, check_in, capsys):
    target, story = check_in
    edited = _edit(
        story,
        (
            "[[Name the pause gently.->after]]\n[[Move on to the next person.->after]]",
            "[[Move on to the next person.->after]]\n[[Name the pause gently.->after]]",
        ),
    )
    code, _, err = _merge(tmp_path, edited, target, capsys=capsys)
    assert code == 0 and [c.text for c in load(target).states["opening"].choices][:2] == [
        "Move on to the next person.",
        "Name the pause gently.",
    ]
    assert "the choices of passage 'opening' are numbered anew (2 is now 1, 1 is now 2)" in err


def test_merge_of_an_unedited_twine_save_changes_nothing(tmp_path, check_in, capsys):
    target, story = check_in
    code, _, err = _merge(tmp_path, story, target, capsys=capsys)
    assert code == 0 and "the story changes nothing" in err
    assert target.read_bytes() == CHECK_IN.read_bytes() and not list(tmp_path.glob("*.bak*"))


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_merging_a_twine_save_gives_back_the_whole_scenario(path):
    # Whatever Twine dropped (ratings, feedback, conditions, exact texts shown tidied...)
    # comes back from the scenario: nothing is lost.
    s = load(path)
    result = twee.merge_twee([("saved.twee", saved_by_twine(export_twee(s)).encode())], s)
    assert result.ok and result.same and result.changes == [], result.diagnostics
    assert scenario_doc(loads(result.yaml)) == scenario_doc(s)


def test_merge_refuses_to_write_a_result_that_does_not_load(tmp_path, check_in, capsys):
    target, story = check_in
    edited = _edit(story, ("(if named)\nAna nods", "(if named and)\nAna nods"))
    code, twee_file, err = _merge(tmp_path, edited, target, capsys=capsys)
    assert code == 1
    assert target.read_bytes() == CHECK_IN.read_bytes() and not list(tmp_path.glob("*.bak*"))
    line = edited.splitlines().index(next(r for r in edited.splitlines() if r.startswith(":: after"))) + 1
    assert f"{twee_file}:{line}:1: error: in passage 'after', as merged: in the condition 'named and'" in err
    assert "nothing was written" in err and "Traceback" not in err


def test_merge_of_a_removed_passage_that_links_still_reach(tmp_path, check_in, capsys):
    target, story = check_in
    code, _, err = _merge(tmp_path, _without(story, "aside"), target, capsys=capsys)
    assert code == 0, err
    aside = load(target).states["aside"]
    assert aside.ending is not None and aside.ending.title == "Missing passage: aside"
    line = CHECK_IN.read_text(encoding="utf-8").splitlines().index("  aside:") + 1
    assert (
        f"{target}:{line}:3: warning: state 'aside' is removed (its passage is not in the story), but 'opening' still leads to it"
        in err
    )
    assert (
        "  aside: removed; 'opening' still leads to it: a placeholder ending stands in for it — needs attention" in err
    )


def test_merge_with_output_leaves_the_scenario_as_it_was(tmp_path, check_in, capsys):
    target, story = check_in
    out = tmp_path / "merged.yaml"
    edited = _edit(story, ("Bo laughs; Ana does not.", "Bo laughs. Ana does not."))
    code, _, err = _merge(tmp_path, edited, target, "-o", str(out), capsys=capsys)
    assert code == 0, err
    assert (
        target.read_bytes() == CHECK_IN.read_bytes()
        and load(out).states["aside"].narration == "Bo laughs. Ana does not."
    )
    # The opening comments are carried over.
    assert out.read_text(encoding="utf-8").startswith(CHECK_IN.read_text(encoding="utf-8").split("format: 1")[0])


def test_merge_takes_the_scenario_data_edited_in_twine(tmp_path, check_in, capsys):
    target, story = check_in
    edited = _edit(
        story,
        (
            '"bo": {\n      "name": "Bo"\n    }',
            '"bo": {\n      "name": "Bo"\n    },\n    "cy": {\n      "name": "Cy"\n    }',
        ),
    )
    edited = _edit(edited, ("**Ana:** I've lost my place.", "**Ana:** I've lost my place.\n**Cy:** Me too."))
    code, _, err = _merge(tmp_path, edited, target, capsys=capsys)
    assert code == 0, err
    merged = load(target)
    assert merged.members["cy"].name == "Cy" and merged.states["opening"].lines[-1].speaker == "cy"
    assert "  Groupsim Scenario: scenario data changed: members\n" in err


def test_merge_refuses_a_story_from_another_scenario(tmp_path, check_in, capsys):
    target, _ = check_in
    code, _, err = _merge(tmp_path, (TWEE / "story.twee").read_text(encoding="utf-8"), target, capsys=capsys)
    assert code == 1 and "no passage of the story is a state of 'check-in'" in err
    assert target.read_bytes() == CHECK_IN.read_bytes()


def test_merge_of_a_scenario_with_errors_is_refused(tmp_path, check_in, capsys):
    _, story = check_in
    broken = FIXTURES / "invalid" / "goto-unknown.yaml"
    code, _, err = _merge(tmp_path, story, broken, capsys=capsys)
    assert code == 1 and "the scenario has errors" in err


def test_export_over_an_existing_file_keeps_it(tmp_path, capsys):
    story = tmp_path / "tiny.twee"
    story.write_text("edited in Twine\n", encoding="utf-8")
    assert main(["twee", "export", str(FIXTURES / "valid" / "tiny.yaml"), "-o", str(story)]) == 0
    assert (tmp_path / "tiny.twee.bak").read_text(encoding="utf-8") == "edited in Twine\n"
    assert f"the previous '{story}' is kept as '{story}.bak'" in capsys.readouterr().err
    story.write_text("edited again\n", encoding="utf-8")
    assert main(["twee", "export", str(FIXTURES / "valid" / "tiny.yaml"), "-o", str(story)]) == 0
    assert (tmp_path / "tiny.twee.bak2").read_text(encoding="utf-8") == "edited again\n"
    assert main(["twee", "export", str(FIXTURES / "valid" / "tiny.yaml"), "-o", str(story)]) == 0
    assert not (tmp_path / "tiny.twee.bak3").exists()  # the same text again: nothing to keep


# -- real stories by other people (../shared/data/twee beside the repository) -------------------


def _real_stories() -> list[tuple[str, list[Path]]]:
    if not REAL.is_dir():
        return []
    out = [(p.name, [p]) for p in sorted(REAL.glob("*.twee"))]
    out += [(d.name + "/", sorted(d.glob("*.twee"))) for d in sorted(REAL.iterdir()) if d.is_dir()]
    return out


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared Twee stories are not beside the repository")
@pytest.mark.parametrize("name, files", _real_stories(), ids=lambda x: x if isinstance(x, str) else "")
def test_real_stories_import_load_play_and_validate(name, files):
    result = read(*files)
    assert result.ok, [str(d) for d in result.diagnostics if d.severity == "error"]
    s = loads(result.yaml)
    assert all(d.severity == "warning" for d in graph_warnings(s))
    session = Session(s)
    while not session.finished and session.choices():
        session.choose(session.choices()[0].number)
    # Every message is placed in one of the story's own files.
    assert {d.path for d in result.diagnostics} <= {str(f) for f in files}


@pytest.mark.skipif(
    not (REAL / "nanowrimo2025").is_dir(), reason="the shared Twee stories are not beside the repository"
)
def test_real_split_story_is_one_story():
    files = sorted((REAL / "nanowrimo2025").glob("*.twee"))
    result = read(*files)
    s = loads(result.yaml)
    assert s.start == "Start" and s.title == "NaNoWriMo2025" and len(s.states) == 63
    assert [c.text for c in s.states["Start"].choices] == ["sunny", "raining"]
    assert s.states["Start"].narration == "Javlyn looked out the window.\n\nIt's sunny or raining."
    skipped = sorted(d.message.split("'")[1] for d in result.diagnostics if d.severity == "note")
    assert skipped == ["Footer", "PathIdDisplay", "StoryStylesheet"]
