"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

Notices go out once; survive the server being down; one recipient's refusal holds back no
one else; a crashed sender's rows go out once after its lease; two senders at once send
each notice once. The received mails are parsed and checked as a customer's client would.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Secret, Settings, SmtpSettings
from inbox_worker.domain import correlate
from inbox_worker.domain.status import NoticeKind
from inbox_worker.mail.smtp import (
    MaildirSender,
    OutgoingMail,
    PermanentSendError,
    SmtpSender,
    TransientSendError,
)
from inbox_worker.notices.render import NoticeRenderer
from inbox_worker.service.delivery import DeliverySummary, claim_due, deliver_due
from inbox_worker.service.outbox import Outbox
from inbox_worker.store import repository as repo
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema
from inbox_worker.store.models import Message, OutboxItem, Ticket
from inbox_worker.store.new_rows import NewMessage
from tests.support.smtp import SmtpServer, write_self_signed_certificate

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SUPPORT = "support@example.com"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"



@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database.url)
    upgrade_schema(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def renderer() -> NoticeRenderer:
    return NoticeRenderer(TEMPLATES)


def smtp_sender(server: SmtpServer, **changes: object) -> SmtpSender:
    settings = SmtpSettings(kind="smtp", host=server.host, port=server.port, timeout=10)
    return SmtpSender(replace(settings, **changes))  # type: ignore[arg-type]


class Desk:
    """Opens tickets with a customer mail on them and queues notices, as ingest would."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, renderer: NoticeRenderer
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.renderer = renderer

    def open_ticket(self, customer: str, *, now: datetime = NOW, notice: bool = True) -> int:
        with self.sessions.begin() as session:
            ticket = Ticket(
                token=correlate.new_token("IW"),
                subject=f"Printer of {customer} jams",
                customer=customer,
                status="Open",
                priority="normal",
                queue_place=repo.next_queue_place(session),
                created_at=now,
                updated_at=now,
            )
            session.add(ticket)
            session.flush()
            session.add(
                Message(
                    ticket_id=ticket.id,
                    message_id=f"customer-{ticket.id}@example.org",
                    direction="in",
                    kind="customer",
                    from_addr=customer,
                    from_name="Jane Doe",
                    to_addrs=SUPPORT,
                    subject=ticket.subject,
                    text="It jams.",
                    full_text="It jams.",
                    received_at=now,
                )
            )
            session.flush()
            if notice:
                self.notify(session, ticket, NoticeKind.ACKNOWLEDGED, now=now)
            return ticket.id

    def notify(
        self, session: Session, ticket: Ticket, kind: NoticeKind, *, now: datetime = NOW,
        **options: object,
    ) -> NewMessage | None:
        settings = self.settings
        if "rate_limit_per_hour" in options:
            limit = options.pop("rate_limit_per_hour")
            settings = replace(settings, notices=replace(settings.notices,
                                                         rate_limit_per_hour=limit))
        return Outbox(settings, self.renderer).notice(
            session, ticket, kind, now, **options,  # type: ignore[arg-type]
        )

    def notify_ticket(self, ticket_id: int, kind: NoticeKind, *, now: datetime = NOW,
                      **options: object) -> NewMessage | None:
        with self.sessions.begin() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            return self.notify(session, ticket, kind, now=now, **options)

    def outbox(self) -> list[OutboxItem]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))

    def deliver(self, sender: object, *, now: datetime = NOW, **options: object) -> DeliverySummary:
        return deliver_due(
            self.sessions, sender, now=now, worker_id=str(options.pop("worker_id", "w1")),  # type: ignore[arg-type]
            envelope_from=SUPPORT, **options,  # type: ignore[arg-type]
        )


@pytest.fixture
def desk(sessions: sessionmaker[Session], settings: Settings, renderer: NoticeRenderer) -> Desk:
    return Desk(sessions, settings, renderer)


def by_message_id(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["Message-ID"]).strip("<>"): m for m in messages}


# -- delivered once ----------------------------------------------------------------------------


def test_notices_are_delivered_once_and_thread(desk: Desk, smtp_server: SmtpServer) -> None:
    ids = [desk.open_ticket(f"customer{n}@example.org") for n in range(3)]
    sender = smtp_sender(smtp_server)

    assert desk.deliver(sender) == DeliverySummary(sent=3)
    assert desk.deliver(sender) == DeliverySummary()
    assert desk.deliver(sender, now=NOW + timedelta(days=1)) == DeliverySummary()

    received = smtp_server.received
    assert len(received) == 3
    assert {r.mail_from for r in received} == {SUPPORT}
    assert sorted(r.rcpt_tos for r in received) == [
        (f"customer{n}@example.org",) for n in range(3)
    ]
    with desk.sessions() as session:
        tickets = {t.id: t for t in session.scalars(select(Ticket))}
        outgoing = session.scalars(select(Message).where(Message.direction == "out"))
        notices = {m.message_id: m for m in outgoing}
    mails = by_message_id(smtp_server.messages())
    assert set(mails) == set(notices)
    for message_id, mail in mails.items():
        stored = notices[message_id]
        ticket = tickets[stored.ticket_id]
        assert ticket.token in mail["Subject"]
        assert correlate.find_tokens(mail["Subject"]) == [ticket.token]
        assert mail["Auto-Submitted"] == "auto-replied"
        assert mail["In-Reply-To"] == f"<customer-{ticket.id}@example.org>"
        assert mail["References"] == f"<customer-{ticket.id}@example.org>"
        assert mail["To"].addresses[0].addr_spec == ticket.customer
        assert mail["To"].addresses[0].display_name == "Jane Doe"
        assert "Hello Jane Doe," in mail.get_content()
        assert stored.subject == mail["Subject"]
    for item in desk.outbox():
        assert (item.state, item.attempts, item.sent_at, item.last_error) == ("sent", 0, NOW, None)
        assert item.claimed_until is None and item.claimed_by == "w1"
    assert sorted(ids) == sorted(tickets)


def test_later_notices_thread_onto_earlier_ones(desk: Desk, smtp_server: SmtpServer) -> None:
    ticket_id = desk.open_ticket("jane@example.org")
    answer = desk.notify_ticket(ticket_id, NoticeKind.ANSWER, text="Try turning it off and on.")
    assert answer is not None
    sender = smtp_sender(smtp_server)
    desk.deliver(sender)
    closed = desk.notify_ticket(ticket_id, NoticeKind.CLOSED, now=NOW + timedelta(hours=1))
    assert closed is not None
    desk.deliver(sender, now=NOW + timedelta(hours=1))

    ack_mail, answer_mail, closed_mail = smtp_server.messages()
    ack_id = str(ack_mail["Message-ID"]).strip("<>")
    answer_id = str(answer_mail["Message-ID"]).strip("<>")
    customer_id = f"customer-{ticket_id}@example.org"
    assert answer_mail["In-Reply-To"] == f"<{ack_id}>"
    assert answer_mail["References"].split() == [f"<{customer_id}>", f"<{ack_id}>"]
    assert "Try turning it off and on." in answer_mail.get_content()
    assert closed_mail["In-Reply-To"] == f"<{answer_id}>"
    assert closed_mail["References"].split() == [
        f"<{customer_id}>", f"<{ack_id}>", f"<{answer_id}>"
    ]


# -- SMTP down, then up ------------------------------------------------------------------------


def test_smtp_down_then_up_delivers_each_exactly_once(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    for n in range(5):
        desk.open_ticket(f"customer{n}@example.org")
    sender = smtp_sender(smtp_server, timeout=5)
    smtp_server.stop()

    assert desk.deliver(sender) == DeliverySummary(retried=5)
    for item in desk.outbox():
        assert (item.state, item.attempts) == ("pending", 1)
        assert item.next_attempt_at == NOW + timedelta(minutes=1)
        assert item.last_error and "unavailable" in item.last_error
        assert item.claimed_until is None

    smtp_server.start()
    assert desk.deliver(sender, now=NOW + timedelta(seconds=30)) == DeliverySummary()
    assert smtp_server.received == []
    assert desk.deliver(sender, now=NOW + timedelta(minutes=1)) == DeliverySummary(sent=5)
    assert desk.deliver(sender, now=NOW + timedelta(hours=1)) == DeliverySummary()

    ids = smtp_server.message_ids()
    assert len(ids) == 5 and len(set(ids)) == 5
    assert {i.state for i in desk.outbox()} == {"sent"}


def test_retries_back_off_then_give_up(desk: Desk, smtp_server: SmtpServer) -> None:
    desk.open_ticket("jane@example.org")
    sender = smtp_sender(smtp_server, timeout=5)
    smtp_server.stop()
    moment = NOW
    for attempt, delay in enumerate([1, 2, 4], start=1):
        assert desk.deliver(sender, now=moment, max_attempts=4) == DeliverySummary(retried=1)
        [item] = desk.outbox()
        assert item.attempts == attempt
        assert item.next_attempt_at == moment + timedelta(minutes=delay)
        moment = item.next_attempt_at
    assert desk.deliver(sender, now=moment, max_attempts=4) == DeliverySummary(failed=1)
    [item] = desk.outbox()
    assert item.state == "failed" and item.attempts == 4
    assert item.last_error and item.last_error.startswith("gave up after 4 attempts")
    smtp_server.start()
    assert desk.deliver(sender, now=moment + timedelta(days=1)) == DeliverySummary()


# -- refusals for one recipient --------------------------------------------------------------


def test_550_for_one_recipient_fails_that_notice_only(desk: Desk, smtp_server: SmtpServer) -> None:
    desk.open_ticket("first@example.org")
    desk.open_ticket("gone@example.org")
    desk.open_ticket("last@example.org")
    smtp_server.refuse("gone@example.org", "550 5.1.1 <gone@example.org>: no such user")

    assert desk.deliver(smtp_sender(smtp_server)) == DeliverySummary(sent=2, failed=1)
    states = {i.recipient: (i.state, i.last_error) for i in desk.outbox()}
    assert states["first@example.org"] == ("sent", None)
    assert states["last@example.org"] == ("sent", None)
    state, error = states["gone@example.org"]
    assert state == "failed" and error and "550" in error and "no such user" in error
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "first@example.org", "last@example.org"
    ]
    smtp_server.accept_all()
    assert desk.deliver(smtp_sender(smtp_server), now=NOW + timedelta(days=1)) == DeliverySummary()


@pytest.mark.parametrize(
    "reply", ["451 4.3.0 Try again later", "421 4.3.2 Service shutting down, closing channel"]
)
def test_temporary_refusal_retries_that_notice_only(
    desk: Desk, smtp_server: SmtpServer, reply: str
) -> None:
    desk.open_ticket("first@example.org")
    desk.open_ticket("busy@example.org")
    desk.open_ticket("last@example.org")
    smtp_server.refuse("busy@example.org", reply)
    sender = smtp_sender(smtp_server)

    assert desk.deliver(sender) == DeliverySummary(sent=2, retried=1)
    busy = next(i for i in desk.outbox() if i.recipient == "busy@example.org")
    assert (busy.state, busy.attempts) == ("pending", 1)
    assert busy.last_error and reply.split()[0] in busy.last_error

    smtp_server.accept_all()
    assert desk.deliver(sender, now=NOW + timedelta(minutes=1)) == DeliverySummary(sent=1)
    rcpts = Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert rcpts == {"first@example.org": 1, "busy@example.org": 1, "last@example.org": 1}


def test_content_refused_is_permanent(desk: Desk, smtp_server: SmtpServer) -> None:
    desk.open_ticket("jane@example.org")
    smtp_server.handler.data_reply = "554 5.7.1 Message rejected"
    assert desk.deliver(smtp_sender(smtp_server)) == DeliverySummary(failed=1)
    [item] = desk.outbox()
    assert item.last_error and "554" in item.last_error


# -- a crashed sender --------------------------------------------------------------------------


def test_row_left_sending_by_a_crash_is_sent_once_after_its_lease(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    desk.open_ticket("jane@example.org")
    desk.open_ticket("joe@example.org")
    # A worker claims both, then dies before sending anything.
    claimed = claim_due(desk.sessions, now=NOW, limit=10, worker_id="crashed")
    assert len(claimed) == 2
    assert {i.state for i in desk.outbox()} == {"sending"}
    sender = smtp_sender(smtp_server)

    # While the lease holds, nobody else touches them.
    assert desk.deliver(sender, now=NOW + timedelta(minutes=4), worker_id="w2") == DeliverySummary()
    assert smtp_server.received == []
    # After it, the restarted worker sends them, once.
    after = NOW + timedelta(minutes=6)
    assert desk.deliver(sender, now=after, worker_id="w2") == DeliverySummary(sent=2)
    assert desk.deliver(sender, now=after + timedelta(hours=1), worker_id="w3") == DeliverySummary()
    assert len(smtp_server.received) == 2
    assert {(i.state, i.claimed_by, i.attempts) for i in desk.outbox()} == {("sent", "w2", 0)}


def test_a_late_outcome_from_a_worker_that_lost_its_lease_is_ignored(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    desk.open_ticket("jane@example.org")
    [stale] = claim_due(desk.sessions, now=NOW, limit=10, worker_id="slow")
    sender = smtp_sender(smtp_server)
    assert desk.deliver(sender, now=NOW + timedelta(minutes=6), worker_id="w2").sent == 1
    from inbox_worker.service.delivery import record_outcome

    record_outcome(desk.sessions, stale, TransientSendError("timeout"), now=NOW,
                   worker_id="slow")
    [item] = desk.outbox()
    assert (item.state, item.claimed_by, item.attempts) == ("sent", "w2", 0)


# -- two senders at once -----------------------------------------------------------------------


def test_concurrent_senders_send_each_notice_exactly_once(
    desk: Desk, smtp_server: SmtpServer, database_url: str
) -> None:
    count = 120 if database_url.startswith("postgresql") else 60
    for n in range(count):
        desk.open_ticket(f"customer{n}@example.org")
    sender = smtp_sender(smtp_server)
    barrier = threading.Barrier(2)
    totals: list[DeliverySummary] = []
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            barrier.wait()
            total = DeliverySummary()
            while True:
                summary = desk.deliver(sender, worker_id=worker, chunk=5)
                if summary == DeliverySummary():
                    break
                total += summary
            totals.append(total)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(t.sent for t in totals) == count
    ids = smtp_server.message_ids()
    assert len(ids) == count and len(set(ids)) == count
    items = desk.outbox()
    assert {i.state for i in items} == {"sent"}
    if database_url.startswith("postgresql"):
        # Both really worked (SKIP LOCKED let them share the outbox).
        assert {i.claimed_by for i in items} == {"w1", "w2"}


# -- what never goes -----------------------------------------------------------------------------


def test_notices_to_the_support_address_or_noreply_are_suppressed(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket_id = desk.open_ticket("jane@example.org", notice=False)
    closed = NoticeKind.CLOSED
    assert desk.notify_ticket(ticket_id, closed, recipient="Support@Example.com") is None
    assert desk.notify_ticket(ticket_id, closed, recipient="noreply@shop.example") is None
    assert desk.notify_ticket(ticket_id, closed, recipient="jane@localhost") is None
    assert desk.notify_ticket(ticket_id, closed, suppress="caused by an auto-reply") is None
    reasons = [(i.state, i.last_error) for i in desk.outbox()]
    assert [state for state, _ in reasons] == ["suppressed"] * 4
    errors = [error or "" for _, error in reasons]
    assert "support address" in errors[0]
    assert "no-reply" in errors[1]
    assert "cannot address" in errors[2]
    assert errors[3] == "caused by an auto-reply"
    assert desk.deliver(smtp_sender(smtp_server)) == DeliverySummary()
    assert smtp_server.received == []
    # Suppressed notices are not part of the conversation the customer sees.
    answer = desk.notify_ticket(ticket_id, NoticeKind.ANSWER, text="Hi")
    assert answer is not None
    assert answer.in_reply_to == f"customer-{ticket_id}@example.org"
    assert answer.references == f"customer-{ticket_id}@example.org"


def test_rate_limit_per_recipient(desk: Desk) -> None:
    ticket_id = desk.open_ticket("jane@example.org", notice=False)
    for minute in range(10):
        sent = desk.notify_ticket(ticket_id, NoticeKind.ANSWER, text="x",
                                  now=NOW + timedelta(minutes=minute))
        assert sent is not None
    blocked = desk.notify_ticket(ticket_id, NoticeKind.ANSWER, text="x",
                                 now=NOW + timedelta(minutes=30))
    assert blocked is None
    last = desk.outbox()[-1]
    assert last.state == "suppressed" and "rate limit" in (last.last_error or "")
    # Suppressed notices do not count; an hour after the first, one more may go.
    again = desk.notify_ticket(ticket_id, NoticeKind.ANSWER, text="x",
                               now=NOW + timedelta(minutes=60, seconds=1))
    assert again is not None
    # Other recipients are not affected; the limit is a parameter.
    other = desk.open_ticket("joe@example.org", notice=False)
    assert desk.notify_ticket(other, NoticeKind.ANSWER, text="x", now=NOW + timedelta(minutes=30))
    assert desk.notify_ticket(other, NoticeKind.ANSWER, text="x", now=NOW + timedelta(minutes=30),
                              rate_limit_per_hour=1) is None


# -- the embedded default: a Maildir of sent mail ----------------------------------------------


def test_maildir_sender_writes_each_notice_once(desk: Desk, tmp_path: Path) -> None:
    desk.open_ticket("jane@example.org")
    desk.open_ticket("joe@example.org")
    sent = tmp_path / "sent"
    sender = MaildirSender(sent)
    assert desk.deliver(sender) == DeliverySummary(sent=2)
    files = sorted((sent / "new").iterdir())
    assert len(files) == 2 and list((sent / "tmp").iterdir()) == []
    # A notice written again (a crash between writing and recording) replaces itself.
    with desk.sessions() as session:
        raw = session.scalars(select(OutboxItem.raw)).first()
    assert raw is not None
    sender.send_batch([OutgoingMail(raw, SUPPORT, "jane@example.org")])
    assert sorted((sent / "new").iterdir()) == files
    content = files[0].read_bytes()
    assert b"\r\n" not in content and b"Auto-Submitted: auto-replied" in content


# -- TLS and login -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_self_signed_certificate(tmp_path_factory.mktemp("tls"))


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


class _Authenticator:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        ok = auth_data.login == b"notices" and auth_data.password == b"s3cret"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def _raw() -> bytes:
    return (b"From: support@example.com\r\nTo: jane@example.org\r\nSubject: t\r\n"
            b"Message-ID: <t1@example.com>\r\n\r\nbody\r\n")


def test_starttls_is_verified_by_default_and_login_works(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticator = _Authenticator()
    server = SmtpServer(tls_context=_server_context(certificate), require_starttls=True,
                        authenticator=authenticator, auth_required=True)
    server.start()
    try:
        monkeypatch.setenv("IW_TEST_SMTP_PASSWORD", "s3cret")
        base = SmtpSettings(kind="smtp", host=server.host, port=server.port, timeout=10,
                            security="starttls", username="notices",
                            password=Secret(env="IW_TEST_SMTP_PASSWORD"))
        mail = OutgoingMail(_raw(), SUPPORT, "jane@example.org")
        # A self-signed certificate is refused unless trusted explicitly.
        [outcome] = SmtpSender(base).send_batch([mail])
        assert isinstance(outcome, TransientSendError) and "CERTIFICATE" in str(outcome).upper()
        assert server.received == []
        assert SmtpSender(replace(base, ca_file=str(certificate[0]))).send_batch([mail]) == [None]
        assert SmtpSender(replace(base, tls_verify=False)).send_batch([mail]) == [None]
        assert authenticator.logins == ["notices", "notices"]
        # A wrong password is a configuration matter: retry later, not a lost notice.
        monkeypatch.setenv("IW_TEST_SMTP_PASSWORD", "wrong")
        [outcome] = SmtpSender(replace(base, tls_verify=False, timeout=3)).send_batch([mail])
        assert isinstance(outcome, TransientSendError)
        assert len(server.received) == 2
    finally:
        server.stop()


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    server = SmtpServer(ssl_context=_server_context(certificate))
    server.start()
    try:
        settings = SmtpSettings(kind="smtp", host=server.host, port=server.port, timeout=10,
                                security="tls", ca_file=str(certificate[0]))
        mail = OutgoingMail(_raw(), SUPPORT, "a@example.org")
        assert SmtpSender(settings).send_batch([mail]) == [None]
        assert len(server.received) == 1
    finally:
        server.stop()


def test_async_send_raises_typed_errors(smtp_server: SmtpServer) -> None:
    import asyncio

    sender = smtp_sender(smtp_server)
    smtp_server.refuse("gone@example.org")
    asyncio.run(sender.send(_raw(), sender=SUPPORT, recipient="jane@example.org"))
    with pytest.raises(PermanentSendError, match="550"):
        asyncio.run(sender.send(_raw(), sender=SUPPORT, recipient="gone@example.org"))
    smtp_server.stop()
    with pytest.raises(TransientSendError, match="unavailable"):
        asyncio.run(sender.send(_raw(), sender=SUPPORT, recipient="jane@example.org"))
    assert len(smtp_server.received) == 1


class StallingSmtpServer:
    """A real SMTP server on 127.0.0.1 that answers until the command starting with
    ``stall_at`` and then never again (a relay that hangs mid-transaction); it keeps every
    connection open until it is stopped, and counts the connections."""

    def __init__(self, stall_at: bytes) -> None:
        self.stall_at = stall_at
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn.makefile("rb") as reader:
                conn.sendall(b"220 stalling.example ESMTP\r\n")
                for line in reader:
                    if line.upper().startswith(self.stall_at):
                        self._stopped.wait()
                        return
                    if line.upper().startswith(b"EHLO"):
                        conn.sendall(b"250-stalling.example\r\n250 8BITMIME\r\n")
                    else:
                        conn.sendall(b"250 ok\r\n")
        except (OSError, ValueError):  # the test stopped the server under our feet
            return

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        for conn in self._open:
            conn.close()


@pytest.mark.parametrize("stall_at", [b"MAIL", b"RCPT", b"DATA"])
def test_a_relay_that_stops_answering_costs_one_timeout_not_a_hang(stall_at: bytes) -> None:
    server = StallingSmtpServer(stall_at)
    settings = SmtpSettings(kind="smtp", host="127.0.0.1", port=server.port, timeout=0.5)
    mails = [OutgoingMail(_raw(), SUPPORT, f"c{n}@example.org") for n in range(3)]
    try:
        started = time.monotonic()
        outcomes = SmtpSender(settings).send_batch(mails)
        took = time.monotonic() - started
    finally:
        server.stop()
    # The whole transaction has one deadline: each mail costs at most about one timeout,
    # and each goes on a new connection (the old one is in an unknown state).
    assert all(isinstance(o, TransientSendError) for o in outcomes), outcomes
    assert all("no answer from the SMTP server within 0.5 s" in str(o) for o in outcomes)
    assert server.connections == 3
    assert 1.4 < took < 6, took


# -- the schema change -------------------------------------------------------------------------


def test_outbox_claim_columns_migrate_with_data(database_url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from inbox_worker.store.database import MIGRATIONS_DIR

    engine = make_engine(database_url)
    try:
        upgrade_schema(engine)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO tickets (id, token, subject, customer, status, priority, queue_place,"
                " created_at, updated_at) VALUES (1, 'IW-0000000000', 's', 'c@example.org',"
                " 'Open', 'normal', 1, :now, :now)"), {"now": NOW})
            connection.execute(text(
                "INSERT INTO messages (id, ticket_id, message_id, direction, kind, from_addr,"
                " from_name, to_addrs, cc_addrs, subject, text, full_text, in_reply_to,"
                " \"references\", received_at) VALUES (1, 1, 'm@x', 'out', 'notice',"
                " 's@example.com', '', '', '', 's', 't', 't', '', '', :now)"), {"now": NOW})
            connection.execute(text(
                "INSERT INTO outbox (id, ticket_id, message_pk, notice, recipient, raw, state,"
                " attempts, next_attempt_at, created_at) VALUES (1, 1, 1, 'closed',"
                " 'c@example.org', :raw, 'pending', 0, :now, :now)"), {"now": NOW, "raw": b"x"})
        upgrade_schema(engine)
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("outbox")}
            assert {"claimed_until", "claimed_by"} <= columns
            row = connection.execute(text("SELECT state, claimed_by FROM outbox")).one()
            assert tuple(row) == ("pending", None)
        [claimed] = claim_due(make_session_factory(engine), now=NOW, limit=5, worker_id="w")
        assert claimed.raw == b"x"
    finally:
        engine.dispose()

