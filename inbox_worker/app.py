"""Composition root: builds the store, the mailbox source and the services from Settings.

Nothing is built at import time; the CLI and the tests call `build_app`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import MailboxSettings, Settings
from inbox_worker.errors import MailboxError, StoreError
from inbox_worker.mail.mailboxes import open_source
from inbox_worker.mail.smtp import MailSender, SendSession, make_sender
from inbox_worker.mail.source import MailSource
from inbox_worker.notices.render import NoticeRenderer
from inbox_worker.service.delivery import DeliverySummary, default_worker_id, deliver_due
from inbox_worker.service.ingest import Ingestor
from inbox_worker.service.mailbox_run import PassSummary, process_mailbox
from inbox_worker.service.metrics import Metrics
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.parse_pool import ParsePool
from inbox_worker.service.poll_status import record_poll
from inbox_worker.service.time_rules import RulesSummary, apply_time_rules
from inbox_worker.store.database import (
    first_line,
    make_engine,
    make_session_factory,
    upgrade_schema,
)

log = logging.getLogger("inbox_worker.app")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


DELIVERY_BATCH = 500
# How long the delivering thread of `poll_and_deliver` waits when nothing is due, unless a
# stored batch wakes it first (notices of other workers, or due again after a failure).
DELIVERY_PAUSE = 0.5


class _OpenSession:
    """A `MailSender` whose every session is one connection that is already open."""

    def __init__(self, session: SendSession) -> None:
        self._session = session

    @contextmanager
    def session(self) -> Iterator[SendSession]:
        yield self._session


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: NoticeRenderer
    outbox: Outbox
    ingestor: Ingestor
    clock: Clock
    parse_pool: ParsePool | None = None
    worker_id: str = field(default_factory=default_worker_id)
    metrics: Metrics = field(default_factory=Metrics)

    def open_source(self, mailbox: MailboxSettings | None = None) -> MailSource:
        """The source of ``mailbox`` (default: the first one read)."""
        return open_source(mailbox or self.settings.read_mailboxes[0])

    def mailbox_name(self, mailbox: MailboxSettings) -> str:
        """How logs and the health table name ``mailbox``: its address."""
        return mailbox.address or self.settings.support.address

    def poll_once(self, *, should_stop: Callable[[], bool] = lambda: False,
                  progress: Callable[[int], None] | None = None,
                  on_stored: Callable[[], object] | None = None) -> PassSummary:
        """One pass over each mailbox, one after the other. A mailbox that fails does not
        keep the others from their pass; its error is raised once they had it."""
        total = PassSummary()
        failed: MailboxError | None = None
        for mailbox in self.settings.read_mailboxes:
            if should_stop():
                break
            source = self.open_source(mailbox)
            try:
                total.outcomes += self.poll_mailbox(
                    mailbox, source, should_stop=should_stop, progress=progress,
                    on_stored=on_stored).outcomes
            except MailboxError as exc:
                failed = failed or exc
            finally:
                source.close()
        if failed is not None:
            raise failed
        return total

    def poll_mailbox(self, mailbox: MailboxSettings, source: MailSource, *,
                     should_stop: Callable[[], bool] = lambda: False,
                     progress: Callable[[int], None] | None = None,
                     on_stored: Callable[[], object] | None = None,
                     after_batch: Callable[[], object] | None = None) -> PassSummary:
        """One pass over ``mailbox`` (see `process_mailbox`), recorded for `health`: the
        one way `poll --once` and `run` read a mailbox."""
        name = self.mailbox_name(mailbox)
        try:
            summary = process_mailbox(
                source, self.ingestor, self.clock, should_stop=should_stop, progress=progress,
                parse_pool=self.parse_pool_for_polls(), on_stored=on_stored,
                metrics=self.metrics,
                after_batch=after_batch,
            )
        except MailboxError as exc:
            try:
                self._record_poll(name, str(exc))
            except StoreError:
                log.warning("recording the failed poll of %s failed too", name, exc_info=True)
            raise
        self._record_poll(name, None)
        return summary

    def _record_poll(self, mailbox: str, error: str | None) -> None:
        try:
            record_poll(self.sessions, mailbox, now=self.clock(), worker_id=self.worker_id,
                        error=error)
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {first_line(exc)}") from exc

    def parse_pool_for_polls(self) -> ParsePool:
        """One pool for the App's life (its child starts on the first backlog)."""
        if self.parse_pool is None:
            self.parse_pool = ParsePool(self.settings.parse_processes,
                                        self.settings.max_message_bytes)
        return self.parse_pool

    def send_due_notices(self, sender: MailSender | None = None) -> DeliverySummary:
        """Deliver every notice that is due now (in batches over one connection each)."""
        sender = sender or make_sender(self.settings.smtp)
        total = DeliverySummary()
        while True:
            batch = deliver_due(
                self.sessions, sender, now=self.clock(), worker_id=self.worker_id,
                envelope_from=self.settings.support.address, limit=DELIVERY_BATCH,
                metrics=self.metrics,
            )
            total += batch
            if batch.sent + batch.failed + batch.retried < DELIVERY_BATCH:
                return total

    def poll_and_deliver(
        self, *, should_stop: Callable[[], bool] = lambda: False,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[PassSummary, DeliverySummary]:
        """`poll_once`, while a second thread delivers the notices its batches queue (a
        backlog's acknowledgements go out as it is worked through, and waiting on the SMTP
        server overlaps with parsing and storing); then whatever is still due."""
        finished = threading.Event()
        # Set once a batch is stored (and its notices queued): the delivering thread looks
        # for due notices then, instead of asking the database every few milliseconds
        # (each asking is a write transaction the storing thread would wait for).
        stored = threading.Event()
        delivered: list[DeliverySummary] = []

        def deliver_meanwhile() -> None:
            total = DeliverySummary()
            try:
                with make_sender(self.settings.smtp).session() as connection:
                    sender = _OpenSession(connection)
                    while not finished.is_set():
                        stored.clear()
                        batch = self.send_due_notices(sender)
                        total += batch
                        if not (batch.sent or batch.failed or batch.retried):
                            stored.wait(DELIVERY_PAUSE)
            except Exception:  # noqa: BLE001 - the final delivery below tries again
                log.warning("delivery during the poll stopped", exc_info=True)
            delivered.append(total)

        thread = threading.Thread(target=deliver_meanwhile, name="deliver", daemon=True)
        thread.start()
        try:
            summary = self.poll_once(should_stop=should_stop, progress=progress,
                                     on_stored=stored.set)
        finally:
            finished.set()
            stored.set()
            thread.join()
        return summary, sum(delivered, DeliverySummary()) + self.send_due_notices()

    def apply_time_rules(self) -> RulesSummary:
        return apply_time_rules(self.sessions, self.settings, self.clock(), self.outbox)

    def close(self) -> None:
        if self.parse_pool is not None:
            self.parse_pool.close()
        self.engine.dispose()


def build_app(settings: Settings, *, clock: Clock = system_clock) -> App:
    engine = make_engine(settings.database.url)
    upgrade_schema(engine)
    sessions = make_session_factory(engine)
    renderer = NoticeRenderer(settings.templates_dir)
    outbox = Outbox(settings, renderer)
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        renderer=renderer,
        outbox=outbox,
        ingestor=Ingestor(settings, sessions, outbox),
        clock=clock,
    )
