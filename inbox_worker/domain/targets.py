"""Response targets (PRODUCT.md section 4a): business hours, working time, the resolution clock.

This module owns the time arithmetic behind `due_at` and `breached`: which moments are working
time, how much working time lies between two moments, when a target's hours run out, and how
the resolution clock pauses and runs with the ticket's status. Pure: no I/O, `now` is always an
argument, only the standard library and `domain.model`.

Business hours are counted on the zone's wall clock, so 09:00-17:00 Europe/Berlin is eight
hours on the days the clocks change too, and whole weeks are counted by multiplication. (Only
working hours that overlap the hour the clocks skip or repeat, e.g. 00:00-06:00 in Berlin, count
that night by the wall clock rather than by the hours that passed.)
Naive datetimes are taken as UTC, as the rest of the project does with SQLite's values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_worker.domain.model import Status

_WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS: Final = tuple(
    f"{d}day" for d in ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
)
_TIME_RE: Final = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class BusinessHours:
    """The weekly working periods: the same start and end on each listed weekday, in `zone`."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    def __post_init__(self) -> None:
        # Validated here too, not only in `parse`: the arithmetic below divides by a day's and
        # a week's working time, so hours without any must never be built.
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"business days must be weekdays 0-6 (Monday = 0), got {self.days}")
        if self.end <= self.start:
            raise ValueError(
                f"business hours end {self.end:%H:%M} must be after start {self.start:%H:%M}"
                " (no overnight shifts)"
            )

    @classmethod
    def parse(cls, days: str, start: str, end: str, zone: str) -> BusinessHours:
        """Business hours from the configuration's strings; ValueError with one readable line."""
        start_time, end_time = _parse_time(start, "start"), _parse_time(end, "end")
        return cls(_parse_days(days), start_time, end_time, _parse_zone(zone))

    @property
    def day_seconds(self) -> float:
        """The wall-clock length of one working day."""
        return _seconds_of_day(self.end) - _seconds_of_day(self.start)

    @property
    def week_seconds(self) -> float:
        return len(self.days) * self.day_seconds


def _parse_days(spec: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `Mon - Fri`, `sun-thu` (a range may wrap past Sunday)."""
    if not spec.strip():
        raise ValueError('business days are empty; use e.g. "mon-fri" or "mon,wed,fri"')
    days: set[int] = set()
    for item in spec.split(","):
        first, dash, last = item.partition("-")
        if not dash:
            days.add(_parse_weekday(first, spec))
            continue
        a, b = _parse_weekday(first, spec), _parse_weekday(last, spec)
        days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    return frozenset(days)


def _parse_weekday(name: str, spec: str) -> int:
    key = name.strip().lower()
    for names in (_WEEKDAYS, _FULL_WEEKDAYS):
        if key in names:
            return names.index(key)
    raise ValueError(
        f'unknown weekday "{name.strip()}" in business days "{spec}"'
        " (use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, commas)"
    )


def _parse_time(text: str, what: str) -> time:
    match = _TIME_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'business hours {what} "{text}" is not a time; use HH:MM, e.g. 09:00')
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f'business hours {what} "{text}" is not a time of day (00:00 to 23:59)')
    return time(hour, minute)


def _parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        # ZoneInfo says "keys must be normalized relative paths" for typos; say what we mean.
        raise ValueError(
            f'unknown time zone "{name}" (use an IANA name such as "Europe/Berlin" or "UTC")'
        ) from None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _seconds_of_day(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _wall(moment: datetime, hours: BusinessHours) -> datetime:
    """`moment` as the naive wall-clock time in the hours' zone."""
    return _utc(moment).astimezone(hours.zone).replace(tzinfo=None)


def _from_wall(wall: datetime, hours: BusinessHours) -> datetime:
    return wall.replace(tzinfo=hours.zone).astimezone(UTC)


def _worked_in_day(wall: datetime, hours: BusinessHours) -> float:
    """Working seconds on `wall`'s day up to `wall`."""
    if wall.weekday() not in hours.days:
        return 0.0
    start, end = _seconds_of_day(hours.start), _seconds_of_day(hours.end)
    return min(max(_seconds_of_day(wall.time()), start), end) - start


def _worked_since(monday: date, wall: datetime, hours: BusinessHours) -> float:
    """Working seconds from 00:00 of `monday` to `wall`: whole weeks by multiplication."""
    weeks, weekday = divmod((wall.date() - monday).days, 7)
    earlier_days = sum(hours.day_seconds for d in range(weekday) if d in hours.days)
    return weeks * hours.week_seconds + earlier_days + _worked_in_day(wall, hours)


def _wall_when_worked(monday: date, seconds: float, hours: BusinessHours) -> datetime:
    """The earliest wall time at which `seconds` (> 0) have been worked since `monday` 00:00.

    Every working day has the same length, so the day is found by division, weeks included.
    """
    day = hours.day_seconds
    before = max(0, math.ceil(seconds / day) - 1)  # whole working days before the last one
    if before > 0 and seconds - before * day <= 0:  # the division rounded up an exact multiple
        before -= 1
    elif seconds - before * day > day:
        before += 1
    weeks, nth = divmod(before, len(hours.days))
    last_day = monday + timedelta(weeks=weeks, days=sorted(hours.days)[nth])
    rest = min(max(seconds - before * day, 0.0), day)
    return datetime.combine(last_day, hours.start) + timedelta(seconds=rest)


def _monday_of(wall: datetime) -> date:
    return wall.date() - timedelta(days=wall.weekday())


def is_working(moment: datetime, hours: BusinessHours | None) -> bool:
    """True inside a working period (start inclusive, end exclusive); None: always."""
    if hours is None:
        return True
    wall = _wall(moment, hours)
    return wall.weekday() in hours.days and hours.start <= wall.time() < hours.end


def next_working_moment(moment: datetime, hours: BusinessHours | None) -> datetime:
    """`moment` itself when it is working time, else the start of the next working period."""
    if is_working(moment, hours) or hours is None:
        return _utc(moment)
    wall = _wall(moment, hours)
    # Today counts only before its start; after its end, the same weekday is a week away.
    today = 0 if wall.time() < hours.start else 7
    ahead = min((day - wall.weekday()) % 7 or today for day in hours.days)
    return _from_wall(datetime.combine(wall.date() + timedelta(days=ahead), hours.start), hours)


def working_seconds(start: datetime, end: datetime, hours: BusinessHours | None) -> float:
    """The working time between two moments; 0 when `end` is not after `start`."""
    if _utc(end) <= _utc(start):
        return 0.0
    if hours is None:
        return (_utc(end) - _utc(start)).total_seconds()
    wall_start, wall_end = _wall(start, hours), _wall(end, hours)
    monday = _monday_of(wall_start)
    # max(): inside a repeated autumn hour the wall clock runs backwards for a while.
    worked = _worked_since(monday, wall_end, hours) - _worked_since(monday, wall_start, hours)
    return max(0.0, worked)


def add_working_time(start: datetime, seconds: float, hours: BusinessHours | None) -> datetime:
    """The moment (UTC) at which `seconds` of working time have passed since `start`.

    The earliest such moment: a deadline that uses up a day's hours falls at that day's end,
    not at the next morning. `seconds` <= 0 gives `start`.
    """
    if not math.isfinite(seconds):
        raise ValueError(f"working time must be finite, got {seconds}")
    origin = _utc(start)
    if seconds <= 0:
        return origin
    if hours is None:
        return origin + timedelta(seconds=seconds)
    wall_start = _wall(origin, hours)
    monday = _monday_of(wall_start)
    target = _worked_since(monday, wall_start, hours) + seconds
    result = _from_wall(_wall_when_worked(monday, target, hours), hours)
    return max(result, origin)  # rounding must never put a deadline before its start


_Hours = dict[str, float]
DEFAULT_FIRST_RESPONSE_HOURS: Final[_Hours] = {"urgent": 1, "high": 4, "normal": 24, "low": 72}
DEFAULT_RESOLUTION_HOURS: Final[_Hours] = {"urgent": 8, "high": 24, "normal": 72, "low": 168}


def _frozen(hours: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(hours))


@dataclass(frozen=True)
class TargetHours:
    """Hours per priority value to first response and to resolution, and the business hours.

    The mappings are copied read-only, so a settings object cannot change under a running
    worker; `TargetHours()` is the PRODUCT.md default, around the clock.
    """

    first_response: Mapping[str, float] = field(default_factory=DEFAULT_FIRST_RESPONSE_HOURS.copy)
    resolution: Mapping[str, float] = field(default_factory=DEFAULT_RESOLUTION_HOURS.copy)
    business_hours: BusinessHours | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_response", _frozen(self.first_response))
        object.__setattr__(self, "resolution", _frozen(self.resolution))


# Waiting on the customer (Answered) or on others (On-Hold, Scheduled) pauses the clock;
# Closed stops it until a reopen.
RUNNING_STATUSES: Final = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.CUSTOMER_REPLY})


@dataclass(frozen=True)
class ResolutionClock:
    """Working seconds banked up to `since`; `since` is None while paused or stopped."""

    seconds: float = 0.0
    since: datetime | None = None

    def used(self, now: datetime, hours: BusinessHours | None) -> float:
        """Banked plus running working time at `now`."""
        running = 0.0 if self.since is None else working_seconds(self.since, now, hours)
        return self.seconds + running


def new_clock(created_at: datetime) -> ResolutionClock:
    """A new ticket is Open, so its clock runs from creation."""
    return ResolutionClock(0.0, _utc(created_at))


def advance_clock(
    clock: ResolutionClock, new_status: Status, now: datetime, hours: BusinessHours | None
) -> ResolutionClock:
    """Bank the running time up to `now`, then run from `now` iff `new_status` runs the clock."""
    since = _utc(now) if new_status in RUNNING_STATUSES else None
    return ResolutionClock(clock.used(now, hours), since)


FIRST_RESPONSE: Final = "first_response"
RESOLUTION: Final = "resolution"


@dataclass(frozen=True)
class TargetView:
    """A ticket's targets at one moment, as the JSON, the digest and escalation need them."""

    first_response_due: datetime | None
    resolution_due: datetime | None
    due_at: datetime | None
    breached: tuple[str, ...]
    overdue: tuple[str, ...]


def target_seconds(hours_by_priority: Mapping[str, float], priority: str) -> float | None:
    """The target for `priority` in seconds; None when there is none (0, negative, absent)."""
    key = priority.strip().lower()
    hours = hours_by_priority.get(key, hours_by_priority.get("normal"))
    if hours is None or not math.isfinite(hours) or hours <= 0:
        return None
    return hours * 3600.0


def _first_response_late(
    deadline: datetime | None, first_response_at: datetime | None, now: datetime
) -> bool:
    """Judged at the response, or at `now` while none was given."""
    if deadline is None:
        return False
    return (now if first_response_at is None else _utc(first_response_at)) > deadline


def _resolution_due(
    status: Status, clock: ResolutionClock, limit: float, hours: BusinessHours | None
) -> datetime | None:
    """When the running clock reaches `limit`; None while it is paused or stopped."""
    if clock.since is None or status not in RUNNING_STATUSES:
        return None
    return add_working_time(clock.since, max(0.0, limit - clock.seconds), hours)


def evaluate(
    *,
    priority: str,
    status: Status,
    created_at: datetime,
    first_response_at: datetime | None,
    clock: ResolutionClock,
    now: datetime,
    targets: TargetHours,
) -> TargetView:
    """Where a ticket stands against its targets at `now`.

    A deadline that has passed counts as breached even when it fell at the end of a working
    day and no working time has passed since: a `due_at` in the past always shows up in
    `breached`, for both targets alike. Nothing on a Closed ticket is overdue: nobody must
    act on it, even when it was closed without a first response, and it shows no deadline.
    """
    hours, now = targets.business_hours, _utc(now)
    breached: list[str] = []
    overdue: list[str] = []

    first_limit = target_seconds(targets.first_response, priority)
    deadline = None if first_limit is None else add_working_time(created_at, first_limit, hours)
    if _first_response_late(deadline, first_response_at, now):
        breached.append(FIRST_RESPONSE)
        if first_response_at is None and status != Status.CLOSED:
            overdue.append(FIRST_RESPONSE)
    # A closed ticket is due nothing: no deadline shows, whatever it missed.
    first_due = deadline if first_response_at is None and status != Status.CLOSED else None

    limit = target_seconds(targets.resolution, priority)
    resolution_due = None if limit is None else _resolution_due(status, clock, limit, hours)
    late = resolution_due is not None and now > resolution_due
    if limit is not None and (late or clock.used(now, hours) > limit):
        breached.append(RESOLUTION)
        if status != Status.CLOSED:
            overdue.append(RESOLUTION)

    dues = [due for due in (first_due, resolution_due) if due is not None]
    return TargetView(
        first_due, resolution_due, min(dues, default=None), tuple(breached), tuple(overdue)
    )
