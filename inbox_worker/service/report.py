"""The team's numbers: what a support lead asks every week (`inbox-worker report`).

`build_report` reads the store with a handful of `select`s and hands plain rows to the pure
`domain.report_stats`; the result is a JSON-ready dict that the renderings draw
(`report_text`, `report_html`, `report_csv`, `report_mail`). `cohort` gives the cohort's
tickets with their measurements, one per CSV row.

Definitions (the README quotes these):

- **Cohort**: the tickets created in ``[start, end)``. Response and resolution times are
  measured on the cohort, using everything the store knows up to now (a ticket created on
  the last day and answered the day after still counts).
- **First response**: the first accepted technician action on the ticket, that is the first
  ticket event of kind ``status`` or ``reopened`` whose actor is a technician: a relayed
  answer or a ``#status`` command. Internal notes, ``#assign``/``#priority``/``#category``
  alone and refused tags are not a response. Measured from the ticket's creation, in hours
  of the clock; its technician is who gave it.
- **Resolution**: from creation to the first event that moved the ticket into Closed (by a
  technician or by auto-close). A reopened and re-closed ticket keeps its first closing.
  Its technician is the ticket's assignee, else who closed it (``system`` for auto-close).
- **Percentiles**: linear interpolation between closest ranks (numpy's default, Excel's
  PERCENTILE.INC); the median is the 50th percentile. Hours, rounded to 0.01.
- **Opened / closed per day**: UTC days; every day that overlaps ``[start, end)``, zeros
  included. Opened counts creations, closed counts events moving a ticket into Closed, both
  inside ``[start, end)``.
- **Backlog**: tickets per status in the store as the report runs (``now``).
- **Queue**: the tickets in Open or Customer-Reply. A ticket's age is how long it has been
  waiting on the team: since it last entered Open or Customer-Reply from another status (or
  was created). A customer piling replies onto a waiting ticket does not make it younger.
  ``by_age`` counts them in the buckets < 4 h, 4-24 h, 1-3 d, 3-7 d, > 7 d.
- **Per technician** (every configured address, zeros included): ``answers`` are their
  accepted replies (answers and ``#status`` commands) in ``[start, end)``; ``closed`` their
  closings in ``[start, end)``; ``first_responses`` and ``median_first_response_hours`` over
  the cohort tickets they answered first; ``assigned_open`` the tickets assigned to them
  that are not Closed.
- **Target attainment** (per priority, ``[targets]``): of the cohort tickets that have the
  measurement, how many met the target. First response: the ticket's first relayed answer
  (``first_response_at``, as escalations judge it) came by creation plus the target in
  working time (business hours). Resolution: a ticket that is Closed now, whose resolution
  clock (working time only, paused while Answered, On-Hold or Scheduled, stopped at
  closing) stayed within the target. ``attainment`` = met / (met + missed), null when none
  was measured; a priority whose target is 0 has no target: null. ``escalations`` counts
  the breaches escalated in ``[start, end)`` (any ticket).
- **Satisfaction**: ``surveys_sent`` in ``[start, end)`` (not the skipped ones);
  ``response_rate`` = those of them
  rated (by now) / ``surveys_sent``. The ratings are those received in ``[start, end)``:
  ``average``, ``satisfied_share`` (4 or 5), ``distribution`` 1..5, per technician (the
  ticket's assignee, ``"(unassigned)"`` without one) and per category, and the latest 10
  with a comment.
- **Reopen rate**: cohort tickets reopened at least once (an event ``reopened``) over
  cohort tickets closed at least once.
- **Closed without resolution**: tickets with a closing in ``[start, end)`` whose
  ``resolution`` is empty (the first 20 refs).
- Categories: a ticket without one is ``"(none)"``. Priorities come in the order urgent,
  high, normal, low, then any other by name; shares are 0..1, rounded to 0.0001.

The dict (JSON keys):

```
period:          {start, end, now (ISO 8601, UTC, "Z"), days (int)}
tickets_created: int (cohort size)
first_response:  {count, median_hours, p90_hours, without_response}
resolution:      {count, median_hours, p90_hours, unresolved}
totals:          {opened, closed, closed_automatically}
per_day:         [{date "YYYY-MM-DD", opened, closed}, ...]
backlog:         {"Open": n, "In Progress": n, "Answered": n, "Closed": n,
                  "Scheduled": n, "On-Hold": n, "Customer-Reply": n}
queue:           {count, median_age_hours, max_age_hours, oldest_ref, oldest_subject,
                  oldest_waiting_since, by_age: [{label, count}, ...]}
technicians:     [{address, answers, closed, first_responses,
                   median_first_response_hours, assigned_open}, ...]
by_priority:     [{priority, tickets, first_response: {count, median_hours, p90_hours},
                   resolution: {count, median_hours, p90_hours}}, ...]
by_category:     [{category, tickets, first_response, resolution}, ...]
by_technician:   [{technician, tickets, first_response, resolution}, ...]
targets:         [{priority, first_response: {target_hours, met, missed, attainment} | null,
                   resolution: {target_hours, met, missed, attainment} | null}, ...]
escalations:     {first_response, resolution}
satisfaction:    {surveys_sent, response_rate, ratings, average, satisfied_share,
                  distribution: {"1": n, ..., "5": n},
                  by_technician: [{technician, ratings, average, satisfied_share}, ...],
                  by_category: [{category, ratings, average, satisfied_share}, ...],
                  comments: [{ref, rating, comment, at}, ...]}
reopens:         {closed, reopened, rate}
closed_without_resolution: {count, refs: [ref, ...]}
```

Hours, shares and averages are ``null`` when there is nothing to measure. ``by_technician``
``tickets`` counts the cohort tickets a technician answered first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain import report_stats as stats
from inbox_worker.domain.model import Status
from inbox_worker.domain.report_stats import (
    CLOSED,
    QUEUED,
    RESPONSE_KINDS,
    CohortTicket,
    EventRow,
    Measured,
    Rating,
)
from inbox_worker.domain.targets import TargetHours
from inbox_worker.service.views import iso
from inbox_worker.store.models import TargetBreach, Ticket, TicketEvent

DEFAULT_DAYS = 28
COHORT_BLOCK = 5000  # ticket ids read at a time
RESOLUTION_REFS = 20
_COHORT_COLUMNS = (
    Ticket.id, Ticket.subject, Ticket.customer, Ticket.status, Ticket.priority, Ticket.category,
    Ticket.assignee, Ticket.created_at, Ticket.first_response_at, Ticket.clock_seconds,
    Ticket.resolution, Ticket.resolution_by, Ticket.satisfaction_rating,
    Ticket.satisfaction_comment,
)
_CLOSING = (TicketEvent.to_status == CLOSED,
            or_(TicketEvent.from_status.is_(None), TicketEvent.from_status != CLOSED))


def check_period(start: datetime, end: datetime, now: datetime) -> None:
    for name, moment in (("start", start), ("end", end), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime")
    if end <= start:
        raise ValueError("the report period is empty: start must be before end")


def cohort(session: Session, *, start: datetime, end: datetime, technicians: frozenset[str],
           targets: TargetHours) -> list[Measured]:
    """The tickets created in ``[start, end)``, measured, in ref order.

    Read a block of ids at a time, each ticket's events dropped once it is measured, so
    that memory follows the number of tickets, not of their events (a 180-day cohort of
    100,000 tickets has some 700,000 events)."""
    techs = frozenset(t.casefold() for t in technicians)
    in_period = (Ticket.created_at >= start, Ticket.created_at < end)
    first, last = session.execute(select(func.min(Ticket.id), func.max(Ticket.id))
                                  .where(*in_period)).one()
    measured: list[Measured] = []
    for low in range(first or 0, (last or -1) + 1, COHORT_BLOCK):
        ids = (low, low + COHORT_BLOCK - 1)
        events = _events_by_ticket(session, TicketEvent.ticket_id.between(*ids))
        # Columns, not Ticket objects: a cohort can be large, and the report reads only these.
        rows = _rows(session, select(*_COHORT_COLUMNS)
                               .where(*in_period, Ticket.id.between(*ids)).order_by(Ticket.id))
        measured.extend(stats.measure(_cohort_ticket(row), techs, targets,
                                      events.get(row.id, ())) for row in rows)
    return measured


def _cohort_ticket(row: Any) -> CohortTicket:
    # By position (the columns are the ticket's fields in order, checked below): naming
    # each value costs a second per 100,000 tickets.
    return CohortTicket(*row[:_CLOCK], float(row[_CLOCK] or 0), *row[_CLOCK + 1:])


_CLOCK = [c.key for c in _COHORT_COLUMNS].index("clock_seconds")
assert [c.key for c in _COHORT_COLUMNS] == [
    f.name for f in fields(CohortTicket) if f.name != "events"], "columns out of order"


def build_report(session: Session, *, start: datetime, end: datetime, now: datetime,
                 technicians: frozenset[str], targets: TargetHours | None = None,
                 measured: list[Measured] | None = None) -> dict[str, Any]:
    """The team's numbers for tickets and events in ``[start, end)``, backlog at ``now``.
    `measured`: the period's `cohort`, when the caller has it already (for the CSV)."""
    check_period(start, end, now)
    targets = targets or TargetHours()
    techs = frozenset(t.casefold() for t in technicians)
    days = stats.days_in(start, end)
    if measured is None:
        measured = cohort(session, start=start, end=end, technicians=techs, targets=targets)

    response_hours = [m.first_response_hours for m in measured
                      if m.first_response_hours is not None]
    resolution_hours = [m.resolution_hours for m in measured if m.resolution_hours is not None]
    first_by: dict[str, list[float]] = defaultdict(list)
    for m in measured:
        if m.first_response is not None and m.first_response_hours is not None:
            first_by[m.first_response.actor.casefold()].append(m.first_response_hours)

    closings = session.execute(
        select(TicketEvent.at, TicketEvent.actor)
        .where(*_CLOSING, TicketEvent.at >= start, TicketEvent.at < end)
    ).all()
    closed_by = Counter(actor.casefold() for _, actor in closings)
    answers = _count_by(session, TicketEvent.actor, TicketEvent.kind.in_(RESPONSE_KINDS),
                        TicketEvent.at >= start, TicketEvent.at < end)
    assigned = _count_by(session, Ticket.assignee, Ticket.assignee.is_not(None),
                         Ticket.status != CLOSED)
    backlog = {status.value: 0 for status in Status}
    for status, count in session.execute(
        select(Ticket.status, func.count()).group_by(Ticket.status)
    ):
        backlog[status] = backlog.get(status, 0) + count

    first_response_summary = stats.duration_summary(response_hours)
    first_response_summary["without_response"] = len(measured) - len(response_hours)
    resolution_summary = stats.duration_summary(resolution_hours)
    resolution_summary["unresolved"] = len(measured) - len(resolution_hours)
    return {
        "period": {"start": iso(start), "end": iso(end), "now": iso(now), "days": len(days)},
        "tickets_created": len(measured),
        "first_response": first_response_summary,
        "resolution": resolution_summary,
        "totals": {
            "opened": len(measured),
            "closed": len(closings),
            "closed_automatically": sum(n for actor, n in closed_by.items()
                                        if actor not in techs),
        },
        "per_day": stats.per_day(days, (m.ticket.created_at for m in measured),
                                 (at for at, _ in closings)),
        "backlog": backlog,
        "queue": _queue(session, now),
        "technicians": [
            {
                "address": tech,
                "answers": answers[tech],
                "closed": closed_by[tech],
                "first_responses": len(first_by[tech]),
                "median_first_response_hours": stats.rounded(stats.median(first_by[tech])),
                "assigned_open": assigned[tech],
            }
            for tech in sorted(techs)
        ],
        "by_priority": stats.grouped_times(measured, "priority", lambda m: m.ticket.priority,
                                           order=stats.priority_key),
        "by_category": stats.grouped_times(measured, "category",
                                           lambda m: stats.category_of(m.ticket)),
        "by_technician": stats.grouped_times(
            measured, "technician",
            lambda m: m.first_response.actor.casefold() if m.first_response else None,
            resolution_group_of=lambda m: m.resolver),
        "targets": stats.attainment(measured, targets),
        "escalations": _escalations(session, start, end),
        "satisfaction": _satisfaction(session, start, end),
        "reopens": stats.reopen_rate(measured),
        "closed_without_resolution": _without_resolution(session, start, end),
    }


def _rows(session: Session, query: Any) -> Any:
    """Plain rows of a query of columns, through the session's connection: the ORM's
    row loading costs more than the query itself on a large cohort (4 s of 9 for 700,000
    rows), and columns need none of it."""
    return session.connection().execute(query).all()


def _count_by(session: Session, column: Any, *where: Any) -> Counter[str]:
    """Rows per value of `column` (an address), case-folded."""
    counts = Counter[str]()
    for value, count in session.execute(
        select(column, func.count()).where(*where).group_by(column)
    ):
        counts[(value or "").casefold()] += count
    return counts


def _events_by_ticket(session: Session, which: Any) -> dict[int, list[EventRow]]:
    """The status decisions (`RESPONSE_KINDS`: the only events that change a status) of
    the tickets `which` selects, in time order. Every other event (notes, assignments,
    escalations) carries the status unchanged and would only cost memory."""
    rows = _rows(
        session,
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.kind,
               TicketEvent.from_status, TicketEvent.to_status, TicketEvent.actor)
        .where(which, TicketEvent.kind.in_(RESPONSE_KINDS))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    events: dict[int, list[EventRow]] = defaultdict(list)
    for ticket_id, at, kind, from_status, to_status, actor in rows:
        events[ticket_id].append(EventRow(at, kind, from_status, to_status, actor))
    return events


def _queue(session: Session, now: datetime) -> dict[str, Any]:
    queued = session.execute(
        select(Ticket.id, Ticket.created_at, Ticket.subject)
        .where(Ticket.status.in_(sorted(QUEUED)))
    ).all()
    events = _events_by_ticket(session, TicketEvent.ticket_id.in_(
        select(Ticket.id).where(Ticket.status.in_(sorted(QUEUED))).scalar_subquery()))
    waiting = [
        (stats.hours_between(since, now), ticket_id, subject, since)
        for ticket_id, created_at, subject in queued
        for since in [stats.waiting_since(events.get(ticket_id, []), created_at)]
    ]
    oldest = max(waiting, key=lambda w: (w[0], -w[1]), default=None)
    return {
        "count": len(waiting),
        "median_age_hours": stats.rounded(stats.median(w[0] for w in waiting)),
        "max_age_hours": stats.rounded(oldest[0]) if oldest else None,
        "oldest_ref": f"T-{oldest[1]}" if oldest else None,
        "oldest_subject": oldest[2] if oldest else None,
        "oldest_waiting_since": iso(oldest[3]) if oldest else None,
        "by_age": stats.age_buckets(w[0] for w in waiting),
    }


def _escalations(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    counts = dict(session.execute(
        select(TargetBreach.target, func.count())
        .where(TargetBreach.at >= start, TargetBreach.at < end)
        .group_by(TargetBreach.target)
    ).all())
    return {target: int(counts.get(target, 0)) for target in ("first_response", "resolution")}


def _satisfaction(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    # A ticket the survey skipped (and one closed before surveys existed) carries
    # survey_sent_at = closed_at as a mark; a real survey goes days after the closing.
    sent = (Ticket.survey_sent_at >= start, Ticket.survey_sent_at < end,
            or_(Ticket.closed_at.is_(None), Ticket.survey_sent_at != Ticket.closed_at))
    surveys_sent = int(session.scalar(select(func.count(Ticket.id)).where(*sent)) or 0)
    answered = int(session.scalar(select(func.count(Ticket.id)).where(
        *sent, Ticket.satisfaction_rating.is_not(None))) or 0)
    ratings = [
        Rating(t.ref, int(t.satisfaction_rating or 0), t.satisfaction_comment,
               t.satisfaction_at or end, t.assignee.casefold() if t.assignee else None,
               t.category or stats.NO_CATEGORY)
        for t in session.scalars(
            select(Ticket)
            .where(Ticket.satisfaction_rating.is_not(None), Ticket.satisfaction_at >= start,
                   Ticket.satisfaction_at < end)
            .order_by(Ticket.id))
    ]
    result = stats.satisfaction(ratings, surveys_sent, answered)
    for comment in result["comments"]:
        comment["at"] = iso(comment["at"])
    return result


def _without_resolution(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    closed = (select(TicketEvent.ticket_id)
              .where(*_CLOSING, TicketEvent.at >= start, TicketEvent.at < end))
    refs = [f"T-{ticket_id}" for ticket_id in session.scalars(
        select(Ticket.id).where(Ticket.id.in_(closed.scalar_subquery()),
                                Ticket.resolution.is_(None)).order_by(Ticket.id))]
    return {"count": len(refs), "refs": refs[:RESOLUTION_REFS]}
