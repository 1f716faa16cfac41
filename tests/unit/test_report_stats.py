"""The report's pure arithmetic (`domain.report_stats`), its text and CSV cells, and the
command's dates: no database."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from inbox_worker.cli_report import parse_report_moment
from inbox_worker.domain.report_stats import (
    CohortTicket,
    EventRow,
    Rating,
    age_buckets,
    attainment,
    days_in,
    first_closing,
    first_response,
    measure,
    per_day,
    percentile,
    reopen_rate,
    satisfaction,
    waiting_since,
)
from inbox_worker.domain.targets import BusinessHours, TargetHours
from inbox_worker.service.report_csv import COLUMNS, neutralised, write_csv
from inbox_worker.service.report_svg import nice_step
from inbox_worker.service.report_text import format_hours

TECHS = frozenset({"alice@example.com", "bob@example.com"})
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@customer.test"


def oct_(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


# --- pure helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([], 0.5, None),
    ([7.0], 0.5, 7.0),
    ([7.0], 0.9, 7.0),
    ([1.0, 3.0], 0.5, 2.0),
    ([3.0, 1.0, 2.0], 0.5, 2.0),
    ([1.0, 1.0, 2.0, 4.0, 6.0, 12.0], 0.5, 3.0),
    ([1.0, 1.0, 2.0, 4.0, 6.0, 12.0], 0.9, 9.0),
    ([24.0, 48.0, 132.0], 0.9, 115.2),
    ([float(n) for n in range(1, 11)], 0.9, 9.1),
    ([5.0, 1.0], 0.0, 1.0),
    ([5.0, 1.0], 1.0, 5.0),
])
def test_percentile(values: list[float], fraction: float, expected: float | None) -> None:
    assert percentile(values, fraction) == pytest.approx(expected)


def test_percentile_refuses_fraction_outside_0_1() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_days_in_covers_every_overlapping_utc_day() -> None:
    assert [d.day for d in days_in(oct_(1, 0), oct_(4, 0))] == [1, 2, 3]
    assert [d.day for d in days_in(oct_(1, 15), oct_(4, 0, 1))] == [1, 2, 3, 4]
    assert days_in(oct_(2, 0), oct_(2, 0)) == []
    counts = per_day(days_in(oct_(1, 0), oct_(3, 0)), [oct_(1, 5), oct_(1, 23), oct_(5, 1)],
                     [oct_(2, 0)])
    assert counts == [{"date": "2026-10-01", "opened": 2, "closed": 0},
                      {"date": "2026-10-02", "opened": 0, "closed": 1}]


def ev(at: datetime, actor: str, from_status: str | None, to_status: str | None,
       kind: str = "status") -> EventRow:
    return EventRow(at, kind, from_status, to_status, actor)


def test_first_response_ignores_notes_tags_and_customers() -> None:
    events = [
        ev(oct_(1, 9), CAROL, None, "Open", "created"),
        ev(oct_(1, 10), ALICE, "Open", "Open", "note"),
        ev(oct_(1, 11), ALICE, "Open", "Open", "rejected"),
        ev(oct_(1, 12), CAROL, "Open", "Customer-Reply"),
        ev(oct_(1, 13), BOB, "Customer-Reply", "Answered"),
        ev(oct_(1, 14), ALICE, "Answered", "Closed"),
    ]
    response = first_response(events, TECHS)
    assert response is not None and (response.actor, response.at) == (BOB, oct_(1, 13))
    assert first_response(events[:4], TECHS) is None
    closing = first_closing(events)
    assert closing is not None and closing.at == oct_(1, 14)


def test_waiting_since_is_the_last_entry_into_the_queue() -> None:
    created = oct_(1, 9)
    assert waiting_since([], created) == created
    # Open -> Customer-Reply stays in the queue: still waiting since creation.
    assert waiting_since([ev(oct_(1, 10), CAROL, "Open", "Customer-Reply")], created) == created
    history = [
        ev(oct_(1, 10), ALICE, "Open", "Answered"),
        ev(oct_(2, 10), CAROL, "Answered", "Customer-Reply"),
        ev(oct_(3, 10), CAROL, "Customer-Reply", "Customer-Reply"),
    ]
    assert waiting_since(history, created) == oct_(2, 10)


@pytest.mark.parametrize(("hours", "text"), [
    (None, "-"), (0.25, "15 min"), (3.0, "3 h"), (2.5, "2.5 h"), (47.9, "47.9 h"),
    (48.0, "2 d"), (132.0, "5.5 d"),
])
def test_format_hours(hours: float | None, text: str) -> None:
    assert format_hours(hours) == text


@pytest.mark.parametrize(("peak", "step"), [(1, 1), (5, 1), (7, 2), (12, 5), (40, 10),
                                             (120, 50), (999, 200)])
def test_nice_step(peak: int, step: int) -> None:
    assert nice_step(peak) == step


def test_parse_report_moment() -> None:
    assert parse_report_moment("2026-10-01") == oct_(1, 0)
    assert parse_report_moment("2026-10-01", end_of_day=True) == oct_(2, 0)
    assert parse_report_moment("2026-10-01T12:30") == oct_(1, 12, 30)
    assert parse_report_moment("2026-10-01T12:30:00Z") == oct_(1, 12, 30)
    assert parse_report_moment("2026-10-01T14:30+02:00") == oct_(1, 12, 30)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_report_moment("last week")




# --- targets, satisfaction, reopens -------------------------------------------------------

HOURS = TargetHours(
    first_response={"urgent": 1, "high": 4, "normal": 8, "low": 0},
    resolution={"urgent": 4, "high": 8, "normal": 16, "low": 0},
    business_hours=BusinessHours.parse("mon-fri", "09:00", "17:00", "UTC"),
)


def ticket(number: int, priority: str, created: datetime, first: datetime | None,
           status: str = "Open", clock_hours: float = 0, *, assignee: str | None = None,
           events: tuple[EventRow, ...] = (), category: str | None = None) -> CohortTicket:
    return CohortTicket(number, f"subject {number}", CAROL, status, priority, category,
                        assignee, created, first, clock_hours * 3600, None, None, None, None,
                        events)


def test_attainment_counts_working_time_and_only_measured_tickets() -> None:
    # 1 October 2026 is a Thursday; business hours Mon-Fri 09-17 UTC.
    rows = [measure(t, TECHS, HOURS) for t in (
        # Friday 16:30, answered Monday 09:20: 50 working minutes (64.8 h of the clock).
        ticket(1, "urgent", oct_(2, 16, 30), oct_(5, 9, 20), "Closed", 3),
        ticket(2, "urgent", oct_(1, 10), oct_(1, 11, 30), "Closed", 5),  # both missed
        ticket(3, "high", oct_(1, 10), None),  # nothing measured yet
        ticket(4, "low", oct_(1, 10), oct_(1, 11), "Closed", 100),  # low has no target
        # 8 working hours to the minute: the deadline is the day's end, still met.
        ticket(5, "normal", oct_(1, 9), oct_(1, 17), "Answered", 1),
    )]
    assert attainment(rows, HOURS) == [
        {"priority": "urgent",
         "first_response": {"target_hours": 1.0, "met": 1, "missed": 1, "attainment": 0.5},
         "resolution": {"target_hours": 4.0, "met": 1, "missed": 1, "attainment": 0.5}},
        {"priority": "high",
         "first_response": {"target_hours": 4.0, "met": 0, "missed": 0, "attainment": None},
         "resolution": {"target_hours": 8.0, "met": 0, "missed": 0, "attainment": None}},
        {"priority": "normal",
         "first_response": {"target_hours": 8.0, "met": 1, "missed": 0, "attainment": 1.0},
         "resolution": {"target_hours": 16.0, "met": 0, "missed": 0, "attainment": None}},
        {"priority": "low", "first_response": None, "resolution": None},
    ]
    assert [(r.first_response_met, r.resolution_met) for r in rows] == [
        (True, True), (False, False), (None, None), (None, None), (True, None)]


def test_measure_names_the_resolver_and_counts_reopens() -> None:
    history = (
        ev(oct_(1, 10), ALICE, "Open", "Answered"),
        ev(oct_(1, 12), BOB, "Answered", "Closed"),
        ev(oct_(2, 9), CAROL, "Closed", "Customer-Reply", "reopened"),
        ev(oct_(2, 10), ALICE, "Customer-Reply", "Closed"),
    )
    closed_by_bob = measure(ticket(1, "normal", oct_(1, 9), None, "Closed", events=history),
                            TECHS, HOURS)
    assert (closed_by_bob.first_response_hours, closed_by_bob.resolution_hours) == (1.0, 3.0)
    assert (closed_by_bob.resolver, closed_by_bob.reopened) == (BOB, 1)
    assigned = measure(ticket(2, "normal", oct_(1, 9), None, "Closed", assignee="Alice@Example.com",
                              events=history), TECHS, HOURS)
    assert assigned.resolver == ALICE
    never_closed = measure(ticket(3, "normal", oct_(1, 9), None, events=history[:1]), TECHS,
                           HOURS)
    assert (never_closed.resolver, never_closed.resolution_hours) == (None, None)
    assert reopen_rate([closed_by_bob, assigned, never_closed]) == {
        "closed": 2, "reopened": 2, "rate": 1.0}
    assert reopen_rate([never_closed]) == {"closed": 0, "reopened": 0, "rate": None}


def test_satisfaction_shares_groups_and_latest_comments() -> None:
    at = oct_(3, 9)
    ratings = [
        Rating("T-1", 5, "great", at, ALICE, "vpn"),
        Rating("T-2", 4, None, at + timedelta(hours=1), BOB, "(none)"),
        Rating("T-3", 2, "slow", at + timedelta(hours=2), ALICE, "vpn"),
        Rating("T-4", 1, "", at + timedelta(hours=3), None, "mail"),
    ]
    result = satisfaction(ratings, surveys_sent=8, surveys_answered=3)
    assert {k: result[k] for k in ("surveys_sent", "response_rate", "ratings", "average",
                                   "satisfied_share", "distribution")} == {
        "surveys_sent": 8, "response_rate": 0.375, "ratings": 4, "average": 3.0,
        "satisfied_share": 0.5, "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}}
    assert result["by_technician"] == [
        {"technician": "(unassigned)", "ratings": 1, "average": 1.0, "satisfied_share": 0.0},
        {"technician": ALICE, "ratings": 2, "average": 3.5, "satisfied_share": 0.5},
        {"technician": BOB, "ratings": 1, "average": 4.0, "satisfied_share": 1.0},
    ]
    assert [row["category"] for row in result["by_category"]] == ["(none)", "mail", "vpn"]
    # Newest first, only those with a comment.
    assert [(c["ref"], c["rating"], c["comment"]) for c in result["comments"]] == [
        ("T-3", 2, "slow"), ("T-1", 5, "great")]
    many = [Rating(f"T-{n}", 3, f"comment {n}", at + timedelta(minutes=n), None, "x")
            for n in range(15)]
    assert [c["ref"] for c in satisfaction(many, 15, 15)["comments"]] == [
        f"T-{n}" for n in range(14, 4, -1)]
    empty = satisfaction([], 0, 0)
    assert (empty["average"], empty["satisfied_share"], empty["response_rate"]) == (
        None, None, None)


def test_age_buckets() -> None:
    assert age_buckets([1, 4, 23.9, 24, 100, 200]) == [
        {"label": "< 4 h", "count": 1}, {"label": "4-24 h", "count": 2},
        {"label": "1-3 d", "count": 1}, {"label": "3-7 d", "count": 1},
        {"label": "> 7 d", "count": 1}]


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "cell"), [
    (None, ""), (True, "yes"), (False, "no"), (3.5, "3.5"), ("plain", "plain"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"),
])
def test_neutralised_cells(value: object, cell: str) -> None:
    assert neutralised(value) == cell


def test_csv_rows_survive_hostile_text() -> None:
    hostile = '=cmd|" /C calc"!A0,\n"quoted"'
    row = measure(CohortTicket(
        7, hostile, CAROL, "Closed", "urgent", None, ALICE, oct_(2, 16, 30), oct_(5, 9, 20),
        3 * 3600, "-rebooted", BOB, 2, "@everyone, =1+1",
        (ev(oct_(5, 9, 20), ALICE, "Open", "Answered"),
         ev(oct_(5, 12), BOB, "Answered", "Closed"))), TECHS, HOURS)
    out = io.StringIO()
    write_csv([row], out)
    header, values = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(header) == COLUMNS
    assert dict(zip(header, values, strict=True)) == {
        "ref": "T-7", "subject": "'" + hostile, "customer": CAROL, "status": "Closed",
        "priority": "urgent", "category": "", "assignee": ALICE,
        "created_at": "2026-10-02T16:30:00Z", "first_response_at": "2026-10-05T09:20:00Z",
        "first_response_hours": "64.83", "closed_at": "2026-10-05T12:00:00Z",
        "resolution_hours": "67.5", "first_response_met": "yes", "resolution_met": "yes",
        "reopened": "0", "resolution": "'-rebooted", "resolution_by": BOB,
        "satisfaction_rating": "2", "satisfaction_comment": "'@everyone, =1+1"}
