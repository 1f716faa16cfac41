"""Composition root: builds the store, the mailbox source and the services from Settings.

Nothing is built at import time; the CLI and the tests call `build_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.mail.maildir import MaildirSource
from inbox_worker.mail.smtp import make_sender
from inbox_worker.mail.source import MailSource
from inbox_worker.notices.render import NoticeRenderer
from inbox_worker.service.ingest import Ingestor
from inbox_worker.service.mailbox_run import PassSummary, process_mailbox
from inbox_worker.service.notify import Notifier
from inbox_worker.service.outbox import DeliverySummary, default_worker_id, deliver_due
from inbox_worker.service.time_rules import RulesSummary, apply_time_rules
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


DELIVERY_BATCH = 500


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: NoticeRenderer
    notifier: Notifier
    ingestor: Ingestor
    clock: Clock
    worker_id: str = field(default_factory=default_worker_id)

    def open_source(self) -> MailSource:
        mailbox = self.settings.mailbox
        if mailbox.kind == "imap":
            from inbox_worker.mail.imap import ImapSource

            return ImapSource(mailbox)
        return MaildirSource(
            mailbox.path,
            processed_folder=mailbox.processed_folder,
            quarantine_folder=mailbox.quarantine_folder,
        )

    def poll_once(self, *, should_stop: Callable[[], bool] = lambda: False) -> PassSummary:
        source = self.open_source()
        try:
            return process_mailbox(source, self.ingestor, self.clock, should_stop=should_stop)
        finally:
            source.close()

    def send_due_notices(self) -> DeliverySummary:
        """Deliver every notice that is due now (in batches over one connection each)."""
        sender = make_sender(self.settings.smtp)
        total = DeliverySummary()
        while True:
            batch = deliver_due(
                self.sessions, sender, now=self.clock(), worker_id=self.worker_id,
                envelope_from=self.settings.support.address, limit=DELIVERY_BATCH,
            )
            total += batch
            if batch.sent + batch.failed + batch.retried < DELIVERY_BATCH:
                return total

    def apply_time_rules(self) -> RulesSummary:
        return apply_time_rules(self.sessions, self.settings, self.clock(), self.notifier)

    def close(self) -> None:
        self.engine.dispose()


def build_app(settings: Settings, *, clock: Clock = system_clock) -> App:
    engine = make_engine(settings.database.url)
    upgrade_schema(engine)
    sessions = make_session_factory(engine)
    renderer = NoticeRenderer(settings.templates_dir)
    notifier = Notifier(settings, renderer)
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        renderer=renderer,
        notifier=notifier,
        ingestor=Ingestor(settings, sessions, notifier),
        clock=clock,
    )
