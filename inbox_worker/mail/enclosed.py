"""Messages enclosed in a mail (a forwarded mail, a bounce's original): one file each.

mail-parser walks into an enclosed message as if its parts were the sender's own: the
forwarded mail's text joined the ticket's text as if the customer had written it, and its
files came out loose among the customer's. This module gives mail-parser a walk of the
mail's own parts only and keeps each enclosed message whole, as the bytes of an .eml file
named by its subject.
"""

from __future__ import annotations

import quopri
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.parser import BytesHeaderParser

from mailparser.utils import as_string_safe, decode_base64_payload

from inbox_worker.mail.decode import decode_header_value, one_line

ENCLOSED_TYPES = frozenset({"message/rfc822", "message/global"})


@contextmanager
def own_parts_only(root: Message | None, enclosed: list[Message]) -> Iterator[None]:
    """While inside, `root.walk()` yields the mail's own parts and not those inside an
    enclosed message; each enclosed message part is appended to `enclosed` instead.

    mail-parser's one walk over the parts (`MailParser.parse`) is where it reads text and
    files; shadowing `walk` on the root for that one call changes nothing else it does.
    """
    if root is None:
        yield
        return
    root.walk = lambda: _own_parts(root, enclosed)  # type: ignore[method-assign]
    try:
        yield
    finally:
        del root.walk


def _own_parts(part: Message, enclosed: list[Message]) -> Iterator[Message]:
    # Iterative, like the stdlib's walk is recursive: nesting depth is bounded by `guard`.
    stack = [part]
    while stack:
        current = stack.pop()
        # Only a part whose payload is a list can hold an enclosed message (the stdlib
        # parses message/* bodies into one); the header is parsed for those alone.
        if current.is_multipart():
            if current.get_content_type() in ENCLOSED_TYPES:
                enclosed.append(current)
                continue
            yield current
            children = current.get_payload()
            stack.extend(reversed([child for child in children if isinstance(child, Message)]))
        else:
            yield current


def message_bytes(part: Message) -> bytes:
    """The enclosed message of a message/rfc822 part, as the bytes of an .eml file."""
    inner = _inner(part)
    if inner is None:
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""
    try:
        data = inner.as_bytes()
    except (LookupError, UnicodeError):
        # The generator re-encodes some parts with their declared charset and fails on
        # what does not fit; mail-parser's flattening falls back to the raw bytes.
        data = as_string_safe(inner).encode("utf-8", "surrogateescape")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding in ("base64", "quoted-printable") and not inner.keys():
        # Forbidden for message/rfc822 (RFC 2046 5.2.1) but sent: the stdlib then reads the
        # encoded text as a body without headers. Decoding it gives the message back.
        body = inner.get_payload()
        text = body if isinstance(body, str) else ""
        if encoding == "base64":
            return decode_base64_payload(text)
        return quopri.decodestring(text.encode("ascii", "replace"))
    return data


def message_subject(part: Message, data: bytes, hints: tuple[str, ...]) -> str:
    """The decoded one-line Subject of an enclosed message (`data`: its bytes), or ''.

    Raw 8-bit subjects are read with the charsets the enclosed message declares first:
    they are its sender's, not those of the mail that encloses it.
    """
    inner = _inner(part)
    headers = inner if inner is not None and inner.keys() else BytesHeaderParser().parsebytes(data)
    declared = dict.fromkeys(sub.get_content_charset() for sub in headers.walk())
    own = [charset for charset in declared if charset not in (None, "us-ascii", "utf-8")]
    # Raw values, as `inbound` reads headers: the stdlib would make raw 8-bit text U+FFFD.
    raw = next((str(value) for name, value in headers.raw_items() if name.lower() == "subject"),
               "")
    return one_line(decode_header_value(raw, (*own[:4], *hints)))


def _inner(part: Message) -> Message | None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    return inner if isinstance(inner, Message) else None
