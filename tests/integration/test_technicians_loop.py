"""The technicians' half of the loop, end to end: Dovecot in, a real SMTP server out.

A customer writes; every technician gets an alert they can answer; the answer (words, tags,
files) reaches the customer in the customer's own conversation, whatever the technician's
client quoted; out-of-office replies, forwards and forged commands reach nobody.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from inbox_worker.app import App
from inbox_worker.config import AlertSettings, Settings
from inbox_worker.mail.maildir import RawSource
from inbox_worker.notices.variables import INTERNAL_KINDS
from inbox_worker.service import targets, views
from inbox_worker.service.digest import send_digest
from inbox_worker.store import repository as repo
from inbox_worker.store.models import OutboxItem, QuarantinedMail
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail, reply_to
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TRUSTED_PASS = "mx.example.com; dkim=pass header.d=example.com header.i=@example.com"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(reversed(range(256))) * 8


class Desk:
    """The support desk: Dovecot's mailbox, the worker at a moment, the SMTP server."""

    def __init__(self, make_app: Callable[..., App], changes: dict[str, Any],
                 dovecot: Dovecot, account: ImapAccount, smtp: SmtpServer) -> None:
        self.make_app, self.changes = make_app, changes
        self.dovecot, self.account, self.smtp = dovecot, account, smtp
        self.now = NOW
        self.app = make_app(NOW, **changes)
        self.seen = 0

    def forget(self) -> None:
        """From now on `mails` shows only what is sent after this."""
        self.seen = len(self.smtp.messages())

    def at(self, moment: datetime) -> Desk:
        self.now = moment
        self.app = self.make_app(moment, **self.changes)
        return self

    def send(self, raw: bytes) -> None:
        self.dovecot.append(self.account.user, "INBOX", raw)
        self.app.poll_once()
        self.app.send_due_notices()

    def mails(self, to: str | None = None, kind: str | None = None) -> list[EmailMessage]:
        found = []
        for message in self.smtp.messages()[self.seen:]:
            template = str(message["X-Inbox-Worker-Notice"])
            if kind == "customer" and template in INTERNAL_KINDS:
                continue
            if kind not in (None, "customer") and template != kind:
                continue
            if to and to not in addresses(message):
                continue
            found.append(message)
        return found

    def ticket(self, ref: str = "T-1") -> dict[str, Any]:
        with self.app.sessions() as session:
            ticket = repo.find_ticket(session, ref)
            shown = targets.view(ticket, self.app.settings.targets, self.app.clock())
            return views.ticket_detail_json(session, ticket, None, shown)


@pytest.fixture
def desk(make_app: Callable[..., App], dovecot: Dovecot, imap_account: ImapAccount,
         smtp_server: SmtpServer, desk_servers: dict[str, Any]) -> Desk:
    alerts = AlertSettings(escalation=("lead@example.com",), attach_max_bytes=100_000)
    changes = {"templates_dir": REPO / "templates", "alerts": alerts, **desk_servers}
    return Desk(make_app, changes, dovecot, imap_account, smtp_server)


def customer_mail(subject: str = "Printer jams", body: str = "The printer jams on page 2.\n",
                  sender: str = "carol@customer.test", files: dict[str, bytes] | None = None,
                  ) -> bytes:
    message = email.message_from_bytes(make_mail(sender=sender, subject=subject, body=body),
                                       policy=policy.default)
    assert isinstance(message, EmailMessage)
    for name, data in (files or {}).items():
        maintype, subtype = ("image", "png") if name.endswith(".png") else ("application", "pdf")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def with_files(raw: bytes, files: dict[str, bytes]) -> bytes:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    for name, data in files.items():
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def outlook_reply(alert: EmailMessage, body: str, *, sender: str = "alice@example.com"
                  ) -> bytes:
    """As Outlook desktop writes a reply: no '>' quoting, its From/Sent/To/Subject block,
    only References kept."""
    text = alert.get_body(("plain",)).get_content()
    history = (f"{body}\n\n________________________________\n"
               f"From: Example Support <support@example.com>\n"
               f"Sent: Monday, November 2, 2026 9:00 AM\n"
               f"To: Alice <{sender}>\n"
               f"Subject: {alert['Subject']}\n\n{text}")
    return make_mail(sender=sender, subject=f"RE: {alert['Subject']}", body=history,
                     references=str(alert["Message-ID"]),
                     headers={"Authentication-Results": TRUSTED_PASS})


def addresses(message: EmailMessage) -> list[str]:
    return [a.addr_spec for a in message["To"].addresses]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def files_of(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def ids(value: object) -> list[str]:
    return [part.strip("<>") for part in str(value or "").split()]


def test_alert_reply_with_tags_and_a_pdf_reaches_the_customer_in_their_thread(desk: Desk
                                                                              ) -> None:
    first = customer_mail(files={"jam.png": PNG})
    desk.send(first)
    [ack] = desk.mails(kind="customer")
    # One alert, to both technicians.
    [alert] = alerts = desk.mails(kind="alert")
    assert addresses(alert) == ["alice@example.com", "bob@example.com"]
    token = desk.ticket()["token"]
    assert f"[{token}]" in str(alert["Subject"]) and "New ticket" in str(alert["Subject"])
    assert str(alert["Reply-To"]) == "support@example.com"
    assert str(alert["Auto-Submitted"]) == "auto-generated"
    body = text_of(alert)
    for shown in ("T-1", token, "Open", "normal", "carol@customer.test", "#1",
                  "The printer jams on page 2.", "jam.png"):
        assert shown in body
    assert files_of(alert) == {"jam.png": PNG}

    # Alice answers from her client: Gmail quotes the whole alert below her words.
    answer = with_files(reply_to(alert.as_bytes(), sender="alice@example.com",
                                 body="#status on-hold\nWe wait for the vendor's part.",
                                 headers={"Authentication-Results": TRUSTED_PASS}),
                        {"quote.pdf": PDF})
    desk.send(answer)
    ticket = desk.ticket()
    assert ticket["status"] == "On-Hold"
    [on_hold] = desk.mails(kind="customer")[1:]
    assert on_hold["To"].addresses[0].addr_spec == "carol@customer.test"
    text = text_of(on_hold)
    assert "We wait for the vendor's part." in text
    for leaked in ("#status", "Reply to this mail", "Earlier in the conversation", "wrote:",
                   "jam.png", "Customer:"):
        assert leaked not in text
    assert files_of(on_hold) == {"quote.pdf": PDF}
    # Threaded on the customer's own messages, never on the alert she did not see.
    alert_ids = {str(m["Message-ID"]).strip("<>") for m in alerts}
    threading = ids(on_hold["In-Reply-To"]) + ids(on_hold["References"])
    assert ids(on_hold["In-Reply-To"]) == [str(ack["Message-ID"]).strip("<>")]
    assert not alert_ids & set(threading)
    kinds = [(m["direction"], m["kind"]) for m in ticket["messages"]]
    assert kinds.count(("out", "alert")) == 1 and ("in", "technician") in kinds
    relayed = next(m for m in ticket["messages"] if m["kind"] == "notice" and m["attachments"])
    assert relayed["attachments"][0]["filename"] == "quote.pdf"


def test_an_outlook_reply_to_an_alert_relays_only_the_technicians_words(desk: Desk) -> None:
    desk.send(customer_mail())
    alert = desk.mails(to="alice@example.com", kind="alert")[0]
    desk.send(outlook_reply(alert, "Please restart the printer.\n\nAlice"))
    assert desk.ticket()["status"] == "Answered"
    answer = desk.mails(kind="customer")[-1]
    text = text_of(answer)
    assert "Please restart the printer." in text
    for leaked in ("From: Example Support", "Sent:", "Subject:", "New ticket", "____"):
        assert leaked not in text


def test_an_inline_answer_to_an_alert_relays_every_line_the_technician_wrote(desk: Desk
                                                                             ) -> None:
    # Thunderbird, answering below the customer's words quoted in the alert.
    desk.send(customer_mail(body="The printer jams on page 2.\nWhich driver do I need?\n"))
    alert = desk.mails(to="alice@example.com", kind="alert")[0]
    quoted = [f"> {line}".rstrip() for line in text_of(alert).splitlines()]
    at = quoted.index("> The printer jams on page 2.") + 1
    body = "\n".join(["On 02.11.26 09:00, Example Support wrote:", *quoted[:at],
                      "Clean the roller first.", *quoted[at:at + 1], "Version 4.2.",
                      *quoted[at + 1:]])
    desk.send(make_mail(sender="alice@example.com", subject=f"Re: {alert['Subject']}",
                        body=body, references=str(alert["Message-ID"]),
                        headers={"Authentication-Results": TRUSTED_PASS}))
    text = text_of(desk.mails(kind="customer")[-1]).replace("\r\n", "\n")
    assert "Clean the roller first.\n> Which driver do I need?\nVersion 4.2." in text
    for leaked in ("wrote:", "New ticket", "Reply to this mail"):
        assert leaked not in text


def test_out_of_office_and_forwards_reach_no_customer(desk: Desk) -> None:
    desk.send(customer_mail())
    alert = desk.mails(to="bob@example.com", kind="alert")[0]
    before = len(desk.mails(kind="customer"))
    desk.send(reply_to(alert.as_bytes(), sender="bob@example.com",
                       body="I am out of the office until Monday.",
                       headers={"Auto-Submitted": "auto-replied",
                                "Authentication-Results": TRUSTED_PASS}))
    desk.send(reply_to(alert.as_bytes(), sender="bob@example.com",
                       subject=f"Fwd: {alert['Subject']}",
                       body="Dave, can you look at this one?",
                       headers={"Authentication-Results": TRUSTED_PASS}))
    ticket = desk.ticket()
    assert ticket["status"] == "Open"
    assert len(desk.mails(kind="customer")) == before
    assert [m["kind"] for m in ticket["messages"] if m["direction"] == "in"] == [
        "customer", "auto-reply", "note"]
    assert any(e["kind"] == "forward" for e in ticket["events"])


def test_replies_go_to_the_assignee_and_notes_tell_them(desk: Desk) -> None:
    first = customer_mail()
    desk.send(first)
    alert = desk.mails(to="alice@example.com", kind="alert")[0]
    before = len(desk.mails(kind="customer"))
    # Tags alone, from a client that adds its logo to every mail: no answer to anyone.
    desk.send(with_files(reply_to(alert.as_bytes(), sender="alice@example.com",
                                  body="#assign me",
                                  headers={"Authentication-Results": TRUSTED_PASS}),
                         {"logo.pdf": PDF}))
    assert desk.ticket()["assignee"] == "alice@example.com"
    assert desk.ticket()["status"] == "Open" and desk.ticket()["first_response_at"] is None
    assert len(desk.mails(kind="customer")) == before
    desk.forget()
    desk.send(reply_to(first, sender="carol@customer.test", body="It also smells burnt."))
    [reply_alert] = desk.mails(kind="alert")
    assert addresses(reply_alert) == ["alice@example.com"]
    assert "Customer reply" in str(reply_alert["Subject"])
    assert "It also smells burnt." in text_of(reply_alert)
    desk.forget()
    desk.send(reply_to(reply_alert.as_bytes(), sender="bob@example.com",
                       body="#note\nI saw smoke there yesterday.",
                       headers={"Authentication-Results": TRUSTED_PASS}))
    [note_alert] = desk.mails()
    assert addresses(note_alert) == ["alice@example.com"]
    assert "I saw smoke there yesterday." in text_of(note_alert)


def test_commands_by_mail_and_a_forged_queue_reveals_nothing(desk: Desk) -> None:
    desk.send(customer_mail(subject="Secret project printer", sender="dave@customer.test"))
    desk.forget()
    desk.send(make_mail(sender="alice@example.com", subject="queue please", body="#queue\n",
                        headers={"Authentication-Results": TRUSTED_PASS}))
    [answer] = desk.mails()
    assert addresses(answer) == ["alice@example.com"]
    assert "Secret project printer" in text_of(answer) and "T-1" in text_of(answer)
    desk.forget()
    desk.send(make_mail(sender="alice@example.com", subject="show", body="#show T-1\n",
                        headers={"Authentication-Results": TRUSTED_PASS}))
    [shown] = desk.mails()
    assert "Secret project printer" in str(shown["Subject"])
    assert "The printer jams on page 2." in text_of(shown)
    # A wrong command, and a reply to an answer, are answered with the reason: no ticket.
    for mail in (make_mail(sender="alice@example.com", subject="q", body="#queue now\n",
                           headers={"Authentication-Results": TRUSTED_PASS}),
                 reply_to(answer.as_bytes(), sender="alice@example.com", body="Thanks!",
                          headers={"Authentication-Results": TRUSTED_PASS})):
        desk.forget()
        desk.send(mail)
        [refused] = desk.mails()
        assert "refused" in str(refused["Subject"]) and addresses(refused) == [
            "alice@example.com"]
    with desk.app.sessions() as session:
        assert len(repo.list_tickets(session)) == 1
    # A customer, and someone forging Alice's address, get only their acknowledgement.
    for forger in ("eve@attacker.test", "alice@example.com"):
        desk.forget()
        desk.send(make_mail(sender=forger, subject="queue", body="#queue\n#mine\n"))
        sent = desk.mails()
        assert all("Secret project" not in text_of(m) for m in sent if
                   forger in addresses(m))
        # A mail that only says it is Alice's is news to Alice: she gets its alert.
        [alert] = desk.mails(kind="alert")
        assert "alice@example.com" in addresses(alert)
    with desk.app.sessions() as session:
        assert len(repo.list_tickets(session)) == 3


def test_escalation_once_per_breach_and_the_digest_once_a_day(desk: Desk) -> None:
    desk.send(customer_mail())
    desk.forget()
    late = NOW + timedelta(hours=25)  # a normal ticket's first response is due in 24 hours
    assert desk.at(late).app.apply_time_rules().escalated == 1
    desk.app.send_due_notices()
    escalations = desk.mails(kind="alert")
    assert [addresses(m) for m in escalations] == [["lead@example.com"]]
    assert "first response" in text_of(escalations[0])
    assert desk.at(late + timedelta(hours=1)).app.apply_time_rules().escalated == 0
    shown = desk.ticket()
    assert shown["breached"] == ["first_response"]
    assert shown["due_at"] == "2026-11-03T09:00:00Z"

    desk.forget()
    first = send_digest(desk.app.sessions, desk.app.outbox, late, once=True)
    again = send_digest(desk.app.sessions, desk.app.outbox, late + timedelta(hours=2),
                        once=True)
    desk.app.send_due_notices()
    assert first.queued == 2 and again.already_sent
    asked = send_digest(desk.app.sessions, desk.app.outbox, late + timedelta(hours=3),
                        once=False)  # `digest send`: now, as asked
    assert asked.queued == 2
    desk.app.send_due_notices()
    digests = desk.mails(kind="digest")[:1]
    assert len(digests) == 1 and addresses(digests[0]) == ["alice@example.com",
                                                          "bob@example.com"]
    assert "Printer jams" in text_of(digests[0]) and "first response" in text_of(digests[0])


def test_a_busy_hour_never_silences_alerts(desk: Desk) -> None:
    for n in range(12):  # past the 10 notices an hour one address may get
        desk.dovecot.append(desk.account.user, "INBOX",
                            customer_mail(subject=f"Case {n}", sender=f"c{n}@customer.test"))
    desk.app.poll_once()
    desk.app.send_due_notices()
    assert len(desk.mails(to="alice@example.com", kind="alert")) == 12



def test_an_alert_recipient_that_bounces_is_recorded_and_never_loops(desk: Desk) -> None:
    desk.smtp.refuse("bob@example.com")
    desk.send(customer_mail())
    [alert] = desk.mails(kind="alert")  # Alice still gets it
    assert addresses(alert) == ["alice@example.com", "bob@example.com"]
    [row] = [m for m in desk.ticket()["messages"] if m["kind"] == "alert"]
    assert row["delivery"]["state"] == "sent"
    assert "bob@example.com: 550" in row["delivery"]["last_error"]
    # Bob's server bounces it later: recorded on the ticket, nothing sent, status kept.
    desk.forget()
    bounce = (
        "From: MAILER-DAEMON@example.com\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-alert@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; example.com\r\n\r\n"
        "Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@example.com\r\nTo: bob@example.com\r\nSubject: {alert['Subject']}\r\n"
        f"Message-ID: {alert['Message-ID']}\r\n\r\n--b1--\r\n"
    ).encode()
    desk.send(bounce)
    ticket = desk.ticket()
    assert ticket["status"] == "Open"
    assert [m["kind"] for m in ticket["messages"] if m["direction"] == "in"] == [
        "customer", "bounce"]
    assert desk.mails() == []
    # Refused for every recipient: a failed delivery, with the server's reason.
    desk.smtp.refuse("alice@example.com")
    desk.send(customer_mail(subject="Second", sender="dave@customer.test"))
    [row] = [m for m in desk.ticket("T-2")["messages"] if m["kind"] == "alert"]
    assert row["delivery"]["state"] == "failed" and "550" in row["delivery"]["last_error"]


def test_two_workers_send_one_digest_a_day(make_app: Callable[..., App]) -> None:
    """Two workers whose clocks both reach the digest's time send it once (the day's row
    refuses the second, on SQLite and PostgreSQL alike)."""
    import threading

    apps = [make_app(NOW), make_app(NOW)]
    results: list[Any] = []
    start = threading.Barrier(2)

    def send(app: App) -> None:
        start.wait()
        results.append(send_digest(app.sessions, app.outbox, NOW, once=True))

    threads = [threading.Thread(target=send, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.already_sent for r in results) == [False, True]
    with apps[0].sessions() as session:
        sent = session.scalars(select(OutboxItem.notice).where(OutboxItem.notice == "digest"))
        assert list(sent) == ["digest"]


def test_a_ticket_opened_for_a_customer_and_a_refused_one(
    make_app: Callable[..., App], settings: Settings, tmp_path: Path,
) -> None:
    """`#customer` takes the address as a client pastes it; the acknowledgement shows the
    priority the tags gave; bad tags earn the technician the reason, not a silent
    quarantine."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "acknowledged.txt.j2").write_text(
        "Subject: Received: {{ ticket.subject }}\n\nPriority: {{ ticket.priority }}\n")
    technicians = replace(settings.technicians, trust_delivery_path=True)
    app = make_app(NOW, templates_dir=templates, technicians=technicians)
    sent = settings.smtp.sent_path / "new"

    def ingest(body: str) -> str:
        raw = make_mail(sender="alice@example.com", subject="Phone call", body=body)
        result = app.ingestor.process(RawSource.fetched_from(raw, "test"), NOW)
        app.send_due_notices()
        return result.outcome

    assert ingest('#customer "Smith, Dave" <mailto:dave@customer.test>\n#priority urgent\n'
                  "Dave called: the VPN is down.\n") == "created"
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(sent.iterdir())]
    [ack] = [m for m in mails if str(m["To"]).endswith("dave@customer.test")]
    assert "Priority: urgent" in ack.get_body(("plain",)).get_content()
    before = set(sent.iterdir())
    assert ingest("#customer Dave from accounting\nHe called.\n") == "command"
    [refusal] = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in set(sent.iterdir()) - before]
    assert str(refusal["To"]) == "alice@example.com"
    text = refusal.get_body(("plain",)).get_content()
    assert "#customer Dave from accounting" in text and "is not an email address" in text
    with app.sessions() as session:
        assert len(repo.list_tickets(session)) == 1
        assert not session.scalars(select(QuarantinedMail)).all()
