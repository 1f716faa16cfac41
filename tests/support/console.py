"""The real `inbox-worker web` as a process for browser tests (and scripts/screenshot-console):
a throwaway configuration (SQLite, a Maildir mailbox, a template folder of its own), the
console started on a free port and stopped by SIGTERM, `poll --once` beside it, and a
customer mail dropped into the Maildir.

Nothing here imports the test servers: `smtp_port` None sends notices into the Maildir
`sent/` of the folder (the embedded default), so the screenshot script needs no SMTP server.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "inbox-worker"
ADMIN = "admin@example.com"
TECH = "tech@example.com"
CHROMIUM = Path("/usr/bin/chromium")
_numbers = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ConsoleSetup:
    config: Path
    port: int
    mail: Path  # the Maildir the worker reads
    sent: Path  # the Maildir of sent notices (when there is no SMTP server)
    templates: Path
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def console_setup(folder: Path, smtp_port: int | None = None) -> ConsoleSetup:
    """A configuration in ``folder``: SQLite, a Maildir, its own templates, one admin and one
    technician, [web] on a free port; notices to SMTP on ``smtp_port`` (else a Maildir)."""
    port = free_port()
    mail, sent, templates = folder / "mail", folder / "sent", folder / "templates"
    for sub in ("new", "cur", "tmp"):
        (mail / sub).mkdir(parents=True, exist_ok=True)
    templates.mkdir(exist_ok=True)
    smtp = (f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
            if smtp_port is not None else f'[smtp]\nkind = "maildir"\nsent_path = "{sent}"\n')
    config = folder / "console.toml"
    config.write_text(f"""
[support]
address = "support@example.com"
name = "Example Support"
[database]
url = "sqlite:///{folder / 'console.db'}"
[mailbox]
url = "maildir:{mail}"
{smtp}
[templates]
dir = "{templates}"
[technicians]
addresses = ["{TECH}"]
[web]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
admins = ["{ADMIN}"]
""")
    return ConsoleSetup(config, port, mail, sent, templates, folder / "console.log")


def cli(setup: ConsoleSetup, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`inbox-worker --config C ARGS`, which must succeed."""
    done = subprocess.run([str(SCRIPT), "--config", str(setup.config), *args],
                          capture_output=True, text=True, timeout=timeout, env=_env(),
                          check=False)
    if done.returncode != 0:
        raise AssertionError(f"inbox-worker {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}{done.stderr}")
    return done


def poll_once(setup: ConsoleSetup) -> None:
    """One pass of the worker: reads the Maildir, sends what the outbox holds."""
    cli(setup, "poll", "--once")


def drop_mail(setup: ConsoleSetup, raw: bytes) -> Path:
    """A mail delivered into the Maildir (tmp/, then renamed into new/ as MTAs do)."""
    name = f"{time.time_ns()}.{os.getpid()}_{next(_numbers)}.test"
    tmp = setup.mail / "tmp" / name
    tmp.write_bytes(raw)
    return tmp.rename(setup.mail / "new" / name)


class Console:
    """`inbox-worker web` running until ``stop()``, which sends SIGTERM and returns the exit
    status (the log is in ``setup.log``)."""

    def __init__(self, setup: ConsoleSetup) -> None:
        self.setup = setup
        self._log = setup.log.open("ab")
        self.process = subprocess.Popen(
            [str(SCRIPT), "--config", str(setup.config), "web"], env=_env(),
            stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_listening(timeout=30)

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"inbox-worker web exited {self.process.returncode}:\n"
                                     f"{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.setup.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"inbox-worker web did not listen within {timeout}s:"
                                         f"\n{self.log_text()}") from None
                time.sleep(0.05)

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.setup.log.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM; the exit status (the process is killed if it does not end in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"inbox-worker web ignored SIGTERM for {timeout}s:\n"
                                     f"{self.log_text()}") from None
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _env() -> dict[str, str]:
    return {"PATH": f"{SCRIPT.parent}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8"}
