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
        ({"alerts": {"recipients": "lead@example.com"}}, "list of addresses"),
        ({"alerts": {"escalation": ["not an address"]}}, "not an email address"),
        ({"alerts": {"digest_at": "8am"}}, "HH:MM"),
        ({"alerts": {"digest_at": "24:00"}}, "HH:MM"),
        ({"alerts": {"timezone": "Mars/Olympus"}}, "not a known time zone"),
        ({"targets": {"first_response": {"critical": 1}}}, "unknown priority 'critical'"),
        ({"targets": {"resolution": {"low": -1}}}, "number of hours >= 0"),
        ({"targets": {"business_hours": {"days": "funday"}}}, "business_hours"),
        ({"targets": {"business_hours": {"start": "17:00", "end": "09:00"}}},
         "business_hours"),
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


def test_alerts_and_targets_load() -> None:
    s = settings_from_dict({
        "technicians": {"addresses": ["alice@example.com"]},
        "alerts": {"recipients": ["Alice@Example.com"], "escalation": ["lead@example.com"],
                   "attach_max_bytes": 1000, "digest_at": "7:30", "timezone": "Europe/Berlin"},
        "targets": {"first_response": {"urgent": 0.5}, "resolution": {"low": 0},
                    "business_hours": {"days": "mon-fri", "start": "09:00", "end": "17:00"}},
    })
    assert s.alerts.recipients == ("alice@example.com",)
    assert s.alerts.digest_at == "07:30" and s.alerts.attach_max_bytes == 1000
    assert s.targets.first_response["urgent"] == 0.5 and s.targets.first_response["high"] == 4
    assert s.targets.resolution["low"] == 0
    hours = s.targets.business_hours
    assert hours is not None and str(hours.zone) == "Europe/Berlin"
    assert settings_from_dict({"alerts": {"digest_at": ""}}).alerts.digest_at == ""


def test_the_shipped_example_configuration_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "inbox-worker.example.toml"
    s = load_settings(example)
    assert s.alerts.escalation == ("lead@example.com",) and s.alerts.digest_at == "08:00"
    assert s.targets.resolution["urgent"] == 8
