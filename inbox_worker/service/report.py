"""The team's numbers: what a support lead asks every week (`inbox-worker report`).

`build_report` reads the store with a handful of `select`s and hands plain rows to small pure
functions (percentiles, day buckets, first response, queue waiting time) that are tested
without a database. The result is a JSON-ready dict; `report_html.render_html` draws it.

Definitions (the README quotes these):

- **Cohort**: the tickets created in ``[start, end)``. Response and resolution times are
  measured on the cohort, using everything the store knows up to now (a ticket created on
  the last day and answered the day after still counts).
- **First response**: the first accepted technician action on the ticket, that is the first
  ticket event of kind ``status`` or ``reopened`` whose actor is a technician: a relayed
  answer or a ``#status`` command. Internal notes, ``#assign``/``#priority``/``#category``
  alone and refused tags are not a response. Measured from the ticket's creation.
- **Resolution**: from creation to the first event that moved the ticket into Closed (by a
  technician or by auto-close). A reopened and re-closed ticket keeps its first closing.
- **Percentiles**: linear interpolation between closest ranks (numpy's default, Excel's
  PERCENTILE.INC); the median is the 50th percentile. Hours, rounded to 0.01.
- **Opened / closed per day**: UTC days; every day that overlaps ``[start, end)``, zeros
  included. Opened counts creations, closed counts events moving a ticket into Closed, both
  inside ``[start, end)``.
- **Backlog**: tickets per status in the store as the report runs (``now``).
- **Queue**: the tickets in Open or Customer-Reply. A ticket's age is how long it has been
  waiting on the team: since it last entered Open or Customer-Reply from another status (or
  was created). A customer piling replies onto a waiting ticket does not make it younger.
- **Per technician** (every configured address, zeros included): ``answers`` are their
  accepted replies (answers and ``#status`` commands) in ``[start, end)``; ``closed`` their
  closings in ``[start, end)``; ``first_responses`` and ``median_first_response_hours`` over
  the cohort tickets they answered first; ``assigned_open`` the tickets assigned to them
  that are not Closed.

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
                  oldest_waiting_since}
technicians:     [{address, answers, closed, first_responses,
                   median_first_response_hours, assigned_open}, ...]
```

Hours are ``null`` when there is nothing to measure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.model import QUEUED_STATUSES, Status
from inbox_worker.errors import ConfigError, InboxWorkerError
from inbox_worker.service.views import iso
from inbox_worker.store.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from inbox_worker.app import App

# Event kinds that carry an accepted status decision (see service.tickets.apply_transition).
RESPONSE_KINDS = ("status", "reopened")
CLOSED = Status.CLOSED.value
QUEUED = frozenset(s.value for s in QUEUED_STATUSES)
DEFAULT_DAYS = 28


# --- pure helpers -------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    """The part of a ticket event the report reads."""

    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The `fraction` (0..1) percentile, interpolating linearly between closest ranks.

    None for no values. Same as numpy's default and Excel's PERCENTILE.INC.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def hours_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def duration_summary(hours: Sequence[float]) -> dict[str, Any]:
    """``count``, ``median_hours`` and ``p90_hours`` of some durations in hours."""
    return {
        "count": len(hours),
        "median_hours": rounded(median(hours)),
        "p90_hours": rounded(percentile(hours, 0.9)),
    }


def days_in(start: datetime, end: datetime) -> list[date]:
    """Every UTC day that overlaps ``[start, end)``, in order."""
    if end <= start:
        return []
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def per_day(days: Sequence[date], opened: Iterable[datetime],
            closed: Iterable[datetime]) -> list[dict[str, Any]]:
    """Opened and closed counts for each of `days` (moments outside them are ignored)."""
    opened_by_day = Counter(moment.astimezone(UTC).date() for moment in opened)
    closed_by_day = Counter(moment.astimezone(UTC).date() for moment in closed)
    return [{"date": day.isoformat(), "opened": opened_by_day[day], "closed": closed_by_day[day]}
            for day in days]


def is_closing(event: EventRow) -> bool:
    return event.to_status == CLOSED and event.from_status != CLOSED


def first_response(events: Sequence[EventRow],
                   technicians: frozenset[str]) -> EventRow | None:
    """The first accepted technician action among a ticket's events (in time order)."""
    return next((e for e in events
                 if e.kind in RESPONSE_KINDS and e.actor.casefold() in technicians), None)


def first_closing(events: Sequence[EventRow]) -> EventRow | None:
    return next((e for e in events if is_closing(e)), None)


def waiting_since(events: Sequence[EventRow], created_at: datetime) -> datetime:
    """When a queued ticket last entered the queue (Open/Customer-Reply) from elsewhere."""
    since = created_at
    queued = True  # a new ticket is Open
    for event in events:
        if event.to_status is None or event.to_status == event.from_status:
            continue
        now_queued = event.to_status in QUEUED
        if now_queued and not queued:
            since = event.at
        queued = now_queued
    return since


# --- the report ---------------------------------------------------------------------------


def build_report(session: Session, *, start: datetime, end: datetime, now: datetime,
                 technicians: frozenset[str]) -> dict[str, Any]:
    """The team's numbers for tickets and events in ``[start, end)``, backlog at ``now``."""
    for name, moment in (("start", start), ("end", end), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime")
    if end <= start:
        raise ValueError("the report period is empty: start must be before end")
    techs = frozenset(t.casefold() for t in technicians)
    days = days_in(start, end)

    cohort = dict(session.execute(
        select(Ticket.id, Ticket.created_at)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    ).all())
    cohort_events = _events_by_ticket(session, select(Ticket.id).where(
        Ticket.created_at >= start, Ticket.created_at < end).scalar_subquery())

    response_hours: list[float] = []
    resolution_hours: list[float] = []
    first_by: dict[str, list[float]] = defaultdict(list)
    for ticket_id, created_at in cohort.items():
        events = cohort_events.get(ticket_id, [])
        response = first_response(events, techs)
        if response is not None:
            waited = hours_between(created_at, response.at)
            response_hours.append(waited)
            first_by[response.actor.casefold()].append(waited)
        closing = first_closing(events)
        if closing is not None:
            resolution_hours.append(hours_between(created_at, closing.at))

    closings = session.execute(
        select(TicketEvent.at, TicketEvent.actor)
        .where(TicketEvent.to_status == CLOSED,
               or_(TicketEvent.from_status.is_(None), TicketEvent.from_status != CLOSED),
               TicketEvent.at >= start, TicketEvent.at < end)
    ).all()
    closed_by = Counter(actor.casefold() for _, actor in closings)

    answers = Counter[str]()
    for actor, count in session.execute(
        select(TicketEvent.actor, func.count())
        .where(TicketEvent.kind.in_(RESPONSE_KINDS),
               TicketEvent.at >= start, TicketEvent.at < end)
        .group_by(TicketEvent.actor)
    ):
        answers[actor.casefold()] += count

    assigned = Counter[str]()
    for assignee, count in session.execute(
        select(Ticket.assignee, func.count())
        .where(Ticket.assignee.is_not(None), Ticket.status != CLOSED)
        .group_by(Ticket.assignee)
    ):
        assigned[(assignee or "").casefold()] += count

    backlog = {status.value: 0 for status in Status}
    for status, count in session.execute(
        select(Ticket.status, func.count()).group_by(Ticket.status)
    ):
        backlog[status] = backlog.get(status, 0) + count

    first_response_summary = duration_summary(response_hours)
    first_response_summary["without_response"] = len(cohort) - len(response_hours)
    resolution_summary = duration_summary(resolution_hours)
    resolution_summary["unresolved"] = len(cohort) - len(resolution_hours)
    return {
        "period": {"start": iso(start), "end": iso(end), "now": iso(now), "days": len(days)},
        "tickets_created": len(cohort),
        "first_response": first_response_summary,
        "resolution": resolution_summary,
        "totals": {
            "opened": len(cohort),
            "closed": len(closings),
            "closed_automatically": sum(n for actor, n in closed_by.items()
                                        if actor not in techs),
        },
        "per_day": per_day(days, cohort.values(), (at for at, _ in closings)),
        "backlog": backlog,
        "queue": _queue(session, now),
        "technicians": [
            {
                "address": tech,
                "answers": answers[tech],
                "closed": closed_by[tech],
                "first_responses": len(first_by[tech]),
                "median_first_response_hours": rounded(median(first_by[tech])),
                "assigned_open": assigned[tech],
            }
            for tech in sorted(techs)
        ],
    }


def _events_by_ticket(session: Session, ticket_ids: Any) -> dict[int, list[EventRow]]:
    """Status-bearing events of the given tickets (a subquery of ids), in time order."""
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.kind,
               TicketEvent.from_status, TicketEvent.to_status, TicketEvent.actor)
        .where(TicketEvent.ticket_id.in_(ticket_ids),
               TicketEvent.to_status.is_not(None))
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
    events = _events_by_ticket(
        session, select(Ticket.id).where(Ticket.status.in_(sorted(QUEUED))).scalar_subquery())
    waiting = [
        (hours_between(since, now), ticket_id, subject, since)
        for ticket_id, created_at, subject in queued
        for since in [waiting_since(events.get(ticket_id, []), created_at)]
    ]
    oldest = max(waiting, key=lambda w: (w[0], -w[1]), default=None)
    return {
        "count": len(waiting),
        "median_age_hours": rounded(median(w[0] for w in waiting)),
        "max_age_hours": rounded(oldest[0]) if oldest else None,
        "oldest_ref": f"T-{oldest[1]}" if oldest else None,
        "oldest_subject": oldest[2] if oldest else None,
        "oldest_waiting_since": iso(oldest[3]) if oldest else None,
    }


# --- command line (the lead wires these into cli.py) --------------------------------------


def parse_report_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time, UTC unless it says otherwise.

    A bare date means its midnight, or with `end_of_day` the next midnight, so that
    ``--from 2026-10-01 --to 2026-10-31`` covers the whole of October.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date (2026-10-01) or date and time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _report_from(text: str) -> datetime:
    return parse_report_moment(text)


def _report_to(text: str) -> datetime:
    return parse_report_moment(text, end_of_day=True)


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="the team's numbers: response times, flow, backlog, queue")
    report.add_argument("--from", dest="start", type=_report_from, metavar="DATE",
                        help=f"start (ISO date or date-time, UTC; default: {DEFAULT_DAYS} "
                             "days before now)")
    report.add_argument("--to", dest="end", type=_report_to, metavar="DATE",
                        help="end, exclusive; a bare date includes that day (default: now)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--html", type=Path, metavar="FILE",
                        help="write the report as a self-contained HTML page")


def cmd_report(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.service.report_html import render_html

    now = app.clock()
    end = args.end or now
    start = args.start or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ConfigError(f"report period is empty: --from {iso(start)} is not before "
                          f"--to {iso(end)}")
    with app.sessions() as session:
        report = build_report(session, start=start, end=end, now=now,
                              technicians=app.settings.technicians.addresses)
    if args.html is not None:
        try:
            args.html.write_text(render_html(report), encoding="utf-8")
        except OSError as exc:
            raise InboxWorkerError(f"cannot write {args.html}: {exc.strerror}") from exc
        # With --json, stdout stays pure JSON.
        print(args.html, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.html is None:
        print(summary_text(report))
    return 0


def format_hours(value: float | None) -> str:
    """A duration for people: minutes, hours, or days."""
    if value is None:
        return "-"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h".replace(".0 h", " h")
    return f"{value / 24:.1f} d".replace(".0 d", " d")


def summary_text(report: dict[str, Any]) -> str:
    """A few lines for the terminal. No ticket subject: it is hostile text."""
    period, totals = report["period"], report["totals"]
    response, resolution, queue = report["first_response"], report["resolution"], report["queue"]
    lines = [
        f"report {period['start']} .. {period['end']} ({period['days']} day(s))",
        f"tickets: {totals['opened']} opened, {totals['closed']} closed "
        f"({totals['closed_automatically']} automatically)",
        f"first response: median {format_hours(response['median_hours'])}, "
        f"p90 {format_hours(response['p90_hours'])} ({response['count']} answered, "
        f"{response['without_response']} without answer)",
        f"resolution: median {format_hours(resolution['median_hours'])}, "
        f"p90 {format_hours(resolution['p90_hours'])} ({resolution['count']} resolved, "
        f"{resolution['unresolved']} not yet)",
        "backlog: " + ", ".join(f"{status} {count}"
                                for status, count in report["backlog"].items()),
        f"queue: {queue['count']} waiting, median {format_hours(queue['median_age_hours'])}, "
        f"oldest {queue['oldest_ref'] or '-'} ({format_hours(queue['max_age_hours'])})",
    ]
    for tech in report["technicians"]:
        lines.append(
            f"  {tech['address']:<30} answers {tech['answers']:>4}  closed {tech['closed']:>4}"
            f"  first response {format_hours(tech['median_first_response_hours'])} "
            f"({tech['first_responses']})  assigned {tech['assigned_open']}")
    return "\n".join(lines)
