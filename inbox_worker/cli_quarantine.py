"""`inbox-worker quarantine list|show|export|retry`: mails put aside, shown safely."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from inbox_worker.cli_output import add_json_flag, emit, print_table
from inbox_worker.mail.terminal import terminal_safe
from inbox_worker.mail.triage import decoded_headers


def add_quarantine_parser(commands: Any) -> None:
    parser = commands.add_parser("quarantine", help="mails that could not be processed")
    quarantine_commands = parser.add_subparsers(dest="quarantine_command", required=True,
                                                metavar="ACTION")
    q_list = quarantine_commands.add_parser("list", help="quarantined mails")
    q_list.add_argument("--all", action="store_true", help="include released ones")
    add_json_flag(q_list)
    q_show = quarantine_commands.add_parser(
        "show", help="one quarantined mail: its headers decoded, its text made safe to print")
    q_show.add_argument("id", help="the record's ID (quarantine list)")
    add_json_flag(q_show)
    q_export = quarantine_commands.add_parser(
        "export", help="one quarantined mail's raw bytes, to save: export ID > mail.eml")
    q_export.add_argument("id", help="the record's ID (quarantine list)")
    q_retry = quarantine_commands.add_parser("retry", help="process a quarantined mail again")
    q_retry.add_argument("id", help="the record's ID (quarantine list)")
    add_json_flag(q_retry)


def cmd_quarantine(app: Any, args: argparse.Namespace) -> int:
    # Here, not at the top: it brings the whole ingest pipeline, which building the
    # parser (every command's start) does not need.
    from inbox_worker.service import quarantine

    action = args.quarantine_command
    if action == "retry":
        result = quarantine.retry_quarantined(app.sessions, app.ingestor, args.id, app.clock())
        data = {"outcome": result.outcome, "ticket": result.ticket_ref, "detail": result.detail}
        if args.json:
            emit(data)
        else:
            print(f"{data['outcome']} {data['ticket'] or '-'} {data['detail']}")
        return 0 if not result.quarantined else 1
    with app.sessions() as session:
        if action == "list":
            rows = [quarantine.quarantine_json(r)
                    for r in quarantine.list_quarantine(session, include_released=args.all)]
            if args.json:
                emit(rows)
            else:
                print_table(("ID", "RECEIVED", "BYTES", "FROM", "REASON"),
                            [(r["id"], r["created_at"], r["size"], r["sender"], r["reason"])
                             for r in rows],
                            empty="(quarantine is empty)", right=("ID", "BYTES"))
            return 0
        record = quarantine.get_quarantined(session, args.id)
        data = quarantine.quarantine_json(record)
        raw = record.raw
    if action == "export":
        sys.stdout.buffer.write(raw)  # the mail as it came, for a mail client or a fix
        return 0
    data["headers"] = decoded_headers(raw)
    if args.json:
        data["raw"] = raw.decode("utf-8", "replace")
        emit(data)
    else:
        # Hostile bytes stay visible but harmless: no escape sequence reaches the terminal.
        for key, value in data.items():
            if key != "headers":
                print(f"{key}: {terminal_safe(str(value))}")
        print()
        for name, value in data["headers"].items():
            print(f"{name}: {terminal_safe(value)}")
        print()
        sys.stdout.write(terminal_safe(raw.decode("utf-8", "replace")) + "\n")
        print("(the raw mail: inbox-worker quarantine export ID > mail.eml)")
    return 0
