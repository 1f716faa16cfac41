"""`inbox-worker run` as a real process against Dovecot and an SMTP server."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.configs import SCRIPT, worker_config
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration



def test_run_idles_recovers_and_stops_cleanly(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config = worker_config(tmp_path, database_url, imap_account, smtp_server)
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [str(SCRIPT), "--config", str(config), "run", "--interval", "30"],
        env={"TEST_IMAP_PASSWORD": imap_account.password, "PATH": "/usr/bin:/bin"},
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        dovecot.append(imap_account.user, "INBOX", make_mail(sender="a@customer.test"))
        wait_for(lambda: len(smtp_server.received) == 1, 20)
        time.sleep(0.5)  # the worker is back in IDLE now

        dovecot.append(imap_account.user, "INBOX", make_mail(sender="b@customer.test"))
        seconds = wait_for(lambda: len(smtp_server.received) == 2, 10)
        assert seconds < 2.0, f"acknowledgement took {seconds:.2f}s"

        dovecot.restart()
        dovecot.append(imap_account.user, "INBOX", make_mail(sender="c@customer.test"))
        wait_for(lambda: len(smtp_server.received) == 3, 30)
        assert process.poll() is None

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in output
    assert output.count("outcome=created") == 3
    recipients = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    assert recipients == ["a@customer.test", "b@customer.test", "c@customer.test"]
    assert dovecot.list_folder(imap_account.user, "INBOX") == []
