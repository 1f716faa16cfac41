"""A ticket's whole conversation through Dovecot and a real SMTP server: notices, technician
answers and tags, forged technicians. What customers receive is parsed from the SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.app import App
from inbox_worker.notices.variables import INTERNAL_KINDS
from inbox_worker.service import views
from inbox_worker.store import repository as repo
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail, reply_to
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TRUSTED_PASS = "mx.example.com; dkim=pass header.d=example.com header.i=@example.com"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Desk:
    """The support desk: a mailbox in Dovecot, the worker, and what the SMTP server got."""

    def __init__(self, app: App, dovecot: Dovecot, account: ImapAccount,
                 smtp: SmtpServer) -> None:
        self.app = app
        self.dovecot = dovecot
        self.account = account
        self.smtp = smtp

    def send(self, raw: bytes) -> None:
        self.dovecot.append(self.account.user, "INBOX", raw)
        self.app.poll_once()
        self.app.send_due_notices()

    def received(self) -> list[EmailMessage]:
        """What customers got (the technicians' alerts left out)."""
        return [m for m in self.smtp.messages()
                if str(m["X-Inbox-Worker-Notice"]) not in INTERNAL_KINDS]

    def ticket(self, ref: str = "T-1") -> dict[str, Any]:
        with self.app.sessions() as session:
            ticket = repo.find_ticket(session, ref)
            return views.ticket_detail_json(session, ticket, None)


@pytest.fixture
def desk(make_app: Callable[..., App], dovecot: Dovecot, imap_account: ImapAccount,
         smtp_server: SmtpServer, desk_servers: dict[str, Any]) -> Desk:
    app = make_app(NOW, templates_dir=REPO / "templates", **desk_servers)
    return Desk(app, dovecot, imap_account, smtp_server)


def raw_of(message: EmailMessage) -> bytes:
    return message.as_bytes()


def technician_reply(parent: bytes, body: str, *, sender: str = "alice@example.com",
                     auth: str | None = TRUSTED_PASS, extra_auth: str | None = None,
                     subject: str | None = None) -> bytes:
    headers = {}
    if auth:
        headers["Authentication-Results"] = auth
    mail = reply_to(parent, sender=sender, body=body, headers=headers, subject=subject)
    if extra_auth:  # a second header, below the first, as the sender could have written it
        forged = f"\nAuthentication-Results: {extra_auth}\nFrom:".encode()
        mail = mail.replace(b"\nFrom:", forged, 1)
    return mail


def threads(messages: list[tuple[str, list[str]]]) -> list[set[str]]:
    """Group Message-IDs into conversations by In-Reply-To/References, as mail clients do."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for message_id, related in messages:
        for other in related:
            parent[find(other)] = find(message_id)
    groups: dict[str, set[str]] = {}
    for message_id, _ in messages:
        groups.setdefault(find(message_id), set()).add(message_id)
    return list(groups.values())


def ids(value: str | None) -> list[str]:
    return [part.strip("<>") for part in (value or "").split() if part.strip()]


def test_conversation_threads_in_the_customers_client(desk: Desk) -> None:
    first = make_mail(subject="Wi-Fi keeps dropping", message_id="<wifi-1@customer.test>")
    desk.send(first)
    [ack] = desk.received()
    token = desk.ticket()["token"]
    assert f"[{token}]" in str(ack["Subject"])
    assert str(ack["In-Reply-To"]) == "<wifi-1@customer.test>"
    assert str(ack["Auto-Submitted"]) == "auto-replied"
    assert str(ack["Reply-To"]) == "support@example.com"
    assert ack["To"].addresses[0].addr_spec == "carol@customer.test"

    customer_reply = reply_to(raw_of(ack), sender="carol@customer.test",
                              body="It happens every 10 minutes.")
    desk.send(customer_reply)
    assert len(desk.received()) == 1  # a customer reply earns no notice
    assert desk.ticket()["status"] == "Customer-Reply"

    desk.send(technician_reply(customer_reply,
                               "Please update the driver to 5.2.\n\n-- \nAlice\nDesk phone 4711"))
    ack, answer = desk.received()
    body = answer.get_body(("plain",)).get_content()
    assert "Please update the driver to 5.2." in body
    assert "Desk phone 4711" not in body  # the private signature is cut
    assert "every 10 minutes" not in body  # no quoted history
    assert f"[{token}]" in str(answer["Subject"])
    assert desk.ticket()["status"] == "Answered"

    conversation = [
        ("wifi-1@customer.test", []),
        *[(str(m["Message-ID"]).strip("<>"),
           ids(m["In-Reply-To"]) + ids(m["References"])) for m in (ack, answer)],
    ]
    assert len(threads(conversation)) == 1
    detail = desk.ticket()
    customers_side = [m for m in detail["messages"] if m["kind"] != "alert"]
    assert [m["direction"] for m in customers_side] == ["in", "out", "in", "in", "out"]
    # The new ticket's alert to both technicians, the reply's to both (nobody assigned).
    assert [m["to"] for m in detail["messages"] if m["kind"] == "alert"] == [
        ["alice@example.com", "bob@example.com"]] * 2
    assert all(m["delivery"]["state"] == "sent" for m in detail["messages"]
               if m["direction"] == "out")
    technician_events = [e for e in detail["events"] if e["actor"] == "alice@example.com"]
    assert technician_events and technician_events[0]["message_id"]


def test_on_hold_billing_and_scheduled(desk: Desk) -> None:
    first = make_mail(subject="Server migration")
    desk.send(first)
    desk.send(technician_reply(first, "#status on-hold billing\nWe start once paid."))
    notice = desk.received()[-1]
    text = notice.get_body(("plain",)).get_content()
    assert "invoice" in text and "We start once paid." in text
    assert "#status" not in text
    ticket = desk.ticket()
    assert ticket["status"] == "On-Hold"

    desk.send(technician_reply(first, "#Status Scheduled 2026-12-01 02:00\n#priority high"))
    ticket = desk.ticket()
    assert ticket["status"] == "Scheduled"
    assert ticket["scheduled_for"] == "2026-12-01T02:00:00Z"
    assert ticket["priority"] == "high"
    text = desk.received()[-1].get_body(("plain",)).get_content()
    assert "1 December 2026" in text


def test_note_sends_nothing_and_bad_tags_change_nothing(desk: Desk) -> None:
    first = make_mail(subject="Printer toner")
    desk.send(first)
    sent = len(desk.received())
    desk.send(technician_reply(first, "#note\nCustomer is on the old contract."))
    assert len(desk.received()) == sent
    ticket = desk.ticket()
    assert ticket["status"] == "Open"
    assert ticket["messages"][-1]["kind"] == "note"

    desk.send(technician_reply(first, "#status done\nFixed."))
    ticket = desk.ticket()
    assert ticket["status"] == "Open"
    rejection = desk.received()[-1]
    assert rejection["To"].addresses[0].addr_spec == "alice@example.com"
    assert "unknown status 'done'" in rejection.get_body(("plain",)).get_content()
    assert any(e["kind"] == "rejected" for e in ticket["events"])


def test_forged_technician_changes_nothing(desk: Desk) -> None:
    first = make_mail(subject="Invoice address")
    desk.send(first)
    subject = f"Re: [{desk.ticket()['token']}] Invoice address"
    for forged in (
        technician_reply(first, "#status closed", auth=None, subject=subject),
        technician_reply(first, "#status closed", subject=subject,
                         auth="evil.test; dkim=pass header.d=example.com"),
        # The trusted host says fail; a "pass" the sender wrote below it is ignored.
        technician_reply(first, "#status closed", subject=subject,
                         auth="mx.example.com; dkim=fail header.d=example.com",
                         extra_auth=TRUSTED_PASS),
    ):
        desk.send(forged)
    original = desk.ticket("T-1")
    assert original["status"] == "Open"
    assert [m["kind"] for m in original["messages"] if m["direction"] == "in"] == ["customer"]
    assert all(e["kind"] != "status" for e in original["events"])
    assert any(e["kind"] == "stranger-token" for e in original["events"])
    forged_ticket = desk.ticket("T-2")
    assert forged_ticket["customer"] == "alice@example.com"
    assert any(e["kind"] == "auth-failed" for e in forged_ticket["events"])


def test_technician_opens_a_ticket_for_a_customer(desk: Desk) -> None:
    desk.send(make_mail(sender="alice@example.com", subject="Phone call: VPN",
                        body="#customer dave@customer.test\nDave called, VPN is down.",
                        headers={"Authentication-Results": TRUSTED_PASS}))
    ticket = desk.ticket()
    assert ticket["customer"] == "dave@customer.test"
    [ack] = desk.received()
    assert ack["To"].addresses[0].addr_spec == "dave@customer.test"


def test_broken_template_keeps_mail_going(desk: Desk, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    for file in (REPO / "templates").iterdir():
        (templates / file.name).write_text(file.read_text())
    desk.app = replace(desk.app)
    desk.app.renderer.templates_dir = templates  # type: ignore[misc]
    desk.send(make_mail(sender="x@customer.test", subject="One"))
    (templates / "acknowledged.txt.j2").write_text("Subject: {{ ticket.subject\n\nbroken {% if %}")
    desk.send(make_mail(sender="y@customer.test", subject="Two"))
    assert len(desk.received()) == 2
    assert "We have received your request" in str(desk.received()[1]["Subject"])
    problems = desk.app.renderer.check()
    assert any(p.path.name == "acknowledged.txt.j2" and p.line for p in problems)
