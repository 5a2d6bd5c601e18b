"""Validator warnings: each warnings fixture lists every warning it must produce, and no more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.authoring.validate import check_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WARN = sorted((FIXTURES / "warnings").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect-warning: (\d+):(\d+): (.*)$", re.M)


@pytest.mark.parametrize("path", WARN, ids=lambda p: p.name)
def test_warnings_fixture(path: Path):
    expected = [(int(a), int(b), msg) for a, b, msg in EXPECT.findall(path.read_text())]
    assert expected
    got = check_file(path)
    assert all(d.severity == "warning" for d in got)
    assert len(got) == len(expected), [str(d) for d in got]
    for (line, col, msg), d in zip(expected, got):
        assert (d.line, d.col) == (line, col) and msg in d.message, str(d)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixtures_are_clean(path: Path):
    assert check_file(path) == []
