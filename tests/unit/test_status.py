"""The status rules (PRODUCT.md section 2): every status x event pair, as one table.

Each row is a ticket state, an event, and the whole expected `Transition`. A refused event
is expected to change nothing; its reason only has to be present (the text is for humans).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

import pytest

from inbox_worker.domain.model import MailKind, Status
from inbox_worker.domain.rules import (
    auto_close_cutoff,
    is_auto_close_due,
    is_scheduled_start_due,
)
from inbox_worker.domain.status import (
    AutoClose,
    AutomaticMail,
    CustomerReply,
    Event,
    NoticeKind,
    Place,
    Policy,
    ScheduledStart,
    SetStatus,
    TechnicianNote,
    TechnicianReply,
    TicketState,
    Transition,
    decide,
    new_ticket,
)

OP, IP, AN, CL = Status.OPEN, Status.IN_PROGRESS, Status.ANSWERED, Status.CLOSED
SC, OH, CR = Status.SCHEDULED, Status.ON_HOLD, Status.CUSTOMER_REPLY
N = NoticeKind

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
OLD = NOW - 40 * DAY  # an earlier answer, long before the current status
RECENT = NOW - 2 * DAY  # a recent answer or closing
SOON = NOW + DAY  # a pending schedule, not yet due
LATER = NOW + 3 * DAY  # a new schedule a technician sets
DEFAULT = Policy()
PLUS2 = timezone(timedelta(hours=2))

# One typical ticket per status.
ST = {
    OP: TicketState(OP),
    IP: TicketState(IP, answered_at=OLD),
    AN: TicketState(AN, answered_at=RECENT),
    CL: TicketState(CL, closed_at=RECENT, answered_at=OLD),
    SC: TicketState(SC, scheduled_for=SOON, answered_at=OLD),
    OH: TicketState(OH, answered_at=OLD),
    CR: TicketState(CR, answered_at=OLD),
}
REASON = "<any reason>"


class Row(NamedTuple):
    id: str
    ticket: TicketState
    event: Event
    expected: Transition
    policy: Policy = DEFAULT
    now: datetime = NOW


def to(
    status: Status,
    changed: bool,
    place: Place,
    notice: NoticeKind | None,
    *,
    sched: datetime | None = None,
    closed: datetime | None = None,
    answered: datetime | None = None,
) -> Transition:
    return Transition(status, changed, place, sched, closed, answered, notice=notice)


def same(ticket: TicketState, *, linked: bool = False) -> Transition:
    return Transition(
        ticket.status,
        False,
        "keep",
        ticket.scheduled_for,
        ticket.closed_at,
        ticket.answered_at,
        open_linked_ticket=linked,
    )


def refused(ticket: TicketState) -> Transition:
    return dataclasses.replace(same(ticket), rejected=REASON)


def closed_ago(age: timedelta) -> TicketState:
    return TicketState(CL, closed_at=NOW - age, answered_at=OLD)


def answered_ago(age: timedelta, **kw: datetime | None) -> TicketState:
    return TicketState(AN, answered_at=NOW - age, **kw)


# fmt: off
CUSTOMER_REPLY = [
    Row("open->cr back", ST[OP], CustomerReply(), to(CR, True, "back", None)),
    Row("in-progress->cr keep", ST[IP], CustomerReply(), to(CR, True, "keep", None, answered=OLD)),
    Row("answered->cr back", ST[AN], CustomerReply(),
        to(CR, True, "back", None, answered=RECENT)),
    Row("closed 2d->reopened", ST[CL], CustomerReply(),
        to(CR, True, "back", N.REOPENED, answered=OLD)),
    Row("scheduled->cr keeps schedule", ST[SC], CustomerReply(),
        to(CR, True, "keep", None, sched=SOON, answered=OLD)),
    Row("on-hold->cr keep", ST[OH], CustomerReply(), to(CR, True, "keep", None, answered=OLD)),
    Row("cr->cr keep", ST[CR], CustomerReply(), to(CR, False, "keep", None, answered=OLD)),
    # The reopen window around its boundary, and a custom policy.
    Row("closed 29d->reopened", closed_ago(29 * DAY), CustomerReply(),
        to(CR, True, "back", N.REOPENED, answered=OLD)),
    Row("closed exactly 30d->reopened", closed_ago(30 * DAY), CustomerReply(),
        to(CR, True, "back", N.REOPENED, answered=OLD)),
    Row("closed 30d+1s->linked", closed_ago(30 * DAY + SECOND), CustomerReply(),
        same(closed_ago(30 * DAY + SECOND), linked=True)),
    Row("closed 45d->linked", closed_ago(45 * DAY), CustomerReply(),
        same(closed_ago(45 * DAY), linked=True)),
    Row("closed 7d reopen_days=7->reopened", closed_ago(7 * DAY), CustomerReply(),
        to(CR, True, "back", N.REOPENED, answered=OLD), Policy(reopen_days=7)),
    Row("closed 8d reopen_days=7->linked", closed_ago(8 * DAY), CustomerReply(),
        same(closed_ago(8 * DAY), linked=True), Policy(reopen_days=7)),
    Row("closed without closed_at->reopened", TicketState(CL), CustomerReply(),
        to(CR, True, "back", N.REOPENED)),
    Row("cr with pending schedule keeps it", TicketState(CR, scheduled_for=SOON), CustomerReply(),
        to(CR, False, "keep", None, sched=SOON)),
]

TECHNICIAN_REPLY = [
    Row("open->answered", ST[OP], TechnicianReply(), to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("in-progress->answered", ST[IP], TechnicianReply(),
        to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("answered->answered restarts clock", ST[AN], TechnicianReply(),
        to(AN, False, "keep", N.ANSWER, answered=NOW)),
    Row("closed->answered", ST[CL], TechnicianReply(),
        to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("scheduled->answered keeps schedule", ST[SC], TechnicianReply(),
        to(AN, True, "keep", N.ANSWER, sched=SOON, answered=NOW)),
    Row("on-hold->answered", ST[OH], TechnicianReply(),
        to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("cr->answered", ST[CR], TechnicianReply(), to(AN, True, "keep", N.ANSWER, answered=NOW)),
]

SET_IN_PROGRESS = [
    Row("open #in-progress", ST[OP], SetStatus(IP), to(IP, True, "keep", None)),
    Row("in-progress #in-progress", ST[IP], SetStatus(IP),
        to(IP, False, "keep", None, answered=OLD)),
    Row("answered #in-progress", ST[AN], SetStatus(IP),
        to(IP, True, "keep", None, answered=RECENT)),
    Row("closed #in-progress reopens", ST[CL], SetStatus(IP),
        to(IP, True, "keep", None, answered=OLD)),
    Row("scheduled #in-progress drops schedule", ST[SC], SetStatus(IP),
        to(IP, True, "keep", None, answered=OLD)),
    Row("on-hold #in-progress", ST[OH], SetStatus(IP), to(IP, True, "keep", None, answered=OLD)),
    Row("cr #in-progress", ST[CR], SetStatus(IP), to(IP, True, "keep", None, answered=OLD)),
]

SET_ANSWERED = [
    Row("open #answered", ST[OP], SetStatus(AN), to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("in-progress #answered", ST[IP], SetStatus(AN),
        to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("answered #answered", ST[AN], SetStatus(AN),
        to(AN, False, "keep", N.ANSWER, answered=NOW)),
    Row("closed #answered", ST[CL], SetStatus(AN), to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("scheduled #answered keeps schedule", ST[SC], SetStatus(AN),
        to(AN, True, "keep", N.ANSWER, sched=SOON, answered=NOW)),
    Row("on-hold #answered", ST[OH], SetStatus(AN), to(AN, True, "keep", N.ANSWER, answered=NOW)),
    Row("cr #answered", ST[CR], SetStatus(AN), to(AN, True, "keep", N.ANSWER, answered=NOW)),
]

SET_CLOSED = [
    Row("open #closed", ST[OP], SetStatus(CL), to(CL, True, "keep", N.CLOSED, closed=NOW)),
    Row("in-progress #closed", ST[IP], SetStatus(CL),
        to(CL, True, "keep", N.CLOSED, closed=NOW, answered=OLD)),
    Row("answered #closed", ST[AN], SetStatus(CL),
        to(CL, True, "keep", N.CLOSED, closed=NOW, answered=RECENT)),
    Row("closed #closed keeps first closing", ST[CL], SetStatus(CL),
        to(CL, False, "keep", N.CLOSED, closed=RECENT, answered=OLD)),
    Row("scheduled #closed drops schedule", ST[SC], SetStatus(CL),
        to(CL, True, "keep", N.CLOSED, closed=NOW, answered=OLD)),
    Row("on-hold #closed", ST[OH], SetStatus(CL),
        to(CL, True, "keep", N.CLOSED, closed=NOW, answered=OLD)),
    Row("cr #closed", ST[CR], SetStatus(CL),
        to(CL, True, "keep", N.CLOSED, closed=NOW, answered=OLD)),
]

SET_ON_HOLD = [
    Row("open #on-hold", ST[OP], SetStatus(OH), to(OH, True, "keep", N.ON_HOLD)),
    Row("in-progress #on-hold", ST[IP], SetStatus(OH, "vendor"),
        to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
    Row("answered #on-hold", ST[AN], SetStatus(OH),
        to(OH, True, "keep", N.ON_HOLD, answered=RECENT)),
    Row("closed #on-hold", ST[CL], SetStatus(OH), to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
    Row("scheduled #on-hold drops schedule", ST[SC], SetStatus(OH),
        to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
    Row("on-hold #on-hold", ST[OH], SetStatus(OH), to(OH, False, "keep", N.ON_HOLD, answered=OLD)),
    Row("cr #on-hold", ST[CR], SetStatus(OH), to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
    # The billing reason, any case, and reasons that only look like it.
    Row("open #on-hold billing", ST[OP], SetStatus(OH, "billing"),
        to(OH, True, "keep", N.ON_HOLD_BILLING)),
    Row("in-progress #on-hold Billing", ST[IP], SetStatus(OH, "Billing"),
        to(OH, True, "keep", N.ON_HOLD_BILLING, answered=OLD)),
    Row("answered #on-hold BILLING", ST[AN], SetStatus(OH, " BILLING "),
        to(OH, True, "keep", N.ON_HOLD_BILLING, answered=RECENT)),
    Row("closed #on-hold billing", ST[CL], SetStatus(OH, "billing"),
        to(OH, True, "keep", N.ON_HOLD_BILLING, answered=OLD)),
    Row("scheduled #on-hold billing", ST[SC], SetStatus(OH, "billing"),
        to(OH, True, "keep", N.ON_HOLD_BILLING, answered=OLD)),
    Row("on-hold #on-hold billing", ST[OH], SetStatus(OH, "billing"),
        to(OH, False, "keep", N.ON_HOLD_BILLING, answered=OLD)),
    Row("cr #on-hold billing", ST[CR], SetStatus(OH, "billing"),
        to(OH, True, "keep", N.ON_HOLD_BILLING, answered=OLD)),
    Row("on-hold reason billings is not billing", ST[CR], SetStatus(OH, "billings"),
        to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
    Row("on-hold empty reason", ST[CR], SetStatus(OH, ""),
        to(OH, True, "keep", N.ON_HOLD, answered=OLD)),
]

SET_SCHEDULED = [
    Row("open #scheduled future", ST[OP], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER)),
    Row("in-progress #scheduled future", ST[IP], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER, answered=OLD)),
    Row("answered #scheduled future", ST[AN], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER, answered=RECENT)),
    Row("closed #scheduled future", ST[CL], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER, answered=OLD)),
    Row("scheduled #scheduled moves the date", ST[SC], SetStatus(SC, scheduled_for=LATER),
        to(SC, False, "keep", N.SCHEDULED, sched=LATER, answered=OLD)),
    Row("on-hold #scheduled future", ST[OH], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER, answered=OLD)),
    Row("cr #scheduled future", ST[CR], SetStatus(SC, scheduled_for=LATER),
        to(SC, True, "keep", N.SCHEDULED, sched=LATER, answered=OLD)),
    Row("one second ahead is ahead", ST[OP], SetStatus(SC, scheduled_for=NOW + SECOND),
        to(SC, True, "keep", N.SCHEDULED, sched=NOW + SECOND)),
    Row("other time zone, ahead", ST[OP],
        SetStatus(SC, scheduled_for=datetime(2026, 6, 1, 14, 30, tzinfo=PLUS2)),
        to(SC, True, "keep", N.SCHEDULED,
           sched=datetime(2026, 6, 1, 14, 30, tzinfo=PLUS2))),
]

PAST = NOW - timedelta(hours=1)
SET_SCHEDULED_REFUSED = [
    Row(f"{s} #scheduled past refused", ST[s], SetStatus(SC, scheduled_for=PAST), refused(ST[s]))
    for s in ST
] + [
    Row("#scheduled now refused", ST[OP], SetStatus(SC, scheduled_for=NOW), refused(ST[OP])),
    Row("#scheduled without time refused", ST[IP], SetStatus(SC), refused(ST[IP])),
    Row("#scheduled naive time refused", ST[IP],
        SetStatus(SC, scheduled_for=LATER.replace(tzinfo=None)), refused(ST[IP])),
    Row("#scheduled behind in another zone refused", ST[OP],
        SetStatus(SC, scheduled_for=datetime(2026, 6, 1, 13, 30, tzinfo=PLUS2)),
        refused(ST[OP])),
    Row("#closed with a date refused", ST[CR], SetStatus(CL, scheduled_for=LATER), refused(ST[CR])),
]

SET_QUEUE_STATUS_REFUSED = [
    Row(f"{s} #{target} refused", ST[s], SetStatus(target), refused(ST[s]))
    for target in (OP, CR)
    for s in ST
]

AUTO_CLOSE = [
    Row(f"{s} auto-close refused", ST[s], AutoClose(), refused(ST[s])) for s in ST if s != AN
] + [
    Row("answered 2d auto-close refused", ST[AN], AutoClose(), refused(ST[AN])),
    Row("answered 29d23h59m refused", answered_ago(30 * DAY - timedelta(minutes=1)), AutoClose(),
        refused(answered_ago(30 * DAY - timedelta(minutes=1)))),
    Row("answered exactly 30d closes", answered_ago(30 * DAY), AutoClose(),
        to(CL, True, "keep", N.AUTO_CLOSED, closed=NOW, answered=NOW - 30 * DAY)),
    Row("answered 31d closes", answered_ago(31 * DAY), AutoClose(),
        to(CL, True, "keep", N.AUTO_CLOSED, closed=NOW, answered=NOW - 31 * DAY)),
    Row("answered 6d23h auto_close_days=7 refused", answered_ago(7 * DAY - timedelta(hours=1)),
        AutoClose(), refused(answered_ago(7 * DAY - timedelta(hours=1))),
        Policy(auto_close_days=7)),
    Row("answered 7d auto_close_days=7 closes", answered_ago(7 * DAY), AutoClose(),
        to(CL, True, "keep", N.AUTO_CLOSED, closed=NOW, answered=NOW - 7 * DAY),
        Policy(auto_close_days=7)),
    Row("answered 31d with pending schedule refused", answered_ago(31 * DAY, scheduled_for=SOON),
        AutoClose(), refused(answered_ago(31 * DAY, scheduled_for=SOON))),
    Row("answered without answer time refused", TicketState(AN), AutoClose(),
        refused(TicketState(AN))),
]

DUE = NOW - timedelta(minutes=5)
SCHEDULED_START = [
    Row(f"{s} no schedule start refused", ST[s], ScheduledStart(), refused(ST[s]))
    for s in ST if s != SC
] + [
    Row("scheduled not yet due refused", ST[SC], ScheduledStart(), refused(ST[SC])),
    Row("scheduled due->in-progress", TicketState(SC, scheduled_for=DUE, answered_at=OLD),
        ScheduledStart(), to(IP, True, "keep", None, answered=OLD)),
    Row("scheduled exactly now->in-progress", TicketState(SC, scheduled_for=NOW),
        ScheduledStart(), to(IP, True, "keep", None)),
    Row("cr with due schedule->in-progress", TicketState(CR, scheduled_for=DUE),
        ScheduledStart(), to(IP, True, "keep", None)),
    Row("answered with due schedule->in-progress", TicketState(AN, scheduled_for=DUE,
        answered_at=RECENT), ScheduledStart(), to(IP, True, "keep", None, answered=RECENT)),
    Row("in-progress with due schedule clears it", TicketState(IP, scheduled_for=DUE),
        ScheduledStart(), to(IP, False, "keep", None)),
    Row("closed with leftover schedule refused", TicketState(CL, closed_at=RECENT,
        scheduled_for=DUE), ScheduledStart(),
        refused(TicketState(CL, closed_at=RECENT, scheduled_for=DUE))),
]

NOTHING_CHANGES = [
    Row(f"{s} {name} changes nothing", ST[s], event, same(ST[s]))
    for name, event in (
        ("auto-reply", AutomaticMail(MailKind.AUTO_REPLY)),
        ("bounce", AutomaticMail(MailKind.BOUNCE)),
        ("#note", TechnicianNote()),
    )
    for s in ST
]
# fmt: on

ROWS = (
    CUSTOMER_REPLY
    + TECHNICIAN_REPLY
    + SET_IN_PROGRESS
    + SET_ANSWERED
    + SET_CLOSED
    + SET_ON_HOLD
    + SET_SCHEDULED
    + SET_SCHEDULED_REFUSED
    + SET_QUEUE_STATUS_REFUSED
    + AUTO_CLOSE
    + SCHEDULED_START
    + NOTHING_CHANGES
)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_decide(row: Row) -> None:
    got = decide(row.ticket, row.event, row.now, row.policy)
    if got.rejected is not None:
        assert got.rejected.strip(), "a refusal must say why"
        got = dataclasses.replace(got, rejected=REASON)
    assert got == row.expected


def _label(event: Event) -> str:
    if isinstance(event, SetStatus):
        return f"SetStatus({event.status})"
    if isinstance(event, AutomaticMail):
        return f"AutomaticMail({event.kind})"
    return type(event).__name__


def test_table_covers_every_status_and_event() -> None:
    labels = {
        _label(e)
        for e in (
            CustomerReply(),
            TechnicianReply(),
            AutoClose(),
            ScheduledStart(),
            TechnicianNote(),
            AutomaticMail(MailKind.AUTO_REPLY),
            AutomaticMail(MailKind.BOUNCE),
        )
    } | {f"SetStatus({s})" for s in Status}
    seen = {(row.ticket.status, _label(row.event)) for row in ROWS}
    missing = {(s, label) for s in Status for label in labels} - seen
    assert not missing


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_next_state_is_what_the_transition_says(row: Row) -> None:
    got = decide(row.ticket, row.event, row.now, row.policy)
    if got.rejected or got.open_linked_ticket:
        assert got.next_state == row.ticket
    assert got.next_state.status == got.status


# --- the rules runner's predicates agree with decide() -----------------------------------

PROBE_STATES = [
    *ST.values(),
    TicketState(AN),
    TicketState(CR, scheduled_for=NOW),
    TicketState(AN, answered_at=NOW - 30 * DAY, scheduled_for=NOW + DAY),
    TicketState(CL, closed_at=RECENT, scheduled_for=NOW - DAY),
    *(answered_ago(age) for age in (29 * DAY, 30 * DAY, 31 * DAY)),
]
PROBE_TIMES = [NOW + k * timedelta(hours=12) for k in range(-2, 70)]


@pytest.mark.parametrize("policy", [DEFAULT, Policy(auto_close_days=7), Policy(0, 0)])
def test_is_auto_close_due_agrees_with_decide(policy: Policy) -> None:
    for ticket in PROBE_STATES:
        for now in PROBE_TIMES:
            refused_ = decide(ticket, AutoClose(), now, policy).rejected is not None
            assert is_auto_close_due(ticket, now, policy) is not refused_, (ticket, now)


def test_is_scheduled_start_due_agrees_with_decide() -> None:
    for ticket in PROBE_STATES:
        for now in PROBE_TIMES:
            refused_ = decide(ticket, ScheduledStart(), now, DEFAULT).rejected is not None
            assert is_scheduled_start_due(ticket, now) is not refused_, (ticket, now)


def test_auto_close_cutoff_is_the_due_boundary() -> None:
    cutoff = auto_close_cutoff(NOW, DEFAULT)
    assert cutoff == NOW - 30 * DAY
    assert is_auto_close_due(TicketState(AN, answered_at=cutoff), NOW, DEFAULT)
    later = cutoff + timedelta(microseconds=1)
    assert not is_auto_close_due(TicketState(AN, answered_at=later), NOW, DEFAULT)


# --- creation and guards ------------------------------------------------------------------


def test_new_ticket_is_open_at_the_back_and_acknowledged() -> None:
    t = new_ticket(NOW)
    assert t == Transition(OP, True, "back", None, None, None, notice=N.ACKNOWLEDGED)
    assert t.next_state == TicketState(OP)


def test_reply_after_window_then_new_ticket_is_acknowledged() -> None:
    old = closed_ago(31 * DAY)
    t = decide(old, CustomerReply(), NOW, DEFAULT)
    assert t.open_linked_ticket and t.notice is None and t.next_state == old
    assert new_ticket(NOW).notice is N.ACKNOWLEDGED


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        decide(ST[OP], CustomerReply(), NOW.replace(tzinfo=None), DEFAULT)
    with pytest.raises(ValueError):
        new_ticket(NOW.replace(tzinfo=None))


def test_negative_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        Policy(auto_close_days=-1)
    with pytest.raises(ValueError):
        Policy(reopen_days=-1)


def test_unknown_event_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        decide(ST[OP], object(), NOW, DEFAULT)  # type: ignore[arg-type]


def test_schedule_survives_a_reply_and_still_starts() -> None:
    # Scheduled -> customer reply -> technician answer -> the time comes -> In Progress.
    state = TicketState(SC, scheduled_for=SOON)
    for event in (CustomerReply(), TechnicianReply()):
        state = decide(state, event, NOW, DEFAULT).next_state
    assert state.status is AN and state.scheduled_for == SOON
    assert not is_auto_close_due(state, SOON + 40 * DAY, DEFAULT)
    started = decide(state, ScheduledStart(), SOON, DEFAULT)
    assert started.status is IP and started.scheduled_for is None and started.notice is None
