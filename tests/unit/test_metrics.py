"""The metrics: one registry per App, counted per mail and per send; the database's gauges
read at scrape time, and a database that fails does not fail the scrape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from inbox_worker.service.metrics import DatabaseGauges, Metrics

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.mail_processed("INBOX", "created", 0.01)
    first.notice_delivered("acknowledgement", sent=1, failed=0, retried=0, seconds=0.02)
    second.notice_delivered("answer", sent=0, failed=1, retried=0, seconds=0.5)
    get = first.registry.get_sample_value
    assert get("inbox_worker_mails_processed_total",
               {"mailbox": "INBOX", "outcome": "created"}) == 1
    assert get("inbox_worker_mail_processing_seconds_count") == 1
    assert get("inbox_worker_notices_sent_total", {"kind": "acknowledgement"}) == 1
    assert get("inbox_worker_notices_failed_total", {"kind": "answer"}) is None
    assert second.registry.get_sample_value("inbox_worker_notices_failed_total",
                                            {"kind": "answer"}) == 1
    assert second.registry.get_sample_value("inbox_worker_mails_processed_total",
                                            {"mailbox": "INBOX", "outcome": "created"}) is None


def test_a_database_that_fails_makes_database_up_zero(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    metrics = Metrics()
    engine = create_engine(f"sqlite:///{broken}")
    metrics.registry.register(DatabaseGauges(sessionmaker(engine), lambda: NOW))
    text = generate_latest(metrics.registry).decode()
    engine.dispose()
    assert "inbox_worker_database_up 0.0" in text
    assert "inbox_worker_outbox_backlog" not in text
    assert "inbox_worker_mails_processed" in text  # the rest is still there
