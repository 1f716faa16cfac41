"""The core scenarios, through each way in: IMAP (real Dovecot), a Maildir, and `ingest`.

Every scenario drives the CLI as a user does and reads the outcome from its `--json`.
"""

from __future__ import annotations

import json
from email.header import Header
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.cli import main
from inbox_worker.config import Settings
from tests.support.dovecot import Dovecot
from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail, reply_to

pytestmark = pytest.mark.integration

NOT_A_MAIL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def write_config(path: Path, settings: Settings, mailbox: str) -> Path:
    path.write_text(
        f"""
[support]
address = "support@example.com"
name = "Example Support"

[database]
url = "{settings.database.url}"

[mailbox]
{mailbox}

[technicians]
addresses = ["alice@example.com", "bob@example.com"]
trusted_authserv_ids = ["mx.example.com"]
""",
        encoding="utf-8",
    )
    return path


class Channel:
    """One way in: deliver raw mails, then let the worker process them."""

    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = config
        self.capsys = capsys

    def deliver(self, raw: bytes) -> None:
        raise NotImplementedError

    def process(self) -> None:
        self.cli("poll", "--once")

    def cli(self, *args: str) -> str:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), *args])
        out = self.capsys.readouterr()
        assert code == 0, out.err
        return out.out

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json"))

    def tickets(self) -> list[dict[str, Any]]:
        return self.json("tickets", "list")  # type: ignore[no-any-return]

    def show(self, ref: str) -> dict[str, Any]:
        return self.json("tickets", "show", ref)  # type: ignore[no-any-return]

    def quarantined(self) -> list[str]:
        raise NotImplementedError


class IngestChannel(Channel):
    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str], spool: Path) -> None:
        super().__init__(config, capsys)
        self.spool = spool
        self.pending: list[Path] = []
        self.count = 0

    def deliver(self, raw: bytes) -> None:
        self.count += 1
        path = self.spool / f"{self.count:04d}.eml"
        path.write_bytes(raw)
        self.pending.append(path)

    def process(self) -> None:
        files, self.pending = self.pending, []
        if files:
            self.cli("ingest", *map(str, files))


class MaildirChannel(Channel):
    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str], maildir: Path) -> None:
        super().__init__(config, capsys)
        self.maildir = maildir
        self.count = 0
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)

    def deliver(self, raw: bytes) -> None:
        self.count += 1
        (self.maildir / "new" / f"1700000000.{self.count:04d}.test").write_bytes(raw)

    def todo(self) -> list[Path]:
        return [*(self.maildir / "new").iterdir(), *(self.maildir / "cur").iterdir()]

    def quarantined(self) -> list[str]:
        return sorted(p.name for p in (self.maildir / ".Quarantine" / "cur").iterdir())


class ImapChannel(Channel):
    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str], server: Dovecot,
                 account: ImapAccount) -> None:
        super().__init__(config, capsys)
        self.server = server
        self.account = account

    def deliver(self, raw: bytes) -> None:
        self.server.append(self.account.user, "INBOX", raw)

    def quarantined(self) -> list[str]:
        return [str(len(m)) for m in self.server.list_folder(self.account.user, "Quarantine")]


@pytest.fixture(params=["ingest", "maildir", "imap"])
def channel(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path,
            capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Channel:
    config = tmp_path / "inbox-worker.toml"
    if request.param == "ingest":
        spool = tmp_path / "spool"
        spool.mkdir()
        write_config(config, settings, 'url = "maildir:%s"' % (tmp_path / "unused"))
        return IngestChannel(config, capsys, spool)
    if request.param == "maildir":
        maildir = tmp_path / "Maildir"
        write_config(config, settings, f'url = "maildir:{maildir}"')
        return MaildirChannel(config, capsys, maildir)
    server: Dovecot = request.getfixturevalue("dovecot")
    account: ImapAccount = request.getfixturevalue("imap_account")
    monkeypatch.setenv("TEST_IMAP_PASSWORD", account.password)
    write_config(config, settings, "\n".join([
        f'url = "imap://127.0.0.1:{account.port}/INBOX"',
        'security = "none"',
        f'username = "{account.user}"',
        'password_env = "TEST_IMAP_PASSWORD"',
    ]))
    return ImapChannel(config, capsys, server, account)


def inbound(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in detail["messages"] if m["direction"] == "in"]


def only(items: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, items
    return items[0]


def test_new_mail_opens_a_ticket(channel: Channel) -> None:
    channel.deliver(make_mail(subject="Printer offline", cc="dave@customer.test"))
    channel.process()
    ticket = only(channel.tickets())
    assert ticket["status"] == "Open"
    assert ticket["customer"] == "carol@customer.test"
    assert ticket["subject"] == "Printer offline"
    assert ticket["queue_position"] == 1
    assert ticket["ref"].startswith("T-")
    assert ticket["token"].startswith("IW-") and len(ticket["token"]) == 13
    detail = channel.show(ticket["ref"])
    message = only(inbound(detail))
    assert message["direction"] == "in" and message["kind"] == "customer"
    assert "printer does not answer" in message["text"]
    assert detail["events"][0]["kind"] == "created"
    assert detail["participants"] == ["dave@customer.test"]
    queue = channel.json("queue")
    assert [t["ref"] for t in queue] == [ticket["ref"]]


def test_reply_by_token_and_by_headers(channel: Channel) -> None:
    first = make_mail(subject="VPN drops")
    channel.deliver(first)
    channel.deliver(make_mail(sender="erin@other.test", subject="Second customer"))
    channel.process()
    tickets = channel.tickets()
    vpn = next(t for t in tickets if t["subject"] == "VPN drops")
    token = vpn["token"]

    # By token only (no threading headers), with a localized prefix.
    channel.deliver(make_mail(subject=f"AW: [{token}] VPN drops", body="Still broken."))
    channel.process()
    vpn = channel.show(vpn["ref"])
    assert vpn["status"] == "Customer-Reply"
    assert len(inbound(vpn)) == 2
    # A reply to an Open ticket goes to the back of the queue.
    assert [t["subject"] for t in channel.json("queue")] == ["Second customer", "VPN drops"]

    # By headers, the token stripped from the subject.
    channel.deliver(reply_to(first, sender="carol@customer.test", body="More details here.",
                             subject="Re: VPN drops"))
    channel.process()
    vpn = channel.show(vpn["ref"])
    assert len(inbound(vpn)) == 3
    assert inbound(vpn)[2]["text"].strip() == "More details here."
    assert "wrote:" in inbound(vpn)[2]["full_text"]
    assert len(channel.tickets()) == 2


@pytest.mark.parametrize(
    "prefix",
    ["Re:", "RE: RE:", "SV:", "Antw:", "Fwd:", "回复:", "Re[2]:"],
)
def test_localized_and_encoded_prefixes_keep_the_token(channel: Channel, prefix: str) -> None:
    channel.deliver(make_mail(subject="Mot de passe oublié"))
    channel.process()
    token = only(channel.tickets())["token"]
    subject = Header(f"{prefix} [{token}] Mot de passe oublié — encore", "utf-8").encode(
        maxlinelen=30)  # encoded-words, folded over several lines
    # Written as a client folds it: encoded-words over several physical lines.
    raw = make_mail(subject="PLACEHOLDER", message_id=None)
    channel.deliver(raw.replace(b"Subject: PLACEHOLDER", b"Subject: " + subject.encode()))
    channel.process()
    ticket = only(channel.tickets())
    assert ticket["status"] == "Customer-Reply"
    assert len(inbound(channel.show(ticket["ref"]))) == 2


def test_stranger_with_a_token_gets_a_new_ticket(channel: Channel) -> None:
    channel.deliver(make_mail(subject="Invoice question"))
    channel.process()
    original = only(channel.tickets())
    channel.deliver(make_mail(sender="mallory@evil.test",
                              subject=f"Re: [{original['token']}] Invoice question",
                              body="Please change the bank account."))
    channel.process()
    tickets = channel.tickets()
    assert len(tickets) == 2
    stranger = next(t for t in tickets if t["customer"] == "mallory@evil.test")
    assert stranger["token"] != original["token"]
    detail = channel.show(original["ref"])
    assert len(inbound(detail)) == 1
    assert detail["status"] == "Open"
    assert any(e["kind"] == "stranger-token" for e in detail["events"])


def test_cc_participant_and_technician_may_write_by_token(channel: Channel) -> None:
    channel.deliver(make_mail(subject="Shared drive", cc="dave@customer.test"))
    channel.process()
    token = only(channel.tickets())["token"]
    channel.deliver(make_mail(sender="dave@customer.test", subject=f"Re: [{token}] Shared drive"))
    channel.process()
    assert len(channel.tickets()) == 1


def test_duplicate_message_id_adds_nothing(channel: Channel) -> None:
    mail = make_mail(message_id="<same-id-1@customer.test>")
    channel.deliver(mail)
    channel.process()
    # The same Message-ID again, re-delivered with an extra trace header (other bytes).
    channel.deliver(b"Received: from relay.test by mx.test; Mon, 2 Nov 2026 08:01:00 +0000\r\n"
                    + mail)
    channel.process()
    ticket = only(channel.tickets())
    assert len(inbound(channel.show(ticket["ref"]))) == 1


def test_auto_reply_and_bounce_are_recorded_without_changing_status(channel: Channel) -> None:
    first = make_mail(subject="Laptop battery", message_id="<battery-1@customer.test>")
    channel.deliver(first)
    channel.process()
    ticket = only(channel.tickets())
    channel.deliver(reply_to(first, sender="carol@customer.test", body="I am out of office.",
                             subject="Automatic reply: Laptop battery",
                             headers={"Auto-Submitted": "auto-replied"}))
    bounce = (
        "From: MAILER-DAEMON@mx.customer.test\r\n"
        "To: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.customer.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.test\r\n\r\n"
        "Final-Recipient: rfc822; carol@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@example.com\r\nTo: carol@customer.test\r\n"
        f"Subject: [{ticket['token']}] Laptop battery\r\n"
        "Message-ID: <battery-1@customer.test>\r\n"
        "\r\n--b1--\r\n"
    ).encode()
    channel.deliver(bounce)
    channel.process()
    detail = channel.show(ticket["ref"])
    assert detail["status"] == "Open"
    kinds = [m["kind"] for m in inbound(detail)]
    assert kinds == ["customer", "auto-reply", "bounce"]
    assert only(channel.tickets())["ref"] == ticket["ref"]


def test_auto_reply_matching_no_ticket_opens_none(channel: Channel) -> None:
    channel.deliver(make_mail(subject="Out of Office: holiday",
                              headers={"Auto-Submitted": "auto-replied"}))
    channel.process()
    assert channel.tickets() == []


def test_unparseable_mail_is_quarantined_and_the_rest_processed(channel: Channel) -> None:
    channel.deliver(make_mail(subject="Before"))
    channel.deliver(NOT_A_MAIL)
    channel.deliver(make_mail(sender="erin@other.test", subject="After"))
    channel.process()
    assert sorted(t["subject"] for t in channel.tickets()) == ["After", "Before"]
    listing = channel.json("quarantine", "list")
    record = only(listing)
    assert "not an RFC 5322" in record["reason"] or record["reason"]
    if not isinstance(channel, IngestChannel):
        assert len(channel.quarantined()) == 1
    # A second pass does not retry it, nor duplicate anything.
    channel.process()
    assert len(channel.json("quarantine", "list")) == 1
    assert len(channel.tickets()) == 2


def test_imap_uidvalidity_change_yields_no_duplicates(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, dovecot_without_move: Dovecot,
    imap_account_without_move: ImapAccount,
) -> None:
    # Without MOVE, done mails stay in INBOX with a keyword; a server that renumbers the
    # folder (new UIDVALIDITY) and loses the keywords shows them all again.
    dovecot, imap_account = dovecot_without_move, imap_account_without_move
    config = tmp_path / "imap.toml"
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    write_config(config, settings, "\n".join([
        f'url = "imap://127.0.0.1:{imap_account.port}/INBOX"', 'security = "none"',
        f'username = "{imap_account.user}"', 'password_env = "TEST_IMAP_PASSWORD"',
    ]))
    channel = ImapChannel(config, capsys, dovecot, imap_account)
    for n in range(3):
        channel.deliver(make_mail(sender=f"user{n}@customer.test", subject=f"Mail {n}"))
    channel.process()
    assert len(channel.tickets()) == 3
    before = dovecot.uidvalidity(imap_account.user, "INBOX")
    after = dovecot.recreate_folder_with_new_uidvalidity(imap_account.user, "INBOX")
    assert after != before
    client = dovecot.client(imap_account.user)
    client.select_folder("INBOX")
    client.remove_flags(client.search("ALL"), [b"$InboxWorkerDone"])  # a migration lost them
    client.logout()
    channel.deliver(make_mail(sender="new@customer.test", subject="Mail after renumbering"))
    channel.process()
    tickets = channel.tickets()
    assert sorted(t["subject"] for t in tickets) == [
        "Mail 0", "Mail 1", "Mail 2", "Mail after renumbering"]

