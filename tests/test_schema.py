"""The JSON Schema editors use: valid Draft 2020-12, in step with the loader key for key,
a description on every key, accepting every scenario that plays as an editor reads it
(YAML 1.2), and named by a header line that resolves from wherever the file lives."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import jsonschema
import pytest
import yaml

from simulator.authoring import loader
from simulator.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
SCHEMA_TEXT = files("simulator.schema").joinpath("scenario.schema.json").read_text(encoding="utf-8")
SCHEMA = json.loads(SCHEMA_TEXT)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


# -- reading YAML as editors do ------------------------------------------------------
class Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser, as the loader's
    """Reads scalars by YAML 1.2's core schema, as yaml-language-server does: only
    true/false are booleans (`yes`, `No`, `off` are words), 0o17 and 0x1F are numbers,
    and dates and times (2024-05-01, 12:30) stay text. Keys are kept as written."""

    yaml_implicit_resolvers: dict = {}

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        return {
            (k.value if isinstance(k, yaml.ScalarNode) else self.construct_object(k, deep=deep)): self.construct_object(
                v, deep=deep
            )
            for k, v in node.value
        }


for _tag, _rx, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
):
    Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_rx), _first)


def _int12(self, node):
    v = node.value
    return int(v[2:], 8) if v.startswith("0o") else int(v[2:], 16) if v.startswith("0x") else int(v)


def _float12(self, node):
    v = node.value.lower()
    if v.endswith(".inf"):
        return -math.inf if v.startswith("-") else math.inf
    return math.nan if v == ".nan" else float(v)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float12)


def read12(text: str):
    return yaml.load(text, Loader=Yaml12Loader)


def schema_errors(data) -> list[str]:
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


def test_the_yaml_12_reader_reads_as_editors_do():
    assert read12("[yes, No, off, 2024-05-01, 12:30, 911, 0x1F, 0o17, 1.5, true, ~]") == [
        "yes",
        "No",
        "off",
        "2024-05-01",
        "12:30",
        911,
        31,
        15,
        1.5,
        True,
        None,
    ]


# -- the schema and the loader ---------------------------------------------------------
def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_knows_the_same_top_level_keys_as_the_loader():
    assert set(SCHEMA["properties"]) == set(loader._Reader.TOP)
    assert set(SCHEMA["required"]) == set(loader._Reader.TOP_REQUIRED)
    assert set(SCHEMA["$defs"]["state"]["properties"]) == set(loader._Reader.STATE_KEYS)
    assert set(SCHEMA["$defs"]["choice"]["properties"]) == set(loader._Reader.CHOICE_KEYS)
    assert set(SCHEMA["$defs"]["timeout"]["properties"]) == set(loader._Reader.TIMEOUT_KEYS)


# Each set of keys the loader reads (named by the `where` it reports errors with), and
# the part of the schema that describes it. A new kind of mapping in the loader makes
# test_every_key_the_loader_reads_is_in_the_schema_with_a_description fail until it is here.
PLACES = [
    (r"the scenario", "#"),
    (r"'group'", "#/properties/group"),
    (r"meter '.+'", "#/$defs/meter"),
    (r"member '.+'", "#/$defs/member"),
    (r"cast speaker '.+'", "#/properties/cast/additionalProperties"),
    (r"state '.+'", "#/$defs/state"),
    (r"choice \d+ of state '.+'", "#/$defs/choice"),
    (r"'on_timeout' of state '.+'", "#/$defs/timeout"),
    (r"branch \d+ of 'next' in state '.+'", "#/$defs/branch"),
    (r"the ending of state '.+'", "#/$defs/ending"),
    (r"version \d+ of the (?:title|narration) of state '.+'", "#/$defs/optional_versions/anyOf/1/items"),
    (r"version \d+ of the prompt of state '.+'", "#/$defs/versions/anyOf/1/items"),
    (r"version \d+ of the ending title of state '.+'", "#/$defs/title_versions/anyOf/1/items"),
    (r"version \d+ of the debrief of state '.+'", "#/$defs/optional_versions/anyOf/1/items"),
    (r"test \d+", "#/$defs/test"),
    (r"'expect' of test \d+", "#/$defs/test/properties/expect"),
]


def _at(pointer: str) -> dict:
    node = SCHEMA
    for part in pointer.removeprefix("#").strip("/").split("/"):
        if part:
            node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _mappings_the_loader_reads(monkeypatch) -> dict[str, tuple[set[str], set[str]]]:
    """Load every file that plays, noting each mapping the loader reads: its place in the
    schema, the keys it knows and the keys it requires."""
    seen: dict[str, tuple[set[str], set[str]]] = {}
    unknown: set[str] = set()
    original = loader._Reader.mapping

    def noting(self, node, where, known, required=(), **how):
        known, required = list(known), list(required)
        place = next((p for rx, p in PLACES if re.fullmatch(rx, where)), None)
        if place is None:
            unknown.add(where)
        else:
            keys, needed = seen.setdefault(place, (set(), set()))
            keys.update(known)
            needed.update(required)
        return original(self, node, where, known, required, **how)

    monkeypatch.setattr(loader._Reader, "mapping", noting)
    for path in PLAYABLE:
        scenario, errors = loader.load_text(path.read_bytes(), str(path))
        assert errors == [], errors
    assert not unknown, f"the loader reads mappings this test does not place in the schema: {sorted(unknown)}"
    return seen


def test_every_key_the_loader_reads_is_in_the_schema_with_a_description(monkeypatch):
    seen = _mappings_the_loader_reads(monkeypatch)
    assert set(seen) == {p for _, p in PLACES}, "every-key.yaml should use every kind of mapping"
    for place, (keys, required) in seen.items():
        node = _at(place)
        assert set(node["properties"]) == keys, place
        if required:
            assert set(node["required"]) == required, place
        for key in keys:
            described = node["properties"][key].get("description", "")
            assert len(described) > 10, f"{place}: '{key}' has no description for editors to show"
    line = SCHEMA["$defs"]["line"]  # lines are read by hand: a speaker, and `when`
    assert set(line["properties"]) == {"when"} and line["properties"]["when"]["description"]


def _nodes(node, path="#"):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _nodes(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, f"{path}/{i}")


def test_every_key_and_every_entry_has_a_description():
    for path, node in _nodes(SCHEMA):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}/properties/{key} has no description"
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            assert extra.get("description"), f"{path}/additionalProperties has no description"


def test_the_new_keys_are_described_in_the_format_documents_words():
    state = SCHEMA["$defs"]["state"]["properties"]
    assert "shuffled" in state["order"]["description"] and "fixed" in state["order"]["description"]
    assert "goto" in state["on_timeout"]["description"] and "rating" in state["on_timeout"]["description"]
    assert "own words" in SCHEMA["$defs"]["choice"]["properties"]["phrasings"]["description"]
    assert "say it first" in SCHEMA["properties"]["say_first"]["description"]
    assert "when" in state["narration"]["description"]


# -- every file that plays passes ----------------------------------------------------------
def _clean(data: bytes | str, path: str = "<text>") -> bool:
    """The file loads with nothing wrong in it: it plays, and its tests: section can run too
    (a mistake there keeps the tests from running but not the scenario from playing)."""
    loaded = loader.read_text(data, path)
    return loaded.scenario is not None and not loaded.test_errors


def _plays(path: Path) -> bool:
    return _clean(path.read_bytes(), str(path))


PLAYABLE = SHIPPED + VALID + sorted(p for p in FIXTURES.rglob("*.yaml") if p not in VALID and _plays(p))


@pytest.mark.parametrize("path", PLAYABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_file_that_plays_passes_the_schema(path: Path):
    assert _plays(path)
    assert schema_errors(read12(path.read_text(encoding="utf-8"))) == []


def test_the_shipped_and_valid_files_are_all_checked():
    assert set(SHIPPED) | set(VALID) <= set(PLAYABLE) and len(SHIPPED) >= 5 and len(VALID) >= 5
    assert FIXTURES / "schema" / "text-that-plays.yaml" in PLAYABLE


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_scenario_names_the_schema_in_its_header(path: Path):
    assert loader.SCHEMA_HEADER in path.read_text(encoding="utf-8").splitlines()[:3]


# A scenario with a marker at each place a text goes; one marker at a time is replaced by
# a value as an author might write it, the others by plain words.
CORPUS = """\
format: 1
id: corpus
title: <title>
summary: <summary>
tags:
  - <tag>
group:
  kind: <kind>
  stage: forming
  session: <session>
  setting: <setting>
content_notes:
  - <note>
objectives:
  - <objective>
reflection:
  - <reflection>
references:
  ref-a: <reference>
meters:
  trust:
    label: <label>
    start: 50
    help: <help>
members:
  dana:
    name: <name>
    about: <about>
cast:
  lee:
    name: <cast_name>
start: open
states:
  open:
    title: <state_title>
    narration: <narration>
    lines:
      - dana: <line>
      - lee: <cast_line>
    prompt: <prompt>
    time_limit: 30
    on_timeout:
      goto: done
      feedback: <timeout_feedback>
    choices:
      - text: <choice_text>
        rating: recommended
        feedback: <feedback>
        phrasings:
          - <phrasing>
        refs: [ref-a]
        goto: done
  done:
    narration:
      - when: turn > 0
        text: <version_text>
      - text: Plain words
    ending:
      outcome: strong
      title: <ending_title>
      debrief: <debrief>
tests:
  - name: <test_name>
    choose: [1]
    expect: {ending: done}
"""
PLACES_OF_TEXT = re.findall(r"<(\w+)>", CORPUS)
MAY_BE_EMPTY = {"session", "setting", "help", "about", "state_title", "narration", "version_text", "debrief"}
WRITTEN = [
    "911",
    "-7",
    "+8",
    "0",
    "1.5",
    "1e3",
    "0x1F",
    "0o17",
    ".inf",
    "yes",
    "No",
    "off",
    "On",
    "y",
    "true",
    "False",
    "2024-05-01",
    "2001-12-14t21:59:43.10-05:00",
    "12:30",
    "1:30:00",
    '"911"',
    "'yes'",
    "Plain words",
    "",
    '""',
    "'   '",
]
# `null` and `~` play as those words where a text must not be empty, but an editor reads
# them as nothing at all, which the schema cannot tell from a missing text; they are
# checked only where a text may be empty.
NOTHING = ["null", "~", "Null"]


def _corpus(place: str, value: str) -> str:
    return re.sub(r"<(\w+)>", lambda m: value if m.group(1) == place else "Plain words", CORPUS)


@pytest.mark.parametrize("place", PLACES_OF_TEXT)
def test_the_schema_accepts_exactly_the_texts_the_loader_plays(place):
    disagree = []
    for value in WRITTEN + (NOTHING if place in MAY_BE_EMPTY else []):
        text = _corpus(place, value)
        plays = _clean(text)
        errors = schema_errors(read12(text))
        if plays == bool(errors):
            disagree.append(f"{place}: {value!r} {'plays' if plays else 'does not play'}, schema says {errors or 'ok'}")
    assert not disagree, "\n".join(disagree)


def test_text_that_plays_is_text_to_the_schema_too():
    # The cases of the issue: a member who says a number, or "No".
    for line in ("911", "No", "yes", "2024-05-01", "true"):
        text = _corpus("line", line)
        assert loader.load_text(text)[0] is not None
        assert schema_errors(read12(text)) == [], line
    assert "911" in _corpus("line", "911") and "- dana: 911" in _corpus("line", "911")


WHOLE = ["5", "+5", '"5"', "05", "-5", "five", "601", "4", "5 minutes"]
# Not expressible in JSON Schema, so left out: a whole number written as 5.0 or 0x5 (an
# editor reads the number 5; the loader wants digits), and an out-of-range number in
# quotes ("601": a text to the schema, whose ranges apply to numbers).


def _with_minutes(text: str, v: str) -> str:
    return text.replace("group:\n", f"minutes: {v}\ngroup:\n", 1)


def _with_time_limit(text: str, v: str) -> str:
    return text.replace("time_limit: 30", f"time_limit: {v}", 1)


def _with_trust(text: str, v: str) -> str:
    return text.replace("    name: Plain words\n    about", f"    name: Plain words\n    trust: {v}\n    about", 1)


@pytest.mark.parametrize("put", [_with_minutes, _with_time_limit, _with_trust], ids=lambda f: f.__name__)
def test_the_schema_accepts_exactly_the_whole_numbers_the_loader_plays(put):
    base = _corpus("", "")
    for value in WHOLE:
        text = put(base, value)
        assert text != base
        plays = _clean(text)
        errors = schema_errors(read12(text))
        assert plays != bool(errors), f"{value!r} {'plays' if plays else 'does not play'}; schema: {errors}"


TINY = read12((FIXTURES / "valid" / "tiny.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "defect",
    [
        lambda d: d.pop("start"),
        lambda d: d.update(format=2),
        lambda d: d["states"]["opening"].update(ending={"outcome": "strong", "title": "x"}),
        lambda d: d["states"]["opening"]["choices"][0].update(rating="great"),
        lambda d: d["states"]["opening"]["choices"][0].update(naration="x"),
        lambda d: d["states"]["opening"]["lines"].append({"ana": "x", "bo": "y"}),
        lambda d: d["states"]["opening"]["lines"].append({"when": "named"}),
        lambda d: d["states"]["opening"]["lines"].append({"ana": ["a list"]}),
        lambda d: d["states"]["good-end"].update(order="fixed"),
        lambda d: d["states"]["opening"].update(time_limit=3),
        lambda d: d["states"]["opening"].update(on_timeout={"rating": "risky"}),
        lambda d: d["states"]["opening"].update(on_timeout={"goto": "silence", "feedback": ""}),
        lambda d: d["states"]["opening"]["choices"][0]["effects"].update(trust="%+0"),
        lambda d: d["states"]["opening"]["choices"][0].update(phrasings=[["nested"]]),
        lambda d: d["states"]["route"]["next"][1].update(chance=100),
        lambda d: d["states"]["good-end"]["ending"].update(title=[{"when": "named", "text": "x"}]),
        lambda d: d["states"]["opening"].update(prompt=""),
        lambda d: d.update(say_first="yes"),
        lambda d: d["tests"][1].update(seed=1),
    ],
)
def test_schema_rejects_what_the_loader_rejects(defect):
    data = json.loads(json.dumps(TINY))
    defect(data)
    assert schema_errors(data)


# -- the header ----------------------------------------------------------------------
def editor_target(text: str, folder: Path) -> Path | None:
    """Where yaml-language-server looks for the schema of a file in `folder` with this
    text: the first comment line `# yaml-language-server: ...`, its `$schema=VALUE`; a
    `file:` URI as it is, a relative path from the file's folder. (Written here from its
    documented behaviour, apart from simulator.schema, so the two check each other.)"""
    for line in text.removeprefix("\ufeff").splitlines():
        if re.match(r"^#\s+(?:yaml-language-server\s*:|\$schema:)", line.lstrip()):
            found = re.search(r"\$schema(?:=|:\s*)(\S+)", line)
            if found:
                value = found.group(1)
                if value.startswith("file:"):
                    return Path(url2pathname(unquote(urlparse(value).path)))
                return Path(os.path.normpath(folder.absolute() / value))
    return None


def test_the_header_inside_the_checkout_is_the_shipped_relative_one():
    from simulator.schema import header_for

    assert header_for(ROOT / "scenarios") == loader.SCHEMA_HEADER
    assert (
        header_for(FIXTURES / "valid")
        == "# yaml-language-server: $schema=../../../simulator/schema/scenario.schema.json"
    )


def test_a_file_in_any_groupsim_source_tree_points_to_that_trees_schema(tmp_path):
    # As in a checkout where groupsim was installed with `pip install .`, not in place.
    from simulator.schema import header_for

    tree = tmp_path / "groupsim-copy"
    (tree / "simulator" / "schema").mkdir(parents=True)
    (tree / "simulator" / "schema" / "scenario.schema.json").write_text(SCHEMA_TEXT, encoding="utf-8")
    (tree / "pyproject.toml").write_text("[project]\nname = 'groupsim'\n", encoding="utf-8")
    (tree / "scenarios" / "drafts").mkdir(parents=True)
    header = header_for(tree / "scenarios" / "drafts")
    assert header == "# yaml-language-server: $schema=../../simulator/schema/scenario.schema.json"
    assert (
        editor_target(header, tree / "scenarios" / "drafts") == tree / "simulator" / "schema" / "scenario.schema.json"
    )


@pytest.mark.parametrize("folder", ["plain", "with space", "ü-ñ#hash"])
def test_the_header_outside_the_checkout_resolves_from_the_files_folder(tmp_path, folder):
    from simulator.schema import header_for

    where = tmp_path / folder / "deeper"
    where.mkdir(parents=True)
    header = header_for(where)
    assert header is not None and " " not in header.removeprefix("# ")[len("yaml-language-server: ") :]
    target = editor_target(header + "\n", where)
    assert target is not None and target.is_file()
    assert target.read_text(encoding="utf-8") == SCHEMA_TEXT
    # Moved elsewhere on this computer, the file still finds it.
    assert editor_target(header + "\n", tmp_path) == target


def _with_old_header(body: str) -> str:
    return "# yaml-language-server: $schema=../simulator/schema/scenario.schema.json\n" + body


BODY = "# my notes\nformat: 1   # keep this comment\n\nid: x\ntitle:   spaced   out\n"


def test_schema_header_updates_the_line_and_nothing_else(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(_with_old_header(BODY), encoding="utf-8")
    assert main(["schema", "--header", str(path)]) == 0
    out = capsys.readouterr().out
    assert "header updated" in out and "does not exist" in out
    text = path.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert rest == BODY
    assert editor_target(text, tmp_path).read_text(encoding="utf-8") == SCHEMA_TEXT


def test_schema_header_adds_the_line_and_keeps_crlf_and_bom(tmp_path, capsys):
    path = tmp_path / "windows.yaml"
    original = "\ufeff# notes\r\nformat: 1\r\nid: x\r\n".encode()
    path.write_bytes(original)
    assert main(["schema", "--header", str(path)]) == 0
    assert "header added" in capsys.readouterr().out
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# yaml-language-server: $schema=file:")
    header_end = data.index(b"\r\n") + 2
    assert b"\xef\xbb\xbf" + data[header_end:] == original
    assert editor_target(data.decode("utf-8"), tmp_path).is_file()


def test_schema_header_twice_changes_nothing_the_second_time(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text(BODY, encoding="utf-8")
    assert main(["schema", "--header", str(path)]) == 0
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    assert main(["schema", "--header", str(tmp_path)]) == 0
    assert "already points to the schema" in capsys.readouterr().out
    assert path.read_bytes() == first and path.stat().st_mtime_ns == mtime


def test_schema_header_in_a_folder_does_each_scenario(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    for name in ("a.yaml", "sub/b.yml"):
        (tmp_path / name).write_text(BODY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    assert main(["schema", "--header", str(tmp_path)]) == 0
    for name in ("a.yaml", "sub/b.yml"):
        path = tmp_path / name
        assert editor_target(path.read_text(encoding="utf-8"), path.parent).read_text(encoding="utf-8") == SCHEMA_TEXT
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a scenario"


def test_schema_header_problems_are_messages_and_leave_files_alone(tmp_path, capsys):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"title: caf\xe9\n")
    fine = tmp_path / "fine.yaml"
    fine.write_text(BODY, encoding="utf-8")
    assert main(["schema", "--header", str(latin), str(tmp_path / "missing.yaml"), str(fine)]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "no such file" in err and "Traceback" not in err
    assert latin.read_bytes() == b"title: caf\xe9\n"
    assert fine.read_text(encoding="utf-8").endswith(BODY)  # the others are still done


def test_schema_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA


# -- an installed copy ----------------------------------------------------------------
@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """groupsim built as a wheel and installed into a virtual environment of its own,
    as `pip install .` does. Its dependencies are lent from this environment (added to
    the end of its path) so that nothing large is downloaded; building the wheel needs
    hatchling, which pip fetches from PyPI unless it is installed here."""
    import importlib.util

    base = tmp_path_factory.mktemp("installed")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(ROOT)]
    if importlib.util.find_spec("hatchling"):
        build.insert(5, "--no-build-isolation")
    done = subprocess.run(build, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        message = "needs to build a wheel (pip wheel .), which needs hatchling from PyPI: " + done.stderr[-500:]
        if os.environ.get("GROUPSIM_REQUIRE_TOOLS") or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    (wheel,) = (base / "dist").glob("groupsim-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        timeout=300,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lent = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "zz_lent_dependencies.pth").write_text("\n".join(lent) + "\n", encoding="utf-8")
    return venv


def _groupsim(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = venv / ("Scripts/groupsim.exe" if os.name == "nt" else "bin/groupsim")
    return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_new_in_an_installed_copy_writes_a_header_that_resolves(installed, tmp_path):
    out = tmp_path / "my scenarios"
    out.mkdir()
    done = _groupsim(installed, "new", "late-arrival", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (out / "late-arrival.yaml").read_text(encoding="utf-8")
    target = editor_target(text, out)
    assert target is not None and target.is_file(), text.splitlines()[0]
    # It is the installed copy's schema, not this checkout's.
    assert target.resolve().is_relative_to(installed.resolve()), target
    assert target.read_text(encoding="utf-8") == SCHEMA_TEXT
    shutil.move(out / "late-arrival.yaml", tmp_path / "moved.yaml")
    assert editor_target((tmp_path / "moved.yaml").read_text(encoding="utf-8"), tmp_path) == target


def test_schema_header_in_an_installed_copy_mends_the_repositorys_header(installed, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(_with_old_header(BODY), encoding="utf-8")
    assert editor_target(path.read_text(encoding="utf-8"), tmp_path).exists() is False
    done = _groupsim(installed, "schema", "--header", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = path.read_text(encoding="utf-8")
    target = editor_target(text, tmp_path)
    assert target.is_file() and target.resolve().is_relative_to(installed.resolve())
    assert text.split("\n", 1)[1] == BODY
