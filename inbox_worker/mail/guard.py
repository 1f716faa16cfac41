"""What must not reach mail-parser, found before it parses anything.

This module owns the cheap byte-level checks that keep hostile input from costing more than
a bad mail is worth: size, files that are no mail at all (Outlook .msg), MIME nesting so
deep that the recursive stdlib parser would blow its stack, and charset labels whose
decoder is quadratic. Each refusal is an `UnparseableMail` with a reason for quarantine.
"""

from __future__ import annotations

import re

from inbox_worker.errors import UnparseableMail

MAX_MIME_DEPTH = 50

_CFBF_MAGIC = b"\xd0\xcf\x11\xe0"  # Compound File Binary: Outlook .msg, old Office files
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]+))""", re.IGNORECASE)
# A charset label naming punycode (whose decoder is quadratic) in a parameter, an RFC 2231
# value or an encoded-word. Renamed before mail-parser sees it, so nobody decodes with it.
_PUNYCODE_LABEL = re.compile(rb"""((?:charset\s*=\s*["']?\s*)|=\?|\*=\s*["']?)punycode""", re.I)


def precheck(raw: bytes, max_bytes: int) -> tuple[bytes, list[str]]:
    """Refuse what must not reach mail-parser; neutralise what would make it slow."""
    if len(raw) > max_bytes:
        raise UnparseableMail(f"mail is {len(raw)} bytes, over the limit of {max_bytes}")
    if not raw.strip():
        raise UnparseableMail("empty input, not an RFC 5322 message")
    if raw.startswith(_CFBF_MAGIC):
        raise UnparseableMail("an Outlook .msg (CFBF) file, not an RFC 5322 message")
    lowered = raw.lower()
    if _nesting_depth(raw, lowered, MAX_MIME_DEPTH) > MAX_MIME_DEPTH:
        raise UnparseableMail(f"MIME parts nested deeper than {MAX_MIME_DEPTH} levels")
    notes = []
    if b"punycode" in lowered and _PUNYCODE_LABEL.search(raw):
        raw = _PUNYCODE_LABEL.sub(rb"\1x-refused", raw)
        notes.append("charset punycode refused (quadratic decoder)")
    return raw, notes


def _nesting_depth(raw: bytes, lowered: bytes, limit: int) -> int:
    """How deep the stdlib parser would recurse, found iteratively; stops past `limit`.

    Mirrors the feed parser closely enough: a multipart opens a level until its close
    delimiter (or a delimiter of an outer level), a message/* part opens one for the
    embedded message's headers and body.
    """
    if lowered.count(b"boundary") + lowered.count(b"message/") <= limit:
        return 0  # cannot nest deeper than the containers it declares at all
    stack: list[bytes | None] = []  # boundary per open multipart, None per message/* level
    in_headers = True
    content_type: list[bytes] = []
    collecting = False
    for line in raw.splitlines():
        if in_headers:
            is_continuation = line[:1] in (b" ", b"\t")
            if line and (is_continuation or b":" in line):
                if is_continuation:
                    if collecting:
                        content_type.append(line)
                else:
                    collecting = line[:13].lower() == b"content-type:"
                    if collecting:
                        content_type = [line[13:]]
                continue
            opens, boundary, in_headers = _opens_level(
                b" ".join(content_type) if collecting else b"", stack
            )
            content_type, collecting = [], False
            if opens:
                stack.append(boundary)
                if len(stack) > limit:
                    return len(stack)
            if in_headers or not line:
                continue
        if line.startswith(b"--") and stack:
            for index in range(len(stack) - 1, -1, -1):
                boundary = stack[index]
                if boundary is None or not line.startswith(b"--" + boundary):
                    continue
                rest = line[len(boundary) + 2 :].rstrip()
                if rest == b"":
                    del stack[index + 1 :]
                    in_headers = True
                    break
                if rest == b"--":
                    del stack[index:]
                    break
    return len(stack)


def _opens_level(value: bytes, stack: list[bytes | None]) -> tuple[bool, bytes | None, bool]:
    """For a Content-Type value: (opens a level, its boundary, whether headers follow)."""
    media = value.split(b";", 1)[0].strip().lower()
    if media.startswith(b"multipart/"):
        match = _BOUNDARY.search(value)
        boundary = (match.group(1) or match.group(2) or b"").strip() if match else b""
        # A boundary already open cannot start a new level: its delimiter ends the outer one.
        if boundary and boundary not in stack:
            return True, boundary, False
        return False, None, False
    if media.startswith(b"message/") and media != b"message/delivery-status":
        return True, None, True  # the embedded message's own header block follows
    return False, None, False
