"""A fetched mail parsed, or the reason it goes to quarantine: the pure first step of
ingesting, shared by the worker and its parse process (`service.parse_pool`).

Kept apart from `service.ingest` so that the parse process imports only the mail modules,
not the database layer: it starts faster and holds less memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inbox_worker.domain.model import InboundMail
from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.inbound import parse_mail
from inbox_worker.mail.source import FetchedMail

log = logging.getLogger(__name__)


def parse_fetched(
    raw: bytes, oversized: int | None, max_bytes: int
) -> tuple[InboundMail | None, str | None]:
    """A fetched mail parsed, or the reason it goes to quarantine. Pure: runs in the worker
    or in a parsing child process (see `service.parse_pool`)."""
    if oversized is not None:
        return None, f"mail of {oversized} bytes is over the limit of {max_bytes}"
    try:
        mail = parse_mail(raw, max_bytes=max_bytes)
    except UnparseableMail as exc:
        return None, exc.reason
    except Exception as exc:  # noqa: BLE001 - a bug on hostile input must not block the rest
        log.exception("unexpected error parsing a mail")
        return None, f"internal error: {type(exc).__name__}: {exc}"
    if not mail.from_addr:
        return None, "the mail has no usable From address"
    return mail, None


@dataclass(frozen=True)
class ParsedMail:
    fetched: FetchedMail
    mail: InboundMail | None
    refusal: str | None  # why it goes to quarantine without reaching the rules


def parse_one(fetched: FetchedMail, max_bytes: int) -> ParsedMail:
    return ParsedMail(fetched, *parse_fetched(fetched.raw, fetched.oversized, max_bytes))
