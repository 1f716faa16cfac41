"""The console's ASGI application: its routes, the headers every answer carries, and
errors as pages.

Every answer says: no script but our own file (a Content-Security-Policy without inline
script or style, so markup that slipped into a page could not run), no framing, no
sniffing, no Referer (a sign-in link in the address bar must not leak), and no caching of
pages that show tickets.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inbox_worker.app import App
from inbox_worker.store.database import make_engine, make_session_factory
from inbox_worker.web import (
    html_previews,
    pages_desk,
    pages_quarantine,
    pages_report,
    pages_sign_in,
    pages_templates,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def home(_request: Request) -> Response:
    return RedirectResponse("/queue", status_code=303)


def no_icon(_request: Request) -> Response:
    return Response(status_code=204)  # browsers ask on every page; we have none


async def refused(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(f"{exc.status_code}: {exc.detail}\n", status_code=exc.status_code)


def make_console(core: App) -> Starlette:
    console = Starlette(
        routes=[
            Route("/", home),
            Route("/favicon.ico", no_icon),
            *pages_sign_in.ROUTES,
            *pages_desk.ROUTES,
            *html_previews.ROUTES,
            *pages_templates.ROUTES,
            *pages_quarantine.ROUTES,
            *pages_report.ROUTES,
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"),
                  name="static"),
        ],
        exception_handlers={HTTPException: refused},
    )
    console.state.core = core
    console.state.reads = make_session_factory(make_engine(core.settings.database.url,
                                                           read_only=True))
    return SecurityHeaders(console)  # type: ignore[return-value]
