"""Several mails per transaction: the same outcomes as one at a time, on both databases.

`Ingestor.process_batch` answers per-mail questions from lookups made once per batch and
writes the batch in one flush; these tests pin down what must not change by that: mails
that refer to each other inside one batch, duplicates, re-fetches, and a failure in one
mail, which sends the batch back to one transaction per mail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from inbox_worker.app import App
from inbox_worker.mail.source import FetchedMail
from inbox_worker.service.ingest import Ingestor
from inbox_worker.service.mailbox_run import process_mailbox
from inbox_worker.service.parse_pool import ParsePool, parse_here
from inbox_worker.store.database import make_engine
from inbox_worker.store.models import Message, OutboxItem, ProcessedMail, Ticket
from tests.support.mails import make_mail, reply_to

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def fetched(raws: list[bytes], prefix: str = "b") -> list[FetchedMail]:
    return [FetchedMail(key=f"test:{prefix}:{i}", raw=raw) for i, raw in enumerate(raws)]


def fill_maildir(app: App, n: int) -> None:
    """``n`` new mails from different customers in the app's Maildir."""
    mailbox = app.settings.mailbox.path
    for sub in ("new", "cur", "tmp"):
        (mailbox / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        raw = make_mail(sender=f"c{i}@customer.test", subject=f"Case {i}")
        (mailbox / "new" / f"{1700000000 + i}.m{i}.test").write_bytes(raw)


# A new ticket's mails: the customer's acknowledgement and the technicians' alert (one mail
# to both technicians of the test settings).
MAILS_PER_NEW_TICKET = 2


def count(app: App, column: Any) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count(column))) or 0)


def test_a_batch_opens_a_ticket_per_mail_with_its_acknowledgement(make_app: Callable) -> None:
    app = make_app()
    raws = [make_mail(sender=f"c{i}@customer.test", subject=f"Case {i}") for i in range(5)]
    results = app.ingestor.process_batch(fetched(raws), NOW)
    assert [r.outcome for r in results] == ["created"] * 5
    assert len({r.ticket_ref for r in results}) == 5
    assert count(app, Ticket.id) == 5
    assert count(app, OutboxItem.id) == 5 * MAILS_PER_NEW_TICKET
    with app.sessions() as session:
        tickets = session.scalars(select(Ticket).order_by(Ticket.queue_place)).all()
        assert [t.subject for t in tickets] == [f"Case {i}" for i in range(5)]
        assert [r.ticket_ref for r in results] == [t.ref for t in tickets]
        processed = session.scalars(select(ProcessedMail)).all()
        assert {p.ticket_id for p in processed} == {t.id for t in tickets}


def test_a_reply_threads_onto_a_ticket_opened_earlier_in_the_same_batch(
    make_app: Callable,
) -> None:
    app = make_app()
    first = make_mail(sender="carol@customer.test", subject="Printer")
    reply = reply_to(first, sender="carol@customer.test", body="Still broken.",
                     keep_token=False)
    results = app.ingestor.process_batch(fetched([first, reply]), NOW)
    assert [r.outcome for r in results] == ["created", "threaded"]
    assert results[0].ticket_ref == results[1].ticket_ref
    assert count(app, Ticket.id) == 1


def test_a_message_id_twice_in_one_batch_is_stored_once(make_app: Callable) -> None:
    app = make_app()
    raw = make_mail(message_id="<same@customer.test>")
    results = app.ingestor.process_batch(fetched([raw, raw]), NOW)
    assert [r.outcome for r in results] == ["created", "duplicate"]
    # The mail, its acknowledgement and the technicians' alert.
    assert count(app, Message.id) == 1 + MAILS_PER_NEW_TICKET


def test_a_batch_fetched_again_changes_nothing(make_app: Callable) -> None:
    app = make_app()
    batch = fetched([make_mail(sender=f"c{i}@customer.test") for i in range(3)])
    app.ingestor.process_batch(batch, NOW)
    again = app.ingestor.process_batch(batch, NOW)
    assert [r.outcome for r in again] == ["already-processed"] * 3
    assert count(app, Ticket.id) == 3 and count(app, ProcessedMail.id) == 3


def test_a_failing_mail_sends_the_batch_back_to_one_transaction_each(
    make_app: Callable, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    original = Ingestor._decide_and_write

    def fail_on_poison(self: Ingestor, session, fetched, mail, now, lookups):  # type: ignore[no-untyped-def]
        if mail.subject == "poison":
            raise RuntimeError("bug on this mail")
        return original(self, session, fetched, mail, now, lookups)

    monkeypatch.setattr(Ingestor, "_decide_and_write", fail_on_poison)
    raws = [make_mail(sender="a@customer.test", subject="before"),
            make_mail(sender="b@customer.test", subject="poison"),
            make_mail(sender="c@customer.test", subject="after")]
    results = app.ingestor.process_batch(fetched(raws), NOW)
    assert [r.outcome for r in results] == ["created", "quarantined", "created"]
    assert "bug on this mail" in results[1].detail
    assert count(app, Ticket.id) == 2
    # The rolled-back batch left no mail behind.
    assert count(app, OutboxItem.id) == 2 * MAILS_PER_NEW_TICKET


def test_unparseable_mails_in_a_batch_are_quarantined_in_it(make_app: Callable) -> None:
    app = make_app()
    raws = [make_mail(), b"\x00\x01 not a mail", make_mail(sender="d@customer.test")]
    results = app.ingestor.process_batch(fetched(raws), NOW)
    assert [r.outcome for r in results] == ["created", "quarantined", "created"]


def test_the_parse_process_gives_what_parsing_here_gives(make_app: Callable) -> None:
    app = make_app()
    batch = fetched([make_mail(sender=f"c{i}@customer.test", subject=f"Fall {i} – Grüße")
                     for i in range(4)] + [b"no mail at all"])
    pool = ParsePool(1, app.settings.mailbox.max_message_bytes)
    try:
        in_child = pool.start(batch)()
    finally:
        pool.close()
    assert in_child == parse_here(batch, app.settings.mailbox.max_message_bytes)
    assert in_child[-1].mail is None and in_child[-1].refusal


def test_a_dead_parse_process_falls_back_to_parsing_here(make_app: Callable) -> None:
    app = make_app()
    batch = fetched([make_mail(sender=f"c{i}@customer.test") for i in range(3)])
    pool = ParsePool(1, app.settings.mailbox.max_message_bytes)
    try:
        pool.start(batch)()  # the child is up
        executor = pool._executor
        assert executor is not None
        for process in list(executor._processes.values()):  # type: ignore[union-attr]
            process.kill()
            process.join()
        job = pool.start(batch)
        parsed = job()
        assert [p.mail is not None for p in parsed] == [True] * 3
        assert pool.start(batch)() == parsed  # and on without a child from now on
    finally:
        pool.close()


class _RecordingPool(ParsePool):
    """A real parse pool that notes where each batch is parsed."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(1, max_bytes)
        self.calls: list[str] = []

    def warm(self) -> None:
        self.calls.append("warm")
        super().warm()

    def start_here(self, batch: Any) -> Any:
        self.calls.append(f"here:{len(batch)}")
        return super().start_here(batch)

    def start(self, batch: Any) -> Any:
        self.calls.append(f"child:{len(batch)}")
        return super().start(batch)


@pytest.mark.parametrize(("mails", "expected"), [
    (120, ["warm", "here:50", "child:50", "child:20"]),  # a backlog: the child starts at once
    (7, ["here:7"]),  # a few new mails: no child
])
def test_the_parse_process_starts_with_a_backlogs_first_batch(
    make_app: Callable, mails: int, expected: list[str]
) -> None:
    app = make_app()
    fill_maildir(app, mails)
    pool = _RecordingPool(app.settings.mailbox.max_message_bytes)
    source = app.open_source()
    try:
        summary = process_mailbox(source, app.ingestor, app.clock, parse_pool=pool)
    finally:
        source.close()
        pool.close()
    assert summary.outcomes["created"] == mails
    assert pool.calls == expected


def test_poll_and_deliver_sends_every_acknowledgement(make_app: Callable) -> None:
    app = make_app()
    fill_maildir(app, 120)  # three batches: the later ones parsed in the parse process
    summary, delivery = app.poll_and_deliver()
    assert summary.total == 120 and summary.outcomes["created"] == 120
    assert delivery.sent == 120 * MAILS_PER_NEW_TICKET
    assert len(list((app.settings.smtp.sent_path / "new").iterdir())) == delivery.sent


class _RecordingMoves:
    """A source that notes how many mails each command takes off its to-do list."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.moves: list[int] = []

    def mark_done_batch(self, mails: Any) -> None:
        assert all(mail.raw == b"" for mail in mails)  # their bytes are not kept for this
        self.moves.append(len(mails))
        self._source.mark_done_batch(mails)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


@pytest.mark.parametrize(("mails", "stop_after", "moves"), [
    (450, None, [200, 200, 50]),  # four batches per command, the rest at the end
    (30, None, [30]),
    (300, 3, [150]),  # a stop after the third batch first takes what is stored off
])
def test_stored_mails_leave_the_to_do_list_a_few_batches_at_a_time(
    make_app: Callable, mails: int, stop_after: int | None, moves: list[int]
) -> None:
    app = make_app()
    fill_maildir(app, mails)
    source = _RecordingMoves(app.open_source())
    batches = 0

    def should_stop() -> bool:
        nonlocal batches
        batches += 1
        return batches == stop_after

    try:
        summary = process_mailbox(source, app.ingestor, app.clock,  # type: ignore[arg-type]
                                  should_stop=should_stop)
    finally:
        source.close()
    assert source.moves == moves
    assert summary.outcomes["created"] == sum(moves)
    again = app.open_source()
    try:
        left = list(again.fetch())
    finally:
        again.close()
    assert len(left) == mails - sum(moves)  # the rest stays to do, and nothing else


def test_a_stored_batch_wakes_the_delivering_thread(
    make_app: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first customers hear back while the poll is still working through the backlog,
    because a stored batch wakes the delivering thread, not its next look at the clock."""
    import time

    import inbox_worker.app

    monkeypatch.setattr(inbox_worker.app, "DELIVERY_PAUSE", 60.0)
    app = make_app()
    fill_maildir(app, 150)
    sent = app.settings.smtp.sent_path / "new"
    seen_during_the_poll: list[int] = []

    def progress(done: int) -> None:  # called while the second batch is being stored
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(_files(sent)) < 50:
            time.sleep(0.02)
        seen_during_the_poll.append(len(_files(sent)))

    summary, delivery = app.poll_and_deliver(progress=progress)
    assert summary.total == 150 and delivery.sent == 150 * MAILS_PER_NEW_TICKET
    assert seen_during_the_poll and seen_during_the_poll[0] >= 50


def _files(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.is_dir() else []


def test_sqlite_writer_turn_is_given_back_after_a_failed_transaction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    outcomes: list[str] = []

    def write(value: int) -> None:
        try:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)

    for value in (1, 2):  # a refused insert (rolled back), then one that must not wait
        thread = threading.Thread(target=write, args=(value,))
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the writer turn was not given back"
    assert outcomes == ["IntegrityError", "ok"]
    engine.dispose()


def test_the_parse_process_ends_when_the_worker_is_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL leaves the worker no chance to stop its child: the child must notice."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "worker.py"
    script.write_text(
        "import sys, time\n"
        "from inbox_worker.mail.source import FetchedMail\n"
        "from inbox_worker.service.parse_pool import ParsePool\n"
        "if __name__ == '__main__':  # spawn imports this module again in the child\n"
        "    pool = ParsePool(1, 10_000_000)\n"
        "    pool.start([FetchedMail(key='k', raw=b'From: a@b.c\\n\\nx')])()\n"
        "    print(*pool._executor._processes, flush=True)\n"
        "    time.sleep(600)\n"
    )
    worker = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[2])
    assert worker.stdout is not None
    children = [int(pid) for pid in worker.stdout.readline().split()]
    worker.stdout.close()
    assert children
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 30
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if _running(pid)]
    assert not alive, f"parse process {alive} outlived its worker"


def _running(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has ended; init reaps it
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_notices_go_out_after_each_batch_of_a_pass(make_app: Callable) -> None:
    """The worker's pass delivers after each batch: a backlog's first customers hear back
    before its last mail is read."""
    from inbox_worker.service.mailbox_run import process_mailbox

    app = make_app()
    fill_maildir(app, 120)
    sent: list[int] = []
    source = app.open_source()
    summary = process_mailbox(source, app.ingestor, app.clock,
                              after_batch=lambda: sent.append(app.send_due_notices().sent))
    source.close()
    assert summary.total == 120
    assert sent == [n * MAILS_PER_NEW_TICKET for n in (50, 50, 20)]


def test_a_mail_another_worker_records_while_we_quarantine_it(
    make_app: Callable, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers on one mail the database refuses: the one that loses the race to record
    it reports already-processed instead of failing (a worker once exited 1 here)."""
    from sqlalchemy.exc import DataError

    from inbox_worker.store import repository

    app = make_app()
    (refused,) = fetched([make_mail(sender="r@customer.test")], prefix="race")

    def refuse(*_: object) -> None:
        raise DataError("INSERT ...", {}, Exception("value too long for type"))

    monkeypatch.setattr(Ingestor, "_store", refuse)
    with app.sessions.begin() as session:  # the other worker's record...
        repository.record_processed(session, source_key=refused.key, message_key=None,
                                    outcome="quarantined", now=NOW)
    real = repository.is_processed
    checks: list[str] = []

    def not_yet_the_first_time(session, key):  # type: ignore[no-untyped-def]
        checks.append(key)  # ...committed just after our check
        return False if len(checks) == 1 else real(session, key)

    monkeypatch.setattr(repository, "is_processed", not_yet_the_first_time)
    assert app.ingestor.process(refused, NOW).outcome == "already-processed"
