"""The time rules, applied at `now`: auto-close of long-Answered tickets, scheduled start,
escalation of tickets past a response target, and the satisfaction surveys due
(`service.followup`).

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain import rules, status
from inbox_worker.domain import targets as domain_targets
from inbox_worker.domain.alerts import AlertEvent
from inbox_worker.domain.model import Status
from inbox_worker.service import followup, targets
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.tickets import SYSTEM_ACTOR, TicketWriter, ticket_state
from inbox_worker.store import repository as repo
from inbox_worker.store.models import TargetBreach, Ticket, ticket_ref

log = logging.getLogger("inbox_worker.rules")


@dataclass(frozen=True)
class RulesSummary:
    auto_closed: int = 0
    started: int = 0
    escalated: int = 0
    surveys: int = 0


def apply_time_rules(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    outbox: Outbox,
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
        _apply(sessions, settings, ticket_id, status.AutoClose(), now, policy, outbox,
               "auto-close: no customer reply since the answer")
        for ticket_id in close_ids
    )
    started = sum(
        _apply(sessions, settings, ticket_id, status.ScheduledStart(), now, policy, outbox,
               "scheduled time reached")
        for ticket_id in start_ids
    )
    return RulesSummary(auto_closed=closed, started=started,
                        escalated=escalate_breaches(sessions, settings, now, outbox),
                        surveys=followup.send_surveys(sessions, settings, now, outbox))


def escalate_breaches(sessions: sessionmaker[Session], settings: Settings, now: datetime,
                      outbox: Outbox) -> int:
    """One escalation alert per missed target (to the assignee and the escalation list),
    recorded as a `TargetBreach` in the alert's transaction. With business hours, an
    escalation waits for working time: nobody is there to act at night."""
    hours = settings.targets
    if not domain_targets.is_working(now, hours.business_hours):
        return 0
    with sessions() as session:
        candidates = [
            (ticket.id, missed)
            for ticket in session.scalars(
                select(Ticket).where(Ticket.status != Status.CLOSED.value).order_by(Ticket.id))
            if (missed := targets.view(ticket, hours, now).overdue)
        ]
        if not candidates:
            return 0
        done = set(session.execute(
            select(TargetBreach.ticket_id, TargetBreach.target)
            .where(TargetBreach.ticket_id.in_([ticket_id for ticket_id, _ in candidates]))
        ).all())
    escalated = 0
    for ticket_id, missed in candidates:
        new = [target for target in missed if (ticket_id, target) not in done]
        if new:
            escalated += _escalate(sessions, settings, ticket_id, new, now, outbox)
    return escalated


def _escalate(sessions: sessionmaker[Session], settings: Settings, ticket_id: int,
              missed: list[str], now: datetime, outbox: Outbox) -> int:
    try:
        with sessions.begin() as session:
            ticket = repo.try_lock_ticket(session, ticket_id)
            if ticket is None:
                return 0  # another worker holds it now; the next pass looks again
            view = targets.view(ticket, settings.targets, now)
            missed = [target for target in missed if target in view.overdue]
            if not missed:
                return 0
            for target in missed:
                due = (view.first_response_due if target == "first_response"
                       else view.resolution_due)
                session.add(TargetBreach(ticket_id=ticket.id, target=target, due_at=due, at=now))
            session.flush()
            writer = TicketWriter(session, settings, now, outbox)
            writer.add_event(ticket, "escalation", ticket.status, ticket.status, SYSTEM_ACTOR,
                             "missed target: " + ", ".join(missed), None)
            writer.alert(ticket, AlertEvent.ESCALATION, actor=None, breached=missed)
    except IntegrityError:
        return 0  # another worker escalated it first
    log.info("rule ticket=%s escalation %s", ticket_ref(ticket_id), ",".join(missed))
    return 1


def _apply(
    sessions: sessionmaker[Session],
    settings: Settings,
    ticket_id: int,
    event: status.Event,
    now: datetime,
    policy: status.Policy,
    outbox: Outbox,
    cause: str,
) -> bool:
    with sessions.begin() as session:
        ticket = repo.try_lock_ticket(session, ticket_id)
        if ticket is None:
            return False  # another worker holds it right now and will apply the rule
        transition = status.decide(ticket_state(ticket), event, now, policy)
        if transition.rejected:
            return False  # no longer due: someone got here first, or a reply came in
        writer = TicketWriter(session, settings, now, outbox)
        auto_closed = transition.notice is status.NoticeKind.AUTO_CLOSED
        if auto_closed and ticket.resolution is None:
            # A technician's own summary, written before, stays.
            writer.record_resolution(
                ticket, f"closed automatically after {policy.auto_close_days} days "
                        "without reply", SYSTEM_ACTOR, None)
        writer.apply_transition(ticket, transition, actor=SYSTEM_ACTOR, cause=cause, message=None)
        if transition.notice is not None:
            reason = None
            if auto_closed:
                reason = f"no reply for {policy.auto_close_days} days after our answer"
            writer.notify(ticket, transition.notice, reason=reason)
        log.info("rule ticket=%s %s -> %s", ticket.ref, cause, ticket.status)
        return True

