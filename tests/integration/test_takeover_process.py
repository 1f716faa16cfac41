"""kill -9 of a real `inbox-worker run` in the middle of sending; the workers started
after it send the notices it had claimed at once, not when its 5-minute lease runs out,
each notice once but the one the SMTP server was accepting at the kill."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_worker.app import App
from inbox_worker.config import TechnicianSettings
from inbox_worker.service.heartbeat import local_host
from inbox_worker.store.models import Message, OutboxItem, WorkerRow
from tests.integration.test_takeover import queue_acknowledgements
from tests.integration.test_worker_process import wait_for
from tests.support.configs import REPO, SCRIPT
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

NOTICES = 300
# Seconds the SMTP server takes over each mail: the kill lands while the worker is sending
# the chunk (100 notices) it claimed.
ACCEPT_DELAY = 0.005


def run_config(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Path:
    maildir = tmp_path / "mail"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    config = tmp_path / "run.toml"
    config.write_text(f'[support]\naddress = "support@example.com"\n'
                      f'[database]\nurl = "{database_url}"\n'
                      f'[mailbox]\nurl = "maildir:{maildir}"\n'
                      f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
                      f'[templates]\ndir = "{REPO / "templates"}"\n')
    return config


def start_run(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([str(SCRIPT), "--config", str(config), "run"],
                                env={"PATH": "/usr/bin:/bin"}, stdout=output,
                                stderr=subprocess.STDOUT)


def claimed_by_process(app: App, pid: int) -> set[str]:
    """Message-IDs of the rows `pid` of this host holds in `sending`."""
    with app.sessions() as session:
        return set(session.scalars(
            select(Message.message_id).join(OutboxItem, OutboxItem.message_pk == Message.id)
            .where(OutboxItem.state == "sending",
                   OutboxItem.claimed_by.startswith(f"{local_host()}:{pid}:"))))


def registered(app: App) -> int:
    with app.sessions() as session:
        return len(list(session.scalars(select(WorkerRow.id))))


def test_a_killed_workers_claimed_notices_go_at_once_after_a_restart(
    tmp_path: Path, database_url: str, make_app: Callable[..., App], smtp_server: SmtpServer,
) -> None:
    # Queued now (not at the tests' fixed moment): no response target is missed, so the
    # workers' time rules have nothing to do.
    app = make_app(datetime.now(UTC), technicians=TechnicianSettings())
    queue_acknowledgements(app, "k", NOTICES)
    with app.sessions() as session:
        expected = set(session.scalars(select(Message.message_id)
                                       .where(Message.direction == "out")))
    assert len(expected) == NOTICES
    config = run_config(tmp_path, database_url, smtp_server)
    smtp_server.handler.accept_delay = ACCEPT_DELAY

    first = start_run(config, tmp_path / "first.log")
    try:
        wait_for(lambda: len(smtp_server.received) >= 40, 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()  # reaped: its pid is gone
    held = claimed_by_process(app, first.pid)
    assert len(held) > 10, "the kill must land mid-send, with claimed rows left"

    # Two at once on PostgreSQL, where several workers share the outbox.
    after = (1, 2) if database_url.startswith("postgresql") else (1,)
    workers = [start_run(config, tmp_path / f"after{k}.log") for k in after]
    try:
        def received() -> set[str]:
            return {i.strip("<>") for i in smtp_server.message_ids()}

        # Starting a process is most of it: seconds on a loaded machine.
        started = wait_for(lambda: registered(app) > 1, 60)
        held_seconds = started + wait_for(lambda: held <= received(), 60)
        all_seconds = wait_for(lambda: expected <= received(), 60)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [worker.wait(timeout=30) for worker in workers] == [0] * len(workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    print(f"\n{database_url.split(':')[0]}: {len(held)} claimed notices of the killed worker "
          f"sent {held_seconds:.1f}s after the restart ({held_seconds - started:.1f}s after "
          f"the new worker registered), all {NOTICES} after {held_seconds + all_seconds:.1f}s")

    counts = Counter(i.strip("<>") for i in smtp_server.message_ids())
    assert set(counts) == expected
    # At most the one the server was accepting when the kill came goes twice.
    assert sum(c - 1 for c in counts.values()) <= 1, counts.most_common(3)
    assert held_seconds < 60, "far sooner than the 5-minute lease"
    with app.sessions() as session:
        assert set(session.scalars(select(OutboxItem.state))) == {"sent"}
        stopped = {row.pid: row.stopped_at for row in session.scalars(select(WorkerRow))}
    assert stopped[first.pid] is None
    assert all(stopped[worker.pid] is not None for worker in workers)
    logs = "".join((tmp_path / f"after{k}.log").read_text() for k in after)
    assert "Traceback" not in logs
    assert " reason=no_process " in logs and f":{first.pid}:" in logs
