"""The JSON shapes of PRODUCT.md section 6: a ticket, a ticket with messages and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from inbox_worker.domain.targets import TargetView
from inbox_worker.store.models import AttachmentRow, Message, OutboxItem, Ticket, TicketEvent


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def ticket_json(ticket: Ticket, queue_position: int | None,
                targets: TargetView | None = None) -> dict[str, Any]:
    """A ticket as PRODUCT.md section 6 shows it; `targets` (see `service.targets.view`)
    gives `due_at` and `breached`."""
    return {
        "ref": ticket.ref,
        "token": ticket.token,
        "subject": ticket.subject,
        "customer": ticket.customer,
        "status": ticket.status,
        "queue_position": queue_position,
        "priority": ticket.priority,
        "category": ticket.category,
        "assignee": ticket.assignee,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "closed_at": iso(ticket.closed_at),
        "scheduled_for": iso(ticket.scheduled_for),
        "linked_to": f"T-{ticket.linked_to_id}" if ticket.linked_to_id else None,
        "participants": [p.address for p in ticket.participants],
        "due_at": iso(targets.due_at) if targets else None,
        "breached": list(targets.breached) if targets else [],
        "first_response_at": iso(ticket.first_response_at),
        "resolution": resolution_json(ticket),
        "duplicate_of": f"T-{ticket.duplicate_of_id}" if ticket.duplicate_of_id else None,
        "satisfaction": satisfaction_json(ticket),
        "survey_sent_at": iso(ticket.survey_sent_at),
    }


def resolution_json(ticket: Ticket) -> dict[str, Any] | None:
    """How the issue was resolved: ``text``, ``by`` (an address, or "system" for
    auto-close), ``at``; null before anyone said."""
    if ticket.resolution is None:
        return None
    return {"text": ticket.resolution, "by": ticket.resolution_by,
            "at": iso(ticket.resolution_at)}


def satisfaction_json(ticket: Ticket) -> dict[str, Any] | None:
    """The customer's latest rating (1-5), its comment (null without one) and when; earlier
    ratings are `satisfaction` events."""
    if ticket.satisfaction_rating is None:
        return None
    return {"rating": ticket.satisfaction_rating, "comment": ticket.satisfaction_comment,
            "at": iso(ticket.satisfaction_at)}


# The columns a message is shown with: read as plain rows, not ORM objects (on a ticket of
# 20,000 messages, building and tracking the objects was most of `tickets show`'s time).
MESSAGE_COLUMNS = (Message.id, Message.message_id, Message.direction, Message.kind,
                   Message.from_addr, Message.to_addrs, Message.cc_addrs, Message.subject,
                   Message.text, Message.full_text, Message.date_header, Message.received_at)
DELIVERY_COLUMNS = (OutboxItem.message_pk, OutboxItem.state, OutboxItem.attempts,
                    OutboxItem.last_error, OutboxItem.sent_at, OutboxItem.next_attempt_at)
EVENT_COLUMNS = (TicketEvent.at, TicketEvent.kind, TicketEvent.from_status,
                 TicketEvent.to_status, TicketEvent.actor, TicketEvent.cause,
                 TicketEvent.message_pk)


def message_json(message: Any, files: list[AttachmentRow],
                 delivery: Any | None) -> dict[str, Any]:
    """A row of MESSAGE_COLUMNS, its files, and its outbox row (DELIVERY_COLUMNS) if it
    is one we send."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "direction": message.direction,
        "kind": message.kind,
        "from": message.from_addr,
        "to": [a for a in message.to_addrs.split(", ") if a],
        "cc": [a for a in message.cc_addrs.split(", ") if a],
        "subject": message.subject,
        "text": message.text,
        "full_text": message.full_text,
        "date": iso(message.date_header),  # the mail's own Date, as its sender's clock said
        "received_at": iso(message.received_at),
        "attachments": [attachment_json(a) for a in files],
    }
    if delivery is not None:
        data["delivery"] = {
            "state": delivery.state,
            "attempts": delivery.attempts,
            "last_error": delivery.last_error,
            "sent_at": iso(delivery.sent_at),
            "next_attempt_at": (iso(delivery.next_attempt_at) if delivery.state == "pending"
                                else None),
        }
    return data


def attachment_json(attachment: AttachmentRow) -> dict[str, Any]:
    """One file of a message; a forwarded mail also with its From, Date, Subject and text
    (`forwarded`, null for other files), read from the stored .eml when shown."""
    # Imported when a file is shown: it brings the mail parser, which the ticket
    # commands otherwise never load (their start-up is most of their time).
    from inbox_worker.mail.forwarded import forwarded_view, is_forwarded

    forwarded = None
    if is_forwarded(attachment.content_type):
        forwarded = forwarded_view(attachment.data)
    return {"filename": attachment.filename, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256, "forwarded": forwarded}


def event_json(event: Row[Any], message_ids: dict[int, str]) -> dict[str, Any]:
    """A row of EVENT_COLUMNS; ``message_ids`` gives the Message-ID of its message."""
    return {
        "at": iso(event.at),
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": event.actor,
        "cause": event.cause,
        "message_id": message_ids.get(event.message_pk) if event.message_pk else None,
    }


def ticket_detail_json(
    session: Session, ticket: Ticket, queue_position: int | None,
    targets: TargetView | None = None, *, last: int | None = None,
) -> dict[str, Any]:
    """The ticket with its messages and events: four queries however many there are (the
    messages, their files, their outbox rows, the events), each by the ticket. ``last``:
    only the latest so many messages and events (the console's page of a long ticket)."""
    by_ticket = Message.ticket_id == ticket.id
    messages = _latest(session, select(*MESSAGE_COLUMNS).where(by_ticket), Message.id, last)
    shown = {m.id for m in messages} if last is not None else None
    files: dict[int, list[AttachmentRow]] = {}
    for row in session.scalars(
        select(AttachmentRow).join(Message, AttachmentRow.message_pk == Message.id)
        .where(by_ticket).order_by(AttachmentRow.id)
    ):
        files.setdefault(row.message_pk, []).append(row)
    deliveries = {row.message_pk: row for row in session.execute(
        select(*DELIVERY_COLUMNS).join(Message, OutboxItem.message_pk == Message.id)
        .where(by_ticket, *([Message.id.in_(shown)] if shown is not None else [])))}
    events = _latest(session, select(*EVENT_COLUMNS).where(TicketEvent.ticket_id == ticket.id),
                     TicketEvent.id, last)
    message_ids = {m.id: m.message_id for m in messages}
    missing = {e.message_pk for e in events if e.message_pk and e.message_pk not in message_ids}
    if missing:
        message_ids.update(session.execute(
            select(Message.id, Message.message_id).where(Message.id.in_(missing))).all())
    data = ticket_json(ticket, queue_position, targets)
    data["messages"] = [message_json(m, files.get(m.id, []), deliveries.get(m.id))
                        for m in messages]
    data["events"] = [event_json(e, message_ids) for e in events]
    return data


def _latest(session: Session, query: Any, order: Any, last: int | None) -> list[Row[Any]]:
    """The rows of ``query`` in ``order``; with ``last``, the latest so many of them."""
    if last is None:
        return list(session.execute(query.order_by(order)).all())
    return list(reversed(session.execute(query.order_by(order.desc()).limit(last)).all()))
