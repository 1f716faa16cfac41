"""/templates and /templates/NAME: every notice template with its state; an editor whose
preview renders the draft as it would go out (sample data or a real ticket), refuses a
broken draft with its problems by line, saves atomically and restores earlier versions
(see `service.template_edits`). Reading is for every signed-in user; changing, for admins.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inbox_worker.errors import InboxWorkerError
from inbox_worker.notices.compose import compose_notice
from inbox_worker.notices.template_files import kind_from_name
from inbox_worker.service import template_edits as edits
from inbox_worker.service.previews import mail_subject, preview_context, sample_with_prefix
from inbox_worker.store import repository as repo
from inbox_worker.web import html_previews
from inbox_worker.web.access import action, core, field, page, reads, row_id
from inbox_worker.web.auth import User
from inbox_worker.web.render import render

SOURCE_FIELD = "source"  # PRODUCT.md section 6a: the text field of a save


def _name(request: Request) -> str:
    try:
        return edits.check_name(request.path_params["name"])
    except edits.UnknownTemplate:
        raise HTTPException(404, "no such template") from None


def list_templates(request: Request, user: User) -> Response:
    files = edits.template_files(core(request).settings.templates_dir)
    return render(request, "templates.html", user, files=files)


def editor(request: Request, user: User) -> Response:
    name = _name(request)
    source = edits.current_source(core(request).settings.templates_dir, name)
    return _editor_page(request, user, name, source, ticket_ref="",
                        saved=request.query_params.get("saved") == "1")


def preview(request: Request, user: User, form: FormData) -> Response:
    """The draft rendered, as a fragment for the editor's script (or the whole page
    without script)."""
    name = _name(request)
    source = _source(form)
    ticket_ref = field(form, "ticket", limit=100).strip()
    if request.headers.get("x-requested-with") == "preview":
        return render(request, "preview.html", user, **_preview(request, user, name, source,
                                                                ticket_ref))
    return _editor_page(request, user, name, source, ticket_ref=ticket_ref)


def save(request: Request, user: User, form: FormData) -> Response:
    name = _name(request)
    return _save(request, user, name, _source(form))


def restore(request: Request, user: User, form: FormData) -> Response:
    name = _name(request)
    version = row_id(field(form, "version", limit=20))
    with reads(request)() as session:
        source = (edits.version_source(session, name, version) if version is not None
                  else None)
    if source is None:
        raise HTTPException(404, "no such version of this template")
    return _save(request, user, name, source)


def _save(request: Request, user: User, name: str, source: str) -> Response:
    app = core(request)
    result = edits.save_template(app.sessions, app.settings.templates_dir, name, source,
                                 by=user.address, now=app.clock())
    if result.problems:
        return _editor_page(request, user, name, source, ticket_ref="", status=422,
                            refused=True)
    return RedirectResponse(f"/templates/{name}?saved=1", status_code=303)


def _source(form: FormData) -> str:
    # Browsers send a textarea's lines with CRLF; the files have LF.
    return field(form, SOURCE_FIELD, limit=edits.MAX_SOURCE_CHARS).replace("\r\n", "\n")


def _editor_page(request: Request, user: User, name: str, source: str, *, ticket_ref: str,
                 status: int = 200, saved: bool = False, refused: bool = False) -> Response:
    with reads(request)() as session:
        versions = edits.versions(session, name)
    shown = _preview(request, user, name, source, ticket_ref)
    return render(request, "template_edit.html", user, status=status, name=name,
                  source=source, versions=versions, saved=saved, refused=refused,
                  ticket_ref=ticket_ref, **shown)


def _preview(request: Request, user: User, name: str, source: str,
             ticket_ref: str) -> dict[str, Any]:
    """What the preview shows: the mail (subject, text, HTML, the raw message) or the
    draft's problems, or why the chosen ticket cannot be used."""
    app = core(request)
    kind = kind_from_name(name)
    context = sample_with_prefix(app.renderer.sample_context(kind),
                                 app.settings.support.token_prefix)
    if ticket_ref:
        try:
            with reads(request)() as session:
                ticket = repo.find_ticket(session, ticket_ref)
                context = preview_context(session, app.outbox, kind, ticket, app.clock())
        except InboxWorkerError as exc:
            return {"ticket_error": str(exc), "problems": (), "mail": None}
    result = edits.render_draft(app.settings.templates_dir, name, source, context)
    if result.rendered is None:
        return {"ticket_error": None, "problems": result.problems, "mail": None}
    # The subject as sent (with the token where the outbox adds one), given whole.
    subject = mail_subject(kind, result.rendered.subject, context)
    support = context.get("support") or {}
    customer = context.get("customer") or {}
    to = customer.get("address") or context.get("recipient") or "someone@example.org"
    try:
        raw = compose_notice(
            rendered=replace(result.rendered, subject=subject), kind=kind,
            from_name=str(support.get("name") or ""),
            from_addr=str(support.get("address") or app.settings.support.address),
            to_addr=str(to).split(",")[0].strip(), to_name=str(customer.get("name") or ""),
            token="", message_id="preview@inbox-worker.invalid", in_reply_to=None,
            references=(), date=app.clock()).decode("ascii", errors="replace")
    except ValueError as exc:  # the ticket's address cannot be written: nor would it go
        raw = f"(this mail could not be sent: {exc})"
    html = result.rendered.html
    mail = {"subject": subject, "text": result.rendered.text,
            "html_url": html_previews.keep(user, html) if html else None,
            "raw": raw.replace("\r\n", "\n")}
    return {"ticket_error": None, "problems": (), "mail": mail}


ROUTES = [
    Route("/templates", page(list_templates), methods=["GET"]),
    Route("/templates/{name}", page(editor), methods=["GET"]),
    Route("/templates/{name}", action(save, admin=True), methods=["POST"]),
    # A draft is code run on the server: only those who may save one may run one.
    Route("/templates/{name}/preview", action(preview, admin=True), methods=["POST"]),
    Route("/templates/{name}/restore", action(restore, admin=True), methods=["POST"]),
]
