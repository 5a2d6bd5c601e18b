"""Session records: the SQLite store, the recorder that writes runs as they are played, and the
queries behind `groupsim report` and `groupsim review`.

Knows the engine's types, not the TUI's: a UI hands its `Session` and `Step`s to
a `RunRecorder` (`on_step`, `on_rewind`, `on_finish`, `on_reflections`, `on_export`,
`on_abandon`). Commands that only read open the store with `Store.open(db, read_only=True)`.
"""

from simulator.records.recorder import Origin, Recorder, RunInfo, RunRecorder
from simulator.records.store import (
    DatabaseDamaged,
    NoRecordsYet,
    RecordsError,
    ScenarioChanged,
    Store,
    default_path,
    resolve_path,
)

__all__ = [
    "DatabaseDamaged",
    "NoRecordsYet",
    "Origin",
    "Recorder",
    "RecordsError",
    "RunInfo",
    "RunRecorder",
    "ScenarioChanged",
    "Store",
    "default_path",
    "resolve_path",
]
