"""Prometheus metrics of the worker ([metrics] listen; PRODUCT.md section 6b).

Counters and histograms are counted where the work happens (`mailbox_run` per mail,
`delivery` per send) in one `Metrics` per App, on a registry of its own: two Apps in one
process (the tests) never share a figure. The gauges (queue, outbox backlog, quarantine,
failed deliveries) are read from the database at scrape time by `DatabaseGauges`: they are
then right when the loop is stuck (when they matter most), cost nothing between scrapes,
and several workers on one database show the same figures (take the max, not the sum). A
database that does not answer makes `inbox_worker_database_up` 0; the scrape still works.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config_ops import MetricsSettings
from inbox_worker.errors import ConfigError
from inbox_worker.service.health import backlog
from inbox_worker.store.database import first_line

log = logging.getLogger("inbox_worker.metrics")

# Storing a mail takes milliseconds; a slow database or a huge mail, seconds.
MAIL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# One SMTP transaction: tens of milliseconds on a LAN, seconds to a slow relay.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The figures one worker counts itself, and the registry they are served from."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.mails = Counter("inbox_worker_mails_processed", "Mails processed, by outcome",
                             ["mailbox", "outcome"], registry=registry)
        self.mail_seconds = Histogram(
            "inbox_worker_mail_processing_seconds",
            "Seconds to parse and store one mail (its batch's time, shared by its mails)",
            buckets=MAIL_BUCKETS, registry=registry)
        self.sent = Counter("inbox_worker_notices_sent", "Notices sent, by kind",
                            ["kind"], registry=registry)
        self.failed = Counter("inbox_worker_notices_failed",
                              "Notices given up on (refused, or out of attempts), by kind",
                              ["kind"], registry=registry)
        self.retried = Counter("inbox_worker_notices_retried",
                               "Sends that failed for now and will be tried again, by kind",
                               ["kind"], registry=registry)
        self.send_seconds = Histogram(
            "inbox_worker_notice_delivery_seconds",
            "Seconds the SMTP server took to take one notice", buckets=SEND_BUCKETS,
            registry=registry)

    def mail_processed(self, mailbox: str, outcome: str, seconds: float) -> None:
        self.mails.labels(mailbox=mailbox, outcome=outcome).inc()
        self.mail_seconds.observe(seconds)

    def notice_delivered(self, kind: str, *, sent: int, failed: int, retried: int,
                         seconds: float) -> None:
        for counter, count in ((self.sent, sent), (self.failed, failed),
                               (self.retried, retried)):
            if count:
                counter.labels(kind=kind).inc(count)
        self.send_seconds.observe(seconds)


class DatabaseGauges(Collector):
    """What waits, read from the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("inbox_worker_database_up",
                               "1 when this scrape could read the database, else 0")
        try:
            with self.sessions() as session:
                figures = backlog(session)
        except SQLAlchemyError as exc:
            log.warning("metrics: database error=%r", first_line(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        oldest = figures.oldest_unsent_at
        for name, text, value in (
            ("queue_size", "Tickets in the technicians' queue (Open, Customer Reply)",
             figures.queue),
            ("outbox_backlog", "Mails waiting to be sent (pending or being sent)",
             figures.outbox_backlog),
            ("outbox_oldest_unsent_age_seconds",
             "Age of the oldest mail not sent yet (0: none waits)",
             (self.clock() - oldest).total_seconds() if oldest else 0.0),
            ("quarantined", "Mails put aside and held", figures.quarantined),
            ("failed_deliveries", "Mails given up on, until `outbox retry`",
             figures.failed_deliveries),
        ):
            yield GaugeMetricFamily(f"inbox_worker_{name}", text, value=value)


@contextlib.contextmanager
def serving_metrics(metrics: Metrics, settings: MetricsSettings,
                    sessions: sessionmaker[Session], clock: Callable[[], datetime]
                    ) -> Iterator[None]:
    """/metrics on ``settings.listen`` while the block runs (nothing when it is not set)."""
    if settings.listen is None:
        yield
        return
    host, port = settings.listen
    metrics.registry.register(DatabaseGauges(sessions, clock))
    try:
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        raise ConfigError(f"[metrics] listen = {settings.address!r}: cannot listen there: "
                          f"{exc.strerror or exc}") from exc
    log.info("metrics listen=%s path=/metrics", settings.address)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
