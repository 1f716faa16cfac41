"""This process as a sender: who it is, and its heartbeat in the `workers` table.

A process's id is `host:pid:nonce`. The nonce is drawn once per process, so a restarted
process that gets the same pid (a container's pid 1, a busy host wrapping its pids) is
still another worker; the outbox rows a process claims carry its id (`claimed_by` starts
with it). The host part names the host as far as a pid means anything: the hostname for
people, then the boot and the pid namespace, so that two containers sharing a hostname
(host networking) or two cloned machines called alike are never taken for one host whose
pids can be looked up.

`Heartbeat` registers the process and beats every `HEARTBEAT_SECONDS` from a daemon thread
(a long pass through a backlog does not hold it up), and records a clean stop. Heartbeats
are written and judged (`service.liveness`) on the database's clock where it has one
(PostgreSQL), so the hosts' clocks need not agree.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.store.database import first_line
from inbox_worker.store.models import WorkerRow

log = logging.getLogger("inbox_worker.heartbeat")

HEARTBEAT_SECONDS = 10.0
# A worker is dead to other hosts once it has missed three beats and most of a fourth: one
# late beat (a slow commit, a database failover) is not death, and its notices wait at
# most this long instead of the whole lease.
STALE_AFTER = timedelta(seconds=4 * HEARTBEAT_SECONDS)
# Rows of workers gone this long are deleted when a worker registers: their claims' leases
# ran out long ago, so nothing is decided by them any more.
FORGET_AFTER = timedelta(days=1)
# The suffix of a host whose boot and pid namespace cannot be read (not Linux): its pids
# are never looked up, its workers are judged by their heartbeat only.
UNKNOWN_HOST = "?"


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    nonce: str

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.nonce}"


def _boot_and_pid_namespace() -> str | None:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None
    return f"{boot[:8]}.{namespace.strip('pid:[]')}" if boot else None


@functools.cache
def local_host() -> str:
    """`hostname/boot.pidns`: equal only for processes whose pids can see each other."""
    name = socket.gethostname()[:40].replace(":", "_").replace("/", "_") or "localhost"
    return f"{name}/{_boot_and_pid_namespace() or UNKNOWN_HOST}"


def pids_comparable(host: str) -> bool:
    """Whether a claimant on `host` can be looked up by pid from this process."""
    return host == local_host() and not host.endswith(f"/{UNKNOWN_HOST}")


_identity: ProcessIdentity | None = None
_identity_lock = threading.Lock()


def this_process() -> ProcessIdentity:
    """This process's identity, drawn once (again in a forked child: it has another pid)."""
    global _identity
    with _identity_lock:
        if _identity is None or _identity.pid != os.getpid():
            _identity = ProcessIdentity(local_host(), os.getpid(), secrets.token_hex(4))
        return _identity


def claimant_identity(claimed_by: str) -> ProcessIdentity | None:
    """The process behind an outbox row's `claimed_by` (`host:pid:nonce[:thread]`), or
    None for an id of another form (rows claimed before worker ids had a nonce)."""
    parts = claimed_by.split(":")
    if len(parts) < 3 or not parts[0] or not parts[1].isdigit() or not parts[2]:
        return None
    if int(parts[1]) <= 0:  # os.kill(0, ...) would mean our own process group
        return None
    return ProcessIdentity(parts[0], int(parts[1]), parts[2])


def database_now(session: Session) -> datetime:
    """The database server's time on PostgreSQL (one clock for every host); this host's
    elsewhere (SQLite lives on one host)."""
    if session.get_bind().dialect.name == "postgresql":
        moment = session.scalar(select(func.now()))
        if isinstance(moment, datetime):
            return moment.astimezone(UTC)
    return datetime.now(UTC)


class Heartbeat:
    """Registers this process in `workers`, beats while it runs, records its stop.

    Failures to beat are logged and tried again at the next beat: the worker goes on, and
    other hosts take its claims over only if it stays silent past `STALE_AFTER`.
    """

    def __init__(self, sessions: sessionmaker[Session], *,
                 identity: ProcessIdentity | None = None,
                 every: float = HEARTBEAT_SECONDS) -> None:
        self._sessions = sessions
        self.identity = identity or this_process()
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        self._beat(first=True)
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._every + 5)
        try:
            with self._sessions.begin() as session:
                now = database_now(session)
                session.execute(update(WorkerRow).where(WorkerRow.id == self.identity.id)
                                .values(heartbeat_at=now, stopped_at=now))
        except SQLAlchemyError as exc:
            # Others will see the heartbeat go stale (or the pid gone) instead.
            log.warning("worker stop not recorded worker=%s error=%r", self.identity.id,
                        first_line(exc))

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._beat()

    def _beat(self, *, first: bool = False) -> None:
        try:
            with self._sessions.begin() as session:
                now = database_now(session)
                row = session.get(WorkerRow, self.identity.id)
                if row is not None:
                    row.heartbeat_at = now
                else:
                    # The first beat, or the row was forgotten while we could not beat.
                    session.add(WorkerRow(id=self.identity.id, host=self.identity.host,
                                          pid=self.identity.pid, started_at=now,
                                          heartbeat_at=now))
                if first:
                    session.execute(delete(WorkerRow).where(
                        WorkerRow.heartbeat_at < now - FORGET_AFTER))
            if first:
                log.info("worker registered worker=%s", self.identity.id)
        except Exception as exc:  # noqa: BLE001 - the thread must live to beat again
            log.warning("heartbeat failed worker=%s error=%r", self.identity.id,
                        first_line(exc))
