"""Who hears of what (PRODUCT.md section 4a): every event, with and without an assignee."""

from __future__ import annotations

import pytest

from inbox_worker.domain.alerts import AlertAudience, AlertEvent, alert_recipients

TECHS = frozenset({"alice@example.com", "bob@example.com", "carl@example.com"})
EVERYONE = ("alice@example.com", "bob@example.com", "carl@example.com")
CONFIGURED = AlertAudience(TECHS, recipients=("bob@example.com",),
                           escalation=("lead@example.com",))
DEFAULTS = AlertAudience(TECHS)


@pytest.mark.parametrize(
    ("event", "audience", "assignee", "actor", "new_assignee", "expected"),
    [
        # New tickets: the alert recipients, or every technician when none are configured.
        (AlertEvent.NEW_TICKET, DEFAULTS, None, "jane@customer.test", None, EVERYONE),
        (AlertEvent.NEW_TICKET, CONFIGURED, None, "jane@customer.test", None,
         ("bob@example.com",)),
        # ... never the technician who opened it for a customer.
        (AlertEvent.NEW_TICKET, DEFAULTS, None, "alice@example.com", None,
         ("bob@example.com", "carl@example.com")),
        # Replies and reopens: the assignee, else the alert recipients.
        (AlertEvent.CUSTOMER_REPLY, DEFAULTS, "carl@example.com", "jane@customer.test", None,
         ("carl@example.com",)),
        (AlertEvent.CUSTOMER_REPLY, CONFIGURED, None, "jane@customer.test", None,
         ("bob@example.com",)),
        (AlertEvent.REOPENED, DEFAULTS, None, "jane@customer.test", None, EVERYONE),
        (AlertEvent.REOPENED, DEFAULTS, "Alice@Example.com", "jane@customer.test", None,
         ("alice@example.com",)),
        # #assign: the new assignee, unless they assigned themselves.
        (AlertEvent.ASSIGNED, DEFAULTS, None, "alice@example.com", "bob@example.com",
         ("bob@example.com",)),
        (AlertEvent.ASSIGNED, DEFAULTS, None, "alice@example.com", "alice@example.com", ()),
        # #note: the assignee, when someone else wrote it; nobody when unassigned.
        (AlertEvent.NOTE, DEFAULTS, "alice@example.com", "bob@example.com", None,
         ("alice@example.com",)),
        (AlertEvent.NOTE, DEFAULTS, "alice@example.com", "alice@example.com", None, ()),
        (AlertEvent.NOTE, DEFAULTS, None, "bob@example.com", None, ()),
        # Escalations: the assignee and the escalation list; with neither, the recipients.
        (AlertEvent.ESCALATION, CONFIGURED, "alice@example.com", None, None,
         ("alice@example.com", "lead@example.com")),
        (AlertEvent.ESCALATION, CONFIGURED, None, None, None, ("lead@example.com",)),
        (AlertEvent.ESCALATION, DEFAULTS, None, None, None, EVERYONE),
        # A low satisfaction rating: like an escalation.
        (AlertEvent.LOW_RATING, CONFIGURED, "alice@example.com", "jane@customer.test", None,
         ("alice@example.com", "lead@example.com")),
        (AlertEvent.LOW_RATING, DEFAULTS, None, "jane@customer.test", None, EVERYONE),
    ],
)
def test_recipients(event: AlertEvent, audience: AlertAudience, assignee: str | None,
                    actor: str | None, new_assignee: str | None,
                    expected: tuple[str, ...]) -> None:
    assert alert_recipients(event, audience, assignee=assignee, actor=actor,
                            new_assignee=new_assignee) == expected


def test_digest_recipients_default_to_every_technician() -> None:
    assert DEFAULTS.digest == EVERYONE
    assert AlertAudience(TECHS, digest_recipients=("lead@example.com",)).digest == (
        "lead@example.com",)
