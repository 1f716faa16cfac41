"""`inbox-worker health` on SQLite and PostgreSQL: the figures, the exit status, and a
database that does not answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from inbox_worker.app import App
from inbox_worker.cli import main
from inbox_worker.mail.source import FetchedMail
from inbox_worker.service.poll_status import record_poll
from inbox_worker.store.models import OutboxItem, WorkerRow
from tests.conftest import NOW
from tests.support.mails import make_mail

pytestmark = pytest.mark.integration


def health(capsys: pytest.CaptureFixture[str], config: Path, *args: str,
           at: timedelta = timedelta(0)) -> tuple[int, str]:
    now = (NOW + at).isoformat()
    code = main(["--config", str(config), "--now", now, "health", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def config_for(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "health.toml"
    path.write_text(f'[database]\nurl = "{url}"\n')
    return path


def test_health_reports_the_figures_and_a_stale_or_failed_poll(
    make_app: Callable[..., App], database_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app()
    for number in range(3):  # three tickets
        raw = make_mail(sender=f"c{number}@customer.test", subject=f"Help {number}")
        app.ingestor.process(FetchedMail(key=f"maildir:{number}", raw=raw), NOW)
    app.ingestor.process(FetchedMail(key="maildir:big", raw=make_mail()[:300],
                                     oversized=10**9), NOW)
    with app.sessions.begin() as session:
        # Acknowledgements and alerts: one failed, one left to send, the others sent.
        ids = sorted(session.scalars(select(OutboxItem.id)))
        session.execute(update(OutboxItem).where(OutboxItem.id == ids[0])
                        .values(state="failed"))
        session.execute(update(OutboxItem).where(OutboxItem.id.in_(ids[1:-1]))
                        .values(state="sent"))
        session.add(WorkerRow(id="mx1:42", host="mx1", pid=42, started_at=NOW,
                              heartbeat_at=NOW))
    record_poll(app.sessions, "INBOX", now=NOW, worker_id="mx1:42")
    config = config_for(tmp_path, database_url)

    code, out = health(capsys, config, "--json", at=timedelta(minutes=1))
    data = json.loads(out)
    assert code == 0, data["problems"]
    assert data["healthy"] is True and data["database"] == "ok"
    assert data["last_poll_at"] == "2026-11-02T09:00:00Z"
    assert data["mailboxes"][0]["mailbox"] == "INBOX"
    assert data["mailboxes"][0]["status"] == "ok"
    assert (data["outbox_backlog"], data["quarantined"], data["failed_deliveries"],
            data["queue"]) == (1, 1, 1, 3)
    assert data["oldest_unsent_at"] == "2026-11-02T09:00:00Z"
    assert data["oldest_unsent_age_seconds"] == 60
    assert data["live_workers"] == 1 and data["workers"][0]["id"] == "mx1:42"

    code, out = health(capsys, config, at=timedelta(minutes=1))
    assert code == 0
    assert out.splitlines()[:3] == [
        "health: ok", "database: ok",
        "mailbox INBOX: ok, last successful poll 2026-11-02T09:00:00Z (60 s ago)"]
    assert "outbox: 1 to send" in out and "quarantine: 1 held" in out

    code, out = health(capsys, config, "--json", at=timedelta(minutes=10))
    data = json.loads(out)
    assert code == 1 and data["mailboxes"][0]["status"] == "stale"
    assert data["live_workers"] == 0  # its heartbeat is as old
    code, out = health(capsys, config, "--json", "--stale-after", "900",
                       at=timedelta(minutes=10))
    assert code == 0

    record_poll(app.sessions, "INBOX", now=NOW + timedelta(minutes=2), worker_id="mx1:42",
                error="IMAP login failed")
    code, out = health(capsys, config, at=timedelta(minutes=3))
    assert code == 1
    assert "problem: mailbox INBOX: last poll failed: IMAP login failed" in out


def test_health_with_no_poll_recorded_fails(make_app: Callable[..., App], database_url: str,
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    make_app()
    code, out = health(capsys, config_for(tmp_path, database_url), "--json")
    assert code == 1 and json.loads(out)["last_poll_at"] is None


@pytest.mark.parametrize("kind", ["postgresql", "sqlite-garbage", "sqlite-missing"])
def test_a_database_that_does_not_answer(tmp_path: Path, postgres_url: str, kind: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "postgresql":
        url = postgres_url.rsplit("/", 1)[0] + "/iw_no_such_database"
        reason = "iw_no_such_database"
    elif kind == "sqlite-garbage":
        (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
        url, reason = f"sqlite:///{tmp_path / 'garbage.db'}", "not a database"
    else:
        url, reason = f"sqlite:///{tmp_path / 'none.db'}", "no database file"
    config = config_for(tmp_path, url)
    code, out = health(capsys, config, "--json")
    data = json.loads(out)
    assert code == 1
    assert data["database"] == "error" and reason in data["database_error"]
    assert data["outbox_backlog"] is None
    code, out = health(capsys, config)
    assert code == 1 and out.startswith("health: FAILING\ndatabase: error: ")
    assert not (tmp_path / "none.db").exists()
