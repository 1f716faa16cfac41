"""The quarantine: list, show and retry mails that could not become ticket entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.errors import UnknownTicketError
from inbox_worker.mail.mailboxes import mailbox_of_key
from inbox_worker.mail.source import FetchedMail
from inbox_worker.service.ingest import Ingestor, IngestResult
from inbox_worker.service.views import iso
from inbox_worker.store.models import QuarantinedMail


def quarantine_json(record: QuarantinedMail) -> dict[str, Any]:
    return {
        "id": record.id,
        "source_key": record.source_key,
        "reason": record.reason,
        "sender": record.sender,
        "subject": record.subject,
        "message_id": record.message_id,
        "size": record.size,
        "sha256": record.sha256,
        "created_at": iso(record.created_at),
        "retries": record.retries,
        "state": record.state,
    }


def list_quarantine(session: Session, *, include_released: bool = False) -> list[QuarantinedMail]:
    query = select(QuarantinedMail).order_by(QuarantinedMail.id)
    if not include_released:
        query = query.where(QuarantinedMail.state == "held")
    return list(session.scalars(query))


def get_quarantined(session: Session, record_id: str) -> QuarantinedMail:
    record = session.get(QuarantinedMail, int(record_id)) if record_id.isdigit() else None
    if record is None:
        raise UnknownTicketError(f"no quarantined mail {record_id!r}")
    return record


def retry_quarantined(
    sessions: sessionmaker[Session], ingestor: Ingestor, record_id: str, now: datetime
) -> IngestResult:
    """Process a quarantined mail again (after a fix); release it when it now goes through.

    Each retry has its own source key, so it is never mistaken for the first attempt.
    """
    with sessions.begin() as session:
        record = get_quarantined(session, record_id)
        session.refresh(record, attribute_names=["raw"])
        record.retries += 1
        fetched = FetchedMail(
            key=f"retry:{record.id}:{record.retries}",
            raw=record.raw,
            mailbox=record.mailbox,
            # The mailbox it came in at, which its notices go out from.
            mailbox_address=mailbox_of_key(record.source_key),
        )
        record_pk = record.id
    result = ingestor.process(fetched, now)
    with sessions.begin() as session:
        original = session.get(QuarantinedMail, record_pk)
        assert original is not None
        if not result.quarantined:
            original.state = "released"
            return result
        # Still refused: one record per mail, with the latest reason, not one per attempt.
        for newer in session.scalars(
            select(QuarantinedMail).where(QuarantinedMail.source_key == fetched.key)
        ):
            original.reason = newer.reason
            session.delete(newer)
    return result



