"""Session records: the SQLite store, the recorder that writes runs as they are
played, and the queries behind `groupsim report` and `groupsim review`.

Knows the engine's types, not the TUI's: a UI hands its `Session` and `Step`s to
a `RunRecorder` (`on_step`, `on_rewind`, `on_finish`, `on_reflections`).
"""

from simulator.records.recorder import Recorder, RunInfo, RunRecorder
from simulator.records.store import RecordsError, ScenarioChanged, Store, default_path, resolve_path

__all__ = [
    "Recorder",
    "RecordsError",
    "RunInfo",
    "RunRecorder",
    "ScenarioChanged",
    "Store",
    "default_path",
    "resolve_path",
]
