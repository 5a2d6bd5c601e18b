"""The play layer: a run of a scenario as every front end plays it, with no front end in it.

Headless (standard library and the engine only: no Textual, no SQLite, no YAML). It
holds what practice and assessment allow (`settings`), the run and who is told about
it (`run`), the debrief and its exports (`debrief`, `export`) and the `--watch` replay
(`replay`). The full-screen app, the records and any further front end use it; nothing
here knows which front end is running.
"""
