"""Configuration files for running the real `inbox-worker` against the test servers."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.fixtures import ImapAccount
from tests.support.smtp import SmtpServer

SCRIPT = Path(sys.executable).parent / "inbox-worker"
REPO = Path(__file__).resolve().parents[2]
IMAP_PASSWORD_ENV = "TEST_IMAP_PASSWORD"


def worker_config(tmp_path: Path, database_url: str, account: ImapAccount,
                  smtp: SmtpServer, extra: str = "") -> Path:
    """A TOML file for Dovecot (`account`), `smtp` and `database_url`; the IMAP password
    comes from $TEST_IMAP_PASSWORD."""
    path = tmp_path / "worker.toml"
    path.write_text(f"""
[support]
address = "support@example.com"
[database]
url = "{database_url}"
[mailbox]
url = "imap://127.0.0.1:{account.port}/INBOX"
security = "none"
username = "{account.user}"
password_env = "{IMAP_PASSWORD_ENV}"
batch_size = 20
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
[templates]
dir = "{REPO / 'templates'}"
{extra}
""")
    return path
