"""Who hears of what: the recipients of an alert to technicians (PRODUCT.md section 4a).

Pure: the shell gives the event, the ticket's assignee, who caused the event and the
configured lists; this module says which technicians get a mail. Decisions:

- An empty `recipients` list (or `digest_recipients`) means every technician: a team that
  configured nothing still hears of every new ticket.
- A customer's reply or a reopen goes to the assignee alone when there is one (they own the
  ticket); unassigned, to the alert recipients.
- The technician whose own mail caused the event never gets its alert: they know.
- Escalations and low satisfaction ratings go to the assignee and the escalation list;
  with neither, to the alert recipients, so that they are never told to nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class AlertEvent(StrEnum):
    NEW_TICKET = "new_ticket"
    CUSTOMER_REPLY = "customer_reply"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    NOTE = "note"
    ESCALATION = "escalation"
    LOW_RATING = "low_rating"  # a satisfaction rating of 1-2, or the comment that followed it


@dataclass(frozen=True)
class AlertAudience:
    """The configured addresses, lower-cased."""

    technicians: frozenset[str]
    recipients: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    digest_recipients: tuple[str, ...] = ()

    @property
    def alert_recipients(self) -> tuple[str, ...]:
        return self.recipients or tuple(sorted(self.technicians))

    @property
    def digest(self) -> tuple[str, ...]:
        return self.digest_recipients or tuple(sorted(self.technicians))


def alert_recipients(
    event: AlertEvent,
    audience: AlertAudience,
    *,
    assignee: str | None,
    actor: str | None,
    new_assignee: str | None = None,
) -> tuple[str, ...]:
    """The addresses that get the alert of `event`, in a stable order, without the actor."""
    chosen: Iterable[str]
    if event is AlertEvent.NEW_TICKET:
        chosen = audience.alert_recipients
    elif event in (AlertEvent.CUSTOMER_REPLY, AlertEvent.REOPENED):
        chosen = (assignee,) if assignee else audience.alert_recipients
    elif event is AlertEvent.ASSIGNED:
        chosen = (new_assignee,) if new_assignee else ()
    elif event is AlertEvent.NOTE:
        chosen = (assignee,) if assignee else ()
    else:
        chosen = ((assignee,) if assignee else ()) + audience.escalation
        if not chosen:
            chosen = audience.alert_recipients
    return _without(chosen, actor)


def _without(addresses: Iterable[str | None], actor: str | None) -> tuple[str, ...]:
    skip = (actor or "").strip().lower()
    found: dict[str, None] = {}
    for address in addresses:
        value = (address or "").strip().lower()
        if value and value != skip:
            found[value] = None
    return tuple(found)
