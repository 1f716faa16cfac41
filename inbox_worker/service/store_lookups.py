"""What the rules ask the store about mails, answered for one transaction (see
`StoreLookups`): for a batch, a few queries instead of several per mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from inbox_worker.mail.admission import ParsedMail
from inbox_worker.service.rate_limits import RecentNotices
from inbox_worker.service.tickets import QueueCounts, QueuePlaces, TicketIds
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Message, ProcessedMail

# Longer Message-IDs are stored keyed by their hash (see `ingest`): never looked up as such.
MAX_MESSAGE_ID = 900


class StoreLookups:
    """What the rules ask the store about mails, for one transaction. For a batch,
    `prefetch` answers the per-mail questions (seen this source key? this Message-ID? any
    of these threading ids?) and counts recent notices to the senders in a few queries
    instead of several per mail; what the transaction itself writes is noted as it goes."""

    def __init__(self, session: Session, now: datetime, *, queue_block: int = 1) -> None:
        self.session = session
        self.processed: set[str] = set()
        self.recent = RecentNotices(session, now)
        self.queue_places = QueuePlaces(session, queue_block)
        self.ticket_ids = TicketIds(session, queue_block)
        self.queue_counts = QueueCounts(session)
        self._asked: set[str] = set()  # Message-IDs whose presence `_known` tells
        self._known: set[str] = set()

    def prefetch(self, parsed: Sequence[ParsedMail]) -> None:
        keys = [one.fetched.key for one in parsed]
        self.processed = set(repo.present(self.session, ProcessedMail.source_key, keys))
        mails = [one.mail for one in parsed if one.mail is not None]
        ids = {i for m in mails for i in (m.message_id, *m.in_reply_to, *m.references) if i}
        ids = {i for i in ids if len(i) <= MAX_MESSAGE_ID}
        self._known = set(repo.present(self.session, Message.message_id, sorted(ids)))
        self._asked = ids
        self.recent.load(m.from_addr for m in mails)
        self.queue_counts.load()

    def message_exists(self, message_id: str) -> bool:
        if message_id in self._asked:
            return message_id in self._known
        return repo.message_exists(self.session, message_id)

    def may_know_any(self, message_ids: Sequence[str]) -> bool:
        """False only when none of ``message_ids`` can be a stored message."""
        return any(m in self._known or m not in self._asked for m in message_ids if m)

    def stored_message(self, message_id: str) -> None:
        self._asked.add(message_id)
        self._known.add(message_id)
