"""[[mailboxes]]: several mailboxes in one file, and each way of getting them wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.config import Secret, load_settings, settings_from_dict
from inbox_worker.errors import ConfigError

BILLING = {"url": "imaps://imap.example.com/INBOX", "address": "Billing@Example.com",
           "name": "Example Billing", "category": "billing",
           "username": "billing@example.com", "password_env": "BILLING_IMAP_PASSWORD"}
SALES = {"url": "imap://imap.example.com/INBOX", "address": "sales@example.com",
         "username": "sales@example.com"}


def test_several_mailboxes_load_with_their_identity() -> None:
    s = settings_from_dict({"mailboxes": [BILLING, SALES]})
    billing, sales = s.read_mailboxes
    assert (billing.address, billing.name, billing.category) == (
        "billing@example.com", "Example Billing", "billing")
    assert billing.kind == "imap" and billing.security == "tls" and billing.port == 993
    assert billing.password == Secret(env="BILLING_IMAP_PASSWORD")
    assert (sales.security, sales.port, sales.category) == ("starttls", 143, None)
    assert s.own_addresses == {"support@example.com", "billing@example.com",
                               "sales@example.com"}
    assert s.sender("billing@example.com") == ("billing@example.com", "Example Billing")
    assert s.sender("sales@example.com") == ("sales@example.com", "Example Support")
    assert s.sender(None) == ("support@example.com", "Example Support")


def test_the_single_mailbox_form_is_unchanged() -> None:
    s = settings_from_dict({"mailbox": {"url": "imap://h/INBOX"}})
    assert s.mailboxes == () and s.read_mailboxes == (s.mailbox,)
    assert s.mailbox.address == "" and s.own_addresses == {"support@example.com"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mailbox": {"url": "imap://h/INBOX"}, "mailboxes": [BILLING]},
         r"\[mailbox\] and \[\[mailboxes\]\] are two ways"),
        ({"mailboxes": []}, "needs at least one mailbox"),
        ({"mailboxes": [BILLING, {**SALES, "address": "billing@example.com"}]},
         r"#2: address billing@example.com is already mailbox #1's"),
        ({"mailboxes": [BILLING, {**BILLING, "address": "b2@example.com",
                                  "url": "imaps://IMAP.example.com:993/INBOX"}]},
         "#2: .* is the same mailbox as #1's url"),
        ({"mailboxes": [{"url": "maildir:a/b", "address": "a@example.com"},
                        {"url": "maildir:a/./b", "address": "b@example.com"}]},
         "same mailbox"),
        ({"mailboxes": [BILLING], "technicians": {"addresses": ["billing@example.com"]}},
         r"also in \[technicians\]"),
        ({"mailboxes": [{"url": "imap://h/INBOX"}]},
         r"\[\[mailboxes\]\] #1 address: required"),
        ({"mailboxes": [{"address": "a@example.com"}]}, r"#1 url: required"),
        ({"mailboxes": [{**SALES, "password": "hunter2"}]}, "secrets are not read"),
        ({"mailboxes": [{**SALES, "categry": "x"}]}, "did you mean category"),
        ({"mailboxes": [{**SALES, "category": ""}]}, "category: must be 1 to 100"),
        ({"mailboxes": [{**SALES, "address": "nobody"}]}, "not an email address"),
        ({"mailboxes": [{**SALES, "security": "ssl"}]}, "#1 security: must be one of"),
        ({"mailboxes": {"url": "imap://h/INBOX"}}, "mailboxes"),
    ],
)
def test_mailbox_mistakes_are_one_clear_error(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(data)


def test_a_mistake_names_the_line_of_its_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[mailboxes]]\nurl = "imap://h/INBOX"\naddress = "a@example.com"\n\n'
                    '[[mailboxes]]\nurl = "imap://h/Sales"\naddress = "b@example.com"\n'
                    'security = "ssl"\n')
    with pytest.raises(ConfigError, match=r"c.toml:8: \[\[mailboxes\]\] #2 security"):
        load_settings(path)


def test_a_missing_maildir_folder_of_any_mailbox_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[[mailboxes]]\nurl = "maildir:{tmp_path}/a"\naddress = "a@example.com"\n'
                    f'[[mailboxes]]\nurl = "maildir:{tmp_path}/no/b"\n'
                    'address = "b@example.com"\n')
    with pytest.raises(ConfigError, match=r"\[mailboxes\] url: the folder .*/no does not"):
        load_settings(path)
