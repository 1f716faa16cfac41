"""The team's numbers (`service.report`), the command (`cli_report`) and the HTML page.

A known history goes into the store row by row (tickets, messages, events at chosen times,
and the columns of targets, resolution and satisfaction written directly) on SQLite and
PostgreSQL; every number of the report is checked against values worked out by hand below.
A second history is made by real mail through the ingestor, so the report reads the events
the worker actually writes. The page is rendered in headless Chromium and the screenshot is
checked for the charts' colours and its sections.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import struct
import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.app import App
from inbox_worker.cli_report import add_report_parser, cmd_report
from inbox_worker.domain.targets import TargetHours
from inbox_worker.errors import ConfigError, InboxWorkerError, UsageError
from inbox_worker.mail.source import FetchedMail
from inbox_worker.service import report_svg
from inbox_worker.service.report import build_report
from inbox_worker.service.report_csv import COLUMNS
from inbox_worker.service.report_html import render_html
from inbox_worker.store.models import Message, TargetBreach, Ticket, TicketEvent
from tests.support.mails import make_mail, reply_to

CHROMIUM = Path("/usr/bin/chromium")
TECHS = frozenset({"alice@example.com", "bob@example.com"})
ALICE, BOB, CAROL, SYSTEM = "alice@example.com", "bob@example.com", "carol@customer.test", "system"
COMMENT = '=HYPERLINK("evil.test")<b>slow</b>\x1b[31m'
TARGETS = TargetHours(first_response={"urgent": 1, "high": 4, "normal": 24, "low": 0})
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
TRUSTED_PASS = "mx.example.com; dkim=pass header.d=example.com header.i=@example.com"


def oct_(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def sep(day: int, hour: int) -> datetime:
    return datetime(2026, 9, day, hour, tzinfo=UTC)


START, END, NOW = oct_(1, 0), oct_(8, 0), oct_(10, 12)


# --- a known history, row by row ----------------------------------------------------------

_numbers = itertools.count(1)

# (created, subject, assignee, steps); a step is (at, actor, new status or None, kind or None).
# A None status keeps the status (notes, assignments, refused tags); a None kind is "status",
# or "reopened" when leaving Closed, as the worker writes them.
Step = tuple[datetime, str, str | None, str | None]
HISTORY: dict[str, tuple[datetime, str, str | None, list[Step]]] = {
    "T1": (oct_(1, 9), "VPN drops", ALICE, [
        (oct_(1, 11), ALICE, "Answered", None),
        (oct_(2, 9), ALICE, "Closed", None),
        (oct_(2, 10), ALICE, "Closed", None),  # closed again: not a second closing
    ]),
    "T2": (oct_(1, 10), "Printer", None, [
        (oct_(1, 10, 30), BOB, None, "note"),
        (oct_(1, 14), BOB, "Answered", None),
        (oct_(2, 10), CAROL, "Customer-Reply", None),
        (oct_(3, 10), ALICE, "Closed", None),
        (oct_(4, 10), CAROL, "Customer-Reply", None),  # reopened
        (oct_(5, 10), BOB, "Closed", None),
    ]),
    "T3": (oct_(2, 8), "New laptop", None, [(oct_(2, 9), ALICE, "In Progress", None)]),
    "T4": (oct_(3, 12), "Mail quota", None, [
        (oct_(4, 0), BOB, "Answered", None),
        (oct_(9, 0), SYSTEM, "Closed", None),  # auto-closed after the period
    ]),
    "T5": (oct_(4, 6), HOSTILE, None, [
        (oct_(4, 7), ALICE, None, "rejected"),
        (oct_(4, 7, 30), ALICE, None, "assign"),
    ]),
    "T6": (oct_(6, 20), "Wi-Fi", None, [
        (oct_(7, 2), ALICE, "Answered", None),
        (oct_(8, 2), CAROL, "Customer-Reply", None),
    ]),
    "T7": (sep(30, 23), "Before the period", None, [
        (oct_(1, 1), ALICE, "Answered", None),
        (oct_(7, 12), SYSTEM, "Closed", None),  # auto-close inside the period
    ]),
    "T8": (oct_(8, 0), "Created at the end (excluded)", BOB, []),
    "T9": (oct_(5, 12), "Two mails", None, [(oct_(5, 13), CAROL, "Customer-Reply", None)]),
    "T10": (sep(20, 8), "Waiting on vendor", ALICE, [(sep(20, 12), ALICE, "On-Hold", None)]),
    "T11": (oct_(6, 9), "Server reboot", BOB, [(oct_(6, 10), BOB, "Scheduled", None)]),
    "T12": (sep(25, 10), "Old answered", None, [(sep(25, 12), BOB, "Answered", None)]),
}


def add_ticket(session: Any, created: datetime, subject: str, assignee: str | None,
               steps: list[Step]) -> Ticket:
    number = next(_numbers)
    ticket = Ticket(token=f"IW-TEST{number:06d}", subject=subject, customer=CAROL,
                    status="Open", priority="normal", queue_place=number, assignee=assignee,
                    created_at=created, updated_at=created)
    session.add(ticket)
    session.flush()
    message = Message(ticket_id=ticket.id, message_id=f"report-{number}@customer.test",
                      direction="in", kind="customer", from_addr=CAROL, subject=subject,
                      text="help", full_text="help", received_at=created)
    session.add(message)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=created, kind="created", from_status=None,
                            to_status="Open", actor=CAROL, cause="new mail",
                            message_pk=message.id))
    status = "Open"
    for at, actor, new_status, kind in steps:
        target = new_status or status
        if kind is None:
            kind = "reopened" if status == "Closed" and target != "Closed" else "status"
        session.add(TicketEvent(ticket_id=ticket.id, at=at, kind=kind, from_status=status,
                                to_status=target, actor=actor, cause="test"))
        if target == "Closed" and status != "Closed":
            ticket.closed_at = at
        status = target
        ticket.updated_at = at
    ticket.status = status
    return ticket


# Columns written directly: what the targets, `#resolution`, `#priority`, `#category` and
# the satisfaction survey would have left on the tickets.
EXTRAS: dict[str, dict[str, Any]] = {
    "T1": {"priority": "urgent", "category": "network", "first_response_at": oct_(1, 11),
           "clock_seconds": 6 * 3600, "resolution": "restarted the VPN", "resolution_by": ALICE,
           "survey_sent_at": oct_(3, 9), "satisfaction_rating": 5,
           "satisfaction_comment": "quick", "satisfaction_at": oct_(3, 10)},
    "T2": {"category": "printing", "first_response_at": oct_(1, 14),
           "clock_seconds": 30 * 3600, "survey_sent_at": oct_(6, 10),
           "satisfaction_rating": 2, "satisfaction_comment": COMMENT,
           "satisfaction_at": oct_(6, 12)},
    "T4": {"priority": "low", "first_response_at": oct_(4, 0), "clock_seconds": 12 * 3600,
           "survey_sent_at": oct_(9, 12)},
    "T6": {"category": "network", "first_response_at": oct_(7, 2)},
    "T7": {"resolution": "closed automatically", "survey_sent_at": oct_(7, 13)},
    "T12": {"survey_sent_at": sep(28, 9), "satisfaction_rating": 4,
            "satisfaction_at": oct_(2, 9)},
}


@pytest.fixture
def history_app(make_app: Callable[..., App]) -> tuple[App, dict[str, str]]:
    app = make_app(NOW, targets=TARGETS)
    refs = {}
    with app.sessions.begin() as session:
        for name, (created, subject, assignee, steps) in HISTORY.items():
            ticket = add_ticket(session, created, subject, assignee, steps)
            for column, value in EXTRAS.get(name, {}).items():
                setattr(ticket, column, value)
            session.flush()
            refs[name] = ticket.ref
            if name == "T1":
                session.add(TargetBreach(ticket_id=ticket.id, target="first_response",
                                         due_at=oct_(1, 10), at=oct_(1, 10)))
            if name == "T5":  # escalated after the period: not counted
                session.add(TargetBreach(ticket_id=ticket.id, target="resolution",
                                         due_at=oct_(9, 0), at=oct_(9, 0)))
    return app, refs


def history_report(app: App) -> dict[str, Any]:
    with app.sessions() as session:
        return build_report(session, start=START, end=END, now=NOW, technicians=TECHS,
                            targets=app.settings.targets)


def test_report_numbers_match_the_hand_computed_values(
        history_app: tuple[App, dict[str, str]]) -> None:
    app, refs = history_app
    report = history_report(app)

    assert report["period"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-10-08T00:00:00Z",
                                "now": "2026-10-10T12:00:00Z", "days": 7}
    # Cohort: T1 T2 T3 T4 T5 T6 T9 T11 (T7, T10, T12 before; T8 at the exclusive end).
    assert report["tickets_created"] == 8
    # First responses: T1 2h alice, T2 4h bob (the note at 0.5h does not count), T3 1h alice,
    # T4 12h bob, T6 6h alice, T11 1h bob; T5 (refused tag, assign) and T9 none.
    # Sorted 1 1 2 4 6 12: median (2+4)/2 = 3; p90 at rank 4.5 = 6 + 0.5 * 6 = 9.
    assert report["first_response"] == {"count": 6, "median_hours": 3.0, "p90_hours": 9.0,
                                        "without_response": 2}
    # Resolution: T1 24h, T2 48h (its first closing; reopened and closed again later), T4
    # 132h (closed after the period, still counted). p90 at rank 1.8 = 48 + 0.8 * 84.
    assert report["resolution"] == {"count": 3, "median_hours": 48.0, "p90_hours": 115.2,
                                    "unresolved": 5}
    # Closings in the period: T1 Oct 2 (its re-close not counted), T2 Oct 3 and Oct 5, T7
    # Oct 7 by the system; T4's Oct 9 closing is after the end.
    assert report["totals"] == {"opened": 8, "closed": 4, "closed_automatically": 1}
    assert report["per_day"] == [
        {"date": "2026-10-01", "opened": 2, "closed": 0},
        {"date": "2026-10-02", "opened": 1, "closed": 1},
        {"date": "2026-10-03", "opened": 1, "closed": 1},
        {"date": "2026-10-04", "opened": 1, "closed": 0},
        {"date": "2026-10-05", "opened": 1, "closed": 1},
        {"date": "2026-10-06", "opened": 2, "closed": 0},
        {"date": "2026-10-07", "opened": 0, "closed": 1},
    ]
    assert report["backlog"] == {"Open": 2, "In Progress": 1, "Answered": 1, "Closed": 4,
                                 "Scheduled": 1, "On-Hold": 1, "Customer-Reply": 2}
    # Queue at Oct 10 12:00: T5 Open since Oct 4 06:00 (150h), T9 in the queue since its
    # creation Oct 5 12:00 (120h), T8 since Oct 8 00:00 (60h), T6 back since Oct 8 02:00 (58h).
    assert report["queue"] == {"count": 4, "median_age_hours": 90.0, "max_age_hours": 150.0,
                               "oldest_ref": refs["T5"], "oldest_subject": HOSTILE,
                               "oldest_waiting_since": "2026-10-04T06:00:00Z",
                               "by_age": [{"label": "< 4 h", "count": 0},
                                          {"label": "4-24 h", "count": 0},
                                          {"label": "1-3 d", "count": 2},
                                          {"label": "3-7 d", "count": 2},
                                          {"label": "> 7 d", "count": 0}]}
    # alice: answers T1 x3 (answer, close, re-close), T2 close, T3, T6, T7 = 7; closings T1,
    # T2; first on T1 (2h), T3 (1h), T6 (6h); assigned open: T10 (T1 is Closed).
    # bob: answers T2 x2, T4, T11 = 4 (T12's is before the period); closing T2 (Oct 5);
    # first on T2 (4h), T4 (12h), T11 (1h); assigned open: T8, T11.
    assert report["technicians"] == [
        {"address": ALICE, "answers": 7, "closed": 2, "first_responses": 3,
         "median_first_response_hours": 2.0, "assigned_open": 1},
        {"address": BOB, "answers": 4, "closed": 1, "first_responses": 3,
         "median_first_response_hours": 4.0, "assigned_open": 2},
    ]
    assert_breakdowns(report, refs)
    json.dumps(report)  # JSON-ready as it is


def times(count: int, median: float | None, p90: float | None) -> dict[str, Any]:
    return {"count": count, "median_hours": median, "p90_hours": p90}


def target(hours: float, met: int, missed: int, share: float | None) -> dict[str, Any]:
    return {"target_hours": hours, "met": met, "missed": missed, "attainment": share}


def assert_breakdowns(report: dict[str, Any], refs: dict[str, str]) -> None:
    # Cohort: T1 urgent/network (first 2h alice, closed 24h, assignee alice), T2 printing
    # (4h bob, 48h closed by alice, reopened), T4 low (12h bob, 132h auto-closed: "system"),
    # T6 network (6h alice), T3 (1h alice), T11 (1h bob), T5 and T9 nothing.
    assert report["by_priority"] == [
        {"priority": "urgent", "tickets": 1, "first_response": times(1, 2.0, 2.0),
         "resolution": times(1, 24.0, 24.0)},
        # normal: 1 1 4 6 -> median 2.5, p90 at rank 2.7 = 4 + 0.7 * 2.
        {"priority": "normal", "tickets": 6, "first_response": times(4, 2.5, 5.4),
         "resolution": times(1, 48.0, 48.0)},
        {"priority": "low", "tickets": 1, "first_response": times(1, 12.0, 12.0),
         "resolution": times(1, 132.0, 132.0)},
    ]
    assert report["by_category"] == [
        {"category": "(none)", "tickets": 5, "first_response": times(3, 1.0, 9.8),
         "resolution": times(1, 132.0, 132.0)},
        {"category": "network", "tickets": 2, "first_response": times(2, 4.0, 5.6),
         "resolution": times(1, 24.0, 24.0)},
        {"category": "printing", "tickets": 1, "first_response": times(1, 4.0, 4.0),
         "resolution": times(1, 48.0, 48.0)},
    ]
    assert report["by_technician"] == [
        {"technician": ALICE, "tickets": 3, "first_response": times(3, 2.0, 5.2),
         "resolution": times(2, 36.0, 45.6)},
        {"technician": BOB, "tickets": 3, "first_response": times(3, 4.0, 10.4),
         "resolution": times(0, None, None)},
        {"technician": SYSTEM, "tickets": 0, "first_response": times(0, None, None),
         "resolution": times(1, 132.0, 132.0)},
    ]
    # first_response_at against creation + target (around the clock); resolution: the
    # clock of the tickets Closed now. T3, T5, T9, T11 have no first_response_at.
    assert report["targets"] == [
        {"priority": "urgent", "first_response": target(1.0, 0, 1, 0.0),
         "resolution": target(8.0, 1, 0, 1.0)},
        {"priority": "high", "first_response": target(4.0, 0, 0, None),
         "resolution": target(24.0, 0, 0, None)},
        {"priority": "normal", "first_response": target(24.0, 2, 0, 1.0),
         "resolution": target(72.0, 1, 0, 1.0)},
        {"priority": "low", "first_response": None, "resolution": target(168.0, 1, 0, 1.0)},
    ]
    assert report["escalations"] == {"first_response": 1, "resolution": 0}
    # Surveys sent in the period: T1, T2, T7 (T4's after, T12's before); rated: T1, T2.
    # Ratings received in the period: T1 5, T2 2, T12 4.
    assert report["satisfaction"] == {
        "surveys_sent": 3, "response_rate": 0.6667, "ratings": 3, "average": 3.67,
        "satisfied_share": 0.6667, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
        "by_technician": [
            {"technician": "(unassigned)", "ratings": 2, "average": 3.0,
             "satisfied_share": 0.5},
            {"technician": ALICE, "ratings": 1, "average": 5.0, "satisfied_share": 1.0}],
        "by_category": [
            {"category": "(none)", "ratings": 1, "average": 4.0, "satisfied_share": 1.0},
            {"category": "network", "ratings": 1, "average": 5.0, "satisfied_share": 1.0},
            {"category": "printing", "ratings": 1, "average": 2.0, "satisfied_share": 0.0}],
        "comments": [
            {"ref": refs["T2"], "rating": 2, "comment": COMMENT, "at": "2026-10-06T12:00:00Z"},
            {"ref": refs["T1"], "rating": 5, "comment": "quick", "at": "2026-10-03T10:00:00Z"}],
    }
    assert report["reopens"] == {"closed": 3, "reopened": 1, "rate": 0.3333}
    # Closed in the period: T1 (resolved), T2 (not), T7 (resolved).
    assert report["closed_without_resolution"] == {"count": 1, "refs": [refs["T2"]]}


def test_empty_store_gives_zeros_and_nulls(make_app: Callable[..., App]) -> None:
    app = make_app(NOW)
    report = history_report(app)
    assert report["first_response"] == {"count": 0, "median_hours": None, "p90_hours": None,
                                        "without_response": 0}
    assert report["queue"]["count"] == 0 and report["queue"]["oldest_ref"] is None
    assert [d["opened"] + d["closed"] for d in report["per_day"]] == [0] * 7
    assert set(report["backlog"].values()) == {0} and len(report["backlog"]) == 7
    assert "Nobody is waiting" in render_html(report)


# --- a history made by real mail ----------------------------------------------------------


def test_report_reads_the_events_the_worker_writes(make_app: Callable[..., App]) -> None:
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    app = make_app(t0)
    keys = itertools.count(1)

    def deliver(raw: bytes, at: datetime) -> str:
        result = app.ingestor.process(FetchedMail(f"ingest:report-{next(keys)}", raw), at)
        assert result.ticket_ref is not None, result
        return result.ticket_ref

    def technician(parent: bytes, body: str) -> bytes:
        return reply_to(parent, sender=ALICE, body=body,
                        headers={"Authentication-Results": TRUSTED_PASS})

    first = make_mail(sender="dave@customer.test", subject="Cannot log in")
    ref = deliver(first, t0)
    deliver(technician(first, "#note\nlooks like the SSO outage"), t0 + timedelta(hours=1))
    deliver(technician(first, "Please try again now."), t0 + timedelta(hours=3))
    deliver(technician(first, "#status closed\nFixed."), t0 + timedelta(hours=5))
    waiting = deliver(make_mail(sender="erin@customer.test", subject="Invoice"),
                      t0 + timedelta(hours=2))

    with app.sessions() as session:
        report = build_report(session, start=t0 - timedelta(days=1), end=t0 + timedelta(days=1),
                              now=t0 + timedelta(hours=6), technicians=TECHS)
    assert ref != waiting
    assert report["first_response"] == {"count": 1, "median_hours": 3.0, "p90_hours": 3.0,
                                        "without_response": 1}
    assert report["resolution"] == {"count": 1, "median_hours": 5.0, "p90_hours": 5.0,
                                    "unresolved": 1}
    assert report["totals"] == {"opened": 2, "closed": 1, "closed_automatically": 0}
    assert report["queue"]["count"] == 1
    assert report["queue"]["oldest_ref"] == waiting
    assert report["queue"]["max_age_hours"] == 4.0
    assert report["backlog"]["Closed"] == 1 and report["backlog"]["Open"] == 1
    alice = report["technicians"][0]
    assert alice == {"address": ALICE, "answers": 2, "closed": 1, "first_responses": 1,
                     "median_first_response_hours": 3.0, "assigned_open": 0}


# --- the command-line glue ----------------------------------------------------------------


def run_report(app: App, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="inbox-worker")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    return cmd_report(app, parser.parse_args(["report", *argv]))


def test_cli_json_html_and_summary(history_app: tuple[App, dict[str, str]], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    app, refs = history_app
    assert run_report(app, "--from", "2026-10-01", "--to", "2026-10-07", "--json") == 0
    assert json.loads(capsys.readouterr().out) == history_report(app)

    page = tmp_path / "report.html"
    assert run_report(app, "--from", "2026-10-01", "--to", "2026-10-08T00:00Z",
                      "--html", str(page)) == 0
    assert capsys.readouterr().out.strip() == str(page)
    assert page.read_text(encoding="utf-8") == render_html(history_report(app))

    assert run_report(app, "--from", "2026-10-01", "--to", "2026-10-07") == 0
    out = capsys.readouterr().out
    assert "first response: median 3 h, p90 9 h (6 answered, 2 without answer)" in out
    assert f"oldest {refs['T5']} (6.2 d)" in out
    assert "<script>" not in out  # subjects stay out of the terminal


def test_cli_default_period_is_28_days_before_now(
        history_app: tuple[App, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    app, _ = history_app
    assert run_report(app, "--json") == 0
    period = json.loads(capsys.readouterr().out)["period"]
    assert period == {"start": "2026-09-12T12:00:00Z", "end": "2026-10-10T12:00:00Z",
                      "now": "2026-10-10T12:00:00Z", "days": 29}


def test_cli_refuses_empty_period_and_bad_dates(
        history_app: tuple[App, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    app, _ = history_app
    with pytest.raises(ConfigError):
        run_report(app, "--from", "2026-10-05", "--to", "2026-10-01")
    with pytest.raises(SystemExit) as exit_info:
        run_report(app, "--from", "yesterday")
    assert exit_info.value.code == 2
    assert "not an ISO date" in capsys.readouterr().err


def test_cli_csv_one_row_per_cohort_ticket(
        history_app: tuple[App, dict[str, str]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    app, refs = history_app
    assert run_report(app, "--from", "2026-10-01", "--to", "2026-10-07", "--csv") == 0
    header, *rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert tuple(header) == COLUMNS
    by_ref = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_ref) == [refs[name] for name in ("T1", "T2", "T3", "T4", "T5", "T6", "T9",
                                                     "T11")]
    assert by_ref[refs["T2"]] | {"subject": "", "customer": ""} == {
        "ref": refs["T2"], "subject": "", "customer": "", "status": "Closed",
        "priority": "normal", "category": "printing", "assignee": "",
        "created_at": "2026-10-01T10:00:00Z", "first_response_at": "2026-10-01T14:00:00Z",
        "first_response_hours": "4.0", "closed_at": "2026-10-03T10:00:00Z",
        "resolution_hours": "48.0", "first_response_met": "yes", "resolution_met": "yes",
        "reopened": "1", "resolution": "", "resolution_by": "", "satisfaction_rating": "2",
        "satisfaction_comment": "'" + COMMENT}
    assert by_ref[refs["T5"]]["subject"] == HOSTILE  # a cell, not a formula: kept whole
    assert by_ref[refs["T1"]]["first_response_met"] == "no"

    # To a file, with --json on stdout: the file's name goes to stderr.
    table = tmp_path / "cohort.csv"
    assert run_report(app, "--from", "2026-10-01", "--to", "2026-10-07", "--csv", str(table),
                      "--json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["tickets_created"] == 8
    assert captured.err.strip() == str(table)
    assert table.read_bytes().count(b"\r\n") == 9  # the header and 8 tickets


def test_cli_refuses_what_it_cannot_do(history_app: tuple[App, dict[str, str]],
                                       tmp_path: Path) -> None:
    app, _ = history_app
    with pytest.raises(UsageError, match="both print to stdout"):
        run_report(app, "--csv", "--json")
    for option in ("--html", "--csv"):
        with pytest.raises(InboxWorkerError, match="cannot write"):
            run_report(app, option, str(tmp_path / "missing" / "report"))
    with pytest.raises(ConfigError, match="no report recipients"):
        run_report(app, "--mail")


# --- the page -----------------------------------------------------------------------------


class PageParts(HTMLParser):
    """The tags, attribute names and text of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_hostile_text(history_app: tuple[App, dict[str, str]]) -> None:
    app, refs = history_app
    report = history_report(app)
    report["technicians"][0]["address"] = '"><svg onload=alert(1)>@example.com'
    page = render_html(report)
    parts = PageParts()
    parts.feed(page)
    parts.close()
    assert parts.tags.isdisjoint({"script", "img", "link", "iframe", "object", "embed"})
    assert not {a for a in parts.attributes if a.startswith("on")}
    assert parts.attributes.isdisjoint({"src", "href", "xlink:href"})  # nothing external
    text = "".join(parts.text)
    assert HOSTILE in text  # shown as text, whole
    assert '"><svg onload=alert(1)>@example.com' in text
    assert COMMENT in text
    assert refs["T5"] in text
    for external in ("http://", "https://", "@import", "url("):
        assert external not in page


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
         *args],
        capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )


def test_page_renders_in_headless_chromium(history_app: tuple[App, dict[str, str]],
                                           tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    app, _ = history_app
    page = tmp_path / "report.html"
    page.write_text(render_html(history_report(app)), encoding="utf-8")
    shot = tmp_path / "report.png"
    completed = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2600",
                         page.as_uri())
    assert shot.exists(), completed.stderr.decode(errors="replace")[-2000:]
    width, height, colours = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 2600)
    assert len(colours) > 200  # text, tiles, charts: far from a blank page

    def present(hex_colour: str) -> bool:
        want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return any(all(abs(c[i] - want[i]) <= 3 for i in range(3)) for c in colours)

    # Both series of the flow chart, the backlog bars, the queue's ages, the targets met
    # and the satisfaction ratings (2, 4, 5) were drawn.
    for colour in (report_svg.OPENED_COLOUR, report_svg.CLOSED_COLOUR,
                   report_svg.STATUS_COLOURS["Open"], report_svg.STATUS_COLOURS["On-Hold"],
                   report_svg.STATUS_COLOURS["Customer-Reply"], report_svg.AGE_COLOUR,
                   report_svg.MET_COLOUR, *(report_svg.RATING_COLOURS[n] for n in (1, 3, 4))):
        assert present(colour), colour
    # The browser's own DOM has every section, the charts as SVG with their bars.
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode()
    parts = PageParts()
    parts.feed(dom)
    text = "".join(parts.text)
    for heading in ("Targets met per priority", "Queue by waiting time", "Satisfaction",
                    "Response and resolution by category", "Latest comments",
                    "Reopened, and closed without a resolution"):
        assert heading in text, heading
    for section in ("flow", "targets", "backlog-age", "satisfaction"):
        assert f'id="{section}"><h2>' in dom and dom.count("<svg") >= 5, section


def decode_png(data: bytes) -> tuple[int, int, set[tuple[int, ...]]]:
    """Width, height and the set of RGB colours of an 8-bit truecolour PNG (Chromium's)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, bytearray(), b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, ...]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + predictor) & 0xFF
        colours.update(zip(*(line[i::channels] for i in range(3)), strict=True))
        previous = line
    return width, height, colours


def test_a_skipped_survey_is_no_survey_sent(history_app: tuple[App, dict[str, str]]) -> None:
    app, refs = history_app
    assert history_report(app)["satisfaction"]["surveys_sent"] == 3
    with app.sessions.begin() as session:
        # The follow-up skipped T7 (and marks it so): survey_sent_at = its closing.
        ticket = session.get(Ticket, int(refs["T7"].removeprefix("T-")))
        ticket.survey_sent_at = ticket.closed_at
    assert history_report(app)["satisfaction"]["surveys_sent"] == 2
