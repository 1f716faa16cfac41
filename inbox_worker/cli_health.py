"""`inbox-worker health [--json]`: exit 0 when the database answers and every mailbox's last
poll succeeded recently, else 1 (PRODUCT.md section 6b), for a monitor to call."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from inbox_worker.cli_output import add_json_flag, emit
from inbox_worker.config import Settings
from inbox_worker.mail.terminal import terminal_safe
from inbox_worker.service.health import Health, check_health, stale_after
from inbox_worker.service.views import iso
from inbox_worker.watch import MAX_WAIT_SECONDS


def add_health_parser(commands: Any) -> None:
    health = commands.add_parser(
        "health", help="exit 0 when the database answers and the mailboxes were polled "
                       "recently, else 1")
    health.add_argument(
        "--stale-after", type=float, metavar="SECONDS",
        help="how old the last successful poll may be (default: three of `run`'s rounds "
             "plus two minutes; set it for `poll --once` from cron)")
    add_json_flag(health)


def cmd_health(settings: Settings, args: argparse.Namespace, now: datetime) -> int:
    stale = (timedelta(seconds=args.stale_after) if args.stale_after is not None
             else stale_after(settings.poll_interval, MAX_WAIT_SECONDS))
    health = check_health(settings.database.url, now, stale)
    if args.json:
        emit(health_json(health))
    else:
        print(health_text(health))
    return 0 if health.healthy else 1


def health_json(health: Health) -> dict[str, Any]:
    """Stable keys: every one is always there, null when the database did not answer."""
    backlog = health.backlog
    oldest = backlog.oldest_unsent_at if backlog else None
    return {
        "healthy": health.healthy,
        "checked_at": iso(health.now),
        "database": "error" if health.database_error else "ok",
        "database_error": health.database_error,
        "stale_after_seconds": health.stale_after.total_seconds(),
        "last_poll_at": iso(health.last_poll_at),
        "mailboxes": [{
            "mailbox": m.poll.mailbox,
            "status": m.status,
            "last_poll_at": iso(m.poll.last_ok_at),
            "last_attempt_at": iso(m.poll.last_attempt_at),
            "last_error": m.poll.last_error,
            "last_error_at": iso(m.poll.last_error_at),
            "worker": m.poll.worker_id,
        } for m in health.mailboxes],
        "outbox_backlog": backlog.outbox_backlog if backlog else None,
        "oldest_unsent_at": iso(oldest),
        "oldest_unsent_age_seconds": (health.now - oldest).total_seconds() if oldest else None,
        "quarantined": backlog.quarantined if backlog else None,
        "failed_deliveries": backlog.failed_deliveries if backlog else None,
        "queue": backlog.queue if backlog else None,
        "live_workers": sum(w.alive for w in health.workers) if backlog else None,
        "workers": [{"id": w.id, "host": w.host, "pid": w.pid, "started_at": iso(w.started_at),
                     "heartbeat_at": iso(w.heartbeat_at), "alive": w.alive}
                    for w in health.workers],
        "problems": health.problems,
    }


def health_text(health: Health) -> str:
    lines = [f"health: {'ok' if health.healthy else 'FAILING'}"]
    if health.database_error:
        lines.append(f"database: error: {terminal_safe(health.database_error)}")
        return "\n".join(lines)
    lines.append("database: ok")
    for mailbox in health.mailboxes:
        poll = mailbox.poll
        lines.append(f"mailbox {terminal_safe(poll.mailbox)}: {mailbox.status}, last "
                     f"successful poll {_when(poll.last_ok_at, health.now)}")
        if mailbox.status == "failing" and poll.last_error:
            lines.append(f"  last error {_when(poll.last_error_at, health.now)}: "
                         f"{terminal_safe(poll.last_error)}")
    backlog = health.backlog
    if backlog is not None:
        waiting = (f"{backlog.outbox_backlog} to send, oldest queued "
                   f"{_when(backlog.oldest_unsent_at, health.now)}"
                   if backlog.outbox_backlog else "nothing to send")
        lines.append(f"outbox: {waiting}; {backlog.failed_deliveries} failed")
        lines.append(f"quarantine: {backlog.quarantined} held")
        lines.append(f"queue: {backlog.queue} ticket(s)")
    if health.workers:
        live = [w for w in health.workers if w.alive]
        lines.append(f"workers: {len(live)} alive of {len(health.workers)} not stopped")
        for worker in health.workers:
            lines.append(f"  {terminal_safe(worker.id)}: {'alive' if worker.alive else 'silent'}"
                         f", heartbeat {_when(worker.heartbeat_at, health.now)}")
    lines.extend(f"problem: {terminal_safe(problem)}" for problem in health.problems)
    return "\n".join(lines)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    return f"{iso(moment)} ({seconds} s ago)"
