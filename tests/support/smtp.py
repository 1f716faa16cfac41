"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), with scripted refusals.

`SmtpServer` records every accepted envelope, can be told to answer a given recipient with
a temporary (421, 451) or permanent (550) reply, to take its time over each mail (a slow
relay, so that a kill lands mid-send), and can be stopped and started again on the same
port, which is how the tests play "SMTP down, then up again".
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes = field(repr=False)

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingHandler:
    """aiosmtpd handler: accepts everything except the recipients it is told to refuse."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        # Seconds spent on each mail before it is accepted.
        self.accept_delay = 0.0
        self._lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.data_reply is not None:
            return self.data_reply
        if self.accept_delay:
            await asyncio.sleep(self.accept_delay)
        content = envelope.original_content or envelope.content
        with self._lock:
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(content))
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """An aiosmtpd `Controller` on loopback that can go down and come back on its port."""

    def __init__(self, **controller_kwargs: Any) -> None:
        """`controller_kwargs` go to aiosmtpd's Controller and SMTP: `tls_context` and
        `require_starttls` for STARTTLS, `ssl_context` for implicit TLS, `authenticator`."""
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RecordingHandler()
        self._kwargs = controller_kwargs
        self._controller: Controller | None = None

    def start(self) -> None:
        assert self._controller is None, "already running"
        controller = Controller(
            self.handler, hostname=self.host, port=self.port, ready_timeout=10, **self._kwargs
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    # -- scripting -----------------------------------------------------------------------

    def refuse(self, recipient: str, reply: str = "550 5.1.1 No such user here") -> None:
        """Answer RCPT TO for `recipient` with `reply` (421/451 temporary, 550 permanent)."""
        self.handler.rcpt_replies[recipient.lower()] = reply

    def accept_all(self) -> None:
        self.handler.rcpt_replies.clear()
        self.handler.data_reply = None

    # -- what arrived --------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip("<>") for m in self.messages()]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (openssl), as (cert, key)."""
    import subprocess

    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key
