"""Pytest fixtures for real servers on 127.0.0.1 (loaded with ``pytest_plugins``).

One Dovecot per session (and a second, MOVE-less one only for the tests that ask for it);
each test gets its own freshly created IMAP user, so tests never see each other's mail.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from tests.support.dovecot import Dovecot

_user_numbers = itertools.count(1)


class ImapAccount(NamedTuple):
    """A fresh mailbox on a running Dovecot: ``user, password, port = imap_account``."""

    user: str
    password: str
    port: int


def _new_account(server: Dovecot) -> ImapAccount:
    user = f"user{next(_user_numbers)}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    server.add_user(user, password)
    return ImapAccount(user, password, server.imap_port)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_without_move() -> Iterator[Dovecot]:
    """A Dovecot that does not advertise MOVE, for the flag-instead-of-move paths."""
    with Dovecot(hide_capabilities=("MOVE",)) as server:
        yield server


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    """A new user on the session Dovecot (`dovecot`): ``user, password, port``."""
    return _new_account(dovecot)


@pytest.fixture
def imap_account_without_move(dovecot_without_move: Dovecot) -> ImapAccount:
    """A new user on `dovecot_without_move`."""
    return _new_account(dovecot_without_move)


@pytest.fixture
def desk_servers(imap_account: ImapAccount, smtp_server: Any,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings changes that point a worker at `imap_account` (its password in
    $DESK_IMAP_PASSWORD) and `smtp_server`, for `make_app(moment, **desk_servers)`."""
    from inbox_worker.config import MailboxSettings, Secret, SmtpSettings

    monkeypatch.setenv("DESK_IMAP_PASSWORD", imap_account.password)
    mailbox = MailboxSettings(kind="imap", host="127.0.0.1", port=imap_account.port,
                              security="none", username=imap_account.user,
                              password=Secret(env="DESK_IMAP_PASSWORD"))
    smtp = SmtpSettings(kind="smtp", host="127.0.0.1", port=smtp_server.port, security="none")
    return {"mailbox": mailbox, "smtp": smtp}
