"""The latest poll of each mailbox: a success overwrites, a failure keeps the last success."""

from datetime import UTC, datetime, timedelta

from inbox_worker.service.poll_status import poll_states, record_poll
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema


def test_failure_keeps_the_last_success(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade_schema(engine)
    sessions = make_session_factory(engine)
    t0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    record_poll(sessions, "support", now=t0, worker_id="h:1")
    record_poll(sessions, "support", now=t0 + timedelta(minutes=1), worker_id="h:1",
                error="connection refused " + "x" * 1000)
    record_poll(sessions, "billing", now=t0, worker_id="h:2")
    with sessions() as session:
        states = poll_states(session)
    engine.dispose()
    assert [s.mailbox for s in states] == ["billing", "support"]
    support = states[1]
    assert support.last_ok_at == t0
    assert support.last_attempt_at == t0 + timedelta(minutes=1)
    assert support.last_error is not None and support.last_error.startswith("connection refused")
    assert len(support.last_error) == 500
