"""The mailboxes of a deployment as sources: one opened per `MailboxSettings`, each mail
labelled with the address it came in at and keyed apart from the other mailboxes' mails.

Keys must not collide between mailboxes: two accounts each have an INBOX with UIDs from 1,
and a key recorded as processed for one would make the other's mail look done (and be
lost). So a `[[mailboxes]]` source's keys begin with its address
(``billing@example.com:imap:INBOX:17:3``). The one `[mailbox]` keeps the keys it always had
(``imap:INBOX:17:3``): a deployment that upgrades re-processes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace

from inbox_worker.config import MailboxSettings
from inbox_worker.mail.maildir import MaildirSource
from inbox_worker.mail.source import FetchedMail, MailSource


def open_source(mailbox: MailboxSettings) -> MailSource:
    """The source of ``mailbox`` (connections are made on first use)."""
    if mailbox.kind == "imap":
        from inbox_worker.mail.imap import ImapSource  # imapclient only where IMAP is used

        source: MailSource = ImapSource(mailbox)
    else:
        source = MaildirSource(mailbox.path, processed_folder=mailbox.processed_folder,
                               quarantine_folder=mailbox.quarantine_folder)
    return AddressedSource(source, mailbox.address) if mailbox.address else source


def mailbox_of_key(key: str) -> str | None:
    """The address a `[[mailboxes]]` key begins with (None for `[mailbox]`'s keys)."""
    first, colon, _ = key.partition(":")
    return first if colon and "@" in first else None


class AddressedSource:
    """A `[[mailboxes]]` source: its mails carry its address, and keys begin with it."""

    def __init__(self, source: MailSource, address: str) -> None:
        self.source = source
        self.address = address
        self.name = f"{address} {source.name}"
        self._prefix = f"{address}:"

    def fetch(self) -> Iterator[FetchedMail]:
        for mail in self.source.fetch():
            yield replace(mail, key=self._prefix + mail.key, mailbox_address=self.address)

    def mark_done(self, mail: FetchedMail) -> None:
        self.source.mark_done(self._inner(mail))

    def mark_done_batch(self, mails: Sequence[FetchedMail]) -> None:
        self.source.mark_done_batch([self._inner(mail) for mail in mails])

    def quarantine(self, mail: FetchedMail) -> None:
        self.source.quarantine(self._inner(mail))

    def quarantine_batch(self, mails: Sequence[FetchedMail]) -> None:
        self.source.quarantine_batch([self._inner(mail) for mail in mails])

    def wait_for_mail(self, timeout: float, stop: threading.Event | None = None) -> bool:
        return self.source.wait_for_mail(timeout, stop)

    def close(self) -> None:
        self.source.close()

    def _inner(self, mail: FetchedMail) -> FetchedMail:
        return replace(mail, key=mail.key.removeprefix(self._prefix))
