"""The technicians' daily digest: the queue in order, what is past its target, and
yesterday's figures, to the digest recipients (PRODUCT.md section 4a).

Once a day per local day ([alerts] timezone): the day is recorded in `digests` in the same
transaction as the digest's mails, and its primary key refuses a second record, so that
two workers (or `run` and a cron job running `digest send --once`) never send it twice.
`digest send` without `--once` sends it now whatever went before, as asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.domain.model import Status
from inbox_worker.notices.variables import DIGEST
from inbox_worker.service import targets
from inbox_worker.service.outbox import Outbox
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Digest, Message, TargetBreach, Ticket, TicketEvent

log = logging.getLogger("inbox_worker.digest")
# Yesterday's closings listed with their resolution; the figures count them all.
CLOSED_SHOWN = 50


@dataclass(frozen=True)
class DigestResult:
    day: date
    queued: int  # recipients of the digest mail written to the outbox (one mail to all)
    already_sent: bool = False


def local_day(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def digest_due(now: datetime, digest_at: str, zone: str) -> bool:
    """Whether today's digest time (local `digest_at`, HH:MM; "" = off) has come."""
    if not digest_at:
        return False
    hours, minutes = (int(part) for part in digest_at.split(":"))
    local = now.astimezone(ZoneInfo(zone))
    return local.time() >= time(hours, minutes)


def send_digest(sessions: sessionmaker[Session], outbox: Outbox, now: datetime, *,
                once: bool) -> DigestResult:
    """Queue today's digest to the digest recipients and record the day. `once` (the
    daily digest of `run`, or cron's `digest send --once`): not if today's went already."""
    settings = outbox.settings
    day = local_day(now, settings.alerts.timezone)
    try:
        with sessions.begin() as session:
            recorded = session.get(Digest, day.isoformat()) is not None
            if once and recorded:
                return DigestResult(day, 0, already_sent=True)
            if not recorded:
                session.add(Digest(day=day.isoformat(), created_at=now))
                session.flush()
            context = digest_context(session, outbox, now, day)
            recipients = outbox.audience.digest
            queued = len(recipients) if recipients and outbox.internal(
                session, DIGEST, recipients, context, now) is not None else 0
    except IntegrityError:
        # Another worker recorded today's digest between our look and our write.
        return DigestResult(day, 0, already_sent=True)
    log.info("digest day=%s recipients=%d once=%s", day, queued, once)
    return DigestResult(day, queued)


def digest_context(session: Session, outbox: Outbox, now: datetime, day: date
                   ) -> dict[str, Any]:
    queue = repo.queue(session)
    positions = {t.id: i for i, t in enumerate(queue, start=1)}
    # Every open ticket's targets evaluated once; the queued ones are among them.
    shown: dict[int, dict[str, Any]] = {}
    overdue = []
    for ticket in session.scalars(
        select(Ticket).where(Ticket.status != Status.CLOSED.value).order_by(Ticket.id)
    ):
        view = targets.view(ticket, outbox.settings.targets, now)
        shown[ticket.id] = outbox.ticket_data(ticket, now, positions.get(ticket.id), view)
        if view.overdue:  # past a target and not yet handled
            overdue.append(shown[ticket.id])
    tickets = [shown[t.id] for t in queue]
    zone = outbox.settings.alerts.timezone
    start, end = local_day_bounds(day - timedelta(days=1), zone)
    closed = [outbox.ticket_data(ticket, now, None) for ticket in session.scalars(
        select(Ticket).where(Ticket.status == Status.CLOSED.value, Ticket.closed_at >= start,
                             Ticket.closed_at < end)
        .order_by(Ticket.closed_at, Ticket.id).limit(CLOSED_SHOWN))]
    context = outbox.internal_context(now)
    context.update(tickets=tickets, overdue=overdue, closed=closed,
                   figures=yesterday_figures(session, now, day, zone))
    return context


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The local `day` in `zone` as [start, end)."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz)


def yesterday_figures(session: Session, now: datetime, today: date, zone: str
                      ) -> dict[str, Any]:
    """What happened on the local day before `today`."""
    yesterday = today - timedelta(days=1)
    start, end = local_day_bounds(yesterday, zone)

    def count(query: Any) -> int:
        return int(session.scalar(query) or 0)

    events = select(func.count(TicketEvent.id)).where(TicketEvent.at >= start,
                                                     TicketEvent.at < end)
    new = count(select(func.count(Ticket.id)).where(Ticket.created_at >= start,
                                                    Ticket.created_at < end))
    return {
        "day": yesterday,
        "new": new,
        "closed": count(events.where(TicketEvent.to_status == Status.CLOSED.value,
                                     TicketEvent.from_status != Status.CLOSED.value)),
        "answered": count(events.where(TicketEvent.to_status == Status.ANSWERED.value)),
        "reopened": count(events.where(TicketEvent.kind == "reopened")),
        "customer_replies": max(0, count(
            select(func.count(Message.id)).where(
                Message.direction == "in", Message.kind == "customer",
                Message.received_at >= start, Message.received_at < end,
            )
        ) - new),  # a new ticket's first mail is no reply
        "breached": count(select(func.count(TargetBreach.id)).where(TargetBreach.at >= start,
                                                                   TargetBreach.at < end)),
    }
