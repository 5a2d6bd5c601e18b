"""The records database: where it lives, how it is opened, and its schema.

SQLite from the standard library. The file is created owner-only (0600) before
SQLite opens it, in a folder created 0700; SQLite gives its -wal and -shm files
the same permissions as the database file. The journal is WAL, so readers never
block the writer; every write runs in `BEGIN IMMEDIATE` with a busy timeout and,
past that, a retry with backoff, so twenty trainees on one database wait their
turn instead of seeing "database is locked".

The schema carries its version in `schema_version`; `MIGRATIONS` maps each
version to the function that brings the previous one up to it. To add version 2,
write `def _v2(conn)` and add `2: _v2` — every database is moved forward on open.
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

ENV_VAR = "GROUPSIM_DB"
FILE_NAME = "records.sqlite3"
BUSY_TIMEOUT_MS = 5_000
"""How long SQLite itself waits for a lock on each attempt."""
RETRY_FOR_S = 60.0
"""How long a write keeps retrying, in all, before it gives up with a clear message."""

T = TypeVar("T")


class RecordsError(Exception):
    """A problem with the records database, worded for the person at the keyboard."""


class ScenarioChanged(RecordsError):
    """A run is being resumed on a scenario file whose content changed since it started."""


def default_path() -> Path:
    """The database in the user's data directory (e.g. ~/.local/share/groupsim)."""
    import platformdirs

    return platformdirs.user_data_path("groupsim", appauthor=False) / FILE_NAME


def resolve_path(db: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` if given, else `$GROUPSIM_DB` if set, else the default."""
    if db is not None and str(db) != "":
        return Path(db).expanduser()
    env = os.environ.get(ENV_VAR, "")
    if env:
        return Path(env).expanduser()
    return default_path()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _create_file(path: Path, *, default_dir: bool) -> None:
    """Create an empty owner-only database file (and, for the default place, its folder)."""
    folder = path.parent
    if not folder.is_dir():
        if not default_dir:
            what = "is not a folder" if folder.exists() else "does not exist"
            raise RecordsError(
                f"cannot create the records database {path}: {folder} {what}; "
                "create it first or choose another place with --db or GROUPSIM_DB"
            )
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
        except OSError as exc:
            raise RecordsError(
                f"cannot create the folder {folder} for the records database: {exc.strerror or exc}"
            ) from None
    try:
        # O_CREAT without O_EXCL: twenty processes creating it at once all succeed.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except IsADirectoryError:
        raise RecordsError(f"{path} is a folder, not a records database; give a file path with --db") from None
    except OSError as exc:
        raise RecordsError(f"cannot create the records database {path}: {exc.strerror or exc}") from None
    os.close(fd)


# -- schema ----------------------------------------------------------------------


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the current transaction.

    (`executescript` would commit first, and a migration must be all or nothing.)
    """
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            conn.execute(buf)
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {buf.strip()[:60]}")


def _v1(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE runs (
            id              INTEGER PRIMARY KEY,
            trainee         TEXT NOT NULL,
            scenario_id     TEXT NOT NULL,
            scenario_digest TEXT NOT NULL,   -- SHA-256 of the scenario file the run started on
            scenario_title  TEXT NOT NULL DEFAULT '',
            scenario_source TEXT NOT NULL DEFAULT '',  -- the path it was loaded from, to find it again
            mode            TEXT NOT NULL,
            seed            INTEGER NOT NULL,
            status          TEXT NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'finished', 'abandoned')),
            started_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            finished_at     TEXT,
            ending          TEXT,            -- the ending state's id
            ending_title    TEXT,
            outcome         TEXT,
            final_meters    TEXT,            -- JSON
            final_trust     TEXT,            -- JSON
            session_json    TEXT NOT NULL    -- the engine's state now: what resume restores
        );
        CREATE INDEX runs_trainee ON runs (trainee);
        CREATE INDEX runs_scenario ON runs (scenario_id, status);
        CREATE TABLE events (
            id          INTEGER PRIMARY KEY,
            run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL,    -- order within the run, shared with steps
            kind        TEXT NOT NULL,       -- 'rewound', 'resumed', 'resumed-on-changed-scenario'
            turn        INTEGER,             -- for 'rewound': the decisions kept
            detail      TEXT NOT NULL DEFAULT '{}',  -- JSON
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX events_run ON events (run_id, seq);
        CREATE TABLE steps (
            id              INTEGER PRIMARY KEY,
            run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            turn            INTEGER NOT NULL,
            scenario_digest TEXT NOT NULL,   -- the file version this decision was made on
            state           TEXT NOT NULL,
            choice          INTEGER,         -- the authored number; NULL when the time ran out
            rating          TEXT,
            choice_text     TEXT NOT NULL DEFAULT '',
            feedback        TEXT NOT NULL DEFAULT '',
            meters_before   TEXT NOT NULL,   -- JSON
            meters_after    TEXT NOT NULL,
            trust_before    TEXT NOT NULL,
            trust_after     TEXT NOT NULL,
            flags_set       TEXT NOT NULL DEFAULT '[]',
            flags_unset     TEXT NOT NULL DEFAULT '[]',
            route           TEXT NOT NULL DEFAULT '[]',
            response_ms     INTEGER,
            recorded_at     TEXT NOT NULL,
            session_json    TEXT NOT NULL,   -- the engine's whole state after this step
            undone_by       INTEGER REFERENCES events (id)  -- the rewind that took it back
        );
        CREATE INDEX steps_run ON steps (run_id, seq);
        CREATE INDEX steps_decision ON steps (state, choice);
        CREATE TABLE reflections (
            run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            prompt   TEXT NOT NULL,          -- 'reaction', 'plus', 'delta', ...
            text     TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (run_id, prompt)
        );
        -- One row per decision with everything a spreadsheet needs beside it.
        CREATE VIEW decisions AS
            SELECT s.run_id, r.trainee, r.scenario_id, s.scenario_digest, r.mode, r.seed,
                   s.seq, s.turn, s.state, s.choice, s.rating, s.choice_text,
                   s.meters_before, s.meters_after, s.trust_before, s.trust_after,
                   s.response_ms, s.recorded_at, s.undone_by IS NOT NULL AS undone
            FROM steps s JOIN runs r ON r.id = s.run_id;
        """,
    )
    # The key behind `--anonymise` pseudonyms: random per database, so a pseudonym
    # is stable within one database and means nothing outside it.
    conn.execute("INSERT INTO meta (key, value) VALUES ('pseudonym_key', ?)", (secrets.token_hex(32),))


def _v2(conn: sqlite3.Connection) -> None:
    # Whether time limits were in force: always in assessment, a choice in practice. A
    # resumed practice run needs it; runs recorded before it existed are taken as the
    # briefing's default (practice without limits).
    conn.execute("ALTER TABLE runs ADD COLUMN time_limits INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE runs SET time_limits = 1 WHERE mode = 'assessment'")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2}
"""Version -> the function that brings a database from the version before up to it."""


def latest_version() -> int:
    return max(MIGRATIONS)


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the store -------------------------------------------------------------------


class Store:
    """One open connection to the records database.

    Use `Store.open(db)`. Writes go through `write(fn)`, which runs `fn(conn)` in
    one immediate transaction and retries while another process holds the lock.
    Safe to share between threads (calls are serialised).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._lock = threading.RLock()

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open (and if `create`, create) the database and bring its schema up to date.

        Raises:
            RecordsError: it cannot be created or opened, is not a groupsim records
                database, or was written by a newer groupsim.
        """
        explicit = (db is not None and str(db) != "") or bool(os.environ.get(ENV_VAR))
        path = resolve_path(db)
        if path.is_dir():
            raise RecordsError(f"{path} is a folder, not a records database; give a file path with --db")
        if not path.exists():
            if not create:
                raise RecordsError(
                    f"there is no records database at {path} yet; runs are recorded there once a trainee plays"
                )
            _create_file(path, default_dir=not explicit)
        elif not path.is_file():
            raise RecordsError(
                f"{path} is not a regular file, so it cannot be a records database; choose another with --db"
            )
        elif not os.access(path, os.R_OK | os.W_OK):
            raise RecordsError(f"cannot open the records database {path}: permission denied")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise RecordsError(f"cannot open the records database {path}: {exc}") from None
        store = cls(path, conn)
        try:
            store._setup()
        except BaseException:
            conn.close()
            raise
        return store

    def _setup(self) -> None:
        def first() -> None:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RecordsError(
                    f"the records database {self.path} cannot use WAL mode (it reports '{mode}'); is it on a network drive?"
                )

        try:
            self._retry(first)
            self.conn.execute("PRAGMA foreign_keys = ON")
            # A decision is worth an fsync: FULL makes each committed step survive a power cut too.
            self.conn.execute("PRAGMA synchronous = FULL")
            self.write(self._migrate)
        except sqlite3.DatabaseError as exc:
            raise RecordsError(self._explain(exc)) from None

    def _explain(self, exc: sqlite3.Error) -> str:
        text = str(exc)
        if "not a database" in text or "malformed" in text or "encrypted" in text:
            return f"{self.path} is not a readable groupsim records database ({text}); move it aside or choose another with --db"
        if "readonly" in text or "read-only" in text:
            return f"cannot write to the records database {self.path}: it is read-only"
        return f"the records database {self.path} could not be used ({text})"

    def _migrate(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_version" not in tables:
            if tables:
                raise RecordsError(
                    f"{self.path} is an SQLite database but not a groupsim records database; choose another with --db"
                )
            conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            current = 0
        else:
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        if current > latest_version():
            raise RecordsError(
                f"the records database {self.path} is at schema version {current}, written by a newer groupsim "
                f"(this one knows up to {latest_version()}); upgrade groupsim to open it"
            )
        for version in range(current + 1, latest_version() + 1):
            MIGRATIONS[version](conn)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, _now()))

    @property
    def version(self) -> int:
        return int(self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # -- transactions --------------------------------------------------------------
    def _retry(self, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + RETRY_FOR_S
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise RecordsError(
                        f"the records database {self.path} stayed busy for {RETRY_FOR_S:.0f} seconds "
                        "(another groupsim is writing to it); nothing was lost so far — try again"
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one immediate transaction, retrying while the database is busy."""

        def attempt() -> T:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            conn.execute("COMMIT")
            return result

        with self._lock:
            try:
                return self._retry(attempt)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):  # pragma: no cover - _retry handles it
                    raise
                raise RecordsError(self._explain(exc)) from None

    def read(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows of one query, each a dict by column name."""

        def attempt() -> list[dict[str, Any]]:
            cur = self.conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

        with self._lock:
            try:
                return self._retry(attempt)
            except sqlite3.DatabaseError as exc:
                raise RecordsError(self._explain(exc)) from None

    def meta(self, key: str) -> str | None:
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
