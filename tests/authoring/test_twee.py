"""Twine interchange: the Twee 3 reader, export, import, and the round trip between them."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.authoring import twee
from simulator.authoring.emit import dump, plain_ok, scalar, scenario_doc
from simulator.authoring.loader import load, load_text
from simulator.authoring.twee import TweeError, export_twee, import_twee, links_in, narration_of, parse, read_text
from simulator.authoring.validate import warnings as graph_warnings
from simulator.cli import main
from simulator.engine import Session, model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TWEE = FIXTURES / "twee"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
ROUND_TRIP = SHIPPED + [FIXTURES / "valid" / "tiny.yaml", TWEE / "tricky.yaml"]
REAL = ROOT.parent / "shared" / "data" / "twee"


def read(*paths: Path):
    return import_twee([(str(p), p.read_bytes()) for p in paths])


def passages(text: str):
    story, diags = parse([("t.twee", read_text(text.encode(), "t.twee"))])
    return story.passages, diags


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
    assert back.states["123"].narration == "\r carriage return and \t tab and \x85 next line"
    assert back.title == "Yes: [brackets], {braces} and ::colons" and back.summary == "no"
    assert back.members["no"].name == "Y" and back.tags == ("on", "123", "[x]")


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_a_story_saved_by_twine_itself_still_imports(path):
    # Twine keeps a passage's text, tags, position and size, and drops other metadata:
    # what is left (texts, links, the data passage, outcome tags) still makes a scenario.
    import re

    s = load(path)
    saved = re.sub(r',"groupsim":\{.*\}\}$', "}", export_twee(s), flags=re.M)
    assert ',"groupsim":{' not in saved
    back = loads(import_twee([("twine.twee", saved.encode())]).yaml)
    assert back.id == s.id and back.meters.keys() == s.meters.keys() and back.states.keys() == s.states.keys()
    for sid, st in s.states.items():
        if st.ending:
            assert back.states[sid].ending.outcome == st.ending.outcome
        elif st.choices:
            assert [c.goto for c in back.states[sid].choices] == [c.goto for c in st.choices]
            if path.name != "tricky.yaml":  # its texts are made to need the metadata
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
        for c in sd.get("choices", []):
            for k, v in c.get("effects", {}).items():
                c["effects"][k] = int(v) if v.lstrip("+-").isdigit() else v  # +8 is written bare, as authors do
    assert data == doc
    schema = json.loads((ROOT / "simulator" / "schema" / "scenario.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
_words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda t: t.strip() != "")


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
        },
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
            "pos",
        },
        model.Branch: {"goto", "when", "chance", "pos"},
        model.Ending: {"outcome", "title", "debrief", "pos"},
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
