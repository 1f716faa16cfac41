"""/queue, /tickets and /tickets/REF: the queue in order, tickets found by what a lead
knows of them, and one ticket's conversation, events, notices' delivery and files.

A customer's HTML is shown only sanitized (nh3, as stored mail is everywhere), and then only
inside a sandboxed frame that runs nothing: two walls, either of which holds alone. Files
are downloaded, never shown inline: a hostile HTML or SVG file must not open as our page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inbox_worker.domain.model import Priority, Status
from inbox_worker.errors import InboxWorkerError
from inbox_worker.mail.sanitize import sanitize_html
from inbox_worker.service import targets, views
from inbox_worker.service.ticket_search import PAGE, TicketQuery, search_tickets
from inbox_worker.store import repository as repo
from inbox_worker.store.models import AttachmentRow, Message, Ticket
from inbox_worker.web.access import core, page, reads, row_id
from inbox_worker.web.auth import User
from inbox_worker.web.render import render

STATUSES = [status.value for status in Status]
# A ticket page shows its latest messages and events, so many of each (?all=1: every one):
# a ticket of thousands of mails is a page of megabytes.
SHOWN_MESSAGES = 200
PRIORITIES = [priority.value for priority in Priority]
# Pages further than this are a search to narrow, not to page through.
MAX_OFFSET = 10_000


def _row(request: Request, ticket: Ticket, position: int | None) -> dict[str, Any]:
    app = core(request)
    now = app.clock()
    data = views.ticket_json(ticket, position, targets.view(ticket, app.settings.targets, now))
    data["age"] = _age(now - ticket.created_at.astimezone(now.tzinfo)
                       if ticket.created_at else None)
    return data


def queue(request: Request, user: User) -> Response:
    with reads(request)() as session:
        rows = [_row(request, t, i) for i, t in enumerate(repo.queue(session), start=1)]
    return render(request, "queue.html", user, rows=rows)


def tickets(request: Request, user: User) -> Response:
    asked = request.query_params
    query = TicketQuery(**{key: asked.get(key, "")[:200] for key in
                           ("status", "priority", "category", "assignee", "customer",
                            "words")})
    if query.status and query.status not in STATUSES:
        raise HTTPException(400, "no such status")
    if query.priority and query.priority not in PRIORITIES:
        raise HTTPException(400, "no such priority")
    offset_text = asked.get("offset", "0")
    offset = min(int(offset_text), MAX_OFFSET) if re.fullmatch(r"[0-9]{1,6}", offset_text) else 0
    with reads(request)() as session:
        found = search_tickets(session, query, offset=offset)
        positions = repo.queue_positions(session, [t.id for t in found])
        rows = [_row(request, t, positions.get(t.id)) for t in found]
    return render(request, "tickets.html", user, rows=rows, query=query, statuses=STATUSES,
                  priorities=PRIORITIES,
                  newer=_page_url(query, max(offset - PAGE, 0)) if offset else None,
                  older=_page_url(query, offset + PAGE) if len(rows) == PAGE else None)


def _page_url(query: TicketQuery, offset: int) -> str:
    asked = {key: value for key, value in vars(query).items() if value}
    return "/tickets?" + urlencode({**asked, "offset": offset})


def ticket(request: Request, user: User) -> Response:
    app = core(request)
    with reads(request)() as session:
        found = _find(session, request.path_params["ref"])
        everything = request.query_params.get("all") == "1"
        detail = views.ticket_detail_json(
            session, found, repo.queue_position(session, found),
            targets.view(found, app.settings.targets, app.clock()),
            last=None if everything else SHOWN_MESSAGES)
        counts = {"messages": session.scalar(select(func.count()).select_from(Message).where(
            Message.ticket_id == found.id)) or 0}
        # Each message's primary key (its files are listed by it) and stored HTML, by
        # Message-ID (the key the JSON has).
        stored = {message_id: (pk, html) for message_id, pk, html in session.execute(
            select(Message.message_id, Message.id, Message.html).where(
                Message.ticket_id == found.id))}
        # Each message's file ids, in the order `ticket_detail_json` lists its files.
        files: dict[int, list[int]] = {}
        for file_id, message_pk in session.execute(
                select(AttachmentRow.id, AttachmentRow.message_pk)
                .join(Message, AttachmentRow.message_pk == Message.id)
                .where(Message.ticket_id == found.id).order_by(AttachmentRow.id)):
            files.setdefault(message_pk, []).append(file_id)
    for message in detail["messages"]:
        pk, html = stored.get(message["message_id"], (None, None))
        message["html"] = sanitize_html(html)
        ids = files.get(pk, []) if pk is not None else []
        for file, file_id in zip(message["attachments"], ids, strict=False):
            file["id"] = file_id
    return render(request, "ticket.html", user, ticket=detail, total=counts["messages"],
                  cut=len(detail["messages"]) < counts["messages"])


def download(request: Request, user: User) -> Response:
    file_id = row_id(request.path_params["file_id"])
    with reads(request)() as session:
        found = _find(session, request.path_params["ref"])
        row = session.get(AttachmentRow, file_id) if file_id is not None else None
        owner = session.get(Message, row.message_pk) if row is not None else None
        if row is None or owner is None or owner.ticket_id != found.id:
            raise HTTPException(404, "no such file on this ticket")
        data, filename = row.data, row.filename
    return Response(data, media_type="application/octet-stream", headers={
        "content-disposition": _attachment_disposition(filename)})


def _find(session: Any, ref: str) -> Ticket:
    try:
        return repo.find_ticket(session, ref)
    except InboxWorkerError:
        raise HTTPException(404, "no such ticket") from None


def _attachment_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback name and the UTF-8 one, neither able to break out of
    the header (quotes, backslashes, line breaks and controls removed)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                    for c in filename) or "file"
    return f'attachment; filename="{plain}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


ROUTES = [
    Route("/queue", page(queue), methods=["GET"]),
    Route("/tickets", page(tickets), methods=["GET"]),
    Route("/tickets/{ref}", page(ticket), methods=["GET"]),
    Route("/tickets/{ref}/files/{file_id}", page(download), methods=["GET"]),
]
