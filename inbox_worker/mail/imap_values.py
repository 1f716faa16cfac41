"""IMAP values as plain data, without a connection: mail keys, how a FETCH is split by
size, and a server's refusal as one readable line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from inbox_worker.errors import MailboxError

# Besides batch_size, cap the bytes asked for in one FETCH: 50 mails of 20 MB each would
# otherwise all sit in memory at once.
BATCH_BYTES = 32 * 1024 * 1024


# The FETCH response items holding a mail (BODY.PEEK[]) or its header (the oversized).
BODY_ITEMS = (b"BODY[]",)
HEADER_ITEMS = (b"BODY[HEADER]<0>", b"BODY[HEADER]")


def fetched_bytes(data: dict[bytes, Any] | None, items: tuple[bytes, ...]) -> bytes | None:
    """The first of ``items`` a FETCH response holds (None where the server sent NIL)."""
    if data is None:
        return None
    return next((data[item] for item in items if data.get(item) is not None), None)


def make_key(folder: str, uidvalidity: int, uid: int) -> str:
    return f"imap:{folder}:{uidvalidity}:{uid}"


def parse_key(key: str) -> tuple[str, int, int]:
    """``imap:FOLDER:UIDVALIDITY:UID`` -> (folder, uidvalidity, uid); folders may hold ':'."""
    scheme, _, rest = key.partition(":")
    parts = rest.rsplit(":", 2)
    if scheme != "imap" or len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise MailboxError(f"not an IMAP mail key: {key!r}")
    return parts[0], int(parts[1]), int(parts[2])


def plan_batches(
    uids: list[int], sizes: dict[int, int], limit: int, budget: int = BATCH_BYTES
) -> Iterator[tuple[list[int], bool]]:
    """Split ``uids`` (in order) into FETCH groups: (uids, oversized).

    Oversized mails (``limit`` > 0) go alone; the others are grouped until ``budget`` bytes.
    UIDs without a size vanished since the search and are left out.
    """
    group: list[int] = []
    total = 0
    for uid in uids:
        if uid not in sizes:
            continue
        size = sizes[uid]
        if limit and size > limit:
            if group:
                yield group, False
                group, total = [], 0
            yield [uid], True
            continue
        if group and total + size > budget:
            yield group, False
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group, False


_BYTES_REPR = re.compile(r"""^b(['"])(.*)\1$""", re.S)
_DOVECOT_TIMING = re.compile(r"\s*\(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)\.?$")


def reason(exc: BaseException) -> str:
    """The server's words on one line, without imaplib's b'...' or Dovecot's timings."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    match = _BYTES_REPR.match(text)
    if match:
        text = match.group(2)
    return _DOVECOT_TIMING.sub("", text)[:300]


def describe_uids(uids: list[int]) -> str:
    return f"UID {uids[0]}" if len(uids) == 1 else f"{len(uids)} UIDs ({uids[0]}...)"
