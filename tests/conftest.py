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
