"""Which tickets the time rules are due for at `now` (PRODUCT.md section 2).

This module owns the two time rules' due conditions: auto-close of an Answered ticket and
the start of scheduled work. `status.decide` refuses `AutoClose` / `ScheduledStart` with
exactly the reasons given here, so a runner that selects tickets with these predicates and
`decide` can never disagree. Pure: no I/O, `now` is an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from inbox_worker.domain.model import Policy, Status, TicketState


def auto_close_cutoff(now: datetime, policy: Policy) -> datetime:
    """Answers at or before this instant are old enough to auto-close (a store's query bound)."""
    return now - timedelta(days=policy.auto_close_days)


def auto_close_blocker(ticket: TicketState, now: datetime, policy: Policy) -> str | None:
    """Why `ticket` must not auto-close at `now`, or None when it is due."""
    if ticket.status != Status.ANSWERED:
        return f"only an Answered ticket auto-closes; this one is {ticket.status}"
    if ticket.scheduled_for is not None:
        # A customer's question about planned work was answered; the work itself is still
        # ahead, so closing now would drop it. The schedule's start decides instead.
        return "scheduled work is still pending"
    if ticket.answered_at is None:
        # Without the answer's time we cannot know the customer had their full period.
        return "no answer time is recorded"
    if ticket.answered_at > auto_close_cutoff(now, policy):
        due = ticket.answered_at + timedelta(days=policy.auto_close_days)
        return f"not due until {due.isoformat()}"
    return None


def is_auto_close_due(ticket: TicketState, now: datetime, policy: Policy) -> bool:
    """True when an Answered ticket's answer is at least `auto_close_days` old."""
    return auto_close_blocker(ticket, now, policy) is None


def scheduled_start_blocker(ticket: TicketState, now: datetime) -> str | None:
    """Why scheduled work on `ticket` must not start at `now`, or None when it is due."""
    if ticket.scheduled_for is None:
        return "no scheduled time is pending"
    if ticket.status == Status.CLOSED:
        # Closing clears the schedule; a leftover one must not resurrect a resolved ticket.
        return "the ticket is Closed"
    if ticket.scheduled_for > now:
        return f"not due until {ticket.scheduled_for.isoformat()}"
    return None


def is_scheduled_start_due(ticket: TicketState, now: datetime) -> bool:
    """True when a pending schedule's time has come (whatever replies arrived meanwhile)."""
    return scheduled_start_blocker(ticket, now) is None
