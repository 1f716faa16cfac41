"""Configuration: the contract's keys, defaults, and one clear error per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.config import Secret, load_settings, settings_from_dict
from inbox_worker.errors import ConfigError


def test_no_file_is_the_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.database.url == "sqlite:///var/inbox-worker.db"
    assert settings.mailbox.kind == "maildir" and settings.mailbox.path == Path("var/mail")
    assert settings.smtp.kind == "maildir" and settings.smtp.sent_path == Path("var/sent")


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={"INBOX_WORKER_CONFIG": str(tmp_path / "nope.toml")})


def test_the_contract_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("""
[support]
address = "Support@Example.com"
name = "Example Support"
[database]
url = "postgresql+psycopg://u@db/inbox"
[mailbox]
url = "imaps://imap.example.com/Support/Inbox"
username = "support@example.com"
password_env = "INBOX_WORKER_IMAP_PASSWORD"
[smtp]
host = "localhost"
port = 25
security = "none"
username = ""
password_env = "INBOX_WORKER_SMTP_PASSWORD"
[technicians]
addresses = ["alice@example.com", "Bob@Example.com"]
trusted_authserv_ids = ["mx.example.com"]
trust_delivery_path = false
[policy]
auto_close_days = 14
reopen_days = 7
""")
    s = load_settings(path)
    assert s.support.address == "support@example.com"
    assert s.support.message_id_domain == "example.com"
    assert s.mailbox.kind == "imap" and s.mailbox.security == "tls" and s.mailbox.port == 993
    assert s.mailbox.folder == "Support/Inbox"
    assert s.mailbox.password == Secret(env="INBOX_WORKER_IMAP_PASSWORD")
    assert s.smtp.kind == "smtp"
    assert s.technicians.addresses == frozenset({"alice@example.com", "bob@example.com"})
    assert (s.policy.auto_close_days, s.policy.reopen_days) == (14, 7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mailbox": {"url": "imap://h/INBOX", "password": "hunter2"}}, "secrets are not read"),
        ({"mailbox": {"url": "pop3://h"}}, "expected maildir"),
        ({"mailbox": {"url": "imap://h/INBOX", "security": "ssl"}}, "security must be"),
        ({"mailbox": {"url": "imap://h/INBOX", "auth": "xoauth2"}}, "needs oauth2_token"),
        ({"support": {"address": "not an address"}}, "not an email address"),
        ({"technicians": {"addresses": "alice@example.com"}}, "must be a list"),
        ({"technicians": {"addresses": ["support@example.com"]}}, "must not contain"),
        ({"policy": {"auto_close_days": -1}}, "whole number"),
        ({"smtp": {"host": "x", "port": 70000}}, "port"),
        ({"smpt": {}}, "unknown section"),
    ],
)
def test_mistakes_are_one_clear_error(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(data)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[support\naddress = 1")
    with pytest.raises(ConfigError, match="bad.toml: invalid TOML"):
        load_settings(path)


def test_secret_from_env_and_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_SECRET", "s3cret")
    assert Secret(env="X_SECRET").resolve("imap") == "s3cret"
    assert Secret(command="printf 'tok en\\n'").resolve("imap") == "tok en"
    with pytest.raises(ConfigError, match="X_MISSING is not set"):
        Secret(env="X_MISSING").resolve("imap")
    with pytest.raises(ConfigError, match="exited with 1"):
        Secret(command="false").resolve("imap")
