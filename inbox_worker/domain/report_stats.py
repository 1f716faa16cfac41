"""The report's arithmetic (PRODUCT.md section 5a), pure: rows in, numbers out.

Percentiles, UTC day buckets, a ticket's first response and first closing from its events,
how long a queued ticket has waited, durations grouped by priority, category or technician,
target attainment and satisfaction shares. No SQL and no clock: `service.report` reads the
store and hands these functions plain values; the definitions are in its docstring.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from inbox_worker.domain import targets
from inbox_worker.domain.model import QUEUED_STATUSES, Status

# Event kinds that carry an accepted status decision (see service.tickets.apply_transition).
RESPONSE_KINDS = ("status", "reopened")
REOPENED = "reopened"
CLOSED = Status.CLOSED.value
QUEUED = frozenset(s.value for s in QUEUED_STATUSES)
PRIORITY_ORDER = ("urgent", "high", "normal", "low")
NO_CATEGORY = "(none)"
# Queued tickets by how long they have waited: (label, upper bound in hours).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 4 h", 4), ("4-24 h", 24), ("1-3 d", 72), ("3-7 d", 168), ("> 7 d", math.inf))


@dataclass(frozen=True, slots=True)
class EventRow:
    """The part of a ticket event the report reads."""

    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class CohortTicket:
    """One ticket of the cohort as the report reads it, with its status-bearing events."""

    id: int
    subject: str
    customer: str
    status: str
    priority: str
    category: str | None
    assignee: str | None
    created_at: datetime
    first_response_at: datetime | None  # the targets' first response (a relayed answer)
    clock_seconds: float  # the resolution clock's working seconds (stopped when Closed)
    resolution: str | None
    resolution_by: str | None
    satisfaction_rating: int | None
    satisfaction_comment: str | None
    events: tuple[EventRow, ...] = ()

    @property
    def ref(self) -> str:
        return f"T-{self.id}"


@dataclass(frozen=True, slots=True)
class Measured:
    """A cohort ticket's measurements (hours are wall-clock, from creation)."""

    ticket: CohortTicket
    first_response: EventRow | None
    first_response_hours: float | None
    closing: EventRow | None
    resolution_hours: float | None
    resolver: str | None  # the assignee, else who closed it; None while never closed
    first_response_met: bool | None  # None: no target, or no first response yet
    resolution_met: bool | None  # None: no target, or not Closed
    reopened: int


# --- numbers ------------------------------------------------------------------------------


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


def share(part: int, whole: int) -> float | None:
    """`part / whole` rounded to 0.0001; None when `whole` is 0."""
    return round(part / whole, 4) if whole else None


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


def age_buckets(ages_hours: Iterable[float]) -> list[dict[str, Any]]:
    """How many of `ages_hours` fall in each of `AGE_BUCKETS` (upper bound exclusive)."""
    counts = Counter(next(label for label, bound in AGE_BUCKETS if age < bound)
                     for age in ages_hours)
    return [{"label": label, "count": counts[label]} for label, _ in AGE_BUCKETS]


# --- one ticket's history -----------------------------------------------------------------


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


def first_response_met(ticket: CohortTicket, hours: targets.TargetHours) -> bool | None:
    """Whether the targets' first response came by its deadline (working time, as the
    escalations judge it); None without a target or a first response."""
    if ticket.first_response_at is None:
        return None
    limit = targets.target_seconds(hours.first_response, ticket.priority)
    if limit is None:
        return None
    due = targets.add_working_time(ticket.created_at, limit, hours.business_hours)
    return ticket.first_response_at <= due


def resolution_met(ticket: CohortTicket, hours: targets.TargetHours) -> bool | None:
    """Whether a Closed ticket's resolution clock (paused while waiting on others, business
    hours only, stopped at closing) stayed within its target; None otherwise."""
    limit = targets.target_seconds(hours.resolution, ticket.priority)
    if limit is None or ticket.status != CLOSED:
        return None
    return ticket.clock_seconds <= limit


def measure(ticket: CohortTicket, technicians: frozenset[str], hours: targets.TargetHours,
            events: Sequence[EventRow] | None = None) -> Measured:
    """`events`: the ticket's, when it does not hold them (a large cohort lets each
    ticket's events go once it is measured)."""
    if events is None:
        events = ticket.events
    response = first_response(events, technicians)
    closing = first_closing(events)
    resolver = None
    if closing is not None:
        resolver = (ticket.assignee or closing.actor).casefold()
    return Measured(
        ticket=ticket,
        first_response=response,
        first_response_hours=None if response is None
        else hours_between(ticket.created_at, response.at),
        closing=closing,
        resolution_hours=None if closing is None
        else hours_between(ticket.created_at, closing.at),
        resolver=resolver,
        first_response_met=first_response_met(ticket, hours),
        resolution_met=resolution_met(ticket, hours),
        reopened=sum(1 for e in events if e.kind == REOPENED),
    )


# --- groups -------------------------------------------------------------------------------


def priority_key(priority: str) -> tuple[int, str]:
    """urgent, high, normal, low first, then any other value by name."""
    return (PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER
            else len(PRIORITY_ORDER), priority)


def category_of(ticket: CohortTicket) -> str:
    return ticket.category or NO_CATEGORY


def grouped_times(rows: Sequence[Measured], key: str,
                  group_of: Callable[[Measured], str | None],
                  resolution_group_of: Callable[[Measured], str | None] | None = None,
                  order: Callable[[str], Any] = str) -> list[dict[str, Any]]:
    """First-response and resolution summaries per group, named by `key`. A row with a
    None group is left out; `resolution_group_of` (default `group_of`) groups resolutions."""
    response: dict[str, list[float]] = defaultdict(list)
    resolution: dict[str, list[float]] = defaultdict(list)
    tickets: Counter[str] = Counter()
    resolved_by = resolution_group_of or group_of
    for row in rows:
        group = group_of(row)
        if group is not None:
            tickets[group] += 1
            if row.first_response_hours is not None:
                response[group].append(row.first_response_hours)
        resolver = resolved_by(row)
        if resolver is not None and row.resolution_hours is not None:
            resolution[resolver].append(row.resolution_hours)
    names = sorted(set(tickets) | set(response) | set(resolution), key=order)
    return [{key: name, "tickets": tickets[name],
             "first_response": duration_summary(response[name]),
             "resolution": duration_summary(resolution[name])} for name in names]


def attainment(rows: Sequence[Measured], hours: targets.TargetHours) -> list[dict[str, Any]]:
    """Per priority of the cohort (and every configured one): how many tickets met each
    target, of those that have the measurement; a target of 0 (none) gives null."""
    priorities = sorted({r.ticket.priority for r in rows} | set(hours.first_response)
                        | set(hours.resolution), key=priority_key)
    result = []
    for priority in priorities:
        mine = [r for r in rows if r.ticket.priority == priority]
        result.append({
            "priority": priority,
            "first_response": _attained(
                hours.first_response, priority, [r.first_response_met for r in mine]),
            "resolution": _attained(
                hours.resolution, priority, [r.resolution_met for r in mine]),
        })
    return result


def _attained(limits: Any, priority: str, outcomes: Iterable[bool | None]
              ) -> dict[str, Any] | None:
    seconds = targets.target_seconds(limits, priority)
    if seconds is None:
        return None
    judged = [o for o in outcomes if o is not None]
    met = sum(judged)
    return {"target_hours": rounded(seconds / 3600), "met": met, "missed": len(judged) - met,
            "attainment": share(met, len(judged))}


@dataclass(frozen=True)
class Rating:
    """A satisfaction answer received in the period."""

    ref: str
    rating: int
    comment: str | None
    at: datetime
    technician: str | None  # the ticket's assignee
    category: str


def rating_summary(ratings: Sequence[Rating]) -> dict[str, Any]:
    """``ratings``, ``average``, ``satisfied_share`` (4-5) of some ratings."""
    values = [r.rating for r in ratings]
    return {
        "ratings": len(values),
        "average": round(sum(values) / len(values), 2) if values else None,
        "satisfied_share": share(sum(1 for v in values if v >= 4), len(values)),
    }


def satisfaction(ratings: Sequence[Rating], surveys_sent: int, surveys_answered: int,
                 comments: int = 10) -> dict[str, Any]:
    """The survey's figures; `surveys_answered` counts the surveys sent in the period that
    have a rating."""
    distribution = Counter(r.rating for r in ratings)
    latest = sorted((r for r in ratings if r.comment), key=lambda r: r.at, reverse=True)
    return {
        "surveys_sent": surveys_sent,
        "response_rate": share(surveys_answered, surveys_sent),
        **rating_summary(ratings),
        "distribution": {str(n): distribution[n] for n in range(1, 6)},
        "by_technician": _ratings_by(ratings, "technician", "(unassigned)"),
        "by_category": _ratings_by(ratings, "category", NO_CATEGORY),
        "comments": [{"ref": r.ref, "rating": r.rating, "comment": r.comment,
                      "at": r.at} for r in latest[:comments]],
    }


def _ratings_by(ratings: Sequence[Rating], key: str, missing: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        groups[getattr(rating, key) or missing].append(rating)
    return [{key: name, **rating_summary(groups[name])} for name in sorted(groups)]


def reopen_rate(rows: Sequence[Measured]) -> dict[str, Any]:
    """Cohort tickets reopened at least once, over cohort tickets closed at least once."""
    closed = sum(1 for r in rows if r.closing is not None)
    reopened = sum(1 for r in rows if r.reopened)
    return {"closed": closed, "reopened": reopened, "rate": share(reopened, closed)}
