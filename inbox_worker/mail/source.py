"""The contract every way in (IMAP, Maildir, `ingest`) fulfils, so one pipeline serves all.

A source yields raw bytes with a key that is stable for as long as the mail sits in the
source, and waits for new mail (`wait_for_mail`), so `poll --once` and `run` drive every
source alike. The pipeline commits the mail to the database first and only then calls
`mark_done` (or `quarantine`), so a crash in between leaves the mail in the to-do list and
the processed-key record turns the re-fetch into a no-op.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class FetchedMail:
    # Stable identity within the source, e.g. "imap:INBOX:1700000000:42", "maildir:<key>",
    # "ingest:<sha256>". Recorded in the database once the mail is handled.
    key: str
    raw: bytes = field(repr=False)
    # The logical mailbox name; used with a hash of the bytes to key mails without Message-ID.
    mailbox: str = "INBOX"
    # Set when the source refused to download a mail over the size limit: ``raw`` then holds
    # only its header, and this is the full size. The pipeline quarantines such a mail.
    oversized: int | None = None
    # Our address the mail came in at ([[mailboxes]]); None: the [support] address.
    mailbox_address: str | None = None


class MailSource(Protocol):
    name: str

    def fetch(self) -> Iterator[FetchedMail]:
        """The mails to do now, oldest first; memory use must not grow with their number."""
        ...

    def mark_done(self, mail: FetchedMail) -> None:
        """Take a committed mail off the to-do list (move it, or flag it)."""
        ...

    def mark_done_batch(self, mails: Sequence[FetchedMail]) -> None:
        """`mark_done` for several mails of one fetch, in as few commands as the source can."""
        ...

    def quarantine(self, mail: FetchedMail) -> None:
        """Put a mail that could not be processed aside, out of the to-do list."""
        ...

    def quarantine_batch(self, mails: Sequence[FetchedMail]) -> None:
        """`quarantine` for several mails of one fetch."""
        ...

    def wait_for_mail(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds for mail that came after the last `fetch`; True as
        soon as there is some, False when the time is up or ``stop`` is set (looked at
        about once a second, so a stopping worker is not kept waiting)."""
        ...

    def close(self) -> None: ...
