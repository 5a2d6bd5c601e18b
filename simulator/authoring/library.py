"""Finding scenarios: the shipped library, a folder, a file, or an id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.authoring.diagnostics import Diagnostic, ScenarioError
from simulator.authoring.loader import read_text
from simulator.engine.model import Scenario

SUFFIXES = (".yaml", ".yml")


def library_dir() -> Path:
    """The shipped scenarios: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_library"
    if packaged.is_dir():
        return packaged
    return here.parent / "scenarios"


@dataclass(frozen=True, slots=True)
class Found:
    """One scenario file: loaded, or the errors that kept it from loading."""

    path: Path
    scenario: Scenario | None
    errors: tuple[Diagnostic, ...] = ()
    test_errors: tuple[Diagnostic, ...] = ()
    """Mistakes in the file's `tests:`: the scenario plays, but those tests cannot run."""

    @property
    def id(self) -> str:
        return self.scenario.id if self.scenario else self.path.stem


def load_file(path: Path) -> Found:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Found(
            path, None, (Diagnostic(str(path), 1, 1, "error", f"cannot read the file: {exc.strerror or exc}"),)
        )
    loaded = read_text(data, str(path))
    return Found(path, loaded.scenario, tuple(loaded.errors), tuple(loaded.test_errors))


def scan(folder: Path) -> list[Found]:
    """Every scenario file directly in `folder`, sorted by file name."""
    if not folder.is_dir():
        return []
    return [load_file(p) for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES and p.is_file()]


def resolve(target: str | None) -> list[Found]:
    """What `groupsim play TARGET` means: a file, a folder, or a shipped scenario's id.

    Raises:
        ScenarioError: nothing by that name (the message lists the shipped ids).
    """
    if target is None:
        return scan(library_dir())
    p = Path(target)
    if p.is_dir():
        return scan(p)
    if p.is_file():
        return [load_file(p)]
    for suffix in SUFFIXES:
        candidate = library_dir() / f"{target}{suffix}"
        if candidate.is_file():
            return [load_file(candidate)]
    ids = [f.id for f in scan(library_dir())]
    raise ScenarioError(
        [
            Diagnostic(
                target,
                1,
                1,
                "error",
                "no such file, folder or scenario id"
                + (f"; the shipped scenarios are: {', '.join(ids)}" if ids else ""),
            )
        ]
    )
