"""Outlook's winmail.dat (application/ms-tnef): the files it carries, decoded by tnefparse.

Outlook wraps a mail's files in one TNEF blob when it sends "rich text" to the outside;
no customer means to send "winmail.dat". tnefparse decodes it, but it trusts the counts
the blob declares: a property count or a multi-value count of 2**32 makes it loop for ever
(measured: a blob of 170 bytes still ran after 20 s), and it copies the rest of the blob
for every attribute (2.4 MB of 200,000 tiny attributes: 4.6 s). So the blob's layout is
walked here first, cheaply, and tnefparse only sees blobs whose every count fits in the
bytes that follow it and whose attributes are not too many for its size. Anything else,
and anything tnefparse raises, keeps the winmail.dat as it came: a file is never lost and
a mail never fails for it.
"""

from __future__ import annotations

import logging
import struct

from inbox_worker.mail.decode import decode_bytes

log = logging.getLogger(__name__)

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_SIGNATURE = b"\x78\x9f\x3e\x22"
_EMBEDDED_SIGNATURE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"

# Real blobs hold a few dozen attributes and a few hundred MAPI properties. The limits
# bound tnefparse's work: it copies the rest of the blob for each attribute (a 24 MB blob
# of 20 files copies about 1.3 GB, a fraction of a second), and makes an object for each
# property value.
MAX_ATTRIBUTES = 10_000
MAX_COPIED_BYTES = 2 * 1024**3
MAX_PROPERTIES = 20_000
MAX_DEPTH = 3  # embedded messages inside embedded messages

# TNEF attributes (MS-OXTNEF 2.1.3): those that hold a MAPI property list.
_ATT_RECIPIENT_TABLE = 0x9004
_MAPI_LISTS = frozenset({0x9003, 0x9005})  # attMsgProps, attAttachment
_ATTACH_DATA_OBJECT = 0x3701  # PidTagAttachDataObject: may hold an embedded message

# MAPI property types (MS-OXCDATA 2.11.1) by the size of one value; the variable ones carry
# a count and a length per value.
_FIXED_SIZES = {
    0x0002: 2, 0x000B: 2, 0x0003: 4, 0x0004: 4, 0x000A: 4,
    0x0005: 8, 0x0006: 8, 0x0007: 8, 0x0014: 8, 0x0040: 8, 0x0048: 16,
}  # fmt: skip
_VARIABLE = frozenset({0x0000, 0x000D, 0x001E, 0x001F, 0x0102})
_MULTI_VALUE = 0x1000
_NAMED = 0x8000


class _Refused(Exception):
    """The blob's layout is not one tnefparse can be trusted with."""


def is_tnef(content_type: str, filename: str, data: bytes) -> bool:
    labelled = content_type in TNEF_TYPES or filename.lower() == "winmail.dat"
    return labelled and data.startswith(_SIGNATURE)


def tnef_files(data: bytes) -> tuple[list[tuple[str, bytes]], bool] | None:
    """The files inside a TNEF blob as (name, bytes), and whether they are all it holds
    (an embedded Outlook item or an attachment without data is no file of its own: then
    the blob is kept beside them). None when the blob cannot be read or holds no file."""
    try:
        _check_blob(data, 0)
    except (_Refused, struct.error) as exc:
        log.info("winmail.dat kept as it is: %s", exc or "truncated")
        return None
    # Imported here: most mails hold no TNEF, and the worker need not load it for them.
    from tnefparse import TNEF

    try:
        # Checksums only make tnefparse log: a wrong one is no reason to lose a file.
        blob = TNEF(data, do_checksum=False)
        # An embedded Outlook item's data is a TNEF stream of its own, no file to open.
        items = [(item, bytes(item.data) if not hasattr(item, "embed") else b"")
                 for item in blob.attachments]
        found = [(_name(item, blob.codepage), content) for item, content in items if content]
        complete = all(content for _, content in items)
    except Exception as exc:  # noqa: BLE001 - any library failure keeps the original blob
        log.info("winmail.dat kept as it is: tnefparse: %s: %s", type(exc).__name__, exc)
        return None
    return (found, complete) if found else None


def _name(item: object, codepage: str | None) -> str:
    try:
        name = item.long_filename()  # type: ignore[attr-defined]
    except UnicodeError:  # tnefparse reads a short name as UTF-8; Outlook writes its codepage
        name = getattr(item, "_name", b"")
    if isinstance(name, bytes):
        name = decode_bytes(name, codepage)[0]
    return str(name).strip("\x00")


# --- the layout check ----------------------------------------------------------------


def _check_blob(data: bytes, depth: int) -> None:
    """Raise `_Refused` unless every attribute fits and every count fits in what follows."""
    if not data.startswith(_SIGNATURE):
        raise _Refused("no TNEF signature")
    budget = [MAX_PROPERTIES]
    offset, attributes, copied = 6, 0, 0
    # tnefparse reads attributes while more than 12 bytes are left, and ignores the rest.
    while offset + 12 < len(data):
        copied += len(data) - offset
        if copied > MAX_COPIED_BYTES:
            raise _Refused("too many attributes for its size")
        name, length = struct.unpack_from("<xHxxI", data, offset)
        end = offset + 9 + length + 2
        if end > len(data):
            raise _Refused("truncated: an attribute runs past the end")
        attributes += 1
        if attributes > MAX_ATTRIBUTES:
            raise _Refused(f"more than {MAX_ATTRIBUTES} attributes")
        if name in _MAPI_LISTS:
            _check_properties(data[offset + 9 : end - 2], 0, budget, depth)
        elif name == _ATT_RECIPIENT_TABLE:
            value = data[offset + 9 : end - 2]
            at = 4
            for _ in range(_count(value, 0, budget)):
                at = _check_properties(value, at, budget, depth)
        offset = end


def _count(data: bytes, offset: int, budget: list[int], size: int = 4) -> int:
    """A declared count, refused when its items cannot fit in the bytes left (tnefparse
    would loop that many times) or when the blob's budget of properties is spent."""
    (count,) = struct.unpack_from("<I", data, offset)
    if count * size > len(data) - offset:
        raise _Refused(f"a count of {count} runs past the end")
    budget[0] -= count
    if budget[0] < 0:
        raise _Refused(f"more than {MAX_PROPERTIES} MAPI properties")
    return int(count)


def _check_properties(data: bytes, offset: int, budget: list[int], depth: int) -> int:
    """Walk one MAPI property list the way tnefparse's `decode_mapi` reads it; return the
    offset after it (where it stops reading: at an unknown type or past the end)."""
    count = _count(data, offset, budget)
    offset += 4
    for _ in range(count):
        if offset >= len(data):
            break  # tnefparse skips the properties that are not there
        kind, name = struct.unpack_from("<HH", data, offset)
        offset += 4
        if name >= _NAMED:
            (named_kind,) = struct.unpack_from("<16xI", data, offset)
            offset += 20
            if named_kind == 0:
                offset += 4
            else:
                (length,) = struct.unpack_from("<I", data, offset)
                offset += 4 + length + (-length % 4)
        values = None
        if kind & _MULTI_VALUE:
            kind ^= _MULTI_VALUE
            values = _count(data, offset, budget, _FIXED_SIZES.get(kind, 4))
            offset += 4
        if kind not in _FIXED_SIZES and kind not in _VARIABLE:
            return offset  # tnefparse stops reading the list at a type it does not know
        for _ in range(values or 1):
            offset = _check_value(data, offset, kind, name, bool(values), budget, depth)
        if (values or 1) % 2 and kind in (0x0002, 0x000B):
            offset += 2
    return offset


def _check_value(
    data: bytes, offset: int, kind: int, name: int, multi: bool, budget: list[int], depth: int
) -> int:
    if kind in _FIXED_SIZES:
        return offset + _FIXED_SIZES[kind]
    items = 1 if multi else _count(data, offset, budget)
    offset += 0 if multi else 4
    for _ in range(items):
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if name == _ATTACH_DATA_OBJECT and data.startswith(_EMBEDDED_SIGNATURE, offset):
            if depth >= MAX_DEPTH:
                raise _Refused("embedded messages nested too deep")
            start = offset + len(_EMBEDDED_SIGNATURE)
            _check_blob(data[start : offset + length], depth + 1)
        offset += length + (-length % 4)
    return offset
