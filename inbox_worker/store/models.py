"""SQLAlchemy 2 models: tickets, messages, attachments, events, outbox, processed mails.

The schema is changed only through the Alembic migrations in `migrations/`; a test checks
that the models and the migrations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The mapped tables. Tickets and participants are written through the ORM; the rows a
    transaction only adds (messages, attachments, events, outbox, processed and quarantine
    records) through `store.new_rows`, after the session's flush. The unit of work orders
    its INSERTs by relationships only (not by foreign keys), which is why rows that name a
    ticket or a message also have a relationship to it."""


def ticket_ref(ticket_id: int | None) -> str:
    """How people and log lines name a ticket: T-42 ("-" for none)."""
    return f"T-{ticket_id}" if ticket_id is not None else "-"


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    customer: Mapped[str] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    category: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(320))
    # Place in line: a number from a shared counter; smaller is earlier.
    queue_place: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Response targets (`domain.targets`): when a technician first answered, and the
    # resolution clock: working seconds banked, and since when it runs (None: paused).
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clock_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    clock_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    linked_to_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # How the issue was resolved (`#resolution`, or auto-close's own words), by whom, when.
    resolution: Mapped[str | None] = mapped_column(Text)
    resolution_by: Mapped[str | None] = mapped_column(String(320))
    resolution_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Closed as a duplicate of that ticket: no satisfaction survey for it.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The satisfaction survey: when it went, and the customer's latest answer (every
    # answer is also a `satisfaction` event of the ticket's history).
    survey_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    satisfaction_rating: Mapped[int | None] = mapped_column(Integer)
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    satisfaction_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The address of our mailbox the ticket came in at (`[[mailboxes]]`); notices to the
    # customer go out from it. None: the [support] address.
    mailbox: Mapped[str | None] = mapped_column(String(320))

    participants: Mapped[list[Participant]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Participant.id"
    )
    linked_to: Mapped[Ticket | None] = relationship(remote_side=[id],
                                                    foreign_keys=[linked_to_id])

    __table_args__ = (
        Index("ix_tickets_queue", "status", "priority", "queue_place"),
        # `tickets list --status`, a page at a time in ticket order (migration 0007).
        Index("ix_tickets_status_id", "status", "id"),
        # The report's cohort, and the surveys due: tickets by creation and by closing.
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_closed", "closed_at"),
    )

    @property
    def ref(self) -> str:
        return ticket_ref(self.id)


class Participant(Base):
    """An address on the ticket's conversation (Cc) who may write to it."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    ticket: Mapped[Ticket] = relationship(back_populates="participants")

    __table_args__ = (UniqueConstraint("ticket_id", "address"),)


class Message(Base):
    """A mail on a ticket: inbound (customer, technician, auto-reply...) or outbound (notice,
    alert). A technician's command with no ticket (`#queue`), its answer and the digest
    belong to no ticket."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    ticket: Mapped[Ticket | None] = relationship()
    # Unique across the store: the same Message-ID ingested twice adds nothing.
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    from_addr: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str] = mapped_column(Text, default="")
    to_addrs: Mapped[str] = mapped_column(Text, default="")
    cc_addrs: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    full_text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = deferred(mapped_column(Text))
    in_reply_to: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    date_header: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source_key: Mapped[str | None] = mapped_column(String(500))
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    attachments: Mapped[list[AttachmentRow]] = relationship(
        cascade="all, delete-orphan", order_by="AttachmentRow.id"
    )
    outbox: Mapped[OutboxItem | None] = relationship(back_populates="message")


class AttachmentRow(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class TicketEvent(Base):
    """The ticket's history: status changes and every other thing that happened, with cause."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    ticket: Mapped[Ticket] = relationship()
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(320))
    cause: Mapped[str] = mapped_column(Text)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    message: Mapped[Message | None] = relationship()


class OutboxItem(Base):
    """A mail waiting to be sent (a notice, an alert, a digest), written in the same
    transaction as its cause."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    ticket: Mapped[Ticket | None] = relationship()
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    notice: Mapped[str] = mapped_column(String(30))
    # One address; an alert's several technicians joined by ", " (one mail to them all).
    recipient: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    # pending | sending (claimed by a sender) | sent | failed | suppressed (never to go)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A sender's lease while `sending`: after `claimed_until` another sender may take the
    # row over (the sender crashed mid-send).
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))

    message: Mapped[Message] = relationship(back_populates="outbox")

    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        # The per-recipient rate limit counts a recipient's recent notices.
        Index("ix_outbox_recipient_created", "recipient", "created_at"),
    )


class ProcessedMail(Base):
    """Every mail a source handed us, by its source key: re-fetching it is a no-op."""

    __tablename__ = "processed_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    message_key: Mapped[str | None] = mapped_column(String(998))
    outcome: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    ticket: Mapped[Ticket | None] = relationship()
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class QuarantinedMail(Base):
    """A mail that could not become a ticket entry: raw bytes kept, reason recorded."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), index=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(Text, default="", server_default="")
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default="held")  # held | released


class Digest(Base):
    """The daily digest of one local day, recorded with its mails: never twice for a day."""

    __tablename__ = "digests"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, local
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TargetBreach(Base):
    """A missed response target, recorded with its escalation: one escalation per breach."""

    __tablename__ = "target_breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    target: Mapped[str] = mapped_column(String(20))  # first_response | resolution
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("ticket_id", "target"),)


class SurveyOptOut(Base):
    """A customer who asked for no more satisfaction surveys: honoured from then on."""

    __tablename__ = "survey_optouts"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class ReportMail(Base):
    """The weekly report mail of one period, recorded with its mails: never twice."""

    __tablename__ = "report_mails"

    period: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. 2026-W49
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkerRow(Base):
    """A running `run` or `poll` process, beating its heart while alive: another worker
    takes over the notices it claimed once it is seen dead (same host: no such process;
    another host: a stale heartbeat). See `service.heartbeat` and `service.liveness`."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid:nonce
    host: Mapped[str] = mapped_column(String(100))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MailboxPoll(Base):
    """The latest poll of each mailbox, whoever made it: what `health` reports."""

    __tablename__ = "mailbox_polls"

    mailbox: Mapped[str] = mapped_column(String(320), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker_id: Mapped[str | None] = mapped_column(String(100))


class Counter(Base):
    """Named counters, incremented atomically (the queue's place in line)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# -- the web console (`inbox_worker.web`) -------------------------------------------------
# Links and sessions are kept by the SHA-256 of their secret: no row of these tables signs
# anyone in. (The mail with a link is in the outbox, as every mail is: its link works once,
# for 15 minutes.)


class SignInLink(Base):
    """A one-time sign-in link mailed to an address: usable once, until `expires_at`."""

    __tablename__ = "web_sign_ins"
    __table_args__ = (Index("ix_web_sign_ins_address_created", "address", "created_at"),
                      Index("ix_web_sign_ins_client_created", "client", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))  # the asking client's IP address
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in browser: its cookie holds the secret, the row its hash and the CSRF
    token of its forms."""

    __tablename__ = "web_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TemplateVersion(Base):
    """A notice template as it was before a save from the console: what `restore` offers."""

    __tablename__ = "template_versions"
    __table_args__ = (Index("ix_template_versions_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # the file name, e.g. answer.txt.j2
    source: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when it was replaced
    saved_by: Mapped[str] = mapped_column(String(320))  # who replaced it
