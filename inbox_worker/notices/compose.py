"""Turning a rendered notice into the bytes of an RFC 5322 message, safe against injection.

Names and subjects come from customers' mails; they are reduced to one line before they
reach a header, and addresses must be exactly one plausible address, so nothing a customer
writes can add a header or a recipient. Headers follow RFC 3834 for automatic responses:
`Auto-Submitted: auto-replied` (`auto-generated` for alerts, which answer no mail), plus
`X-Auto-Response-Suppress: All` for Exchange. We do not add `Precedence: bulk`: RFC 3834
advises against relying on it, and it makes some providers file a personal answer as bulk
mail.

Attachments come from customers' mails too: their names and content types are reduced to
safe values (`attachment_filename`, `attachment_content_type`) before they reach a part's
header, and their data is base64, which cannot contain a boundary.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
import unicodedata
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import base64mime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import format_datetime

from inbox_worker.domain import correlate
from inbox_worker.domain.model import OWN_MESSAGE_ID_PREFIX
from inbox_worker.notices.render import RenderedNotice

LOOP_HEADER = "X-Inbox-Worker-Loop"
NOTICE_HEADER = "X-Inbox-Worker-Notice"
# RFC 3834: answers to a mail are auto-replied; alerts to technicians are auto-generated.
AUTO_SUBMITTED_VALUES = ("auto-replied", "auto-generated")


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file sent with a notice; `filename` and `content_type` may come from any mail."""

    filename: str
    content_type: str
    data: bytes


# Control characters (CR, LF, NUL, TAB...), Unicode line/paragraph separators and NEL.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Printable ASCII without space, angle brackets or parentheses (which would open a comment).
_MESSAGE_ID = re.compile(r"[!-'*-;=?-~]{1,250}")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# A dot-atom local part at an ASCII domain of two or more labels.
_PLAIN_ADDRESS = re.compile(rf"({_DOT_ATOM.pattern})@((?:{_LABEL}\.)+{_LABEL})")


def new_message_id(domain: str) -> str:
    """A fresh, unguessable Message-ID without angle brackets (as the store keeps them)."""
    host = domain.strip().lower()
    if not _DOMAIN.fullmatch(host):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    return f"{OWN_MESSAGE_ID_PREFIX}{secrets.token_hex(16)}@{host}"


def one_line(value: str) -> str:
    """A header-safe single line: control characters and line breaks become one space."""
    return " ".join(_UNSAFE.sub(" ", unicodedata.normalize("NFC", value)).split())


# Pure. The stdlib's header parser costs about a tenth of composing a notice: plain
# addresses skip it, and the cache keeps what it said about the others.
@functools.lru_cache(maxsize=4096)
def parse_single_address(value: str) -> tuple[str, str]:
    """`user@example.com` -> (local part, domain), or ValueError unless `value` is exactly
    one plausible address: no display name, no list, no line break, no route."""
    plain = _PLAIN_ADDRESS.fullmatch(value.strip())
    if plain:
        # Nearly every address, and what `_parse_address` would give back for it.
        return plain[1], plain[2].lower()
    return _parse_address(value)


def _parse_address(value: str) -> tuple[str, str]:
    text = value.strip()
    if not text or _UNSAFE.search(text) or any(c.isspace() for c in text):
        raise ValueError(f"not a single email address: {value!r}")
    if "," in text:
        # A quoted local part may hold a comma ("ceo,cfo"@example.com), but SMTP clients
        # (aiosmtplib's parseaddr among them) split it into several recipients.
        raise ValueError(f"an address with a comma: {value!r}")
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
    auto_submitted: str = "auto-replied",
    attachments: Sequence[OutgoingAttachment] = (),
    more_to: Sequence[str] = (),
) -> bytes:
    """The notice as CRLF bytes ready for SMTP. Raises ValueError for an unusable address
    or Message-ID, or an `auto_submitted` other than `AUTO_SUBMITTED_VALUES`; nothing else
    in the input can make it fail or add a header or a MIME part. With attachments the
    message is multipart/mixed: the text (or the alternative of text and HTML), then the
    attachments in order. `more_to` are further recipients, in To after `to_addr` without
    names (an alert to several technicians is one mail).

    Written out directly rather than through `email.message.EmailMessage`: the stdlib
    parses every header it is given into a structured object and back, which costs more
    than everything else a worker does for a notice. What goes into a header is made safe
    here: every value is one line (`one_line`), addresses are validated, names and subjects
    that are not plain ASCII are RFC 2047 encoded (`_encoded_words`), and long lines are
    folded at spaces only.
    """
    if auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"not an Auto-Submitted value we send: {auto_submitted!r}")
    sender = _addr_spec(*parse_single_address(from_addr))
    recipient = _addr_spec(*parse_single_address(to_addr))
    others = [_addr_spec(*parse_single_address(address)) for address in more_to]
    subject = correlate.format_subject(one_line(rendered.subject), one_line(token))
    lines = [
        _address_field("From", from_name, sender),
        (_address_field("To", to_name, recipient) if not others
         else _folded("To", [f"{a}," for a in (recipient, *others[:-1])] + others[-1:])),
        f"Reply-To: {sender}",
        _unstructured_field("Subject", subject),
        f"Date: {format_datetime(date)}",
        f"Message-ID: {_bracketed(message_id)}",
    ]
    # Threading headers: ids from other mails we cannot use are dropped, not fatal.
    parent = _usable_ids([in_reply_to] if in_reply_to else [])
    if parent:
        lines.append(_id_list_field("In-Reply-To", parent[:1]))
    chain = _usable_ids(references)
    if chain:
        lines.append(_id_list_field("References", chain))
    lines += [
        f"Auto-Submitted: {auto_submitted}",
        "X-Auto-Response-Suppress: All",
        f"{LOOP_HEADER}: {sender}",
        _unstructured_field(NOTICE_HEADER, one_line(kind)),
    ]
    part_head, body = _text_part("plain", rendered.text)
    if rendered.html:
        part_head, body = _multipart(
            "alternative", [(part_head, body), _text_part("html", rendered.html)]
        )
    if attachments:
        part_head, body = _multipart(
            "mixed", [(part_head, body), *(_attachment_part(a) for a in attachments)]
        )
    head = "\r\n".join([*lines, *part_head, "MIME-Version: 1.0"])
    return f"{head}\r\n\r\n{body}".encode("ascii")


def _multipart(subtype: str, parts: Iterable[tuple[list[str], str]]) -> tuple[list[str], str]:
    """The Content-Type line and the body of a multipart of `parts` (head lines, body).

    Boundaries are random and start with "=_", which neither base64 nor quoted-printable
    can write; the mixed one goes on with a letter where the alternative one has a hex
    digit, so neither begins with the other (RFC 2046 section 5.1.1)."""
    boundary = f"=_iw_{'mixed_' if subtype == 'mixed' else ''}{secrets.token_hex(12)}"
    # The line break before a boundary belongs to the boundary (RFC 2046), not the part.
    body = "".join(
        f"--{boundary}\r\n" + "\r\n".join(part_head) + f"\r\n\r\n{part_body}\r\n"
        for part_head, part_body in parts
    )
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'
    return [head], f"{body}--{boundary}--\r\n"


# A display name of these characters needs no quoting (RFC 5322 atext and spaces).
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")
_MAX_NAME = 200
_MAX_HEADER_LINE = 78


def _addr_spec(local: str, domain: str) -> str:
    if _DOT_ATOM.fullmatch(local):
        return f"{local}@{domain}"
    quoted = local.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"@{domain}'


def _address_field(name: str, display_name: str, addr_spec: str) -> str:
    phrase = one_line(display_name)[:_MAX_NAME]
    if not phrase:
        return f"{name}: {addr_spec}"
    if _PLAIN_PHRASE.fullmatch(phrase):
        encoded = phrase
    else:
        encoded = '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not phrase.isascii() or len(name) + 2 + len(encoded) > _MAX_HEADER_LINE:
        # Encoded words can be folded anywhere; a long quoted name could not.
        encoded = _encoded_words(name, phrase)
    field = f"{name}: {encoded}"
    last = field.rsplit("\r\n", 1)[-1]
    separator = " " if len(last) + len(addr_spec) + 3 <= _MAX_HEADER_LINE else "\r\n "
    return f"{field}{separator}<{addr_spec}>"


def _unstructured_field(name: str, value: str) -> str:
    """``name: value`` for a one-line value: folded at spaces, or RFC 2047 encoded (and
    folded) when it is not ASCII or has a word too long to fold."""
    words = value.split(" ")
    if not value.isascii() or any(len(w) > _MAX_HEADER_LINE - len(name) - 2 for w in words):
        return f"{name}: " + _encoded_words(name, value)
    return _folded(name, words)


_ENCODED_WORD_OVERHEAD = len("=?utf-8?b??=")
_MAX_ENCODED_WORD = 75  # RFC 2047 section 2


def _encoded_words(name: str, value: str) -> str:
    """``value`` as RFC 2047 "B" encoded-words of whole characters, folded between words so
    that each line, the first with ``name: `` before it, stays within the line length.
    (`email.header.Header` does the same, measuring "Q" against "B" character by character,
    at ten times the cost; a worker encodes a name and a subject for every notice.)"""
    room = min(_MAX_HEADER_LINE - len(name) - 2, _MAX_ENCODED_WORD) - _ENCODED_WORD_OVERHEAD
    words: list[str] = []
    chunk = b""
    for char in value:
        data = char.encode("utf-8", "replace")
        # Base64 takes 4 characters for every 3 bytes or part of them.
        if chunk and -(-(len(chunk) + len(data)) // 3) * 4 > room:
            words.append(_encoded_word(chunk))
            chunk = b""
            room = _MAX_ENCODED_WORD - _ENCODED_WORD_OVERHEAD
        chunk += data
    words.append(_encoded_word(chunk))
    return "\r\n ".join(words)


def _encoded_word(data: bytes) -> str:
    return f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode('ascii')}?="


def _id_list_field(name: str, ids: Sequence[str]) -> str:
    """``<id1> <id2>...`` folded only between ids (never encoded: ids are ASCII without
    spaces, see `_MESSAGE_ID`, and a client matches them only as they are)."""
    return _folded(name, ids)


def _folded(name: str, words: Sequence[str]) -> str:
    """``name: word word...`` folded between words: a new line before a word that would
    pass the line length, except the first (which stays beside the name, however long)."""
    lines = [f"{name}:"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > _MAX_HEADER_LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + word
    return "\r\n".join(lines)


def _text_part(subtype: str, body: str) -> tuple[list[str], str]:
    """The Content-Type and Content-Transfer-Encoding lines, and the encoded body with CRLF
    line ends. ASCII with lines of at most 998 characters goes as it is (7bit); other text
    7-bit safe (not every relay takes 8BITMIME): quoted-printable for mostly-Latin text,
    base64 for mostly non-Latin text."""
    text = _text(body)
    data = text.encode("utf-8")
    cte = _cte(text)
    if cte is None:
        if max(len(line) for line in text.split("\n")) <= 998:
            encoded, cte = text.replace("\n", "\r\n"), "7bit"
        else:
            cte = "quoted-printable"
    if cte == "quoted-printable":
        # binascii's encoder (C) keeps the text's line breaks and soft-breaks at 76.
        encoded = binascii.b2a_qp(data, istext=True).decode("ascii").replace("\n", "\r\n")
        if not encoded.endswith("\r\n"):
            encoded += "\r\n"
    elif cte == "base64":
        encoded = base64mime.body_encode(data, 76, "\r\n")
    charset = "us-ascii" if cte == "7bit" else "utf-8"
    return [f'Content-Type: text/{subtype}; charset="{charset}"',
            f"Content-Transfer-Encoding: {cte}"], encoded


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
    non_ascii = len(body) - len(body.encode("ascii", "ignore"))
    return "quoted-printable" if non_ascii * 3 < len(body) else "base64"


def _text(body: str) -> str:
    # Bodies may hold anything printable; NUL and lone CRs are the ones that break mail.
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text if text.endswith("\n") else text + "\n"


# RFC 2045 token: printable ASCII but space and tspecials; RFC 6838 names are at most 127.
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,127}"
_CONTENT_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")
# Bidirectional controls, which make "invoice\u202efdp.exe" look like "invoiceexe.pdf".
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_MAX_FILENAME = 200
_MAX_EXTENSION = 16
# Printable ASCII can go in a quoted-string (RFC 2045 parameter value).
_PLAIN_FILENAME = re.compile(r"[ -~]+")
_NAME_ENDS = re.compile(r'^[\s"]+|[\s"]+$')


def attachment_content_type(value: str) -> str:
    """``type/subtype`` in lower case, or application/octet-stream for anything else (a
    parameter, a space, a line break), and for multipart and message types, whose content
    a reader would take for MIME parts or a mail of their own."""
    content_type = value.strip()
    if _CONTENT_TYPE.fullmatch(content_type) and not content_type.lower().startswith(
        ("multipart/", "message/")
    ):
        return content_type.lower()
    return "application/octet-stream"


def attachment_filename(value: str) -> str:
    """The name a file is sent under: one line without control or bidirectional characters,
    the last path component, at most 200 characters (keeping a short extension), and
    "attachment" when nothing but dots is left. Angle brackets become "_": readers (Python's
    among them) take a name in "<...>" for an address and drop the brackets, or the name.
    Quotes at either end go, for the same reason: a name in quotes is read unquoted."""
    text = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    text = text.replace("<", "_").replace(">", "_")
    name = _trimmed(_PATH_SEPARATORS.split(one_line(_BIDI.sub("", text)))[-1])
    if len(name) > _MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= _MAX_EXTENSION:
            name = f"{_trimmed(stem[: _MAX_FILENAME - len(extension) - 1])}.{extension}"
        else:
            name = _trimmed(name[:_MAX_FILENAME])
    return name if name.strip(".") else "attachment"


def _trimmed(name: str) -> str:
    return _NAME_ENDS.sub("", name)


def _attachment_part(attachment: OutgoingAttachment) -> tuple[list[str], str]:
    name = attachment_filename(attachment.filename)
    content_type = attachment_content_type(attachment.content_type)
    # `name` on Content-Type too, for readers that predate Content-Disposition.
    return [
        _parameter_field("Content-Type", content_type, "name", name),
        _parameter_field("Content-Disposition", "attachment", "filename", name),
        "Content-Transfer-Encoding: base64",
    ], _base64(attachment.data)


def _parameter_field(name: str, value: str, parameter: str, text: str) -> str:
    """``name: value; parameter=text``, folded between parameters. Printable ASCII goes as
    a quoted-string, unless it looks like an RFC 2047 encoded word (which many readers
    decode even there, into anything); everything else RFC 2231 encoded."""
    if _PLAIN_FILENAME.fullmatch(text) and "=?" not in text:
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        params = [f'{parameter}="{quoted}"']
    else:
        params = _rfc2231_sections(parameter, text)
    words = [value, *params]
    return _folded(name, [f"{word};" for word in words[:-1]] + words[-1:])


def _rfc2231_sections(parameter: str, text: str) -> list[str]:
    """``parameter*=utf-8''%XX...``, or numbered sections (``parameter*0*=``...) that each
    fit on a folded line. Sections end between characters, since some readers (the stdlib's
    header parser among them) decode each section alone."""
    room = _MAX_HEADER_LINE - 2  # the folding space before, the ";" after
    encoded = [urllib.parse.quote(char, safe="") for char in text]
    whole = f"{parameter}*=utf-8''{''.join(encoded)}"
    if len(whole) <= room:
        return [whole]
    sections: list[str] = []
    start = current = f"{parameter}*0*=utf-8''"
    for piece in encoded:
        if len(current) + len(piece) > room and current != start:
            sections.append(current)
            start = current = f"{parameter}*{len(sections)}*="
        current += piece
    return [*sections, current]


def _base64(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 section 6.8)."""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join(f"{encoded[i : i + 76]}\r\n" for i in range(0, len(encoded), 76))
