"""Each mailbox's latest poll, recorded by whoever polled it (`run`, `poll --once`), so
that `health` (another process) can tell a worker that stopped reading mail.

One row per mailbox, overwritten; a failure keeps the last success beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.store.models import MailboxPoll

# An error text long enough to say what failed, short enough for one line of `health`.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class PollState:
    mailbox: str
    last_attempt_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    worker_id: str | None


def record_poll(sessions: sessionmaker[Session], mailbox: str, *, now: datetime,
                worker_id: str, error: str | None = None) -> None:
    """Record one poll of ``mailbox``: a success unless ``error`` says what failed."""
    try:
        _write_poll(sessions, mailbox, now=now, worker_id=worker_id, error=error)
    except IntegrityError:
        # Another worker wrote the mailbox's first row meanwhile: it is there to update now.
        _write_poll(sessions, mailbox, now=now, worker_id=worker_id, error=error)


def _write_poll(sessions: sessionmaker[Session], mailbox: str, *, now: datetime,
                worker_id: str, error: str | None) -> None:
    with sessions.begin() as session:
        row = session.get(MailboxPoll, mailbox, with_for_update=True)
        if row is None:
            row = MailboxPoll(mailbox=mailbox)
            session.add(row)
        row.last_attempt_at = now
        row.worker_id = worker_id
        if error is None:
            row.last_ok_at = now
        else:
            row.last_error = error[:MAX_ERROR_CHARS]
            row.last_error_at = now


def poll_states(session: Session) -> list[PollState]:
    """Every mailbox's latest poll, by mailbox name."""
    rows = session.scalars(select(MailboxPoll).order_by(MailboxPoll.mailbox))
    return [PollState(row.mailbox, row.last_attempt_at, row.last_ok_at, row.last_error,
                      row.last_error_at, row.worker_id) for row in rows]
