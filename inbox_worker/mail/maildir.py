"""The embedded default's mailbox: a local Maildir, and the `ingest` command's files.

Done mails are moved (one atomic rename) into the Maildir++ subfolder ``.Processed``, and
quarantined ones into ``.Quarantine``, so the folder itself stays the to-do list. New mail
shows as a change of ``new/`` or ``cur/`` (a delivery renames a file into one of them), which
`wait_for_mail` looks at a few times a second: one stat each, and no inotify to depend on.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from inbox_worker.errors import MailboxError
from inbox_worker.mail.source import FetchedMail

SUBDIRS = ("tmp", "new", "cur")
# How often `wait_for_mail` looks at the folder.
WAIT_STEP_SECONDS = 0.25
# How many mails one pass over the folder picks (oldest first): the bound on what a sync holds.
FETCH_WINDOW = 20_000


def ensure_maildir(path: Path) -> None:
    for sub in SUBDIRS:
        (path / sub).mkdir(parents=True, exist_ok=True)


class MaildirSource:
    """Mails in ``new/`` and ``cur/`` of a Maildir, oldest delivery first."""

    name = "maildir"

    def __init__(self, path: Path, *, processed_folder: str = "Processed",
                 quarantine_folder: str = "Quarantine") -> None:
        self.path = path
        self.done_dir = path / f".{processed_folder}"
        self.quarantine_dir = path / f".{quarantine_folder}"
        try:
            ensure_maildir(path)
        except OSError as exc:
            raise MailboxError(f"cannot use Maildir {path}: {exc}") from exc
        self._looked = self._changes()
        # Where each mail of this pass was read from, by key, until it is moved: moving it
        # then needs no listing of the folder (a listing per mail made a first sync of
        # 200,000 mails quadratic: 20 mails a second).
        self._fetched: dict[str, str] = {}

    def fetch(self) -> Iterator[FetchedMail]:
        """Every mail, oldest first, in windows of `FETCH_WINDOW`: each window is the oldest
        mails after the previous one, kept in a bounded heap while the folder streams past, so
        a first sync of hundreds of thousands of mails holds one window in memory, not the
        whole listing. A mail delivered meanwhile with an older time waits for the next pass."""
        self._looked = self._changes()  # before the listing: what comes during it is new
        self._fetched.clear()  # a new pass: those left from the last are listed again
        after: tuple[float, str, str] | None = None
        # Plain strings, not `Path`s, for the files: pathlib interns every name it parses,
        # and the interpreter's table of interned strings, grown by 200,000 unique mail
        # names, never shrinks (13 MiB of a first sync's growth).
        folders = {sub: os.path.join(self.path, sub) for sub in ("new", "cur")}
        while True:
            window = heapq.nsmallest(FETCH_WINDOW, self._entries(after))
            for _mtime, name, sub in window:
                file = os.path.join(folders[sub], name)
                try:
                    with open(file, "rb") as handle:
                        raw = handle.read()
                except FileNotFoundError:
                    continue  # taken by another process meanwhile
                except OSError as exc:
                    raise MailboxError(f"cannot read {file}: {exc}") from exc
                key = name.split(":", 1)[0]
                self._fetched[key] = file
                yield FetchedMail(key=f"maildir:{key}", raw=raw, mailbox=self.path.name)
            if len(window) < FETCH_WINDOW:
                return
            after = window[-1]

    def _entries(self, after: tuple[float, str, str] | None) -> Iterator[tuple[float, str, str]]:
        """(delivery time, file name, subfolder) of each mail in ``new/`` and ``cur/`` that
        sorts after `after`, streamed from the directory listing."""
        for sub in ("new", "cur"):
            try:
                with os.scandir(self.path / sub) as scan:
                    for entry in scan:
                        if entry.name.startswith("."):
                            continue
                        try:
                            if not entry.is_file():
                                continue
                            item = (entry.stat().st_mtime, entry.name, sub)
                        except FileNotFoundError:
                            continue  # moved away by another process since the listing
                        if after is None or item > after:
                            yield item
            except OSError as exc:
                raise MailboxError(f"cannot read Maildir {self.path}: {exc}") from exc

    def mark_done(self, mail: FetchedMail) -> None:
        self._move(mail, self.done_dir)

    def mark_done_batch(self, mails: Sequence[FetchedMail]) -> None:
        for mail in mails:
            self._move(mail, self.done_dir)

    def quarantine(self, mail: FetchedMail) -> None:
        self._move(mail, self.quarantine_dir)

    def quarantine_batch(self, mails: Sequence[FetchedMail]) -> None:
        for mail in mails:
            self._move(mail, self.quarantine_dir)

    def wait_for_mail(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """True once ``new/`` or ``cur/`` changed since the last `fetch` (our own moves out
        of them count too: the next pass then finds nothing, at the cost of one listing)."""
        deadline = time.monotonic() + timeout
        stop = stop or threading.Event()
        while self._changes() == self._looked:
            left = deadline - time.monotonic()
            if left <= 0 or stop.wait(min(left, WAIT_STEP_SECONDS)):
                return False
        return True

    def close(self) -> None:
        pass

    def _changes(self) -> tuple[int, ...]:
        try:
            return tuple((self.path / sub).stat().st_mtime_ns for sub in ("new", "cur"))
        except OSError as exc:
            raise MailboxError(f"cannot read Maildir {self.path}: {exc}") from exc

    def _move(self, mail: FetchedMail, folder: Path) -> None:
        key = mail.key.removeprefix("maildir:")
        ensure_maildir(folder)
        fetched = self._fetched.pop(key, None)
        if fetched is not None:
            try:
                os.replace(fetched, os.path.join(folder, "cur", os.path.basename(fetched)))
                return
            except FileNotFoundError:
                pass  # renamed (flags) or taken meanwhile: look for it
        # Not fetched by this source, or gone from where it was: its file is `key` or
        # `key:2,FLAGS` in new/ or cur/. The glob lists the folder: fine for one mail, not
        # for each of a first sync's (hence the path kept from the fetch).
        for sub in ("new", "cur"):
            directory = self.path / sub
            for candidate in (directory / key, *directory.glob(f"{_glob_escape(key)}:*")):
                if candidate.exists():
                    try:
                        os.replace(candidate, folder / "cur" / candidate.name)
                    except FileNotFoundError:
                        continue
                    return


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


class RawSource:
    """The `ingest` command's input: files, or one mail on stdin (an MTA pipe).

    Nothing to move afterwards: the database record (ticket entry or quarantine) is the
    outcome, and the key, a hash of the bytes, makes a second delivery of the same bytes a
    no-op.
    """

    name = "ingest"

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = list(files)

    def fetch(self) -> Iterator[FetchedMail]:
        if not self.files:
            yield self.fetched_from(sys.stdin.buffer.read(), "stdin")
            return
        for file in self.files:
            try:
                raw = file.read_bytes()
            except OSError as exc:
                raise MailboxError(f"cannot read {file}: {exc.strerror or exc}") from exc
            yield self.fetched_from(raw, "ingest")

    @staticmethod
    def fetched_from(raw: bytes, mailbox: str) -> FetchedMail:
        return FetchedMail(key=f"ingest:{hashlib.sha256(raw).hexdigest()}", raw=raw,
                           mailbox=mailbox)

    def mark_done(self, mail: FetchedMail) -> None:
        pass

    def mark_done_batch(self, mails: Sequence[FetchedMail]) -> None:
        pass

    def quarantine(self, mail: FetchedMail) -> None:
        pass

    def quarantine_batch(self, mails: Sequence[FetchedMail]) -> None:
        pass

    def wait_for_mail(self, timeout: float, stop: threading.Event | None = None) -> bool:
        return False  # given files, once: nothing more comes

    def close(self) -> None:
        pass
