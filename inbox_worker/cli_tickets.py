"""`inbox-worker queue` and `tickets list|show`: the queue in order, tickets a page at a
time, one ticket with its messages and history (PRODUCT.md section 6).

Each answers from a few indexed queries whatever the store's size: a page of tickets and
the queue places of that page only, one ticket's messages and events (see
`store.repository`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.cli_output import add_json_flag, attachment_line, emit, print_table
from inbox_worker.config import Settings
from inbox_worker.domain.model import QUEUED_STATUSES
from inbox_worker.domain.names import status_from_name
from inbox_worker.domain.targets import TargetView
from inbox_worker.errors import UsageError
from inbox_worker.mail.terminal import terminal_safe
from inbox_worker.service import targets, views
from inbox_worker.store import repository as repo
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema
from inbox_worker.store.models import Ticket

QUEUED = frozenset(s.value for s in QUEUED_STATUSES)
# `tickets list` shows a page, not the whole store (100,000 tickets are not read at once).
LIST_LIMIT = 100


@dataclass
class Reader:
    """What the ticket commands use of an `App` (the same attributes): the store, the
    settings and the clock, without the mailbox, templates and SMTP it also builds."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]

    def close(self) -> None:
        self.engine.dispose()


def open_reader(settings: Settings, now: datetime | None) -> Reader:
    writer = make_engine(settings.database.url)
    try:
        upgrade_schema(writer)  # as `build_app`: a store of an older version is brought up
    finally:
        writer.dispose()
    # Then only reading, never holding up a worker's writes (a long ticket takes a second).
    engine = make_engine(settings.database.url, read_only=True)
    return Reader(settings, engine, make_session_factory(engine),
                  (lambda: now) if now else (lambda: datetime.now(UTC)))


def add_tickets_parser(commands: Any) -> None:
    queue = commands.add_parser("queue", help="the technicians' queue, in order")
    add_json_flag(queue)

    tickets = commands.add_parser("tickets", help="list or show tickets")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", required=True,
                                             metavar="ACTION")
    listing = ticket_commands.add_parser(
        "list", help="tickets in ticket order, a page at a time",
        description="Tickets in ticket order (T-1 first), a page at a time: --limit of them "
                    "from --offset. The order is stable, so pages neither overlap nor skip "
                    "(a script reads pages until one has fewer than --limit tickets).")
    listing.add_argument("--status", action="append", metavar="STATUS[,STATUS...]",
                         help="only these statuses (repeatable, or a comma list): open, "
                              "in-progress, answered, closed, scheduled, on-hold, "
                              "customer-reply; any case")
    listing.add_argument("--limit", default=str(LIST_LIMIT), metavar="N",
                         help=f"at most N tickets (default {LIST_LIMIT})")
    listing.add_argument("--offset", default="0", metavar="N",
                         help="skip the first N tickets (default 0)")
    add_json_flag(listing)
    show = ticket_commands.add_parser("show", help="one ticket with messages and history")
    show.add_argument("ref", help="T-42, 42, or the ticket's token")
    add_json_flag(show)


def cmd_queue(app: Reader, args: argparse.Namespace) -> int:
    with app.sessions() as session:
        tickets = repo.queue(session)
        rows = [views.ticket_json(t, i, _targets(app, t)) for i, t in enumerate(tickets, start=1)]
    return _output(args, rows, print_tickets)


def cmd_tickets(app: Reader, args: argparse.Namespace) -> int:
    if args.tickets_command == "list":
        return _list_tickets(app, args)
    with app.sessions() as session:
        ticket = repo.find_ticket(session, args.ref)
        detail = views.ticket_detail_json(session, ticket, repo.queue_position(session, ticket),
                                          _targets(app, ticket))
    return _output(args, detail, print_detail)


def _output(args: argparse.Namespace, data: Any, printer: Callable[[Any], None]) -> int:
    if args.json:
        emit(data)
    else:
        printer(data)
    return 0


def _list_tickets(app: Reader, args: argparse.Namespace) -> int:
    statuses = _statuses(args.status)
    limit = _whole_number("--limit", args.limit, least=1)
    offset = _whole_number("--offset", args.offset, least=0)
    with app.sessions() as session:
        tickets = repo.list_tickets(session, statuses, limit=limit, offset=offset)
        positions = repo.queue_positions(session, [t.id for t in tickets if t.status in QUEUED])
        rows = [views.ticket_json(t, positions.get(t.id), _targets(app, t)) for t in tickets]
        # The JSON stays the array of the page (scripts rely on its shape); people get the
        # total under the table.
        total = None if args.json else repo.count_tickets(session, statuses)
    if args.json:
        emit(rows)
        return 0
    print_tickets(rows)
    if total is not None and (offset or len(rows) < total):
        shown = (f"{offset + 1}-{offset + len(rows)}" if len(rows) > 1
                 else f"{offset + 1}" if rows else "none")
        more = (f"; the next page: --offset {offset + limit}"
                if offset + len(rows) < total else "")
        print(f"({shown} of {total} ticket(s){more})")
    return 0


def _whole_number(option: str, text: str, *, least: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = least - 1
    if value < least:
        raise UsageError(f"{option} takes a whole number from {least} up, not {text!r}")
    return value


def _statuses(values: list[str] | None) -> list[str] | None:
    """The statuses as people type them (`in-progress`, `Customer Reply`), repeated or as a
    comma list; an unknown one is an error that lists the valid ones, not an empty list."""
    if not values:
        return None
    try:
        return [status_from_name(name.strip()).value
                for value in values for name in value.split(",")]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _targets(app: Reader, ticket: Ticket) -> TargetView:
    return targets.view(ticket, app.settings.targets, app.clock())


def print_tickets(rows: list[dict[str, Any]]) -> None:
    print_table(
        ("REF", "PLACE", "STATUS", "PRIORITY", "ASSIGNEE", "CUSTOMER", "SUBJECT"),
        [(row["ref"], row["queue_position"], row["status"], row["priority"], row["assignee"],
          row["customer"], row["subject"]) for row in rows],
        empty="(no tickets)", right=("PLACE",))


def print_detail(detail: dict[str, Any]) -> None:
    print(f"{detail['ref']}  [{detail['token']}]  {terminal_safe(detail['subject'])}")
    print(f"status: {detail['status']}  priority: {detail['priority']}  "
          f"customer: {terminal_safe(detail['customer'])}")
    if detail["linked_to"]:
        print(f"continues: {detail['linked_to']}")
    resolution = detail["resolution"]
    if resolution:
        print(f"resolution: {terminal_safe(resolution['text'])}  "
              f"({resolution['by']}, {resolution['at']})")
    if detail["duplicate_of"]:
        print(f"duplicate of: {detail['duplicate_of']}")
    rating = detail["satisfaction"]
    if rating:
        comment = f": {terminal_safe(rating['comment'])}" if rating["comment"] else ""
        print(f"satisfaction: {rating['rating']}/5{comment}  ({rating['at']})")
    for message in detail["messages"]:
        dated = (f" (dated {message['date']})" if message["date"]
                 and message["date"] != message["received_at"] else "")
        print(f"\n--- {message['direction']} {message['kind']} from "
              f"{terminal_safe(message['from'])} at {message['received_at']}{dated}")
        print(terminal_safe(message["text"]))
        for file in message["attachments"]:
            _print_attachment(file)
    print("\nhistory:")
    for event in detail["events"]:
        print(f"  {event['at']}  {event['kind']:<15} {event['from_status'] or '-'} -> "
              f"{event['to_status'] or '-'}  {terminal_safe(event['actor'])}: "
              f"{terminal_safe(event['cause'])}")


def _print_attachment(file: dict[str, Any]) -> None:
    print(attachment_line(file))
    forwarded = file.get("forwarded")
    if forwarded:  # the forwarded mail itself, indented below its file
        for name in ("from", "date", "subject"):
            print(f"    {name.capitalize()}: {terminal_safe(forwarded[name])}")
        print()
        for line in terminal_safe(forwarded["text"]).split("\n"):
            print(f"    {line}".rstrip())
