"""Delivering the outbox: claim due rows under a lease, send them, record each outcome.

`deliver_due` claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises
writers with BEGIN IMMEDIATE), sends them over one connection, and records each outcome in
its own short transaction. A row left in `sending` by a crashed worker becomes claimable
as soon as its claimant is seen dead (`service.liveness`), else when its lease expires: a
mail the SMTP server accepted just before the crash is the only one that can go out twice.
What is queued, and whether it may go at all, is `service.outbox`'s business: this half
sends bytes.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, Update, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.mail.smtp import (
    AfterSend,
    MailSender,
    OutgoingMail,
    PartlyRefusedError,
    PermanentSendError,
    SendError,
    SendSession,
)
from inbox_worker.notices.variables import TEAM_MAIL_KINDS
from inbox_worker.service.heartbeat import this_process
from inbox_worker.service.liveness import DeadClaimant, dead_claimants
from inbox_worker.service.metrics import Metrics
from inbox_worker.store.models import Message, OutboxItem, ticket_ref

log = logging.getLogger("inbox_worker.outbox")

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
CLAIM_CHUNK = 100


@dataclass(frozen=True)
class DeliverySummary:
    sent: int = 0
    failed: int = 0
    retried: int = 0

    def __add__(self, other: DeliverySummary) -> DeliverySummary:
        return DeliverySummary(
            self.sent + other.sent, self.failed + other.failed, self.retried + other.retried
        )


@dataclass(frozen=True)
class ClaimedNotice:
    id: int
    ticket_id: int | None
    notice: str
    recipient: str
    message_id: str
    attempts: int
    raw: bytes


def default_worker_id() -> str:
    """host:pid:nonce:thread: this process's id (`service.heartbeat`), then the thread."""
    return f"{this_process().id}:{threading.get_native_id()}"[:100]


def deliver_due(
    sessions: sessionmaker[Session],
    sender: MailSender,
    *,
    now: datetime,
    worker_id: str,
    envelope_from: str,
    limit: int = 500,
    chunk: int = CLAIM_CHUNK,
    lease: timedelta = LEASE,
    max_attempts: int = MAX_ATTEMPTS,
    metrics: Metrics | None = None,
) -> DeliverySummary:
    """Send up to `limit` due notices, `chunk` claimed at a time, over one connection.

    `envelope_from` is the SMTP MAIL FROM (the support address, so that bounces come back
    to the mailbox and land on the ticket). Stops early when a whole chunk failed
    transiently (the server is down): the rest waits for its next attempt.
    """
    summary = DeliverySummary()
    started = time.monotonic()
    remaining = limit
    with _LazySession(sender) as connection, _OutcomeWriter(sessions) as outcomes:
        while remaining > 0:
            # The lease runs from the real moment of the claim, not from the start of a
            # long batch, so that other workers do not take over rows still being sent.
            claim_time = now + timedelta(seconds=time.monotonic() - started)
            claimed = claim_due(
                sessions, now=claim_time, limit=min(chunk, remaining),
                worker_id=worker_id, lease=lease,
            )
            if not claimed:
                break
            remaining -= len(claimed)
            chunk_outcomes = _ChunkOutcomes(outcomes, claimed, metrics, now=now,
                                            worker_id=worker_id, max_attempts=max_attempts)
            connection.send_each(
                [outgoing(item, envelope_from) for item in claimed],
                chunk_outcomes.record,
            )
            outcome = chunk_outcomes.summary
            summary += outcome
            if outcome.sent == 0 and outcome.failed == 0:
                break
    return summary


def outgoing(item: ClaimedNotice, envelope_from: str) -> OutgoingMail:
    """The envelope of a claimed row. Only a mail to technicians (an alert, the digest)
    has several recipients, joined by ", " when it was queued from the configured
    addresses; a customer's address is one, whatever it holds."""
    if item.notice in TEAM_MAIL_KINDS:
        first, *others = item.recipient.split(", ")
        return OutgoingMail(item.raw, envelope_from, first, tuple(others))
    return OutgoingMail(item.raw, envelope_from, item.recipient)


class _LazySession:
    """Opens the sender's session (an SMTP connection) only when there is mail to send."""

    def __init__(self, sender: MailSender) -> None:
        self._sender = sender
        self._context: Any = None
        self._session: SendSession | None = None

    def send_each(self, mails: Sequence[OutgoingMail], after: AfterSend) -> None:
        if self._session is None:
            self._context = self._sender.session()
            self._session = self._context.__enter__()
        self._session.send_each(mails, after)

    def __enter__(self) -> _LazySession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._context is not None:
            self._context.__exit__(*exc_info)


class _ChunkOutcomes:
    """The `AfterSend` of one claimed chunk: records each outcome (committed before the
    next notice goes, so that a crash resends at most one) and tallies them."""

    def __init__(self, writer: _OutcomeWriter, claimed: list[ClaimedNotice],
                 metrics: Metrics | None, **options: Any) -> None:
        self._writer = writer
        self._claimed = claimed
        self._metrics = metrics
        self._options = options
        self.summary = DeliverySummary()
        # The sends go one after the other: each took the time since the previous outcome.
        self._since = time.monotonic()

    def record(self, index: int, error: SendError | None) -> None:
        seconds = time.monotonic() - self._since
        outcome = self._writer.record(self._claimed[index], error, **self._options)
        self.summary += outcome
        if self._metrics is not None:
            self._metrics.notice_delivered(self._claimed[index].notice, sent=outcome.sent,
                                           failed=outcome.failed, retried=outcome.retried,
                                           seconds=seconds)
        self._since = time.monotonic()


class _OutcomeWriter:
    """Records the outcomes of one `deliver_due` over one database connection, opened on
    the first: checking a connection out of the pool and back for every notice cost as
    much as the update itself."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._connection: Connection | None = None

    def record(self, item: ClaimedNotice, error: SendError | None, **options: Any
               ) -> DeliverySummary:
        bind = self._sessions.kw.get("bind")
        if self._connection is None and isinstance(bind, Engine):
            self._connection = bind.connect()
        return record_outcome(self._sessions, item, error, connection=self._connection,
                              **options)

    def __enter__(self) -> _OutcomeWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._connection is not None:
            self._connection.close()


def claim_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    limit: int,
    worker_id: str,
    lease: timedelta = LEASE,
) -> list[ClaimedNotice]:
    """Mark up to `limit` due rows `sending` under a lease for `worker_id`, and commit.

    Due: pending rows whose time has come, and rows still `sending` whose lease ran out or
    whose claimant is dead (taken over at once, and logged)."""
    with sessions.begin() as session:
        dead = dead_claimants(session)
        claimable = [OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now]
        if dead:
            claimable.append(OutboxItem.claimed_by.in_(dead))
        due = or_(
            and_(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now),
            and_(OutboxItem.state == "sending", or_(*claimable)),
        )
        picked = session.execute(
            select(OutboxItem.id, OutboxItem.state, OutboxItem.claimed_by)
            .where(due)
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not picked:
            return []
        ids = [row.id for row in picked]
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids))
            .values(state="sending", claimed_until=now + lease, claimed_by=worker_id)
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(
                OutboxItem.id, OutboxItem.ticket_id, OutboxItem.notice, OutboxItem.recipient,
                Message.message_id, OutboxItem.attempts, OutboxItem.raw,
            )
            .join(Message, Message.id == OutboxItem.message_pk)
            .where(OutboxItem.id.in_(ids))
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        ).all()
    _log_takeovers([row.claimed_by for row in picked if row.state == "sending"], dead,
                   worker_id)
    return [ClaimedNotice(*row) for row in rows]


def _log_takeovers(previous: list[str | None], dead: dict[str, DeadClaimant],
                   worker_id: str) -> None:
    """One line per claimant whose rows we took: a dead one's at once, else by the lease."""
    for claimed_by, count in Counter(previous).items():
        claimant = dead.get(claimed_by or "")
        why = claimant.describe() if claimant else f"from={claimed_by} reason=lease_expired"
        log.warning("notices taken over count=%d %s by=%s", count, why, worker_id)


def retry_delay(attempts_before: int) -> timedelta:
    """1, 2, 4... minutes after the 1st, 2nd, 3rd... failure, at most MAX_BACKOFF."""
    return min(timedelta(minutes=2 ** min(attempts_before, 20)), MAX_BACKOFF)


@functools.cache
def _outcome_statement(columns: tuple[str, ...]) -> Update:
    """UPDATE of one claimed row's `columns`, if ``worker_id`` still holds its lease."""
    table = cast(Table, OutboxItem.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.state == "sending",
               table.c.claimed_by == bindparam("worker_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )


def record_outcome(
    sessions: sessionmaker[Session],
    item: ClaimedNotice,
    error: SendError | None,
    *,
    now: datetime,
    worker_id: str,
    max_attempts: int = MAX_ATTEMPTS,
    connection: Connection | None = None,
) -> DeliverySummary:
    """Write one send's outcome in its own transaction, if we still hold the row's lease
    (on `connection` when given, otherwise on one of the engine's)."""
    attempts = item.attempts + 1
    result: DeliverySummary
    if error is None or isinstance(error, PartlyRefusedError):
        # A mail some of its recipients refused went to the others: sent, the refusals kept.
        values: dict[str, Any] = {"state": "sent", "sent_at": now,
                                  "last_error": str(error)[:2000] if error else None}
        result, state = DeliverySummary(sent=1), "sent"
    elif isinstance(error, PermanentSendError) or attempts >= max_attempts:
        reason = str(error) if isinstance(error, PermanentSendError) else (
            f"gave up after {attempts} attempts: {error}"
        )
        values = {"state": "failed", "attempts": attempts, "last_error": reason[:2000]}
        result, state = DeliverySummary(failed=1), "failed"
    else:
        values = {
            "state": "pending",
            "attempts": attempts,
            "next_attempt_at": now + retry_delay(item.attempts),
            "last_error": str(error)[:2000],
        }
        result, state = DeliverySummary(retried=1), "retry"
    values["claimed_until"] = None
    # A plain statement, built once per set of columns, on a connection of the engine
    # rather than through a session: one per notice sent, so the sender's share of the
    # write lock is kept short.
    statement = _outcome_statement(tuple(sorted(values)))
    parameters = {"row_id": item.id, "worker_id": worker_id,
                  **{f"new_{name}": value for name, value in values.items()}}
    bind = sessions.kw.get("bind")
    if connection is not None:
        with connection.begin():
            updated = connection.execute(statement, parameters)
    elif isinstance(bind, Engine):
        with bind.begin() as connection:
            updated = connection.execute(statement, parameters)
    else:
        with sessions.begin() as session:
            updated = session.connection().execute(statement, parameters)
    if updated.rowcount != 1:
        log.warning("notice lease lost outbox_id=%s message_id=%s worker=%s outcome=%s",
                    item.id, item.message_id, worker_id, state)
    level = logging.INFO if state == "sent" else logging.WARNING
    log.log(level, "notice %s ticket=%s template=%s to=%s message_id=%s%s", state,
            ticket_ref(item.ticket_id), item.notice, item.recipient, item.message_id,
            f" error={error}" if error else "")
    return result
