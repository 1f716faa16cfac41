"""/sign-in, /sign-in/SECRET and /sign-out (see `web.auth`).

Opening a link only shows a button: mail scanners and link previews fetch every link in a
mail, and a link spent by a GET would be spent by them. The button's POST spends it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inbox_worker.notices.render import RenderedNotice
from inbox_worker.web import auth
from inbox_worker.web.access import (
    ANON_CSRF_COOKIE,
    SESSION_COOKIE,
    check_token,
    cookie_name,
    core,
    field,
    read_form,
    reads,
    user_of,
)
from inbox_worker.web.render import render

SIGN_IN_KIND = "sign_in"  # the outbox's name for these mails
USED_UP = "This sign-in link is used up or expired. Ask for a new one."


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _form_page(request: Request, *, status: int = 200, error: str = "") -> Response:
    """The sign-in form, with the CSRF cookie its POST is checked against."""
    token = request.cookies.get(cookie_name(request, ANON_CSRF_COOKIE)) or auth.new_secret()
    response = render(request, "sign_in.html", None, status=status, csrf=token, error=error)
    _set_cookie(request, response, ANON_CSRF_COOKIE, token, max_age=3600, strict=True)
    return response


def sign_in_form(request: Request) -> Response:
    return _form_page(request)


async def ask_for_link(request: Request) -> Response:
    form = await read_form(request)
    check_token(request.cookies.get(cookie_name(request, ANON_CSRF_COOKIE)), form)
    address = auth.normal_address(field(form, "email"))
    if address is None:
        return _form_page(request, status=400, error="That is not an email address.")
    limited = await run_in_threadpool(_queue_link, request, address)
    if limited:
        return _form_page(request, status=429, error="Too many sign-in requests. Wait a "
                                                     "quarter of an hour and try again.")
    return render(request, "sign_in_sent.html", None, address=address,
                  minutes=auth.LINK_MINUTES)


def _queue_link(request: Request, address: str) -> bool:
    """Record the request and queue the mail (one transaction); True if rate limited."""
    app = core(request)
    now = app.clock()
    with app.sessions.begin() as session:
        asked = auth.request_link(session, app.settings, address, _client(request), now)
        if asked.secret is not None:
            app.outbox.internal(session, SIGN_IN_KIND, [address], {}, now,
                                rendered=_link_mail(app.settings.web.base_url, asked.secret,
                                                    address))
    return asked.limited


def _link_mail(base_url: str, secret: str, address: str) -> RenderedNotice:
    link = f"{base_url}/sign-in/{secret}"
    text = (f"Someone (we hope you) asked to sign in to the support console as {address}.\n\n"
            f"Open this link within {auth.LINK_MINUTES} minutes to sign in; it works once:\n\n"
            f"  {link}\n\n"
            "If you did not ask for it, ignore this mail: nobody can use the link without "
            "your mailbox.\n")
    return RenderedNotice(subject="Your sign-in link for the support console", text=text)


def confirm_link(request: Request) -> Response:
    secret = request.path_params["secret"]
    app = core(request)
    with reads(request)() as session:
        link = auth.pending_link(session, secret, app.clock())
        address = link.address if link is not None else None
    if address is None:
        return _form_page(request, status=400, error=USED_UP)
    token = request.cookies.get(cookie_name(request, ANON_CSRF_COOKIE)) or auth.new_secret()
    response = render(request, "sign_in_confirm.html", None, csrf=token, address=address,
                      secret=secret)
    _set_cookie(request, response, ANON_CSRF_COOKIE, token, max_age=3600, strict=True)
    return response


async def use_link(request: Request) -> Response:
    form = await read_form(request)
    check_token(request.cookies.get(cookie_name(request, ANON_CSRF_COOKIE)), form)
    secret = request.path_params["secret"]
    app = core(request)

    def spend() -> str | None:
        with app.sessions.begin() as session:
            return auth.use_link(session, app.settings, secret, app.clock())

    session_secret = await run_in_threadpool(spend)
    if session_secret is None:
        return _form_page(request, status=400, error=USED_UP)
    response = RedirectResponse("/queue", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, session_secret,
                max_age=auth.SESSION_HOURS * 3600, strict=False)
    response.delete_cookie(cookie_name(request, ANON_CSRF_COOKIE), path="/",
                           secure=core(request).settings.web.secure)
    return response


async def sign_out(request: Request) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(user_of, request)
    if user is not None:
        check_token(user.csrf, form)
        app = core(request)

        def forget() -> None:
            with app.sessions.begin() as session:
                auth.sign_out(session, request.cookies.get(cookie_name(request,
                                                                       SESSION_COOKIE)))

        await run_in_threadpool(forget)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(cookie_name(request, SESSION_COOKIE), path="/",
                           secure=core(request).settings.web.secure)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, *,
                max_age: int, strict: bool) -> None:
    # Lax for the session: a link to a ticket in a mail opens signed in; the forms are
    # guarded by their tokens. Secure when the console is reached over HTTPS.
    response.set_cookie(cookie_name(request, name), value, max_age=max_age, path="/",
                        httponly=True,
                        secure=core(request).settings.web.secure,
                        samesite="strict" if strict else "lax")


ROUTES = [
    Route("/sign-in", sign_in_form, methods=["GET"]),
    Route("/sign-in", ask_for_link, methods=["POST"]),
    Route("/sign-in/{secret}", confirm_link, methods=["GET"]),
    Route("/sign-in/{secret}", use_link, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
]
