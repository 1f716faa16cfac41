"""The HTML part of a template preview, served from a URL of its own for the preview's
frame: with a policy that lets the mail's inline styles apply (a mail's HTML is styled
inline) and still runs no script. A frame written inline (srcdoc) would inherit the
console's policy, which refuses inline styles, and show the mail unlike what is sent.

Kept in memory for PREVIEW_MINUTES, the latest MAX_PREVIEWS of them, each for the user it
was rendered for: a preview is a draft's, seen once, and not worth a database row.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from inbox_worker.web.access import page
from inbox_worker.web.auth import User

MAX_PREVIEWS = 50
PREVIEW_MINUTES = 10
HTML_PART_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")

_previews: OrderedDict[str, tuple[str, float, str]] = OrderedDict()  # key: (user, at, html)
_lock = threading.Lock()


def keep(user: User, html: str) -> str:
    """Keep ``html`` for ``user``; the URL the preview's frame loads it from."""
    key = secrets.token_urlsafe(16)
    with _lock:
        _previews[key] = (user.address, time.monotonic(), html)
        while len(_previews) > MAX_PREVIEWS:
            _previews.popitem(last=False)
    return f"/templates/preview-html/{key}"


def show(request: Request, user: User) -> Response:
    with _lock:
        kept = _previews.get(request.path_params["key"])
    if (kept is None or kept[0] != user.address
            or time.monotonic() - kept[1] > PREVIEW_MINUTES * 60):
        raise HTTPException(404, "this preview is gone: preview again")
    return HTMLResponse(kept[2], headers={"content-security-policy": HTML_PART_POLICY,
                                          "x-frame-options": "SAMEORIGIN"})


ROUTES = [Route("/templates/preview-html/{key}", page(show), methods=["GET"])]
