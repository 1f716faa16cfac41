"""Ingest mail: parse, classify, thread, apply the status rules, store.

The three ways in (IMAP, Maildir, `ingest`) all hand raw bytes to `Ingestor.process` (one
mail, one transaction) or `Ingestor.process_batch` (several mails in one transaction: a
backlog goes many times faster, since a transaction and its lookups cost more than most
mails). Both return what happened to each mail; the caller takes a mail off the source's
to-do list only after that, because by then the database holds it (PRODUCT.md section 8).

A batch is all or nothing: when anything in it fails (a mail the database refuses, a row
another worker stored first, a deadlock between workers), it is rolled back and its mails
are done again one per transaction, where each failure stays with its own mail.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain import correlate, status
from inbox_worker.domain.classify import classify
from inbox_worker.domain.model import InboundMail, MailKind
from inbox_worker.errors import StoreError
from inbox_worker.mail.admission import ParsedMail, parse_one
from inbox_worker.mail.authentication import sender_domain_passed
from inbox_worker.mail.source import FetchedMail
from inbox_worker.mail.triage import triage
from inbox_worker.service import commands, followup
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.store_lookups import MAX_MESSAGE_ID, StoreLookups
from inbox_worker.service.technician import TechnicianMail
from inbox_worker.service.tickets import Incoming, TicketWriter
from inbox_worker.store import repository as repo
from inbox_worker.store.database import first_line
from inbox_worker.store.models import Ticket
from inbox_worker.store.new_rows import new_rows

log = logging.getLogger("inbox_worker.ingest")

@dataclass(frozen=True)
class IngestResult:
    # created | threaded | command | duplicate | ignored | quarantined | already-processed
    outcome: str
    message_key: str | None = None
    detail: str = ""
    # The ticket the mail went to (the processed-mail record in the same transaction
    # points at it).
    ticket: Ticket | None = field(default=None, repr=False, compare=False)

    @property
    def ticket_ref(self) -> str | None:
        return self.ticket.ref if self.ticket is not None else None

    @property
    def quarantined(self) -> bool:
        return self.outcome == "quarantined"


class Ingestor:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session],
                 outbox: Outbox) -> None:
        self.settings = settings
        self.sessions = sessions
        self.outbox = outbox
        self.policy = status.Policy(
            auto_close_days=settings.policy.auto_close_days,
            reopen_days=settings.policy.reopen_days,
        )

    def process(self, fetched: FetchedMail, now: datetime) -> IngestResult:
        """Handle one mail; never raises for bad mail, only for an unusable database."""
        return self._process_parsed(self._parse(fetched), now)

    def process_batch(self, batch: Sequence[FetchedMail], now: datetime) -> list[IngestResult]:
        """Handle several mails in one transaction, or one by one if that fails; one result
        per mail, in order. Raises only for an unusable database, like `process`."""
        return self.store_parsed([self._parse(fetched) for fetched in batch], now)

    def store_parsed(self, parsed: list[ParsedMail], now: datetime) -> list[IngestResult]:
        """`process_batch` for mails parsed already (by `parse_fetched`, maybe elsewhere)."""
        if len(parsed) > 1:
            try:
                return self._store_batch(parsed, now)
            except (OperationalError, InterfaceError) as exc:
                if not _is_conflict(exc):
                    raise StoreError(_database_error(exc)) from exc
                log.info("batch of %d conflicted with another worker; one at a time: %s",
                         len(parsed), _database_error(exc))
            except Exception:  # noqa: BLE001 - each mail again on its own, where it is handled
                log.info("batch of %d failed; one at a time", len(parsed), exc_info=True)
        return [self._process_parsed(one, now) for one in parsed]

    def _parse(self, fetched: FetchedMail) -> ParsedMail:
        """Parse outside any transaction (pure work, no lock held)."""
        return parse_one(fetched, self.settings.max_message_bytes)

    def _store_batch(self, parsed: list[ParsedMail], now: datetime) -> list[IngestResult]:
        results: list[IngestResult] = []
        with self.sessions.begin() as session:
            lookups = StoreLookups(session, now, queue_block=len(parsed))
            lookups.prefetch(parsed)
            for one in parsed:
                fetched = one.fetched
                if fetched.key in lookups.processed:
                    results.append(IngestResult("already-processed"))
                    continue
                if one.mail is None:
                    assert one.refusal is not None
                    self._add_quarantine(session, fetched, one.refusal, now, None)
                    result = IngestResult("quarantined", detail=one.refusal)
                else:
                    result = self._decide_and_write(session, fetched, one.mail, now, lookups)
                repo.record_processed(
                    session, source_key=fetched.key, message_key=result.message_key,
                    outcome=result.outcome, now=now, ticket=result.ticket,
                    detail=result.detail,
                )
                lookups.processed.add(fetched.key)
                results.append(result)
        for one in parsed:
            if one.refusal is not None:
                log.warning("quarantined key=%s reason=%s", one.fetched.key, one.refusal)
        return results

    def _process_parsed(self, parsed: ParsedMail, now: datetime) -> IngestResult:
        fetched = parsed.fetched
        try:
            if parsed.mail is None:
                assert parsed.refusal is not None
                return self._quarantine(fetched, parsed.refusal, now)
            return self._store(fetched, parsed.mail, now)
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable or unwell: stop, the mail stays in the mailbox.
            raise StoreError(_database_error(exc)) from exc
        except SQLAlchemyError as exc:
            # The database refused this mail's rows (a value it cannot hold, a constraint):
            # a property of the mail, so it must not block the ones behind it.
            log.exception("database refused %s", fetched.key)
            reason = first_line(exc)
            return self._quarantine(fetched, f"the database refused it: {reason}", now)
        except Exception as exc:  # noqa: BLE001 - a bug on hostile input must not block the rest
            log.exception("unexpected error processing %s", fetched.key)
            return self._quarantine(fetched, f"internal error: {type(exc).__name__}: {exc}", now)

    def _store(self, fetched: FetchedMail, mail: InboundMail, now: datetime) -> IngestResult:
        for attempt in (1, 2):
            try:
                with self.sessions.begin() as session:
                    if repo.is_processed(session, fetched.key):
                        return IngestResult("already-processed")
                    lookups = StoreLookups(session, now)
                    result = self._decide_and_write(session, fetched, mail, now, lookups)
                    repo.record_processed(
                        session,
                        source_key=fetched.key,
                        message_key=result.message_key,
                        outcome=result.outcome,
                        now=now,
                        ticket=result.ticket,
                        detail=result.detail,
                    )
                    return result
            except IntegrityError:
                # Another worker stored the same source key or Message-ID between our reads
                # and our commit: once more, and the duplicate checks see its work.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _decide_and_write(
        self, session: Session, fetched: FetchedMail, mail: InboundMail, now: datetime,
        lookups: StoreLookups,
    ) -> IngestResult:
        message_key = _message_key(mail, fetched)
        if lookups.message_exists(message_key):
            return IngestResult("duplicate", message_key=message_key, detail="Message-ID seen")
        kind, technicians, forged_technician = self._sender(mail)
        if kind is MailKind.OWN:
            # Never a ticket (loop protection), but kept where someone can look at it.
            self._add_quarantine(session, fetched, "our own mail came back: not a ticket", now,
                                 mail)
            return IngestResult("quarantined", message_key=message_key, detail="our own mail")
        choice, by_token = self._thread(session, mail, kind, technicians, lookups)
        writer = TicketWriter(session, self.settings, now, self.outbox,
                              recent=lookups.recent, queue_places=lookups.queue_places,
                              ticket_ids=lookups.ticket_ids, queue_counts=lookups.queue_counts)
        incoming = Incoming(mail, message_key, fetched.key, fetched.raw, kind,
                            fetched.mailbox_address)
        if choice.ticket_id is None:
            result = self._open(session, fetched, writer, incoming, now)
        else:
            ticket = repo.lock_ticket(session, choice.ticket_id)
            if kind is MailKind.TECHNICIAN:
                technician = TechnicianMail(writer, self.policy)
                ticket = technician.reply(ticket, incoming, technician.parse(incoming, ticket))
            elif not followup.take_answer(writer, ticket, incoming):
                # Not an answer to the satisfaction survey: an ordinary reply.
                ticket = writer.apply_reply(ticket, incoming, self.policy)
            result = IngestResult("threaded", message_key, detail=f"via {choice.via}",
                                  ticket=ticket)
        if result.ticket is not None:
            if choice.stranger_with_token and by_token is not None:
                writer.note_stranger_token(by_token, result.ticket, mail)
            self._note_forgery(writer, result.ticket, mail, forged_technician)
        if result.outcome != "quarantined":
            lookups.stored_message(message_key)
        return result

    def _sender(self, mail: InboundMail) -> tuple[MailKind, frozenset[str], bool]:
        """What kind of mail this is, the technicians whose rights it may use, and whether
        it forged a technician's From."""
        kind = classify(mail, own_addresses=self.settings.own_addresses,
                        own_message_id_domain=self.settings.support.message_id_domain)
        technicians = self.settings.technicians.addresses
        if kind is MailKind.CUSTOMER and mail.from_addr in technicians:
            if self._authenticated(mail):
                return MailKind.TECHNICIAN, technicians, False
            # A From header proves nothing: this is a customer mail from that address,
            # and the address gets no technician's right to write onto any ticket.
            return kind, technicians - {mail.from_addr}, True
        return kind, technicians, False

    def _thread(
        self, session: Session, mail: InboundMail, kind: MailKind, technicians: frozenset[str],
        lookups: StoreLookups,
    ) -> tuple[correlate.ThreadChoice, Ticket | None]:
        """The ticket the mail belongs to (by subject token, then by headers), and the
        ticket its token names."""
        automatic = kind in (MailKind.AUTO_REPLY, MailKind.BOUNCE)
        subjects = (mail.subject, *mail.embedded_subjects) if automatic else (mail.subject,)
        prefix = self.settings.support.token_prefix
        tokens = [t for s in subjects for t in correlate.find_tokens(s, prefix)]
        header_ids = (*mail.in_reply_to, *mail.references)
        if automatic:
            header_ids = (*header_ids, *mail.embedded_message_ids)
        by_token = repo.ticket_by_token(session, tokens)
        by_headers = (repo.ticket_by_message_ids(session, header_ids)
                      if lookups.may_know_any(header_ids) else None)
        choice = correlate.choose_ticket(
            mail.from_addr,
            by_token=_ticket_ref(by_token),
            by_headers=_ticket_ref(by_headers),
            technicians=technicians,
            kind=kind,
        )
        return choice, by_token

    def _open(self, session: Session, fetched: FetchedMail, writer: TicketWriter,
              incoming: Incoming, now: datetime) -> IngestResult:
        """A mail that matches no ticket: a new ticket, a technician's command answered by
        mail, or (an auto-reply or bounce, which never opens a ticket) quarantine."""
        mail, message_key, kind = incoming.mail, incoming.message_key, incoming.kind
        if kind in (MailKind.AUTO_REPLY, MailKind.BOUNCE):
            self._add_quarantine(session, fetched,
                                 f"{kind.value} that matches no ticket", now, mail)
            return IngestResult("quarantined", message_key=message_key, detail=kind.value)
        if kind is not MailKind.TECHNICIAN:
            return IngestResult("created", message_key, ticket=writer.open_ticket(incoming))
        technician = TechnicianMail(writer, self.policy)
        parsed = technician.parse(incoming)
        if commands.is_query(parsed) or commands.answers_ticketless_mail(session, mail):
            refused = commands.answer_query(writer, incoming, parsed)
            return IngestResult("command", message_key, detail=f"refused: {refused}"
                                if refused else "answered by mail")
        opened = technician.new_mail(incoming, parsed)
        if opened is None:
            # No ticket to answer on: the technician hears why by mail.
            refused = commands.refuse(
                writer, incoming, [f"{e.line}: {e.message}" for e in parsed.errors])
            return IngestResult("command", message_key, detail=f"refused: {refused}")
        return IngestResult("created", message_key, ticket=opened)

    @staticmethod
    def _note_forgery(writer: TicketWriter, ticket: Ticket, mail: InboundMail,
                      forged: bool) -> None:
        if forged:
            writer.add_event(ticket, "auth-failed", ticket.status, ticket.status, mail.from_addr,
                             f"mail from technician address {mail.from_addr} without a passing "
                             "Authentication-Results from a trusted host: treated as a "
                             "customer mail, no tags honoured", None)

    def _authenticated(self, mail: InboundMail) -> bool:
        techs = self.settings.technicians
        if techs.trust_delivery_path:
            return True
        return sender_domain_passed(
            mail.headers.get("authentication-results", ()),
            from_domain=mail.from_addr.rpartition("@")[2],
            trusted_authserv_ids=techs.trusted_authserv_ids,
        )

    def _quarantine(self, fetched: FetchedMail, reason: str, now: datetime) -> IngestResult:
        """Record the mail as quarantined. Called from error handlers, so nothing may escape
        but a StoreError: the mail then stays in the mailbox for the next pass."""
        try:
            with self.sessions.begin() as session:
                if repo.is_processed(session, fetched.key):
                    return IngestResult("already-processed")
                self._add_quarantine(session, fetched, reason, now, None)
                repo.record_processed(
                    session, source_key=fetched.key, message_key=None, outcome="quarantined",
                    now=now, detail=reason,
                )
        except IntegrityError as exc:
            # Another worker recorded this mail between our check and our commit.
            with self.sessions.begin() as session:
                if repo.is_processed(session, fetched.key):
                    return IngestResult("already-processed")
            raise StoreError(_database_error(exc)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(_database_error(exc)) from exc
        log.warning("quarantined key=%s reason=%s", fetched.key, reason)
        return IngestResult("quarantined", detail=reason)

    def _add_quarantine(
        self,
        session: Session,
        fetched: FetchedMail,
        reason: str,
        now: datetime,
        mail: InboundMail | None,
    ) -> None:
        # Without a parsed mail (or without its From), what the headers still tell.
        seen = triage(fetched.raw) if mail is None or not mail.from_addr else None
        new_rows(session).quarantined_mail({
            "source_key": fetched.key,
            "mailbox": fetched.mailbox,
            "reason": reason[:2000],
            "sender": seen.sender if seen else mail.from_addr if mail else "",
            "subject": seen.subject if seen else mail.subject if mail else "",
            "message_id": seen.message_id if seen else (mail.message_id or "") if mail else "",
            "size": len(fetched.raw),
            "sha256": hashlib.sha256(fetched.raw).hexdigest(),
            "raw": fetched.raw,
            "created_at": now,
            "retries": 0,
            "state": "held",
        })


def _message_key(mail: InboundMail, fetched: FetchedMail) -> str:
    message_key = mail.message_id or synthetic_message_id(fetched)
    if len(message_key) > MAX_MESSAGE_ID:
        # Longer than the store keeps (and than RFC 5322 lines allow): keyed by its hash.
        digest = hashlib.sha256(message_key.encode()).hexdigest()
        message_key = f"{digest}@long-message-id.invalid"
    return message_key


def _is_conflict(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure between workers (PostgreSQL): doing the work
    again, in smaller transactions, succeeds."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001", "55P03")


def _database_error(exc: SQLAlchemyError) -> str:
    return f"database error: {first_line(exc)}"


def synthetic_message_id(fetched: FetchedMail) -> str:
    """A key for a mail without Message-ID: its mailbox and a hash of its bytes."""
    digest = hashlib.sha256(fetched.raw).hexdigest()
    return f"{digest}@{fetched.mailbox}.no-message-id.invalid"


def _ticket_ref(ticket: Ticket | None) -> correlate.TicketRef | None:
    if ticket is None:
        return None
    return correlate.TicketRef(
        ticket_id=ticket.id,
        customer=ticket.customer,
        participants=frozenset(p.address for p in ticket.participants),
    )



