"""The files of a mail made safe to store and to show: what mail-parser finds, the parts it
would have read as text that are files, each enclosed message as one .eml file, and
Outlook's winmail.dat unpacked into the files it carries."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from email.message import Message
from functools import cache
from typing import Any

from mailparser.utils import decode_base64_payload

from inbox_worker.domain.model import Attachment
from inbox_worker.mail.decode import (
    decode_escaped_surrogates,
    decode_header_value,
    one_line,
    scrub,
)
from inbox_worker.mail.enclosed import message_bytes, message_subject
from inbox_worker.mail.tnef import is_tnef, tnef_files

_MAX_FILENAME = 200
_GENERATED_NAME = re.compile(r"[a-z]{10}\.(?:txt|rtf)")
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')
_FILENAME_CHAR = {"C": "", "Z": " "}  # by Unicode category: controls dropped, spaces kept

FORWARDED_NAME = "forwarded-message.eml"
# A file without a name is called what its sender's client calls it, where there is a
# convention; any other is "attachment-<its number in the mail>".
_DEFAULT_NAMES = {
    "text/calendar": "invite.ics",
    "application/ics": "invite.ics",
    "application/pgp-signature": "signature.asc",
    "application/pkcs7-signature": "smime.p7s",
    "application/x-pkcs7-signature": "smime.p7s",
    "application/ms-tnef": "winmail.dat",
    "message/rfc822": FORWARDED_NAME,
    "message/global": FORWARDED_NAME,
}


def read_attachments(
    items: list[dict[str, Any]],
    hints: tuple[str, ...],
    *,
    loose: Sequence[Message] = (),
    enclosed: Sequence[Message] = (),
) -> tuple[Attachment, ...]:
    """The mail's files: mail-parser's `items`, then the `loose` parts (files mail-parser
    would have read as text, see `inbound._MailParser`), then one .eml per `enclosed`
    message; a winmail.dat becomes the files inside it."""
    result = [_from_item(item, number, hints) for number, item in enumerate(items, start=1)]
    seen = {file.sha256 for file in result}
    for number, part in enumerate(loose, start=len(result) + 1):
        file = _from_part(part, number)
        # Google Calendar sends an invitation twice: the calendar view of the text and an
        # invite.ics attachment, byte for byte the same. One file is enough.
        if file.sha256 not in seen:
            result.append(file)
    for part in enclosed:
        data = message_bytes(part)
        if data.strip():  # a bounce may return an empty original: no file to keep
            result.append(_attachment(_subject_filename(message_subject(part, data, hints)),
                                      "message/rfc822", data))
    return tuple(_unpacked(result))


def _from_item(item: dict[str, Any], number: int, hints: tuple[str, ...]) -> Attachment:
    payload = item.get("payload") or ""
    if item.get("binary"):
        data = decode_base64_payload(payload)
    else:
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    content_type = one_line(str(item.get("mail_content_type") or "")).lower()
    return _attachment(_item_filename(item, number, content_type, hints), content_type, data)


def _from_part(part: Message, number: int) -> Attachment:
    data = part.get_payload(decode=True)
    content_type = part.get_content_type()
    # mail-parser named every part that has a name: a loose part has none.
    name = _default_name(content_type, number)
    return _attachment(name, content_type, data if isinstance(data, bytes) else b"")


def _attachment(filename: str, content_type: str, data: bytes) -> Attachment:
    return Attachment(
        filename=filename,
        content_type=content_type or "application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _unpacked(files: Iterable[Attachment]) -> Iterator[Attachment]:
    for file in files:
        if not is_tnef(file.content_type, file.filename, file.data):
            yield file
            continue
        unpacked = tnef_files(file.data)
        if unpacked is None:
            yield file
            continue
        inner, complete = unpacked
        for number, (name, data) in enumerate(inner, start=1):
            fallback = f"winmail-{number}"
            safe = safe_filename(name, fallback)
            yield _attachment(safe, _guess_type(safe), data)
        if not complete:  # something in it is no file of its own: the blob stays too
            yield file


@cache
def _types() -> mimetypes.MimeTypes:
    # Python's own table, not the machine's /etc/mime.types: the same type everywhere.
    return mimetypes.MimeTypes()


def _guess_type(filename: str) -> str:
    return _types().guess_type(filename, strict=False)[0] or "application/octet-stream"


# --- names ---------------------------------------------------------------------------


def _default_name(content_type: str, number: int) -> str:
    return _DEFAULT_NAMES.get(content_type, f"attachment-{number}")


def _item_filename(
    item: dict[str, Any], number: int, content_type: str, hints: tuple[str, ...]
) -> str:
    """The name a mail-parser attachment is stored and shown under."""
    fallback = _default_name(content_type, number)
    name = str(item.get("filename") or "")[:1000]
    content_id = str(item.get("content-id") or "")
    if name == content_id or (
        _GENERATED_NAME.fullmatch(name) and name not in str(item.get("content-disposition"))
    ):
        return fallback  # mail-parser made the name up (a Content-ID or a random one)
    if "=?" in name or "\\udc" in name:  # mail-parser could not decode it
        name = decode_header_value(decode_escaped_surrogates(name, hints), hints)
    return safe_filename(name, fallback)


def safe_filename(name: str, fallback: str) -> str:
    """A basename safe to show and to store: no directories, no control characters."""
    name = _clean(name.replace("\\", "/").rsplit("/", 1)[-1])
    if not name:
        return fallback
    if len(name) > _MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: _MAX_FILENAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:_MAX_FILENAME].rstrip(" .")
    return name or fallback


def _subject_filename(subject: str) -> str:
    """'<subject>.eml' for a forwarded mail: slashes in a subject are no directories."""
    stem = _clean(subject.replace("/", "_").replace("\\", "_"))
    return safe_filename(f"{stem}.eml", FORWARDED_NAME) if stem else FORWARDED_NAME


def _clean(name: str) -> str:
    # Control and format characters (NUL, CR, bidi overrides that fake an extension) go.
    name = "".join(_FILENAME_CHAR.get(unicodedata.category(ch)[0], ch) for ch in scrub(name))
    return _UNSAFE_NAME_CHARS.sub("_", one_line(name)).strip(" .")
