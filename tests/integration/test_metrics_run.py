"""`inbox-worker run` with [metrics] listen and JSON logs, as a real process against Dovecot
and an SMTP server: /metrics scraped over HTTP, every log line one JSON object."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.configs import IMAP_PASSWORD_ENV, SCRIPT, worker_config
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail
from tests.support.smtp import SmtpServer, free_port

pytestmark = pytest.mark.integration


def wait_for(condition: Callable[[], object], log: Path | None = None,
             timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            said = log.read_text() if log else ""
            pytest.fail(f"condition not met within {timeout}s; the worker said:\n{said}")
        time.sleep(0.05)


def scrape(port: int) -> dict[str, float]:
    """The samples of /metrics, by their line's name and labels."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return {}
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_run_serves_metrics_and_logs_json(tmp_path: Path, dovecot: Dovecot,
                                          imap_account: ImapAccount,
                                          smtp_server: SmtpServer) -> None:
    port = free_port()
    config = worker_config(
        tmp_path, f"sqlite:///{tmp_path / 'w.db'}", imap_account, smtp_server,
        extra=f'[metrics]\nlisten = "127.0.0.1:{port}"\n[logging]\nformat = "json"\n')
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(SCRIPT), "--config", str(config), "run"],
            env={IMAP_PASSWORD_ENV: imap_account.password, "PATH": "/usr/bin:/bin"},
            stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: scrape(port).get("inbox_worker_database_up") == 1)
            dovecot.append(imap_account.user, "INBOX",
                           make_mail(sender="a@customer.test", message_id="<m1@customer.test>"))
            sent = 'inbox_worker_notices_sent_total{kind="acknowledged"}'
            # Within the worker's longest wait (30 s, even if IDLE missed the mail), with
            # room for a loaded machine: this is about the metrics, not IDLE's promptness
            # (test_worker_process has that).
            wait_for(lambda: scrape(port).get(sent) == 1, log_path, timeout=60)
            samples = scrape(port)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert len(smtp_server.received) == 1
    assert samples['inbox_worker_mails_processed_total{mailbox="INBOX",outcome="created"}'] == 1
    assert samples["inbox_worker_mail_processing_seconds_count"] == 1
    assert samples["inbox_worker_notice_delivery_seconds_count"] == 1
    assert samples["inbox_worker_queue_size"] == 1
    assert samples["inbox_worker_outbox_backlog"] == 0
    assert samples["inbox_worker_outbox_oldest_unsent_age_seconds"] == 0
    assert samples["inbox_worker_quarantined"] == 0
    assert samples["inbox_worker_failed_deliveries"] == 0
    assert not any(name.startswith("python_") or name.startswith("process_")
                   for name in samples)  # our registry only
    lines = log_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    mails = [e for e in entries if e["message"].startswith("mail ")]
    assert len(mails) == 1
    mail = mails[0]
    assert (mail["outcome"], mail["ticket"], mail["message_id"], mail["mailbox"]) == (
        "created", "T-1", "m1@customer.test", "INBOX")
    assert mail["uid"].isdigit() and mail["level"] == "INFO"
    notices = [e for e in entries if e["message"].startswith("notice sent")]
    assert notices and notices[0]["ticket"] == "T-1"


def test_an_address_in_use_stops_run_at_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "c.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
                          f'[mailbox]\nurl = "maildir:{tmp_path / "mail"}"\n'
                          f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
        done = subprocess.run([str(SCRIPT), "--config", str(config), "run"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [f"inbox-worker: error: [metrics] listen = '127.0.0.1:{port}': cannot "
                      "listen there: Address already in use"]
