"""The records database: where it lives, how it is opened, and its schema.

SQLite from the standard library. The file is created owner-only (0600) before
SQLite opens it; the default folder (the user's data directory) is created 0700 by
any command that writes there. SQLite gives its -wal and -shm files the same
permissions as the database file. The journal is WAL, so readers never block the
writer; every write runs in `BEGIN IMMEDIATE` with a busy timeout and, past that, a
retry with backoff, so twenty trainees on one database wait their turn instead of
seeing "database is locked".

Opening never changes a file that is not a groupsim records database: what the file
holds is looked at first, without a connection that could write (`_inspect`), and
only a file that is empty or ours is switched to WAL and given the schema. A writer
then runs SQLite's `quick_check` and refuses a damaged file, so nothing is ever
written into one. Readers (`report`, `review`, `records where`) open with
`Store.open(..., read_only=True)`: SQLite's `mode=ro`, or `immutable=1` for a copy
whose folder cannot be written (see `_connect_reader`), so an archived read-only copy
can be reported on and nothing a reader does changes the file.

The schema carries its version in `schema_version`; `MIGRATIONS` maps each
version to the function that brings the previous one up to it. To add version 4,
write `def _v4(conn)` and add `4: _v4` — a writer moves every database forward on
open. A reader leaves the file as it is: an older one is read through a migrated
copy in memory.
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

ENV_VAR = "GROUPSIM_DB"
FILE_NAME = "records.sqlite3"
BUSY_TIMEOUT_MS = 5_000
"""How long SQLite itself waits for a lock on each attempt."""
RETRY_FOR_S = 60.0
"""How long a write keeps retrying, in all, before it gives up with a clear message."""
SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""

T = TypeVar("T")


class RecordsError(Exception):
    """A problem with the records database, worded for the person at the keyboard."""


class ScenarioChanged(RecordsError):
    """A run is being resumed on a scenario file whose content changed since it started."""


class NoRecordsYet(RecordsError):
    """A command that only reads found no database yet, or an empty file."""


class DatabaseDamaged(RecordsError):
    """The records database failed SQLite's integrity check (or a read found it malformed)."""


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


def is_default(path: Path) -> bool:
    """Whether `path` is the default database, however it was named (--db, $GROUPSIM_DB, or nothing)."""
    return path.expanduser().absolute() == default_path().absolute()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _create_file(path: Path) -> None:
    """Create an empty owner-only database file, and the default folder (0700) when that is where it goes."""
    folder = path.parent
    if not folder.is_dir():
        if not is_default(path):
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


def _uri(path: Path, *params: str) -> str:
    return f"{path.absolute().as_uri()}?{'&'.join(params)}"


def _wal_has_data(path: Path) -> bool:
    """Whether the database's -wal file holds anything: recent commits not yet copied into the file itself."""
    try:
        return os.path.getsize(f"{path}-wal") > 0
    except OSError:
        return False


def _cannot_read_wal(path: Path) -> str:
    return (
        f"cannot read the records database {path}: its newest records are in {path.name}-wal, and reading "
        f"them needs {path.name}-shm beside it, which this account may not create in {path.parent}. "
        "Copy the database together with its -wal file into a folder you can write, and read the copy"
    )


def not_a_records_database(path: Path, why: str) -> str:
    return f"{path} is not a readable groupsim records database ({why}); move it aside or choose another with --db"


def damaged_message(path: Path, found: str) -> str:
    """What is wrong with a damaged database and what to do, for the person at the keyboard."""
    full = path.absolute()
    return (
        f"the records database {path} is damaged (SQLite's check found: {found}). groupsim will not use it, "
        "so nothing more is written into it. To go on: keep the damaged file as it is; put back a copy of "
        f"{full.name} from your backups of {full.parent} (groupsim keeps none of its own), or start a new "
        f"database with --db NEW-FILE (or GROUPSIM_DB=NEW-FILE); `sqlite3 {path} .recover` can rescue what "
        "is still readable into a new file"
    )


def _message(exc: BaseException) -> str:
    """SQLite's words for an error, without Python's decoration."""
    return str(exc) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class _Found:
    """What a database file holds, as seen without a connection that could write to it."""

    empty: bool
    """No tables at all (a zero-byte file, or an SQLite file with nothing in it yet)."""
    ours: bool
    """It has groupsim's `schema_version` table."""
    version: int
    """Its schema version (0 when not ours)."""


def _inspect(path: Path) -> _Found:
    """What the file at `path` holds, read so that nothing of it can change.

    With no -wal file beside it, everything committed is in the file itself, and it is
    read `immutable` (no locks, no -wal or -shm made). With one, another connection may
    be writing: it is read `mode=ro`, which sees the -wal's commits and never
    checkpoints. (A foreign file is thus refused without being touched.)

    Raises:
        RecordsError: it is not an SQLite database, or cannot be read.
    """
    busy_s = BUSY_TIMEOUT_MS / 1000
    if not os.path.exists(f"{path}-wal"):
        try:
            with open(path, "rb") as f:
                head = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise RecordsError(f"cannot read the records database {path}: {exc.strerror or exc}") from None
        if not head:
            return _Found(empty=True, ours=False, version=0)
        if head != SQLITE_HEADER:
            raise RecordsError(not_a_records_database(path, "it is not an SQLite database"))
        try:
            return _read_schema(sqlite3.connect(_uri(path, "mode=ro", "immutable=1"), uri=True, timeout=busy_s))
        except sqlite3.DatabaseError:
            pass  # a writer may have started meanwhile: look again the careful way
    try:
        conn = sqlite3.connect(_uri(path, "mode=ro"), uri=True, timeout=busy_s)
    except sqlite3.Error as exc:
        raise RecordsError(f"cannot open the records database {path}: {_message(exc)}") from None
    try:
        return _read_schema(conn)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            raise  # for `_retry`
        if "unable to open" in _message(exc) and _wal_has_data(path):
            raise RecordsError(_cannot_read_wal(path)) from None
        raise RecordsError(_explain(path, exc)) from None


def _read_schema(conn: sqlite3.Connection) -> _Found:
    """Read the tables and the schema version; closes `conn`."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = 0
        if "schema_version" in tables:
            version = int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
        return _Found(empty=not tables, ours="schema_version" in tables, version=version)
    finally:
        conn.close()


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = _message(exc)
    if "malformed" in text or "corrupt" in text:
        return damaged_message(path, text)
    if "not a database" in text or "encrypted" in text:
        return not_a_records_database(path, text)
    if "readonly" in text or "read-only" in text:
        return f"cannot write to the records database {path}: it is read-only"
    if "unable to open" in text:
        return f"cannot open the records database {path} ({text}); check that you may read it and its folder"
    return f"the records database {path} could not be used ({text})"


def _refuse_unless_ours(path: Path, found: _Found) -> None:
    if not found.empty and not found.ours:
        raise RecordsError(
            f"{path} is an SQLite database but not a groupsim records database; it was left as it is. "
            "Choose another file with --db"
        )
    if found.version > latest_version():
        raise RecordsError(
            f"the records database {path} is at schema version {found.version}, written by a newer groupsim "
            f"(this one knows up to {latest_version()}); upgrade groupsim to open it"
        )


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


def _v3(conn: sqlite3.Connection) -> None:
    # Where a run was started: the computer's name and the operating-system account, so
    # that `groupsim play` on a shared database offers a trainee only the runs they left.
    # Runs recorded before this are NULL in both (see `Recorder.unfinished_runs`).
    conn.execute("ALTER TABLE runs ADD COLUMN host TEXT")
    conn.execute("ALTER TABLE runs ADD COLUMN account TEXT")


def _v4(conn: sqlite3.Connection) -> None:
    # Say it first: the trainee's own words before each decision, and whether the run
    # asked for them. Time accommodations: the one in force (none, 1.5x, 2x, off). The
    # clock of a timed decision under way, so a run resumed after a crash keeps the time
    # that was left: seconds left, and the decision (turn) it belongs to.
    conn.execute("ALTER TABLE steps ADD COLUMN said TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE runs ADD COLUMN say_first INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE runs ADD COLUMN accommodation TEXT NOT NULL DEFAULT 'none'")
    conn.execute("ALTER TABLE runs ADD COLUMN clock_left INTEGER")
    conn.execute("ALTER TABLE runs ADD COLUMN clock_turn INTEGER")


def _v5(conn: sqlite3.Connection) -> None:
    # Time accommodations a supervisor grants a trainee once (`groupsim records accommodate`),
    # applied to every later run of theirs: one row per trainee, the name as the supervisor
    # wrote it. Names are matched as the report's --trainee matches them (whole, in any case
    # and spacing), in Python: see `records/accommodations.py`. No grant: no row.
    _script(
        conn,
        """
        CREATE TABLE accommodations (
            trainee    TEXT PRIMARY KEY,
            time       TEXT NOT NULL CHECK (time IN ('1.5x', '2x', 'off')),
            granted_at TEXT NOT NULL
        );
        """,
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5}
"""Version -> the function that brings a database from the version before up to it."""


def latest_version() -> int:
    return max(MIGRATIONS)


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the store -------------------------------------------------------------------

CLEAR_ATTEMPT_MS = 250
"""How long one attempt to clear the -wal file waits for readers before trying again."""


class Store:
    """One open connection to the records database.

    Use `Store.open(db)` to record, `Store.open(db, read_only=True)` to read. Writes go
    through `write(fn)`, which runs `fn(conn)` in one immediate transaction and retries
    while another process holds the lock. Safe to share between threads (calls are
    serialised).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, *, read_only: bool = False, file_version: int = 0) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only
        """Opened by a command that only reads: nothing can be written through it."""
        self.file_version = file_version
        """The schema version of the file itself (a reader does not migrate it; `version` is what it reads)."""
        self.damaged: str | None = None
        """Why the file is taken for damaged, once a read or write found it so: no more writes are tried."""
        self._lock = threading.RLock()

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None = None, *, create: bool = True, read_only: bool = False) -> Store:
        """Open the database and check it; a writer (not `read_only`) creates it if `create` and migrates it.

        A file that is not a groupsim records database is refused without being
        changed in any way; one that fails SQLite's `quick_check` is refused with what
        to do. A reader never writes: an empty file holds no records yet, and an older
        schema is read through a migrated copy in memory.

        Raises:
            RecordsError: it cannot be created or opened, is not a groupsim records
                database, is damaged (`DatabaseDamaged`), or was written by a newer groupsim.
        """
        path = resolve_path(db)
        if path.is_dir():
            raise RecordsError(f"{path} is a folder, not a records database; give a file path with --db")
        if not path.exists():
            if read_only or not create:
                raise NoRecordsYet(
                    f"no runs are recorded yet: there is no records database at {path} "
                    "(it is made when a trainee first plays)"
                )
            _create_file(path)
        elif not path.is_file():
            raise RecordsError(
                f"{path} is not a regular file, so it cannot be a records database; choose another with --db"
            )
        if read_only:
            return cls._open_reader(path)
        if not os.access(path, os.R_OK | os.W_OK):
            raise RecordsError(
                f"cannot record into {path}: this account may not write to it "
                "(a read-only copy can still be read by `groupsim report` and `groupsim review`)"
            )
        found = _retry(path, lambda: _inspect(path))
        _refuse_unless_ours(path, found)
        if found.empty and not create:
            raise NoRecordsYet(f"no runs are recorded yet: the records database {path} is empty")
        if not found.empty:  # before a connection that could write: a damaged file is never written into
            _check(path)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise RecordsError(f"cannot open the records database {path}: {_message(exc)}") from None
        store = cls(path, conn, file_version=found.version)
        try:
            store._setup()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def _open_reader(cls, path: Path) -> Store:
        found = _retry(path, lambda: _inspect(path))
        if found.empty:
            raise NoRecordsYet(f"no runs are recorded yet: the records database {path} is empty")
        _refuse_unless_ours(path, found)
        _check(path)
        conn = _connect_reader(path)
        store = cls(path, conn, read_only=True, file_version=found.version)
        try:
            if found.version < latest_version():
                store.conn = _migrated_copy(path, conn)
                conn.close()
        except BaseException:
            store.conn.close()
            raise
        return store

    def _setup(self) -> None:
        def first() -> None:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

        def wal() -> None:
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RecordsError(
                    f"the records database {self.path} cannot use WAL mode (it reports '{mode}'); is it on a network drive?"
                )

        try:
            self._retry(first)
            self._retry(wal)
            self.conn.execute("PRAGMA foreign_keys = ON")
            # A decision is worth an fsync: FULL makes each committed step survive a power cut too.
            self.conn.execute("PRAGMA synchronous = FULL")
            self.write(self._migrate)
        except sqlite3.DatabaseError as exc:
            raise RecordsError(self._explain(exc)) from None

    def _explain(self, exc: sqlite3.Error) -> str:
        text = _explain(self.path, exc)
        if "malformed" in _message(exc) or "corrupt" in _message(exc):
            self.damaged = text
        return text

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # Looked at again inside the transaction: another process may have made the schema meanwhile.
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
        _migrate_from(conn, current)
        self.file_version = latest_version()

    @property
    def version(self) -> int:
        return int(self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # -- transactions --------------------------------------------------------------
    def _retry(self, fn: Callable[[], T]) -> T:
        return _retry(self.path, fn)

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one immediate transaction, retrying while the database is busy.

        Raises:
            RecordsError: it cannot be written; nothing is tried on a store opened
                `read_only` or found damaged.
        """
        if self.read_only:
            raise RecordsError(f"the records database {self.path} was opened only to read; nothing was written")
        if self.damaged is not None:
            raise DatabaseDamaged(self.damaged)

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
                raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> RecordsError:
        text = self._explain(exc)
        return DatabaseDamaged(text) if self.damaged is not None else RecordsError(text)

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
                raise self._error(exc) from None

    def meta(self, key: str) -> str | None:
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def clear_freed(self, wait_s: float, *, clock: Callable[[], float] = time.monotonic) -> bool:
        """Copy every commit into the file and empty the -wal file, so deleted text is nowhere on disk.

        Deleting with `secure_delete` overwrites the freed space, but in the -wal file
        first: the file itself keeps the old pages, and the -wal older copies of them,
        until a checkpoint copies everything over and the -wal is emptied. That needs a
        moment when no other connection is reading; this tries again for `wait_s`
        seconds. Returns whether it succeeded.
        """
        if self.read_only:
            return False
        deadline = clock() + wait_s
        with self._lock:
            try:
                self.conn.execute(f"PRAGMA busy_timeout = {CLEAR_ATTEMPT_MS}")
                while True:
                    try:
                        busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    except sqlite3.OperationalError as exc:
                        if not _is_busy(exc):
                            raise
                        busy = 1
                    if busy == 0:
                        return True
                    if clock() >= deadline:
                        return False
                    time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _retry(path: Path, fn: Callable[[], T]) -> T:
    """`fn()`, tried again with backoff while another process holds the database's lock."""
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
                    f"the records database {path} stayed busy for {RETRY_FOR_S:.0f} seconds "
                    "(another groupsim is writing to it); nothing was lost so far — try again"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)


def _migrate_from(conn: sqlite3.Connection, current: int) -> None:
    for version in range(current + 1, latest_version() + 1):
        MIGRATIONS[version](conn)
        conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, _now()))


def _check(path: Path) -> None:
    """Run SQLite's `quick_check` on the file (a fraction of a second even for a large one), changing nothing.

    With no -wal file, everything is in the file itself and is read `immutable`, which
    makes no -wal or -shm. That verdict stands if the file did not change while it was
    read; otherwise (a writer started meanwhile), or when a -wal file exists, the check
    runs again through a `mode=ro` connection, which sees the -wal and takes SQLite's locks.

    Raises:
        DatabaseDamaged: it found a problem; the message says what to do.
    """

    def quick(*params: str) -> list[str]:
        conn = sqlite3.connect(_uri(path, *params), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise  # for `_retry`
            return [_message(exc)]
        finally:
            conn.close()

    found: list[str] | None = None
    if not os.path.exists(f"{path}-wal"):
        before = _stamp(path)
        found = quick("mode=ro", "immutable=1")
        if _stamp(path) != before or os.path.exists(f"{path}-wal"):
            found = None
    if found is None:
        try:
            found = _retry(path, lambda: quick("mode=ro"))
        except sqlite3.Error as exc:  # it could not even be opened to check
            raise RecordsError(_explain(path, exc)) from None
    if found != ["ok"]:
        raise DatabaseDamaged(damaged_message(path, "; ".join(found)))


def _stamp(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


def _connect_reader(path: Path) -> sqlite3.Connection:
    """A connection that cannot write to `path`.

    `mode=ro` reads what the -wal file holds too, but needs the -shm file beside it
    (SQLite makes it when the folder may be written). A copy in a folder this account
    may not write, with no -wal holding anything, is read `immutable`: that needs no
    -shm, and nothing can be writing it.
    """
    busy_s = BUSY_TIMEOUT_MS / 1000
    conn = sqlite3.connect(
        _uri(path, "mode=ro"), uri=True, timeout=busy_s, isolation_level=None, check_same_thread=False
    )
    try:
        _retry(path, lambda: conn.execute("SELECT COUNT(*) FROM schema_version").fetchone())
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if "unable to open" not in _message(exc) and "readonly" not in _message(exc):
            raise RecordsError(_explain(path, exc)) from None
        if _wal_has_data(path):
            raise RecordsError(_cannot_read_wal(path)) from None
    conn = sqlite3.connect(
        _uri(path, "mode=ro", "immutable=1"), uri=True, timeout=busy_s, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RecordsError(_explain(path, exc)) from None
    return conn


def _migrated_copy(path: Path, conn: sqlite3.Connection) -> sqlite3.Connection:
    """An in-memory copy of an older database brought up to the current schema, to read without changing the file."""
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(copy)
        copy.execute("BEGIN")
        current = int(copy.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
        _migrate_from(copy, current)
        copy.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        copy.close()
        raise RecordsError(_explain(path, exc)) from None
    return copy
