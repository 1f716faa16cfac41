"""A real, standalone Dovecot IMAP server on 127.0.0.1 for the integration tests.

Owns: writing a self-contained configuration into a temporary directory, starting the
master process in the foreground, waiting for the greeting, users (one passwd-file per
user with a ``{PLAIN}`` password, so users are added without a reload), and a few test
helpers that talk IMAP (append, list) or doveadm (UIDVALIDITY).

Nothing here is skipped when Dovecot is missing: the CI script installs it, and a missing
server is a broken test environment, reported as `DovecotUnavailable`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"

# Dovecot 2.3's post-login capabilities. `imap_capability` replaces the list unless it
# starts with "+" (there is no "-CAP" syntax), so hiding one capability means naming all
# the others. The server still *accepts* a hidden command; clients decide by the list.
DEFAULT_CAPABILITIES = (
    "IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "SORT",
    "SORT=DISPLAY", "THREAD=REFERENCES", "THREAD=REFS", "THREAD=ORDEREDSUBJECT",
    "MULTIAPPEND", "URL-PARTIAL", "CATENATE", "UNSELECT", "CHILDREN", "NAMESPACE", "UIDPLUS",
    "LIST-EXTENDED", "I18NLEVEL=1", "CONDSTORE", "QRESYNC", "ESEARCH", "ESORT", "SEARCHRES",
    "WITHIN", "CONTEXT=SEARCH", "LIST-STATUS", "BINARY", "MOVE", "SNIPPET=FUZZY",
    "PREVIEW=FUZZY", "PREVIEW", "STATUS=SIZE", "SAVEDATE", "LITERAL+", "NOTIFY",
)  # fmt: skip

START_TIMEOUT = 15.0


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or would not start; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    """One Dovecot instance. Use as a context manager, or `start()` / `stop()`.

    ``hide_capabilities`` removes capabilities from what the server advertises after login
    (e.g. ``("MOVE",)`` to exercise a client's no-MOVE path against a real server).
    """

    def __init__(self, *, hide_capabilities: Iterable[str] = ()) -> None:
        if not os.path.exists(DOVECOT):
            raise DovecotUnavailable(
                f"{DOVECOT} not found: install Dovecot (apt-get install dovecot-imapd) "
                "to run the IMAP integration tests"
            )
        self.hidden = frozenset(c.upper() for c in hide_capabilities)
        self.imap_port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        # /tmp/... from mkdtemp is 0700; the login (dovenull) and internal (dovecot)
        # users must traverse it to reach their sockets under base_dir.
        self.root = Path(tempfile.mkdtemp(prefix="iw-dovecot-", dir="/tmp"))
        self.root.chmod(0o755)
        self.home = self.root / "home"
        self.passwd_dir = self.root / "passwd.d"
        self.config = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        self.users: dict[str, str] = {}
        self._prepare()

    # -- lifecycle ---------------------------------------------------------------------

    def _prepare(self) -> None:
        self.home.mkdir()
        # Dovecot creates each user's home as uid mail, so their parent must be mail's.
        shutil.chown(self.home, "mail", "mail")
        self.passwd_dir.mkdir()
        capability = ""
        if self.hidden:
            shown = [c for c in DEFAULT_CAPABILITIES if c not in self.hidden]
            capability = f"imap_capability = {' '.join(shown)}\n"
        self.config.write_text(
            f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
info_log_path = {self.log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
# XOAUTH2 too: Dovecot 2.3 checks the bearer token against the passdb like a password,
# so the OAuth2 login path is exercised with the user's password as the token.
auth_mechanisms = plain login xoauth2
# Tests try wrong passwords on purpose; the 2 s anti-brute-force delay only slows them.
auth_failure_delay = 0
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
# IDLE hears of new mail through inotify; all imap processes run as `mail`, whose inotify
# instances (128 by default) a whole suite's sessions can use up, and Dovecot then looks
# every 30 s instead: longer than the tests wait. A second keeps IDLE prompt either way.
mailbox_idle_check_interval = 1 secs
{capability}
# One file per user: Dovecot re-reads a changed passwd-file at most once a second, so a
# user added right after another's login would be refused; a new path is read at once.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.passwd_dir}/%u
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={self.home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# After a failed login, anvil's per-IP "auth penalty" delays the next logins from that
# IP by seconds; mode 0 on its socket is Dovecot's documented way to turn it off.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )

    def start(self) -> None:
        if self._proc is not None:
            return
        # -F: stay in the foreground, so the process is ours to wait for and stop.
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                stderr = self._proc.stderr.read() if self._proc.stderr else b""
                self._proc = None
                raise DovecotUnavailable(
                    f"dovecot exited at start: {stderr.decode(errors='replace').strip()}"
                    + self._log_tail()
                )
            if self._greets():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise DovecotUnavailable(
                    f"dovecot did not answer on port {self.imap_port}" + self._log_tail()
                )
            time.sleep(0.02)

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _log_tail(self) -> str:
        try:
            return "\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        # The master has exited; wait until nothing answers so a restart binds cleanly.
        deadline = time.monotonic() + 10
        while self._greets() and time.monotonic() < deadline:
            time.sleep(0.02)

    def restart(self) -> None:
        """Stop and start again: same port, same users, same mail."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- users and mail ----------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        if ":" in name or ":" in password or "\n" in name + password:
            raise ValueError("user names and passwords must not contain ':' or newlines")
        if "/" in name or name.startswith("."):
            raise ValueError("user names must not contain '/' or start with '.'")
        if name in self.users:
            raise ValueError(f"user {name} exists already")
        self.users[name] = password
        path = self.passwd_dir / name
        path.write_text(f"{name}:{{PLAIN}}{password}\n")
        path.chmod(0o644)

    def client(self, user: str) -> IMAPClient:
        """A logged-in IMAPClient for ``user``; the caller logs out (use ``with``)."""
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, folder: str, raw: bytes, flags: Iterable[bytes] = ()) -> None:
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            c.append(folder, raw, flags=tuple(flags))

    def list_folder(self, user: str, folder: str) -> list[bytes]:
        """The raw messages in ``folder``, in UID order ([] if the folder does not exist)."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = sorted(c.search(["ALL"]))
            if not uids:
                return []
            data = c.fetch(uids, ["BODY.PEEK[]"])
            return [data[uid][b"BODY[]"] for uid in uids if uid in data]

    def flags(self, user: str, folder: str) -> list[tuple[bytes, ...]]:
        """The flags of each message in ``folder``, in UID order."""
        with self.client(user) as c:
            c.select_folder(folder, readonly=True)
            uids = sorted(c.search(["ALL"]))
            data = c.get_flags(uids) if uids else {}
            return [tuple(data[uid]) for uid in uids]

    def uidvalidity(self, user: str, folder: str) -> int:
        with self.client(user) as c:
            return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder_with_new_uidvalidity(self, user: str, folder: str) -> int:
        """Give ``folder`` a new, higher UIDVALIDITY while keeping its mails; return it.

        Works for INBOX too (which cannot be deleted and re-created): doveadm sets the
        value in the index, as a restored backup or a migrated server would change it.
        """
        new = self.uidvalidity(user, folder) + 1000
        done = subprocess.run(
            [
                DOVEADM,
                "-c",
                str(self.config),
                "mailbox",
                "update",
                "-u",
                user,
                "--uid-validity",
                str(new),
                folder,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm mailbox update failed: {done.stderr.strip()}")
        return new
