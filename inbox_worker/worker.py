"""The long-running worker: watch the mailbox, send due notices, apply the time rules,
send the daily digest and the weekly report.

One loop in one process. The mailbox is watched with IMAP IDLE where the server offers it
(renewed before servers drop it), otherwise polled. A server that goes away (IMAP, SMTP or
the database) is retried with exponential backoff; nothing is lost meanwhile, because a
mail leaves the mailbox only after its commit and a notice leaves the outbox only after
delivery. SIGTERM/SIGINT finish the mail in hand and end the loop with exit code 0.
"""

from __future__ import annotations

import contextlib
import logging
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
from inbox_worker.mail.source import MailSource
from inbox_worker.service.digest import digest_due, send_digest
from inbox_worker.service.mailbox_run import process_mailbox
from inbox_worker.service.report_mail import send_weekly_report
from inbox_worker.store.database import first_line

log = logging.getLogger("inbox_worker.worker")

# The longest single wait for new mail; notices due for a retry and time rules are looked
# at in between, so this bounds how late either can be.
MAX_WAIT_SECONDS = 30.0
RULES_EVERY_SECONDS = 60
BACKOFF_START = 1.0
BACKOFF_MAX = 120.0


class StopRequested(Exception):
    """Raised by the signal handler only while the worker is blocked waiting for mail."""


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


class Worker:
    def __init__(self, app: App, *, poll_interval: float,
                 progress: Callable[[int, float], None] | None = None) -> None:
        self.app = app
        self.poll_interval = poll_interval
        self.stop = threading.Event()
        self.progress = progress
        self._interruptible = False
        self.signal: int | None = None
        self._source: MailSource | None = None
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
        self.stop.set()
        self.signal = signum
        if self._interruptible:
            # Only a blocking wait is interrupted; work in hand always finishes.
            raise StopRequested

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> int:
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
                self._one_round()
                backoff.reset()
                self._wait_for_mail()
            except StopRequested:
                break
            except (MailboxError, StoreError) as exc:
                delay = backoff.next()
                log.warning("error=%r retry_in=%.0fs", str(exc), delay)
                self._drop_source()
                self._sleep(delay)
        self._drop_source()
        if self.signal is not None:
            log.info("signal=%s: stopped after the mail in hand", self.signal)
        log.info("stopped")
        return 0

    def _one_round(self) -> None:
        if self._source is None:
            self._source = self.app.open_source()
        started = time.monotonic()
        summary = process_mailbox(
            self._source, self.app.ingestor, self.app.clock, should_stop=self.stop.is_set,
            progress=self._report_progress(started),
            parse_pool=self.app.parse_pool_for_polls(),
            after_batch=self.app.send_due_notices, metrics=self.app.metrics,
        )
        if summary.total:
            log.info("pass mails=%d outcomes=%s seconds=%.2f", summary.total,
                     dict(summary.outcomes), time.monotonic() - started)
        if self.stop.is_set():
            return
        self.app.send_due_notices()
        self._scheduler.run_pending()

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

    def _wait_for_mail(self) -> None:
        if self.stop.is_set():
            return
        timeout = min(self.poll_interval, MAX_WAIT_SECONDS)
        idle_wait = getattr(self._source, "idle_wait", None)
        if idle_wait is None:
            self._sleep(timeout)
            return
        self._interruptible = True
        try:
            if self.stop.is_set():
                return
            idle_wait(MAX_WAIT_SECONDS)
        finally:
            self._interruptible = False

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _drop_source(self) -> None:
        if self._source is not None:
            try:
                self._source.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not stop us
                log.debug("closing the mailbox failed", exc_info=True)
            self._source = None


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
