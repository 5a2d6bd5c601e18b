"""Shared fixtures. (Test files compute their own paths from __file__: under
--import-mode=importlib a conftest cannot be imported as a module.)"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def tiny():
    """The small fixture scenario that uses every feature of the format."""
    from simulator.authoring.loader import load

    return load(FIXTURES / "valid" / "tiny.yaml")


def _tool(path: str | None, what: str, how: str) -> str:
    """`path` if the outside program is there; else skip, or fail where CI installed it
    (`.ci/run` sets GROUPSIM_REQUIRE_TOOLS=1 once it has), so that a check never goes
    missing unnoticed."""
    import os

    if path and os.path.exists(path):
        return path
    message = f"needs {what} ({how})"
    if os.environ.get("GROUPSIM_REQUIRE_TOOLS"):
        pytest.fail(message + "; .ci/run installed it, so its absence is a failure")
    pytest.skip(message)


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium, for tests that open the served pages in a real browser."""
    return _tool("/usr/bin/chromium", "Chromium at /usr/bin/chromium", "apt-get install chromium")


@pytest.fixture
def graphviz_dot() -> str:
    """Graphviz's `dot`, for tests that render `groupsim graph` output."""
    import shutil

    return _tool(shutil.which("dot"), "Graphviz's dot on PATH", "apt-get install graphviz")
