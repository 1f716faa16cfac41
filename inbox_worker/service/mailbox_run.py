"""Work through what a source holds now: ingest the mails, then take them off the to-do list.

The order is the guarantee: the database commit (inside `Ingestor.process_batch`) comes
first, the move or flag on the source second. A crash between the two leaves the mail in the
source, and the processed-key record makes the next pass take it off without a second entry.
The moves of a few batches go in one command (see MOVE_MAILS); an error that ends a pass
leaves its stored mails to the next pass in the same way.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from inbox_worker.mail.source import FetchedMail, MailSource
from inbox_worker.service.ingest import Ingestor, IngestResult
from inbox_worker.service.metrics import Metrics
from inbox_worker.service.parse_pool import ParseJob, ParsePool

log = logging.getLogger("inbox_worker.mailbox")

PROGRESS_EVERY = 100
# Mails stored per transaction (see `Ingestor.process_batch`), and the bytes a batch may
# hold in memory; a source fetches in batches of its own.
BATCH_MAILS = 50
BATCH_BYTES = 32 * 1024 * 1024
# Stored mails taken off the to-do list per command, at most: Dovecot's MOVE costs about
# 8 ms however few mails it names, then 0.05 ms a mail, so a backlog's batches are moved
# four at a time (and the rest at the end of the pass).
MOVE_MAILS = 200


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
    batch_size: int = BATCH_MAILS,
    parse_pool: ParsePool | None = None,
    after_batch: Callable[[], object] | None = None,
    on_stored: Callable[[], object] | None = None,
    metrics: Metrics | None = None,
) -> PassSummary:
    """One pass over the source, ``batch_size`` mails per transaction. With a
    ``parse_pool``, the next batch is parsed while this one is stored. ``after_batch`` runs
    once each batch is stored (the worker delivers the notices it queued, so that a
    backlog's first customers hear back before its last mail is read).
    ``progress`` hears the count every PROGRESS_EVERY mails; ``should_stop`` is asked after
    each batch (a batch fetched but not yet stored then stays in the source).
    ``on_stored`` runs as soon as a batch is committed, before its mails leave the to-do
    list (a delivering thread can start on its notices during the IMAP move).
    ``metrics`` counts each mail's outcome."""
    pool = parse_pool or ParsePool(0, ingestor.settings.max_message_bytes)
    summary = PassSummary()
    pending: tuple[list[FetchedMail], ParseJob] | None = None
    stored = _StoredMails(source)
    for batch in _batches(source.fetch(), batch_size):
        # Only a backlog (a second batch) is worth a child process: a few new mails are
        # parsed here, without waiting for one to start. A full first batch announces a
        # backlog: the child starts now, while this batch is parsed and stored here.
        if pending is None:
            if len(batch) >= batch_size:
                pool.warm()
            job = pool.start_here(batch)
        else:
            job = pool.start(batch)
        if pending is not None:
            _settle(source, ingestor, clock, *pending, summary, progress, on_stored, stored,
                    metrics)
            if should_stop():
                stored.take_off()
                return summary
            if after_batch is not None:
                after_batch()
        pending = (batch, job)
    if pending is not None:
        _settle(source, ingestor, clock, *pending, summary, progress, on_stored, stored,
                metrics)
        stored.take_off()
        if after_batch is not None and not should_stop():
            after_batch()
    return summary


class _StoredMails:
    """Committed mails waiting to leave the source's to-do list, MOVE_MAILS at a time."""

    def __init__(self, source: MailSource) -> None:
        self.source = source
        self._mails: list[FetchedMail] = []

    def add(self, mails: list[FetchedMail]) -> None:
        # Only the key and the folder are needed to move a mail: its bytes can go.
        self._mails.extend(replace(mail, raw=b"") for mail in mails)
        if len(self._mails) >= MOVE_MAILS:
            self.take_off()

    def take_off(self) -> None:
        mails, self._mails = self._mails, []
        if mails:
            self.source.mark_done_batch(mails)


def _settle(
    source: MailSource, ingestor: Ingestor, clock: Callable[[], datetime],
    batch: list[FetchedMail], job: ParseJob, summary: PassSummary,
    progress: Callable[[int], None] | None, on_stored: Callable[[], object] | None,
    stored: _StoredMails, metrics: Metrics | None,
) -> None:
    """Store one parsed batch, then take its mails off the source's to-do list (the
    quarantined ones now, the others with the next MOVE_MAILS, see `_StoredMails`)."""
    started = time.monotonic()
    results = ingestor.store_parsed(job(), clock())
    seconds = (time.monotonic() - started) / max(len(batch), 1)
    if on_stored is not None:
        on_stored()
    stored.add([m for m, r in zip(batch, results, strict=True) if not r.quarantined])
    refused = [m for m, r in zip(batch, results, strict=True) if r.quarantined]
    if refused:
        source.quarantine_batch(refused)
    before = summary.total
    for fetched, result in zip(batch, results, strict=True):
        summary.outcomes[result.outcome] += 1
        if metrics is not None:
            metrics.mail_processed(fetched.mailbox, result.outcome, seconds)
        log.info(
            "mail key=%s outcome=%s ticket=%s message_id=%s %s",
            fetched.key, result.outcome, result.ticket_ref or "-",
            result.message_key or "-", result.detail, extra=_fields(fetched, result),
        )
    if progress is not None and summary.total // PROGRESS_EVERY > before // PROGRESS_EVERY:
        progress(summary.total)


def _fields(fetched: FetchedMail, result: IngestResult) -> dict[str, object]:
    """The mail's line as fields for JSON logs (its text cuts values at a space)."""
    uid = fetched.key.rsplit(":", 1)[-1] if fetched.key.startswith("imap:") else None
    return {"mailbox": fetched.mailbox, "uid": uid, "outcome": result.outcome,
            "ticket": result.ticket_ref, "message_id": result.message_key,
            "detail": result.detail}


def _batches(mails: Iterable[FetchedMail], size: int) -> Iterator[list[FetchedMail]]:
    """Up to ``size`` mails, and at most BATCH_BYTES of them unless one alone is larger."""
    batch: list[FetchedMail] = []
    held = 0
    for mail in mails:
        if batch and (len(batch) >= size or held + len(mail.raw) > BATCH_BYTES):
            yield batch
            batch, held = [], 0
        batch.append(mail)
        held += len(mail.raw)
    if batch:
        yield batch
