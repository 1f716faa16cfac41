"""Technician tags (PRODUCT.md section 4): every tag, every malformed form, the body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from inbox_worker.domain.model import Priority, Status
from inbox_worker.domain.status import SetStatus
from inbox_worker.domain.tags import (
    CATEGORY_MAX,
    PRIORITY_USAGE,
    RESOLUTION_MAX,
    STATUS_USAGE,
    TAG_USAGE,
    AssignCommand,
    CategoryCommand,
    Command,
    CustomerCommand,
    NoteCommand,
    PriorityCommand,
    QueryCommand,
    ResolutionCommand,
    SetStatusCommand,
    TagError,
    TagParse,
    parse_tags,
    strip_signature,
)

BERLIN = ZoneInfo("Europe/Berlin")
# 12:00 in Berlin (CEST, UTC+2).
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
TECHNICIANS = frozenset({"alice@example.com", "bob@example.com"})
TECH_LIST = "alice@example.com, bob@example.com"


def parse(
    text: str,
    *,
    now: datetime = NOW,
    tz: ZoneInfo = BERLIN,
    technicians: frozenset[str] = TECHNICIANS,
) -> TagParse:
    return parse_tags(text, now=now, tz=tz, technicians=technicians)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def status(s: Status, reason: str | None = None, at: datetime | None = None) -> SetStatusCommand:
    return SetStatusCommand(s, reason, at)


# --- every tag, every accepted spelling ----------------------------------------------------

VALID: list[tuple[str, Command]] = [
    # #status, with case, space, hyphen, underscore, no-separator and autocorrect variants
    ("#status in-progress", status(Status.IN_PROGRESS)),
    ("#status in progress", status(Status.IN_PROGRESS)),
    ("#Status In-Progress", status(Status.IN_PROGRESS)),
    ("#STATUS IN_PROGRESS", status(Status.IN_PROGRESS)),
    ("#status inprogress", status(Status.IN_PROGRESS)),
    ("#status in\u2013progress", status(Status.IN_PROGRESS)),
    ("  #status   in - progress  ", status(Status.IN_PROGRESS)),
    ("#status\tin\u00a0progress", status(Status.IN_PROGRESS)),
    ("#status answered", status(Status.ANSWERED)),
    ("#status Answered", status(Status.ANSWERED)),
    ("#status closed", status(Status.CLOSED)),
    ("#Status CLOSED", status(Status.CLOSED)),
    ("#status on-hold", status(Status.ON_HOLD)),
    ("#Status On-Hold", status(Status.ON_HOLD)),
    ("#status on hold", status(Status.ON_HOLD)),
    ("#status onhold", status(Status.ON_HOLD)),
    ("#status on-hold billing", status(Status.ON_HOLD, "billing")),
    ("#status on hold billing", status(Status.ON_HOLD, "billing")),
    ("#status ON HOLD Billing", status(Status.ON_HOLD, "Billing")),
    ("#status on-hold  Waiting for Vendor X ", status(Status.ON_HOLD, "Waiting for Vendor X")),
    # scheduled: Berlin is UTC+1 in December, UTC+2 in summer
    ("#status scheduled 2026-12-01 02:00", status(Status.SCHEDULED, at=utc(2026, 12, 1, 1))),
    ("#status scheduled 2026-12-01T02:00", status(Status.SCHEDULED, at=utc(2026, 12, 1, 1))),
    ("#status scheduled 2026-12-01t02:00", status(Status.SCHEDULED, at=utc(2026, 12, 1, 1))),
    ("#status Scheduled 01.12.2026 02:00", status(Status.SCHEDULED, at=utc(2026, 12, 1, 1))),
    ("#status scheduled 1.12.2026 2:00", status(Status.SCHEDULED, at=utc(2026, 12, 1, 1))),
    (
        "#status scheduled 2026-12-01 02:00:30",
        status(Status.SCHEDULED, at=utc(2026, 12, 1, 1, 0, 30)),
    ),
    (
        "#status scheduled 01.12.2026 02:00:30",
        status(Status.SCHEDULED, at=utc(2026, 12, 1, 1, 0, 30)),
    ),
    # a date alone is 00:00 local
    ("#status scheduled 2026-12-01", status(Status.SCHEDULED, at=utc(2026, 11, 30, 23))),
    ("#status scheduled 01.12.2026", status(Status.SCHEDULED, at=utc(2026, 11, 30, 23))),
    ("#status scheduled 2026-07-01 09:00", status(Status.SCHEDULED, at=utc(2026, 7, 1, 7))),
    # today, later than now (12:00 Berlin)
    (
        "#status scheduled 2026-06-15 12:00:01",
        status(Status.SCHEDULED, at=utc(2026, 6, 15, 10, 0, 1)),
    ),
    ("#status scheduled 2026-06-15 13:00", status(Status.SCHEDULED, at=utc(2026, 6, 15, 11))),
    # tomorrow, date only
    ("#status scheduled 2026-06-16", status(Status.SCHEDULED, at=utc(2026, 6, 15, 22))),
    # ambiguous autumn hour: fold=0, the first occurrence, still CEST (UTC+2)
    ("#status scheduled 2026-10-25 02:30", status(Status.SCHEDULED, at=utc(2026, 10, 25, 0, 30))),
    # right after the spring gap
    ("#status scheduled 2027-03-28 03:00", status(Status.SCHEDULED, at=utc(2027, 3, 28, 1))),
    ("#note", NoteCommand()),
    ("#NOTE", NoteCommand()),
    ("#assign bob@example.com", AssignCommand("bob@example.com")),
    ("#Assign Bob@Example.COM", AssignCommand("bob@example.com")),
    ("#assign <bob@example.com>", AssignCommand("bob@example.com")),
    ("#assign mailto:bob@example.com", AssignCommand("bob@example.com")),
    ("#assign bob@example.com <mailto:bob@example.com>", AssignCommand("bob@example.com")),
    ("#assign bob@example.com<mailto:Bob@example.com>", AssignCommand("bob@example.com")),
    ("#priority urgent", PriorityCommand(Priority.URGENT)),
    ("#priority high", PriorityCommand(Priority.HIGH)),
    ("#priority normal", PriorityCommand(Priority.NORMAL)),
    ("#priority low", PriorityCommand(Priority.LOW)),
    ("#Priority HIGH", PriorityCommand(Priority.HIGH)),
    ("#category Printers", CategoryCommand("Printers")),
    ("#category   Mail \t server  ", CategoryCommand("Mail server")),
    ("#Category e", CategoryCommand("e")),
    ("#category " + "x" * CATEGORY_MAX, CategoryCommand("x" * CATEGORY_MAX)),
    ("#customer carol@customer.example", CustomerCommand("carol@customer.example")),
    ("#customer <Carol@Customer.Example>", CustomerCommand("carol@customer.example")),
    (
        "#customer o'brien+it@mail.customer-1.example",
        CustomerCommand("o'brien+it@mail.customer-1.example"),
    ),
    ("#customer root@localhost", CustomerCommand("root@localhost")),
    # #resolution: the rest of the line, white space runs made one space
    ("#resolution Replaced the pickup roller.",
     ResolutionCommand("Replaced the pickup roller.")),
    ("#Resolution   driver  5.2 installed; works",
     ResolutionCommand("driver 5.2 installed; works")),
    ("#resolution " + "x" * RESOLUTION_MAX, ResolutionCommand("x" * RESOLUTION_MAX)),
    ("#resolution duplicate of T-12", ResolutionCommand("duplicate of T-12", "T-12")),
    ("#resolution Duplicate of t-7.", ResolutionCommand("Duplicate of t-7.", "T-7")),
    ("#resolution duplicate: [IW-7K3M9QX2PD]",
     ResolutionCommand("duplicate: [IW-7K3M9QX2PD]", "IW-7K3M9QX2PD")),
    ("#resolution duplicate T-3", ResolutionCommand("duplicate T-3", "T-3")),
    # Only a summary that is nothing but the reference marks a duplicate.
    ("#resolution not a duplicate of T-12, the driver was broken",
     ResolutionCommand("not a duplicate of T-12, the driver was broken")),
    ("#resolution duplicate of T-12 and T-13",
     ResolutionCommand("duplicate of T-12 and T-13")),
    ("#resolution duplicates happen", ResolutionCommand("duplicates happen")),
]


@pytest.mark.parametrize(("line", "command"), VALID)
def test_valid_tag(line: str, command: Command) -> None:
    result = parse(f"{line}\n\nHello,\nthe printer works again.\n")
    assert result == TagParse((command,), (), "Hello,\nthe printer works again.\n")
    assert result.ok


# --- every malformed form ------------------------------------------------------------------

INVALID: list[tuple[str, list[str]]] = [
    # #status
    ("#status", ["#status needs a status", STATUS_USAGE]),
    ("#status done", ["unknown status 'done'", STATUS_USAGE]),
    ("#status in-progres", ["unknown status 'in-progres'", STATUS_USAGE]),
    ("#status on-hold-billing", ["unknown status 'on-hold-billing'", STATUS_USAGE]),
    ("#status open", ["status 'open' is set only by a customer's mail", STATUS_USAGE]),
    ("#status Customer-Reply", ["'Customer-Reply' is set only by a customer", STATUS_USAGE]),
    ("#status closed now", ["'closed' takes nothing after it, found 'now'", STATUS_USAGE]),
    ("#status answered 2026-12-01", ["'answered' takes nothing after it", STATUS_USAGE]),
    ("#status in progress soon", ["'in progress' takes nothing after it", STATUS_USAGE]),
    # scheduled: missing or unreadable date
    ("#status scheduled", ["scheduled needs a date", "YYYY-MM-DD [HH:MM]"]),
    ("#status scheduled tomorrow", ["cannot read the date 'tomorrow'", "DD.MM.YYYY [HH:MM]"]),
    ("#status scheduled 12/01/2026", ["cannot read the date '12/01/2026'"]),
    ("#status scheduled 2026-12-01 2pm", ["cannot read the date '2026-12-01 2pm'"]),
    ("#status scheduled 2026-12-01 02:00 reboot", ["cannot read the date"]),
    ("#status scheduled 2026-12-01T02:00Z", ["cannot read the date"]),
    ("#status scheduled 2026-12-01 02:00+01:00", ["cannot read the date"]),
    ("#status scheduled 26-12-01", ["cannot read the date"]),
    ("#status scheduled 2026-12-01 0200", ["cannot read the date"]),
    ("#status scheduled 2026-12-01 02:0", ["cannot read the date"]),
    ("#status scheduled \u0662\u0660\u0662\u0667-01-01", ["cannot read the date"]),
    # scheduled: readable but not a real date or time
    ("#status scheduled 2026-13-01", ["'2026-13-01' is not a valid date and time"]),
    ("#status scheduled 2026-02-30", ["is not a valid date and time", "YYYY-MM-DD"]),
    ("#status scheduled 31.04.2026", ["is not a valid date and time"]),
    ("#status scheduled 2026-12-01 24:00", ["is not a valid date and time"]),
    ("#status scheduled 2026-12-01 02:60", ["is not a valid date and time"]),
    ("#status scheduled 2026-12-01 02:00:60", ["is not a valid date and time"]),
    ("#status scheduled 0001-01-01 00:30", ["is not a valid date and time"]),
    # scheduled: not strictly after now (12:00 Berlin on 2026-06-15)
    ("#status scheduled 2026-01-01 10:00", ["2026-01-01 10:00 Europe/Berlin is not in the future"]),
    ("#status scheduled 2026-06-15 11:00", ["is not in the future", "2026-06-15 12:00"]),
    ("#status scheduled 2026-06-15 12:00", ["is not in the future"]),
    ("#status scheduled 15.06.2026", ["2026-06-15 00:00 Europe/Berlin is not in the future"]),
    # scheduled: the spring-forward gap in Berlin (02:00-03:00 does not exist)
    (
        "#status scheduled 2027-03-28 02:30",
        ["2027-03-28 02:30 does not exist in Europe/Berlin", "clocks skip"],
    ),
    ("#status scheduled 28.03.2027 02:00", ["2027-03-28 02:00 does not exist"]),
    ("#status scheduled 2027-03-28T02:59:59", ["2027-03-28 02:59:59 does not exist"]),
    # #priority
    ("#priority", ["#priority needs a value", PRIORITY_USAGE]),
    ("#priority critical", ["unknown priority 'critical'", PRIORITY_USAGE]),
    ("#priority very high", ["unknown priority 'very high'", PRIORITY_USAGE]),
    ("#priority 1", ["unknown priority '1'", PRIORITY_USAGE]),
    # #category
    ("#category", ["#category needs a name", "#category NAME, 1 to 100 characters"]),
    ("#category    ", ["#category needs a name", "#category NAME, 1 to 100 characters"]),
    ("#category " + "x" * 101, ["101 characters long", "use 1 to 100 characters"]),
    # #assign
    ("#assign", ["#assign needs a technician's address", TECH_LIST]),
    (
        "#assign carol@customer.example",
        [f"carol@customer.example is not a technician; technicians are: {TECH_LIST}"],
    ),
    ("#assign Carol@Customer.Example", ["carol@customer.example is not a technician"]),
    ("#assign bob", ["'bob' is not an email address", "#assign ADDRESS", TECH_LIST]),
    ("#assign bob@", ["'bob@' is not an email address"]),
    ("#assign @example.com", ["is not an email address"]),
    ("#assign bob@@example.com", ["is not an email address"]),
    ("#assign bob example.com", ["is not an email address"]),
    ("#assign bob@example..com", ["is not an email address"]),
    ("#assign bob@-example.com", ["is not an email address"]),
    ("#assign .bob@example.com", ["is not an email address"]),
    ("#assign bob@example.com alice@example.com", ["is not an email address"]),
    ("#assign bob@example.com <mailto:alice@example.com>", ["is not an email address"]),
    ("#assign b\u00f6b@example.com", ["is not an email address"]),
    # #customer
    ("#customer", ["#customer needs the customer's address", "#customer name@example.com"]),
    ("#customer carol", ["'carol' is not an email address", "#customer name@example.com"]),
    ("#customer carol@customer..example", ["is not an email address"]),
    ("#customer <>", ["is not an email address"]),
    ("#customer " + "c" * 250 + "@x.example", ["is not an email address"]),
    # #note
    ("#note call back tomorrow", ["#note takes nothing after it", "put the note below"]),
    ("#resolution", ["#resolution needs the summary", "duplicate of T-12"]),
    ("#resolution   ", ["#resolution needs the summary"]),
    ("#resolution " + "x" * (RESOLUTION_MAX + 1),
     [f"{RESOLUTION_MAX + 1} characters long", f"keep it to {RESOLUTION_MAX}"]),
    # unknown tags
    ("#foo", ["unknown tag '#foo'", TAG_USAGE]),
    ("#Statuses closed", ["unknown tag '#Statuses'", TAG_USAGE]),
    ("#status:closed", ["unknown tag '#status:closed'", TAG_USAGE]),
    ("#status-closed", ["unknown tag '#status-closed'"]),
    ("#Thanks for waiting!", ["unknown tag '#Thanks'"]),
]


@pytest.mark.parametrize(("line", "fragments"), INVALID)
def test_malformed_tag(line: str, fragments: list[str]) -> None:
    result = parse(f"{line}\nHello\n")
    assert result.commands == ()
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.line == line.strip()
    for fragment in fragments:
        assert fragment in error.message
    assert result.body == "Hello\n"
    assert not result.ok


def test_errors_say_what_is_accepted() -> None:
    # Every message names the wrong thing and how to write it right.
    for line, _ in INVALID:
        message = parse(line).errors[0].message
        assert ":" in message or ";" in message, message


def test_assign_with_no_technicians_configured() -> None:
    result = parse("#assign bob@example.com", technicians=frozenset())
    assert result.errors == (
        TagError(
            "#assign bob@example.com",
            "bob@example.com is not a technician; technicians are: none are configured",
        ),
    )


def test_assign_compares_technicians_case_insensitively() -> None:
    result = parse("#assign alice@example.com", technicians=frozenset({"Alice@Example.com"}))
    assert result.commands == (AssignCommand("alice@example.com"),)


def test_scheduled_reads_the_given_time_zone() -> None:
    line = "#status scheduled 2026-12-01 02:00"
    assert parse(line, tz=ZoneInfo("UTC")).commands == (
        status(Status.SCHEDULED, at=utc(2026, 12, 1, 2)),
    )
    assert parse(line, tz=ZoneInfo("America/New_York")).commands == (
        status(Status.SCHEDULED, at=utc(2026, 12, 1, 7)),
    )


def test_scheduled_is_returned_in_utc() -> None:
    (command,) = parse("#status scheduled 2026-12-01 02:00").commands
    assert isinstance(command, SetStatusCommand)
    assert command.scheduled_for is not None
    assert command.scheduled_for.utcoffset() == timedelta(0)


def test_now_in_another_offset_is_compared_as_an_instant() -> None:
    # 12:00 Berlin is 06:00 in New York; 12:30 Berlin is ahead of it either way.
    now = NOW.astimezone(timezone(timedelta(hours=-4)))
    assert parse("#status scheduled 2026-06-15 12:30", now=now).ok
    assert not parse("#status scheduled 2026-06-15 11:59", now=now).ok


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse("#status closed", now=datetime(2026, 6, 15, 10, 0))


def test_set_status_command_is_the_status_event() -> None:
    when = utc(2026, 12, 1, 1)
    assert status(Status.SCHEDULED, at=when).as_event() == SetStatus(Status.SCHEDULED, None, when)
    assert status(Status.ON_HOLD, "billing").as_event() == SetStatus(Status.ON_HOLD, "billing")


# --- several tags in one mail --------------------------------------------------------------


def test_all_tags_together() -> None:
    text = (
        "#status on-hold billing\n"
        "#note\n"
        "#assign alice@example.com\n"
        "#priority urgent\n"
        "#category Invoices\n"
        "#customer carol@customer.example\n"
        "Customer phoned about the invoice.\n"
    )
    result = parse(text)
    assert result.commands == (
        status(Status.ON_HOLD, "billing"),
        NoteCommand(),
        AssignCommand("alice@example.com"),
        PriorityCommand(Priority.URGENT),
        CategoryCommand("Invoices"),
        CustomerCommand("carol@customer.example"),
    )
    assert result.errors == ()
    assert result.is_note
    assert result.body == "Customer phoned about the invoice.\n"


@pytest.mark.parametrize(
    ("text", "commands", "error_line"),
    [
        (
            "#status closed\n#status answered\n",
            (status(Status.CLOSED), status(Status.ANSWERED)),
            "#status answered",
        ),
        (
            "#status closed\n#Status Closed\n",
            (status(Status.CLOSED), status(Status.CLOSED)),
            "#Status Closed",
        ),
        (
            "#priority high\n#priority high\n",
            (PriorityCommand(Priority.HIGH), PriorityCommand(Priority.HIGH)),
            "#priority high",
        ),
        (
            "#category A\n#category B\n",
            (CategoryCommand("A"), CategoryCommand("B")),
            "#category B",
        ),
        (
            "#assign alice@example.com\n#assign bob@example.com\n",
            (AssignCommand("alice@example.com"), AssignCommand("bob@example.com")),
            "#assign bob@example.com",
        ),
        (
            "#customer a@x.example\n#customer b@x.example\n",
            (CustomerCommand("a@x.example"), CustomerCommand("b@x.example")),
            "#customer b@x.example",
        ),
    ],
)
def test_a_tag_twice_is_an_error(text: str, commands: tuple[Command, ...], error_line: str) -> None:
    result = parse(text)
    assert result.commands == commands
    assert len(result.errors) == 1
    assert result.errors[0].line == error_line
    assert "appears more than once" in result.errors[0].message


def test_a_malformed_status_still_counts_for_the_duplicate_rule() -> None:
    result = parse("#status done\n#status closed\n")
    assert result.commands == (status(Status.CLOSED),)
    assert [e.line for e in result.errors] == ["#status done", "#status closed"]


def test_note_twice_is_harmless() -> None:
    result = parse("#note\n#note\nInternal.")
    assert result.ok
    assert result.is_note


def test_all_commands_and_all_errors_are_returned() -> None:
    result = parse("#priority high\n#foo\n#status done\n#category Printers\nText")
    assert result.commands == (PriorityCommand(Priority.HIGH), CategoryCommand("Printers"))
    assert [e.line for e in result.errors] == ["#foo", "#status done"]
    assert result.body == "Text"


# --- where the tag block ends, and the body ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        # no tag at all: the text is untouched, leading blank lines included
        ("\n\nHello\n", (), "\n\nHello\n"),
        ("", (), ""),
        ("\n \n", (), "\n \n"),
        # leading blank (or whitespace-only) lines, blank lines between and after tags
        (
            "\n \n  #status closed\n\n#priority high\n\t\n\nThanks,\nAlice\n",
            (status(Status.CLOSED), PriorityCommand(Priority.HIGH)),
            "Thanks,\nAlice\n",
        ),
        # blank lines inside the body stay
        ("#note\nA\n\n\nB\n", (NoteCommand(),), "A\n\n\nB\n"),
        # only tags
        ("#status closed\n", (status(Status.CLOSED),), ""),
        ("#status closed", (status(Status.CLOSED),), ""),
        ("#status closed\n\n\n", (status(Status.CLOSED),), ""),
        # no final newline
        ("#status closed\nBye", (status(Status.CLOSED),), "Bye"),
        # tags after text are plain text
        ("Hello\n#status closed\n", (), "Hello\n#status closed\n"),
        ("\nHello\n\n#status closed\n", (), "\nHello\n\n#status closed\n"),
        (
            "#status closed\nSee below.\n#priority high\n",
            (status(Status.CLOSED),),
            "See below.\n#priority high\n",
        ),
        # "#" not followed by a letter is text and ends the block
        (
            "#1 priority for us is the printer\n#status closed\n",
            (),
            "#1 priority for us is the printer\n#status closed\n",
        ),
        (
            "#status closed\n# heading\n#priority high\n",
            (status(Status.CLOSED),),
            "# heading\n#priority high\n",
        ),
        ("#status closed\n#42 is the ticket\n", (status(Status.CLOSED),), "#42 is the ticket\n"),
        ("##status closed\n", (), "##status closed\n"),
        # indented text keeps its indentation
        ("#note\n    code()\n", (NoteCommand(),), "    code()\n"),
        # a byte-order mark before the first tag
        ("\ufeff#status closed\nHi", (status(Status.CLOSED),), "Hi"),
    ],
)
def test_tag_block_and_body(text: str, commands: tuple[Command, ...], body: str) -> None:
    result = parse(text)
    assert result.errors == ()
    assert result.commands == commands
    assert result.body == body


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        (
            "#status closed\r\n\r\nThanks\r\nBye\r\n",
            (status(Status.CLOSED),),
            "Thanks\r\nBye\r\n",
        ),
        ("#status on hold billing\r\nText", (status(Status.ON_HOLD, "billing"),), "Text"),
        (
            "\r\n#status scheduled 2026-12-01 02:00\r\n#category Server room\r\n\r\nReboot.\r\n",
            (status(Status.SCHEDULED, at=utc(2026, 12, 1, 1)), CategoryCommand("Server room")),
            "Reboot.\r\n",
        ),
        ("#assign bob@example.com\r\n", (AssignCommand("bob@example.com"),), ""),
        # old Mac line ends and mixed ends
        ("#status closed\r\rThanks\rBye", (status(Status.CLOSED),), "Thanks\rBye"),
        ("#note\r\n\nA\r\nB\n", (NoteCommand(),), "A\r\nB\n"),
        # CRLF text without tags is untouched
        ("Hello\r\n#status closed\r\n", (), "Hello\r\n#status closed\r\n"),
    ],
)
def test_crlf_text(text: str, commands: tuple[Command, ...], body: str) -> None:
    result = parse(text)
    assert result.errors == ()
    assert result.commands == commands
    assert result.body == body


def test_crlf_error_line_has_no_line_ending() -> None:
    result = parse("#status done\r\nHello\r\n")
    assert result.errors[0].line == "#status done"
    assert result.body == "Hello\r\n"


def test_wrong_tags_are_removed_from_the_body_too() -> None:
    result = parse("#status done\n#foo bar\n\nHello")
    assert len(result.errors) == 2
    assert result.body == "Hello"


def test_only_the_top_is_scanned_for_tags() -> None:
    # A hashtag at the top of prose is an (unknown) tag; the same word later is text.
    assert not parse("#winning, thanks!\nBye").ok
    assert parse("Thanks!\n#winning\n").ok


# --- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marker", "expected"),
    [
        ("Hi\n-- \nAlice\nSupport\n", None, "Hi\n"),
        ("Hi\r\n-- \r\nAlice\r\n", None, "Hi\r\n"),
        ("Hi\n\n-- \nAlice", None, "Hi\n\n"),
        ("Hi\n-- ", None, "Hi\n"),
        ("-- \nAlice", None, ""),
        ("Hi\n-- \nA\n-- \nB", None, "Hi\n"),
        # the RFC 3676 separator, also with its trailing space trimmed; nothing else
        ("Hi\n--\nAlice", None, "Hi\n"),  # "-- " after trailing spaces were trimmed
        ("Hi\n -- \nAlice", None, "Hi\n -- \nAlice"),
        ("Hi\n-- Alice\n", None, "Hi\n-- Alice\n"),
        ("Hi\n---\nAlice", None, "Hi\n---\nAlice"),
        ("No signature here.\n", None, "No signature here.\n"),
        ("", None, ""),
        # a configured marker replaces the default
        ("Hi\nBest,\nAlice\n", "Best,", "Hi\n"),
        ("Hi\r\n~~~\r\nsig", "~~~", "Hi\r\n"),
        ("Hi\n-- \nAlice", "~~~", "Hi\n-- \nAlice"),
        ("Hi\nBest, Alice\n", "Best,", "Hi\nBest, Alice\n"),
        ("Hi\nbest,\nAlice\n", "Best,", "Hi\nbest,\nAlice\n"),
        ("Hi\n-- \nAlice", "-- ", "Hi\n"),
    ],
)
def test_strip_signature(text: str, marker: str | None, expected: str) -> None:
    assert strip_signature(text, marker) == expected


@pytest.mark.parametrize("marker", ["", "   ", "a\nb", "--\r\n"])
def test_strip_signature_refuses_a_useless_marker(marker: str) -> None:
    with pytest.raises(ValueError):
        strip_signature("Hi\n", marker)


def test_signature_then_tags() -> None:
    text = "#status closed\n\nAll done.\n-- \nAlice, private: 555-0100\n"
    result = parse(strip_signature(text, None))
    assert result.commands == (status(Status.CLOSED),)
    assert result.body == "All done.\n"


# --- commands by mail and #assign me ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("#queue", QueryCommand("queue")),
        ("#Queue\n", QueryCommand("queue")),
        ("#mine", QueryCommand("mine")),
        ("#show T-42", QueryCommand("show", "T-42")),
        ("#show [IW-7K3M9QX2PD]", QueryCommand("show", "IW-7K3M9QX2PD")),
    ],
)
def test_queries(text: str, command: QueryCommand) -> None:
    assert parse(text).commands == (command,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#queue now", "#queue takes nothing after it"),
        ("#mine please", "#mine takes nothing after it"),
        ("#show", "#show needs one ticket"),
        ("#show T-1 T-2", "#show needs one ticket"),
    ],
)
def test_bad_queries(text: str, message: str) -> None:
    result = parse(text)
    assert not result.ok and message in result.errors[0].message


def test_assign_me_is_the_sender_when_a_technician() -> None:
    result = parse_tags("#assign me", now=NOW, tz=BERLIN, technicians=TECHNICIANS,
                        sender="Bob@Example.com")
    assert result.commands == (AssignCommand("bob@example.com"),)
    stranger = parse_tags("#assign ME", now=NOW, tz=BERLIN, technicians=TECHNICIANS,
                          sender="eve@attacker.test")
    assert not stranger.ok and "only a technician" in stranger.errors[0].message


@pytest.mark.parametrize(
    "typed",
    ["Dave Smith <dave@customer.test>", '"Smith, Dave" <mailto:dave@customer.test>',
     "dave@customer.test (Dave)", '"Dave" <Mailto:Dave@Customer.test>',
     "<mailto:dave@customer.test>", "DAVE@customer.test"],
)
def test_customer_takes_every_address_form_a_client_writes(typed: str) -> None:
    assert parse(f"#customer {typed}").commands == (CustomerCommand("dave@customer.test"),)


def test_assign_takes_a_display_form_of_a_technician() -> None:
    assert parse("#assign Bob <bob@example.com>").commands == (AssignCommand("bob@example.com"),)
