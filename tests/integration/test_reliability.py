"""Nothing lost, nothing twice, nothing let in: kills, concurrent workers, poison mails, loops."""

from __future__ import annotations

import itertools
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import Engine, create_engine, func, inspect, select, text

from inbox_worker.store.models import Message, OutboxItem, QuarantinedMail, Ticket
from tests.support.configs import REPO, SCRIPT, worker_config
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration



def fill(account: ImapAccount, mails: list[bytes]) -> None:
    client = IMAPClient("127.0.0.1", port=account.port, ssl=False)
    client.login(account.user, account.password)
    for raw in mails:
        client.append("INBOX", raw)
    client.logout()


_runs = itertools.count()


def customers(n: int, prefix: str = "c") -> list[bytes]:
    return [make_mail(sender=f"{prefix}{i}@customer.test", subject=f"Request {i}",
                      message_id=f"<{prefix}-{i}@customer.test>") for i in range(n)]


def poll(config: Path, account: ImapAccount, *options: str) -> subprocess.Popen[bytes]:
    """A `poll --once` in the background; its stderr goes to ``<config>.<n>.stderr``."""
    log = config.parent / f"{config.name}.{next(_runs)}.stderr"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [str(SCRIPT), "--config", str(config), *options, "poll", "--once"],
            env={"TEST_IMAP_PASSWORD": account.password, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL, stderr=stderr,
        )
    process.stderr_path = log  # type: ignore[attr-defined]
    return process


def stderr_of(processes: list[subprocess.Popen[bytes]]) -> str:
    return "\n".join(p.stderr_path.read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]
                     for p in processes if p.returncode)


def poll_ok(config: Path, account: ImapAccount, *options: str) -> None:
    done = subprocess.run(
        [str(SCRIPT), "--config", str(config), *options, "poll", "--once"],
        env={"TEST_IMAP_PASSWORD": account.password, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr


INBOUND = select(func.count()).select_from(Message).where(Message.direction == "in")


def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                "tickets": connection.scalar(select(func.count()).select_from(Ticket)) or 0,
                "inbound": connection.scalar(INBOUND) or 0,
                "acks": connection.scalar(select(func.count()).select_from(OutboxItem)
                                          .where(OutboxItem.notice == "acknowledged")) or 0,
                "unsent": connection.scalar(select(func.count()).select_from(OutboxItem)
                                            .where(OutboxItem.state != "sent")) or 0,
                "quarantined": connection.scalar(
                    select(func.count()).select_from(QuarantinedMail)) or 0,
            }
    finally:
        engine.dispose()


def stored_count(engine: Engine) -> int:
    """Mails stored so far; 0 before the worker has created the schema."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(Message.__tablename__):
            return 0
        return connection.scalar(INBOUND) or 0


def kill_when(process: subprocess.Popen[bytes], reached: Callable[[], bool]) -> bool:
    """SIGKILL `process` as soon as `reached()` holds; False when it ended first. It is
    killed too when watching fails, so that no worker outlives the test."""
    deadline = time.monotonic() + 120
    try:
        while process.poll() is None:
            if reached():
                return True
            assert time.monotonic() < deadline, "the kill point was not reached in two minutes"
            time.sleep(0.005)
        return False
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()


def kill_point(phase: str, rng: random.Random, watcher: Engine, smtp_server: SmtpServer,
               n: int) -> Callable[[], bool]:
    """When to kill a run in `phase`: a little after it starts, once some more mails are
    stored, or once the SMTP server has accepted some more notices."""
    if phase == "starting":
        kill_at = time.monotonic() + rng.uniform(0.05, 0.5)
        return lambda: time.monotonic() >= kill_at
    if phase == "storing":
        stored = min(stored_count(watcher) + rng.randint(1, 60), n)
        return lambda: stored_count(watcher) >= stored
    accepted = len(smtp_server.received) + rng.randint(1, 60)
    return lambda: len(smtp_server.received) >= accepted


def test_sigkill_at_many_points_loses_nothing_and_doubles_nothing(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    n = 600
    fill(imap_account, customers(n))
    config = worker_config(tmp_path, database_url, imap_account, smtp_server)
    rng = random.Random(20261123)
    watcher = create_engine(database_url)
    # Kills are placed by progress, not by the clock, so that a faster worker still meets
    # them mid-work: while starting, after some more mails are stored (mid-batch, between
    # commit and move), after some more notices are accepted (between the SMTP server's
    # acceptance and our record of it).
    phases = itertools.cycle(["starting", "storing", "sending", "storing", "sending"])
    kills = 0
    try:
        while kills < 10:
            process = poll(config, imap_account)
            reached = kill_point(next(phases), rng, watcher, smtp_server, n)
            if not kill_when(process, reached):
                assert process.returncode == 0, stderr_of([process])
                break
            kills += 1
    finally:
        watcher.dispose()
    # The notices a killed worker had claimed go now, not when its lease (5 minutes) runs
    # out: its process is gone.
    poll_ok(config, imap_account)
    assert kills >= 6, "the kills must land while work is in progress"
    numbers = counts(database_url)
    assert numbers["tickets"] == n
    assert numbers["inbound"] == n
    assert numbers["acks"] == n
    assert numbers["unsent"] == 0
    assert numbers["quarantined"] == 0
    assert dovecot.list_folder(imap_account.user, "INBOX") == []
    assert len(dovecot.list_folder(imap_account.user, "Processed")) == n
    per_recipient = Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(per_recipient) == n
    duplicates = sum(c - 1 for c in per_recipient.values())
    assert duplicates <= kills, (duplicates, kills)


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_on_postgresql_do_everything_once(
    tmp_path: Path, postgres_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer, workers: int,
) -> None:
    from tests.support.postgres import truncate_all

    truncate_all(postgres_url)
    n = 150
    fill(imap_account, customers(n, prefix=f"w{workers}"))
    config = worker_config(tmp_path, postgres_url, imap_account, smtp_server)
    processes = [poll(config, imap_account) for _ in range(workers)]
    assert [p.wait(timeout=300) for p in processes] == [0] * workers, stderr_of(processes)
    numbers = counts(postgres_url)
    assert numbers["tickets"] == n and numbers["inbound"] == n and numbers["acks"] == n
    assert numbers["unsent"] == 0
    per_recipient = Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(per_recipient) == n and set(per_recipient.values()) == {1}
    assert dovecot.list_folder(imap_account.user, "INBOX") == []


def test_a_second_poll_on_sqlite_never_doubles_work(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i, raw in enumerate(customers(120, prefix="s")):
        (maildir / "new" / f"{1700000000 + i}.m{i}.test").write_bytes(raw)
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
                      f'[mailbox]\nurl = "maildir:{maildir}"\n'
                      f'[smtp]\nkind = "maildir"\nsent_path = "{tmp_path / "sent"}"\n'
                      f'[templates]\ndir = "{REPO / "templates"}"\n')
    processes = [subprocess.Popen([str(SCRIPT), "--config", str(config), "poll", "--once"],
                                  stdout=subprocess.DEVNULL) for _ in range(2)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    numbers = counts(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert numbers["tickets"] == 120 and numbers["acks"] == 120 and numbers["unsent"] == 0
    assert len(list((tmp_path / "sent" / "new").iterdir())) == 120
    assert list((maildir / "new").iterdir()) == []


# A broken mail that can still be read (here: a multipart never closed) becomes a ticket;
# these cannot, and go to quarantine.
BROKEN_BUT_READABLE = (b"From: a@customer.test\r\nMessage-ID: <p1@customer.test>\r\n"
                       b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n"
                       b"--x\r\nContent-Type: text/plain\r\n\r\nhalf a part")
POISON = {
    "no from": b"Subject: who am I\r\nMessage-ID: <p2@customer.test>\r\n\r\nbody\r\n",
    "nested": (b"From: n@customer.test\r\nMessage-ID: <p3@customer.test>\r\n"
               + b"".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                          .encode() for i in range(1000)) + b"\r\nend\r\n"),
    "not a mail": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,
}


def test_poison_mails_are_quarantined_and_the_rest_processed(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    big = make_mail(sender="big@customer.test", subject="huge",
                    body="x" * (50 * 1024 * 1024), message_id="<big@customer.test>")
    no_id = make_mail(sender="noid@customer.test", subject="No Message-ID", message_id=None)
    unknown_charset = (b"From: cs@customer.test\r\nSubject: =?x-unknown-7?q?caf=E9?=\r\n"
                       b"Message-ID: <cs@customer.test>\r\n"
                       b"Content-Type: text/plain; charset=x-unknown-7\r\n\r\ncaf\xe9\r\n")
    mails = [customers(1, "before")[0], *POISON.values(), big, no_id, unknown_charset,
             BROKEN_BUT_READABLE, customers(1, "after")[0]]
    fill(imap_account, mails)
    config = worker_config(tmp_path, database_url, imap_account, smtp_server)
    poll_ok(config, imap_account)
    numbers = counts(database_url)
    assert numbers["quarantined"] == len(POISON) + 1  # and the 50 MB one
    # before, no Message-ID, unknown charset, broken but readable, after
    assert numbers["tickets"] == 5
    assert dovecot.list_folder(imap_account.user, "INBOX") == []
    assert len(dovecot.list_folder(imap_account.user, "Quarantine")) == len(POISON) + 1
    engine = create_engine(database_url)
    with engine.connect() as connection:
        reasons = list(connection.scalars(text("SELECT reason FROM quarantine")))
        keys = list(connection.scalars(select(Message.message_id)))
    engine.dispose()
    assert all(reasons)
    assert any("over the limit" in r for r in reasons)
    assert any(k.endswith(".no-message-id.invalid") for k in keys)
    # A second pass retries none of them.
    poll_ok(config, imap_account)
    assert counts(database_url)["quarantined"] == len(POISON) + 1


def test_an_answering_robot_is_cut_off_within_two_rounds(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config = worker_config(tmp_path, database_url, imap_account, smtp_server)
    fill(imap_account, [make_mail(sender="robot@vendor.test", subject="Order 1")])
    seen = 0
    for round_number in range(2, 8):
        poll_ok(config, imap_account)
        # The robot answers every mail it gets with a new mail of its own (no threading,
        # no Auto-Submitted): each would open a ticket and earn an acknowledgement.
        new = len(smtp_server.received) - seen
        seen = len(smtp_server.received)
        fill(imap_account, [make_mail(sender="robot@vendor.test",
                                      subject=f"Order {round_number}-{i} received")
                            for i in range(new)])
    poll_ok(config, imap_account)
    to_robot = [r for r in smtp_server.received if r.rcpt_tos[0] == "robot@vendor.test"]
    assert len(to_robot) <= 2


def test_hostile_html_is_stored_sanitised(tmp_path: Path, database_url: str) -> None:
    from inbox_worker.cli import main

    raw = make_mail(subject="Click", body="see html",
                    html='<p onclick="steal()">Hi<script>alert(1)</script>'
                         '<a href="javascript:alert(2)">x</a></p>')
    mail = tmp_path / "m.eml"
    mail.write_bytes(raw)
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n'
                      f'[mailbox]\nurl = "maildir:{tmp_path / "md"}"\n')
    assert main(["--config", str(config), "ingest", str(mail)]) == 0
    engine = create_engine(database_url)
    with engine.connect() as connection:
        html = connection.scalar(select(Message.html))
    engine.dispose()
    assert html is not None and "Hi" in html
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html


def test_values_too_big_for_the_columns_never_block_the_mailbox(
    tmp_path: Path, database_url: str,
) -> None:
    """PostgreSQL enforces column lengths: a hostile Message-ID, From or attachment type must
    not stop the mails behind it."""
    from inbox_worker.cli import main

    long_id = "<" + "x" * 3000 + "@customer.test>"
    long_from = "a" * 400 + "@customer.test"
    first = make_mail(sender=long_from, subject="Long", message_id=long_id)
    second = make_mail(sender="ok@customer.test", subject="After")
    files = []
    for name, raw in (("1.eml", first), ("2.eml", second)):
        (tmp_path / name).write_bytes(raw)
        files.append(str(tmp_path / name))
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n'
                      f'[mailbox]\nurl = "maildir:{tmp_path / "md"}"\n')
    assert main(["--config", str(config), "ingest", *files]) == 0
    numbers = counts(database_url)
    assert numbers["tickets"] + numbers["quarantined"] == 2
    assert numbers["tickets"] >= 1
