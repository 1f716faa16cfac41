"""/report: the team's numbers for a chosen period, the same HTML page as `report --html`,
shown in a frame below the period's form."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from inbox_worker.errors import InboxWorkerError
from inbox_worker.service.report import DEFAULT_DAYS, build_report
from inbox_worker.service.report_html import render_html
from inbox_worker.web.access import core, page, reads
from inbox_worker.web.auth import User
from inbox_worker.web.render import render

# The report page has its own stylesheet inline (it is also a file people mail around); it
# has no script. It may be framed by the console only.
MAX_DAYS = 3 * 366  # a report over years is a database's scan for a page nobody reads
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                 "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def _period(request: Request) -> tuple[date, date]:
    """The first and last day (UTC) asked for; the last DEFAULT_DAYS days by default."""
    today = core(request).clock().astimezone(UTC).date()
    try:
        last = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        first = date.fromisoformat(request.query_params.get("from")
                                   or (last - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    except ValueError:
        raise HTTPException(400, "dates are YYYY-MM-DD") from None
    if last < first:
        raise HTTPException(400, "the period ends before it starts")
    if last > today or (last - first).days >= MAX_DAYS:
        raise HTTPException(400, f"a period ends today at the latest and spans at most "
                                 f"{MAX_DAYS} days")
    return first, last


def report_page(request: Request, user: User) -> Response:
    first, last = _period(request)
    return render(request, "report.html", user, first=first.isoformat(),
                  last=last.isoformat())


def report_view(request: Request, _user: User) -> Response:
    app = core(request)
    first, last = _period(request)
    now = app.clock()
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = min(datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC), now)
    try:
        with reads(request)() as session:
            report = build_report(session, start=start, end=end, now=now,
                                  technicians=app.settings.technicians.addresses,
                                  targets=app.settings.targets)
    except InboxWorkerError as exc:
        raise HTTPException(400, str(exc)) from None
    return HTMLResponse(render_html(report), headers={
        "content-security-policy": REPORT_POLICY, "x-frame-options": "SAMEORIGIN"})


ROUTES = [
    Route("/report", page(report_page), methods=["GET"]),
    Route("/report/view", page(report_view), methods=["GET"]),
]
