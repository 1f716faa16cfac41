"""Opening the embedded database while another process holds it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from inbox_worker.store.database import make_engine


def rollback_mode_database(path: Path) -> None:
    seed = sqlite3.connect(path)
    seed.execute("CREATE TABLE t (x)")
    seed.commit()
    seed.close()


def test_the_switch_to_wal_waits_for_a_writer_holding_the_file(tmp_path: Path) -> None:
    # While another connection is writing (as a second worker converting a new database
    # is), SQLite refuses the WAL switch at once with "database is locked", without
    # running the busy handler: two workers opening a new database together met that.
    path = tmp_path / "db.sqlite"
    rollback_mode_database(path)
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.3, writer.commit).start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        engine.dispose()
        writer.close()


def test_an_in_memory_database_opens_at_once() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "memory"
    finally:
        engine.dispose()
