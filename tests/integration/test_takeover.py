"""A dead sender's claimed notices go out at once; a live one keeps its own.

Each claimant below claims some acknowledgements under the 5-minute lease, then another
worker delivers while every lease still holds: it sends exactly the rows of the claimants
it can tell are dead (`service.liveness`), on SQLite and PostgreSQL, against a real SMTP
server. The whole story with real processes (kill -9 mid-send, restart) is in
`test_takeover_process.py`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from inbox_worker.app import App
from inbox_worker.config import SmtpSettings, TechnicianSettings
from inbox_worker.mail.smtp import make_sender
from inbox_worker.mail.source import FetchedMail
from inbox_worker.service.delivery import LEASE, DeliverySummary, deliver_due
from inbox_worker.service.heartbeat import (
    Heartbeat,
    ProcessIdentity,
    claimant_identity,
    database_now,
    local_host,
    this_process,
)
from inbox_worker.store.models import OutboxItem, WorkerRow
from tests.conftest import NOW
from tests.integration.test_worker_process import wait_for
from tests.support.mails import make_mail
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

OTHER_HOST = "elsewhere.test/0badc0de.4026531836"
STALE = timedelta(minutes=2)


@pytest.fixture
def app(make_app: Callable[..., App], smtp_server: SmtpServer) -> App:
    smtp = SmtpSettings(kind="smtp", host=smtp_server.host, port=smtp_server.port, timeout=10)
    # No technicians: one acknowledgement per mail, no alerts.
    return make_app(NOW, smtp=smtp, technicians=TechnicianSettings())


@pytest.fixture
def live_pid() -> Iterator[Callable[[], int]]:
    """Live processes of this host that are not workers: pids that are taken."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> int:
        processes.append(subprocess.Popen(["sleep", "120"]))
        return processes[-1].pid

    yield start
    for process in processes:
        process.kill()
        process.wait()


def gone_pid() -> int:
    """A pid of this host whose process has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def queue_acknowledgements(app: App, prefix: str, n: int) -> None:
    """`n` new tickets, each with its acknowledgement due."""
    raws = [make_mail(sender=f"{prefix}{i}@customer.test", subject=f"Case {i}")
            for i in range(n)]
    results = app.ingestor.process_batch(
        [FetchedMail(f"test:{prefix}:{i}", raw) for i, raw in enumerate(raws)], app.clock())
    assert [r.outcome for r in results] == ["created"] * n


def register(app: App, who: ProcessIdentity, *, silent: timedelta = timedelta(0),
             started: timedelta = timedelta(minutes=10), stopped: bool = False) -> None:
    """A `workers` row for `who`, as its own heartbeat would have written it."""
    with app.sessions.begin() as session:
        now = database_now(session)
        session.merge(WorkerRow(id=who.id, host=who.host, pid=who.pid,
                                started_at=now - started, heartbeat_at=now - silent,
                                stopped_at=now if stopped else None))


def claim_as(app: App, prefix: str, claimed_by: str) -> None:
    """Mark the acknowledgements to `prefix`... claimed, as `claim_due` in that claimant
    would have (here: without taking anything over on the way)."""
    with app.sessions.begin() as session:
        claimed = session.execute(
            update(OutboxItem).where(OutboxItem.recipient.like(f"{prefix}_@customer.test"))
            .values(state="sending", claimed_by=claimed_by, claimed_until=NOW + LEASE)
        ).rowcount
    assert claimed == 2, prefix


def recipients_sent(smtp_server: SmtpServer) -> Counter[str]:
    return Counter(r.rcpt_tos[0].split("@")[0].rstrip("0123456789")
                   for r in smtp_server.received)


def test_the_rows_of_dead_claimants_go_at_once_and_live_ones_keep_theirs(
    app: App, smtp_server: SmtpServer, live_pid: Callable[[], int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    here = local_host()
    me = this_process()
    dead_pid = gone_pid()
    slow_pid, silent_pid, stopped_pid, reused_pid = (live_pid() for _ in range(4))
    cases: list[tuple[str, str, str | None, str | None]] = [
        # (name, claimed_by, how it is registered, why dead; None: alive, rows kept)
        ("gone", f"{here}:{dead_pid}:aaaa0001:7", "fresh", "no_process"),
        ("goneunreg", f"{here}:{dead_pid}:aaaa0002:7", None, "no_process"),
        ("slow", f"{here}:{slow_pid}:aaaa0003:7", "fresh", None),
        # On this host the pid decides: a beat held up behind a long write is not death.
        ("slowsilent", f"{here}:{silent_pid}:aaaa0011:7", "stale", None),
        # Its order against the newer worker on its pid below is unknown: kept.
        ("slowunreg", f"{here}:{reused_pid}:aaaa0004:7", None, None),
        ("myself", f"{me.id}:99", None, None),
        ("ourpid", f"{here}:{me.pid}:aaaa0005:7", "fresh", "pid_reused"),
        ("reused", f"{here}:{reused_pid}:aaaa0006:7", "fresh", "pid_reused"),
        ("stopped", f"{here}:{stopped_pid}:aaaa0007:7", "stopped", "stopped"),
        ("farstale", f"{OTHER_HOST}:4242:aaaa0008:7", "stale", "heartbeat_stale"),
        ("farfresh", f"{OTHER_HOST}:4243:aaaa0009:7", "fresh", None),
        ("farunreg", f"{OTHER_HOST}:4244:aaaa0010:7", None, None),
        ("oldform", "crashed", None, None),
    ]
    for name, claimed_by, registration, _ in cases:
        queue_acknowledgements(app, name, 2)
        who = claimant_identity(claimed_by)
        if registration is not None:
            assert who is not None
            register(app, who, silent=STALE if registration == "stale" else timedelta(0),
                     stopped=registration == "stopped")
        claim_as(app, name, claimed_by)
    # The pid of "reused" went to a worker registered after it.
    register(app, ProcessIdentity(here, reused_pid, "bbbb0001"), started=timedelta(minutes=1))

    with caplog.at_level(logging.WARNING, logger="inbox_worker.outbox"):
        summary = app.send_due_notices()  # at NOW: every lease still holds
    dead = {name: why for name, _, _, why in cases if why}
    assert summary == DeliverySummary(sent=2 * len(dead))
    assert recipients_sent(smtp_server) == dict.fromkeys(dead, 2)
    takeovers = [r.getMessage() for r in caplog.records if "taken over" in r.getMessage()]
    assert len(takeovers) == len(dead)
    for name, claimed_by, _, why in cases:
        worker = claimed_by.rsplit(":", 1)[0]
        lines = [line for line in takeovers if f" from={worker} " in line]
        assert len(lines) == (1 if why else 0), name
        if why:
            assert "count=2 " in lines[0] and f" reason={why} " in lines[0], lines

    # The live claimants' rows wait for their lease, as before.
    later = NOW + timedelta(minutes=6)
    summary = deliver_due(app.sessions, make_sender(app.settings.smtp), now=later,
                          worker_id="w2", envelope_from="support@example.com")
    assert summary.sent == 2 * (len(cases) - len(dead))
    assert len(smtp_server.received) == 2 * len(cases)



def test_two_workers_take_a_dead_claimants_rows_over_once_each(
    app: App, smtp_server: SmtpServer, database_url: str,
) -> None:
    n = 80
    queue_acknowledgements(app, "c", n)
    dead = f"{local_host()}:{gone_pid()}:dead0001:7"
    with app.sessions.begin() as session:
        session.execute(update(OutboxItem).values(
            state="sending", claimed_by=dead, claimed_until=NOW + LEASE))
    barrier = threading.Barrier(2)

    def work(worker: str) -> int:
        barrier.wait()
        sender = make_sender(app.settings.smtp)
        total = 0
        while sent := deliver_due(app.sessions, sender, now=NOW, worker_id=worker, chunk=5,
                                  envelope_from="support@example.com").sent:
            total += sent
        return total

    me = this_process().id
    with ThreadPoolExecutor(2) as pool:
        totals = list(pool.map(work, [f"{me}:1", f"{me}:2"], timeout=120))
    assert sum(totals) == n
    ids = smtp_server.message_ids()
    assert len(ids) == n and len(set(ids)) == n
    if database_url.startswith("postgresql"):
        assert all(totals), totals  # both took their share, side by side


def test_a_worker_beats_while_it_runs_and_records_its_stop(app: App) -> None:
    def row() -> WorkerRow:
        with app.sessions() as session:
            found = session.get(WorkerRow, this_process().id)
            assert found is not None
            return found

    with Heartbeat(app.sessions, every=0.05):
        first = row()
        assert (first.host, first.pid, first.stopped_at) == (local_host(), os.getpid(), None)
        wait_for(lambda: row().heartbeat_at > first.heartbeat_at, 10)
    assert row().stopped_at is not None
    assert app.worker_id.startswith(f"{this_process().id}:")
