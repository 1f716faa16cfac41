"""The one way the service asks for a notice: `Notifier`, bound to the settings and templates.

It only writes to the outbox, in the caller's transaction (see `service.outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.notices.render import NoticeRenderer
from inbox_worker.service.outbox import Conversation, RecentNotices, enqueue_notice
from inbox_worker.store.models import Ticket
from inbox_worker.store.new_rows import NewMessage


@dataclass
class Notifier:
    settings: Settings
    renderer: NoticeRenderer

    def __call__(
        self,
        session: Session,
        ticket: Ticket,
        kind: str,
        now: datetime,
        *,
        text: str = "",
        reason: str | None = None,
        recipient: str | None = None,
        suppress: str | None = None,
        thread: Conversation | None = None,
        recent: RecentNotices | None = None,
    ) -> NewMessage | None:
        return enqueue_notice(
            session,
            ticket=ticket,
            kind=kind,
            settings=self.settings,
            renderer=self.renderer,
            now=now,
            text=text,
            reason=reason,
            recipient=recipient,
            rate_limit_per_hour=self.settings.notices.rate_limit_per_hour,
            acknowledgements_per_hour=self.settings.notices.acknowledgements_per_hour,
            suppress=suppress,
            thread=thread,
            recent=recent,
        )
