"""What a mail needs to know of its ticket: the customer's conversation (threading headers
and names), the recent messages an alert shows, and the template variables of a ticket."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import SupportSettings
from inbox_worker.domain.status import NoticeKind
from inbox_worker.notices.variables import INTERNAL_KINDS, internal_defaults, survey_variable
from inbox_worker.store.models import Message, OutboxItem, Ticket

REFERENCES_KEPT = 20

# Inbound mail the customer wrote or saw; technicians' mails and notes stay internal (their
# Message-IDs can name internal hosts), automatic mail is nobody's conversation.
_VISIBLE_INBOUND_KINDS = ("customer",)
# Outgoing mails the customer never sees: their Message-IDs stay out of the customer's
# threading headers.
_INTERNAL_NOTICES = frozenset({*INTERNAL_KINDS, NoticeKind.TAG_REJECTED.value})


def recent_conversation(session: Session, ticket: Ticket, count: int, *,
                        before: str | None = None) -> list[dict[str, Any]]:
    """The last `count` messages of the ticket a technician reads (the customer's mails,
    technicians' answers and notes, our notices), oldest first, without the mail whose
    Message-ID is `before` (shown in full on its own). One query."""
    if count <= 0:
        return []
    rows = session.execute(
        select(Message.message_id, Message.direction, Message.kind, Message.from_addr,
               Message.from_name, Message.received_at, Message.text)
        .where(Message.ticket_id == ticket.id,
               Message.kind.in_(("customer", "technician", "note", "notice")),
               Message.message_id != (before or ""))
        .order_by(Message.id.desc())
        .limit(count)
    ).all()
    return [
        {"direction": direction, "kind": kind, "from": from_addr, "name": from_name,
         "at": at, "text": text}
        for _, direction, kind, from_addr, from_name, at, text in reversed(rows)
    ]


@dataclass(frozen=True)
class Conversation:
    """What a notice needs to know about the mails already on its ticket."""

    in_reply_to: str | None
    references: list[str]
    names: dict[str, str]  # address -> the display name it last used on the ticket


def conversation(session: Session, ticket: Ticket) -> Conversation:
    """In-Reply-To is the latest mail of the conversation the customer has seen (their own
    mails and our notices that went or will go); References are the first of those and
    the latest ones, at most REFERENCES_KEPT. One query."""
    rows = session.execute(
        select(
            Message.message_id, Message.direction, Message.kind, Message.from_addr,
            Message.from_name, OutboxItem.state, OutboxItem.notice,
        )
        .outerjoin(OutboxItem, OutboxItem.message_pk == Message.id)
        .where(Message.ticket_id == ticket.id)
        .order_by(Message.id)
    ).all()
    return conversation_of(rows)


def conversation_of(rows: Iterable[Sequence[Any]]) -> Conversation:
    """The conversation of a ticket's messages, oldest first, as rows of (message_id,
    direction, kind, from_addr, from_name, outbox state or None, outbox template or None).
    Alerts and the other mails to technicians are not the customer's conversation."""
    visible: list[str] = []
    names: dict[str, str] = {}
    for message_id, direction, kind, from_addr, from_name, state, template in rows:
        if direction == "in" and from_name:
            names[from_addr] = from_name
        if (direction == "in" and kind in _VISIBLE_INBOUND_KINDS) or (
            direction == "out" and state != "suppressed" and template not in _INTERNAL_NOTICES
        ):
            visible.append(message_id)
    if not visible:
        return Conversation(None, [], names)
    chosen = list(dict.fromkeys([visible[0], *visible[-(REFERENCES_KEPT - 1) :]]))
    return Conversation(visible[-1], chosen, names)


def notice_context(
    ticket: Ticket,
    *,
    kind: NoticeKind | str,
    support: SupportSettings,
    customer_address: str,
    customer_name: str,
    now: datetime,
    text: str = "",
    reason: str | None = None,
    links: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The template variables (see `notices.variables.TEMPLATE_VARIABLES`) as plain data."""
    notice = NoticeKind(kind)
    context = {
        "ticket": ticket_data(ticket, support.address),
        "customer": {"address": customer_address, "name": customer_name},
        "support": {"address": support.address, "name": support.name},
        "status": ticket.status,
        "text": text,
        "reason": reason,
        "links": dict(links or {}),
        "now": now,
        **internal_defaults(),
    }
    if notice in (NoticeKind.SURVEY, NoticeKind.WHAT_WENT_WRONG):
        context["survey"] = survey_variable(support.address, ticket.token,
                                            rating=ticket.satisfaction_rating)
    return context


def ticket_data(ticket: Ticket, mailbox: str) -> dict[str, Any]:
    """A ticket as template data (plain values, never the ORM object); ``mailbox``: the
    address it came in at (`Settings.sender`, never None)."""
    return {
        "ref": ticket.ref,
        "token": ticket.token,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "created_at": ticket.created_at,
        "scheduled_for": ticket.scheduled_for,
        "closed_at": ticket.closed_at,
        "resolution": ticket.resolution,
        "resolution_by": ticket.resolution_by,
        "assignee": ticket.assignee,
        "customer": ticket.customer,
        "queue_position": None,
        "due_at": None,
        "breached": [],
        "mailbox": mailbox,
    }
