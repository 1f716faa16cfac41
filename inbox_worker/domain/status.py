"""The ticket status rules of PRODUCT.md section 2: one pure transition function.

This module owns the transition table. Given a ticket's state, one event and the time,
`decide` says what the ticket becomes, whether it keeps its place in line, which notice the
customer gets, or why the event is refused. It reads no clock and touches no store: the
shell gathers the inputs, calls `decide`, and applies the `Transition` in one transaction.

Decisions where the product text is silent (each also noted where it is made):

- `scheduled_for` is a pending plan, not only a property of the Scheduled status. Customer
  replies and plain technician answers keep it (the product says a reply must not lose the
  schedule); an explicit `#status` other than `scheduled`, closing, and the start itself
  clear it. While it is pending an Answered ticket does not auto-close.
- `ScheduledStart` moves any ticket that is not Closed to In Progress once its time has
  come, including one that went to Customer-Reply or Answered meanwhile.
- A technician's `#status X` is honoured even when the ticket already has status X, and the
  customer gets that status's notice again: the technician asked for it explicitly, and
  `#note` exists for saying nothing. `#status answered` is exactly a plain answer.
- Nothing in the technicians' hands moves a ticket back into the queue (Open and
  Customer-Reply are refused), so all their events keep the place in line.
- `#status in-progress` and `ScheduledStart` send no status notice; the technician's text,
  if any, is relayed by the caller as an ordinary answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from inbox_worker.domain import rules

# Policy and TicketState live in `model` because `rules` reads them too (and `rules` must
# not import this module, which uses it); they are named here as well, since callers
# write `status.Policy`.
from inbox_worker.domain.model import MailKind, Policy, Status, TicketState

Place = Literal["keep", "back"]


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerReply:
    """A mail from the customer or a participant, threaded onto the ticket."""


@dataclass(frozen=True)
class TechnicianReply:
    """A technician's answer without a status tag: relayed, and the ticket is Answered."""


@dataclass(frozen=True)
class SetStatus:
    """A technician's `#status` tag. `reason` is On-Hold's; `scheduled_for` is Scheduled's."""

    status: Status
    reason: str | None = None
    scheduled_for: datetime | None = None


@dataclass(frozen=True)
class AutoClose:
    """The time rule: an Answered ticket left without reply for `auto_close_days`."""


@dataclass(frozen=True)
class ScheduledStart:
    """The time rule: a ticket's scheduled time has come."""


@dataclass(frozen=True)
class AutomaticMail:
    """An auto-reply or bounce recorded on the ticket. Changes nothing: a vacation notice is
    not the customer's answer and must neither reopen nor delay auto-close."""

    kind: MailKind


@dataclass(frozen=True)
class TechnicianNote:
    """A `#note`: an internal note. Changes nothing and tells the customer nothing."""


Event = (
    CustomerReply
    | TechnicianReply
    | SetStatus
    | AutoClose
    | ScheduledStart
    | AutomaticMail
    | TechnicianNote
)


class NoticeKind(StrEnum):
    """Which notice (section 5) the customer gets for a transition."""

    ACKNOWLEDGED = "acknowledged"
    ANSWER = "answer"
    ON_HOLD = "on_hold"
    ON_HOLD_BILLING = "on_hold_billing"
    SCHEDULED = "scheduled"
    CLOSED = "closed"
    AUTO_CLOSED = "auto_closed"
    REOPENED = "reopened"
    # Not a customer notice: the reply to a technician whose tags were refused.
    TAG_REJECTED = "tag_rejected"
    # The satisfaction follow-up (section 5a, `domain.followup`): the survey after a
    # closing, and the question sent once after a rating of 1-2 without a comment.
    SURVEY = "survey"
    WHAT_WENT_WRONG = "what_went_wrong"


@dataclass(frozen=True)
class Transition:
    """What the shell must do to the ticket after one event.

    `status`, `scheduled_for`, `closed_at` and `answered_at` are the ticket's new values (they
    may equal the old ones); `changed` says whether the status changed. `place` "back" means
    the ticket takes a new place at the back of the line. `open_linked_ticket` asks the shell
    to open a new ticket linked to this one and to leave this one untouched. `rejected` is a
    reason when the event is refused; then nothing changes and no notice goes out.
    """

    status: Status
    changed: bool
    place: Place
    scheduled_for: datetime | None
    closed_at: datetime | None
    answered_at: datetime | None
    open_linked_ticket: bool = False
    notice: NoticeKind | None = None
    rejected: str | None = None

    @property
    def next_state(self) -> TicketState:
        return TicketState(self.status, self.closed_at, self.scheduled_for, self.answered_at)


# --- the rules ----------------------------------------------------------------------------


def new_ticket(now: datetime) -> Transition:
    """A ticket created from a customer mail (or `#customer`, or a reply after the reopen
    window): Open, at the back of the line, acknowledged."""
    _require_aware(now)
    return Transition(
        status=Status.OPEN,
        changed=True,
        place="back",
        scheduled_for=None,
        closed_at=None,
        answered_at=None,
        notice=NoticeKind.ACKNOWLEDGED,
    )


def decide(ticket: TicketState, event: Event, now: datetime, policy: Policy) -> Transition:
    """Apply one event to a ticket at `now` (aware) under `policy`."""
    _require_aware(now)
    match event:
        case CustomerReply():
            return _customer_reply(ticket, now, policy)
        case TechnicianReply():
            return _answer(ticket, now)
        case SetStatus():
            return _set_status(ticket, event, now)
        case AutoClose():
            return _auto_close(ticket, now, policy)
        case ScheduledStart():
            return _scheduled_start(ticket, now)
        case AutomaticMail() | TechnicianNote():
            return _unchanged(ticket)
    raise TypeError(f"not a ticket event: {event!r}")


# The team had handed these back (Answered, Closed) or nobody has looked yet (Open: the
# documented penalty for piling replies onto an unreviewed ticket).
_REPLY_GOES_TO_BACK = frozenset({Status.OPEN, Status.ANSWERED, Status.CLOSED})


def _customer_reply(ticket: TicketState, now: datetime, policy: Policy) -> Transition:
    if ticket.status == Status.CLOSED:
        # Inclusive window: a reply exactly `reopen_days` after closing still reopens. A
        # Closed ticket without a closing time (legacy data) reopens rather than splitting
        # the conversation.
        window = timedelta(days=policy.reopen_days)
        if ticket.closed_at is not None and now - ticket.closed_at > window:
            return _unchanged(ticket, open_linked_ticket=True)
        return Transition(
            status=Status.CUSTOMER_REPLY,
            changed=True,
            place="back",
            scheduled_for=ticket.scheduled_for,
            closed_at=None,
            answered_at=ticket.answered_at,
            notice=NoticeKind.REOPENED,
        )
    return Transition(
        status=Status.CUSTOMER_REPLY,
        changed=ticket.status != Status.CUSTOMER_REPLY,
        place="back" if ticket.status in _REPLY_GOES_TO_BACK else "keep",
        # A reply to a Scheduled ticket must not lose the schedule.
        scheduled_for=ticket.scheduled_for,
        closed_at=None,
        answered_at=ticket.answered_at,
    )


def _answer(ticket: TicketState, now: datetime) -> Transition:
    # Every answer restarts the auto-close clock, even on an already Answered ticket. The
    # schedule is kept: answering a question about planned work does not cancel the work.
    return Transition(
        status=Status.ANSWERED,
        changed=ticket.status != Status.ANSWERED,
        place="keep",
        scheduled_for=ticket.scheduled_for,
        closed_at=None,
        answered_at=now,
        notice=NoticeKind.ANSWER,
    )


def _set_status(ticket: TicketState, event: SetStatus, now: datetime) -> Transition:
    target = event.status
    if target in (Status.OPEN, Status.CUSTOMER_REPLY):
        # These mean "waiting for a technician"; only a customer's mail puts a ticket there.
        return _unchanged(ticket, rejected=f"technicians cannot set {target}")
    if target == Status.SCHEDULED:
        return _schedule(ticket, event.scheduled_for, now)
    if event.scheduled_for is not None:
        return _unchanged(ticket, rejected=f"a date goes only with scheduled, not {target}")
    if target == Status.ANSWERED:
        return _answer(ticket, now)
    if target == Status.CLOSED:
        # Re-closing keeps the first closing time, so the reopen window is not extended.
        closed_at = ticket.closed_at if ticket.status == Status.CLOSED else None
        return _explicit(ticket, target, NoticeKind.CLOSED, closed_at=closed_at or now)
    if target == Status.ON_HOLD:
        billing = (event.reason or "").strip().casefold() == "billing"
        notice = NoticeKind.ON_HOLD_BILLING if billing else NoticeKind.ON_HOLD
        return _explicit(ticket, target, notice)
    if target == Status.IN_PROGRESS:
        return _explicit(ticket, target, None)
    raise ValueError(f"unknown status {target!r}")


def _schedule(ticket: TicketState, when: datetime | None, now: datetime) -> Transition:
    if when is None:
        return _unchanged(ticket, rejected="scheduled needs a date and time")
    if when.tzinfo is None or when.utcoffset() is None:
        return _unchanged(ticket, rejected="the scheduled time has no time zone")
    if when <= now:
        return _unchanged(ticket, rejected=f"the scheduled time {when.isoformat()} is not ahead")
    return _explicit(ticket, Status.SCHEDULED, NoticeKind.SCHEDULED, scheduled_for=when)


def _explicit(
    ticket: TicketState,
    target: Status,
    notice: NoticeKind | None,
    *,
    scheduled_for: datetime | None = None,
    closed_at: datetime | None = None,
) -> Transition:
    # An explicit status replaces any pending plan: On-Hold or In Progress must not be
    # overridden later by an old schedule, and only Closed has a closing time.
    return Transition(
        status=target,
        changed=ticket.status != target,
        place="keep",
        scheduled_for=scheduled_for,
        closed_at=closed_at,
        answered_at=ticket.answered_at,
        notice=notice,
    )


def _auto_close(ticket: TicketState, now: datetime, policy: Policy) -> Transition:
    blocker = rules.auto_close_blocker(ticket, now, policy)
    if blocker is not None:
        return _unchanged(ticket, rejected=blocker)
    # Closed at `now`, not at the due instant: if the rule ran late, the customer still
    # gets the full reopen window counted from the notice they receive.
    return Transition(
        status=Status.CLOSED,
        changed=True,
        place="keep",
        scheduled_for=None,
        closed_at=now,
        answered_at=ticket.answered_at,
        notice=NoticeKind.AUTO_CLOSED,
    )


def _scheduled_start(ticket: TicketState, now: datetime) -> Transition:
    blocker = rules.scheduled_start_blocker(ticket, now)
    if blocker is not None:
        return _unchanged(ticket, rejected=blocker)
    return Transition(
        status=Status.IN_PROGRESS,
        changed=ticket.status != Status.IN_PROGRESS,
        place="keep",
        scheduled_for=None,
        closed_at=None,
        answered_at=ticket.answered_at,
    )


def _unchanged(
    ticket: TicketState, *, rejected: str | None = None, open_linked_ticket: bool = False
) -> Transition:
    return Transition(
        status=ticket.status,
        changed=False,
        place="keep",
        scheduled_for=ticket.scheduled_for,
        closed_at=ticket.closed_at,
        answered_at=ticket.answered_at,
        open_linked_ticket=open_linked_ticket,
        rejected=rejected,
    )


def _require_aware(now: datetime) -> None:
    # A naive clock is a programming error in the shell, not bad input: fail loudly.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
