"""Writing a decided change to the store: tickets, messages, attachments, events.

`TicketWriter` lives for one transaction. The decisions themselves come from the pure
`domain.status` rules; this module only turns them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain import correlate, status
from inbox_worker.domain.alerts import AlertEvent
from inbox_worker.domain.model import (
    QUEUED_STATUSES,
    Attachment,
    InboundMail,
    MailKind,
    Priority,
    Status,
)
from inbox_worker.domain.status import NoticeKind
from inbox_worker.mail.sanitize import sanitize_html
from inbox_worker.service import targets
from inbox_worker.service.conversation import Conversation, conversation_of
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.rate_limits import RecentNotices
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Participant, Ticket
from inbox_worker.store.new_rows import MessageRef, NewMessage, new_rows

SYSTEM_ACTOR = "system"
_QUEUED = frozenset(s.value for s in QUEUED_STATUSES)


@dataclass(frozen=True)
class Incoming:
    """An inbound mail on its way into the store, with where it came from."""

    mail: InboundMail
    message_key: str
    source_key: str
    raw: bytes = field(repr=False)
    kind: MailKind
    mailbox: str | None = None  # our address it came in at; None: the [support] address


class QueuePlaces:
    """Places at the back of the queue, taken from the store's counter a block at a time
    (one UPDATE per block; unused places of a block only leave gaps in the numbering)."""

    def __init__(self, session: Session, block: int = 1) -> None:
        self.session = session
        self.block = max(1, block)
        self._next = self._end = 0

    def __call__(self) -> int:
        if self._next >= self._end:
            last = repo.next_queue_place(self.session, count=self.block)
            self._next, self._end = last - self.block + 1, last + 1
        place = self._next
        self._next += 1
        return place


class QueueCounts:
    """The queued tickets per priority, counted when a batch's transaction starts (`load`)
    and kept up to date with its changes: an alert then tells a ticket that joined the
    back of the queue its place without a query per mail (each query writes the batch's
    waiting rows, see `store.new_rows`). Not loaded, or after a change it cannot follow
    (`forget`), it knows nothing and the caller counts in the store."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._counts: dict[int, int] | None = None

    def load(self) -> None:
        self._counts = repo.queued_per_rank(self.session)

    def forget(self) -> None:
        self._counts = None

    def changed(self, priority: str, was_queued: bool, is_queued: bool,
                to_back: bool) -> int | None:
        """Note a ticket's move; its place when it joined (or went to) the back."""
        counts = self._counts
        if counts is None:
            return None
        rank = repo.priority_rank(priority)
        counts[rank] = counts.get(rank, 0) + int(is_queued) - int(was_queued)
        if not (is_queued and to_back):
            return None
        return sum(n for r, n in counts.items() if r <= rank)


class TicketIds:
    """Ids for the tickets a transaction opens, allocated a block at a time (see
    `repository.allocate_ticket_ids`); None means: flush the ticket for its id."""

    def __init__(self, session: Session, block: int = 1) -> None:
        self.session = session
        self.block = max(1, block)
        self._ids: list[int] = []
        self._unavailable = False

    def __call__(self) -> int | None:
        if not self._ids and not self._unavailable:
            ids = repo.allocate_ticket_ids(self.session, self.block)
            self._unavailable = ids is None
            self._ids = list(reversed(ids or []))
        return self._ids.pop() if self._ids else None


class TicketWriter:
    """Writes for one transaction. ``recent`` and ``queue_places`` may be shared by the
    writers of one batch transaction (see `service.ingest`)."""

    def __init__(self, session: Session, settings: Settings, now: datetime,
                 outbox: Outbox, *, recent: RecentNotices | None = None,
                 queue_places: QueuePlaces | None = None,
                 ticket_ids: TicketIds | None = None,
                 queue_counts: QueueCounts | None = None) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.outbox = outbox
        self.recent = recent or RecentNotices(session, now)
        self.queue_places = queue_places or QueuePlaces(session)
        self.ticket_ids = ticket_ids or TicketIds(session)
        self.queue_counts = queue_counts or QueueCounts(session)
        # The place a ticket took at the back of the queue in this transaction, for its
        # alert (see `QueueCounts`).
        self.places: dict[int, int | None] = {}

    def notify(self, ticket: Ticket, kind: str, *, thread: Conversation | None = None,
               attachments: tuple[Attachment, ...] = (), **details: str | None
               ) -> NewMessage | None:
        """Queue a notice to the customer in this transaction (`Outbox.notice` decides
        whether it may go: None when it may not)."""
        return self.outbox.notice(self.session, ticket, kind, self.now, thread=thread,
                                  recent=self.recent, attachments=attachments,
                                  **details)  # type: ignore[arg-type]

    def alert(self, ticket: Ticket, event: AlertEvent, *, actor: str | None,
              incoming: Incoming | None = None, text: str | None = None,
              **details: object) -> None:
        """Queue the technicians' alerts of `event` in this transaction; `incoming` is the
        mail that caused it (its new text, attachments and Message-ID go with them)."""
        mail = incoming.mail if incoming is not None else None
        if "queue_position" not in details and self.places.get(ticket.id) is not None:
            details["queue_position"] = self.places[ticket.id]
        # Only a technician's own (authenticated) mail keeps its alert from them: a mail
        # that merely says it is from a technician is news to that technician too.
        own = incoming is None or incoming.kind is MailKind.TECHNICIAN
        self.outbox.alert(
            self.session, ticket, event, self.now, actor=actor if own else None, by=actor,
            text=text if text is not None else (mail.text if mail else ""),
            attachments=mail.attachments if mail else (),
            trigger=incoming.message_key if incoming is not None else None,
            **details,  # type: ignore[arg-type]
        )

    # -- tickets -------------------------------------------------------------------------

    def forget_queue_counts(self) -> None:
        """A change `QueueCounts` cannot follow (a queued ticket's priority): places are
        counted in the store from now on."""
        self.queue_counts.forget()
        self.places.clear()

    def open_ticket(
        self,
        incoming: Incoming,
        *,
        linked_to: Ticket | None = None,
        customer: str | None = None,
        acknowledge: bool = True,
        alert: bool = True,
    ) -> Ticket:
        """A new ticket from a customer's mail (Open, at the back of the queue), acknowledged.

        ``customer`` opens it on someone else's behalf (a technician's `#customer`).
        """
        mail = incoming.mail
        subject = correlate.strip_reply_prefixes(mail.subject).strip() or "(no subject)"
        # A continuation stays at its ticket's mailbox, as a reply would.
        mailbox = linked_to.mailbox if linked_to is not None else incoming.mailbox
        ticket = Ticket(
            id=self.ticket_ids(),
            token=correlate.new_token(self.settings.support.token_prefix),
            subject=subject[:1000],
            customer=(customer or mail.from_addr)[:320],
            status=Status.OPEN.value,
            priority=Priority.NORMAL.value,
            queue_place=self.queue_places(),
            created_at=self.now,
            updated_at=self.now,
            linked_to_id=linked_to.id if linked_to else None,
            participants=[],  # known empty: no lazy load
            mailbox=mailbox,
            category=self.settings.default_category(mailbox),
        )
        targets.start_clock(ticket, self.now)
        self.session.add(ticket)
        if ticket.id is None:
            self.session.flush()
        self.places[ticket.id] = self.queue_counts.changed(ticket.priority, False, True, True)
        self.add_participants(ticket, mail)
        message = self.add_message(ticket, incoming)
        cause = f"new mail from {mail.from_addr}"
        if linked_to is not None:
            cause = f"reply to {linked_to.ref} after its reopen window"
            self.add_event(linked_to, "linked", linked_to.status, linked_to.status,
                           mail.from_addr, f"continued in {ticket.ref}", message)
        if customer:
            cause = f"opened by {mail.from_addr} on behalf of {customer}"
        self.add_event(ticket, "created", None, Status.OPEN.value, mail.from_addr, cause, message)
        if acknowledge:
            suppress = "mail from a mailing list" if incoming.kind is MailKind.LIST else None
            # The new ticket's conversation is this one mail: no need to ask the store.
            thread = conversation_of([(message.message_id, "in", message.kind,
                                       message.from_addr, message.from_name, None, None)])
            self.notify(ticket, NoticeKind.ACKNOWLEDGED, thread=thread, suppress=suppress)
        if alert:
            # A new ticket has no earlier conversation. (A technician who opened it on a
            # customer's behalf is not told of it: `domain.alerts` leaves the actor out.)
            self.alert(ticket, AlertEvent.NEW_TICKET, actor=mail.from_addr,
                       incoming=incoming, earlier=[])
        return ticket

    def apply_reply(self, ticket: Ticket, incoming: Incoming, policy: status.Policy) -> Ticket:
        """A customer's (or automatic) mail threaded onto ``ticket``: record it, apply the rules.

        Returns the ticket the mail ended on (a new, linked one when the reply came after the
        reopen window).
        """
        mail, kind = incoming.mail, incoming.kind
        event: status.Event
        if kind in (MailKind.AUTO_REPLY, MailKind.BOUNCE):
            event = status.AutomaticMail(kind)
        else:
            event = status.CustomerReply()
        transition = status.decide(ticket_state(ticket), event, self.now, policy)
        if transition.open_linked_ticket:
            return self.open_ticket(incoming, linked_to=ticket)

        message = self.add_message(ticket, incoming)
        if kind in (MailKind.CUSTOMER, MailKind.LIST) and self._may_add_participants(ticket, mail):
            self.add_participants(ticket, mail)
        if kind in (MailKind.AUTO_REPLY, MailKind.BOUNCE):
            self.add_event(ticket, kind.value, ticket.status, ticket.status, mail.from_addr,
                           f"{kind.value} recorded, status unchanged", message)
            return ticket
        self.apply_transition(ticket, transition, actor=mail.from_addr,
                              cause=f"customer reply from {mail.from_addr}", message=message)
        if transition.notice is not None and not transition.rejected:
            self.notify(ticket, transition.notice)
        if not transition.rejected:
            reopened = transition.notice is NoticeKind.REOPENED
            self.alert(ticket, AlertEvent.REOPENED if reopened else AlertEvent.CUSTOMER_REPLY,
                       actor=mail.from_addr, incoming=incoming)
        return ticket

    def apply_transition(
        self,
        ticket: Ticket,
        transition: status.Transition,
        *,
        actor: str,
        cause: str,
        message: MessageRef | None,
    ) -> None:
        old = ticket.status
        if transition.rejected:
            self.add_event(ticket, "rejected", old, old, actor,
                           f"{cause}: {transition.rejected}", message)
            return
        targets.advance(ticket, transition.status.value, self.now, self.settings.targets)
        self.places[ticket.id] = self.queue_counts.changed(
            ticket.priority, old in _QUEUED, transition.status.value in _QUEUED,
            transition.place == "back")
        ticket.status = transition.status.value
        ticket.closed_at = transition.closed_at
        ticket.scheduled_for = transition.scheduled_for
        ticket.answered_at = transition.answered_at
        if transition.place == "back":
            ticket.queue_place = self.queue_places()
        ticket.updated_at = self.now
        kind = "reopened" if old == Status.CLOSED.value and transition.changed else "status"
        if kind == "reopened" and ticket.resolution is not None:
            # It was not resolved after all: the next closing says how it is (the old
            # summary stays in the `resolution` event).
            ticket.resolution = ticket.resolution_by = ticket.resolution_at = None
            ticket.duplicate_of_id = None
        self.add_event(ticket, kind, old, ticket.status, actor, cause, message)

    def record_resolution(self, ticket: Ticket, text: str, actor: str,
                          message: MessageRef | None, *,
                          duplicate_of: Ticket | None = None) -> None:
        """How the issue was resolved (a later summary replaces it; events keep both)."""
        ticket.resolution = text
        ticket.resolution_by = (actor or SYSTEM_ACTOR)[:320]
        ticket.resolution_at = self.now
        ticket.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
        ticket.updated_at = self.now
        self.add_event(ticket, "resolution", ticket.status, ticket.status, actor,
                       f"resolution: {text}", message)

    def note_stranger_token(self, target: Ticket, opened: Ticket, mail: InboundMail) -> None:
        """Leave a trace on the ticket whose token a stranger used (not revealed to them)."""
        self.add_event(target, "stranger-token", target.status, target.status, mail.from_addr,
                       f"{mail.from_addr} may not write to this ticket; the mail went to "
                       f"{opened.ref}", None)
        self.add_event(opened, "stranger-token", opened.status, opened.status, mail.from_addr,
                       "the subject carried another ticket's token; not attached to it", None)

    # -- rows ----------------------------------------------------------------------------

    def add_message(self, ticket: Ticket | None, incoming: Incoming) -> NewMessage:
        """The inbound mail as a message of `ticket` (None: a command with no ticket)."""
        mail = incoming.mail
        return new_rows(self.session).message(
            {
                "ticket_id": ticket.id if ticket is not None else None,
                "message_id": incoming.message_key,
                "direction": "in",
                "kind": incoming.kind.value,
                "from_addr": mail.from_addr[:320],
                "from_name": mail.from_name,
                "to_addrs": ", ".join(mail.to),
                "cc_addrs": ", ".join(mail.cc),
                "subject": mail.subject,
                "text": mail.text,
                "full_text": mail.full_text,
                "html": (mail.safe_html if mail.safe_html is not None
                         else sanitize_html(mail.html)),
                "in_reply_to": " ".join(mail.in_reply_to),
                "references": " ".join(mail.references),
                "date_header": mail.date,
                "received_at": self.now,
                "source_key": incoming.source_key,
                "raw": incoming.raw,
            },
            [
                {
                    "filename": a.filename[:255],
                    "content_type": a.content_type[:255],
                    "size": a.size,
                    "sha256": a.sha256,
                    "data": a.data,
                }
                for a in mail.attachments
            ],
        )

    def add_participants(self, ticket: Ticket, mail: InboundMail) -> None:
        excluded = {
            ticket.customer,
            *self.settings.own_addresses,
            *self.settings.technicians.addresses,
            *(p.address for p in ticket.participants),
        }
        for address in dict.fromkeys((*mail.cc, *mail.to, mail.from_addr)):
            if address and address not in excluded and "@" in address:
                ticket.participants.append(Participant(address=address[:320]))
                excluded.add(address)

    def _may_add_participants(self, ticket: Ticket, mail: InboundMail) -> bool:
        # Only the customer or an existing participant widens the conversation.
        return mail.from_addr == ticket.customer or any(
            p.address == mail.from_addr for p in ticket.participants
        )

    def add_event(
        self,
        ticket: Ticket,
        kind: str,
        from_status: str | None,
        to_status: str | None,
        actor: str,
        cause: str,
        message: MessageRef | None,
    ) -> None:
        new_rows(self.session).ticket_event(
            {
                "ticket_id": ticket.id,
                "at": self.now,
                "kind": kind,
                "from_status": from_status,
                "to_status": to_status,
                "actor": (actor or SYSTEM_ACTOR)[:320],
                "cause": cause[:2000],
            },
            message,
        )


def ticket_state(ticket: Ticket) -> status.TicketState:
    return status.TicketState(
        status=Status(ticket.status),
        closed_at=ticket.closed_at,
        scheduled_for=ticket.scheduled_for,
        answered_at=ticket.answered_at,
    )
