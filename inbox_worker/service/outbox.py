"""The outbox: notices written with the ticket change that caused them, delivered later.

`enqueue_notice` runs inside the caller's transaction (the one that changes the ticket):
it decides whether the notice may go at all, renders it, chooses its Message-ID once and
stores the exact bytes to send, so a retried send is the same message. `deliver_due` runs
on its own: it claims due rows under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serialises writers with BEGIN IMMEDIATE), sends them over one connection, and records each
outcome in its own short transaction. A row left in `sending` by a crashed worker becomes
claimable when its lease expires: the only window in which a notice can go out twice.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings, SupportSettings
from inbox_worker.domain import correlate
from inbox_worker.domain.classify import is_noreply_address
from inbox_worker.domain.status import NoticeKind
from inbox_worker.mail.smtp import (
    AfterSend,
    MailSender,
    OutgoingMail,
    PermanentSendError,
    SendError,
    SendSession,
)
from inbox_worker.notices.compose import compose_notice, new_message_id
from inbox_worker.notices.render import NoticeRenderer
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Message, OutboxItem, Ticket
from inbox_worker.store.new_rows import NewMessage, new_rows

log = logging.getLogger("inbox_worker.outbox")

RATE_LIMIT_PER_HOUR = 10
ACKNOWLEDGEMENTS_PER_HOUR = 2
MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
REFERENCES_KEPT = 20
CLAIM_CHUNK = 100

# Inbound mail the customer wrote or saw; technicians' mails and notes stay internal (their
# Message-IDs can name internal hosts), automatic mail is nobody's conversation.
_VISIBLE_INBOUND_KINDS = ("customer",)


# -- enqueueing ------------------------------------------------------------------------------


def enqueue_notice(
    session: Session,
    *,
    ticket: Ticket,
    kind: NoticeKind | str,
    settings: Settings,
    renderer: NoticeRenderer,
    now: datetime,
    text: str = "",
    reason: str | None = None,
    recipient: str | None = None,
    rate_limit_per_hour: int = RATE_LIMIT_PER_HOUR,
    acknowledgements_per_hour: int = ACKNOWLEDGEMENTS_PER_HOUR,
    links: dict[str, str] | None = None,
    suppress: str | None = None,
    thread: Conversation | None = None,
    recent: RecentNotices | None = None,
) -> NewMessage | None:
    """Write the notice `kind` for `ticket` (status already changed) to the outbox, in the
    caller's transaction (see `store.new_rows`). Does not commit.

    `thread` saves the query for the ticket's conversation when the caller knows it (a
    ticket it just opened); `recent` is the transaction's tally of recent notices per
    address (see `RecentNotices`).

    Returns the outgoing message (written with the transaction, see `store.new_rows`), or
    None when the notice may not go: to the support address,
    to a no-reply address, past `rate_limit_per_hour` notices to that address (0 disables
    the limit), to an unusable address, or when the caller gives a `suppress` reason (e.g.
    the mail that caused it was automatic). A suppressed notice is still recorded, as an
    outbox row in state `suppressed` whose `last_error` says why.
    """
    notice = NoticeKind(kind)
    support = settings.support
    to_addr = (recipient or ticket.customer).strip().lower()
    if thread is None:
        thread = conversation(session, ticket)
    context = notice_context(
        ticket,
        kind=notice,
        support=support,
        customer_address=to_addr,
        customer_name=thread.names.get(to_addr, ""),
        now=now,
        text=text,
        reason=reason,
        links=links,
    )
    rendered = renderer.render(notice.value, context)
    message_id = new_message_id(support.message_id_domain)
    if recent is None:
        recent = RecentNotices(session, now)
    why_not = suppress or suppression_reason(
        recent, to_addr, support_address=support.address,
        rate_limit_per_hour=rate_limit_per_hour, kind=notice,
        acknowledgements_per_hour=acknowledgements_per_hour,
    )
    raw = b""
    if why_not is None:
        try:
            raw = compose_notice(
                rendered=rendered,
                kind=notice.value,
                from_name=support.name,
                from_addr=support.address,
                to_addr=to_addr,
                to_name=context["customer"]["name"],
                token=ticket.token,
                message_id=message_id,
                in_reply_to=thread.in_reply_to,
                references=thread.references,
                date=now,
            )
        except ValueError as exc:
            why_not = f"cannot address the notice: {exc}"
    subject = correlate.format_subject(rendered.subject, ticket.token)
    rows = new_rows(session)
    message = rows.message({
        "ticket_id": ticket.id,
        "message_id": message_id,
        "direction": "out",
        "kind": "notice",
        "from_addr": support.address,
        "from_name": support.name,
        "to_addrs": to_addr[:320],
        "cc_addrs": "",
        "subject": subject,
        "text": rendered.text,
        "full_text": rendered.text,
        "html": rendered.html,
        "in_reply_to": thread.in_reply_to or "",
        "references": " ".join(thread.references),
        "date_header": now,
        "received_at": now,
        "source_key": None,
        "raw": None,
    })
    rows.outbox_item({
        "ticket_id": ticket.id,
        "notice": notice.value,
        "recipient": to_addr[:320],
        "raw": raw,
        "state": "suppressed" if why_not else "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": why_not,
        "created_at": now,
        "sent_at": None,
        "claimed_until": None,
        "claimed_by": None,
    }, message)
    if why_not:
        log.warning("notice suppressed ticket=%s notice=%s to=%s reason=%s",
                    ticket.ref, notice.value, to_addr, why_not)
        return None
    recent.note(to_addr, notice)
    log.info("notice queued ticket=%s notice=%s to=%s message_id=%s",
             ticket.ref, notice.value, to_addr, message_id)
    return message


class RecentNotices:
    """Notices that went or will go to each address in the last hour, for the rate limit
    and the acknowledgement loop guard: counted once per address and transaction (one
    query, or one for a whole batch of senders), then kept up to date with the notices
    the transaction queues."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.since = now - timedelta(hours=1)
        self._counts: dict[str, tuple[int, int]] = {}  # address -> (all, acknowledgements)

    def load(self, addresses: Iterable[str]) -> None:
        wanted = sorted({a for a in addresses if a and a not in self._counts})
        for chunk in repo.in_chunks(wanted):
            counts = dict.fromkeys(chunk, (0, 0))
            rows = self.session.execute(
                select(OutboxItem.recipient, OutboxItem.notice, func.count(OutboxItem.id))
                .where(
                    OutboxItem.recipient.in_(chunk),
                    OutboxItem.created_at > self.since,
                    OutboxItem.state != "suppressed",
                )
                .group_by(OutboxItem.recipient, OutboxItem.notice)
            ).all()
            for recipient, notice, count in rows:
                total, acks = counts[recipient]
                is_ack = notice == NoticeKind.ACKNOWLEDGED.value
                counts[recipient] = (total + count, acks + (count if is_ack else 0))
            self._counts.update(counts)

    def counts(self, address: str) -> tuple[int, int]:
        """(notices, acknowledgements) to ``address`` in the last hour."""
        if address not in self._counts:
            self.load([address])
        return self._counts[address]

    def note(self, address: str, kind: NoticeKind) -> None:
        total, acks = self.counts(address)
        self._counts[address] = (total + 1, acks + (kind is NoticeKind.ACKNOWLEDGED))


def suppression_reason(
    recent: RecentNotices,
    recipient: str,
    *,
    support_address: str,
    rate_limit_per_hour: int = RATE_LIMIT_PER_HOUR,
    kind: NoticeKind | None = None,
    acknowledgements_per_hour: int = ACKNOWLEDGEMENTS_PER_HOUR,
) -> str | None:
    """Why a notice to `recipient` must not go, or None."""
    address = recipient.strip().lower()
    if not address:
        return "no recipient address"
    if address == support_address.strip().lower():
        return "the recipient is the support address itself"
    if is_noreply_address(address):
        return "the recipient is a no-reply address"
    limit_acks = kind is NoticeKind.ACKNOWLEDGED and acknowledgements_per_hour > 0
    if rate_limit_per_hour <= 0 and not limit_acks:
        return None
    total, acknowledged = recent.counts(address)
    if rate_limit_per_hour > 0 and total >= rate_limit_per_hour:
        return f"rate limit: {rate_limit_per_hour} notices per hour to this address"
    if limit_acks and acknowledged >= acknowledgements_per_hour:
        # A system that answers each acknowledgement with a new mail of its own opens a new
        # ticket each round; only its first rounds are acknowledged.
        return (f"loop guard: {acknowledgements_per_hour} acknowledgements per hour to "
                "this address")
    return None


@dataclass(frozen=True)
class Conversation:
    """What a notice needs to know about the mails already on its ticket."""

    in_reply_to: str | None
    references: list[str]
    names: dict[str, str]  # address -> the display name it last used on the ticket


def conversation(session: Session, ticket: Ticket) -> Conversation:
    """In-Reply-To is the latest mail of the conversation the customer has seen (their own
    mails and our notices that went or will go); References are the first of those and
    the latest ones, at most REFERENCES_KEPT. One query."""
    rows = session.execute(
        select(
            Message.message_id, Message.direction, Message.kind, Message.from_addr,
            Message.from_name, OutboxItem.state,
        )
        .outerjoin(OutboxItem, OutboxItem.message_pk == Message.id)
        .where(Message.ticket_id == ticket.id)
        .order_by(Message.id)
    ).all()
    return conversation_of(rows)


def conversation_of(rows: Iterable[Sequence[Any]]) -> Conversation:
    """The conversation of a ticket's messages, oldest first, as rows of (message_id,
    direction, kind, from_addr, from_name, outbox state or None)."""
    visible: list[str] = []
    names: dict[str, str] = {}
    for message_id, direction, kind, from_addr, from_name, state in rows:
        if direction == "in" and from_name:
            names[from_addr] = from_name
        if (direction == "in" and kind in _VISIBLE_INBOUND_KINDS) or (
            direction == "out" and state != "suppressed"
        ):
            visible.append(message_id)
    if not visible:
        return Conversation(None, [], names)
    chosen = list(dict.fromkeys([visible[0], *visible[-(REFERENCES_KEPT - 1) :]]))
    return Conversation(visible[-1], chosen, names)


def notice_context(
    ticket: Ticket,
    *,
    kind: NoticeKind | str,
    support: SupportSettings,
    customer_address: str,
    customer_name: str,
    now: datetime,
    text: str = "",
    reason: str | None = None,
    links: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The template variables (see `notices.variables.TEMPLATE_VARIABLES`) as plain data."""
    NoticeKind(kind)
    return {
        "ticket": {
            "ref": ticket.ref,
            "token": ticket.token,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category,
            "created_at": ticket.created_at,
            "scheduled_for": ticket.scheduled_for,
            "closed_at": ticket.closed_at,
        },
        "customer": {"address": customer_address, "name": customer_name},
        "support": {"address": support.address, "name": support.name},
        "status": ticket.status,
        "text": text,
        "reason": reason,
        "links": dict(links or {}),
        "now": now,
    }


# -- delivering ------------------------------------------------------------------------------


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
    ticket_id: int
    notice: str
    recipient: str
    message_id: str
    attempts: int
    raw: bytes


def default_worker_id() -> str:
    """host:pid:thread, unique among live senders."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident()}"[:100]


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
            chunk_outcomes = _ChunkOutcomes(outcomes, claimed, now=now, worker_id=worker_id,
                                            max_attempts=max_attempts)
            connection.send_each(
                [OutgoingMail(item.raw, envelope_from, item.recipient) for item in claimed],
                chunk_outcomes.record,
            )
            outcome = chunk_outcomes.summary
            summary += outcome
            if outcome.sent == 0 and outcome.failed == 0:
                break
    return summary


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

    def __init__(self, writer: _OutcomeWriter, claimed: list[ClaimedNotice], **options: Any
                 ) -> None:
        self._writer = writer
        self._claimed = claimed
        self._options = options
        self.summary = DeliverySummary()

    def record(self, index: int, error: SendError | None) -> None:
        self.summary += self._writer.record(self._claimed[index], error, **self._options)


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
    """Mark up to `limit` due rows `sending` under a lease for `worker_id`, and commit."""
    due = or_(
        and_(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now),
        and_(
            OutboxItem.state == "sending",
            or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
        ),
    )
    with sessions.begin() as session:
        ids = list(
            session.scalars(
                select(OutboxItem.id)
                .where(due)
                .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
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
    return [ClaimedNotice(*row) for row in rows]


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
    if error is None:
        values: dict[str, Any] = {"state": "sent", "sent_at": now, "last_error": None}
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
    log.log(level, "notice %s ticket_id=%s notice=%s to=%s message_id=%s%s", state,
            item.ticket_id, item.notice, item.recipient, item.message_id,
            f" error={error}" if error else "")
    return result
