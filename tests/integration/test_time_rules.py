"""Weeks of activity replayed with a fixed clock: auto-close, scheduled start, reopen window,
and two workers applying the rules at once."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_worker.app import App
from inbox_worker.config import Settings
from inbox_worker.mail.maildir import RawSource
from inbox_worker.service import views
from inbox_worker.store import repository as repo
from inbox_worker.store.models import OutboxItem
from tests.support.mails import make_mail, reply_to

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SCRIPT = Path(sys.executable).parent / "inbox-worker"


class Timeline:
    """Mails and rule runs at chosen moments, through the same entry points as production."""

    def __init__(self, make_app: Callable[..., App], settings: Settings) -> None:
        self.make_app = make_app
        self.settings = replace(
            settings, technicians=replace(settings.technicians, trust_delivery_path=True))

    def app(self, at: datetime) -> App:
        return self.make_app(at, technicians=self.settings.technicians)

    def mail(self, at: datetime, raw: bytes) -> str | None:
        app = self.app(at)
        fetched = RawSource.fetched_from(raw, "test")
        return app.ingestor.process(fetched, at).ticket_ref

    def rules(self, at: datetime) -> tuple[int, int]:
        summary = self.app(at).apply_time_rules()
        return summary.auto_closed, summary.started

    def ticket(self, ref: str = "T-1") -> dict:  # type: ignore[type-arg]
        app = self.app(T0)
        with app.sessions() as session:
            return views.ticket_detail_json(session, repo.find_ticket(session, ref), None)

    def notices(self, kind: str) -> int:
        app = self.app(T0)
        with app.sessions() as session:
            return int(session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.notice == kind)))


@pytest.fixture
def timeline(make_app: Callable[..., App], settings: Settings) -> Timeline:
    return Timeline(make_app, settings)


def answered_ticket(timeline: Timeline, answered_at: datetime) -> bytes:
    first = make_mail(subject="Backup failed", message_id="<backup-1@customer.test>")
    timeline.mail(T0, first)
    timeline.mail(answered_at, reply_to(first, sender="alice@example.com",
                                        body="Fixed the backup job."))
    assert timeline.ticket()["status"] == "Answered"
    return first


def test_auto_close_at_exactly_the_configured_days(timeline: Timeline) -> None:
    answered_at = T0 + timedelta(hours=2)
    answered_ticket(timeline, answered_at)
    assert timeline.rules(answered_at + timedelta(days=30) - timedelta(seconds=1)) == (0, 0)
    assert timeline.ticket()["status"] == "Answered"
    assert timeline.rules(answered_at + timedelta(days=30)) == (1, 0)
    ticket = timeline.ticket()
    assert ticket["status"] == "Closed"
    assert ticket["closed_at"] == (answered_at + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z")
    assert timeline.notices("auto_closed") == 1
    # Idempotent: again, and later, nothing more.
    assert timeline.rules(answered_at + timedelta(days=30)) == (0, 0)
    assert timeline.rules(answered_at + timedelta(days=45)) == (0, 0)
    assert timeline.notices("auto_closed") == 1


def test_a_customer_reply_stops_the_auto_close(timeline: Timeline) -> None:
    answered_at = T0 + timedelta(hours=2)
    first = answered_ticket(timeline, answered_at)
    timeline.mail(answered_at + timedelta(days=10),
                  reply_to(first, sender="carol@customer.test", body="Still failing."))
    assert timeline.rules(answered_at + timedelta(days=31)) == (0, 0)
    assert timeline.ticket()["status"] == "Customer-Reply"


def test_scheduled_start_survives_a_customer_reply(timeline: Timeline) -> None:
    first = make_mail(subject="Reboot the server")
    timeline.mail(T0, first)
    timeline.mail(T0 + timedelta(hours=1), reply_to(
        first, sender="alice@example.com", body="#status scheduled 2026-12-01 02:00"))
    assert timeline.ticket()["status"] == "Scheduled"
    timeline.mail(T0 + timedelta(days=3), reply_to(
        first, sender="carol@customer.test", body="Can it be earlier?"))
    assert timeline.ticket()["status"] == "Customer-Reply"
    due = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert timeline.rules(due - timedelta(minutes=1)) == (0, 0)
    assert timeline.rules(due) == (0, 1)
    ticket = timeline.ticket()
    assert ticket["status"] == "In Progress" and ticket["scheduled_for"] is None
    assert timeline.rules(due + timedelta(days=1)) == (0, 0)


def test_reopen_window(timeline: Timeline) -> None:
    first = make_mail(subject="Mailbox full")
    timeline.mail(T0, first)
    closed_at = T0 + timedelta(hours=1)
    timeline.mail(closed_at, reply_to(first, sender="alice@example.com",
                                      body="#status closed\nI raised your quota."))
    assert timeline.ticket()["status"] == "Closed"
    within = closed_at + timedelta(days=30)
    timeline.mail(within, reply_to(first, sender="carol@customer.test", body="Full again."))
    assert timeline.ticket()["status"] == "Customer-Reply"
    assert timeline.notices("reopened") == 1

    timeline.mail(within + timedelta(hours=1), reply_to(
        first, sender="alice@example.com", body="#status closed\nCleaned up."))
    late = within + timedelta(hours=1) + timedelta(days=30, seconds=1)
    ref = timeline.mail(late, reply_to(first, sender="carol@customer.test",
                                       body="And again, months later."))
    assert ref == "T-2"
    assert timeline.ticket("T-1")["status"] == "Closed"
    linked = timeline.ticket("T-2")
    assert linked["linked_to"] == "T-1" and linked["status"] == "Open"


def test_two_concurrent_rule_runs_send_one_notice_each(
    timeline: Timeline, settings: Settings, tmp_path: Path
) -> None:
    answered_at = T0 + timedelta(hours=2)
    for n in range(25):
        first = make_mail(sender=f"user{n}@customer.test", subject=f"Case {n}")
        timeline.mail(T0, first)
        timeline.mail(answered_at, reply_to(first, sender="alice@example.com", body="Done."))
    # The acknowledgements and answers go out first, so that what follows is the rules' own.
    timeline.app(answered_at).send_due_notices()
    before = set((tmp_path / "sent" / "new").iterdir())
    # Per ticket: the acknowledgement, the answer, and the new ticket's alert.
    assert len(before) == 75
    config = tmp_path / "rules.toml"
    config.write_text(f'[database]\nurl = "{settings.database.url}"\n'
                      f'[smtp]\nkind = "maildir"\nsent_path = "{tmp_path / "sent"}"\n'
                      f'[templates]\ndir = "{settings.templates_dir}"\n')
    now = (answered_at + timedelta(days=30)).isoformat()
    processes = [
        subprocess.Popen([str(SCRIPT), "--config", str(config), "--now", now, "rules", "run",
                          "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert timeline.notices("auto_closed") == 25
    sent = set((tmp_path / "sent" / "new").iterdir()) - before
    assert len(sent) == 25
    assert all(b"auto-closed" in p.read_bytes().lower() or b"closed" in p.read_bytes().lower()
               for p in sent)


def test_log_lines_name_a_ticket_one_way(timeline: Timeline,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """Ingest, notice queued and sent, auto-close and escalation all say `ticket=T-1`, so
    that one grep finds a ticket's whole story."""
    caplog.set_level("INFO", logger="inbox_worker")
    answered_ticket(timeline, T0 + timedelta(hours=1))
    timeline.mail(T0 + timedelta(hours=2), make_mail(subject="Other", sender="x@y.test"))
    timeline.rules(T0 + timedelta(days=5))  # the second ticket's targets are missed
    timeline.app(T0 + timedelta(days=5)).send_due_notices()
    timeline.rules(T0 + timedelta(days=31))  # the first one closes
    lines = [record.getMessage() for record in caplog.records]
    named = [line for line in lines if "ticket" in line]
    assert any("escalation" in line for line in named)
    assert any(line.startswith("notice sent") for line in named)
    assert any("auto" in line and line.startswith("rule") for line in named)
    for line in named:
        assert "ticket_id" not in line, line
        for value in re.findall(r"\bticket=(\S+)", line):
            assert re.fullmatch(r"T-\d+|-", value), line
