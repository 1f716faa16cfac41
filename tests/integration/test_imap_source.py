"""ImapSource against a real Dovecot on 127.0.0.1 (see tests/support/dovecot.py).

Every test gets a fresh user, so each starts with an empty INBOX. The real IMAPClient is
used throughout; where a test needs to see which FETCH commands were sent, it passes a
subclass that records them and otherwise behaves exactly like IMAPClient.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from imapclient import IMAPClient

from inbox_worker.config import MailboxSettings, Secret
from inbox_worker.errors import ConfigError, MailboxAuthError, MailboxError
from inbox_worker.mail.imap import DONE_KEYWORD, ImapSource, parse_key
from tests.support.dovecot import Dovecot, free_port
from tests.support.fixtures import ImapAccount

pytestmark = pytest.mark.integration


def mail(n: int, body: str = "Hello") -> bytes:
    return (
        f"From: customer{n}@example.org\r\nTo: support@example.com\r\n"
        f"Subject: mail {n}\r\nMessage-ID: <m{n}@example.org>\r\n\r\n{body} {n}\r\n"
    ).encode()


def settings_for(account: ImapAccount, **changes: Any) -> MailboxSettings:
    user, password, port = account
    base = MailboxSettings(
        kind="imap",
        host="127.0.0.1",
        port=port,
        security="none",
        username=user,
        password=Secret(command=f"printf %s {password}"),
        timeout=10.0,
    )
    return replace(base, **changes)


class RecordingClient(IMAPClient):
    """The real client, noting the UIDs of each FETCH."""

    fetches: list[tuple[list[int], str]]

    def fetch(self, messages: Any, data: Any, modifiers: Any = None) -> Any:
        self.fetches.append((list(messages), str(data[0])))
        return super().fetch(messages, data, modifiers)


@pytest.fixture
def recording() -> list[tuple[list[int], str]]:
    RecordingClient.fetches = []
    return RecordingClient.fetches


def subjects(raws: list[bytes]) -> list[str]:
    return [
        line.split(b": ", 1)[1].decode()
        for raw in raws
        for line in raw.split(b"\r\n")
        if line.startswith(b"Subject: ")
    ]


def test_fetch_yields_oldest_first_in_batches_without_setting_seen(
    dovecot: Dovecot, imap_account: ImapAccount, recording: list[tuple[list[int], str]]
) -> None:
    user = imap_account.user
    for n in range(1, 8):
        dovecot.append(user, "INBOX", mail(n))
    source = ImapSource(settings_for(imap_account, batch_size=3), client_factory=RecordingClient)
    try:
        mails = source.fetch()
        first = next(mails)
        # Lazy: only the first batch has been read so far.
        assert [uids for uids, item in recording if item == "BODY.PEEK[]"] == [[1, 2, 3]]
        fetched = [first, *mails]
    finally:
        source.close()

    uidvalidity = dovecot.uidvalidity(user, "INBOX")
    assert [m.key for m in fetched] == [f"imap:INBOX:{uidvalidity}:{n}" for n in range(1, 8)]
    assert [m.raw for m in fetched] == [mail(n) for n in range(1, 8)]
    assert {m.mailbox for m in fetched} == {"INBOX"}
    assert [uids for uids, item in recording if item == "BODY.PEEK[]"] == [
        [1, 2, 3],
        [4, 5, 6],
        [7],
    ]
    assert all(b"\\Seen" not in flags for flags in dovecot.flags(user, "INBOX"))


def test_mark_done_and_quarantine_move_mails_and_fetch_again_gives_the_rest(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    for n in (1, 2, 3):
        dovecot.append(user, "INBOX", mail(n))
    with_source = ImapSource(settings_for(imap_account))
    try:
        first, second, third = list(with_source.fetch())
        with_source.mark_done(first)
        with_source.quarantine(second)
        assert [m.key for m in with_source.fetch()] == [third.key]
        with_source.mark_done(third)
        assert list(with_source.fetch()) == []
    finally:
        with_source.close()

    assert dovecot.list_folder(user, "INBOX") == []
    assert dovecot.list_folder(user, "Processed") == [mail(1), mail(3)]
    assert dovecot.list_folder(user, "Quarantine") == [mail(2)]


def test_mark_done_inside_the_fetch_loop_and_a_later_mail_is_fetched(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    for n in range(1, 6):
        dovecot.append(user, "INBOX", mail(n))
    source = ImapSource(settings_for(imap_account, batch_size=2))
    try:
        done = []
        for fetched in source.fetch():  # moving mails while the batches are still coming
            source.mark_done(fetched)
            done.append(fetched.raw)
        assert done == [mail(n) for n in range(1, 6)]
        assert list(source.fetch()) == []

        dovecot.append(user, "INBOX", mail(6))
        assert [m.raw for m in source.fetch()] == [mail(6)]
    finally:
        source.close()
    assert dovecot.list_folder(user, "Processed") == [mail(n) for n in range(1, 6)]


def test_custom_folders_are_created_and_marking_twice_is_harmless(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    dovecot.append(user, "INBOX", mail(1))
    settings = settings_for(imap_account, processed_folder="Done: tickets")
    first = ImapSource(settings)
    second = ImapSource(settings)  # another worker on the same mailbox
    try:
        [a] = first.fetch()
        [b] = second.fetch()
        first.mark_done(a)
        second.mark_done(b)  # already moved: a no-op, not an error
    finally:
        first.close()
        second.close()
    assert dovecot.list_folder(user, "Done: tickets") == [mail(1)]


def race_for_a_batch(server: Dovecot, account: ImapAccount, first_step: str,
                     second_step: str) -> None:
    """Three mails; a worker fetches them all, another takes the first off the to-do list
    (``second_step``), then the first worker does ``first_step`` with the whole batch."""
    for n in (1, 2, 3):
        server.append(account.user, "INBOX", mail(n))
    first = ImapSource(settings_for(account))
    second = ImapSource(settings_for(account))  # another worker on the same mailbox
    try:
        batch = list(first.fetch())
        [taken, *_] = list(second.fetch())
        getattr(second, second_step)(taken)
        getattr(first, first_step)(batch)
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("step", ["mark_done_batch", "quarantine_batch"])
def test_a_batch_of_which_another_worker_took_some_is_still_moved(
    dovecot: Dovecot, imap_account: ImapAccount, step: str
) -> None:
    # Dovecot refuses a UID MOVE naming a mail that another session expunged since this
    # one last heard from the server (NO [EXPUNGEISSUED]), and then moves none of them.
    user = imap_account.user
    race_for_a_batch(dovecot, imap_account, step, "mark_done")
    assert dovecot.list_folder(user, "INBOX") == []
    moved = dovecot.list_folder(user, "Processed") + dovecot.list_folder(user, "Quarantine")
    assert sorted(moved) == [mail(1), mail(2), mail(3)]


def test_a_mail_another_worker_took_between_search_and_fetch_is_skipped(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    # Dovecot answers a FETCH of a mail another session expunged since this one last heard
    # from the server with the UID and a NIL body: that mail is another worker's now.
    for n in (1, 2, 3):
        dovecot.append(imap_account.user, "INBOX", mail(n))
    other = ImapSource(settings_for(imap_account))

    class RacingClient(IMAPClient):
        def fetch(self, messages: Any, data: Any, modifiers: Any = None) -> Any:
            if str(data[0]).startswith("BODY.PEEK[]"):
                taken = [m for m in other.fetch() if m.raw == mail(2)]
                other.mark_done_batch(taken)
            return super().fetch(messages, data, modifiers)

    source = ImapSource(settings_for(imap_account), client_factory=RacingClient)
    try:
        fetched = list(source.fetch())
        assert [m.raw for m in fetched] == [mail(1), mail(3)]
        source.mark_done_batch(fetched)
    finally:
        source.close()
        other.close()
    assert dovecot.list_folder(imap_account.user, "INBOX") == []


def test_uidvalidity_change_leaves_mail_alone_and_new_keys_follow(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    for n in (1, 2):
        dovecot.append(user, "INBOX", mail(n))
    source = ImapSource(settings_for(imap_account))
    try:
        old = list(source.fetch())
        new_uidvalidity = dovecot.recreate_folder_with_new_uidvalidity(user, "INBOX")

        # Dovecot drops the session whose view went stale; once reconnected, the key's
        # UIDVALIDITY no longer matches. Either way nothing is moved.
        for _ in range(2):
            with pytest.raises(MailboxError):
                source.mark_done(old[0])
        with pytest.raises(MailboxError, match="stale"):
            source.quarantine(old[1])
        assert dovecot.list_folder(user, "INBOX") == [mail(1), mail(2)]

        fresh = list(source.fetch())
        assert [parse_key(m.key)[1] for m in fresh] == [new_uidvalidity, new_uidvalidity]
        assert [m.raw for m in fresh] == [mail(1), mail(2)]
        source.mark_done(fresh[0])
    finally:
        source.close()
    assert dovecot.list_folder(user, "Processed") == [mail(1)]


def test_oversized_mail_yields_its_header_only_and_can_be_quarantined(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    dovecot.append(user, "INBOX", mail(1))
    big = mail(2, body="x" * 5000)
    dovecot.append(user, "INBOX", big)
    dovecot.append(user, "INBOX", mail(3))
    source = ImapSource(settings_for(imap_account, max_message_bytes=2000))
    try:
        fetched = list(source.fetch())
        assert [m.oversized for m in fetched] == [None, len(big), None]
        oversized = fetched[1]
        assert oversized.raw == big.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        source.quarantine(oversized)
    finally:
        source.close()
    assert dovecot.list_folder(user, "Quarantine") == [big]


def test_source_reconnects_after_the_server_restarted(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    user = imap_account.user
    dovecot.append(user, "INBOX", mail(1))
    source = ImapSource(settings_for(imap_account))
    try:
        [first] = source.fetch()
        dovecot.restart()
        [again] = source.fetch()  # the dead connection is replaced, not reported
        assert again.key == first.key
        source.mark_done(again)
    finally:
        source.close()
    assert dovecot.list_folder(user, "Processed") == [mail(1)]


# -- without MOVE: keyword for done, copy + expunge for quarantine -------------------------


def test_without_move_done_mails_are_flagged_and_kept(
    dovecot_without_move: Dovecot, imap_account_without_move: ImapAccount
) -> None:
    server, account = dovecot_without_move, imap_account_without_move
    for n in (1, 2, 3):
        server.append(account.user, "INBOX", mail(n))
    source = ImapSource(settings_for(account))
    try:
        first, second, third = source.fetch()
        source.mark_done(first)
        source.quarantine(second)
        assert [m.raw for m in source.fetch()] == [mail(3)]
    finally:
        source.close()
    assert server.list_folder(account.user, "INBOX") == [mail(1), mail(3)]
    assert DONE_KEYWORD in server.flags(account.user, "INBOX")[0]
    assert server.list_folder(account.user, "Processed") == []
    assert server.list_folder(account.user, "Quarantine") == [mail(2)]


def test_without_move_a_batch_another_worker_took_some_of_is_copied_once(
    dovecot_without_move: Dovecot, imap_account_without_move: ImapAccount
) -> None:
    server, account = dovecot_without_move, imap_account_without_move
    race_for_a_batch(server, account, "quarantine_batch", "quarantine")
    assert server.list_folder(account.user, "INBOX") == []
    assert sorted(server.list_folder(account.user, "Quarantine")) == [mail(1), mail(2), mail(3)]


# -- connecting and credentials -------------------------------------------------------------


def test_password_from_environment(
    dovecot: Dovecot, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(imap_account.user, "INBOX", mail(1))
    monkeypatch.setenv("IW_TEST_IMAP_PASSWORD", imap_account.password)
    source = ImapSource(settings_for(imap_account, password=Secret(env="IW_TEST_IMAP_PASSWORD")))
    try:
        assert [m.raw for m in source.fetch()] == [mail(1)]
    finally:
        source.close()


def test_password_from_a_command(dovecot: Dovecot, imap_account: ImapAccount) -> None:
    dovecot.add_user(imap_account.user + "-cmd", "secret")
    account = imap_account._replace(user=imap_account.user + "-cmd", password="secret")
    source = ImapSource(settings_for(account, password=Secret(command="printf secret")))
    try:
        source.connect()
        assert list(source.fetch()) == []
    finally:
        source.close()


def test_xoauth2_login_with_a_token_from_a_command(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    # Dovecot 2.3 checks an XOAUTH2 bearer token against the passdb like a password, which
    # lets the Gmail / Microsoft 365 path run against the local server.
    dovecot.append(imap_account.user, "INBOX", mail(1))
    settings = settings_for(
        imap_account,
        auth="xoauth2",
        password=Secret(),
        oauth2_token=Secret(command=f"printf %s {imap_account.password}"),
    )
    source = ImapSource(settings)
    try:
        assert [m.raw for m in source.fetch()] == [mail(1)]
    finally:
        source.close()

    refused = ImapSource(replace(settings, oauth2_token=Secret(command="printf expired")))
    with pytest.raises(MailboxAuthError, match=r"^IMAP XOAUTH2 login to .* refused: "):
        refused.connect()


def test_wrong_password_is_an_auth_error_on_one_line(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, password=Secret(command="printf wrong")))
    with pytest.raises(MailboxAuthError) as caught:
        source.connect()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"IMAP login to 127.0.0.1:{imap_account.port} as {imap_account.user} refused: "
    )
    assert "b'" not in message and "secs" not in message
    source.close()


def test_missing_password_environment_variable_is_a_config_error(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IW_TEST_UNSET", raising=False)
    source = ImapSource(settings_for(imap_account, password=Secret(env="IW_TEST_UNSET")))
    with pytest.raises(ConfigError, match="IW_TEST_UNSET"):
        source.connect()


def test_unreachable_port_is_a_mailbox_error(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, port=free_port(), timeout=5.0))
    with pytest.raises(MailboxError) as caught:
        list(source.fetch())
    assert not isinstance(caught.value, MailboxAuthError)
    assert "refused" in str(caught.value).lower()


def test_missing_folder_is_a_mailbox_error(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, folder="No Such Folder"))
    try:
        with pytest.raises(MailboxError, match="No Such Folder"):
            list(source.fetch())
    finally:
        source.close()


def test_tls_against_a_plaintext_server_fails_clearly(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, security="tls"))
    with pytest.raises(MailboxError, match="TLS") as caught:
        source.connect()
    assert "\n" not in str(caught.value)


def test_unreadable_ca_file_is_a_mailbox_error(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, security="tls", ca_file="/nonexistent.pem"))
    with pytest.raises(MailboxError, match="ca_file"):
        source.connect()


def test_starttls_required_but_not_offered_fails_clearly(imap_account: ImapAccount) -> None:
    source = ImapSource(settings_for(imap_account, security="starttls"))
    with pytest.raises(MailboxError, match="does not offer STARTTLS"):
        source.connect()


# -- IDLE -------------------------------------------------------------------------------------


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_wait_for_mail_returns_true_when_mail_arrives_during_idle(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    source = ImapSource(settings_for(imap_account))
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            wait_until(lambda: source.idling)
            dovecot.append(imap_account.user, "INBOX", mail(1))
        except BaseException as exc:  # reported by the test below, not lost in the thread
            errors.append(exc)

    try:
        assert list(source.fetch()) == []
        thread = threading.Thread(target=deliver)
        thread.start()
        started = time.monotonic()
        assert source.wait_for_mail(timeout=20) is True
        assert time.monotonic() - started < 15
        thread.join(timeout=10)
        assert not errors
        assert [m.raw for m in source.fetch()] == [mail(1)]
    finally:
        source.close()


def test_wait_for_mail_sees_mail_that_arrived_while_busy(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    source = ImapSource(settings_for(imap_account))
    try:
        assert list(source.fetch()) == []
        dovecot.append(imap_account.user, "INBOX", mail(1))  # before wait_for_mail starts
        assert source.wait_for_mail(timeout=5) is True
    finally:
        source.close()


def test_wait_for_mail_times_out_with_false_and_the_connection_stays_usable(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append(imap_account.user, "INBOX", mail(1))
    source = ImapSource(settings_for(imap_account))
    try:
        [first] = source.fetch()
        source.mark_done(first)  # changes in the folder that are not new mail
        started = time.monotonic()
        assert source.wait_for_mail(timeout=0.5) is False
        assert 0.4 < time.monotonic() - started < 5
        assert list(source.fetch()) == []
    finally:
        source.close()


def test_wait_for_mail_ends_soon_after_a_stop_and_leaves_idle_properly(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    source = ImapSource(settings_for(imap_account))
    stop = threading.Event()
    try:
        assert list(source.fetch()) == []
        timer = threading.Timer(0.3, stop.set)
        timer.start()
        started = time.monotonic()
        assert source.wait_for_mail(timeout=20, stop=stop) is False
        assert time.monotonic() - started < 3
        assert not source.idling
        dovecot.append(imap_account.user, "INBOX", mail(1))
        assert [m.raw for m in source.fetch()] == [mail(1)]  # the same connection goes on
    finally:
        source.close()
