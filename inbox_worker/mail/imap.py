"""The IMAP mailbox source (imapclient): connection, UID cursor, move/flag after commit,
waiting for mail (the IDLE command itself is in `imap_idle`).

Owns everything that speaks IMAP for reading the support mailbox. Mails are keyed
``imap:FOLDER:UIDVALIDITY:UID``; a key is only ever acted on while the folder still has
that UIDVALIDITY, so a renumbered mailbox can never make us move a different mail.

Taking a mail off the to-do list:

- the server offers MOVE (RFC 6851): `mark_done` moves it to ``processed_folder`` and
  `quarantine` to ``quarantine_folder``; both folders are created when missing.
- no MOVE: `mark_done` adds the keyword ``$InboxWorkerDone`` and leaves the mail where it
  is (a COPY + expunge fallback could lose the mail between the two steps, and the keyword
  is one atomic STORE); `quarantine` COPYs, then sets ``\\Deleted`` and the keyword and, with
  UIDPLUS, expunges exactly that UID. Without UIDPLUS nothing is expunged, since a plain
  EXPUNGE would also remove mails that other clients marked deleted.
- `fetch` always searches ``NOT DELETED NOT KEYWORD $InboxWorkerDone``, so either way of
  marking (and a mailbox that changed server) is honoured.
- a batch's UIDs go in one command. When another worker took some of them off meanwhile,
  the server may refuse the whole command (Dovecot: NO [EXPUNGEISSUED], nothing moved):
  a NOOP catches up with the expunges and the command runs again for the rest.

Mails over ``max_message_bytes`` ([mailbox], at least 1) are not downloaded: `fetch` yields an
`FetchedMail` whose ``raw`` is only the header (at most 64 KiB) and whose ``oversized`` is
the size the server declared; the pipeline quarantines it with the reason.

Errors become `MailboxAuthError` (credentials refused) or `MailboxError` (everything else),
each one line. A connection that broke is dropped; the next call connects again.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from inbox_worker.config import MailboxSettings
from inbox_worker.errors import MailboxAuthError, MailboxError
from inbox_worker.mail.imap_idle import IDLE_RENEW_SECONDS, idle_until
from inbox_worker.mail.imap_values import (
    BODY_ITEMS,
    HEADER_ITEMS,
    describe_uids,
    fetched_bytes,
    make_key,
    parse_key,
    plan_batches,
    reason,
)
from inbox_worker.mail.source import FetchedMail

log = logging.getLogger(__name__)

DONE_KEYWORD = b"$InboxWorkerDone"
TODO_CRITERIA = ["NOT", "DELETED", "NOT", "KEYWORD", DONE_KEYWORD.decode()]
HEADER_PEEK_BYTES = 64 * 1024
class ImapSource:
    """A `MailSource` reading one folder of an IMAP mailbox. Connects lazily."""

    def __init__(
        self,
        settings: MailboxSettings,
        *,
        client_factory: Callable[..., IMAPClient] = IMAPClient,
    ) -> None:
        self.settings = settings
        self.name = f"imap://{settings.host}:{settings.port}/{settings.folder}"
        self._where = f"{settings.host}:{settings.port}"
        self._factory = client_factory
        self._client: IMAPClient | None = None
        self._selected: tuple[str, int] | None = None  # (folder, UIDVALIDITY)
        self._can_keyword = True
        # Highest UID known in the folder at the last look; newer UIDs are "new mail".
        self._high_uid: int | None = None
        self._uidvalidity_seen: tuple[str, int] | None = None
        self._folders_made: set[str] = set()
        self._idling = threading.Event()  # set while parked in IDLE

    # -- connection --------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and log in, unless connected. Raises MailboxError / MailboxAuthError."""
        if self._client is None:
            self._client = self._open()

    def _open(self) -> IMAPClient:
        s = self.settings
        # Resolve the secret first: a configuration error should not cost a connection.
        section = f"[[mailboxes]] {s.address}" if s.address else "[mailbox]"
        if s.auth == "xoauth2":
            secret = s.oauth2_token.resolve(f"{section} oauth2_token")
        else:
            secret = s.password.resolve(f"{section} password")
        try:
            context = self._tls_context() if s.security != "none" else None
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise MailboxError(f"IMAP TLS set-up failed (ca_file {s.ca_file!r}?): {exc}") from exc
        with self._guard("connecting"):
            client = self._factory(
                s.host,
                port=s.port,
                ssl=s.security == "tls",
                ssl_context=context if s.security == "tls" else None,
                timeout=s.timeout,
            )
        try:
            with self._guard("starting TLS"):
                if s.security == "starttls":
                    if not client.has_capability("STARTTLS"):
                        raise MailboxError(
                            f"IMAP server {self._where} does not offer STARTTLS; "
                            'use security = "tls" (port 993), or "none" on a trusted network'
                        )
                    client.starttls(context)
            self._login(client, secret)
        except BaseException:
            _shutdown_quietly(client)
            raise
        log.info("imap connected server=%s user=%s", self._where, s.username)
        return client

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.ca_file or None)
        if not self.settings.tls_verify:
            # Only when configured: a self-signed server on a network the admin trusts.
            log.warning("imap TLS certificate verification is off server=%s", self._where)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _login(self, client: IMAPClient, secret: str) -> None:
        s = self.settings
        how = "XOAUTH2 login" if s.auth == "xoauth2" else "login"
        try:
            if s.auth == "xoauth2":
                client.oauth2_login(s.username, secret)
            else:
                client.login(s.username, secret)
        except LoginError as exc:
            raise MailboxAuthError(
                f"IMAP {how} to {self._where} as {s.username} refused: {reason(exc)}"
            ) from exc
        except (IMAPClient.Error, OSError) as exc:
            raise MailboxError(f"IMAP {how} to {self._where} failed: {reason(exc)}") from exc

    def _connected(self) -> IMAPClient:
        self.connect()
        assert self._client is not None
        return self._client

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        self._idling.clear()
        if client is not None:
            _shutdown_quietly(client)

    def close(self) -> None:
        """Log out; a connection that is already dead is simply forgotten."""
        client, self._client = self._client, None
        self._selected = None
        self._idling.clear()
        if client is None:
            return
        try:
            client.logout()
        except (IMAPClient.Error, OSError):
            _shutdown_quietly(client)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Turn library and socket errors into one-line MailboxErrors."""
        try:
            yield
        except MailboxError:
            raise
        except IMAPClient.AbortError as exc:  # the connection is gone
            self._drop()
            raise MailboxError(
                f"IMAP {self._where}: connection lost while {doing}: {reason(exc)}"
            ) from exc
        except IMAPClient.Error as exc:  # NO/BAD: the connection is still usable
            raise MailboxError(f"IMAP {self._where}: {doing} failed: {reason(exc)}") from exc
        except ssl.SSLError as exc:
            self._drop()
            raise MailboxError(
                f"IMAP {self._where}: TLS failed while {doing}: {reason(exc)} "
                "(is this a TLS port? is the certificate trusted?)"
            ) from exc
        except OSError as exc:  # refused, unreachable, DNS, timeouts
            self._drop()
            raise MailboxError(f"IMAP {self._where}: {doing} failed: {reason(exc)}") from exc

    # -- folder state ------------------------------------------------------------------

    def _select(self, client: IMAPClient, folder: str) -> dict[bytes, Any]:
        self._selected = None  # a failed SELECT leaves no folder selected
        with self._guard(f"selecting folder {folder!r}"):
            info = client.select_folder(folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        if self._high_uid is None or self._uidvalidity_seen != (folder, uidvalidity):
            # First look, or UIDs renumbered: what exists now is not "new mail".
            self._high_uid = int(info.get(b"UIDNEXT", 1)) - 1
            self._uidvalidity_seen = (folder, uidvalidity)
        self._selected = (folder, uidvalidity)
        flags = info.get(b"PERMANENTFLAGS", ())
        self._can_keyword = b"\\*" in flags or DONE_KEYWORD in flags
        return info

    def _select_afresh(self, folder: str) -> dict[bytes, Any]:
        """SELECT ``folder``; on a new connection if the one we held turns out dead.

        The server may have closed an idle connection (timeout, restart) since our last
        command; SELECT has no side effects, so one retry on a fresh connection is safe.
        """
        reused = self._client is not None
        try:
            return self._select(self._connected(), folder)
        except MailboxError:
            if not reused or self._client is not None:
                raise  # a refusal, not a lost connection
            log.info("imap reconnecting server=%s", self._where)
            return self._select(self._connected(), folder)

    def _selected_uidvalidity(self, client: IMAPClient, folder: str) -> int:
        if self._selected is None or self._selected[0] != folder:
            self._select(client, folder)
        assert self._selected is not None
        return self._selected[1]

    def _ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if folder in self._folders_made:
            return
        with self._guard(f"creating folder {folder!r}"):
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except IMAPClient.Error:
                    # Another worker may have just created it; only then is this fine.
                    if not client.folder_exists(folder):
                        raise
                client.subscribe_folder(folder)
        self._folders_made.add(folder)

    # -- MailSource --------------------------------------------------------------------

    def fetch(self) -> Iterator[FetchedMail]:
        """The mails still to do in the folder, oldest UID first, ``batch_size`` at a time.

        Bodies are read with BODY.PEEK[], so fetching never sets \\Seen. A mail over
        ``max_message_bytes`` comes with ``oversized`` set, holding only its header. Mails may
        be marked done while this iterates. If the folder's UIDVALIDITY changes meanwhile,
        this stops with MailboxError rather than read UIDs that now name other mails.
        """
        s = self.settings
        folder = s.folder
        info = self._select_afresh(folder)  # always: a new UIDVALIDITY, new mails
        client = self._connected()
        uidvalidity = int(info[b"UIDVALIDITY"])
        with self._guard(f"searching {folder!r}"):
            uids = sorted(client.search(TODO_CRITERIA))
        self._high_uid = max([int(info.get(b"UIDNEXT", 1)) - 1, *uids])
        log.info("imap to do folder=%s uidvalidity=%s count=%d", folder, uidvalidity, len(uids))
        batch_size = max(1, s.batch_size)
        for start in range(0, len(uids), batch_size):
            chunk = uids[start : start + batch_size]
            client = self._connected()
            if self._selected_uidvalidity(client, folder) != uidvalidity:
                raise MailboxError(
                    f"IMAP {self._where}: UIDVALIDITY of {folder!r} changed during fetch; "
                    "fetch again"
                )
            with self._guard(f"fetching sizes in {folder!r}"):
                found = client.fetch(chunk, ["RFC822.SIZE"])
            sizes = {uid: int(data[b"RFC822.SIZE"]) for uid, data in found.items()}
            for group, oversized in plan_batches(chunk, sizes, s.max_message_bytes):
                item = f"BODY.PEEK[HEADER]<0.{HEADER_PEEK_BYTES}>" if oversized else "BODY.PEEK[]"
                with self._guard(f"fetching mails in {folder!r}"):
                    bodies = client.fetch(group, [item])
                for uid in group:
                    data = bodies.get(uid)
                    key = make_key(folder, uidvalidity, uid)
                    raw = fetched_bytes(data, HEADER_ITEMS if oversized else BODY_ITEMS)
                    if raw is None:
                        # Moved away by another worker since the search: Dovecot leaves the
                        # UID out, or (expunged since this session last heard) gives it a
                        # NIL body. It is that worker's mail now.
                        log.info("imap gone before its fetch key=%s", key)
                        continue
                    if oversized:
                        log.warning("imap oversized key=%s size=%d", key, sizes[uid])
                        yield FetchedMail(key=key, raw=raw, mailbox=folder, oversized=sizes[uid])
                    else:
                        yield FetchedMail(key=key, raw=raw, mailbox=folder)

    def mark_done(self, mail: FetchedMail) -> None:
        """Take a committed mail off the to-do list: MOVE to processed, else the keyword."""
        self.mark_done_batch([mail])

    def mark_done_batch(self, mails: Sequence[FetchedMail]) -> None:
        """`mark_done` for mails of one folder, with one command for all their UIDs (a MOVE
        per mail costs Dovecot more the fuller the folder)."""
        for client, uids, keys in self._locate_all(mails):
            if client.has_capability("MOVE"):
                self._move(client, uids, self.settings.processed_folder)
            elif self._can_keyword:
                with self._guard(f"flagging {describe_uids(uids)}"):
                    client.add_flags(uids, [DONE_KEYWORD], silent=True)
            else:
                self._copy_out(client, uids, self.settings.processed_folder)
            for key in keys:
                log.info("imap done key=%s", key)

    def quarantine(self, mail: FetchedMail) -> None:
        """Put a mail aside in the quarantine folder, out of the to-do list."""
        self.quarantine_batch([mail])

    def quarantine_batch(self, mails: Sequence[FetchedMail]) -> None:
        folder = self.settings.quarantine_folder
        for client, uids, keys in self._locate_all(mails):
            if client.has_capability("MOVE"):
                self._move(client, uids, folder)
            else:
                self._copy_out(client, uids, folder)
            for key in keys:
                log.info("imap quarantined key=%s folder=%s", key, folder)

    def _locate_all(
        self, mails: Sequence[FetchedMail]
    ) -> Iterator[tuple[IMAPClient, list[int], list[str]]]:
        """The client and UIDs for ``mails``, by folder, provided each folder's UIDVALIDITY
        still matches.

        A changed UIDVALIDITY raises MailboxError and nothing is touched: the mails are
        fetched again under their new keys, and the database recognises them by Message-ID.
        """
        by_folder: dict[tuple[str, int], tuple[list[int], list[str]]] = {}
        for mail in mails:
            folder, uidvalidity, uid = parse_key(mail.key)
            uids, keys = by_folder.setdefault((folder, uidvalidity), ([], []))
            uids.append(uid)
            keys.append(mail.key)
        for (folder, uidvalidity), (uids, keys) in by_folder.items():
            client = self._connected()
            current = self._selected_uidvalidity(client, folder)
            if current != uidvalidity:
                raise MailboxError(
                    f"IMAP {self._where}: {keys[0]} is stale: UIDVALIDITY of {folder!r} is "
                    f"now {current}; the mail was left in place and will be fetched again"
                )
            yield client, uids, keys

    def _move(self, client: IMAPClient, uids: list[int], folder: str) -> None:
        self._ensure_folder(client, folder)
        with self._guard(f"moving {describe_uids(uids)} to {folder!r}"):
            _on_those_left(client, uids, lambda: client.move(uids, folder))

    def _copy_out(self, client: IMAPClient, uids: list[int], folder: str) -> None:
        self._ensure_folder(client, folder)
        with self._guard(f"copying {describe_uids(uids)} to {folder!r}"):
            if not _on_those_left(client, uids, lambda: client.copy(uids, folder)):
                return  # not copied: not to be deleted either
            flags = [b"\\Deleted", DONE_KEYWORD] if self._can_keyword else [b"\\Deleted"]
            _on_those_left(client, uids, lambda: client.add_flags(uids, flags, silent=True))
            if client.has_capability("UIDPLUS"):
                _on_those_left(client, uids, lambda: client.uid_expunge(uids))

    # -- waiting for mail --------------------------------------------------------------

    @property
    def idling(self) -> bool:
        """True while `wait_for_mail` is parked in IDLE (for status output and tests)."""
        return self._idling.is_set()

    def wait_for_mail(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds for new mail; True as soon as there is some.

        "New" means a UID above the highest one seen by the last `fetch` (or by the first
        look, if nothing was fetched yet), so mail that arrived while we were busy counts
        too. Uses IDLE where offered, renewed every 25 minutes; otherwise sleeps and looks.
        """
        stop = stop or threading.Event()
        folder = self.settings.folder
        deadline = time.monotonic() + timeout
        if self._selected is None or self._selected[0] != folder:
            self._select_afresh(folder)
        client = self._connected()
        if self._has_new_mail(client):
            return True
        if not client.has_capability("IDLE"):
            stop.wait(max(0.0, deadline - time.monotonic()))
            return not stop.is_set() and self._has_new_mail(self._connected())
        while time.monotonic() < deadline and not stop.is_set():
            until = min(deadline, time.monotonic() + IDLE_RENEW_SECONDS)
            try:
                with self._guard("waiting in IDLE"):
                    if idle_until(client, until, stop, self._idling):
                        return True
            except BaseException:
                # Interrupted mid-IDLE (or the connection broke): its state is unknown.
                self._drop()
                raise
        return False

    def _has_new_mail(self, client: IMAPClient) -> bool:
        assert self._high_uid is not None  # set by every SELECT
        with self._guard("looking for new mail"):
            # NOOP first: the server only shows us mail added by others after a sync.
            client.noop()
            # "n:*" always matches the last mail, even below n: hence the filter.
            found = client.search(["UID", f"{self._high_uid + 1}:*", *TODO_CRITERIA])
        return any(uid > self._high_uid for uid in found)


GONE_RETRIES = 3


def _on_those_left(client: IMAPClient, uids: list[int], command: Callable[[], object]) -> bool:
    """Run a UID set command for those of ``uids`` still in the folder; False if it could
    not be done (they stay on the to-do list for the next pass).

    Another worker may have taken some of them off meanwhile. A server that has not told
    this session yet refuses the whole command (NO [EXPUNGEISSUED]; Dovecot then moves
    none of them): a NOOP brings the news of the expunges, after which those UIDs are
    simply ignored, and the command is run again."""
    for _ in range(GONE_RETRIES):
        try:
            command()
            return True
        except IMAPClient.Error as exc:
            if "EXPUNGEISSUED" not in str(exc) or isinstance(exc, IMAPClient.AbortError):
                raise
            log.info("imap some already gone %s: catching up and trying again",
                     describe_uids(uids))
            client.noop()
    log.warning("imap %s: still refused after %d tries, left for the next pass",
                describe_uids(uids), GONE_RETRIES)
    return False


def _shutdown_quietly(client: IMAPClient) -> None:
    with suppress(IMAPClient.Error, OSError):  # already closed: nothing left to release
        client.shutdown()
