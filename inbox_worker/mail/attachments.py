"""The files of a mail, as mail-parser finds them, made safe to store and to show."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from mailparser.utils import decode_base64_payload

from inbox_worker.domain.model import Attachment
from inbox_worker.mail.decode import (
    decode_escaped_surrogates,
    decode_header_value,
    one_line,
    scrub,
)

_MAX_FILENAME = 200
_GENERATED_NAME = re.compile(r"[a-z]{10}\.(?:txt|rtf)")
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')
_FILENAME_CHAR = {"C": "", "Z": " "}  # by Unicode category: controls dropped, spaces kept


def read_attachments(items: list[dict[str, Any]], hints: tuple[str, ...]) -> tuple[Attachment, ...]:
    result = []
    for number, item in enumerate(items, start=1):
        payload = item.get("payload") or ""
        if item.get("binary"):
            data = decode_base64_payload(payload)
        else:
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        content_type = one_line(str(item.get("mail_content_type") or "")).lower()
        result.append(
            Attachment(
                filename=_safe_filename(item, number, hints),
                content_type=content_type or "application/octet-stream",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
        )
    return tuple(result)


def _safe_filename(item: dict[str, Any], number: int, hints: tuple[str, ...]) -> str:
    """A basename safe to show and to store: no directories, no control characters."""
    fallback = f"attachment-{number}"
    name = str(item.get("filename") or "")[:1000]
    content_id = str(item.get("content-id") or "")
    if name == content_id or (
        _GENERATED_NAME.fullmatch(name) and name not in str(item.get("content-disposition"))
    ):
        return fallback  # mail-parser made the name up (a Content-ID or a random one)
    if "=?" in name or "\\udc" in name:  # mail-parser could not decode it
        name = decode_header_value(decode_escaped_surrogates(name, hints), hints)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (NUL, CR, bidi overrides that fake an extension) go.
    name = "".join(_FILENAME_CHAR.get(unicodedata.category(ch)[0], ch) for ch in scrub(name))
    name = _UNSAFE_NAME_CHARS.sub("_", one_line(name)).strip(" .")
    if not name:
        return fallback
    if len(name) > _MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: _MAX_FILENAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:_MAX_FILENAME].rstrip(" .")
    return name or fallback
