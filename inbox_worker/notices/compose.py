"""Turning a rendered notice into the bytes of an RFC 5322 message, safe against injection.

Names and subjects come from customers' mails; they are reduced to one line before they
reach a header, and addresses must be exactly one plausible address, so nothing a customer
writes can add a header or a recipient. Headers follow RFC 3834 for automatic responses:
`Auto-Submitted: auto-replied`, plus `X-Auto-Response-Suppress: All` for Exchange. We do not
add `Precedence: bulk`: RFC 3834 advises against relying on it, and it makes some
providers file a personal answer as bulk mail.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from inbox_worker.domain import correlate
from inbox_worker.domain.model import OWN_MESSAGE_ID_PREFIX
from inbox_worker.notices.render import RenderedNotice

LOOP_HEADER = "X-Inbox-Worker-Loop"
NOTICE_HEADER = "X-Inbox-Worker-Notice"

# Control characters (CR, LF, NUL, TAB...), Unicode line/paragraph separators and NEL.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Printable ASCII without space, angle brackets or parentheses (which would open a comment).
_MESSAGE_ID = re.compile(r"[!-'*-;=?-~]{1,250}")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?")


def new_message_id(domain: str) -> str:
    """A fresh, unguessable Message-ID without angle brackets (as the store keeps them)."""
    host = domain.strip().lower()
    if not _DOMAIN.fullmatch(host):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    return f"{OWN_MESSAGE_ID_PREFIX}{secrets.token_hex(16)}@{host}"


def one_line(value: str) -> str:
    """A header-safe single line: control characters and line breaks become one space."""
    return " ".join(_UNSAFE.sub(" ", unicodedata.normalize("NFC", value)).split())


def parse_single_address(value: str) -> tuple[str, str]:
    """`user@example.com` -> (local part, domain), or ValueError unless `value` is exactly
    one plausible address: no display name, no list, no line break, no route."""
    text = value.strip()
    if not text or _UNSAFE.search(text) or any(c.isspace() for c in text):
        raise ValueError(f"not a single email address: {value!r}")
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, TypeError, HeaderParseError) as exc:
        raise ValueError(f"not a single email address: {value!r}") from exc
    local, domain = address.username, address.domain
    if not local or not domain or address.addr_spec.count("@") != 1 or "@" in local:
        raise ValueError(f"not a single email address: {value!r}")
    if not local.isascii():
        # A non-ASCII local part needs SMTPUTF8 end to end; we do not promise that.
        raise ValueError(f"address with a non-ASCII local part: {value!r}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError as exc:
        raise ValueError(f"address with an invalid domain: {value!r}") from exc
    if not _DOMAIN.fullmatch(ascii_domain) or "." not in ascii_domain.strip("."):
        raise ValueError(f"address with an invalid domain: {value!r}")
    return local, ascii_domain.lower()


def make_address(name: str, addr: str) -> Address:
    local, domain = parse_single_address(addr)
    return Address(display_name=one_line(name), username=local, domain=domain)


def _bracketed(message_id: str) -> str:
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    if not _MESSAGE_ID.fullmatch(bare):
        raise ValueError(f"not a usable Message-ID: {message_id!r}")
    return f"<{bare}>"


def compose_notice(
    *,
    rendered: RenderedNotice,
    kind: str,
    from_name: str,
    from_addr: str,
    to_addr: str,
    to_name: str,
    token: str,
    message_id: str,
    in_reply_to: str | None,
    references: Sequence[str],
    date: datetime,
) -> bytes:
    """The notice as CRLF bytes ready for SMTP. Raises ValueError for an unusable address
    or Message-ID; nothing else in the input can make it fail or add a header."""
    sender = make_address(from_name, from_addr)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = make_address(to_name, to_addr)
    message["Reply-To"] = Address(username=sender.username, domain=sender.domain)
    message["Subject"] = correlate.format_subject(one_line(rendered.subject), one_line(token))
    message["Date"] = format_datetime(date)
    message["Message-ID"] = _bracketed(message_id)
    # Threading headers: ids from other mails we cannot use are dropped, not fatal.
    parent = _usable_ids([in_reply_to] if in_reply_to else [])
    if parent:
        message["In-Reply-To"] = IdListHeader("In-Reply-To", parent[:1])
    chain = _usable_ids(references)
    if chain:
        message["References"] = IdListHeader("References", chain)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message[LOOP_HEADER] = sender.addr_spec
    message[NOTICE_HEADER] = one_line(kind)
    text = _text(rendered.text)
    message.set_content(text, subtype="plain", charset="utf-8", cte=_cte(text))
    if rendered.html:
        html = _text(rendered.html)
        message.add_alternative(html, subtype="html", charset="utf-8", cte=_cte(html))
    return message.as_bytes(policy=policy.SMTP)


class IdListHeader(str):
    """`<id1> <id2>...` folded only between ids.

    The stdlib treats In-Reply-To and References as unstructured text and turns an id
    longer than a line into RFC 2047 encoded-words, which no client matches any more;
    ids are ASCII without spaces (see `_MESSAGE_ID`), so plain folding is always right.
    """

    name: str

    def __new__(cls, name: str, ids: Sequence[str]) -> IdListHeader:
        header = super().__new__(cls, " ".join(ids))
        header.name = name
        return header

    def fold(self, *, policy: policy.Policy) -> str:
        limit = policy.max_line_length or 998
        lines = [f"{self.name}:"]
        for item in self.split():
            if len(lines[-1]) + 1 + len(item) > limit and lines[-1] != f"{self.name}:":
                lines.append("")
            lines[-1] += " " + item
        return policy.linesep.join(lines) + policy.linesep


def _usable_ids(ids: Sequence[str]) -> list[str]:
    usable: list[str] = []
    for value in ids:
        try:
            bracketed = _bracketed(value)
        except ValueError:
            continue
        if bracketed not in usable:
            usable.append(bracketed)
    return usable


def _cte(body: str) -> str | None:
    """ASCII: let the stdlib choose. Otherwise 7-bit safe (not every relay takes 8BITMIME):
    quoted-printable for mostly-Latin text, base64 for mostly non-Latin text."""
    if body.isascii():
        return None
    non_ascii = sum(1 for c in body if not c.isascii())
    return "quoted-printable" if non_ascii * 3 < len(body) else "base64"


def _text(body: str) -> str:
    # Bodies may hold anything printable; NUL and lone CRs are the ones that break mail.
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text if text.endswith("\n") else text + "\n"
