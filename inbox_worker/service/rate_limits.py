"""Loop guards of customers' notices: the per-address rate limit and the acknowledgement
guard, counted per transaction (see `RecentNotices`). Mails to technicians (alerts, digests,
command replies) are neither limited nor counted: a busy hour must not silence them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.classify import is_noreply_address
from inbox_worker.domain.status import NoticeKind
from inbox_worker.notices.variables import TEAM_MAIL_KINDS
from inbox_worker.store import repository as repo
from inbox_worker.store.models import OutboxItem

RATE_LIMIT_PER_HOUR = 10
ACKNOWLEDGEMENTS_PER_HOUR = 2


class RecentNotices:
    """Notices that went or will go to each address in the last hour, for the rate limit
    and the acknowledgement loop guard: counted once per address and transaction (one
    query, or one for a whole batch of senders), then kept up to date with the notices
    the transaction queues."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.since = now - timedelta(hours=1)
        self._counts: dict[str, tuple[int, int]] = {}  # address -> (all, acknowledgements)

    def load(self, addresses: Iterable[str]) -> None:
        wanted = sorted({a for a in addresses if a and a not in self._counts})
        for chunk in repo.in_chunks(wanted):
            counts = dict.fromkeys(chunk, (0, 0))
            rows = self.session.execute(
                select(OutboxItem.recipient, OutboxItem.notice, func.count(OutboxItem.id))
                .where(
                    OutboxItem.recipient.in_(chunk),
                    OutboxItem.created_at > self.since,
                    OutboxItem.state != "suppressed",
                    OutboxItem.notice.not_in(TEAM_MAIL_KINDS),
                )
                .group_by(OutboxItem.recipient, OutboxItem.notice)
            ).all()
            for recipient, notice, count in rows:
                total, acks = counts[recipient]
                is_ack = notice == NoticeKind.ACKNOWLEDGED.value
                counts[recipient] = (total + count, acks + (count if is_ack else 0))
            self._counts.update(counts)

    def counts(self, address: str) -> tuple[int, int]:
        """(notices, acknowledgements) to ``address`` in the last hour."""
        if address not in self._counts:
            self.load([address])
        return self._counts[address]

    def note(self, address: str, kind: NoticeKind) -> None:
        total, acks = self.counts(address)
        self._counts[address] = (total + 1, acks + (kind is NoticeKind.ACKNOWLEDGED))


def suppression_reason(
    recent: RecentNotices,
    recipient: str,
    *,
    own_addresses: Collection[str],
    rate_limit_per_hour: int = RATE_LIMIT_PER_HOUR,
    kind: NoticeKind | None = None,
    acknowledgements_per_hour: int = ACKNOWLEDGEMENTS_PER_HOUR,
) -> str | None:
    """Why a notice to `recipient` must not go, or None."""
    unusable = unaddressable(recipient, own_addresses)
    if unusable is not None:
        return unusable
    address = recipient.strip().lower()
    limit_acks = kind is NoticeKind.ACKNOWLEDGED and acknowledgements_per_hour > 0
    if rate_limit_per_hour <= 0 and not limit_acks:
        return None
    total, acknowledged = recent.counts(address)
    if rate_limit_per_hour > 0 and total >= rate_limit_per_hour:
        return f"rate limit: {rate_limit_per_hour} notices per hour to this address"
    if limit_acks and acknowledged >= acknowledgements_per_hour:
        # A system that answers each acknowledgement with a new mail of its own opens a new
        # ticket each round; only its first rounds are acknowledged.
        return (f"loop guard: {acknowledgements_per_hour} acknowledgements per hour to "
                "this address")
    return None


def unaddressable(recipient: str, own_addresses: Collection[str]) -> str | None:
    """Why no mail at all may go to `recipient` (rate limits aside), or None: mails to
    technicians are checked with this alone. `own_addresses`: the support address and every
    mailbox's (lower case)."""
    address = recipient.strip().lower()
    if not address:
        return "no recipient address"
    if address in own_addresses:
        return "the recipient is the support address or another of our mailboxes"
    if is_noreply_address(address):
        return "the recipient is a no-reply address"
    return None
