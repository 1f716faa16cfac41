"""The long-running worker: watch the mailboxes, send due notices, apply the time rules,
send the daily digest and the weekly report.

One loop in the main thread does all the work; each mailbox has a thread that only waits
for its mail (`watch.MailboxWatch`: IMAP IDLE where the server offers it, renewed before
servers drop it, otherwise polling) and wakes the loop, which then reads that mailbox with
the same `App.poll_mailbox` as `poll --once`. A server that goes away (IMAP, SMTP or the
database) is retried with exponential backoff, a failing mailbox on its own while the
others go on; nothing is lost meanwhile, because a mail leaves the mailbox only after its
commit and a notice leaves the outbox only after delivery. SIGTERM/SIGINT finish the mail
in hand and end the loop with exit code 0.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import schedule
from sqlalchemy.exc import SQLAlchemyError

from inbox_worker.app import App
from inbox_worker.errors import MailboxError, StoreError
from inbox_worker.service.digest import digest_due, send_digest
from inbox_worker.service.report_mail import send_weekly_report
from inbox_worker.store.database import first_line
from inbox_worker.watch import MAX_WAIT_SECONDS, Backoff, MailboxWatch

log = logging.getLogger("inbox_worker.worker")

RULES_EVERY_SECONDS = 60


class Worker:
    def __init__(self, app: App, *, poll_interval: float,
                 progress: Callable[[int, float], None] | None = None) -> None:
        self.app = app
        self.poll_interval = poll_interval
        self.stop = threading.Event()
        self.progress = progress
        self.signal: int | None = None
        # Mailboxes whose wait ended, from their watchers; None: look at `stop`. A
        # SimpleQueue, because its `put` is safe in a signal handler.
        self._ready: queue.SimpleQueue[MailboxWatch | None] = queue.SimpleQueue()
        self._scheduler = schedule.Scheduler()
        self._scheduler.every(RULES_EVERY_SECONDS).seconds.do(self._apply_rules)
        # The digest's local time is looked at every minute (`schedule` knows time zones
        # only through pytz); `send_digest` records the day, so it goes once.
        self._scheduler.every(RULES_EVERY_SECONDS).seconds.do(self._send_digest)
        self._scheduler.every(RULES_EVERY_SECONDS).seconds.do(self._send_weekly_report)

    # -- signals -------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Flags only, no logging: the handler runs between two bytecodes of the main
        # thread, maybe in the middle of its write to stderr, where a log line fails as a
        # reentrant call and took the stop with it (a SIGTERM lost). The loop says it.
        self.signal = signum
        self.request_stop()

    def request_stop(self) -> None:
        """End the loop after the mail in hand (from a signal handler or another thread)."""
        self.stop.set()
        self._ready.put(None)

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> int:
        wait = min(self.poll_interval, MAX_WAIT_SECONDS)
        watches = [MailboxWatch(box, self.app.mailbox_name(box), ready=self._ready,
                                stop=self.stop, wait_seconds=wait)
                   for box in self.app.settings.read_mailboxes]
        try:
            self._loop(list(watches), wait)
        finally:
            self.stop.set()
            for watch in watches:
                watch.close()
        if self.signal is not None:
            log.info("signal=%s: stopped after the mail in hand", self.signal)
        log.info("stopped")
        return 0

    def _loop(self, due: list[MailboxWatch], wait: float) -> None:
        """``due``: the mailboxes to read now (at first all of them, then those whose
        watcher saw mail or whose wait ran out)."""
        backoff = Backoff()
        started = False
        while not self.stop.is_set():
            try:
                if not started:
                    # The time rules and a digest that is due go first, as on every minute.
                    self._apply_rules()
                    self._send_digest()
                    self._send_weekly_report()
                    started = True
                while due and not self.stop.is_set():
                    self._read(due[0])
                    due.pop(0)
                if self.stop.is_set():
                    return
                self.app.send_due_notices()
                self._scheduler.run_pending()
                backoff.reset()
                due.extend(self._wait_for_mail(wait))
            except (MailboxError, StoreError) as exc:
                delay = backoff.next()
                log.warning("error=%r retry_in=%.0fs", str(exc), delay)
                self._sleep(delay)

    def _read(self, watch: MailboxWatch) -> None:
        """One pass over a mailbox, then its source goes back to its watcher. A mailbox
        error backs off that mailbox alone; a database error goes to the loop."""
        started = time.monotonic()
        try:
            if watch.source is None:
                watch.source = self.app.open_source(watch.mailbox)
            summary = self.app.poll_mailbox(
                watch.mailbox, watch.source, should_stop=self.stop.is_set,
                progress=self._report_progress(started), after_batch=self.app.send_due_notices,
            )
        except MailboxError as exc:
            delay = watch.backoff.next()
            log.warning("mailbox=%s error=%r retry_in=%.0fs", watch.name, str(exc), delay)
            watch.drop_source()
            watch.lend(delay)
            return
        watch.backoff.reset()
        if summary.total:
            log.info("pass mailbox=%s mails=%d outcomes=%s seconds=%.2f", watch.name,
                     summary.total, dict(summary.outcomes), time.monotonic() - started)
        watch.lend()

    def _wait_for_mail(self, seconds: float) -> list[MailboxWatch]:
        """The mailboxes whose watchers are done waiting: at least one within ``seconds``,
        or none (then the notices and rules are looked at, and the wait begins again)."""
        try:
            first = self._ready.get(timeout=seconds)
        except queue.Empty:
            return []
        ready = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                ready.append(self._ready.get_nowait())
        return [watch for watch in ready if watch is not None]

    def _report_progress(self, started: float) -> Callable[[int], None]:
        def report(done: int) -> None:
            if self.progress is not None:
                self.progress(done, time.monotonic() - started)
        return report

    def _apply_rules(self) -> None:
        with _store_errors():
            summary = self.app.apply_time_rules()
            if summary.auto_closed or summary.started or summary.escalated or summary.surveys:
                log.info("rules auto_closed=%d started=%d escalated=%d surveys=%d",
                         summary.auto_closed, summary.started, summary.escalated,
                         summary.surveys)
                self.app.send_due_notices()

    def _send_digest(self) -> None:
        alerts = self.app.settings.alerts
        now = self.app.clock()
        if digest_due(now, alerts.digest_at, alerts.timezone):
            with _store_errors():
                result = send_digest(self.app.sessions, self.app.outbox, now, once=True)
                if result.queued:
                    self.app.send_due_notices()

    def _send_weekly_report(self) -> None:
        # `send_weekly_report` records the week with its mail, so it goes once.
        with _store_errors():
            result = send_weekly_report(self.app.sessions, self.app.outbox, self.app.clock())
            if result is not None and result.queued:
                self.app.send_due_notices()

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """A database that fails under the time rules, the digest or the weekly report is a
    `StoreError`: the loop backs off and tries again, as for a failing poll, instead of
    ending."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(f"database error: {first_line(exc)}") from exc


def print_progress(done: int, seconds: float) -> None:
    """A one-line progress display on a terminal while a backlog is worked through."""
    rate = done / seconds if seconds > 0 else 0.0
    sys.stderr.write(f"\r{done} mails processed ({rate:.1f}/s)")
    sys.stderr.flush()
