"""Several mailboxes ([[mailboxes]]) in one deployment: two Dovecot users read by
`poll --once` and by `run`'s worker, against a real SMTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_worker.app import App, build_app
from inbox_worker.cli import main
from inbox_worker.config import load_settings
from inbox_worker.service.poll_status import poll_states
from inbox_worker.store.models import ProcessedMail, Ticket
from inbox_worker.worker import Worker
from tests.support.configs import REPO
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount, _new_account
from tests.support.mails import make_mail, reply_to
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def billing_account(dovecot: Dovecot) -> ImapAccount:
    return _new_account(dovecot)


@pytest.fixture
def config(tmp_path: Path, database_url: str, imap_account: ImapAccount,
           billing_account: ImapAccount, smtp_server: SmtpServer,
           monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", imap_account.password)
    monkeypatch.setenv("BILLING_IMAP_PASSWORD", billing_account.password)
    path = tmp_path / "worker.toml"
    path.write_text(f"""
[support]
address = "support@example.com"
name = "Example Support"
[database]
url = "{database_url}"
[[mailboxes]]
url = "imap://127.0.0.1:{imap_account.port}/INBOX"
address = "support@example.com"
security = "none"
username = "{imap_account.user}"
password_env = "SUPPORT_IMAP_PASSWORD"
[[mailboxes]]
url = "imap://127.0.0.1:{billing_account.port}/INBOX"
address = "billing@example.com"
name = "Example Billing"
category = "billing"
security = "none"
username = "{billing_account.user}"
password_env = "BILLING_IMAP_PASSWORD"
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
[technicians]
addresses = ["alice@example.com"]
[templates]
dir = "{REPO / 'templates'}"
""")
    return path


@pytest.fixture
def app(config: Path) -> Iterator[App]:
    built = build_app(load_settings(config))
    yield built
    built.close()


def tickets_by_customer(app: App) -> dict[str, tuple[str | None, str | None]]:
    with app.sessions() as session:
        return {t.customer: (t.mailbox, t.category) for t in session.scalars(select(Ticket))}


def acknowledgement_to(smtp: SmtpServer, customer: str) -> tuple[str, str]:
    """(display name, address) of the From of the one mail that went to ``customer``."""
    [mail] = [r.message for r in smtp.received if r.rcpt_tos == (customer,)]
    return parseaddr(str(mail["From"]))


def test_poll_once_reads_every_mailbox_and_keeps_each_tickets_mailbox(
    config: Path, app: App, dovecot: Dovecot, imap_account: ImapAccount,
    billing_account: ImapAccount, smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dovecot.append(imap_account.user, "INBOX", make_mail(sender="ann@customer.test"))
    dovecot.append(billing_account.user, "INBOX",
                   make_mail(sender="bob@customer.test", to="billing@example.com"))
    # One mail to both of our addresses, so in both mailboxes: one ticket.
    both = make_mail(sender="cy@customer.test", to="support@example.com",
                     cc="billing@example.com")
    dovecot.append(imap_account.user, "INBOX", both)
    dovecot.append(billing_account.user, "INBOX", both)
    # Mail from one of our own addresses is a loop, whichever mailbox it came from.
    dovecot.append(imap_account.user, "INBOX",
                   make_mail(sender="billing@example.com", subject="Re: your invoice"))

    assert main(["--config", str(config), "poll", "--once", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcomes"] == {"created": 3, "duplicate": 1, "quarantined": 1}

    assert tickets_by_customer(app) == {
        "ann@customer.test": ("support@example.com", None),
        "bob@customer.test": ("billing@example.com", "billing"),
        "cy@customer.test": ("support@example.com", None),  # the mailbox read first
    }
    assert acknowledgement_to(smtp_server, "ann@customer.test") == (
        "Example Support", "support@example.com")
    assert acknowledgement_to(smtp_server, "bob@customer.test") == (
        "Example Billing", "billing@example.com")
    recipients = {r for mail in smtp_server.received for r in mail.rcpt_tos}
    assert recipients == {"ann@customer.test", "bob@customer.test", "cy@customer.test",
                          "alice@example.com"}  # never one of our own addresses
    alerts = [r.message for r in smtp_server.received if r.rcpt_tos == ("alice@example.com",)]
    billing_alert = next(m for m in alerts if "bob@customer.test" in m.get_content())
    assert "Mailbox:   billing@example.com" in billing_alert.get_content()
    assert parseaddr(str(billing_alert["From"]))[1] == "billing@example.com"

    # Both copies of the mail to both are off their to-do lists; keys are kept apart.
    assert dovecot.list_folder(imap_account.user, "INBOX") == []
    assert dovecot.list_folder(billing_account.user, "INBOX") == []
    with app.sessions() as session:
        keys = list(session.scalars(select(ProcessedMail.source_key)))
        polls = poll_states(session)
    assert sorted(key.partition(":imap:INBOX:")[0] for key in keys) == (
        ["billing@example.com"] * 2 + ["support@example.com"] * 3)
    assert [(p.mailbox, p.last_error) for p in polls] == [
        ("billing@example.com", None), ("support@example.com", None)]
    assert all(p.last_ok_at is not None for p in polls)

    assert main(["--config", str(config), "poll", "--once", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["processed"] == 0

    # Bob answers the billing acknowledgement, but to support@: the ticket stays billing's.
    [acknowledgement] = [r.content for r in smtp_server.received
                         if r.rcpt_tos == ("bob@customer.test",)]
    answer = reply_to(acknowledgement, sender="bob@customer.test", body="Invoice 7, please.")
    dovecot.append(imap_account.user, "INBOX",
                   answer.replace(b"To: billing@example.com", b"To: support@example.com"))
    assert main(["--config", str(config), "poll", "--once", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcomes"] == {"threaded": 1}
    assert tickets_by_customer(app)["bob@customer.test"] == ("billing@example.com", "billing")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_watches_every_mailbox_at_once(
    app: App, dovecot: Dovecot, imap_account: ImapAccount, billing_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    worker = Worker(app, poll_interval=30)
    stopped: list[int] = []
    thread = threading.Thread(target=lambda: stopped.append(worker.run()))
    thread.start()
    try:
        dovecot.append(billing_account.user, "INBOX",
                       make_mail(sender="bob@customer.test", to="billing@example.com"))
        wait_for(lambda: any(r.rcpt_tos == ("bob@customer.test",)
                             for r in smtp_server.received), 20)
        # The support mailbox waits in its IDLE meanwhile: its mail must not wait for
        # the billing mailbox's IDLE (up to 30 s) to end, nor the other way round.
        dovecot.append(imap_account.user, "INBOX", make_mail(sender="ann@customer.test"))
        seconds = wait_for(lambda: any(r.rcpt_tos == ("ann@customer.test",)
                                       for r in smtp_server.received), 10)
        assert seconds < 5, f"acknowledgement took {seconds:.1f}s"
    finally:
        worker.request_stop()
        thread.join(15)
    assert not thread.is_alive() and stopped == [0]
    assert tickets_by_customer(app) == {
        "ann@customer.test": ("support@example.com", None),
        "bob@customer.test": ("billing@example.com", "billing"),
    }
    assert acknowledgement_to(smtp_server, "bob@customer.test")[1] == "billing@example.com"
    with app.sessions() as session:
        assert {p.mailbox for p in poll_states(session)} == {"support@example.com",
                                                             "billing@example.com"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mailboxes_that_overlap_are_a_configuration_error(
    config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    text = config.read_text()
    config.write_text(text.replace('address = "billing@example.com"',
                                   'address = "support@example.com"'))
    assert main(["--config", str(config), "poll", "--once"]) == 2
    error = capsys.readouterr().err
    assert "[[mailboxes]] #2: address support@example.com is already mailbox #1's" in error
    config.write_text(text + '[mailbox]\nurl = "imap://127.0.0.1/INBOX"\n')
    assert main(["--config", str(config), "poll", "--once"]) == 2
    assert "[mailbox] and [[mailboxes]] are two ways" in capsys.readouterr().err


def test_the_single_mailbox_form_keeps_its_keys_and_the_support_address(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.configs import IMAP_PASSWORD_ENV, worker_config

    monkeypatch.setenv(IMAP_PASSWORD_ENV, imap_account.password)
    config = worker_config(tmp_path, database_url, imap_account, smtp_server)
    dovecot.append(imap_account.user, "INBOX", make_mail(sender="ann@customer.test"))
    assert main(["--config", str(config), "poll", "--once"]) == 0
    app = build_app(load_settings(config))
    try:
        assert tickets_by_customer(app) == {"ann@customer.test": (None, None)}
        with app.sessions() as session:
            [key] = session.scalars(select(ProcessedMail.source_key))
            [poll] = poll_states(session)
    finally:
        app.close()
    assert key.startswith("imap:INBOX:")  # as before [[mailboxes]]: nothing done again
    assert poll.mailbox == "support@example.com" and poll.last_error is None
    assert acknowledgement_to(smtp_server, "ann@customer.test")[1] == "support@example.com"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failing_mailbox_is_recorded_and_does_not_stop_the_others(
    config: Path, app: App, dovecot: Dovecot, imap_account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BILLING_IMAP_PASSWORD", "wrong")
    dovecot.append(imap_account.user, "INBOX", make_mail(sender="ann@customer.test"))
    assert main(["--config", str(config), "poll", "--once"]) == 3
    assert "refused" in capsys.readouterr().err
    assert tickets_by_customer(app) == {"ann@customer.test": ("support@example.com", None)}
    with app.sessions() as session:
        polls = {p.mailbox: p for p in poll_states(session)}
    assert polls["support@example.com"].last_error is None
    billing = polls["billing@example.com"]
    assert billing.last_ok_at is None and "refused" in (billing.last_error or "")
