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
        ({"mailbox": {"url": "imap://h/INBOX", "security": "ssl"}},
         "security: must be one of 'none', 'starttls' or 'tls'"),
        ({"mailbox": {"url": "imap://h/INBOX", "auth": "xoauth2"}}, "needs oauth2_token"),
        ({"support": {"address": "not an address"}}, "not an email address"),
        ({"technicians": {"addresses": "alice@example.com"}}, "must be a list"),
        ({"technicians": {"addresses": ["support@example.com"]}}, "must not contain"),
        ({"policy": {"auto_close_days": -1}}, r"\[policy\] auto_close_days: must be 0 or more"),
        ({"policy": {"auto_close_days": "7"}}, "must be a whole number"),
        ({"policy": {"auto_close_day": 7}}, "auto_close_day: unknown key; did you mean "
                                            "auto_close_days"),
        ({"support": {"addres": "a@example.com"}}, "did you mean address"),
        ({"smtp": {"host": "x", "port": 70000}}, "port"),
        ({"smpt": {}}, r"\[smpt\]: unknown section; did you mean smtp"),
        ({"alerts": {"recipients": "lead@example.com"}}, "recipients: must be a list"),
        ({"alerts": {"escalation": ["not an address"]}}, "not an email address"),
        ({"alerts": {"digest_at": "8am"}}, "HH:MM"),
        ({"alerts": {"digest_at": "24:00"}}, "HH:MM"),
        ({"alerts": {"timezone": "Mars/Olympus"}}, "not a known time zone"),
        ({"targets": {"first_response": {"critical": 1}}}, "critical: unknown priority; "
                                                              "valid: urgent"),
        ({"targets": {"resolution": {"low": -1}}}, "resolution.low: must be 0 or more"),
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


def test_every_mistake_of_a_file_at_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("""# a newcomer's first file
[support]
addres = "help@example.com"

[policy]
auto_close_day = 7
reopen_days = "7"

[targets]
first_response = { urgent = 1, critical = 2 }
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).splitlines() == [
        f"{path}:3: [support] addres: unknown key; did you mean address?",
        f"{path}:6: [policy] auto_close_day: unknown key; did you mean auto_close_days?",
        f"{path}:7: [policy] reopen_days: must be a whole number (e.g. 30, no quotes)",
        f"{path}:10: [targets] first_response.critical: unknown priority; "
        "valid: urgent, high, normal, low",
    ]


def test_lines_of_keys_under_dotted_headers(tmp_path: Path) -> None:
    from inbox_worker.config_errors import find_line

    text = '[targets]\nresolution = {}\n[targets.first_response]\nurgent = 1\n"crit" = 2\n'
    assert find_line(text, ["targets", "first_response", "crit"]) == 5
    assert find_line(text, ["targets", "resolution", "x"]) == 2
    assert find_line(text, ["targets"]) == 1
    assert find_line(text, ["alerts", "recipients"]) is None


def test_places_the_file_names_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text('[mailbox]\nurl = "maildir:/srv/mial/support"\n'
                    '[database]\nurl = "sqlite:///data/inbox.db"\n'
                    '[smtp]\nkind = "maildir"\nsent_path = "out/sent"\n'
                    '[templates]\ndir = "my-templates"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    problems = str(caught.value).splitlines()
    assert problems == [
        f"{path}:2: [mailbox] url: the folder /srv/mial does not exist (create it first; "
        "/srv/mial/support is made inside it)",
        f"{path}:4: [database] url: the folder data does not exist (create it first; "
        "data/inbox.db is made inside it)",
        f"{path}:7: [smtp] sent_path: the folder out does not exist (create it first; "
        "out/sent is made inside it)",
        f"{path}:9: [templates] dir: my-templates is not a folder (create it, or leave the key "
        "out for the built-in templates)",
    ]
    for folder in ("srv-mail", "out", "data", "my-templates"):
        (tmp_path / folder).mkdir()
    path.write_text(path.read_text().replace("/srv/mial", "srv-mail"))
    settings = load_settings(path)
    assert settings.mailbox.path == Path("srv-mail/support")
    # The embedded default's places under var/ are made on first use, file or no file.
    path.write_text('[mailbox]\nurl = "maildir:var/mail"\n'
                    '[database]\nurl = "sqlite:///var/inbox-worker.db"\n')
    assert load_settings(path).database.url == "sqlite:///var/inbox-worker.db"


def test_every_key_of_the_example_exists_and_the_schema_lists_them() -> None:
    from inbox_worker.config_schema import file_keys

    keys = file_keys()
    assert "policy.auto_close_days" in keys and "targets.first_response.urgent" in keys
    assert "targets.business_hours.days" in keys and "smtp.sent_path" in keys


def test_an_empty_smtp_section_keeps_the_maildir_of_notices() -> None:
    assert settings_from_dict({"smtp": {}}).smtp.kind == "maildir"
    assert settings_from_dict({"smtp": {"host": "mx"}}).smtp.kind == "smtp"


def test_tables_written_as_headers_and_secret_hints(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[smtp]\nhost = "mx"\ntoken = "x"\n\n[targets.business_hours]\n'
                    'dayz = "mon-fri"\nstart = "18:00"\nend = "09:00"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).splitlines() == [
        f"{path}:3: [smtp] token: secrets are not read from the file; name an environment "
        "variable or a command that prints it: password_env, password_command",
        f"{path}:6: [targets] business_hours.dayz: unknown key; did you mean days?",
    ]
    path.write_text('[targets.business_hours]\nstart = "18:00"\nend = "09:00"\n')
    with pytest.raises(ConfigError, match=r"c.toml:1: \[targets\] business_hours: .*after"):
        load_settings(path)


def test_an_empty_templates_section_is_no_folder_named(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text("[templates]\n")
    assert load_settings(path).templates_dir == Path("templates")
