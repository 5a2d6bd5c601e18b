"""pytest collection of the checks in scenarios' `tests:` sections.

Each scenario test becomes one pytest item (a file that does not load becomes one
failing item), run by the same code as `groupsim test`. It is switched on by a
`conftest.py` in a folder of scenarios, which imports the hook:

    from simulator.authoring.pytest_plugin import pytest_collect_file  # noqa: F401

(see scenarios/conftest.py for why it is a conftest and not an installed plugin).
Only the YAML files under that folder are collected; importing this module costs
nothing until a file is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUFFIXES = (".yaml", ".yml")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in SUFFIXES:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFailed(Exception):
    """A scenario test did not hold; carries the lines to show."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class ScenarioFile(pytest.File):
    """A scenario file: one item per test in its `tests:` section."""

    def collect(self) -> Iterator[pytest.Item]:
        from simulator.authoring.library import load_file
        from simulator.authoring.scenario_tests import Shared

        found = load_file(self.path)
        if found.scenario is None:
            yield LoadItem.from_parent(self, name="loads", errors=[str(d) for d in found.errors])
            return
        if found.test_errors:
            yield LoadItem.from_parent(
                self,
                name="tests section",
                errors=[str(d) for d in found.test_errors],
                headline="the scenario's tests: section has mistakes, so those tests cannot run:",
            )
        shared = Shared(found.scenario)
        taken: dict[str, int] = {}
        for i, test in enumerate(found.scenario.tests, 1):
            name = test.name
            taken[name] = taken.get(name, 0) + 1
            if taken[name] > 1:  # pytest needs unique ids; say which one it is
                name = f"{name} (#{taken[name]})"
            yield ScenarioTestItem.from_parent(self, name=name, shared=shared, index=i)


class ScenarioTestItem(pytest.Item):
    """One test of a scenario."""

    def __init__(self, *, shared: Any, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shared = shared
        self.index = index
        self.test = shared.scenario.tests[index - 1]

    def runtest(self) -> None:
        from simulator.authoring.scenario_tests import describe, run_test

        result = run_test(self.shared.scenario, self.test, self.index, self.shared)
        if not result.passed:
            raise ScenarioFailed(describe(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            where = f"{self.path}:{self.test.pos.line}" if self.test.pos.line else str(self.path)
            return "\n".join(
                [f"scenario test failed: {self.test.name}  ({where})", *("  " + x for x in excinfo.value.lines)]
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.test.pos.line - 1) if self.test.pos.line else None, f"scenario test: {self.name}"


class LoadItem(pytest.Item):
    """Stands for a scenario file that does not load, or whose `tests:` section has
    mistakes, so that it fails visibly."""

    def __init__(self, *, errors: list[str], headline: str = "the scenario does not load:", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors = errors
        self.headline = headline

    def runtest(self) -> None:
        raise ScenarioFailed(self.errors)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return "\n".join([self.headline, *("  " + x for x in excinfo.value.lines)])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, "scenario loads"
