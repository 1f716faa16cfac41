"""Work through what a source holds now: ingest each mail, then take it off the to-do list.

The order is the guarantee: the database commit (inside `Ingestor.process`) comes first,
the move or flag on the source second. A crash between the two leaves the mail in the
source, and the processed-key record makes the next pass take it off without a second entry.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from inbox_worker.mail.source import MailSource
from inbox_worker.service.ingest import Ingestor

log = logging.getLogger("inbox_worker.mailbox")

PROGRESS_EVERY = 100


@dataclass
class PassSummary:
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


def process_mailbox(
    source: MailSource,
    ingestor: Ingestor,
    clock: Callable[[], datetime],
    *,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int], None] | None = None,
) -> PassSummary:
    """One pass over the source. ``progress`` hears the count every PROGRESS_EVERY mails."""
    summary = PassSummary()
    for fetched in source.fetch():
        result = ingestor.process(fetched, clock())
        if result.quarantined:
            source.quarantine(fetched)
        else:
            source.mark_done(fetched)
        summary.outcomes[result.outcome] += 1
        log.info(
            "mail key=%s outcome=%s ticket=%s message_id=%s %s",
            fetched.key, result.outcome, result.ticket_ref or "-",
            result.message_key or "-", result.detail,
        )
        if progress is not None and summary.total % PROGRESS_EVERY == 0:
            progress(summary.total)
        if should_stop():
            break
    return summary
