"""Waiting for mail in several mailboxes at once: one thread per mailbox that only waits.

Why a thread each: IMAP IDLE holds its connection until the server speaks, so a worker
that waited in one mailbox's IDLE (up to 30 s) would leave mail in another waiting as long;
short waits in turn would trade that delay for a round trip per mailbox every second. So
each mailbox has a watcher thread that does nothing but `wait_for_mail` on its source and
then reports on a queue; the worker's main thread does all the work (fetching, storing,
moving, delivering), one mailbox at a time. A source is either lent to its watcher
(waiting) or held by the main thread (working), never used by both; the database is only
ever used by the main thread.
"""

from __future__ import annotations

import logging
import queue
import threading

from inbox_worker.config import MailboxSettings
from inbox_worker.mail.source import MailSource

log = logging.getLogger("inbox_worker.watch")

# The longest single wait for new mail; notices due for a retry and time rules are looked
# at in between, so this bounds how late either can be (and `health` how stale a poll is).
MAX_WAIT_SECONDS = 30.0
# How soon an idle watcher notices that the worker stops.
STOP_CHECK_SECONDS = 1.0
JOIN_SECONDS = 5.0
BACKOFF_START = 1.0
BACKOFF_MAX = 120.0


class Backoff:
    def __init__(self, start: float = BACKOFF_START, ceiling: float = BACKOFF_MAX) -> None:
        self.start = start
        self.ceiling = ceiling
        self.current = start

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self.current = self.start


class MailboxWatch:
    """One mailbox of the running worker: its source, and the thread that waits on it.

    `lend` hands the source to the thread: it waits for mail (or, after a failure, just
    waits ``delay`` seconds), then puts this watch on ``ready``, after which the source is
    the main thread's again."""

    def __init__(self, mailbox: MailboxSettings, name: str, *,
                 ready: queue.SimpleQueue[MailboxWatch | None], stop: threading.Event,
                 wait_seconds: float) -> None:
        self.mailbox = mailbox
        self.name = name
        self.source: MailSource | None = None
        self.backoff = Backoff()  # of this mailbox alone: the others go on meanwhile
        self._ready = ready
        self._stop = stop
        self._wait_seconds = wait_seconds
        self._lent = threading.Event()
        self._delay = 0.0
        self._thread = threading.Thread(target=self._watch, name=f"watch {name}", daemon=True)
        self._thread.start()

    def lend(self, delay: float = 0.0) -> None:
        """Let the thread wait on the source (``delay``: wait that long instead, without
        touching the source, as a failed mailbox's backoff)."""
        self._delay = delay
        self._lent.set()

    def close(self) -> None:
        """End the thread (the worker is stopping) and close the source."""
        self._lent.set()
        self._thread.join(JOIN_SECONDS)
        if self._thread.is_alive():
            # Still inside a server command: its connection goes with the process.
            log.warning("mailbox=%s watcher did not stop in time", self.name)
            return
        self.drop_source()

    def drop_source(self) -> None:
        source, self.source = self.source, None
        if source is not None:
            try:
                source.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not stop us
                log.debug("closing mailbox %s failed", self.name, exc_info=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            if not self._lent.wait(STOP_CHECK_SECONDS):
                continue
            self._lent.clear()
            if self._stop.is_set():
                return
            try:
                if self._delay or self.source is None:
                    self._stop.wait(self._delay)
                else:
                    self.source.wait_for_mail(self._wait_seconds, self._stop)
            except Exception as exc:  # noqa: BLE001 - the main thread's pass meets it again
                log.info("mailbox=%s waiting failed: %s", self.name, exc)
            self._ready.put(self)
