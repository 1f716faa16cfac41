"""The `inbox-worker` command: the contract of PRODUCT.md section 6.

Parses arguments, loads the configuration, calls the service, prints. Every error the
worker knows about becomes one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_worker import __version__
from inbox_worker.cli_health import add_health_parser, cmd_health
from inbox_worker.cli_outbox import add_outbox_parser, cmd_outbox
from inbox_worker.cli_output import add_json_flag, emit, print_table
from inbox_worker.cli_quarantine import add_quarantine_parser, cmd_quarantine
from inbox_worker.cli_report import add_report_parser, cmd_report
from inbox_worker.cli_tickets import add_tickets_parser, cmd_queue, cmd_tickets, open_reader
from inbox_worker.cli_web import add_web_parser, cmd_web
from inbox_worker.config import Settings, load_settings
from inbox_worker.errors import ConfigError, InboxWorkerError, UsageError
from inbox_worker.logs import configure_logging, use_log_format
from inbox_worker.notices.variables import NOTICE_KINDS

if TYPE_CHECKING:
    from inbox_worker.app import App

NOW_ENV = "INBOX_WORKER_NOW"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-worker", description="A support team's ticket flow, run from a mailbox."
    )
    parser.add_argument("--version", action="version", version=f"inbox-worker {__version__}")
    parser.add_argument("--config", type=Path, help="configuration file (TOML)")
    parser.add_argument("--now", help="fix the clock for this command (ISO 8601)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="the long-running worker")
    run.add_argument("--interval", type=float, help="seconds between mailbox polls")

    poll = commands.add_parser("poll", help="process what is in the mailbox now")
    poll.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    add_json_flag(poll)

    ingest = commands.add_parser("ingest", help="process raw messages from files or stdin")
    ingest.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="raw RFC 5322 mails (.eml); none: one mail from stdin")
    add_json_flag(ingest)

    rules = commands.add_parser("rules", help="time rules")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rules_run = rules_commands.add_parser(
        "run", help="apply auto-close, scheduled start and escalations now")
    add_json_flag(rules_run)

    add_tickets_parser(commands)
    add_quarantine_parser(commands)

    templates = commands.add_parser("templates", help="notice templates")
    template_commands = templates.add_subparsers(dest="templates_command", required=True,
                                                 metavar="ACTION")
    template_commands.add_parser("check", help="validate every template")
    preview = template_commands.add_parser("preview", help="render one template")
    preview.add_argument("name", help="the notice: " + ", ".join(NOTICE_KINDS))
    preview.add_argument("--ticket", metavar="REF",
                         help="render with this ticket's data (T-42, 42 or its token) "
                              "instead of sample data")
    digest = commands.add_parser("digest", help="the technicians' daily digest")
    digest_commands = digest.add_subparsers(dest="digest_command", required=True,
                                            metavar="ACTION")
    digest_send = digest_commands.add_parser(
        "send", help="send the digest now (also when the daily one is off)")
    digest_send.add_argument("--once", action="store_true",
                             help="only if today's digest has not gone yet (for cron)")
    add_json_flag(digest_send)
    add_outbox_parser(commands)
    add_report_parser(commands)
    add_health_parser(commands)
    add_web_parser(commands)
    return parser


def parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"--now {text!r} is not an ISO 8601 date and time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(
        logging.INFO if args.verbose or args.command in ("run", "web") else logging.WARNING)
    try:
        return dispatch(args)
    except InboxWorkerError as exc:
        for line in str(exc).splitlines() or [""]:  # a configuration's mistakes: one a line
            print(f"inbox-worker: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): not an error of ours.
        sys.stderr.close()
        return 0


def dispatch(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    use_log_format(settings.logging.format)
    if args.command == "templates" and args.templates_command == "check":
        return cmd_templates_check(settings)
    now = parse_now(args.now or os.environ.get(NOW_ENV))
    if args.command == "health":  # without build_app: health reads, never migrates
        return cmd_health(settings, args, now or datetime.now(UTC))
    if args.command in READERS:
        # Without `build_app` and what it imports (mail parsing, templates, SMTP): these
        # only read the store, and answer in a fraction of a second.
        reader = open_reader(settings, now)
        try:
            return READERS[args.command](reader, args)
        finally:
            reader.close()
    # Imported here, not above: `queue` and `tickets` never need it (see READERS).
    from inbox_worker.app import build_app, fixed_clock, system_clock

    app = build_app(settings, clock=fixed_clock(now) if now else system_clock)
    try:
        handler = HANDLERS[args.command]
        return handler(app, args)
    finally:
        app.close()


def cmd_poll(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.service.heartbeat import Heartbeat

    # Registered like `run`: a long pass may claim hundreds of notices, which another
    # worker takes over at once if this one is killed (`service.liveness`).
    with Heartbeat(app.sessions):
        summary, delivery = app.poll_and_deliver()
    if args.json:
        emit({"processed": summary.total, "outcomes": dict(summary.outcomes),
              "notices": {"sent": delivery.sent, "failed": delivery.failed,
                          "retrying": delivery.retried}})
    else:
        print(_summary_line(summary.total, summary.outcomes))
        print(f"{delivery.sent} notice(s) sent, {delivery.failed} failed, "
              f"{delivery.retried} to retry")
    return 0


def cmd_rules(app: App, args: argparse.Namespace) -> int:
    summary = app.apply_time_rules()
    delivery = app.send_due_notices()
    data = {"auto_closed": summary.auto_closed, "started": summary.started,
            "escalated": summary.escalated, "surveys": summary.surveys,
            "notices_sent": delivery.sent}
    if getattr(args, "json", False):
        emit(data)
    else:
        print(f"{summary.auto_closed} auto-closed, {summary.started} scheduled started, "
              f"{summary.escalated} escalated, {summary.surveys} survey(s), "
              f"{delivery.sent} mail(s) sent")
    return 0


def cmd_digest(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.service.digest import send_digest

    result = send_digest(app.sessions, app.outbox, app.clock(), once=args.once)
    delivery = app.send_due_notices()
    data = {"day": result.day.isoformat(), "queued": result.queued,
            "already_sent": result.already_sent, "mails_sent": delivery.sent}
    if args.json:
        emit(data)
    elif result.already_sent:
        print(f"the digest of {result.day} went already (without --once it goes again)")
    else:
        print(f"digest of {result.day}: {result.queued} recipient(s), "
              f"{delivery.sent} mail(s) sent")
    return 0


def cmd_templates_check(settings: Settings) -> int:
    from inbox_worker.notices.render import NoticeRenderer

    problems = NoticeRenderer(settings.templates_dir).check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"inbox-worker: error: {len(problems)} template problem(s)", file=sys.stderr)
        return 1
    print(f"templates in {settings.templates_dir}: all good")
    return 0


def cmd_templates(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.notices.render import kind_from_name
    from inbox_worker.service.previews import mail_subject, preview_context, sample_with_prefix
    from inbox_worker.store import repository as repo

    kind = kind_from_name(args.name)
    try:
        context = app.renderer.sample_context(kind)
    except ValueError as exc:  # an unknown notice name
        raise UsageError(str(exc)) from exc
    if args.ticket:
        with app.sessions() as session:
            ticket = repo.find_ticket(session, args.ticket)
            context = preview_context(session, app.outbox, kind, ticket, app.clock())
    else:
        context = sample_with_prefix(context, app.settings.support.token_prefix)
    rendered, problems = app.renderer.preview(kind, context)
    if rendered is None:
        # What would go out instead is not what the admin wrote: show the errors only.
        for problem in problems:
            print(f"inbox-worker: error: {problem}", file=sys.stderr)
        print(f"inbox-worker: error: {kind} does not render; until it is fixed, its mails "
              "use the last version that worked or the built-in default", file=sys.stderr)
        return 1
    print(f"Subject: {mail_subject(kind, rendered.subject, context)}\n")
    print(rendered.text)
    if rendered.html:
        print("\n--- HTML ---")
        print(rendered.html)
    return 0


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.mail.maildir import RawSource

    source = RawSource(args.files)
    results = []
    for fetched in source.fetch():
        result = app.ingestor.process(fetched, app.clock())
        results.append({"outcome": result.outcome, "ticket": result.ticket_ref,
                        "message_id": result.message_key, "detail": result.detail})
    if args.json:
        emit(results)
    else:
        print_table(("OUTCOME", "TICKET", "DETAIL"),
                    [(item["outcome"], item["ticket"], item["detail"]) for item in results],
                    empty="(no mail given)")
    return 0


def cmd_run(app: App, args: argparse.Namespace) -> int:
    from inbox_worker.service.heartbeat import Heartbeat
    from inbox_worker.service.metrics import serving_metrics
    from inbox_worker.worker import Worker, print_progress

    worker = Worker(
        app,
        poll_interval=args.interval or app.settings.poll_interval,
        progress=print_progress if args.verbose and sys.stderr.isatty() else None,
    )
    worker.install_signal_handlers()
    with serving_metrics(app.metrics, app.settings.metrics, app.sessions, app.clock), \
            Heartbeat(app.sessions):
        return worker.run()


def _summary_line(total: int, outcomes: dict[str, int]) -> str:
    parts = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    return f"{total} mail(s) processed" + (f": {parts}" if parts else "")


# Commands that only read tickets: they get a reader of the store, not the whole App.
READERS = {"queue": cmd_queue, "tickets": cmd_tickets}
HANDLERS = {
    "run": cmd_run,
    "poll": cmd_poll,
    "ingest": cmd_ingest,
    "quarantine": cmd_quarantine,
    "rules": cmd_rules,
    "templates": cmd_templates,
    "report": cmd_report,
    "digest": cmd_digest,
    "outbox": cmd_outbox,
    "web": cmd_web,
}


if __name__ == "__main__":
    sys.exit(main())
