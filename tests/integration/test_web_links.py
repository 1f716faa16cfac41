"""A sign-in link is spent once, also when two requests race with it (a double click, a
mail scanner beside the person), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from inbox_worker.app import App
from inbox_worker.web import auth

pytestmark = pytest.mark.integration


def test_two_requests_racing_with_one_link_open_one_session(make_app: Callable[[], App]
                                                             ) -> None:
    app = make_app()
    now = app.clock()
    with app.sessions.begin() as session:
        secret = auth.request_link(session, app.settings, "alice@example.com", "c", now).secret
    assert secret is not None
    opened: list[str | None] = []
    first = app.sessions()
    first.begin()
    opened.append(auth.use_link(first, app.settings, secret, now))  # not committed yet

    def second() -> None:
        with app.sessions.begin() as session:
            opened.append(auth.use_link(session, app.settings, secret, now))

    racing = threading.Thread(target=second)
    racing.start()
    racing.join(0.5)  # it waits for the first one's transaction
    first.commit()
    first.close()
    racing.join(30)
    assert opened[0] is not None and opened[1:] == [None]
