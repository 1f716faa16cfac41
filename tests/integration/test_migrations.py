"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from inbox_worker.store.database import current_revision, head_revision, make_engine, upgrade_schema
from inbox_worker.store.models import Base

pytestmark = pytest.mark.integration


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_schema(engine)
        upgrade_schema(engine)  # a second start-up is a no-op
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = [d for d in compare_metadata(context, Base.metadata)
                           if not _type_only_tz(d)]
        assert differences == []
    finally:
        engine.dispose()


def _type_only_tz(diff: object) -> bool:
    # SQLite reports no time zone flag on DATETIME; that is not a schema difference.
    return isinstance(diff, list) and bool(diff) and diff[0][0] == "modify_type" and \
        "DateTime" in repr(diff[0][-2]) and "DateTime" in repr(diff[0][-1])
