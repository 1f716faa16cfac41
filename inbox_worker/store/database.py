"""Engine and session set-up, and bringing the schema up to date with Alembic.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys; PostgreSQL is used
as given. Migrations run on start-up when the schema is behind, under an advisory lock on
PostgreSQL so that several workers starting together do not race.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Arbitrary, fixed key for pg_advisory_lock around migrations.
MIGRATION_LOCK_KEY = 0x1B0C_0001
# Seconds an SQLite connection waits for a lock another process holds.
SQLITE_BUSY_TIMEOUT = 30.0
# Seconds a thread waits for its turn at SQLite's write lock (see `_WriterTurns`).
TURN_TIMEOUT = 60.0


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """The engine of ``url``. ``read_only``: for readers that must not hold up the worker
    (the console's pages, the ticket commands): on SQLite their transactions take no write
    lock (a plain BEGIN reads a snapshot of the WAL) and refuse to write; the schema must
    be up to date already."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"database url {url!r} is not a valid SQLAlchemy URL") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"database url {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite" and read_only:
        event.listen(engine, "connect", _sqlite_reader_pragmas)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    elif engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # "BEGIN IMMEDIATE" can serialise writers (see `_WriterTurns`).
        writers = _WriterTurns()
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "commit", writers.end)
        event.listen(engine, "rollback", writers.end)
    return engine


class _WriterTurns:
    """Every transaction starts with BEGIN IMMEDIATE: it takes SQLite's write lock at the
    start, so two writers never both read a state and then both write a decision based on
    it. Threads of one process take turns at that lock through a Python lock.

    SQLite makes a writer that finds the lock taken poll for it, sleeping longer each time
    (up to 100 ms); a thread that writes often (the notice sender records each send)
    then starves one that writes big batches. Waiting on a lock instead wakes the next
    writer as soon as the lock is free. Other processes still meet SQLite's own lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: dict[int, Any] = {}  # thread id -> the connection it began on

    def begin(self, connection: Any) -> None:
        # A thread that waits this long is stuck behind a turn never given back (which
        # should not happen): it goes on without one and meets SQLite's lock as before.
        turn = self._lock.acquire(timeout=TURN_TIMEOUT)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if turn:
                self._lock.release()
            raise
        if turn:
            self._holder[threading.get_ident()] = connection

    def end(self, connection: Any) -> None:
        if self._holder.get(threading.get_ident()) is connection:
            del self._holder[threading.get_ident()]
            self._lock.release()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout is already set: pysqlite's `timeout` (see make_engine) is SQLite's.
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_reader_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA query_only=ON")


def _use_wal(cursor: Any) -> None:
    """Switch the database file to WAL, waiting for a turn when another connection holds it.

    The switch needs the file to itself, and while another connection is writing it SQLite
    answers "database is locked" at once instead of running the busy handler: of two
    workers opening a new database together, one failed. WAL is a property of the file, so
    once one connection has switched it the others find it so and take no lock at all."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    pause = 0.002
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
            # An in-memory database answers "memory" and stays so.
            if mode not in ("wal", "memory"):
                log.warning("SQLite kept journal mode %s: readers will wait for writers", mode)
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from inbox_worker.store import new_rows

    sessions = sessionmaker(engine, expire_on_commit=False)
    new_rows.install(sessions)
    return sessions


# `revision: str = "0007"` and `down_revision: ... = "0006"` in a migration file.
_REVISION_LINE = re.compile(r"""^(revision|down_revision)\b[^=\n]*=\s*["'](\w+)["']\s*$""",
                            re.MULTILINE)


def head_revision() -> str:
    """The newest migration. Read from the migration files' own lines when they are in
    the simple form (one chain): asking Alembic imports and loads it all, a third of a
    second of every command's start, most of it for `queue` or `tickets show`."""
    return _head_from_files() or alembic_head_revision()


def alembic_head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def _head_from_files() -> str | None:
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REVISION_LINE.finditer(path.read_text("utf-8")))
        if "revision" not in found:
            return None  # not the simple form: Alembic decides
        revisions.add(found["revision"])
        if "down_revision" in found:
            revised.add(found["down_revision"])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except SQLAlchemyError:
            return None
        return row[0] if row else None


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration; cheap when it already is."""
    try:
        if current_revision(engine) == head_revision():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as connection:
            if sqlite:
                # A batch migration rebuilds a table (copy, drop, rename), which foreign
                # keys pointing at it refuse; SQLite can switch them off only outside a
                # transaction. They are checked again below, before they go back on.
                _dbapi(connection).execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    if engine.dialect.name == "postgresql":
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY}
                        )
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise StoreError("the migration left rows pointing at nothing")
            finally:
                if sqlite:
                    _dbapi(connection).execute("PRAGMA foreign_keys=ON")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database: {first_line(exc)}") from exc


def _dbapi(connection: Any) -> Any:
    return connection.connection.dbapi_connection


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach the database: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """The first line of a database error's own message (the driver's, when wrapped)."""
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__
