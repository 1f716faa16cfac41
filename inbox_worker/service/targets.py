"""Response targets applied to tickets: their clocks, what they show, and escalations.

The arithmetic is the pure `domain.targets`; this module reads and writes the ticket's
columns (`first_response_at`, `clock_seconds`, `clock_since`) and finds the tickets that
missed a target. An escalation is recorded as a `TargetBreach` row in the same transaction
as its alerts: the row's uniqueness (one per ticket and target) is what makes it one alert
per breach, also with several workers.
"""

from __future__ import annotations

from datetime import datetime

from inbox_worker.domain import targets
from inbox_worker.domain.model import Status
from inbox_worker.domain.targets import ResolutionClock, TargetHours, TargetView
from inbox_worker.store.models import Ticket


def clock_of(ticket: Ticket) -> ResolutionClock:
    return ResolutionClock(float(ticket.clock_seconds or 0), ticket.clock_since)


def start_clock(ticket: Ticket, now: datetime) -> None:
    """A new ticket: the resolution clock runs from now."""
    clock = targets.new_clock(now)
    ticket.clock_seconds, ticket.clock_since = int(clock.seconds), clock.since


def advance(ticket: Ticket, new_status: str, now: datetime, hours: TargetHours) -> None:
    """At every status change: bank the running time, run on or pause."""
    clock = targets.advance_clock(clock_of(ticket), Status(new_status), now,
                                  hours.business_hours)
    ticket.clock_seconds, ticket.clock_since = round(clock.seconds), clock.since


def view(ticket: Ticket, hours: TargetHours, now: datetime) -> TargetView:
    return targets.evaluate(
        priority=ticket.priority, status=Status(ticket.status), created_at=ticket.created_at,
        first_response_at=ticket.first_response_at, clock=clock_of(ticket), now=now,
        targets=hours,
    )

