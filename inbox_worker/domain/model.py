"""Value types shared by the pure core: statuses, priorities, the status rules' policy and
ticket state (read by `status` and `rules` alike), mail kinds and the parsed mail.

Nothing here does I/O; everything is immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """The seven ticket statuses, spelled as in PRODUCT.md section 2 (and in the JSON)."""

    OPEN = "Open"
    IN_PROGRESS = "In Progress"
    ANSWERED = "Answered"
    CLOSED = "Closed"
    SCHEDULED = "Scheduled"
    ON_HOLD = "On-Hold"
    CUSTOMER_REPLY = "Customer-Reply"


# Our own Message-IDs look like "iw.<random>@<message_id_domain>". Only that form marks a mail
# as ours: colleagues writing from the support domain itself use the same domain.
OWN_MESSAGE_ID_PREFIX = "iw."

QUEUED_STATUSES = frozenset({Status.OPEN, Status.CUSTOMER_REPLY})


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


# Lower sorts first in the queue.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass(frozen=True)
class Policy:
    """The configurable periods of section 2, in whole days."""

    auto_close_days: int = 30
    reopen_days: int = 30

    def __post_init__(self) -> None:
        if self.auto_close_days < 0 or self.reopen_days < 0:
            raise ValueError("policy periods must not be negative")


@dataclass(frozen=True)
class TicketState:
    """The part of a ticket the status rules read. All datetimes are aware (UTC).

    - `closed_at`: when the ticket last closed; set only while it is Closed.
    - `scheduled_for`: the pending start of scheduled work; may outlive the Scheduled
      status (a reply does not lose the schedule).
    - `answered_at`: when a technician last answered; the auto-close clock. A customer
      reply always takes a ticket out of Answered, so an Answered ticket has had no
      customer reply since `answered_at`.
    """

    status: Status
    closed_at: datetime | None = None
    scheduled_for: datetime | None = None
    answered_at: datetime | None = None


class MailKind(StrEnum):
    """What an inbound mail is, as far as its headers and shape tell (before threading)."""

    CUSTOMER = "customer"
    TECHNICIAN = "technician"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    LIST = "list"
    OWN = "own"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class InboundMail:
    """One parsed inbound mail: decoded text, normalised addresses, the headers we reason on.

    Addresses are lower-cased bare addresses (``user@example.com``). Message-IDs are kept
    without angle brackets. ``headers`` maps lower-cased header names to their decoded values,
    in the order they appear in the mail (topmost first).
    """

    message_id: str | None
    subject: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    full_text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    headers: dict[str, tuple[str, ...]]
    # Message-IDs and subjects found inside an attached original (message/rfc822 or
    # text/rfc822-headers), which is how a bounce names the mail it bounces.
    embedded_message_ids: tuple[str, ...] = ()
    embedded_subjects: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    # ``html`` sanitised for the store (`mail.sanitize`), done where the mail is parsed (the
    # parse process, off the worker's busy thread); None: the store sanitises it itself.
    safe_html: str | None = None

    def header(self, name: str) -> str | None:
        """The first (topmost) value of a header, or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None
