"""The report by mail (`report --mail`, and the weekly one of `run`): one mail to
`[report] recipients` with a plain-text part and an HTML part, queued in the outbox.

Mail clients strip SVG and block remote images, so the mail's charts are table cells of a
given width and colour, and its CSS sits in the page. Every text is escaped as on the page.

The weekly report covers the previous ISO week (Monday 00:00 to Monday 00:00 in [alerts]
timezone) and goes at `[report] weekly_at` ("monday 08:00"). Its period ("2026-W49") is
recorded in `report_mails` in the same transaction as its mail: the primary key refuses a
second record, so two workers, or a restart, never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.errors import ConfigError
from inbox_worker.notices.render import RenderedNotice
from inbox_worker.notices.variables import REPORT
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.report import build_report
from inbox_worker.service.report_svg import (
    CLOSED_COLOUR,
    OPENED_COLOUR,
    Bar,
    age_bars,
    attainment_bars,
    esc,
    rating_bars,
)
from inbox_worker.service.report_tables import (
    card,
    detail_tables,
    moment,
    satisfaction_facts,
    targets_table,
)
from inbox_worker.service.report_text import summary_text
from inbox_worker.store.models import ReportMail

log = logging.getLogger("inbox_worker.report")
NO_RECIPIENTS = "no report recipients: set [report] recipients in the configuration"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAIL_CSS = """
body{margin:0;padding:16px;background:#f1f5f9;color:#0f172a;
 font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
.card{background:#fff;border-radius:8px;padding:12px 16px;margin:0 0 14px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 10px;color:#334155}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e2e8f0;text-align:right;font-size:13px}
th{color:#64748b;font-weight:600}
th:first-child,td:first-child{text-align:left}
.bars td{border:0;padding:3px 6px}
.bar{height:6px;background:#bfdbfe;margin-left:auto}
.facts dt{color:#64748b;float:left;clear:left;width:200px}.facts dd{margin:0 0 4px 210px}
.note,.period{color:#64748b;font-size:12px}
.comment{white-space:pre-wrap}
"""


def mail_bars(rows: Sequence[Bar], *, peak: float | None = None) -> str:
    """Horizontal bars as table cells: what every mail client draws."""
    top = peak or max([1.0, *(value for _, value, _, _ in rows)])
    cells = []
    for name, value, colour, shown in rows:
        width = max(0, min(100, round(100 * value / top)))
        bar = (f'<div style="background:{colour};width:{width}%;height:14px;'
               'border-radius:3px"></div>' if width else "")
        cells.append(f'<tr><td style="width:30%">{esc(name)}</td>'
                     f'<td style="width:55%">{bar}</td><td>{esc(shown)}</td></tr>')
    return f'<table class="bars">{"".join(cells)}</table>'


def render_mail_html(report: dict[str, Any]) -> str:
    period, totals = report["period"], report["totals"]
    happy = report["satisfaction"]
    flow = [bar for day in report["per_day"] for bar in (
        (f"{day['date']} opened", day["opened"], OPENED_COLOUR, str(day["opened"])),
        (f"{day['date']} closed", day["closed"], CLOSED_COLOUR, str(day["closed"])))]
    parts = [
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<style>{MAIL_CSS}</style></head><body>",
        '<div class="card"><h1>Support team report</h1>'
        f'<p class="period">{esc(moment(period["start"]))} – {esc(moment(period["end"]))} '
        f"UTC · {esc(period['days'])} day(s)</p>"
        f"<p>{esc(totals['opened'])} opened, {esc(totals['closed'])} closed "
        f"({esc(totals['closed_automatically'])} automatically)</p></div>",
        card("Opened and closed per day", mail_bars(flow)),
        card("Targets met per priority", mail_bars(attainment_bars(report["targets"]), peak=100)
             + targets_table(report["targets"], report["escalations"])),
        card("Queue by waiting time", mail_bars(age_bars(report["queue"]["by_age"]))),
        card("Satisfaction", mail_bars(rating_bars(happy["distribution"]))
             + satisfaction_facts(happy)),
        detail_tables(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def period_title(report: dict[str, Any]) -> str:
    """The period as the subject names it: 1 Oct 2026 00:00 – 8 Oct 2026 00:00 UTC."""
    return f"{moment(report['period']['start'])} – {moment(report['period']['end'])} UTC"


def render_mail(report: dict[str, Any], subject: str) -> RenderedNotice:
    return RenderedNotice(subject=subject, text=summary_text(report) + "\n",
                          html=render_mail_html(report))


def queue_report_mail(session: Session, outbox: Outbox, report: dict[str, Any],
                      recipients: Sequence[str], now: datetime, subject: str) -> int:
    """The report's mail in the outbox, in the caller's transaction; how many recipients."""
    if not recipients:
        raise ConfigError(NO_RECIPIENTS)
    queued = outbox.internal(session, REPORT, list(recipients), {}, now,
                             rendered=render_mail(report, subject))
    return len(recipients) if queued is not None else 0


def report_for(session: Session, outbox: Outbox, start: datetime, end: datetime,
               now: datetime) -> dict[str, Any]:
    settings = outbox.settings
    return build_report(session, start=start, end=end, now=now,
                        technicians=settings.technicians.addresses, targets=settings.targets)


# --- the weekly one -----------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyResult:
    period: str  # e.g. 2026-W49
    queued: int
    already_sent: bool = False


def weekly_period(now: datetime, weekly_at: str, zone: str
                  ) -> tuple[str, datetime, datetime] | None:
    """The week to report on, if this week's moment `weekly_at` ("monday 08:00", local;
    "" = off) has come: (its ISO name, its Monday 00:00, the next Monday 00:00)."""
    if not weekly_at:
        return None
    day, _, clock = weekly_at.strip().lower().partition(" ")
    weekday = next(n for n, name in enumerate(WEEKDAYS) if name.startswith(day[:3]))
    hours, minutes = (int(part) for part in clock.strip().split(":"))
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    this_monday = local.date() - timedelta(days=local.weekday())
    due = datetime.combine(this_monday + timedelta(days=weekday), time(hours, minutes), tz)
    if local < due:
        return None
    last_monday = this_monday - timedelta(days=7)
    year, week, _ = last_monday.isocalendar()
    return (f"{year}-W{week:02d}", datetime.combine(last_monday, time(), tz),
            datetime.combine(this_monday, time(), tz))


def send_weekly_report(sessions: sessionmaker[Session], outbox: Outbox,
                       now: datetime) -> WeeklyResult | None:
    """The previous week's report, once, when it is due; None when not due (or off)."""
    settings = outbox.settings
    due = weekly_period(now, settings.report.weekly_at, settings.alerts.timezone)
    if due is None or not settings.report.recipients:
        return None
    period, start, end = due
    try:
        with sessions.begin() as session:
            if session.get(ReportMail, period) is not None:
                return WeeklyResult(period, 0, already_sent=True)
            session.add(ReportMail(period=period, created_at=now))
            session.flush()
            report = report_for(session, outbox, start, end, now)
            queued = queue_report_mail(session, outbox, report, settings.report.recipients,
                                       now, f"Weekly support report {period}")
    except IntegrityError:
        # Another worker recorded this week's report between our look and our write.
        return WeeklyResult(period, 0, already_sent=True)
    log.info("weekly report period=%s recipients=%d", period, queued)
    return WeeklyResult(period, queued)
