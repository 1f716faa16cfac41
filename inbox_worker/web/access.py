"""What every page of the console does before its own work: read the form (bounded), find
the signed-in user, refuse a forged or missing CSRF token, send strangers to sign in.

Everything a browser sends is hostile: a form field missing or repeated, a token from
another session, a cookie made up. Each gets a plain refusal, never a traceback.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from inbox_worker.app import App
from inbox_worker.web.auth import User, signed_in

SESSION_COOKIE = "iw_session"
# Before sign-in there is no session to keep a CSRF token in: the sign-in forms compare
# their field with this cookie (which another site can neither read nor set).
ANON_CSRF_COOKIE = "iw_csrf"
# Over HTTPS the cookies are `__Host-` ones: Secure, for this host and path / only, so a
# neighbouring subdomain cannot plant one (a planted CSRF cookie would sign a victim in as
# someone else).
HOST_PREFIX = "__Host-"

CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 1_000_000  # a template is a few kilobytes


def core(request: Request) -> App:
    return request.app.state.core  # type: ignore[no-any-return]


def cookie_name(request: Request, name: str) -> str:
    return HOST_PREFIX + name if core(request).settings.web.secure else name


def reads(request: Request) -> sessionmaker[Session]:
    """Sessions for pages that only read: on SQLite they never hold up the worker's writes
    (see `store.database.make_engine`)."""
    return request.app.state.reads  # type: ignore[no-any-return]


def user_of(request: Request) -> User | None:
    """The signed-in user (blocking: the database; call from a thread)."""
    app = core(request)
    with reads(request)() as session:
        return signed_in(session, app.settings,
                         request.cookies.get(cookie_name(request, SESSION_COOKIE)),
                         app.clock())


async def read_form(request: Request) -> FormData:
    """The posted form, urlencoded and bounded; 403 without the CSRF field at all."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "the form is too large (or says no length)")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "forms are sent urlencoded")
    form = await request.form(max_files=0, max_fields=50)
    if not isinstance(form.get(CSRF_FIELD), str) or not _same_origin(request):
        raise HTTPException(403, "the form's CSRF token is missing")
    return form


MAX_ROW_ID = 2**31 - 1  # beyond every id column; a bigger number would overflow the driver


def row_id(value: str | int) -> int | None:
    """An id from a URL or a form: ASCII digits within a column's range, else None."""
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 0 < int(text) <= MAX_ROW_ID:
        return None
    return int(text)


def field(form: FormData, name: str, *, limit: int = 1000) -> str:
    """One text field ('' when missing); too long a value is refused, not cut."""
    values = form.getlist(name)
    if len(values) > 1:
        raise HTTPException(400, f"the field {name!r} is repeated")
    value = values[0] if values else ""
    if not isinstance(value, str):
        raise HTTPException(400, f"the field {name!r} is not text")
    if len(value) > limit:
        raise HTTPException(413, f"the field {name!r} is too long")
    return value


def check_token(expected: str | None, form: FormData) -> None:
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), expected.encode()):
        raise HTTPException(403, "the form's CSRF token is wrong; reload the page")


def page(handler: Callable[[Request, User], Response]) -> Callable[[Request], Awaitable[Response]]:
    """A GET page for signed-in users; others are sent to /sign-in."""
    async def endpoint(request: Request) -> Response:
        user = await run_in_threadpool(user_of, request)
        if user is None:
            return RedirectResponse("/sign-in", status_code=303)
        return await run_in_threadpool(handler, request, user)
    return endpoint


def action(handler: Callable[[Request, User, FormData], Response], *, admin: bool = False
           ) -> Callable[[Request], Awaitable[Response]]:
    """A POST of a signed-in user with this session's CSRF token (``admin``: of an admin)."""
    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        user = await run_in_threadpool(user_of, request)
        if user is None:
            raise HTTPException(403, "you are not signed in (or the session ended)")
        check_token(user.csrf, form)
        if admin and not user.admin:
            raise HTTPException(403, "only admins may do this")
        return await run_in_threadpool(handler, request, user, form)
    return endpoint


def _same_origin(request: Request) -> bool:
    """A browser names the page a POST comes from: it must be this console. (Older
    browsers may leave Origin out, and under our `Referrer-Policy: no-referrer` a form's
    POST says `Origin: null` (Fetch standard): the CSRF token still guards both.)"""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    base = urlsplit(core(request).settings.web.base_url)
    own = {f"{base.scheme}://{base.netloc}", f"{request.url.scheme}://{request.url.netloc}"}
    return origin in own
