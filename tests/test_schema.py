"""The JSON Schema: valid Draft 2020-12, in step with the loader, and accepting every
shipped scenario and valid fixture under an independent validator (jsonschema)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from simulator.authoring import loader

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
VALID = sorted((ROOT / "tests" / "fixtures" / "valid").glob("*.yaml"))
SCHEMA = json.loads(files("simulator.schema").joinpath("scenario.schema.json").read_text())


class Yaml12Loader(yaml.SafeLoader):
    """Reads booleans as YAML 1.2 (and editors) do: only true/false, so 'yes' is a word."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_knows_the_same_keys_as_the_loader():
    assert set(SCHEMA["properties"]) == set(loader._Reader.TOP)
    assert set(SCHEMA["required"]) == set(loader._Reader.TOP_REQUIRED)
    assert set(SCHEMA["$defs"]["state"]["properties"]) == set(loader._Reader.STATE_KEYS)
    assert set(SCHEMA["$defs"]["choice"]["properties"]) == set(loader._Reader.CHOICE_KEYS)


@pytest.mark.parametrize("path", SHIPPED + VALID, ids=lambda p: p.name)
def test_scenario_passes_the_schema(path: Path):
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_scenario_names_the_schema_in_its_header(path: Path):
    assert loader.SCHEMA_HEADER in path.read_text(encoding="utf-8").splitlines()[:3]


@pytest.mark.parametrize(
    "defect",
    [
        lambda d: d.pop("start"),
        lambda d: d.update(format=2),
        lambda d: d["states"]["opening"].update(ending={"outcome": "strong", "title": "x"}),
        lambda d: d["states"]["opening"]["choices"][0].update(rating="great"),
        lambda d: d["states"]["opening"]["choices"][0].update(naration="x"),
    ],
)
def test_schema_rejects_what_the_loader_rejects(defect):
    data = yaml.load((ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml").read_text(), Loader=Yaml12Loader)
    defect(data)
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
