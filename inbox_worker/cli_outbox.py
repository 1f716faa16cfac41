"""`inbox-worker outbox list|show|retry`: what was and will be sent, decoded; a failed one
sent again (PRODUCT.md section 6)."""

from __future__ import annotations

import argparse
from typing import Any

from inbox_worker.cli_output import add_json_flag, attachment_line, emit, print_table
from inbox_worker.mail.terminal import terminal_safe
from inbox_worker.service import outbox_view

STATE_HELP = ", ".join(outbox_view.STATES)


def add_outbox_parser(commands: Any) -> None:
    outbox = commands.add_parser("outbox", help="what was and will be sent")
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the outbox, newest first")
    listing.add_argument("--state", help=f"only mails in this state: {STATE_HELP}")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    add_json_flag(listing)
    show = actions.add_parser("show", help="one mail, decoded as its reader sees it")
    show.add_argument("id", help="the mail's ID (outbox list) or its Message-ID")
    add_json_flag(show)
    retry = actions.add_parser("retry", help="send a failed mail again")
    retry.add_argument("id", help="a failed mail's ID (outbox list --state failed)")
    add_json_flag(retry)


def cmd_outbox(app: Any, args: argparse.Namespace) -> int:
    action = args.outbox_command
    if action == "retry":
        row = outbox_view.retry_outbox(app.sessions, args.id, app.clock())
        delivery = app.send_due_notices()
        row["sent_now"] = delivery.sent > 0
        if args.json:
            emit(row)
        else:
            print(f"outbox mail {row['id']} to {row['to']}: "
                  + ("sent" if delivery.sent else "due again, not sent yet (see outbox show)"))
        return 0
    with app.sessions() as session:
        if action == "list":
            state = outbox_view.outbox_state(args.state) if args.state else None
            rows = outbox_view.list_outbox(session, state, max(1, args.limit))
            if args.json:
                emit(rows)
            else:
                _print_rows(rows)
            return 0
        data = outbox_view.show_outbox(session, args.id)
    if args.json:
        emit(data)
    else:
        _print_mail(data)
    return 0


def _print_rows(rows: list[dict[str, Any]]) -> None:
    print_table(("ID", "STATE", "TICKET", "TEMPLATE", "TO", "SUBJECT"),
                [(r["id"], r["state"], r["ticket"], r["template"], r["to"], r["subject"])
                 for r in rows],
                empty="(the outbox is empty)", right=("ID",))


def _print_mail(data: dict[str, Any]) -> None:
    print(f"outbox mail {data['id']}: {data['state']}, {data['attempts']} attempt(s)"
          + (f", last error: {terminal_safe(data['last_error'])}" if data["last_error"]
             else ""))
    print(f"queued {data['created_at']}" + (f", sent {data['sent_at']}" if data["sent_at"]
                                           else ""))
    print()
    for name, value in data["headers"].items():
        print(f"{name}: {terminal_safe(value)}")
    print()
    print(terminal_safe(data["text"]).rstrip("\n"))
    if data["attachments"]:
        print()
        for file in data["attachments"]:
            print(attachment_line(file))
