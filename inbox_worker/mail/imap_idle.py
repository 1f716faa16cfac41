"""IMAP IDLE (RFC 2177) for `ImapSource.wait_for_mail`: one IDLE command, ended early by
new mail, by its deadline, or by a worker that is stopping.

The IDLE is read in slices of at most STOP_CHECK_SECONDS, so that a worker's waiting thread
sees a stop within about a second and leaves IDLE properly (DONE), instead of being
interrupted mid-command or left parked until its deadline.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from imapclient import IMAPClient

from inbox_worker.errors import MailboxError

# RFC 2177: servers may drop an IDLE after 30 minutes of silence, so re-issue it earlier.
IDLE_RENEW_SECONDS = 25 * 60
STOP_CHECK_SECONDS = 1.0


def idle_until(client: IMAPClient, until: float, stop: threading.Event,
               idling: threading.Event) -> bool:
    """One IDLE command until ``until`` (a `time.monotonic` time) or ``stop``; True if the
    server announced new mail. ``idling`` is set while the server holds the command."""
    seen: list[Any] = []
    client.idle()
    idling.set()
    try:
        while not _announces_mail(seen) and not stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                break
            slice_ = min(left, STOP_CHECK_SECONDS)
            asked = time.monotonic()
            responses = client.idle_check(timeout=slice_)
            seen.extend(responses)
            if not responses and time.monotonic() - asked < slice_ - 0.05:
                # Woken with nothing to read: the server may have closed the connection.
                # Leaving IDLE tells (a dead socket fails there).
                break
    finally:
        idling.clear()
    _, tail = client.idle_done()
    return _announces_mail(seen + list(tail))


def _announces_mail(responses: list[Any]) -> bool:
    """EXISTS means the folder grew; BYE means the server is closing: look at it."""
    for response in responses:
        if len(response) >= 2 and response[1] == b"EXISTS":
            return True
        if response and response[0] == b"BYE":
            said = b" ".join(r for r in response[1:] if isinstance(r, bytes))
            raise MailboxError(
                f"IMAP server closed the connection: {said.decode(errors='replace')}"
            )
    return False
