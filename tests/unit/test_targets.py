"""Response targets (PRODUCT.md section 4a): business hours, working time, the clock, evaluate.

Moments are written in UTC ("Z") unless a row says otherwise. 2026-03-02 is a Monday; Europe/
Berlin moves its clocks forward on Sunday 2026-03-29 and back on Sunday 2026-10-25.
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.domain.model import Status
from inbox_worker.domain.targets import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    FIRST_RESPONSE,
    RESOLUTION,
    RUNNING_STATUSES,
    BusinessHours,
    ResolutionClock,
    TargetHours,
    TargetView,
    add_working_time,
    advance_clock,
    evaluate,
    is_working,
    new_clock,
    next_working_moment,
    working_seconds,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
OFFICE = BusinessHours.parse("mon-fri", "09:00", "17:00", "UTC")
OFFICE_BERLIN = BusinessHours.parse("mon-fri", "09:00", "17:00", "Europe/Berlin")
DAILY_BERLIN = BusinessHours.parse("mon-sun", "09:00", "17:00", "Europe/Berlin")
FR, RES = FIRST_RESPONSE, RESOLUTION


def at(text: str) -> datetime:
    """A UTC moment from "2026-03-02 09:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def berlin(text: str) -> datetime:
    """A Berlin wall-clock moment from "2026-03-30 09:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


# --- BusinessHours.parse -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon,wed,fri", {0, 2, 4}),
        ("mon-sun", {0, 1, 2, 3, 4, 5, 6}),
        ("sat-sun", {5, 6}),
        ("Mon - Fri", {0, 1, 2, 3, 4}),
        ("tue", {1}),
        ("sun-thu", {6, 0, 1, 2, 3}),  # a range may wrap past Sunday
        ("Monday, FRIDAY", {0, 4}),
        ("mon-wed, fri", {0, 1, 2, 4}),
    ],
)
def test_parse_days(days: str, expected: set[int]) -> None:
    hours = BusinessHours.parse(days, "09:00", "17:00", "UTC")
    assert hours.days == frozenset(expected)


def test_parse_times_and_zone() -> None:
    hours = BusinessHours.parse("mon-fri", " 8:30", "17:45 ", " Europe/Berlin ")
    assert (hours.start, hours.end, hours.zone) == (time(8, 30), time(17, 45), BERLIN)


@pytest.mark.parametrize(
    ("days", "start", "end", "zone", "message"),
    [
        ("funday", "09:00", "17:00", "UTC", 'unknown weekday "funday"'),
        ("mon-funday", "09:00", "17:00", "UTC", 'unknown weekday "funday"'),
        ("mon,,fri", "09:00", "17:00", "UTC", "unknown weekday"),
        ("", "09:00", "17:00", "UTC", "business days are empty"),
        ("mon-fri", "17:00", "09:00", "UTC", "end 09:00 must be after start 17:00"),
        ("mon-fri", "09:00", "09:00", "UTC", "must be after start"),
        ("mon-fri", "25:00", "26:00", "UTC", 'start "25:00" is not a time of day'),
        ("mon-fri", "09:00", "24:00", "UTC", 'end "24:00" is not a time of day'),
        ("mon-fri", "09:60", "17:00", "UTC", "not a time of day"),
        ("mon-fri", "9am", "17:00", "UTC", 'start "9am" is not a time; use HH:MM'),
        ("mon-fri", "09:00", "", "UTC", "is not a time"),
        ("mon-fri", "09:00", "17:00", "Mars/Olympus", 'unknown time zone "Mars/Olympus"'),
        ("mon-fri", "09:00", "17:00", "", "unknown time zone"),
        ("mon-fri", "09:00", "17:00", "/etc/passwd", "unknown time zone"),
    ],
)
def test_parse_refuses(days: str, start: str, end: str, zone: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        BusinessHours.parse(days, start, end, zone)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [
        (frozenset(), time(9), time(17)),
        (frozenset({7}), time(9), time(17)),
        (frozenset({0}), time(17), time(9)),
    ],
)
def test_constructor_refuses_hours_without_working_time(
    days: frozenset[int], start: time, end: time
) -> None:
    with pytest.raises(ValueError):
        BusinessHours(days, start, end, ZoneInfo("UTC"))


# --- is_working and next_working_moment -----------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (at("2026-03-07 03:00"), None, True),  # around the clock
        (at("2026-03-02 09:00"), OFFICE, True),  # start inclusive
        (at("2026-03-02 08:59:59"), OFFICE, False),
        (at("2026-03-02 16:59:59"), OFFICE, True),
        (at("2026-03-02 17:00"), OFFICE, False),  # end exclusive
        (at("2026-03-07 12:00"), OFFICE, False),  # Saturday
        (datetime(2026, 3, 2, 10), OFFICE, True),  # naive is UTC
        (at("2026-03-27 07:30"), OFFICE_BERLIN, False),  # 08:30 CET
        (at("2026-03-27 08:30"), OFFICE_BERLIN, True),  # 09:30 CET
        (at("2026-03-30 07:30"), OFFICE_BERLIN, True),  # 09:30 CEST, after the change
        (at("2026-03-30 15:30"), OFFICE_BERLIN, False),  # 17:30 CEST
    ],
)
def test_is_working(moment: datetime, hours: BusinessHours | None, expected: bool) -> None:
    assert is_working(moment, hours) is expected


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (at("2026-03-07 03:00"), None, at("2026-03-07 03:00")),
        (at("2026-03-02 10:15"), OFFICE, at("2026-03-02 10:15")),  # inside: itself
        (at("2026-03-02 07:00"), OFFICE, at("2026-03-02 09:00")),  # early morning
        (at("2026-03-02 17:00"), OFFICE, at("2026-03-03 09:00")),  # evening
        (at("2026-03-06 18:00"), OFFICE, at("2026-03-09 09:00")),  # Friday evening
        (at("2026-03-07 12:00"), OFFICE, at("2026-03-09 09:00")),  # Saturday
        (at("2026-03-28 12:00"), OFFICE_BERLIN, berlin("2026-03-30 09:00")),  # into CEST
        (at("2026-10-24 12:00"), OFFICE_BERLIN, berlin("2026-10-26 09:00")),  # into CET
        (berlin("2026-03-29 08:00"), DAILY_BERLIN, berlin("2026-03-29 09:00")),  # change day
    ],
)
def test_next_working_moment(
    moment: datetime, hours: BusinessHours | None, expected: datetime
) -> None:
    result = next_working_moment(moment, hours)
    assert result == expected
    assert result.tzinfo is UTC


def test_next_working_moment_after_tuesday_only_hours_is_a_week_later() -> None:
    tuesdays = BusinessHours.parse("tue", "09:00", "17:00", "UTC")
    assert next_working_moment(at("2026-03-03 17:00"), tuesdays) == at("2026-03-10 09:00")


# --- working_seconds ---------------------------------------------------------------------------


class Span(NamedTuple):
    start: datetime
    end: datetime
    hours: BusinessHours | None
    expected_hours: float


SPANS = [
    # around the clock
    Span(at("2026-03-02 09:00"), at("2026-03-02 11:00"), None, 2),
    Span(at("2026-03-06 20:00"), at("2026-03-09 08:00"), None, 60),
    Span(at("2026-03-02 11:00"), at("2026-03-02 09:00"), None, 0),  # end before start
    Span(at("2026-03-02 11:00"), at("2026-03-02 11:00"), OFFICE, 0),
    Span(at("2026-03-02 11:00"), at("2026-03-02 09:00"), OFFICE, 0),
    # Mon-Fri 09:00-17:00 UTC
    Span(at("2026-03-02 09:00"), at("2026-03-02 17:00"), OFFICE, 8),
    Span(at("2026-03-02 06:00"), at("2026-03-02 20:00"), OFFICE, 8),
    Span(at("2026-03-02 10:30"), at("2026-03-02 12:00"), OFFICE, 1.5),
    Span(at("2026-03-06 16:00"), at("2026-03-09 10:00"), OFFICE, 2),  # over a weekend
    Span(at("2026-03-07 08:00"), at("2026-03-08 20:00"), OFFICE, 0),  # the weekend only
    Span(at("2026-03-06 17:00"), at("2026-03-09 09:00"), OFFICE, 0),
    Span(at("2026-03-03 20:00"), at("2026-03-04 10:00"), OFFICE, 1),  # from an evening
    Span(at("2026-03-02 09:00"), at("2026-03-09 09:00"), OFFICE, 40),
    Span(at("2026-03-04 12:00"), at("2026-04-01 12:00"), OFFICE, 160),  # four weeks
    # Mon-Fri 09:00-17:00 Europe/Berlin, across the spring change (Sunday 2026-03-29)
    Span(berlin("2026-03-23 00:00"), berlin("2026-03-30 00:00"), OFFICE_BERLIN, 40),
    Span(berlin("2026-03-27 09:00"), berlin("2026-03-30 17:00"), OFFICE_BERLIN, 16),
    Span(berlin("2026-03-27 16:00"), berlin("2026-03-30 10:00"), OFFICE_BERLIN, 2),
    Span(at("2026-03-27 15:00"), at("2026-03-30 16:00"), OFFICE_BERLIN, 1 + 8),  # 16 CET; 18 CEST
    # every day 09:00-17:00 Berlin: the change days themselves are 8 hours
    Span(berlin("2026-03-29 00:00"), berlin("2026-03-30 00:00"), DAILY_BERLIN, 8),
    Span(berlin("2026-10-25 00:00"), berlin("2026-10-26 00:00"), DAILY_BERLIN, 8),
    Span(berlin("2026-03-28 12:00"), berlin("2026-03-29 12:00"), DAILY_BERLIN, 5 + 3),
]


@pytest.mark.parametrize("span", SPANS)
def test_working_seconds(span: Span) -> None:
    assert working_seconds(span.start, span.end, span.hours) == pytest.approx(
        span.expected_hours * HOUR
    )


def test_working_seconds_is_never_negative_while_the_clock_repeats_an_hour() -> None:
    # 02:30 summer time, then 02:15 winter time 45 minutes later: the wall clock went back.
    night = BusinessHours.parse("mon-sun", "01:00", "05:00", "Europe/Berlin")
    assert working_seconds(at("2026-10-25 00:30"), at("2026-10-25 01:15"), night) == 0


# --- add_working_time -------------------------------------------------------------------------


class Addition(NamedTuple):
    start: datetime
    hours_of_work: float
    hours: BusinessHours | None
    expected: datetime


ADDITIONS = [
    Addition(at("2026-03-02 10:00"), 1, None, at("2026-03-02 11:00")),
    Addition(at("2026-03-06 20:00"), 72, None, at("2026-03-09 20:00")),
    Addition(at("2026-03-02 10:00"), 0, OFFICE, at("2026-03-02 10:00")),
    Addition(at("2026-03-07 10:00"), 0, OFFICE, at("2026-03-07 10:00")),
    Addition(at("2026-03-02 10:00"), -5, OFFICE, at("2026-03-02 10:00")),
    Addition(at("2026-03-02 10:00"), 2, OFFICE, at("2026-03-02 12:00")),
    # the day's hours used up: the deadline is that evening, not the next morning
    Addition(at("2026-03-02 16:00"), 1, OFFICE, at("2026-03-02 17:00")),
    Addition(at("2026-03-02 16:00"), 2, OFFICE, at("2026-03-03 10:00")),
    Addition(at("2026-03-06 16:00"), 24, OFFICE, at("2026-03-11 16:00")),  # Fri -> Wed
    Addition(at("2026-03-07 12:00"), 1, OFFICE, at("2026-03-09 10:00")),  # from Saturday
    Addition(at("2026-03-08 23:59"), 8, OFFICE, at("2026-03-09 17:00")),  # from Sunday
    Addition(at("2026-03-03 20:00"), 4, OFFICE, at("2026-03-04 13:00")),  # from an evening
    Addition(at("2026-03-03 06:00"), 4, OFFICE, at("2026-03-03 13:00")),  # from early morning
    Addition(at("2026-03-02 09:00"), 40, OFFICE, at("2026-03-06 17:00")),  # exactly one week
    Addition(at("2026-03-02 09:00"), 168, OFFICE, at("2026-03-30 17:00")),  # 4 weeks + 1 day
    Addition(at("2026-03-04 12:00"), 168, OFFICE, at("2026-04-02 12:00")),
    # Berlin: Friday in CET, Monday in CEST; and the change days themselves
    Addition(berlin("2026-03-27 15:00"), 4, OFFICE_BERLIN, berlin("2026-03-30 11:00")),
    Addition(berlin("2026-03-23 09:00"), 48, OFFICE_BERLIN, berlin("2026-03-30 17:00")),
    Addition(berlin("2026-03-28 16:00"), 2, DAILY_BERLIN, berlin("2026-03-29 10:00")),
    Addition(berlin("2026-03-29 09:00"), 8, DAILY_BERLIN, berlin("2026-03-29 17:00")),
    Addition(berlin("2026-10-24 16:00"), 2, DAILY_BERLIN, berlin("2026-10-25 10:00")),
    Addition(berlin("2026-10-25 09:00"), 8, DAILY_BERLIN, berlin("2026-10-25 17:00")),
]


@pytest.mark.parametrize("row", ADDITIONS)
def test_add_working_time(row: Addition) -> None:
    result = add_working_time(row.start, row.hours_of_work * HOUR, row.hours)
    assert result == row.expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("seconds", [float("inf"), float("nan")])
def test_add_working_time_refuses_endless_time(seconds: float) -> None:
    with pytest.raises(ValueError):
        add_working_time(at("2026-03-02 10:00"), seconds, OFFICE)


def test_add_working_time_skips_weeks_arithmetically() -> None:
    # 7,000 years of 40-hour weeks: day by day this would take seconds, by weeks no time.
    start = berlin("2000-01-03 09:00")  # a Monday
    weeks = 7000 * 52
    began = stopwatch.process_time()
    result = add_working_time(start, weeks * 40 * HOUR, OFFICE_BERLIN)
    spent = working_seconds(start, result, OFFICE_BERLIN)
    elapsed = stopwatch.process_time() - began
    local = result.astimezone(BERLIN)
    assert (local.weekday(), local.time()) == (4, time(17))  # a Friday evening
    assert local.date() == (start + timedelta(weeks=weeks, days=-3)).date()
    assert spent == pytest.approx(weeks * 40 * HOUR)
    assert elapsed < 0.5


HOURS_SAMPLES = [
    None,
    OFFICE,
    OFFICE_BERLIN,
    DAILY_BERLIN,
    BusinessHours.parse("sun-thu", "08:30", "18:00", "America/New_York"),
    BusinessHours.parse("mon,wed,fri", "10:15", "13:45", "Asia/Kolkata"),
    BusinessHours.parse("sat", "07:00", "23:00", "Australia/Sydney"),
]
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    start=MOMENTS,
    seconds=st.floats(min_value=0, max_value=2000 * HOUR, allow_nan=False),
    hours=st.sampled_from(HOURS_SAMPLES),
)
def test_add_working_time_is_the_inverse_of_working_seconds(
    start: datetime, seconds: float, hours: BusinessHours | None
) -> None:
    end = add_working_time(start, seconds, hours)
    assert end >= start
    assert working_seconds(start, end, hours) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(moments=st.lists(MOMENTS, min_size=3, max_size=3), hours=st.sampled_from(HOURS_SAMPLES))
def test_working_seconds_add_up(moments: list[datetime], hours: BusinessHours | None) -> None:
    a, b, c = sorted(moments)
    whole = working_seconds(a, c, hours)
    assert working_seconds(a, b, hours) + working_seconds(b, c, hours) == pytest.approx(
        whole, abs=1e-3
    )
    assert 0 <= whole <= (c - a).total_seconds()


@settings(max_examples=200, deadline=None)
@given(moment=MOMENTS, hours=st.sampled_from(HOURS_SAMPLES))
def test_next_working_moment_is_working_and_skips_no_work(
    moment: datetime, hours: BusinessHours | None
) -> None:
    following = next_working_moment(moment, hours)
    assert following >= moment
    assert is_working(following, hours)
    assert working_seconds(moment, following, hours) == 0


# --- the resolution clock ---------------------------------------------------------------------

T0 = at("2026-03-02 09:00")  # a Monday morning


def test_new_clock_runs_from_creation() -> None:
    assert new_clock(T0) == ResolutionClock(0.0, T0)


@pytest.mark.parametrize("status", list(Status))
def test_advance_clock_runs_only_in_running_statuses(status: Status) -> None:
    clock = advance_clock(new_clock(T0), status, T0 + timedelta(hours=2), None)
    assert clock.seconds == 2 * HOUR
    running = status in {Status.OPEN, Status.IN_PROGRESS, Status.CUSTOMER_REPLY}
    assert running == (status in RUNNING_STATUSES)
    assert clock.since == (T0 + timedelta(hours=2) if running else None)


def test_clock_pauses_while_answered() -> None:
    # Open 2h -> Answered 10h -> Customer-Reply 3h counts 5h.
    clock = new_clock(T0)
    clock = advance_clock(clock, Status.ANSWERED, T0 + timedelta(hours=2), None)
    assert clock == ResolutionClock(2 * HOUR, None)
    clock = advance_clock(clock, Status.CUSTOMER_REPLY, T0 + timedelta(hours=12), None)
    assert clock == ResolutionClock(2 * HOUR, T0 + timedelta(hours=12))
    assert clock.used(T0 + timedelta(hours=15), None) == 5 * HOUR
    clock = advance_clock(clock, Status.CLOSED, T0 + timedelta(hours=15), None)
    assert clock == ResolutionClock(5 * HOUR, None)
    assert clock.used(T0 + timedelta(days=30), None) == 5 * HOUR  # stopped


def test_clock_banks_at_a_change_to_the_same_status() -> None:
    clock = advance_clock(new_clock(T0), Status.OPEN, T0 + timedelta(hours=1), None)
    assert clock == ResolutionClock(HOUR, T0 + timedelta(hours=1))


def test_clock_counts_only_business_hours() -> None:
    friday = at("2026-03-06 16:00")
    clock = advance_clock(new_clock(friday), Status.ON_HOLD, at("2026-03-09 10:00"), OFFICE)
    assert clock == ResolutionClock(2 * HOUR, None)
    clock = advance_clock(clock, Status.IN_PROGRESS, at("2026-03-09 20:00"), OFFICE)  # evening
    assert clock.used(at("2026-03-10 09:30"), OFFICE) == 2.5 * HOUR


# --- evaluate ---------------------------------------------------------------------------------

NORMAL_24_72 = TargetHours()  # normal: 24 h to first response, 72 h to resolution
IN_OFFICE = TargetHours(business_hours=OFFICE)
IN_BERLIN = TargetHours(business_hours=OFFICE_BERLIN)
NO_TARGETS = TargetHours(first_response={"normal": 0}, resolution={"normal": -1})


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def running(since: datetime, banked_hours: float = 0) -> ResolutionClock:
    return ResolutionClock(banked_hours * HOUR, since)


def paused(banked_hours: float) -> ResolutionClock:
    return ResolutionClock(banked_hours * HOUR, None)


class Case(NamedTuple):
    name: str
    now: datetime
    expected: TargetView
    priority: str = "normal"
    status: Status = Status.OPEN
    first_response_at: datetime | None = None
    clock: ResolutionClock = running(T0)
    targets: TargetHours = NORMAL_24_72
    created_at: datetime = T0


def view(
    first: datetime | None,
    resolution: datetime | None,
    breached: tuple[str, ...] = (),
    overdue: tuple[str, ...] = (),
) -> TargetView:
    dues = [d for d in (first, resolution) if d is not None]
    return TargetView(first, resolution, min(dues, default=None), breached, overdue)


FRIDAY_16 = at("2026-03-06 16:00")  # created late on a Friday, business hours
BERLIN_FRIDAY_15 = berlin("2026-03-27 15:00")  # CET; Monday is CEST
AN, CL, CR, IP, OH = (
    Status.ANSWERED,
    Status.CLOSED,
    Status.CUSTOMER_REPLY,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
)

# fmt: off
CASES = [
    # around the clock, normal: 24 h to first response, 72 h to resolution
    Case("new, nothing due yet", h(1), view(h(24), h(72))),
    Case("first response exactly at the deadline", h(24), view(h(24), h(72))),
    Case("first response missed", h(25), view(h(24), h(72), (FR,), (FR,))),
    Case("both missed", h(100), view(h(24), h(72), (FR, RES), (FR, RES))),
    Case("answered in time, paused", h(200), view(None, None),
         status=AN, first_response_at=h(1), clock=paused(1)),
    Case("answered late, paused", h(31), view(None, None, (FR,)),
         status=AN, first_response_at=h(30), clock=paused(30)),
    Case("answered late, then resolution missed", h(83), view(None, h(82), (FR, RES), (RES,)),
         status=CR, first_response_at=h(30), clock=running(h(40), 30)),
    Case("resolution missed while running", h(73), view(None, h(72), (RES,), (RES,)),
         status=IP, first_response_at=h(1)),
    Case("resolution missed, now on hold", h(90), view(None, None, (RES,), (RES,)),
         status=OH, first_response_at=h(1), clock=paused(73)),
    Case("pausing moves the deadline", h(60), view(None, h(112)),
         first_response_at=h(1), clock=running(h(50), 10)),
    Case("banked time already over, running again", h(101),
         view(None, h(100), (RES,), (RES,)),
         status=CR, first_response_at=h(1), clock=running(h(100), 73)),
    Case("closed late", h(500), view(None, None, (RES,)),
         status=CL, first_response_at=h(1), clock=paused(80)),
    Case("closed in time", h(500), view(None, None),
         status=CL, first_response_at=h(1), clock=paused(10)),
    Case("closed unanswered: breached, nobody must act, no deadline", h(30),
         view(None, None, (FR,)),
         status=CL, clock=paused(2)),
    # priorities and the target table
    Case("urgent", h(0.5), view(h(1), h(8)), priority="urgent"),
    Case("priority case-insensitive", h(2), view(h(1), h(8), (FR,), (FR,)), priority="URGENT"),
    Case("unknown priority is normal", h(1), view(h(24), h(72)), priority="whenever"),
    Case("priority absent from the table is normal", h(1), view(h(2), h(3)),
         priority="low", targets=TargetHours({"normal": 2}, {"normal": 3})),
    Case("no targets (0 and negative hours)", h(10_000), view(None, None), targets=NO_TARGETS),
    Case("only a resolution target", h(80), view(None, h(72), (RES,), (RES,)),
         targets=TargetHours({"normal": 0}, {"normal": 72})),
    # Mon-Fri 09:00-17:00 UTC: urgent (1 h, 8 h) created Friday 16:00 is due that evening
    Case("office: urgent due Friday evening", at("2026-03-06 16:30"),
         view(at("2026-03-06 17:00"), at("2026-03-09 16:00")),
         priority="urgent", clock=running(FRIDAY_16), targets=IN_OFFICE, created_at=FRIDAY_16),
    Case("office: a deadline past on Saturday is breached", at("2026-03-07 10:00"),
         view(at("2026-03-06 17:00"), at("2026-03-09 16:00"), (FR,), (FR,)),
         priority="urgent", clock=running(FRIDAY_16), targets=IN_OFFICE, created_at=FRIDAY_16),
    Case("office: normal targets over two weekends", at("2026-03-09 10:00"),
         view(at("2026-03-11 16:00"), at("2026-03-19 16:00")),
         clock=running(FRIDAY_16), targets=IN_OFFICE, created_at=FRIDAY_16),
    Case("office: resolution missed by working time", at("2026-03-05 09:30"),
         view(None, at("2026-03-04 17:00"), (RES,), (RES,)),
         priority="high", status=IP, first_response_at=at("2026-03-02 10:00"),
         targets=IN_OFFICE),
    Case("office: a resolution deadline past in the evening is breached",
         at("2026-03-02 18:00"), view(None, at("2026-03-02 17:00"), (RES,), (RES,)),
         priority="urgent", status=IP, first_response_at=at("2026-03-02 09:30"),
         targets=IN_OFFICE),
    # Mon-Fri 09:00-17:00 Berlin across the spring change: high (4 h, 24 h)
    Case("berlin: due Monday in summer time", berlin("2026-03-30 10:00"),
         view(berlin("2026-03-30 11:00"), berlin("2026-04-01 15:00")),
         priority="high", clock=running(BERLIN_FRIDAY_15), targets=IN_BERLIN,
         created_at=BERLIN_FRIDAY_15),
    Case("berlin: first response missed Monday", berlin("2026-03-30 11:01"),
         view(berlin("2026-03-30 11:00"), berlin("2026-04-01 15:00"), (FR,), (FR,)),
         priority="high", clock=running(BERLIN_FRIDAY_15), targets=IN_BERLIN,
         created_at=BERLIN_FRIDAY_15),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_evaluate(case: Case) -> None:
    result = evaluate(
        priority=case.priority,
        status=case.status,
        created_at=case.created_at,
        first_response_at=case.first_response_at,
        clock=case.clock,
        now=case.now,
        targets=case.targets,
    )
    assert result == case.expected


def test_evaluate_agrees_with_the_clock_over_a_ticket_life() -> None:
    # Open 2h -> Answered 10h -> Customer-Reply: 72h of running time is reached 10h late.
    clock = advance_clock(new_clock(T0), Status.ANSWERED, h(2), None)
    clock = advance_clock(clock, Status.CUSTOMER_REPLY, h(12), None)

    def at_hour(hours: float) -> TargetView:
        return evaluate(
            priority="normal",
            status=Status.CUSTOMER_REPLY,
            created_at=T0,
            first_response_at=h(2),
            clock=clock,
            now=h(hours),
            targets=NORMAL_24_72,
        )

    before, after = at_hour(82), at_hour(83)
    assert (before.due_at, before.breached) == (h(82), ())
    assert (after.breached, after.overdue) == ((RES,), (RES,))


def test_target_hours_default_and_read_only() -> None:
    source = {"normal": 5.0}
    targets = TargetHours(first_response=source)
    source["normal"] = 50.0
    assert targets.first_response == {"normal": 5.0}
    with pytest.raises(TypeError):
        targets.first_response["normal"] = 1  # type: ignore[index]
    assert TargetHours().first_response == DEFAULT_FIRST_RESPONSE_HOURS
    assert TargetHours().resolution == DEFAULT_RESOLUTION_HOURS
    assert TargetHours().business_hours is None
    assert DEFAULT_FIRST_RESPONSE_HOURS == {"urgent": 1, "high": 4, "normal": 24, "low": 72}
    assert DEFAULT_RESOLUTION_HOURS == {"urgent": 8, "high": 24, "normal": 72, "low": 168}
