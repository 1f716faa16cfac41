"""Pages are rendered on the server from Jinja2 templates in `web/templates/`, autoescaped:
whatever came from a mail or a form is text on the page, never markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from inbox_worker.service.views import iso
from inbox_worker.web.auth import User

PAGES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGES.env.filters["iso"] = iso


def render(request: Request, page: str, user: User | None, *, status: int = 200,
           **values: Any) -> HTMLResponse:
    """The page template ``page`` for ``user`` (None: signed out) with ``values``."""
    values.setdefault("csrf", user.csrf if user else "")
    return PAGES.TemplateResponse(request, page, {"user": user, **values},
                                  status_code=status)
