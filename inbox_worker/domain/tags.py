"""The technicians' tag grammar (PRODUCT.md section 4): tag lines -> typed commands.

This module owns what a tag line is, the grammar of each tag, the messages a technician gets
back for a wrong one, and cutting a technician's private signature. It reads the *new text*
of a reply (quoted history already removed); it decides nothing about the ticket, which is
`status.decide`'s job, and does not know whether the mail is a reply (`#customer` is only
valid in a new mail: the caller checks). Pure: no I/O, `now` and the time zone are arguments.

The grammar, names case-insensitive, words joined by spaces or hyphens::

    #status in-progress | answered | on-hold [reason...] | scheduled DATE [TIME] | closed
    #note
    #assign ADDRESS           (a configured technician)
    #priority urgent | high | normal | low
    #category NAME            (1 to 100 characters)
    #customer ADDRESS
    #resolution TEXT          (how the issue was resolved; "duplicate of T-12" links it)
    #assign me                (the sender, a technician)
    #queue | #mine | #show REF   (commands with no ticket: a new mail to the support address)

Decisions where the brief leaves room (each also noted where it is made):

- A tag line is a line matching ``^\\s*#[A-Za-z]``. The tag block is the top of the text:
  blank lines before, between and after tags belong to it; the first other line ends it,
  and every later line is plain text, even one that looks like a tag. So ``#1 priority``
  at the top is text, while ``#hashtag`` at the top is an (unknown) tag.
- A tag that takes no argument (``#note``, ``#status closed``) refuses text after it rather
  than ignoring it: a technician who wrote more meant something we would silently drop.
- Each tag other than ``#note`` may appear once per mail; a second one is an error even when
  it repeats the same value. ``#note`` twice is harmless and not an error.
- ``#status open`` and ``#status customer-reply`` are refused here: only a customer's mail
  puts a ticket there (the same rule as `status.decide`), and saying so now is clearer.
- A date without a time means 00:00 (start of that day) local time: the work is due that
  day, so the ticket is In Progress before anyone starts work, wherever the working hours
  lie. Consequently a date-only schedule for today is already in the past and refused.
- Times are wall-clock times in ``tz``. A time in a DST gap (e.g. 02:30 on the spring-forward
  day in Europe/Berlin) does not exist and is refused with a message saying so; an ambiguous
  time (the autumn hour that happens twice) takes ``fold=0``, the first occurrence (still
  summer time). The result is returned in UTC and must be strictly after ``now``.
- Addresses are one address (``name@example.com``), optionally in angle brackets or
  with ``mailto:``; the ``addr <mailto:addr>`` form that mail clients make of a typed
  address, and display forms (``Dave Smith <dave@example.com>``, ``"Smith, Dave"
  <dave@example.com>``, ``dave@example.com (Dave)``) are accepted: what a client pastes.
  ASCII only; single-label domains are allowed (as in the configuration). Addresses are
  returned lower-cased.
- Tag lines are removed from the body even when they are wrong; when the text has no tag
  line at all, the body is the text unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain.model import Priority, Status
from inbox_worker.domain.status import SetStatus
from inbox_worker.domain.tag_values import read_address, read_date, wall_time

CATEGORY_MAX = 100
# The signature separator of RFC 3676, section 4.3.
SIGNATURE_SEPARATOR = "-- "

STATUS_USAGE = "in-progress, answered, on-hold [reason], scheduled YYYY-MM-DD [HH:MM], closed"
DATE_USAGE = (
    "YYYY-MM-DD [HH:MM], YYYY-MM-DDTHH:MM or DD.MM.YYYY [HH:MM] (seconds :SS optional; "
    "a date alone means 00:00)"
)
TAG_USAGE = ("#status, #note, #assign, #priority, #category, #customer, #resolution; "
             "in a new mail: #queue, #mine, #show REF")
PRIORITY_USAGE = "urgent, high, normal, low"
RESOLUTION_MAX = 2000
RESOLUTION_USAGE = ("#resolution TEXT, one line saying how the issue was resolved "
                    "(\"duplicate of T-12\" for a duplicate)")


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetStatusCommand:
    """``#status``: `reason` only with On-Hold, `scheduled_for` (UTC) only with Scheduled."""

    status: Status
    reason: str | None = None
    scheduled_for: datetime | None = None

    def as_event(self) -> SetStatus:
        """The event `status.decide` takes."""
        return SetStatus(self.status, self.reason, self.scheduled_for)


@dataclass(frozen=True)
class NoteCommand:
    """``#note``: the whole reply is an internal note; nothing goes to the customer."""


@dataclass(frozen=True)
class AssignCommand:
    address: str


@dataclass(frozen=True)
class PriorityCommand:
    priority: Priority


@dataclass(frozen=True)
class CategoryCommand:
    name: str


@dataclass(frozen=True)
class CustomerCommand:
    """``#customer``: open a ticket on this customer's behalf (new mails only; caller checks)."""

    address: str


@dataclass(frozen=True)
class ResolutionCommand:
    """``#resolution``: how the issue was resolved, kept on the ticket and told to the
    customer when it closes. `duplicate_of` is the ticket named by "duplicate of REF" (a
    ref such as T-12 or a token), which the caller must find."""

    text: str
    duplicate_of: str | None = None


@dataclass(frozen=True)
class QueryCommand:
    """``#queue``, ``#mine``, ``#show REF``: a technician asks, the answer comes by mail.
    Only in a new mail with no other tag (the caller checks)."""

    query: str  # queue | mine | show
    ref: str | None = None


Command = (
    SetStatusCommand
    | QueryCommand
    | NoteCommand
    | AssignCommand
    | PriorityCommand
    | CategoryCommand
    | CustomerCommand
    | ResolutionCommand
)


@dataclass(frozen=True)
class TagError:
    """One wrong tag: the line as written (trimmed) and what was wrong and what is accepted."""

    line: str
    message: str


@dataclass(frozen=True)
class TagParse:
    """The tags found at the top of a reply, the errors in them, and the rest of the text."""

    commands: tuple[Command, ...]
    errors: tuple[TagError, ...]
    body: str

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def is_note(self) -> bool:
        return any(isinstance(c, NoteCommand) for c in self.commands)


# --- lines --------------------------------------------------------------------------------

_LINE_RE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_TAG_LINE_RE = re.compile(r"\s*#[A-Za-z]")
_TAG_RE = re.compile(r"\s*#([A-Za-z]\S*)(?:\s+(.*))?", re.DOTALL)


def _lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) pairs; joining them gives `text` back exactly."""
    pairs = []
    for match in _LINE_RE.finditer(text):
        content, ending = match.groups()
        if not content and not ending:
            break  # the empty match at the very end
        pairs.append((content, ending))
    return pairs


def parse_tags(text: str, *, now: datetime, tz: ZoneInfo, technicians: frozenset[str],
               sender: str | None = None) -> TagParse:
    """Parse the tag block at the top of a reply's new text.

    `now` must be aware; `tz` is the zone in which scheduled dates and times are read;
    `technicians` are the configured technician addresses (compared case-insensitively);
    `sender` is who `#assign me` means.

    Every command and every error found is returned, in the order of the lines. Any error
    means the caller must change nothing, neither apply the valid commands nor relay the
    body, and answer the technician with the errors instead (PRODUCT.md section 4).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive clock is a programming error in the shell, not bad input: fail loudly.
        raise ValueError("now must be an aware datetime")
    parser = _Parser(now, tz, frozenset(t.lower() for t in technicians),
                     (sender or "").strip().lower())
    lines = _lines(text)
    body_start = len(lines)
    found_tag = False
    for index, (content, _) in enumerate(lines):
        if index == 0:
            content = content.removeprefix("\ufeff")
        if not content.strip():
            continue
        if not _TAG_LINE_RE.match(content):
            body_start = index
            break
        found_tag = True
        parser.parse_line(content)
    body = "".join(c + e for c, e in lines[body_start:]) if found_tag else text
    return TagParse(tuple(parser.commands), tuple(parser.errors), body)


class _Parser:
    """Collects commands and errors over the lines of one tag block."""

    def __init__(self, now: datetime, tz: ZoneInfo, technicians: frozenset[str],
                 sender: str = "") -> None:
        self.now = now
        self.tz = tz
        self.technicians = technicians
        self.sender = sender
        self.commands: list[Command] = []
        self.errors: list[TagError] = []
        self.seen: set[str] = set()

    def parse_line(self, content: str) -> None:
        line = content.strip()
        match = _TAG_RE.fullmatch(content)
        if match is None:  # cannot happen after _TAG_LINE_RE, but never guess
            self.errors.append(TagError(line, f"cannot read this tag: use {TAG_USAGE}"))
            return
        name = match.group(1).casefold()
        arg = (match.group(2) or "").strip()
        handler = _HANDLERS.get(name)
        if handler is None:
            self.errors.append(TagError(line, f"unknown tag '#{match.group(1)}': use {TAG_USAGE}"))
            return
        if name != "note":
            if name in self.seen:
                self.errors.append(
                    TagError(line, f"#{name} appears more than once: give one #{name} per mail")
                )
            self.seen.add(name)
        result = handler(self, arg)
        if isinstance(result, str):
            self.errors.append(TagError(line, result))
        else:
            self.commands.append(result)

    # Each handler returns a command or an error message.

    def status(self, arg: str) -> Command | str:
        if not arg:
            return f"#status needs a status: use {STATUS_USAGE}"
        match = _STATUS_RE.fullmatch(arg)
        if match is None:
            return f"unknown status '{arg.split()[0]}': use {STATUS_USAGE}"
        key = re.sub(_SEP, "", match.group(1)).casefold()
        rest = (match.group(2) or "").strip()
        status = _STATUSES.get(key)
        if status is None:
            return f"status '{match.group(1)}' is set only by a customer's mail: use {STATUS_USAGE}"
        if status == Status.ON_HOLD:
            return SetStatusCommand(status, reason=rest or None)
        if status == Status.SCHEDULED:
            when = self.scheduled_time(rest)
            return when if isinstance(when, str) else SetStatusCommand(status, scheduled_for=when)
        if rest:
            return f"'{match.group(1)}' takes nothing after it, found '{rest}': use {STATUS_USAGE}"
        return SetStatusCommand(status)

    def scheduled_time(self, arg: str) -> datetime | str:
        if not arg:
            return f"scheduled needs a date: use scheduled {DATE_USAGE}"
        fields = read_date(arg)
        if fields is None:
            return f"cannot read the date '{arg}': use scheduled {DATE_USAGE}"
        try:
            # fold=0: an ambiguous autumn time is its first occurrence (still summer time).
            local = datetime(*fields, tzinfo=self.tz)
            utc = local.astimezone(UTC)
            round_trip = utc.astimezone(self.tz).replace(tzinfo=None)
        except (ValueError, OverflowError):  # 2026-02-30, 24:00, or beyond year 1..9999
            return f"'{arg}' is not a valid date and time: use scheduled {DATE_USAGE}"
        if round_trip != local.replace(tzinfo=None):
            # The wall time did not survive the round trip: it falls in a DST gap.
            return (
                f"{wall_time(local)} does not exist in {self.tz} (the clocks skip that hour): "
                "give a time outside the change, e.g. an hour later"
            )
        if utc <= self.now:
            return (
                f"the scheduled time {wall_time(local)} {self.tz} is not in the future (it is now "
                f"{wall_time(self.now.astimezone(self.tz))}): give a later date and time"
            )
        return utc

    def note(self, arg: str) -> Command | str:
        if arg:
            return f"#note takes nothing after it, found '{arg}': put the note below the tags"
        return NoteCommand()

    def assign(self, arg: str) -> Command | str:
        known = ", ".join(sorted(self.technicians)) or "none are configured"
        if not arg:
            return f"#assign needs a technician's address; technicians are: {known}"
        if arg.casefold() == "me":
            if self.sender not in self.technicians:
                return f"#assign me: only a technician can take a ticket; technicians are: {known}"
            return AssignCommand(self.sender)
        address = read_address(arg)
        if address is None:
            return f"'{arg}' is not an email address: use #assign ADDRESS; technicians are: {known}"
        if address not in self.technicians:
            return f"{address} is not a technician; technicians are: {known}"
        return AssignCommand(address)

    def priority(self, arg: str) -> Command | str:
        if not arg:
            return f"#priority needs a value: use {PRIORITY_USAGE}"
        try:
            return PriorityCommand(Priority(arg.casefold()))
        except ValueError:
            return f"unknown priority '{arg}': use {PRIORITY_USAGE}"

    def category(self, arg: str) -> Command | str:
        # Runs of whitespace become one space, so "Mail  server" and "Mail server" agree.
        name = " ".join(arg.split())
        if not name:
            return f"#category needs a name: use #category NAME, 1 to {CATEGORY_MAX} characters"
        if len(name) > CATEGORY_MAX:
            return (
                f"the category name is {len(name)} characters long: "
                f"use 1 to {CATEGORY_MAX} characters"
            )
        return CategoryCommand(name)

    def customer(self, arg: str) -> Command | str:
        if not arg:
            return "#customer needs the customer's address: use #customer name@example.com"
        address = read_address(arg)
        if address is None:
            return f"'{arg}' is not an email address: use #customer name@example.com"
        return CustomerCommand(address)

    def resolution(self, arg: str) -> Command | str:
        text = " ".join(arg.split())
        if not text:
            return f"#resolution needs the summary: use {RESOLUTION_USAGE}"
        if len(text) > RESOLUTION_MAX:
            return (f"the resolution is {len(text)} characters long: keep it to "
                    f"{RESOLUTION_MAX}, the details belong in the answer")
        duplicate = _DUPLICATE_RE.fullmatch(text)
        return ResolutionCommand(text, duplicate.group(1).upper() if duplicate else None)

    def queue(self, arg: str) -> Command | str:
        return self._query("queue", arg)

    def mine(self, arg: str) -> Command | str:
        return self._query("mine", arg)

    def show(self, arg: str) -> Command | str:
        ref = arg.strip().strip("[]")
        if not ref or len(ref.split()) != 1 or len(ref) > 40:
            return "#show needs one ticket: use #show T-42 (or the ticket's token)"
        return QueryCommand("show", ref)

    @staticmethod
    def _query(name: str, arg: str) -> Command | str:
        if arg:
            return f"#{name} takes nothing after it, found '{arg}'"
        return QueryCommand(name)


# The commands by mail with no ticket (`QueryCommand`).
QUERY_TAGS = ("queue", "mine", "show")

_HANDLERS = {
    "queue": _Parser.queue,
    "mine": _Parser.mine,
    "show": _Parser.show,
    "status": _Parser.status,
    "note": _Parser.note,
    "assign": _Parser.assign,
    "priority": _Parser.priority,
    "category": _Parser.category,
    "customer": _Parser.customer,
    "resolution": _Parser.resolution,
}
# "duplicate of T-12", "Duplicate: [IW-7K3M9QX2PD]": the whole summary names one ticket.
_DUPLICATE_RE = re.compile(
    r"duplicate(?:\s+of|:)?\s+\[?(T-\d{1,12}|[A-Za-z0-9]{1,10}-[A-Za-z0-9]{4,30})\]?\.?",
    re.IGNORECASE)
# Every tag a technician may write (documented in docs/technicians.md; a test keeps both equal).
TAG_NAMES: tuple[str, ...] = tuple(_HANDLERS)

# --- status words -------------------------------------------------------------------------

# What clients and autocorrect turn a typed hyphen into, plus the underscore.
_HYPHENS = "-_\u2010\u2011\u2012\u2013\u2014\u2212"
_SEP = rf"[\s{re.escape(_HYPHENS)}]*"
_STATUS_RE = re.compile(
    rf"(in{_SEP}progress|answered|on{_SEP}hold|scheduled|closed|open|customer{_SEP}reply)"
    r"(?:\s+(.*))?",
    re.IGNORECASE | re.DOTALL,
)
# None: a real status, but not one a technician sets.
_STATUSES: dict[str, Status | None] = {
    "inprogress": Status.IN_PROGRESS,
    "answered": Status.ANSWERED,
    "onhold": Status.ON_HOLD,
    "scheduled": Status.SCHEDULED,
    "closed": Status.CLOSED,
    "open": None,
    "customerreply": None,
}

# --- signatures ---------------------------------------------------------------------------


def strip_signature(text: str, marker: str | None) -> str:
    """The text before the technician's signature.

    The signature starts at the first line equal to `marker` (compared without trailing
    white space, which mail clients and reply splitting drop), or, when `marker` is None, at
    the first line that is "-- " (RFC 3676; also "--", the same line after that trimming).
    That line and everything after it go; the text before it is kept exactly, including its
    last line ending. Without such a line the text is returned unchanged.
    """
    if marker is None:
        marker = SIGNATURE_SEPARATOR
    if not marker.strip() or "\r" in marker or "\n" in marker:
        raise ValueError("a signature marker must be one non-blank line")
    wanted = marker.rstrip()
    kept: list[str] = []
    for content, ending in _lines(text):
        if content.rstrip() == wanted:
            return "".join(kept)
        kept.append(content + ending)
    return text
