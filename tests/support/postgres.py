"""A PostgreSQL database for the tests: the local server, one fresh database per session.

The server is expected on 127.0.0.1:5432 with trust auth (the CI set-up script starts it);
if it is not there the tests fail loudly rather than skip.
"""

from __future__ import annotations

import os
import secrets

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get(
    "INBOX_WORKER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def create_database(prefix: str = "iw_test", admin_url: str = ADMIN_URL) -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - re-raised with the hint that matters
        raise RuntimeError(
            f"PostgreSQL at {admin_url} is not usable ({exc}); run scripts/test, which "
            "starts it, or set INBOX_WORKER_TEST_PG"
        ) from exc
    finally:
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, admin_url: str = ADMIN_URL) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def truncate_all(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                         "AND tablename <> 'alembic_version'")
                )
            ]
            if tables:
                joined = ", ".join(f'"{t}"' for t in tables)
                connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
