"""Which claimants of `sending` outbox rows are dead, so that their rows go out now
instead of when the lease runs out.

A claimant is the process in a row's `claimed_by` (`host:pid:nonce`, see
`service.heartbeat`). It is dead when
- its `workers` row says it stopped;
- it ran on this host (same boot and pid namespace) and no process has its pid any more
  (or only a zombie), or the pid is ours (we hold it and are not that process), or a
  worker registered after it with the same pid (the pid went to a newer process);
- it ran on another host (or this one before a reboot), registered, and its heartbeat is
  older than `STALE_AFTER`: there a pid means nothing.
Anything else is alive: a live claimant, however slow, keeps its rows, so that no notice
goes twice. On this host a live pid that no rule explains keeps the rows until the lease
(its owner may be the claimant). A claimant on another host that never registered (an id
of the form before nonces, a one-shot command) waits for its lease as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from inbox_worker.service.heartbeat import (
    STALE_AFTER,
    ProcessIdentity,
    claimant_identity,
    database_now,
    local_host,
    pids_comparable,
    this_process,
)
from inbox_worker.store.models import OutboxItem, WorkerRow


@dataclass(frozen=True)
class DeadClaimant:
    worker: str
    reason: str  # stopped | no_process | pid_reused | heartbeat_stale
    silent_seconds: float

    def describe(self) -> str:
        return f"from={self.worker} reason={self.reason} silent={self.silent_seconds:.0f}s"


def dead_claimants(session: Session) -> dict[str, DeadClaimant]:
    """Each `claimed_by` of a `sending` row whose claimant is dead, with why."""
    claimed = session.scalars(
        select(OutboxItem.claimed_by).where(OutboxItem.state == "sending").distinct()
    )
    me = this_process().id
    others = {
        claimed_by: who for claimed_by in claimed
        if claimed_by and (who := claimant_identity(claimed_by)) is not None and who.id != me
    }
    if not others:
        return {}
    condition: ColumnElement[bool] = WorkerRow.id.in_({who.id for who in others.values()})
    local_pids = {who.pid for who in others.values() if pids_comparable(who.host)}
    if local_pids:
        # Newer workers with the same pids, for the pid-reuse rule.
        condition = or_(condition, and_(WorkerRow.host == local_host(),
                                        WorkerRow.pid.in_(local_pids)))
    rows = {row.id: row for row in session.scalars(select(WorkerRow).where(condition))}
    now = database_now(session)
    dead = {}
    for claimed_by, who in others.items():
        row = rows.get(who.id)
        reason = _why_dead(who, row, rows, now)
        if reason is not None:
            silent = (now - row.heartbeat_at).total_seconds() if row is not None else 0.0
            dead[claimed_by] = DeadClaimant(who.id, reason, max(silent, 0.0))
    return dead


def _why_dead(who: ProcessIdentity, row: WorkerRow | None, rows: dict[str, WorkerRow],
              now: datetime) -> str | None:
    if row is not None and row.stopped_at is not None:
        return "stopped"
    if pids_comparable(who.host):
        # The pid decides here, not the heartbeat: a live worker whose beat waits behind a
        # long write (SQLite) keeps its rows.
        if who.pid == os.getpid():
            return "pid_reused"
        if not process_exists(who.pid):
            return "no_process"
        if row is not None and any(
            other.host == who.host and other.pid == who.pid and other.id != who.id
            and other.started_at > row.started_at for other in rows.values()
        ):
            return "pid_reused"
        return None
    if row is not None and row.heartbeat_at < now - STALE_AFTER:
        return "heartbeat_stale"
    return None


def process_exists(pid: int) -> bool:
    """Whether a process of this pid namespace has `pid` (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # Killed and not yet reaped by its parent: it will send nothing more.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
