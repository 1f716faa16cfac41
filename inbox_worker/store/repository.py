"""Queries and small writes on the store, named for what the service asks of it.

Every function takes the caller's session: the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from inbox_worker.domain.model import PRIORITY_RANK, QUEUED_STATUSES, Priority
from inbox_worker.errors import UnknownTicketError
from inbox_worker.store.models import (
    Counter,
    Message,
    ProcessedMail,
    QuarantinedMail,
    Ticket,
)
from inbox_worker.store.new_rows import new_rows

QUEUE_COUNTER = "queue_place"
# Values per `IN (...)` list: well under every driver's limit on bound parameters.
IN_LIST_CHUNK = 500


def in_chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), IN_LIST_CHUNK):
        yield values[start : start + IN_LIST_CHUNK]


def present(session: Session, column: Any, values: Sequence[str]) -> list[str]:
    """Those of ``values`` that ``column`` holds."""
    found: list[str] = []
    for chunk in in_chunks(values):
        found.extend(session.scalars(select(column).where(column.in_(chunk))))
    return found


def is_processed(session: Session, source_key: str) -> bool:
    return (
        session.scalar(select(ProcessedMail.id).where(ProcessedMail.source_key == source_key))
        is not None
    )


def record_processed(
    session: Session,
    *,
    source_key: str,
    message_key: str | None,
    outcome: str,
    now: datetime,
    ticket: Ticket | None = None,
    detail: str = "",
) -> None:
    new_rows(session).processed_mail({
        "source_key": source_key,
        "message_key": message_key,
        "outcome": outcome,
        "ticket_id": ticket.id if ticket is not None else None,
        "detail": detail,
        "at": now,
    })


def message_exists(session: Session, message_id: str) -> bool:
    return session.scalar(select(Message.id).where(Message.message_id == message_id)) is not None


def ticket_by_token(session: Session, tokens: Sequence[str]) -> Ticket | None:
    for token in tokens:
        ticket = session.scalar(
            select(Ticket).where(Ticket.token == token).options(selectinload(Ticket.participants))
        )
        if ticket is not None:
            return ticket
    return None


def ticket_by_message_ids(session: Session, message_ids: Sequence[str]) -> Ticket | None:
    """The ticket of the most recent known message among ``message_ids``."""
    ids = [m for m in dict.fromkeys(message_ids) if m][:200]
    if not ids:
        return None
    ticket_id = session.scalar(
        select(Message.ticket_id)
        .where(Message.message_id.in_(ids), Message.ticket_id.is_not(None))
        .order_by(Message.id.desc())
    )
    if ticket_id is None:
        return None
    return session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.participants))
    )


def lock_ticket(session: Session, ticket_id: int) -> Ticket:
    """Re-read a ticket under a row lock (PostgreSQL) before changing it."""
    ticket = session.scalar(_locked(ticket_id))
    assert ticket is not None
    return ticket


def try_lock_ticket(session: Session, ticket_id: int) -> Ticket | None:
    """Like `lock_ticket`, but None at once when another worker holds the row (a time rule
    then leaves the ticket to it; the next pass looks again)."""
    return session.scalar(_locked(ticket_id, skip_locked=True))


def _locked(ticket_id: int, *, skip_locked: bool = False) -> Any:
    return (select(Ticket).where(Ticket.id == ticket_id)
            .with_for_update(skip_locked=skip_locked)
            .execution_options(populate_existing=True))


def next_queue_place(session: Session, count: int = 1) -> int:
    """An atomically incremented counter: the back of the queue. Takes ``count`` places
    and returns the last of them."""
    value = session.scalar(
        update(Counter)
        .where(Counter.name == QUEUE_COUNTER)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    if value is None:
        session.add(Counter(name=QUEUE_COUNTER, value=count))
        session.flush()
        return count
    return int(value)


def allocate_ticket_ids(session: Session, count: int) -> list[int] | None:
    """``count`` ids for tickets this transaction will insert, so that a new ticket has its
    number (and its ref, which its acknowledgement shows) without a flush per ticket; None
    where the database offers no safe way (then each ticket is flushed for its id).

    PostgreSQL takes them from the id sequence. SQLite hands out ids above the largest
    one: safe because a writing transaction holds SQLite's write lock from its start
    (BEGIN IMMEDIATE, see `store.database`), and ids not used stay unused.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return list(session.scalars(
            text("SELECT nextval(pg_get_serial_sequence('tickets', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": count}
        ))
    if dialect == "sqlite":
        highest = session.scalar(select(func.max(Ticket.id))) or 0
        return list(range(highest + 1, highest + 1 + count))
    return None


def _priority_rank():  # type: ignore[no-untyped-def]
    return case(
        {p.value: rank for p, rank in PRIORITY_RANK.items()},
        value=Ticket.priority,
        else_=PRIORITY_RANK[Priority.NORMAL],
    )


def _queued() -> Any:
    return Ticket.status.in_([s.value for s in QUEUED_STATUSES])


def queue(session: Session) -> list[Ticket]:
    """Every ticket in Open or Customer-Reply, by priority then place in line (with their
    participants, which the ticket JSON shows: one query for all, not one a ticket)."""
    return list(
        session.scalars(
            select(Ticket)
            .where(_queued())
            .order_by(_priority_rank(), Ticket.queue_place, Ticket.id)
            .options(selectinload(Ticket.participants))
        )
    )


def queue_positions(session: Session, ticket_ids: Sequence[int] | None = None
                    ) -> dict[int, int]:
    """The 1-based places in the queue of those of ``ticket_ids`` that are queued (None:
    of every queued ticket). The database numbers the queue (ids only, no ticket is
    loaded) and returns the places asked for: a page of a list costs one query."""
    place = func.row_number().over(
        order_by=(_priority_rank(), Ticket.queue_place, Ticket.id)).label("place")
    numbered = select(Ticket.id.label("id"), place).where(_queued()).subquery()
    query = select(numbered.c.id, numbered.c.place)
    if ticket_ids is not None:
        if not ticket_ids:
            return {}
        query = query.where(numbered.c.id.in_(list(ticket_ids)))
    return {int(i): int(n) for i, n in session.execute(query)}


def queued_per_rank(session: Session) -> dict[int, int]:
    """How many tickets are queued at each priority rank (see `PRIORITY_RANK`)."""
    rank = _priority_rank().label("rank")
    rows = session.execute(
        select(rank, func.count(Ticket.id))
        .where(_queued())
        .group_by(rank)
    ).all()
    return {int(r): int(n) for r, n in rows}


def priority_rank(priority: str) -> int:
    known = {p.value: rank for p, rank in PRIORITY_RANK.items()}
    return known.get(priority, PRIORITY_RANK[Priority.NORMAL])


def queue_position(session: Session, ticket: Ticket) -> int | None:
    """The ticket's 1-based place in the queue (None when it is not queued): one count of
    the queued tickets before it."""
    if ticket.status not in {s.value for s in QUEUED_STATUSES}:
        return None
    rank = priority_rank(ticket.priority)
    ahead = session.scalar(
        select(func.count(Ticket.id))
        .where(_queued())
        .where(or_(
            _priority_rank() < rank,
            and_(_priority_rank() == rank, or_(
                Ticket.queue_place < ticket.queue_place,
                and_(Ticket.queue_place == ticket.queue_place, Ticket.id < ticket.id),
            )),
        ))
    )
    return int(ahead or 0) + 1


def list_tickets(session: Session, statuses: Iterable[str] | None = None, *,
                 limit: int | None = None, offset: int = 0) -> list[Ticket]:
    """Tickets in ticket order (a stable order across pages), ``limit`` of them from
    ``offset`` (None: all), with their participants."""
    query = (select(Ticket).order_by(Ticket.id).offset(offset or None).limit(limit)
             .options(selectinload(Ticket.participants)))
    if statuses:
        query = query.where(Ticket.status.in_(list(statuses)))
    return list(session.scalars(query))


def count_tickets(session: Session, statuses: Iterable[str] | None = None) -> int:
    query = select(func.count()).select_from(Ticket)
    if statuses:
        query = query.where(Ticket.status.in_(list(statuses)))
    return int(session.scalar(query) or 0)


REF_PATTERN = re.compile(r"^(?:T-?)?(\d{1,18})$", re.IGNORECASE)


def find_ticket(session: Session, ref: str) -> Ticket:
    """A ticket by its ref (``T-42``, ``42``) or its token; UnknownTicketError otherwise."""
    text = ref.strip()
    match = REF_PATTERN.match(text)
    ticket: Ticket | None = None
    if match:
        ticket = session.get(Ticket, int(match.group(1)))
    if ticket is None and text:
        ticket = session.scalar(select(Ticket).where(Ticket.token == text.upper()))
    if ticket is None:
        raise UnknownTicketError(f"no ticket {ref!r}")
    return ticket


def add_quarantine(session: Session, record: QuarantinedMail) -> None:
    session.add(record)
