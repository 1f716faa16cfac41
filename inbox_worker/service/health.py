"""Is the worker doing its job? The figures `inbox-worker health` prints and the metrics
endpoint's gauges show: each mailbox's last poll, what waits in the outbox, what was put
aside, what failed, and which workers are alive.

Read only: `health` runs beside a worker (from a monitor, every minute) and must neither
migrate nor create a database; one that does not answer is a finding, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from inbox_worker.config import sqlite_file
from inbox_worker.domain.model import QUEUED_STATUSES
from inbox_worker.errors import StoreError
from inbox_worker.service.poll_status import PollState, poll_states
from inbox_worker.store.database import first_line, make_engine, make_session_factory
from inbox_worker.store.models import OutboxItem, QuarantinedMail, Ticket, WorkerRow

UNSENT_STATES = ("pending", "sending")
# Beyond the missed rounds, time for a pass through a backlog and for the worker's backoff
# after a server restart (up to 120 s) before the poll counts as stale.
STALE_GRACE = timedelta(minutes=2)
MISSED_ROUNDS = 3
# A monitor waits for the answer: a PostgreSQL host that does not answer is an error after
# this many seconds, not after the system's TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 10


def stale_after(poll_interval: float, longest_wait: float) -> timedelta:
    """How old the last successful poll may be. `run` polls every round: at most
    ``longest_wait`` seconds apart whatever the interval (an IDLE wait is renewed that
    often too), sooner with a shorter ``poll_interval``. One late round is a slow pass;
    MISSED_ROUNDS of them, and the grace, is a worker that stopped reading mail."""
    round_seconds = min(poll_interval, longest_wait)
    return timedelta(seconds=MISSED_ROUNDS * round_seconds) + STALE_GRACE


@dataclass(frozen=True)
class Backlog:
    """What waits: the figures both `health` and the metrics' gauges show."""

    queue: int
    outbox_backlog: int  # pending or being sent
    oldest_unsent_at: datetime | None
    quarantined: int  # held, not released
    failed_deliveries: int  # given up on, until `outbox retry`


@dataclass(frozen=True)
class WorkerState:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    alive: bool


@dataclass(frozen=True)
class MailboxHealth:
    poll: PollState
    status: str  # ok | stale | failing
    problem: str | None


@dataclass(frozen=True)
class Health:
    now: datetime
    stale_after: timedelta
    database_error: str | None = None
    mailboxes: list[MailboxHealth] = field(default_factory=list)
    backlog: Backlog | None = None
    workers: list[WorkerState] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        if self.database_error is not None:
            return [f"database: {self.database_error}"]
        if not self.mailboxes:
            return ["no mailbox poll recorded yet (is `run` or `poll --once` running?)"]
        return [m.problem for m in self.mailboxes if m.problem]

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def last_poll_at(self) -> datetime | None:
        """The least recent of the mailboxes' last successful polls: the one health hangs
        on (None: a mailbox never polled successfully, or none at all)."""
        times = [m.poll.last_ok_at for m in self.mailboxes]
        if not times or None in times:
            return None
        return min(t for t in times if t is not None)


def backlog(session: Session) -> Backlog:
    unsent = session.execute(
        select(func.count(OutboxItem.id), func.min(OutboxItem.created_at))
        .where(OutboxItem.state.in_(UNSENT_STATES))
    ).one()
    return Backlog(
        queue=_count(session, select(func.count(Ticket.id)).where(
            Ticket.status.in_([s.value for s in QUEUED_STATUSES]))),
        outbox_backlog=int(unsent[0]),
        oldest_unsent_at=unsent[1],
        quarantined=_count(session, select(func.count(QuarantinedMail.id))
                           .where(QuarantinedMail.state == "held")),
        failed_deliveries=_count(session, select(func.count(OutboxItem.id))
                                 .where(OutboxItem.state == "failed")),
    )


def _count(session: Session, statement: object) -> int:
    return int(session.scalar(statement) or 0)  # type: ignore[call-overload]


def workers(session: Session, now: datetime, stale: timedelta) -> list[WorkerState]:
    """The workers not stopped, each alive while its heartbeat is younger than ``stale``."""
    rows = session.scalars(select(WorkerRow).where(WorkerRow.stopped_at.is_(None))
                           .order_by(WorkerRow.started_at))
    return [WorkerState(row.id, row.host, row.pid, row.started_at, row.heartbeat_at,
                        alive=now - row.heartbeat_at <= stale) for row in rows]


def mailbox_health(poll: PollState, now: datetime, stale: timedelta) -> MailboxHealth:
    """A mailbox is well when its last poll succeeded, less than ``stale`` ago."""
    name = f"mailbox {poll.mailbox}"
    failed_last = poll.last_error_at is not None and (
        poll.last_ok_at is None or poll.last_error_at > poll.last_ok_at)
    if failed_last:
        return MailboxHealth(poll, "failing", f"{name}: last poll failed: {poll.last_error}")
    if poll.last_ok_at is None:
        return MailboxHealth(poll, "failing", f"{name}: never polled successfully")
    age = now - poll.last_ok_at
    if age > stale:
        return MailboxHealth(poll, "stale", f"{name}: last successful poll {_ago(age)} ago "
                                            f"(allowed: {_ago(stale)})")
    return MailboxHealth(poll, "ok", None)


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def check_health(database_url: str, now: datetime, stale: timedelta) -> Health:
    """Everything `health` reports; a database that does not answer gives a `Health` with
    its reason in ``database_error`` and nothing else."""
    missing = _missing_sqlite_file(database_url)
    if missing:
        return Health(now, stale, database_error=missing)
    try:
        engine = make_engine(with_connect_timeout(database_url))
    except StoreError as exc:
        return Health(now, stale, database_error=str(exc))
    try:
        with make_session_factory(engine)() as session:
            return Health(
                now, stale,
                mailboxes=[mailbox_health(p, now, stale) for p in poll_states(session)],
                backlog=backlog(session),
                workers=workers(session, now, stale),
            )
    except SQLAlchemyError as exc:
        return Health(now, stale, database_error=first_line(exc))
    finally:
        engine.dispose()


def with_connect_timeout(url: str) -> str:
    """A PostgreSQL URL with a connect_timeout, unless it names one; others as they are."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine says what is wrong with it
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)}
                                    ).render_as_string(hide_password=False)


def _missing_sqlite_file(url: str) -> str | None:
    """SQLite would create an empty file where the worker's should be: say it is missing."""
    path: Path | None = sqlite_file(url)
    if path is not None and not path.is_file():
        return f"no database file {path} (has the worker run with this configuration?)"
    return None
