"""Composition root: builds the store, the mailbox source and the services from Settings.

Nothing is built at import time; the CLI and the tests call `build_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.mail.maildir import MaildirSource
from inbox_worker.mail.source import MailSource
from inbox_worker.service.ingest import Ingestor
from inbox_worker.service.mailbox_run import PassSummary, process_mailbox
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ingestor: Ingestor
    clock: Clock

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

    def close(self) -> None:
        self.engine.dispose()


def build_app(settings: Settings, *, clock: Clock = system_clock) -> App:
    engine = make_engine(settings.database.url)
    upgrade_schema(engine)
    sessions = make_session_factory(engine)
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        ingestor=Ingestor(settings, sessions),
        clock=clock,
    )
