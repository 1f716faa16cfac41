"""Sending notices: SMTP through aiosmtplib, or the embedded default's Maildir of sent mail.

Both senders hand out a *session*: `with sender.session() as s: s.send_each(mails, after)`
sends many messages over one connection (throughput: a benchmark sends thousands). A
failure is either a `TransientSendError` (retry later: the server is unreachable, answered
4xx, or refused our login or envelope sender, which is a configuration matter an admin
fixes, not the notice's fault) or a `PermanentSendError` (5xx for this message: the
recipient or the content was refused; retrying changes nothing). One recipient's refusal
never affects the other messages of the session. Once the server cannot be reached, the
rest of the session fails fast instead of waiting for a timeout per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib

from inbox_worker.config import SmtpSettings
from inbox_worker.errors import InboxWorkerError

log = logging.getLogger("inbox_worker.smtp")


class SendError(InboxWorkerError):
    """A notice could not be handed over."""


class TransientSendError(SendError):
    """Try again later: the server is down, busy (4xx), or not accepting our login."""


class PermanentSendError(SendError):
    """The server refused this message for good (5xx for its recipient or content)."""


class PartlyRefusedError(SendError):
    """Sent, but not to every recipient (an alert to several technicians, one of whom the
    server refused): the mail went; the refusals are recorded."""


@dataclass(frozen=True)
class OutgoingMail:
    raw: bytes
    sender: str
    recipient: str
    # Further recipients of the same transaction (an alert to several technicians). Never
    # taken apart from `recipient`: an address may hold a comma ("a,b"@example.com).
    also: tuple[str, ...] = ()


# Told, after each mail of `SendSession.send_each`, its index and its outcome (None: sent).
AfterSend = Callable[[int, SendError | None], None]


class SendSession(Protocol):
    def send_each(self, mails: Sequence[OutgoingMail], after: AfterSend) -> None:
        """Send the mails one after the other, calling `after` once each is sent or has
        failed and before the next one goes; an exception from `after` ends the run."""
        ...


class MailSender(Protocol):
    def session(self) -> AbstractContextManager[SendSession]: ...


# -- SMTP ------------------------------------------------------------------------------------


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    if not settings.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {' '.join(exc.message.split())}"[:500]
    text = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:500]


class _SmtpConnection:
    """One SMTP connection, opened on first use and reopened after the server dropped it;
    once the server cannot be reached, every later send fails fast."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None
        self._protocol: Any = None
        self._down: str | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        await self._drop()
        if self._down is not None:
            raise TransientSendError(f"not tried, the SMTP server is unavailable: {self._down}")
        settings = self.settings
        tls = settings.security in ("tls", "starttls")
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            validate_certs=settings.tls_verify,
            tls_context=_tls_context(settings) if tls else None,
            timeout=settings.timeout,
        )
        self._smtp = smtp
        try:
            await smtp.connect()
            self._protocol = smtp.protocol
            if settings.username:
                password = settings.password.resolve("[smtp] password")
                await smtp.login(settings.username, password)
        except (aiosmtplib.SMTPException, OSError, InboxWorkerError, ValueError) as exc:
            await self._drop()
            self._down = _describe(exc)
            log.error("smtp unavailable host=%s port=%s error=%s",
                      settings.host, settings.port, self._down)
            raise TransientSendError(f"SMTP server unavailable: {self._down}") from exc
        return smtp

    async def send(self, raw: bytes, *, sender: str, recipient: str,
                   also: Sequence[str] = ()) -> None:
        """Send `raw` to `recipient` and `also`; raises a `PartlyRefusedError` after a send
        that some of several recipients refused."""
        smtp = await self._connected()
        limit = self.settings.timeout
        recipients = [recipient, *also]
        try:
            # One deadline for the whole transaction (MAIL, RCPT, DATA, the message), not
            # aiosmtplib's own per reply: each of those is a timer and a wrapper around the
            # wait, about a tenth of the CPU a notice costs to send.
            async with asyncio.timeout(limit):
                refused, _ = await smtp.sendmail(sender, recipients, raw, timeout=None)
        except TimeoutError as exc:
            # Also aiosmtplib's own SMTPTimeoutError. Where the server is in the
            # transaction is unknown: this connection is done.
            await self._drop()
            raise TransientSendError(
                f"no answer from the SMTP server within {limit:g} s"
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0] if exc.recipients else None
            code = refusal.code if refusal else 0
            detail = _describe(refusal) if refusal else _describe(exc)
            if 500 <= code < 600:
                raise PermanentSendError(f"recipient refused: {detail}") from exc
            raise TransientSendError(f"recipient deferred: {detail}") from exc
        except aiosmtplib.SMTPSenderRefused as exc:
            # 552 at MAIL FROM is the SIZE check: this message is too big, for good.
            # Any other refusal of our envelope sender hits every notice alike.
            if exc.code == 552:
                raise PermanentSendError(f"message refused: {_describe(exc)}") from exc
            raise TransientSendError(f"sender refused: {_describe(exc)}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and isinstance(exc, aiosmtplib.SMTPDataError):
                raise PermanentSendError(f"message refused: {_describe(exc)}") from exc
            raise TransientSendError(_describe(exc)) from exc
        except ValueError as exc:
            # aiosmtplib refuses an address it cannot put on the wire safely.
            raise PermanentSendError(f"unusable address: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._drop()
            raise TransientSendError(f"connection lost: {_describe(exc)}") from exc
        if refused:
            raise PartlyRefusedError("sent, but refused for " + "; ".join(
                f"{address}: {reply.code} {' '.join(reply.message.split())}"[:300]
                for address, reply in refused.items()))

    async def _drop(self) -> None:
        smtp, protocol = self._smtp, self._protocol
        self._smtp = self._protocol = None
        if smtp is not None:
            smtp.close()
        await _closed(protocol)

    async def close(self) -> None:
        smtp, protocol = self._smtp, self._protocol
        if smtp is not None and smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()
        await self._drop()
        await _closed(protocol)


async def _closed(protocol: Any, timeout: float = 2.0) -> None:
    """Wait until a closed connection is really gone: TLS sends close_notify and waits for
    the peer's on later turns of the loop, and a loop closed before that leaks the socket."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while protocol is not None and protocol.transport is not None and loop.time() < deadline:
        await asyncio.sleep(0.005)


async def _send_each(connection: _SmtpConnection, mails: Sequence[OutgoingMail],
                     after: AfterSend) -> None:
    """`SendSession.send_each` over one connection."""
    for index, mail in enumerate(mails):
        error: SendError | None = None
        try:
            await connection.send(mail.raw, sender=mail.sender, recipient=mail.recipient,
                                  also=mail.also)
        except SendError as exc:
            error = exc
        after(index, error)


class _SyncSmtpSession:
    """A blocking face on one `_SmtpConnection`, with its own event loop. Use it from a
    thread that is not running an event loop (the worker's sender is plain threads)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._loop = asyncio.new_event_loop()
        self._connection = _SmtpConnection(settings)

    def send_each(self, mails: Sequence[OutgoingMail], after: AfterSend) -> None:
        # One turn of the loop for the whole run, not one per mail: a run of the loop costs
        # about as much CPU as a quarter of a send.
        self._loop.run_until_complete(_send_each(self._connection, mails, after))

    def close(self) -> None:
        loop = self._loop
        try:
            loop.run_until_complete(self._connection.close())
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()


class SmtpSender:
    """Notices over SMTP, as configured in `[smtp]`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, raw: bytes, *, sender: str, recipient: str) -> None:
        """Send one message on a connection of its own."""
        connection = _SmtpConnection(self.settings)
        try:
            await connection.send(raw, sender=sender, recipient=recipient)
        finally:
            await connection.close()

    async def send_many(self, mails: Sequence[OutgoingMail]) -> list[SendError | None]:
        """Send every mail over one connection; the outcome of each, in order."""
        connection = _SmtpConnection(self.settings)
        outcomes: list[SendError | None] = [None] * len(mails)

        def keep(index: int, error: SendError | None) -> None:
            outcomes[index] = error

        try:
            await _send_each(connection, mails, keep)
        finally:
            await connection.close()
        return outcomes

    def send_batch(self, mails: Sequence[OutgoingMail]) -> list[SendError | None]:
        """The blocking `send_many`."""
        return asyncio.run(self.send_many(mails))

    @contextmanager
    def session(self) -> Iterator[SendSession]:
        """A blocking session: one connection for every `send` until the block ends."""
        session = _SyncSmtpSession(self.settings)
        try:
            yield session
        finally:
            session.close()


# -- Maildir ---------------------------------------------------------------------------------


class MaildirSender:
    """The embedded default: each notice becomes a file in the Maildir `path` (`var/sent`).

    The file name is derived from the message's bytes, which never change between retries,
    so a notice written again after a crash replaces itself instead of appearing twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._made = False

    def write(self, raw: bytes, *, sender: str, recipient: str) -> str:
        """Write the notice (once); the path of its file. Paths are plain strings here: a
        `Path` interns each name it parses, and a table grown by every notice's unique name
        never shrinks."""
        if not self._made:
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
            self._made = True
        name = "iw-" + hashlib.sha256(raw).hexdigest()[:40]
        root = str(self.path)
        target = os.path.join(root, "new", name)
        cur = os.path.join(root, "cur", name)
        if os.path.exists(cur) or os.path.exists(cur + ":2,") or os.path.exists(target):
            return target
        content = b"Return-Path: <" + sender.encode("ascii", "replace") + b">\n"
        content += b"Delivered-To: " + recipient.encode("ascii", "replace") + b"\n"
        content += raw.replace(b"\r\n", b"\n")
        tmp = os.path.join(root, "tmp", f"{name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            with open(tmp, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            self._made = False  # the folder may be gone: made again on the retry
            raise TransientSendError(f"cannot write to {self.path}: {exc}") from exc
        return target

    async def send(self, raw: bytes, *, sender: str, recipient: str) -> None:
        self.write(raw, sender=sender, recipient=recipient)

    async def send_many(self, mails: Sequence[OutgoingMail]) -> list[SendError | None]:
        return self.send_batch(mails)

    def send_batch(self, mails: Sequence[OutgoingMail]) -> list[SendError | None]:
        outcomes: list[SendError | None] = [None] * len(mails)

        def keep(index: int, error: SendError | None) -> None:
            outcomes[index] = error

        _MaildirSession(self).send_each(mails, keep)
        return outcomes

    @contextmanager
    def session(self) -> Iterator[SendSession]:
        yield _MaildirSession(self)


class _MaildirSession:
    def __init__(self, sender: MaildirSender) -> None:
        self._sender = sender

    def send_each(self, mails: Sequence[OutgoingMail], after: AfterSend) -> None:
        for index, mail in enumerate(mails):
            error: SendError | None = None
            try:
                self._sender.write(mail.raw, sender=mail.sender, recipient=mail.recipient)
            except SendError as exc:
                error = exc
            after(index, error)


def make_sender(settings: SmtpSettings) -> SmtpSender | MaildirSender:
    """The sender `[smtp]` asks for (for the composition root)."""
    if settings.kind == "smtp":
        return SmtpSender(settings)
    return MaildirSender(settings.sent_path)
