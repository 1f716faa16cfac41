"""The outbox as people read it: what was and will be sent (`outbox list`), one mail
decoded as its reader sees it (`outbox show`), and sending a failed one again (`outbox
retry`). Reading only, apart from the retry, which changes one row in one transaction."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.domain.names import one_of
from inbox_worker.errors import UnknownTicketError, UsageError
from inbox_worker.service.views import iso
from inbox_worker.store.models import Message, OutboxItem

STATES = ("pending", "sending", "sent", "failed", "suppressed")
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
                 "Reply-To", "Auto-Submitted")


def outbox_state(name: str) -> str:
    try:
        return one_of(name, STATES, "state")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def list_outbox(session: Session, state: str | None = None, limit: int = 1000
                ) -> list[dict[str, Any]]:
    """The newest rows first (at most `limit`), optionally in one state."""
    query = (select(OutboxItem, Message.message_id, Message.subject, Message.kind)
             .join(Message, Message.id == OutboxItem.message_pk)
             .order_by(OutboxItem.id.desc()).limit(limit))
    if state:
        query = query.where(OutboxItem.state == state)
    return [row_json(item, message_id, subject, kind)
            for item, message_id, subject, kind in session.execute(query)]


def row_json(item: OutboxItem, message_id: str, subject: str, kind: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "ticket": f"T-{item.ticket_id}" if item.ticket_id else None,
        "kind": kind,
        "template": item.notice,
        "to": item.recipient,
        "subject": subject,
        "state": item.state,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": iso(item.created_at),
        "sent_at": iso(item.sent_at),
        "next_attempt_at": iso(item.next_attempt_at) if item.state == "pending" else None,
        "message_id": message_id,
    }


def _row(session: Session, row_id: str) -> tuple[OutboxItem, Message]:
    item = session.get(OutboxItem, int(row_id)) if row_id.strip().isdigit() else None
    if item is None:
        raise UnknownTicketError(f"no outbox mail {row_id!r}")
    message = session.get(Message, item.message_pk)
    assert message is not None
    return item, message


def show_outbox(session: Session, row_id: str) -> dict[str, Any]:
    """One mail as its reader would see it: the headers, the text, the attachments. A
    suppressed mail was never composed: its stored text and the reason instead."""
    item, message = _row(session, row_id)
    data = row_json(item, message.message_id, message.subject, message.kind)
    raw = item.raw
    if not raw:
        data.update(headers={"To": item.recipient, "Subject": message.subject},
                    text=message.text, attachments=[])
        return data
    mail = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body(("plain",))
    data.update(
        headers={name: str(mail[name]) for name in SHOWN_HEADERS if mail[name] is not None},
        text=body.get_content() if body is not None else "",
        attachments=[{"filename": part.get_filename() or "", "content_type":
                      part.get_content_type(), "size": len(part.get_payload(decode=True) or b"")}
                     for part in mail.iter_attachments()],
        size=len(raw),
    )
    return data


def retry_outbox(sessions: sessionmaker[Session], row_id: str, now: datetime
                 ) -> dict[str, Any]:
    """A failed mail due again now, its attempts counted afresh (the same bytes, the same
    Message-ID). Only a failed one: a pending one goes anyway, a sent one went."""
    with sessions.begin() as session:
        item, message = _row(session, row_id)
        if item.state != "failed":
            raise UsageError(f"outbox mail {item.id} is {item.state}: only a failed one is "
                             "sent again")
        item.state, item.attempts, item.next_attempt_at = "pending", 0, now
        return row_json(item, message.message_id, message.subject, message.kind)
