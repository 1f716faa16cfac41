"""A calendar invitation (text/calendar, an .ics file) summarised in a few lines of text.

Outlook and Google Calendar send an invitation's what, when and where only inside the
calendar part; the mail's text may say nothing of it. The summary is read with icalendar
(time zones included: Outlook's Windows zone names are shown by their IANA names) and
holds only what the calendar states: the event's SUMMARY and LOCATION (one line each,
length-capped: they are free text from the sender), its start and end, and whether it is
cancelled. Everything else (DESCRIPTION, attendees) stays in the .ics, which is kept as
an attachment. A calendar icalendar cannot read gives no summary, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from inbox_worker.mail.decode import decode_bytes, one_line

log = logging.getLogger(__name__)

CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})

MAX_CALENDAR_BYTES = 256 * 1024  # invitations are a few KB; icalendar takes ~1 s per 1.5 MB
MAX_EVENTS = 3
MAX_FIELD = 200
MAX_ZONE = 64

# METHOD (RFC 5546) -> how the summary names the mail.
_LABELS = {"REQUEST": "Invitation", "ADD": "Invitation", "CANCEL": "Cancelled",
           "COUNTER": "New time proposed", "REPLY": "Reply"}  # fmt: skip
_REPLIES = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative",
            "DELEGATED": "Delegated"}  # fmt: skip


def is_calendar(content_type: str, filename: str) -> bool:
    return content_type in CALENDAR_TYPES or filename.lower().endswith(".ics")


def invitation_summary(calendars: Iterable[bytes]) -> str:
    """The summary lines of every event of these calendars (each distinct one once)."""
    blocks: dict[str, None] = {}
    for data in calendars:
        if len(data) > MAX_CALENDAR_BYTES:
            log.info("calendar of %d bytes not summarised (over %d)", len(data),
                     MAX_CALENDAR_BYTES)
            continue
        for block in _summaries(data):
            blocks[block] = None
    return "\n\n".join(blocks)


def _summaries(data: bytes) -> list[str]:
    # Imported here: most mails hold no calendar, and the worker need not load it for them.
    import icalendar

    try:
        calendars = icalendar.Calendar.from_ical(decode_bytes(data, "utf-8")[0], multiple=True)
    except Exception as exc:  # noqa: BLE001 - a calendar we cannot read is only not summarised
        log.info("calendar not summarised: %s: %s", type(exc).__name__, one_line(str(exc))[:200])
        return []
    found: list[str] = []
    for calendar in calendars:
        method = _text(calendar.get("METHOD")).upper()
        events = calendar.walk("VEVENT")
        for event in events[:MAX_EVENTS]:
            found.append(_event(event, method))
        if len(events) > MAX_EVENTS:
            found.append(f"... and {len(events) - MAX_EVENTS} more events in the calendar")
    return found


def _event(event: Any, method: str) -> str:
    label = _LABELS.get(method, "Event")
    if method == "REPLY":
        attendee = event.get("ATTENDEE")
        attendee = attendee[0] if isinstance(attendee, list) and attendee else attendee
        status = _param(attendee, "PARTSTAT").upper()
        label = _REPLIES.get(status, label)
    if _text(event.get("STATUS")).upper() == "CANCELLED":
        label = "Cancelled"
    title = _field(event.get("SUMMARY")) or "(no title)"
    lines = [f"[{label}] {title}"]
    when = _when(event)
    if when:
        lines.append(f"When: {when}")
    where = _field(event.get("LOCATION"))
    if where:
        lines.append(f"Where: {where}")
    return "\n".join(lines)


def _when(event: Any) -> str:
    """'2026-12-08 10:00-11:00 (Europe/Berlin)', as the calendar's own clock says."""
    start = event.get("DTSTART")
    if start is None:
        return ""
    try:
        when = _span(start.dt, _end(event, start.dt), _zone(start))
    except Exception as exc:  # noqa: BLE001 - a broken date leaves the line out, nothing else
        log.info("invitation time not read: %s", type(exc).__name__)
        return ""
    return when + (" (repeats)" if event.get("RRULE") is not None else "")


def _span(begin: date, end: date | None, zone: str) -> str:
    if not isinstance(begin, datetime):  # an all-day event: DTEND is the day after
        last = end - timedelta(days=1) if isinstance(end, date) and end > begin else begin
        return f"{begin:%Y-%m-%d}" + (f" to {last:%Y-%m-%d}" if last != begin else "") + (
            " (all day)")
    text = f"{begin:%Y-%m-%d %H:%M}"
    if isinstance(end, datetime):
        if end.tzinfo is not None and begin.tzinfo is not None:
            end = end.astimezone(begin.tzinfo)
        text += f"-{end:%H:%M}" if end.date() == begin.date() else f" to {end:%Y-%m-%d %H:%M}"
    return text + (f" ({zone})" if zone else "")


def _end(event: Any, begin: date) -> date | None:
    end = event.get("DTEND")
    if end is not None:
        return end.dt  # type: ignore[no-any-return]
    duration = event.get("DURATION")
    if duration is not None and isinstance(duration.dt, timedelta):
        return begin + duration.dt
    return None


def _zone(start: Any) -> str:
    """The start's time zone by name: the TZID as written (a Windows name as IANA's)."""
    begin = start.dt
    if not isinstance(begin, datetime) or begin.tzinfo is None:
        return ""
    tzid = _param(start, "TZID")
    if not tzid:
        return "UTC" if begin.utcoffset() == timedelta(0) else one_line(str(begin.tzname()))
    try:
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
    except ImportError:  # an icalendar without the table: the name as written
        WINDOWS_TO_OLSON = {}  # noqa: N806
    return one_line(WINDOWS_TO_OLSON.get(tzid, tzid))[:MAX_ZONE]


def _param(prop: Any, name: str) -> str:
    params = getattr(prop, "params", None)
    value = params.get(name) if params is not None else None
    return one_line(str(value)) if value is not None else ""


def _text(value: Any) -> str:
    return one_line(str(value)) if value is not None else ""


def _field(value: Any) -> str:
    """A free-text field on one line, capped: the sender wrote it."""
    if isinstance(value, list):  # a property given twice: the first
        value = value[0] if value else None
    text = _text(value)
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "\u2026"
