"""The newest migration as read from the files' own lines is Alembic's head."""

from __future__ import annotations

from inbox_worker.store import database


def test_the_head_read_from_the_files_is_alembics() -> None:
    head = database.alembic_head_revision()
    assert database._head_from_files() == head
    assert database.head_revision() == head
