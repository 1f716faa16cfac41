"""A forwarded mail kept as an .eml attachment, read for display: its From, Date, Subject
and text.

At ingest a forwarded mail stays one file (see `enclosed`) and none of its text joins the
ticket's. A technician still needs to read it: `tickets show` parses the stored bytes
again when it shows them, so nothing new is stored and the mail is read as any other.
"""

from __future__ import annotations

from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.enclosed import ENCLOSED_TYPES
from inbox_worker.mail.inbound import parse_mail


def is_forwarded(content_type: str) -> bool:
    return content_type in ENCLOSED_TYPES


def forwarded_view(data: bytes) -> dict[str, str] | None:
    """From, Date and Subject as written (decoded, one line each) and the whole text of a
    stored forwarded mail; None when the bytes are no mail."""
    try:
        mail = parse_mail(data)
    except UnparseableMail:
        return None
    return {
        "from": mail.header("from") or "",
        "date": mail.header("date") or "",
        "subject": mail.subject,
        "text": mail.full_text,
    }
