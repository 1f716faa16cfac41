"""Raw RFC 5322 bytes -> one `InboundMail` value, through mail-parser.

This module owns the boundary where hostile mail meets our code: it turns what mail-parser
finds into the clean, typed value the rest of the worker reasons on, and refuses (with a
reason for the quarantine record) what is no mail at all, and anything mail-parser fails
on. Byte-level refusals before parsing live in `guard`, charset decisions in `decode`, HTML
to text in `html_text`, reply/quote splitting in `reply_split`, attachments in
`attachments`.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

import mailparser

from inbox_worker.domain.model import Attachment, InboundMail
from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.attachments import read_attachments
from inbox_worker.mail.calendar import CALENDAR_TYPES, invitation_summary, is_calendar
from inbox_worker.mail.decode import (
    codec_for,
    decode_bytes,
    decode_escaped_surrogates,
    decode_header_value,
    one_line,
    scrub,
)
from inbox_worker.mail.enclosed import own_parts_only
from inbox_worker.mail.guard import precheck
from inbox_worker.mail.html_text import html_to_text
from inbox_worker.mail.reply_split import reply_text
from inbox_worker.mail.sanitize import sanitize_html

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

_MAX_DEFECTS = 50
_MAX_EMBEDDED = 20

# Headers that only mail carries: a header block with none of them (and no From) is not a
# mail but some other text that happens to start with "word: value".
_MAIL_HEADERS = frozenset(
    {
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id",
        "in-reply-to", "references", "received", "return-path", "mime-version",
        "content-type", "delivered-to", "x-original-to", "envelope-to", "x-mailer",
        "user-agent", "list-id", "auto-submitted", "dkim-signature", "authentication-results",
    }
)  # fmt: skip

_RAW_HEADERS = frozenset({"message-id", "in-reply-to", "references", "from"})
_MSG_ID = re.compile(r"<([^<>]*)>")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BODY_MESSAGE_ID = re.compile(r"^[ \t>]*message-id:[ \t]*<([^<>\s]+)>", re.I | re.M)
# Every spelling of "-id:" that _BODY_MESSAGE_ID's IGNORECASE accepts ("i" also matches the
# Turkish dotted and dotless I).
_ID_COLON_VARIANTS = tuple(f"-{i}{d}:" for i in "iIİı" for d in "dD")
_BODY_SUBJECT = re.compile(r"^[ \t>]*subject:[ \t]*(\S[^\n]*)$", re.I | re.M)


def parse_mail(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundMail:
    """Parse one raw mail. Raises `UnparseableMail` (with a reason) for what is no mail.

    A missing From is not fatal here (``from_addr == ""``); the caller decides.
    """
    raw, notes = precheck(bytes(raw), max_bytes)
    try:
        parsed = _MailParser.from_bytes(raw)
    except Exception as exc:  # any library failure quarantines, never escapes
        raise UnparseableMail(_reason("mail-parser failed", exc)) from exc
    _require_mail_headers(parsed.message)
    try:
        return _build(parsed, notes)
    except Exception as exc:  # reading library objects built from hostile input
        raise UnparseableMail(_reason("cannot read the parsed mail", exc)) from exc


def _reason(what: str, exc: BaseException) -> str:
    return one_line(f"{what}: {type(exc).__name__}: {exc}")[:300]


class _MailParser(mailparser.MailParser):
    """mail-parser, with our charset policy (see `decode`) for body text, and our reading
    of what is the sender's own text.

    mail-parser decodes a body with the declared charset and falls back to UTF-8 with
    replacement characters; Chinese mail labelled gb2312 but written in GBK then comes out
    as mostly U+FFFD. Overriding its one decoding step keeps everything else its own.

    It also reads as text every part it does not take for an attachment: a signature, a
    calendar, an image without a name; they are `loose_files` instead (see `attachments`).
    And it walks into an enclosed message (a forwarded mail) as if its text and files were
    the sender's: it only walks the mail's own parts, the enclosed messages are kept whole
    in `enclosed` (see `enclosed`).
    """

    def __init__(self, message: Message | None = None) -> None:
        self._charset_notes: list[str] = []
        self.loose_files: list[Message] = []
        self.enclosed: list[Message] = []
        super().__init__(message)

    def parse(self) -> _MailParser:
        with own_parts_only(self.message, self.enclosed):
            super().parse()
        return self

    def _decode_body_payload(self, part: Message, charset: str, part_index: int) -> str:
        if _is_file(part):
            self.loose_files.append(part)
            return ""
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            return str(super()._decode_body_payload(part, charset, part_index))
        label = part.get_content_charset()
        text, used = decode_bytes(data, label)
        if label and used != codec_for(label):
            self._charset_notes.append(f"part {part_index}: charset {label!r} decoded as {used}")
        return text

    def _make_mail(self, complete: bool = True) -> dict[str, Any]:
        # mail-parser builds its `.mail` and `.mail_partial` dicts at the end of every
        # parse, decoding every header twice; we read the parts and headers we need
        # directly (see `_build`) and never those dicts. Skipping them is an eighth of a parse.
        return {}


def _is_file(part: Message) -> bool:
    """A part mail-parser would read as text that is a file: not text, or a calendar. (A
    multipart or message/* part reaches here only when broken: its body is text.)"""
    content_type = part.get_content_type()
    if content_type.startswith(("text/", "multipart/", "message/")):
        return content_type in CALENDAR_TYPES
    return True


def _require_mail_headers(message: Message | None) -> None:
    names = {str(name).lower() for name in message} if message is not None else set()
    if not names:
        raise UnparseableMail("no header section, not an RFC 5322 message")
    if not names & _MAIL_HEADERS:
        raise UnparseableMail("no From and no mail headers, not an RFC 5322 message")


# --- from mail-parser to InboundMail -------------------------------------------------


def _build(parsed: _MailParser, notes: list[str]) -> InboundMail:
    message = parsed.message
    hints = _declared_charsets(message)
    headers, raw_values = _headers(message, hints)
    from_pairs = parsed.from_ or []
    from_addr = next(iter(_addresses(from_pairs)), "")
    if not from_addr and raw_values.get("from"):
        # mail-parser decodes a name before it splits the addresses, so an encoded name
        # holding a line break ("=?UTF-8?Q?Ivan=0D=0ABcc:_x?=") loses a good address. Split
        # the raw value first; the name is decoded afterwards, on one line.
        from_pairs = getaddresses(raw_values["from"][:1])
        from_addr = next(iter(_addresses(from_pairs)), "")
    from_name = _display_name(raw_values.get("from", []), from_pairs, from_addr, hints)
    full_text, files = _text_and_files(parsed, hints)
    html_parts = [scrub(part) for part in parsed.text_html]
    html = "\n".join(html_parts) if html_parts else None
    embedded_ids, embedded_subjects = _embedded(message, hints, full_text)
    message_ids = _ids(raw_values.get("message-id", []))
    date = parsed.date
    if date is not None:
        date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    return InboundMail(
        message_id=message_ids[0] if message_ids else None,
        subject=headers.get("subject", ("",))[0],
        from_addr=from_addr,
        from_name=from_name,
        to=_addresses(parsed.to),
        cc=_addresses(parsed.cc),
        reply_to=_addresses(parsed.reply_to),
        date=date,
        in_reply_to=_ids(raw_values.get("in-reply-to", [])),
        references=_ids(raw_values.get("references", [])),
        text=reply_text(full_text),
        full_text=full_text,
        html=html,
        safe_html=sanitize_html(html),
        attachments=files,
        headers=headers,
        embedded_message_ids=embedded_ids,
        embedded_subjects=embedded_subjects,
        defects=_defects(parsed, notes),
    )


def _declared_charsets(message: Message) -> tuple[str, ...]:
    """Charsets the mail declares anywhere: the best guess for raw 8-bit header bytes."""
    found: dict[str, None] = {}
    for part in message.walk():
        charset = part.get_content_charset()
        if charset and charset not in ("us-ascii", "utf-8"):
            found[charset] = None
            if len(found) >= 4:
                break
    return tuple(found)


def _headers(
    message: Message, hints: tuple[str, ...]
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[str]]]:
    """Decoded one-line values by lower-cased name, top first; and some raw values.

    Message-IDs are read raw (they are never RFC 2047-encoded), the From raw for its
    display name (see `_display_name`).
    """
    decoded: dict[str, list[str]] = {}
    raw: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = one_line(str(name)).lower()
        text = str(value)
        if key in _RAW_HEADERS:
            raw.setdefault(key, []).append(text)
        decoded.setdefault(key, []).append(one_line(decode_header_value(text, hints)))
    return {key: tuple(values) for key, values in decoded.items()}, raw


def _display_name(
    raw_values: list[str], pairs: list[tuple[str, str]], address: str, hints: tuple[str, ...]
) -> str:
    """The sender's display name, decoded.

    mail-parser decodes names while it parses addresses, which is the safe order, but it
    gives up on raw 8-bit names and on encoded-words with commas inside. When the raw From
    is the plain ``phrase <address>`` form and names the address mail-parser found, the
    phrase is decoded here instead; it cannot change the address any more.
    """
    name = pairs[0][0] if pairs else ""
    raw = raw_values[0] if raw_values else ""
    if address and raw.count("<") == 1 and raw.count(">") == 1:
        phrase, _, rest = raw.partition("<")
        if rest.split(">", 1)[0].strip().lower() == address and phrase.strip():
            phrase = phrase.strip()
            if len(phrase) >= 2 and phrase[0] == phrase[-1] == '"':
                phrase = re.sub(r"\\(.)", r"\1", phrase[1:-1])
            name = phrase
    elif "\\udc" in name:
        name = decode_escaped_surrogates(name, hints)
    return one_line(decode_header_value(name, hints))


def _ids(values: list[str]) -> tuple[str, ...]:
    """Message-IDs without angle brackets, in order, without duplicates."""
    found: dict[str, None] = {}
    for value in values:
        value = scrub(value)
        tokens = _MSG_ID.findall(value)
        if not tokens:  # some clients omit the brackets
            tokens = [t for t in re.split(r"[\s,]+", value) if "@" in t]
        for token in tokens:
            token = one_line(token).replace(" ", "")
            if token and len(token) <= 998:
                found[token] = None
    return tuple(found)


def _addresses(pairs: Any) -> tuple[str, ...]:
    """Lower-cased bare addresses, without duplicates; anything with spaces is dropped."""
    found: dict[str, None] = {}
    for pair in pairs or ():
        address = scrub(str(pair[1])).strip().lower()
        if address and one_line(address) == address and " " not in address and "<" not in address:
            found[address] = None
    return tuple(found)


def _text_and_files(
    parsed: _MailParser, hints: tuple[str, ...]
) -> tuple[str, tuple[Attachment, ...]]:
    """The whole decoded body, and the mail's files. An invitation's summary ends the text:
    its what, when and where are often nowhere else in the mail (see `calendar`)."""
    files = read_attachments(
        parsed.attachments, hints, loose=parsed.loose_files, enclosed=parsed.enclosed
    )
    plain = [part for part in parsed.text_plain if part.strip()]
    if plain:
        text = "\n\n".join(plain)
    elif parsed.text_html:
        text = html_to_text("\n".join(parsed.text_html))
    else:
        text = "\n\n".join(part for part in parsed.text_not_managed if part.strip())
    summary = invitation_summary(
        file.data for file in files if is_calendar(file.content_type, file.filename)
    )
    return "\n\n".join(filter(None, (_clean_text(text), summary))), files


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return scrub(_TEXT_CONTROLS.sub("", text)).strip()


def _embedded(
    message: Message, hints: tuple[str, ...], full_text: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Message-IDs and subjects of the original a bounce carries (or quotes in its text)."""
    originals: list[Message] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                originals.append(payload[0])
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            originals.append(_header_block(part))
        elif part.is_multipart():
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            types = [child.get_content_type() for child in children]
            if "message/delivery-status" in types:
                # Some MTAs return the original's headers as a plain text neighbour.
                after = types.index("message/delivery-status") + 1
                for child in children[after:]:
                    if child.get_content_maintype() == "text":
                        originals.append(_header_block(child))
        if len(originals) >= _MAX_EMBEDDED:
            break
    ids: dict[str, None] = {}
    subjects: dict[str, None] = {}
    for original in originals:
        raw = [(str(name).lower(), str(value)) for name, value in original.raw_items()]
        for value in _ids([value for name, value in raw if name == "message-id"]):
            ids[value] = None
        for value in (value for name, value in raw if name == "subject"):
            subjects[one_line(decode_header_value(value, hints))] = None
    # qmail and exim quote the original's headers in the body text. The pattern (anchored
    # at line starts, case-insensitive) is costly to run over a whole body: only a text
    # holding "-id:" in some case can match it.
    if not ids and any(variant in full_text for variant in _ID_COLON_VARIANTS):
        for match in _BODY_MESSAGE_ID.finditer(full_text):
            ids[match.group(1)] = None
            if len(ids) >= _MAX_EMBEDDED:
                break
        if ids and not subjects:
            for match in _BODY_SUBJECT.finditer(full_text):
                subjects[one_line(match.group(1))] = None
                if len(subjects) >= _MAX_EMBEDDED:
                    break
    subjects.pop("", None)
    return tuple(ids), tuple(subjects)


def _header_block(part: Message) -> Message:
    data = part.get_payload(decode=True)
    return BytesHeaderParser().parsebytes(data if isinstance(data, bytes) else b"")


def _defects(parsed: _MailParser, notes: list[str]) -> tuple[str, ...]:
    found: list[str] = list(notes)
    for entry in parsed.defects:
        if isinstance(entry, dict):
            for where, descriptions in entry.items():
                items = descriptions if isinstance(descriptions, list) else [descriptions]
                found.extend(f"{where}: {description}" for description in items)
        else:
            found.append(str(entry))
    found.extend(parsed._charset_notes)
    cleaned = [one_line(item)[:500] for item in found]
    if len(cleaned) > _MAX_DEFECTS:
        cleaned = cleaned[:_MAX_DEFECTS] + [f"... and {len(cleaned) - _MAX_DEFECTS} more"]
    return tuple(cleaned)
