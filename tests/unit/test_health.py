"""What `health` makes of the mailboxes' polls, and its JSON's stable keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox_worker.cli_health import health_json, health_text
from inbox_worker.service.health import (
    Health,
    mailbox_health,
    stale_after,
    with_connect_timeout,
)
from inbox_worker.service.poll_status import PollState

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
STALE = timedelta(minutes=3)
KEYS = {"healthy", "checked_at", "database", "database_error", "stale_after_seconds",
        "last_poll_at", "mailboxes", "outbox_backlog", "oldest_unsent_at",
        "oldest_unsent_age_seconds", "quarantined", "failed_deliveries", "queue",
        "live_workers", "workers", "problems"}


def poll(ok: timedelta | None, error: timedelta | None = None, name: str = "INBOX"
         ) -> PollState:
    return PollState(name, NOW - min(x for x in (ok, error) if x is not None),
                     NOW - ok if ok is not None else None,
                     "IMAP login failed" if error is not None else None,
                     NOW - error if error is not None else None, "host:1")


@pytest.mark.parametrize(("state", "status"), [
    (poll(ok=timedelta(seconds=20)), "ok"),
    (poll(ok=STALE), "ok"),
    (poll(ok=STALE + timedelta(seconds=1)), "stale"),
    (poll(ok=timedelta(seconds=20), error=timedelta(seconds=50)), "ok"),  # failed, then well
    (poll(ok=timedelta(seconds=50), error=timedelta(seconds=20)), "failing"),
    (poll(ok=None, error=timedelta(seconds=20)), "failing"),
])
def test_a_mailbox_is_well_when_its_last_poll_succeeded_recently(state: PollState,
                                                                 status: str) -> None:
    found = mailbox_health(state, NOW, STALE)
    assert found.status == status
    assert (found.problem is None) == (status == "ok")


def test_the_threshold_follows_the_worker_round() -> None:
    # Rounds are at most 30 s apart (IDLE is renewed that often), sooner with a shorter
    # interval: three of them and two minutes' grace.
    assert stale_after(30, 30) == timedelta(seconds=210)
    assert stale_after(300, 30) == timedelta(seconds=210)
    assert stale_after(5, 30) == timedelta(seconds=135)


def test_health_hangs_on_every_mailbox_and_the_least_recent_poll() -> None:
    well = mailbox_health(poll(ok=timedelta(seconds=10)), NOW, STALE)
    late = mailbox_health(poll(ok=timedelta(hours=1), name="billing"), NOW, STALE)
    assert Health(NOW, STALE, mailboxes=[well]).healthy
    both = Health(NOW, STALE, mailboxes=[well, late])
    assert not both.healthy and both.last_poll_at == NOW - timedelta(hours=1)
    assert both.problems == ["mailbox billing: last successful poll 60 min ago "
                             "(allowed: 3 min)"]
    never = Health(NOW, STALE)
    assert not never.healthy and never.last_poll_at is None


def test_a_database_error_keeps_every_key() -> None:
    down = Health(NOW, STALE, database_error="connection refused")
    data = health_json(down)
    assert set(data) == KEYS
    assert data["database"] == "error" and data["database_error"] == "connection refused"
    assert data["healthy"] is False and data["outbox_backlog"] is None
    assert health_text(down).splitlines() == ["health: FAILING",
                                              "database: error: connection refused"]
    assert set(health_json(Health(NOW, STALE))) == KEYS


def test_a_postgresql_host_that_does_not_answer_is_given_up_on() -> None:
    assert (with_connect_timeout("postgresql+psycopg://u:p%40ss@db/iw")
            == "postgresql+psycopg://u:p%40ss@db/iw?connect_timeout=10")
    kept = "postgresql+psycopg://u@db/iw?connect_timeout=3"
    assert with_connect_timeout(kept) == kept
    assert with_connect_timeout("sqlite:///var/x.db") == "sqlite:///var/x.db"
    assert with_connect_timeout("not a url") == "not a url"
