"""`inbox-worker report`: the team's numbers for a period (PRODUCT.md section 5a), as text,
`--json`, an `--html` page, `--csv` rows, or a `--mail` to `[report] recipients`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from inbox_worker.cli_output import emit
from inbox_worker.errors import ConfigError, InboxWorkerError, UsageError
from inbox_worker.service.report import DEFAULT_DAYS, build_report, cohort
from inbox_worker.service.views import iso

STDOUT = "-"


def parse_report_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time, UTC unless it says otherwise.

    A bare date means its midnight, or with `end_of_day` the next midnight, so that
    ``--from 2026-10-01 --to 2026-10-31`` covers the whole of October.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date (2026-10-01) or date and time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _report_from(text: str) -> datetime:
    return parse_report_moment(text)


def _report_to(text: str) -> datetime:
    return parse_report_moment(text, end_of_day=True)


def add_report_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="the team's numbers: response times, targets, satisfaction, backlog")
    report.add_argument("--from", dest="start", type=_report_from, metavar="DATE",
                        help=f"start (ISO date or date-time, UTC; default: {DEFAULT_DAYS} "
                             "days before now)")
    report.add_argument("--to", dest="end", type=_report_to, metavar="DATE",
                        help="end, exclusive; a bare date includes that day (default: now)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--html", type=Path, metavar="FILE",
                        help="write the report as a self-contained HTML page")
    report.add_argument("--csv", nargs="?", const=STDOUT, metavar="FILE",
                        help="one row per ticket created in the period, to FILE "
                             "(default: stdout)")
    report.add_argument("--mail", action="store_true",
                        help="mail the report to [report] recipients")


def cmd_report(app: Any, args: argparse.Namespace) -> int:
    # Here, not at the top: the renderings and the mail bring Jinja2 and the outbox, which
    # building the parser (every command's start) does not need.
    from inbox_worker.service.report_csv import write_csv
    from inbox_worker.service.report_html import render_html
    from inbox_worker.service.report_mail import NO_RECIPIENTS, period_title, queue_report_mail
    from inbox_worker.service.report_text import summary_text

    now = app.clock()
    end = args.end or now
    start = args.start or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ConfigError(f"report period is empty: --from {iso(start)} is not before "
                          f"--to {iso(end)}")
    if args.csv == STDOUT and args.json:
        raise UsageError("--csv and --json both print to stdout: give --csv a FILE")
    recipients = app.settings.report.recipients
    if args.mail and not recipients:
        raise ConfigError(NO_RECIPIENTS)
    settings = app.settings
    period = {"start": start, "end": end, "now": now,
              "technicians": settings.technicians.addresses}
    with app.sessions() as session:
        rows = (cohort(session, start=start, end=end, technicians=period["technicians"],
                       targets=settings.targets) if args.csv else None)
        report = build_report(session, **period, targets=settings.targets, measured=rows)
    # With --json (or CSV on stdout), stdout holds that document only.
    notes = sys.stderr if args.json or args.csv == STDOUT else sys.stdout
    if args.html is not None:
        _write(args.html, lambda out: out.write(render_html(report)))
        print(args.html, file=notes)
    if args.csv == STDOUT:
        write_csv(rows or [], sys.stdout)
    elif args.csv:
        _write(Path(args.csv), lambda out: write_csv(rows or [], out))
        print(args.csv, file=notes)
    if args.mail:
        with app.sessions.begin() as session:
            queued = queue_report_mail(session, app.outbox, report, recipients, now,
                                       f"Support report {period_title(report)}")
        delivery = app.send_due_notices()
        print(f"report mailed to {queued} recipient(s), {delivery.sent} mail(s) sent",
              file=notes)
    if args.json:
        emit(report)
    elif args.html is None and not args.csv and not args.mail:
        print(summary_text(report))
    return 0


def _write(path: Path, write: Any) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as out:
            write(out)
    except OSError as exc:
        raise InboxWorkerError(f"cannot write {path}: {exc.strerror}") from exc
