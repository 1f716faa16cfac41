"""The satisfaction follow-up (issue 19): a survey after the closing, replayed with `--now`
through the CLI and delivered to a real SMTP server; answers by link and by plain reply;
the limits and the people who never get one."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from inbox_worker.app import App
from inbox_worker.config import AlertSettings, Settings, SmtpSettings
from inbox_worker.mail.maildir import RawSource
from inbox_worker.service import views
from inbox_worker.store import repository as repo
from inbox_worker.store.models import OutboxItem, SurveyOptOut, Ticket
from tests.support.mails import make_mail, reply_to
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLOSED = T0 + timedelta(hours=1)
DUE = CLOSED + timedelta(days=3)
SCRIPT = Path(sys.executable).parent / "inbox-worker"
CUSTOMER = "carol@customer.test"


class Desk:
    """Mails and rule runs at chosen moments, through the worker's own entry points."""

    def __init__(self, make_app: Callable[..., App], settings: Settings,
                 smtp: SmtpServer) -> None:
        self.make_app = make_app
        self.smtp = smtp
        self.changes = {
            "technicians": replace(settings.technicians, trust_delivery_path=True),
            "alerts": AlertSettings(escalation=("lead@example.com",)),
            "smtp": SmtpSettings(kind="smtp", host="127.0.0.1", port=smtp.port,
                                 security="none", timeout=10),
        }

    def app(self, at: datetime) -> App:
        return self.make_app(at, **self.changes)

    def mail(self, at: datetime, raw: bytes) -> str | None:
        return self.app(at).ingestor.process(RawSource.fetched_from(raw, "test"), at).ticket_ref

    def rules(self, at: datetime) -> int:
        app = self.app(at)
        surveys = app.apply_time_rules().surveys
        app.send_due_notices()
        return surveys

    def closed_ticket(self, subject: str = "Printer offline", sender: str = CUSTOMER,
                      at: datetime = CLOSED, headers: dict[str, str] | None = None) -> bytes:
        first = make_mail(subject=subject, sender=sender, headers=headers)
        self.mail(at - timedelta(hours=1), first)
        self.mail(at, reply_to(first, sender="alice@example.com",
                               body="#assign bob@example.com\n#status closed\nFixed."))
        return first

    def ticket(self, ref: str = "T-1") -> dict:  # type: ignore[type-arg]
        with self.app(T0).sessions() as session:
            return views.ticket_detail_json(session, repo.find_ticket(session, ref), None)

    def outbox(self, notice: str) -> list[OutboxItem]:
        with self.app(T0).sessions() as session:
            return list(session.scalars(select(OutboxItem).where(OutboxItem.notice == notice)
                                        .order_by(OutboxItem.id)))

    def surveys_to(self, address: str) -> list[str]:
        """The links of the surveys the SMTP server received for `address`."""
        found = []
        for message in self.smtp.messages():
            if message["X-Inbox-Worker-Notice"] == "survey" and address in message["To"]:
                found.append(message.get_content())
        return found


@pytest.fixture
def desk(make_app: Callable[..., App], settings: Settings, smtp_server: SmtpServer) -> Desk:
    return Desk(make_app, settings, smtp_server)


def links_in(text: str) -> list[str]:
    return [word for word in text.split() if word.startswith("mailto:")]


def answer_by_link(link: str, body: str = "") -> bytes:
    """The mail a customer's client sends for a mailto link: the link's subject, no
    threading headers."""
    query = urllib.parse.urlsplit(link).query
    subject = urllib.parse.parse_qs(query)["subject"][0]
    return make_mail(sender=CUSTOMER, subject=subject, body=body or "\n")


def cli_config(tmp_path: Path, settings: Settings, smtp_server: SmtpServer) -> Path:
    config = tmp_path / "worker.toml"
    config.write_text(
        f'[support]\naddress = "support@example.com"\n'
        f'[database]\nurl = "{settings.database.url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\n'
        f'[templates]\ndir = "{settings.templates_dir}"\n'
        f'[technicians]\naddresses = ["alice@example.com", "bob@example.com"]\n'
        f'[alerts]\nescalation = ["lead@example.com"]\n')
    return config


def cli(config: Path, now: datetime, *args: str) -> list[str]:
    return [str(SCRIPT), "--config", str(config), "--now", now.isoformat(), *args]


def run_cli(config: Path, now: datetime, *args: str) -> str:
    done = subprocess.run(cli(config, now, *args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_survey_by_rules_run_answered_by_link_and_by_reply(
        desk: Desk, settings: Settings, smtp_server: SmtpServer, tmp_path: Path) -> None:
    first = desk.closed_ticket()
    desk.app(CLOSED).send_due_notices()
    config = cli_config(tmp_path, settings, smtp_server)
    # Due three days after the closing, not a second before; then once only.
    early = json.loads(run_cli(config, DUE - timedelta(seconds=1), "rules", "run", "--json"))
    assert early["surveys"] == 0
    assert json.loads(run_cli(config, DUE, "rules", "run", "--json"))["surveys"] == 1
    assert json.loads(run_cli(config, DUE + timedelta(days=9), "rules", "run",
                              "--json"))["surveys"] == 0
    [survey] = desk.surveys_to(CUSTOMER)
    token = desk.ticket()["token"]
    links = links_in(survey)
    assert links[:5] == [f"mailto:support@example.com?subject=Rating%20{n}%20%5B{token}%5D"
                         for n in range(1, 6)]
    assert "No%20more%20surveys" in links[5]

    # One click: the client's mail has the link's subject, no threading headers.
    desk.mail(DUE + timedelta(hours=2), answer_by_link(links[3]))
    shown = json.loads(run_cli(config, DUE + timedelta(hours=3), "tickets", "show", "T-1",
                               "--json"))
    assert shown["status"] == "Closed"
    assert shown["satisfaction"] == {"rating": 4, "comment": None,
                                     "at": (DUE + timedelta(hours=2)).isoformat()
                                     .replace("+00:00", "Z")}
    assert shown["messages"][-1]["kind"] == "satisfaction"
    assert not desk.outbox("reopened") and len(desk.outbox("acknowledged")) == 1

    # A later plain reply replaces the rating; the history keeps both. A 1 or 2 without a
    # comment alerts the assignee and the escalation list, and asks once what went wrong.
    desk.mail(DUE + timedelta(days=1), reply_to(first, sender=CUSTOMER, body="2"))
    ticket = desk.ticket()
    assert ticket["status"] == "Closed" and ticket["satisfaction"]["rating"] == 2
    causes = [e["cause"] for e in ticket["events"] if e["kind"] == "satisfaction"]
    assert causes == ["rating 4", "rating 2"]
    [alert] = [a for a in desk.outbox("alert") if "lead@example.com" in a.recipient]
    assert alert.recipient == "bob@example.com, lead@example.com"
    assert len(desk.outbox("what_went_wrong")) == 1

    # The answer to that question is the rating's comment, reaches the same people, and
    # does not reopen the ticket.
    desk.mail(DUE + timedelta(days=2), reply_to(first, sender=CUSTOMER,
                                                body="The printer is still offline."))
    ticket = desk.ticket()
    assert ticket["status"] == "Closed"
    assert ticket["satisfaction"]["comment"] == "The printer is still offline."
    low = [a for a in desk.outbox("alert") if "lead@example.com" in a.recipient]
    assert len(low) == 2
    # Anything further is an ordinary reply: it reopens.
    desk.mail(DUE + timedelta(days=3), reply_to(first, sender=CUSTOMER, body="Any news?"))
    assert desk.ticket()["status"] == "Customer-Reply"
    assert len(desk.outbox("what_went_wrong")) == 1


def test_one_survey_per_customer_opt_out_and_who_never_gets_one(desk: Desk) -> None:
    first = desk.closed_ticket("Printer offline")
    desk.closed_ticket("Scanner offline")
    desk.closed_ticket("News", sender="news@lists.test", headers={"List-Id": "<news.test>"})
    desk.closed_ticket("A colleague's ticket", sender="eve@customer.test")
    desk.closed_ticket("Duplicate", sender="dave@customer.test")
    with desk.app(T0).sessions.begin() as session:
        session.execute(update(Ticket).where(Ticket.id == 4).values(customer="bob@example.com"))
        session.execute(update(Ticket).where(Ticket.id == 5).values(duplicate_of_id=1))
    assert desk.rules(DUE) == 1
    # Skipped for good: marked with their closing time and an event that says why.
    closed, sent = (at.isoformat().replace("+00:00", "Z") for at in (CLOSED, DUE))
    assert [desk.ticket(f"T-{n}")["survey_sent_at"] for n in range(1, 6)] == [
        sent, closed, closed, closed, None]  # a duplicate is never looked at
    skipped = {n: [e["cause"] for e in desk.ticket(f"T-{n}")["events"]
                   if e["kind"] == "survey-skipped"] for n in (2, 3, 4)}
    assert "at most one in 30 days" in skipped[2][0]
    assert "automatic or list mail" in skipped[3][0]
    assert "technician" in skipped[4][0]
    assert len(desk.surveys_to(CUSTOMER)) == 1 and len(desk.outbox("survey")) == 1

    # "No more surveys", in plain words: recorded, honoured later, the ticket stays Closed.
    desk.mail(DUE + timedelta(hours=1), reply_to(first, sender=CUSTOMER,
                                                 body="Please, no more surveys."))
    assert desk.ticket()["status"] == "Closed"
    with desk.app(T0).sessions() as session:
        assert session.get(SurveyOptOut, CUSTOMER) is not None
    later = CLOSED + timedelta(days=40)
    desk.closed_ticket("Printer offline again", at=later)
    assert desk.rules(later + timedelta(days=3)) == 0
    events = desk.ticket("T-6")["events"]
    assert any("asked for no surveys" in e["cause"] for e in events)


def test_answers_that_are_not_ratings(desk: Desk) -> None:
    first = make_mail(subject="VPN drops", cc="dan@customer.test")
    desk.mail(T0, first)
    desk.mail(CLOSED, reply_to(first, sender="alice@example.com", body="#status closed"))
    assert desk.rules(DUE) == 1
    # A Cc'd colleague's rating is kept as their mail and changes nothing.
    desk.mail(DUE + timedelta(hours=1), answer_by_link(
        f"mailto:support@example.com?subject=Rating%201%20%5B{desk.ticket()['token']}%5D")
        .replace(CUSTOMER.encode(), b"dan@customer.test"))
    ticket = desk.ticket()
    assert ticket["satisfaction"] is None and ticket["status"] == "Closed"
    assert [e["kind"] for e in ticket["events"]][-1] == "satisfaction-ignored"
    # Out of range: plain text, an ordinary reply (within the window: reopens).
    desk.mail(DUE + timedelta(hours=2), reply_to(first, sender=CUSTOMER, body="10/10"))
    ticket = desk.ticket()
    assert ticket["satisfaction"] is None and ticket["status"] == "Customer-Reply"


def test_a_rating_after_sixty_days_is_an_ordinary_mail(desk: Desk) -> None:
    first = desk.closed_ticket()
    assert desk.rules(DUE) == 1
    ref = desk.mail(DUE + timedelta(days=61), reply_to(first, sender=CUSTOMER, body="5"))
    assert ref == "T-2"  # past the reopen window too: a new, linked ticket
    assert desk.ticket()["satisfaction"] is None


def test_two_workers_at_once_keep_one_survey_per_ticket_and_per_customer(
        desk: Desk, settings: Settings, smtp_server: SmtpServer, tmp_path: Path) -> None:
    # Two tickets per customer, side by side: the workers take them at the same moment.
    for n in range(24):
        desk.closed_ticket(f"Case {n}", sender=f"user{n // 2}@customer.test")
    config = cli_config(tmp_path, settings, smtp_server)
    processes = [subprocess.Popen(cli(config, DUE, "rules", "run", "--json"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert sum(json.loads(out)["surveys"] for out, _ in outputs) == 12  # one per customer
    assert len(desk.outbox("survey")) == 12
    surveys = [m for m in smtp_server.messages() if m["X-Inbox-Worker-Notice"] == "survey"]
    assert sorted(str(m["To"]) for m in surveys) == sorted(
        f"user{n}@customer.test" for n in range(12))
