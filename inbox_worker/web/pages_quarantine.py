"""/quarantine: mails put aside, their headers and reason; an admin retries one (after a
fix, e.g. a raised size limit), as `quarantine retry` does."""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inbox_worker.errors import InboxWorkerError
from inbox_worker.mail.triage import decoded_headers
from inbox_worker.service import quarantine as held
from inbox_worker.web.access import action, core, page, reads, row_id
from inbox_worker.web.auth import User
from inbox_worker.web.render import render

SHOWN_BYTES = 20_000  # of the raw mail on the page; the rest is the export's
RETRIED = re.compile(r"held|done|T-[0-9]{1,10}")


def list_held(request: Request, user: User) -> Response:
    everything = request.query_params.get("all") == "1"
    with reads(request)() as session:
        rows = [held.quarantine_json(r)
                for r in held.list_quarantine(session, include_released=everything)]
    return render(request, "quarantine.html", user, rows=rows, everything=everything)


def _record_id(request: Request) -> str:
    found = row_id(request.path_params["record_id"])
    if found is None:
        raise HTTPException(404, "no such quarantined mail")
    return str(found)


def show(request: Request, user: User) -> Response:
    record_id = _record_id(request)
    retried = request.query_params.get("retried", "")
    with reads(request)() as session:
        try:
            record = held.get_quarantined(session, record_id)
        except InboxWorkerError:
            raise HTTPException(404, "no such quarantined mail") from None
        data = held.quarantine_json(record)
        raw = record.raw or b""
    return render(request, "quarantine_show.html", user, record=data,
                  headers=decoded_headers(raw),
                  raw=raw[:SHOWN_BYTES].decode("utf-8", "replace"),
                  cut=len(raw) > SHOWN_BYTES,
                  # Only what a retry redirects with: a link cannot put words on the page.
                  retried=retried if RETRIED.fullmatch(retried) else None)


def retry(request: Request, user: User, _form: FormData) -> Response:
    app = core(request)
    record_id = _record_id(request)
    try:
        result = held.retry_quarantined(app.sessions, app.ingestor, record_id, app.clock())
    except InboxWorkerError:
        raise HTTPException(404, "no such quarantined mail") from None
    retried = "held" if result.quarantined else result.ticket_ref or "done"
    return RedirectResponse(f"/quarantine/{record_id}?retried={retried}", status_code=303)


ROUTES = [
    Route("/quarantine", page(list_held), methods=["GET"]),
    Route("/quarantine/{record_id}", page(show), methods=["GET"]),
    Route("/quarantine/{record_id}/retry", action(retry, admin=True), methods=["POST"]),
]
