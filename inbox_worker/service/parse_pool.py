"""Parsing the next batch of a backlog in a child process while this one is stored.

Parsing is pure CPU work and about half of what a mail costs; storing is the rest, and it
must stay in one process (one transaction per batch, in order). So while the worker stores
batch k, a child parses batch k+1: on a machine with a core to spare, a backlog goes nearly
twice as fast. `[worker] parse_processes = 0` keeps everything in the worker.

The child only ever sees raw bytes and returns parsed values (or quarantine reasons); it
touches no database, mailbox or file. If it dies or cannot start, the worker parses the
batch itself and carries on without it: a pool is a speed-up, never a dependency.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from inbox_worker.domain.model import InboundMail
from inbox_worker.mail.admission import ParsedMail, parse_fetched, parse_one
from inbox_worker.mail.source import FetchedMail

log = logging.getLogger(__name__)

ParseJob = Callable[[], list[ParsedMail]]
PARENT_CHECK_SECONDS = 1.0


def _watch_parent(parent_pid: int) -> None:
    """In the child: exit when the worker is gone. A worker killed outright (SIGKILL, the
    OOM killer) cannot stop its child, and the child would wait for work for ever."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _parse_in_child(
    items: list[tuple[bytes, int | None]], max_bytes: int
) -> list[tuple[InboundMail | None, str | None]]:
    return [parse_fetched(raw, oversized, max_bytes) for raw, oversized in items]


def parse_here(batch: Sequence[FetchedMail], max_bytes: int) -> list[ParsedMail]:
    return [parse_one(fetched, max_bytes) for fetched in batch]


class ParsePool:
    """Starts parsing a batch now and hands back a job that yields the result later."""

    def __init__(self, processes: int, max_bytes: int) -> None:
        self.processes = processes
        self.max_bytes = max_bytes
        self._executor: ProcessPoolExecutor | None = None
        self._broken = processes <= 0

    def start_here(self, batch: Sequence[FetchedMail]) -> ParseJob:
        """A job that parses in this process when it is run."""
        batch = list(batch)
        return lambda: parse_here(batch, self.max_bytes)

    def warm(self) -> None:
        """Start the child now, so that it is ready for the next batch (starting takes it a
        fraction of a second: a new interpreter and the mail modules)."""
        if self._broken:
            return
        try:
            self._pool().submit(_parse_in_child, [], self.max_bytes)
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            self._give_up(exc)

    def start(self, batch: Sequence[FetchedMail]) -> ParseJob:
        """Parsing starts now in the child; the job waits for it."""
        batch = list(batch)
        if self._broken:
            return self.start_here(batch)
        items = [(f.raw, f.oversized) for f in batch]
        try:
            future = self._pool().submit(_parse_in_child, items, self.max_bytes)
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            self._give_up(exc)
            return lambda: parse_here(batch, self.max_bytes)
        return lambda: self._collect(batch, future)

    def _collect(
        self, batch: list[FetchedMail],
        future: Future[list[tuple[InboundMail | None, str | None]]],
    ) -> list[ParsedMail]:
        try:
            results = future.result()
        except (BrokenProcessPool, OSError) as exc:
            self._give_up(exc)
            return parse_here(batch, self.max_bytes)
        except Exception:  # noqa: BLE001 - e.g. a result that would not pickle: this batch here
            log.warning("parse process failed on a batch; parsing it in the worker",
                        exc_info=True)
            return parse_here(batch, self.max_bytes)
        return [ParsedMail(f, mail, refusal) for f, (mail, refusal) in zip(batch, results,
                                                                             strict=True)]

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the worker may hold threads and open connections that a
            # forked child must not inherit.
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent, initargs=(os.getpid(),),
            )
        return self._executor

    def _give_up(self, exc: BaseException) -> None:
        log.warning("parse process unavailable, parsing in the worker: %s: %s",
                    type(exc).__name__, exc)
        self._broken = True
        self.close()

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
