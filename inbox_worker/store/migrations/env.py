"""Alembic environment: runs on the connection the caller hands over (see store.database)."""

from alembic import context
from sqlalchemy import create_engine

from inbox_worker.store.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Used by `alembic revision --autogenerate` during development only.
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///var/alembic-dev.db"
    with create_engine(url).connect() as dev_connection:
        context.configure(connection=dev_connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
