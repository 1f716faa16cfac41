"""What a notice template may use: the documented variables, filters and sample data.

`TEMPLATE_VARIABLES` is the contract with the admins who edit `templates/`: `check()` flags
any other name a template reads, and the README's table is copied from `TEMPLATE_DOC`.
Every value is plain data (dicts, strings, datetimes, None), never an ORM object, so a
template cannot reach the database or the settings even through a sandbox-safe attribute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from inbox_worker.domain.status import NoticeKind

NOTICE_KINDS: tuple[str, ...] = tuple(kind.value for kind in NoticeKind)

TEMPLATE_VARIABLES: dict[str, str] = {
    "ticket": (
        "the ticket: ticket.ref (T-42), ticket.token (IW-7K3M9QX2PD), ticket.subject, "
        "ticket.status (Open, In Progress, Answered, Closed, Scheduled, On-Hold, "
        "Customer-Reply), ticket.priority (urgent, high, normal, low), ticket.category "
        "(text or none), ticket.created_at, ticket.scheduled_for (date-time or none), "
        "ticket.closed_at (date-time or none)"
    ),
    "customer": "who gets the notice: customer.address, customer.name ('' when unknown)",
    "support": "the support mailbox: support.address, support.name",
    "status": "the ticket's status after the change (same as ticket.status)",
    "text": (
        "the technician's text relayed to the customer (answer, and on_hold, scheduled, "
        "closed when the technician wrote some); tag_rejected: the refused tags; '' otherwise"
    ),
    "reason": (
        "on_hold: the reason the technician gave (none if they gave none); "
        "on_hold_billing: 'billing'; auto_closed: why it closed; none otherwise"
    ),
    "links": "a dict of named links (e.g. links.portal), usually empty",
    "now": "when the notice was written (UTC date-time)",
}

TEMPLATE_FILTERS: dict[str, str] = {
    "datetime": (
        "a readable date and time: {{ ticket.scheduled_for | datetime }} gives "
        "'Tuesday, 1 December 2026, 02:00 UTC'; {{ ... | datetime('Europe/Berlin') }} "
        "shows it in that time zone"
    ),
    "date": "a readable date: {{ ticket.created_at | date }} gives '2 November 2026'",
}

TEMPLATE_DOC = """\
Notice templates live in the templates directory ([templates] dir, default `templates/`),
one file per notice: NAME.txt.j2 for the subject and plain-text body, and optionally
NAME.html.j2 for an HTML alternative (autoescaped). NAME is one of:
""" + "  " + ", ".join(NOTICE_KINDS) + """.

A .txt.j2 file starts with a `Subject: ...` line, then one blank line, then the body. The
ticket token is added to the subject automatically (`[IW-...] subject`). Templates are
Jinja2 rendered in a sandbox; changes are picked up without a restart, and a broken
template is reported (`inbox-worker templates check`) while the last good version, or the
built-in default, keeps being used.

Variables:
""" + "".join(f"  {name:<9} {doc}\n" for name, doc in TEMPLATE_VARIABLES.items()) + """
Filters:
""" + "".join(f"  {name:<9} {doc}\n" for name, doc in TEMPLATE_FILTERS.items())

# The status a ticket has after the change that causes each notice.
_STATUS_AFTER = {
    NoticeKind.ACKNOWLEDGED: "Open",
    NoticeKind.ANSWER: "Answered",
    NoticeKind.ON_HOLD: "On-Hold",
    NoticeKind.ON_HOLD_BILLING: "On-Hold",
    NoticeKind.SCHEDULED: "Scheduled",
    NoticeKind.CLOSED: "Closed",
    NoticeKind.AUTO_CLOSED: "Closed",
    NoticeKind.REOPENED: "Customer-Reply",
    NoticeKind.TAG_REJECTED: "Open",
}

SAMPLE_NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

_SAMPLE_ANSWER = """\
Hello Jane,

the jam comes from a worn pickup roller. I have ordered a new one; until it arrives,
please use the printer on the 3rd floor.

Best regards,
Alice"""

_SAMPLE_TEXT = {
    NoticeKind.ANSWER: _SAMPLE_ANSWER,
    NoticeKind.TAG_REJECTED: "#status done: unknown status 'done': use in-progress, answered, "
    "on-hold [reason], scheduled YYYY-MM-DD [HH:MM], closed",
}

_SAMPLE_REASON = {
    NoticeKind.ON_HOLD: "waiting for the vendor's replacement part",
    NoticeKind.ON_HOLD_BILLING: "billing",
    NoticeKind.AUTO_CLOSED: "no reply for 30 days after our answer",
}


def status_after(kind: str) -> str:
    return _STATUS_AFTER[NoticeKind(kind)]


def sample_context(kind: str, *, minimal: bool = False) -> dict[str, Any]:
    """Realistic data for `kind`, for previews and `check()`.

    `minimal` leaves every optional value empty (no customer name, no category, no reason
    where one is optional, no links): a template must render with that too.
    """
    notice = NoticeKind(kind)
    now = SAMPLE_NOW
    status = _STATUS_AFTER[notice]
    closed = notice in (NoticeKind.CLOSED, NoticeKind.AUTO_CLOSED)
    reason = _SAMPLE_REASON.get(notice)
    if minimal and notice is NoticeKind.ON_HOLD:
        reason = None
    return {
        "ticket": {
            "ref": "T-42",
            "token": "IW-7K3M9QX2PD",
            "subject": "Printer on the 2nd floor jams",
            "status": status,
            "priority": "normal" if minimal else "high",
            "category": None if minimal else "hardware",
            "created_at": now - timedelta(days=3, hours=2),
            "scheduled_for": (
                datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
                if notice is NoticeKind.SCHEDULED
                else None
            ),
            "closed_at": now if closed else None,
        },
        "customer": {"address": "jane.doe@example.org", "name": "" if minimal else "Jane Doe"},
        "support": {"address": "support@example.com", "name": "Example Support"},
        "status": status,
        "text": _SAMPLE_TEXT.get(notice, ""),
        "reason": reason,
        "links": {} if minimal else {"portal": "https://support.example.com/t/IW-7K3M9QX2PD"},
        "now": now,
    }
