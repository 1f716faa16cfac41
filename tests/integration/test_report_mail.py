"""The report by mail (`report --mail`, and `run`'s weekly one) to a real SMTP server.

The mail has a text part and an HTML part without SVG, images or outside links, and its
hostile text escaped. The weekly report goes at its local time, once per week, also when a
second worker or a restarted one looks again.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.app import App
from inbox_worker.cli_report import add_report_parser, cmd_report
from inbox_worker.config import SmtpSettings
from inbox_worker.config_alerts import AlertSettings, ReportSettings
from inbox_worker.service.report_mail import WeeklyResult, send_weekly_report
from inbox_worker.store.models import OutboxItem, ReportMail
from inbox_worker.worker import Worker
from tests.integration.test_report import ALICE, HOSTILE, add_ticket, oct_
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

LEADS = ("lead@example.com", "boss@example.com")
COMMENT = "<script>alert(1)</script> never again"


def mail_app(make_app: Callable[..., App], smtp_server: SmtpServer, now: datetime,
             **changes: object) -> App:
    smtp = SmtpSettings(kind="smtp", host=smtp_server.host, port=smtp_server.port, timeout=10)
    return make_app(now, smtp=smtp, report=ReportSettings(recipients=LEADS), **changes)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_report_mail_reaches_the_leads_with_text_and_html(
        make_app: Callable[..., App], smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = mail_app(make_app, smtp_server, oct_(10, 12))
    with app.sessions.begin() as session:
        ticket = add_ticket(session, oct_(2, 9), HOSTILE, ALICE,
                            [(oct_(2, 10), ALICE, "Answered", None),
                             (oct_(3, 10), ALICE, "Closed", None)])
        ticket.category = "<b>billing</b>"
        ticket.satisfaction_rating, ticket.satisfaction_comment = 1, COMMENT
        ticket.satisfaction_at = oct_(4, 9)
    parser = argparse.ArgumentParser(prog="inbox-worker")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", "--from", "2026-10-01", "--to", "2026-10-07", "--mail"])
    assert cmd_report(app, args) == 0
    assert capsys.readouterr().out.strip() == "report mailed to 2 recipient(s), 1 mail(s) sent"

    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == sorted(LEADS)
    mail = received.message
    assert mail["Subject"] == "Support report 1 Oct 2026 00:00 – 8 Oct 2026 00:00 UTC"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    plain, page = text.get_content(), html.get_content()
    assert "first response: median 1 h" in plain
    assert "satisfaction: 1 rating(s), average 1" in plain
    assert HOSTILE not in plain and COMMENT not in plain  # no customer text in the text part
    tags = Tags()
    tags.feed(page)
    assert tags.tags.isdisjoint({"svg", "img", "script", "link", "iframe"})
    assert tags.attributes.isdisjoint({"src", "href"}) and not any(
        a.startswith("on") for a in tags.attributes)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; never again" in page
    assert "&lt;b&gt;billing&lt;/b&gt;" in page
    for section in ("Targets met per priority", "Queue by waiting time", "Satisfaction",
                    "Latest comments", "Response and resolution by category"):
        assert section in page, section


def test_weekly_report_goes_once_at_its_local_time(
        make_app: Callable[..., App], smtp_server: SmtpServer) -> None:
    berlin = AlertSettings(timezone="Europe/Berlin", digest_at="")
    monday_8 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Berlin

    def worker_at(now: datetime) -> Worker:
        return Worker(mail_app(make_app, smtp_server, now, alerts=berlin), poll_interval=1)

    worker_at(datetime(2026, 12, 7, 6, 59, tzinfo=UTC))._send_weekly_report()
    assert smtp_server.received == []  # 07:59 in Berlin: not yet

    first = worker_at(monday_8)
    first._send_weekly_report()
    [weekly] = smtp_server.messages()
    assert weekly["Subject"] == "Weekly support report 2026-W49"
    # A second worker, the same one a minute later, a restart on Wednesday: nothing more.
    worker_at(monday_8)._send_weekly_report()
    first._send_weekly_report()
    worker_at(datetime(2026, 12, 9, 10, 0, tzinfo=UTC))._send_weekly_report()
    assert len(smtp_server.received) == 1

    worker_at(datetime(2026, 12, 14, 7, 30, tzinfo=UTC))._send_weekly_report()
    assert [m["Subject"] for m in smtp_server.messages()] == [
        "Weekly support report 2026-W49", "Weekly support report 2026-W50"]
    with first.app.sessions() as session:
        assert session.scalars(select(ReportMail.period).order_by(ReportMail.period)).all() == [
            "2026-W49", "2026-W50"]
        assert session.scalars(select(OutboxItem.state)).all() == ["sent", "sent"]


def test_weekly_report_off_or_without_recipients_sends_nothing(
        make_app: Callable[..., App], smtp_server: SmtpServer) -> None:
    monday_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for report in (ReportSettings(recipients=LEADS, weekly_at=""), ReportSettings()):
        smtp = SmtpSettings(kind="smtp", host=smtp_server.host, port=smtp_server.port)
        app = make_app(monday_9, smtp=smtp, report=report)
        Worker(app, poll_interval=1)._send_weekly_report()
        with app.sessions() as session:
            assert session.scalars(select(ReportMail)).all() == []
    assert smtp_server.received == []


def test_weekly_report_lost_race_is_already_sent(
        make_app: Callable[..., App], smtp_server: SmtpServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers look at once and both see no record: the second write hits the primary
    key, and that worker sends nothing."""
    monday_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    app = mail_app(make_app, smtp_server, monday_9)
    with app.sessions.begin() as session:
        session.add(ReportMail(period="2026-W49", created_at=monday_9))
    monkeypatch.setattr(Session, "get", lambda *args, **kwargs: None)  # it looked too early
    result = send_weekly_report(app.sessions, app.outbox, monday_9)
    assert result == WeeklyResult("2026-W49", 0, already_sent=True)
    monkeypatch.undo()
    with app.sessions() as session:
        assert session.scalars(select(OutboxItem)).all() == []
