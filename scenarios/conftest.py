"""Lets `pytest scenarios/` run every scenario's own `tests:` section, one pytest
item per test (the same checks as `groupsim test scenarios/`).

Why a conftest here and not a `pytest11` entry point: a conftest is loaded only when
pytest collects in this folder, so the project's own run (`testpaths = ["tests"]`)
never loads it or collects YAML, other projects that install groupsim are not
touched, and it works in a checkout without reinstalling. To test a folder of your
own scenarios the same way, put a conftest.py there with this one import.
"""

from simulator.authoring.pytest_plugin import pytest_collect_file  # noqa: F401
