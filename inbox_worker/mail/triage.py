"""What an admin triages a quarantined mail by: its sender, subject and Message-ID, read as
far as they can be from a mail that did not parse (or parsed without a usable From)."""

from __future__ import annotations

import email
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from inbox_worker.mail.decode import one_line

# A mail that breaks the parser may be huge: its headers are in its first bytes.
HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Triage:
    sender: str = ""
    subject: str = ""
    message_id: str = ""


def decoded_headers(raw: bytes) -> dict[str, str]:
    """The headers an admin triages by, decoded (RFC 2047) as far as they can be; a
    header that does not decode is shown as it is."""
    return _decoded(_headers(raw))


def _headers(raw: bytes) -> Message:
    return email.message_from_bytes(raw[:HEADER_BYTES], policy=policy.compat32)


def _decoded(message: Message) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID"):
        value = message.get(name)
        if value is None:
            continue
        try:
            shown[name] = str(make_header(decode_header(str(value))))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            shown[name] = str(value)
    return shown


def triage(raw: bytes) -> Triage:
    """Never raises: a record with empty fields is better than no record."""
    try:
        message = _headers(raw)
        shown = _decoded(message)
        raw_from = str(message.get("From") or "")
        # The address from the raw value, before decoding (an encoded name cannot make one).
        address = next((a for _, a in getaddresses([raw_from]) if "@" in a), "")
        return Triage(
            sender=one_line(address.lower() or shown.get("From", ""))[:500],
            subject=one_line(shown.get("Subject", ""))[:1000],
            message_id=one_line(shown.get("Message-ID", "")).strip().strip("<>")[:998],
        )
    except Exception:  # noqa: BLE001 - hostile bytes; the raw mail is kept regardless
        return Triage()
