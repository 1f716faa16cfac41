"""Every real-world mail of ../shared/corpus goes through `ingest` and ends as a ticket entry
or a quarantine record with a reason: no traceback, no hang, readable text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_worker.app import App
from inbox_worker.mail.maildir import RawSource
from inbox_worker.store.models import Message, ProcessedMail, QuarantinedMail

pytestmark = pytest.mark.integration

SKIP_FILES = {"README.md", "MANIFEST.tsv"}


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name not in SKIP_FILES)


def test_every_corpus_mail_is_a_ticket_entry_or_quarantined(
    make_app: Callable[..., App], corpus_dir: Path
) -> None:
    files = corpus_files(corpus_dir)
    assert len(files) >= 231
    app = make_app()
    outcomes: dict[Path, str] = {}
    for file, fetched in zip(files, RawSource(files).fetch(), strict=True):
        result = app.ingestor.process(fetched, app.clock())
        outcomes[file] = result.outcome
        assert result.outcome in {"created", "threaded", "quarantined", "duplicate",
                                  "already-processed"}, (file, result)
    with app.sessions() as session:
        processed = {p.source_key: p for p in session.scalars(select(ProcessedMail))}
        messages = {m.message_id: m for m in session.scalars(select(Message))}
        quarantined = list(session.scalars(select(QuarantinedMail)))
    # Identical files share a key: every distinct file has a record.
    assert len(processed) == len({RawSource.fetched_from(f.read_bytes(), "x").key for f in files})
    for record in processed.values():
        if record.outcome == "quarantined":
            continue
        assert record.message_key in messages, record.message_key
    assert all(q.reason for q in quarantined)
    assert outcomes[corpus_dir / "mail-parser" / "mail_outlook_1"] == "quarantined"
    for message in messages.values():
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "\ufffd" * 3 not in message.subject, message.subject
        message.text.encode("utf-8")  # no lone surrogates
        message.full_text.encode("utf-8")
    created = sum(1 for o in outcomes.values() if o in ("created", "threaded"))
    assert created > 120, outcomes
