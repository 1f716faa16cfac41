"""What a notice template may use: the documented variables, filters and sample data.

`TEMPLATE_VARIABLES` is the contract with the admins who edit `templates/`: `check()` flags
any other name a template reads, and the README's table is copied from `TEMPLATE_DOC`.
Every value is plain data (dicts, strings, datetimes, None), never an ORM object, so a
template cannot reach the database or the settings even through a sandbox-safe attribute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from inbox_worker.domain.followup import ANSWER_DAYS, survey_links
from inbox_worker.domain.status import NoticeKind

# Mails to technicians and leads rather than customers: alerts (every event of section 4a,
# told apart by `alert.event`), the daily digest, and the answer to a command by mail.
ALERT, DIGEST, COMMAND_REPLY = "alert", "digest", "command_reply"
INTERNAL_KINDS: tuple[str, ...] = (ALERT, DIGEST, COMMAND_REPLY)

# The report mail (`service.report_mail`) is rendered in code, not from a template; like the
# internal mails it goes to several team addresses at once.
REPORT = "report"
TEAM_MAIL_KINDS: tuple[str, ...] = (*INTERNAL_KINDS, REPORT)

NOTICE_KINDS: tuple[str, ...] = tuple(kind.value for kind in NoticeKind) + INTERNAL_KINDS

TEMPLATE_VARIABLES: dict[str, str] = {
    "ticket": (
        "the ticket: ticket.ref (T-42), ticket.token (IW-7K3M9QX2PD), ticket.subject, "
        "ticket.status (Open, In Progress, Answered, Closed, Scheduled, On-Hold, "
        "Customer-Reply), ticket.priority (urgent, high, normal, low), ticket.category "
        "(text or none), ticket.created_at, ticket.scheduled_for (date-time or none), "
        "ticket.closed_at (date-time or none), ticket.resolution (how the issue was "
        "resolved, as written with #resolution, or none), ticket.resolution_by (who wrote it: "
        "an address, or 'system' for auto-close), ticket.assignee (address or none), "
        "ticket.customer (address), ticket.queue_position (number or none), ticket.due_at "
        "(the next target's deadline or none), ticket.breached (list of first_response, "
        "resolution), ticket.mailbox (the address of our mailbox it came in at)"
    ),
    "customer": "the ticket's customer: customer.address, customer.name ('' when unknown)",
    "recipient": "who gets an alert, digest or command reply (address); '' in notices",
    "support": (
        "the mailbox the ticket came in at, as customers see it: support.address, "
        "support.name (the [support] ones, unless [[mailboxes]] names others)"
    ),
    "status": "the ticket's status after the change (same as ticket.status)",
    "text": (
        "the technician's text relayed to the customer (answer, and on_hold, scheduled, "
        "closed when the technician wrote some); tag_rejected: the refused tags; alert: the "
        "customer's new text in full (a note's text for note); '' otherwise"
    ),
    "reason": (
        "on_hold: the reason the technician gave (none if they gave none); "
        "on_hold_billing: 'billing'; auto_closed: why it closed; none otherwise"
    ),
    "links": "a dict of named links (e.g. links.portal), usually empty",
    "now": "when the notice was written (UTC date-time)",
    "alert": (
        "alerts: alert.event (new_ticket, customer_reply, reopened, assigned, note, "
        "escalation, low_rating), alert.by (who caused it, or ''), alert.breached "
        "(escalation: the missed targets), alert.rating (low_rating: the customer's rating "
        "1-2, else none); empty values elsewhere"
    ),
    "survey": (
        "survey and what_went_wrong: survey.ratings (the answers 1 to 5, each with .rating, "
        ".label such as 'excellent', and .link: a mailto link to the support address whose "
        "subject carries the rating and the token, e.g. 'Rating 4 [IW-7K3M9QX2PD]'), "
        "survey.opt_out (a mailto link asking for no more surveys), survey.rating "
        "(what_went_wrong: the rating the customer gave), survey.answer_days (how long "
        "answers count: 60); empty values elsewhere"
    ),
    "conversation": (
        "alerts and command replies: the recent messages before the new one, oldest first, "
        "each with .direction (in/out), .kind, .from, .at, .text"
    ),
    "attachments": (
        "alerts: the customer's files, each with .filename, .content_type, .size, .size_text "
        "(e.g. '1.2 MB') and .attached (false when over [alerts] attach_max_bytes)"
    ),
    "tickets": "digest and command replies: the tickets listed (each like ticket)",
    "overdue": "digest: the tickets past a response target (each like ticket)",
    "closed": "digest: the tickets closed yesterday (each like ticket, with .resolution)",
    "figures": (
        "digest: yesterday's figures: figures.day, .new, .closed, .answered, .reopened, "
        ".customer_replies, .breached"
    ),
    "command": (
        "command replies: queue, mine, show, or refused (the reasons in text); '' elsewhere"
    ),
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

alert, digest and command_reply go to technicians: alerts of every event (alert.event), the
daily digest, and the answers to #queue, #mine and #show. survey is the satisfaction survey
([followup] after_days after a closing: five mailto answer links and an opt-out link, see
survey below); what_went_wrong asks, once, why a customer rated 1 or 2 without a comment.

A .txt.j2 file starts with a `Subject: ...` line, then one blank line, then the body. The
ticket token is added to the subject automatically (`[IW-...] subject`; not to the digest
and the answers to #queue and #mine, which are about no ticket). Templates are
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
    NoticeKind.SURVEY: "Closed",
    NoticeKind.WHAT_WENT_WRONG: "Closed",
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


_SAMPLE_RESOLUTION = {
    NoticeKind.CLOSED: "Replaced the worn pickup roller; the printer feeds paper again.",
    NoticeKind.AUTO_CLOSED: "closed automatically after 30 days without reply",
}


def status_after(kind: str) -> str:
    return _STATUS_AFTER[NoticeKind(kind)] if kind not in INTERNAL_KINDS else "Open"


def internal_defaults() -> dict[str, Any]:
    """The variables only alerts, digests and command replies fill, empty: every template
    sees every variable (a notice template reading `alert.event` gets '')."""
    return {
        "recipient": "",
        "alert": {"event": "", "by": "", "breached": [], "rating": None},
        "survey": {"ratings": [], "opt_out": "", "rating": None, "answer_days": 0},
        "conversation": [],
        "attachments": [],
        "tickets": [],
        "overdue": [],
        "closed": [],
        "figures": {},
        "command": "",
    }


def size_text(size: int) -> str:
    """1234567 -> '1.2 MB': sizes as people read them in a list of attachments."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def sample_context(kind: str, *, minimal: bool = False) -> dict[str, Any]:
    """Realistic data for `kind`, for previews and `check()`.

    `minimal` leaves every optional value empty (no customer name, no category, no reason
    where one is optional, no links): a template must render with that too.
    """
    if kind in INTERNAL_KINDS:
        return _internal_sample(kind, minimal=minimal)
    notice = NoticeKind(kind)
    now = SAMPLE_NOW
    status = _STATUS_AFTER[notice]
    closed = notice in (NoticeKind.CLOSED, NoticeKind.AUTO_CLOSED, NoticeKind.SURVEY,
                        NoticeKind.WHAT_WENT_WRONG)
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
            "resolution": (_SAMPLE_RESOLUTION.get(notice) if not minimal else None),
            "resolution_by": (None if minimal or notice not in _SAMPLE_RESOLUTION else
                              "system" if notice is NoticeKind.AUTO_CLOSED
                              else "alice@example.com"),
            "assignee": None if minimal else "alice@example.com",
            "customer": "jane.doe@example.org",
            "queue_position": None,
            "due_at": None,
            "breached": [],
            "mailbox": "support@example.com",
        },
        "customer": {"address": "jane.doe@example.org", "name": "" if minimal else "Jane Doe"},
        "support": {"address": "support@example.com", "name": "Example Support"},
        "status": status,
        "text": _SAMPLE_TEXT.get(notice, ""),
        "reason": reason,
        "links": {} if minimal else {"portal": "https://support.example.com/t/IW-7K3M9QX2PD"},
        "now": now,
        **internal_defaults(),
        "survey": _sample_survey(notice),
    }


def _sample_survey(notice: NoticeKind) -> dict[str, Any]:
    if notice not in (NoticeKind.SURVEY, NoticeKind.WHAT_WENT_WRONG):
        return dict(internal_defaults()["survey"])
    return survey_variable("support@example.com", "IW-7K3M9QX2PD",
                           rating=2 if notice is NoticeKind.WHAT_WENT_WRONG else None)


def survey_variable(support_address: str, token: str, *, rating: int | None
                    ) -> dict[str, Any]:
    """The `survey` variable of the survey notices."""
    return {**survey_links(support_address, token), "rating": rating,
            "answer_days": ANSWER_DAYS}


_SAMPLE_CUSTOMER_TEXT = """\
Hello,

the printer on the 2nd floor jams again, now on every second page. It shows error E-204.

Jane"""


def _sample_ticket(ref: str, subject: str, *, status: str = "Customer-Reply",
                   priority: str = "high", position: int | None = 1,
                   assignee: str | None = "alice@example.com",
                   breached: tuple[str, ...] = ()) -> dict[str, Any]:
    now = SAMPLE_NOW
    return {
        "ref": ref, "token": "IW-7K3M9QX2PD", "subject": subject, "status": status,
        "priority": priority, "category": "hardware", "created_at": now - timedelta(days=1),
        "scheduled_for": None, "closed_at": None, "resolution": None, "resolution_by": None,
        "assignee": assignee,
        "customer": "jane.doe@example.org", "queue_position": position,
        "due_at": now + timedelta(hours=3), "breached": list(breached),
        "mailbox": "support@example.com",
    }


def _internal_sample(kind: str, *, minimal: bool) -> dict[str, Any]:
    now = SAMPLE_NOW
    ticket = _sample_ticket("T-42", "Printer on the 2nd floor jams",
                            assignee=None if minimal else "alice@example.com")
    if minimal:
        ticket.update(category=None, due_at=None, queue_position=None, priority="normal")
    context: dict[str, Any] = {
        "ticket": ticket,
        "customer": {"address": "jane.doe@example.org", "name": "" if minimal else "Jane Doe"},
        "support": {"address": "support@example.com", "name": "Example Support"},
        "status": ticket["status"], "text": "", "reason": None, "links": {}, "now": now,
        **internal_defaults(),
        "recipient": "alice@example.com",
    }
    conversation = [
        {"direction": "in", "kind": "customer", "from": "jane.doe@example.org",
         "at": now - timedelta(days=1), "text": "The printer on the 2nd floor jams."},
        {"direction": "out", "kind": "notice", "from": "support@example.com",
         "at": now - timedelta(hours=20), "text": "Could you tell us the error code?"},
    ]
    if kind == ALERT:
        context.update(
            text=_SAMPLE_CUSTOMER_TEXT,
            alert={"event": "new_ticket" if minimal else "customer_reply",
                   "by": "jane.doe@example.org", "breached": [], "rating": None},
            conversation=[] if minimal else conversation,
            attachments=[] if minimal else [
                {"filename": "error.jpg", "content_type": "image/jpeg", "size": 182_000,
                 "size_text": size_text(182_000), "attached": True},
                {"filename": "scan.pdf", "content_type": "application/pdf",
                 "size": 24_000_000, "size_text": size_text(24_000_000), "attached": False},
            ],
        )
    elif kind == DIGEST:
        queue = [] if minimal else [
            ticket, _sample_ticket("T-43", "VPN drops every hour", status="Open",
                                   priority="normal", position=2, assignee=None,
                                   breached=("first_response",)),
        ]
        closed = _sample_ticket("T-39", "Cannot print from the laptop", status="Closed",
                                position=None)
        closed["resolution"] = "Reinstalled the printer driver."
        context.update(
            tickets=queue, overdue=[t for t in queue if t["breached"]],
            closed=[] if minimal else [closed],
            figures={"day": (now - timedelta(days=1)).date(), "new": 0 if minimal else 7,
                     "closed": 0 if minimal else 5, "answered": 0 if minimal else 9,
                     "reopened": 0 if minimal else 1, "customer_replies": 0 if minimal else 4,
                     "breached": 0 if minimal else 1},
        )
    else:
        context.update(command="queue" if minimal else "show",
                       tickets=[] if minimal else [ticket],
                       conversation=[] if minimal else conversation)
    return context
