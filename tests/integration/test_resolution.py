"""Resolution summaries (PRODUCT.md section 5a): `#resolution` kept on the ticket, told to
the customer on closing, shown to the team; the policy that requires one; duplicates;
auto-close's own summary; a reopen clears it. Mails go in through the ingestor, on SQLite
and PostgreSQL; what would be sent is read from the outbox."""

from __future__ import annotations

import email
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from typing import Any

import pytest
from sqlalchemy import select

from inbox_worker.app import App
from inbox_worker.config import Settings
from inbox_worker.mail.maildir import RawSource
from inbox_worker.service import views
from inbox_worker.service.digest import digest_context
from inbox_worker.store import repository as repo
from inbox_worker.store.models import OutboxItem
from tests.support.mails import make_mail, reply_to

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Desk:
    """Mails at chosen moments through the ingestor; technicians trusted on From alone."""

    def __init__(self, make_app: Callable[..., App], settings: Settings, **changes: Any
                 ) -> None:
        self.make_app = make_app
        self.changes = {"technicians": replace(settings.technicians,
                                               trust_delivery_path=True), **changes}

    def app(self, at: datetime) -> App:
        return self.make_app(at, **self.changes)

    def mail(self, at: datetime, raw: bytes) -> None:
        self.app(at).ingestor.process(RawSource.fetched_from(raw, "test"), at)

    def ticket(self, ref: str = "T-1") -> dict[str, Any]:
        app = self.app(T0)
        with app.sessions() as session:
            return views.ticket_detail_json(session, repo.find_ticket(session, ref), None)

    def sent(self, notice: str) -> list[str]:
        """The text of every mail of this kind in the outbox, oldest first."""
        app = self.app(T0)
        with app.sessions() as session:
            raws = session.scalars(select(OutboxItem.raw).where(OutboxItem.notice == notice)
                                   .order_by(OutboxItem.id)).all()
        texts = []
        for raw in raws:
            message = email.message_from_bytes(raw, policy=policy.default)
            texts.append(message.get_body(("plain",)).get_content())  # type: ignore[attr-defined]
        return texts


def customer_mail(subject: str = "Printer jams", ident: str = "jam-1") -> bytes:
    return make_mail(subject=subject, message_id=f"<{ident}@customer.test>")


def tech(parent: bytes, body: str, sender: str = "alice@example.com") -> bytes:
    return reply_to(parent, sender=sender, body=body)


@pytest.fixture
def desk(make_app: Callable[..., App], settings: Settings) -> Desk:
    return Desk(make_app, settings)


def test_a_summary_with_the_closing_is_kept_told_to_the_customer_and_shown(desk: Desk
                                                                          ) -> None:
    first = customer_mail()
    desk.mail(T0, first)
    closing = T0 + timedelta(hours=1)
    desk.mail(closing, tech(first, "#resolution Replaced the worn pickup roller.\n"
                                   "#status closed\n\nIt prints again."))
    ticket = desk.ticket()
    assert ticket["status"] == "Closed"
    assert ticket["resolution"] == {"text": "Replaced the worn pickup roller.",
                                    "by": "alice@example.com", "at": "2026-11-02T10:00:00Z"}
    assert ticket["duplicate_of"] is None
    [closed] = desk.sent("closed")
    assert "How it was resolved: Replaced the worn pickup roller." in closed
    assert "It prints again." in closed
    assert [e["cause"] for e in ticket["events"] if e["kind"] == "resolution"] == [
        "resolution: Replaced the worn pickup roller."]

    # The digest of the next morning lists it with its summary.
    app = desk.app(T0 + timedelta(days=1))
    with app.sessions() as session:
        context = digest_context(session, app.outbox, app.clock(), (T0 + timedelta(days=1))
                                 .date())
    assert [(t["ref"], t["resolution"]) for t in context["closed"]] == [
        ("T-1", "Replaced the worn pickup roller.")]
    rendered = app.outbox.renderer.render("digest", context)
    assert "Replaced the worn pickup roller." in rendered.text

    # A reopen clears it: the next closing says how it is resolved this time.
    desk.mail(closing + timedelta(days=1), reply_to(first, sender="carol@customer.test",
                                                    body="It jams again."))
    reopened = desk.ticket()
    assert reopened["status"] == "Customer-Reply" and reopened["resolution"] is None
    assert "resolution: Replaced the worn pickup roller." in [
        e["cause"] for e in reopened["events"]]


def test_a_summary_alone_changes_nothing_else_and_alerts_show_it(desk: Desk) -> None:
    first = customer_mail()
    desk.mail(T0, first)
    desk.mail(T0 + timedelta(minutes=5), tech(first, "#resolution Firmware 2.1 fixes it"))
    ticket = desk.ticket()
    assert ticket["status"] == "Open" and ticket["resolution"]["text"] == "Firmware 2.1 fixes it"
    assert len(desk.sent("answer")) == 0  # no words: nothing to the customer
    # The customer writes again: the technicians' alert shows the summary so far.
    desk.mail(T0 + timedelta(minutes=10), reply_to(first, sender="carol@customer.test",
                                                   body="Where do I get 2.1?"))
    assert "Resolution: Firmware 2.1 fixes it" in desk.sent("alert")[-1]
    # A later summary replaces it; the closing then shows the newer one.
    desk.mail(T0 + timedelta(minutes=20), tech(first, "#resolution Firmware 2.2 fixes it\n"
                                                      "#status closed"))
    assert desk.ticket()["resolution"]["text"] == "Firmware 2.2 fixes it"
    [closed] = desk.sent("closed")
    assert "Firmware 2.2 fixes it" in closed and "2.1" not in closed


def test_the_policy_refuses_a_closing_without_a_summary(make_app: Callable[..., App],
                                                         settings: Settings) -> None:
    desk = Desk(make_app, settings, policy=replace(settings.policy, require_resolution=True))
    first = customer_mail()
    desk.mail(T0, first)
    desk.mail(T0 + timedelta(hours=1), tech(first, "#status closed\n\nDone."))
    ticket = desk.ticket()
    assert ticket["status"] == "Open" and ticket["resolution"] is None
    [refusal] = desk.sent("tag_rejected")
    assert "require_resolution" in refusal and "#resolution TEXT" in refusal
    assert desk.sent("closed") == [] and desk.sent("answer") == []

    # With the summary in the same mail, or on the ticket already, the closing goes.
    desk.mail(T0 + timedelta(hours=2), tech(first, "#resolution Reset the spooler\n"
                                                   "#status closed"))
    assert desk.ticket()["status"] == "Closed"
    second = customer_mail("VPN drops", "vpn-1")
    desk.mail(T0, second)
    desk.mail(T0 + timedelta(hours=3), tech(second, "#resolution New VPN profile"))
    desk.mail(T0 + timedelta(hours=4), tech(second, "#status closed"))
    assert desk.ticket("T-2")["status"] == "Closed"


def test_a_duplicate_names_its_ticket_and_a_missing_one_is_refused(desk: Desk) -> None:
    first, second = customer_mail(), customer_mail("Printer jams again", "jam-2")
    desk.mail(T0, first)
    desk.mail(T0, second)
    desk.mail(T0 + timedelta(hours=1), tech(second, "#resolution duplicate of T-99\n"
                                                    "#status closed"))
    assert desk.ticket("T-2")["status"] == "Open"
    assert "there is no ticket T-99" in desk.sent("tag_rejected")[-1]
    desk.mail(T0 + timedelta(hours=1), tech(second, "#resolution duplicate of T-2\n"
                                                    "#status closed"))
    assert "cannot duplicate itself" in desk.sent("tag_rejected")[-1]
    desk.mail(T0 + timedelta(hours=2), tech(second, "#resolution Duplicate of T-1\n"
                                                    "#status closed"))
    ticket = desk.ticket("T-2")
    assert ticket["status"] == "Closed" and ticket["duplicate_of"] == "T-1"
    assert ticket["resolution"]["text"] == "Duplicate of T-1"


def test_auto_close_records_its_own_summary_and_keeps_a_technicians(desk: Desk) -> None:
    first, second = customer_mail(), customer_mail("VPN drops", "vpn-1")
    desk.mail(T0, first)
    desk.mail(T0, second)
    desk.mail(T0 + timedelta(hours=1), tech(first, "Please restart it."))
    desk.mail(T0 + timedelta(hours=1), tech(second, "#resolution New VPN profile\n\n"
                                                    "Import the attached profile."))
    assert desk.app(T0 + timedelta(days=31)).apply_time_rules().auto_closed == 2
    auto = desk.ticket("T-1")
    assert auto["resolution"] == {"text": "closed automatically after 30 days without reply",
                                  "by": "system", "at": "2026-12-03T09:00:00Z"}
    assert desk.ticket("T-2")["resolution"]["by"] == "alice@example.com"
    first_notice, second_notice = desk.sent("auto_closed")
    # The customer's notice tells a technician's summary, not auto-close's own words twice.
    assert "How it was resolved" not in first_notice
    assert "How it was resolved: New VPN profile" in second_notice


def test_tickets_show_prints_the_summary_and_the_duplicate(desk: Desk,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    from inbox_worker.cli_tickets import print_detail

    first, second = customer_mail(), customer_mail("Printer jams again", "jam-2")
    desk.mail(T0, first)
    desk.mail(T0, second)
    desk.mail(T0 + timedelta(hours=1), tech(second, "#resolution duplicate of T-1\n"
                                                    "#status closed"))
    print_detail(desk.ticket("T-2"))
    shown = capsys.readouterr().out
    assert "resolution: duplicate of T-1  (alice@example.com, 2026-11-02T10:00:00Z)" in shown
    assert "duplicate of: T-1" in shown
