"""The time rules, applied at `now`: auto-close of long-Answered tickets, scheduled start.

Which tickets are due is decided by the pure `domain.rules`/`domain.status`; this module
finds candidates, re-reads each under a row lock (skipping rows another worker holds), asks
`status.decide` again with the locked state, and writes the change and its notice in one
transaction per ticket. Running it twice, or from two workers at once, changes nothing more
and sends nothing twice: the second pass finds the tickets no longer due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain import rules, status
from inbox_worker.domain.model import Status
from inbox_worker.service.notify import Notifier
from inbox_worker.service.tickets import SYSTEM_ACTOR, TicketWriter, ticket_state
from inbox_worker.store.models import Ticket

log = logging.getLogger("inbox_worker.rules")


@dataclass(frozen=True)
class RulesSummary:
    auto_closed: int = 0
    started: int = 0


def apply_time_rules(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    notifier: Notifier,
) -> RulesSummary:
    policy = status.Policy(
        auto_close_days=settings.policy.auto_close_days,
        reopen_days=settings.policy.reopen_days,
    )
    with sessions() as session:
        close_ids = list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.status == Status.ANSWERED.value)
                .where(Ticket.answered_at <= rules.auto_close_cutoff(now, policy))
                .order_by(Ticket.id)
            )
        )
        start_ids = list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.scheduled_for.is_not(None))
                .where(Ticket.scheduled_for <= now)
                .where(Ticket.status != Status.CLOSED.value)
                .order_by(Ticket.id)
            )
        )
    closed = sum(
        _apply(sessions, settings, ticket_id, status.AutoClose(), now, policy, notifier,
               "auto-close: no customer reply since the answer")
        for ticket_id in close_ids
    )
    started = sum(
        _apply(sessions, settings, ticket_id, status.ScheduledStart(), now, policy, notifier,
               "scheduled time reached")
        for ticket_id in start_ids
    )
    return RulesSummary(auto_closed=closed, started=started)


def _apply(
    sessions: sessionmaker[Session],
    settings: Settings,
    ticket_id: int,
    event: status.Event,
    now: datetime,
    policy: status.Policy,
    notifier: Notifier,
    cause: str,
) -> bool:
    with sessions.begin() as session:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if ticket is None:
            return False  # another worker holds it right now and will apply the rule
        transition = status.decide(ticket_state(ticket), event, now, policy)
        if transition.rejected:
            return False  # no longer due: someone got here first, or a reply came in
        writer = TicketWriter(session, settings, now, notifier)
        writer.apply_transition(ticket, transition, actor=SYSTEM_ACTOR, cause=cause, message=None)
        if transition.notice is not None:
            reason = None
            if transition.notice is status.NoticeKind.AUTO_CLOSED:
                reason = f"no reply for {policy.auto_close_days} days after our answer"
            writer.notify(ticket, transition.notice, reason=reason)
        log.info("rule ticket=%s %s -> %s", ticket.ref, cause, ticket.status)
        return True

