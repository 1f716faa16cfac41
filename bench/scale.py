"""The read commands on a large store, and the memory of a first sync of a large mailbox.

`store` (the default): a store of 100,000 tickets and 1,000,000 messages (built once by
`bench/scale_dataset.py`: a SQLite file in bench/results/, or a PostgreSQL database
`iw_bench_scale_N_M` kept for the next run), then the real console script in a child
process for each command, `--rounds` times: wall seconds from start to reaping (start-up
included) and peak RSS (`ru_maxrss` of that child from `os.wait4`). The `startup` row
(`tickets list --help`) is what every command pays before it reads anything.

`mailbox`: a Maildir of N small mails (one customer each) and `poll --once` over it on a
fresh SQLite store (notices written to a Maildir, the embedded default), the child's
resident memory sampled every 0.25 s from /proc (its own, and with its parse process); the
figures of several N side by side show whether memory grows with the mailbox.

    .venv/bin/python bench/scale.py store                       # SQLite
    .venv/bin/python bench/scale.py store --postgresql          # 127.0.0.1:5432 (IW_BENCH_PG)
    .venv/bin/python bench/scale.py mailbox --mails 10000 50000 200000

This process stays small (it never imports the project; a forked child's `ru_maxrss`
starts at its parent's size). Results also go to bench/results/scale-*.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SCRIPT = Path(sys.executable).parent / "inbox-worker"
PG_ADMIN_URL = os.environ.get(
    "IW_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Row:
    name: str
    args: list[str]
    seconds: list[float] = field(default_factory=list)
    mib: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    out_bytes: int = 0
    # On the baseline store (no ticket, then one): what every read costs whatever the
    # store's size (start-up, connecting, the first query's mapper set-up).
    empty: bool = False


def child_env() -> dict[str, str]:
    """No INBOX_WORKER_* settings, and bytecode cached under bench/results/pycache (as an
    installed package has it), also where PYTHONDONTWRITEBYTECODE is set: without it every
    run compiles every module again, seconds of start-up that are not the product's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INBOX_WORKER") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(RESULTS / "pycache")
    return env


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MiB), bytes written to stdout and CPU seconds (user +
    system) of one child. On a busy machine the CPU seconds are the steadier figure: the
    wall time also holds the waits for a core."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=child_env(), stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode()}")
        size = out.tell()
    return seconds, usage.ru_maxrss / 1024, size, usage.ru_utime + usage.ru_stime


def python(code: str, *args: str) -> str:
    """Run `code` in a child interpreter (the project's rows never enter this process)."""
    return subprocess.run([sys.executable, "-c", code, *args], check=True,
                          capture_output=True, text=True).stdout.strip()


# --- the store ----------------------------------------------------------------------------

# A database of the PostgreSQL server: "drop" it, or "ensure" it (prints "created" if new).
PG_ADMIN = ("import sys; from sqlalchemy import create_engine, text\n"
            "e = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT')\n"
            "name, action = sys.argv[2], sys.argv[3]\n"
            "with e.connect() as c:\n"
            "    if action == 'drop':\n"
            "        c.execute(text(f'DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)'))\n"
            "    elif not c.execute(text('SELECT 1 FROM pg_database WHERE datname = :n'),\n"
            "                       {'n': name}).first():\n"
            "        c.execute(text(f'CREATE DATABASE \"{name}\"')); print('created')\n")


def pg(action: str, name: str) -> str:
    return python(PG_ADMIN, PG_ADMIN_URL, name, action)



def sqlite_store(tickets: int, messages: int, seed: int) -> str:
    path = RESULTS / f"scale-{tickets}-{messages}-s{seed}.db"
    if not path.exists():
        build(["--tickets", str(tickets), "--messages", str(messages), "--seed", str(seed)],
              partial := path.with_suffix(".partial.db"))
        partial.rename(path)
    else:
        print(f"store: {path} (cached; delete it to build it again)")
    return f"sqlite:///{path}"


def postgres_store(tickets: int, messages: int, seed: int, fresh: bool) -> str:
    name = f"iw_bench_scale_{tickets}_{messages}_s{seed}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    if fresh:
        pg("drop", name)
    if pg("ensure", name) == "created":
        build(["--tickets", str(tickets), "--messages", str(messages), "--seed", str(seed),
               "--database-url", url], None)
    else:
        print(f"store: PostgreSQL database {name} (kept; --fresh builds it again)")
    return url


def build(args: list[str], path: Path | None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if path is not None:
        for stale in RESULTS.glob(path.name + "*"):
            stale.unlink()
        args = [*args, str(path)]
    print("building: scale_dataset.py " + " ".join(args), flush=True)
    subprocess.run([sys.executable, str(REPO / "bench" / "scale_dataset.py"), *args],
                   check=True)


def store_figures(url: str) -> dict[str, Any]:
    code = ("import sys; from sqlalchemy import create_engine, text\n"
            "e = create_engine(sys.argv[1])\n"
            "with e.connect() as c:\n"
            "    q = lambda s: c.execute(text(s)).scalar()\n"
            "    print(q('SELECT count(*) FROM tickets'), q('SELECT count(*) FROM messages'),"
            " q('SELECT count(*) FROM ticket_events'),"
            " q(\"SELECT count(*) FROM tickets WHERE status IN ('Open', 'Customer-Reply')\"),"
            " q('SELECT ticket_id FROM messages GROUP BY ticket_id'\n"
            "      ' ORDER BY count(*) DESC LIMIT 1'))\n")
    tickets, messages, events, queued, big = python(code, url).split()
    return {"tickets": int(tickets), "messages": int(messages), "events": int(events),
            "queued": int(queued), "big": f"T-{big}"}


def baseline_config(folder: Path, postgresql: bool) -> Path:
    """A fresh store of the same kind for the baseline rows."""
    if postgresql:
        name = f"iw_bench_scale_baseline_{os.getpid()}"
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        pg("drop", name)
        pg("ensure", name)
        BASELINES.append(name)
    else:
        url = f"sqlite:///{folder}/baseline.db"
    path = folder / "baseline.toml"
    path.write_text(f'[database]\nurl = "{url}"\n\n[mailbox]\nurl = "maildir:{folder}/mail"\n',
                    encoding="utf-8")
    run_once([str(SCRIPT), "--config", str(path), "queue"], folder)  # the schema: not timed
    return path


BASELINES: list[str] = []  # PostgreSQL databases to drop at the end


def store_rows(figures: dict[str, Any]) -> list[Row]:
    typical = f"T-{figures['tickets'] // 3}"
    return [
        Row("startup (tickets list --help)", ["tickets", "list", "--help"]),
        Row("queue --json on an EMPTY store", ["queue", "--json"], empty=True),
        Row("tickets show T-1 --json on a store of ONE ticket",
            ["tickets", "show", "T-1", "--json"], empty=True),
        Row("queue --json", ["queue", "--json"]),
        Row("tickets list --json", ["tickets", "list", "--json"]),
        Row("tickets list --json --status closed --offset 80000",
            ["tickets", "list", "--json", "--status", "closed", "--offset", "80000"]),
        Row("tickets list --json --status open,customer-reply --offset 4000",
            ["tickets", "list", "--json", "--status", "open,customer-reply",
             "--offset", "4000"]),
        Row("tickets list --status on-hold --limit 1000",
            ["tickets", "list", "--status", "on-hold", "--limit", "1000"]),
        Row(f"tickets show {typical} --json", ["tickets", "show", typical, "--json"]),
        Row(f"tickets show {figures['big']} --json (the big ticket)",
            ["tickets", "show", figures["big"], "--json"]),
    ]


def time_processes(rows: list[Row], config: Path, folder: Path, rounds: int,
                   postgresql: bool) -> list[str]:
    """Each command as a user runs it, `rounds` times: the table's lines."""
    base = [str(SCRIPT), "--config", str(config)]
    small = [str(SCRIPT), "--config", str(baseline_config(folder, postgresql))]
    run_once([*base, "tickets", "list"], folder)  # migrations, bytecode: not timed
    for number in range(1, rounds + 1):
        for row in rows:
            if row.empty and number == 1 and row.args[0] == "tickets":
                one = folder / "one.eml"  # the baseline's one ticket, once its queue ran
                one.write_bytes(MAIL.format(n=1, floor=1).encode())
                run_once([*small, "ingest", str(one)], folder)
            seconds, mib, size, cpu = run_once([*(small if row.empty else base), *row.args],
                                               folder)
            row.cpu.append(cpu)
            row.seconds.append(seconds)
            row.mib.append(mib)
            row.out_bytes = size
        print(f"round {number}: " + ", ".join(f"{r.seconds[-1]:.2f}" for r in rows),
              flush=True)
    lines = ["| command | wall s, rounds | median wall s | median CPU s | peak RSS MiB "
             "| output |", "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        lines.append(f"| `{row.name}` | {', '.join(f'{s:.2f}' for s in row.seconds)} | "
                     f"{statistics.median(row.seconds):.2f} | "
                     f"{statistics.median(row.cpu):.2f} | {max(row.mib):.0f} | "
                     f"{row.out_bytes / 1024:,.0f} KiB |")
    return lines


def cmd_store(args: argparse.Namespace) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.postgresql:
        url, db = postgres_store(args.tickets, args.messages, args.seed, args.fresh), "postgresql"
    else:
        url, db = sqlite_store(args.tickets, args.messages, args.seed), "sqlite"
    folder = Path(tempfile.mkdtemp(prefix="iw-scale-bench-"))
    try:
        config = folder / "scale.toml"
        config.write_text(f'[database]\nurl = "{url}"\n\n'
                          f'[mailbox]\nurl = "maildir:{folder}/mail"\n', encoding="utf-8")
        figures = store_figures(url)
        print(f"store: {figures}")
        rows = store_rows(figures)
        lines = ([] if args.work_only
                 else time_processes(rows, config, folder, args.rounds, args.postgresql))
        work = work_times(config, rows, args.rounds, folder)
        lines += ["", "| command: its own work, start-up excluded | wall s, rounds | "
                  "median wall s | median CPU s |", "| --- | --- | --- | --- |"]
        for name, runs in work.items():
            lines.append(f"| `{name}` | {', '.join(f'{w:.3f}' for w, _ in runs)} | "
                         f"{statistics.median(w for w, _ in runs):.3f} | "
                         f"{statistics.median(c for _, c in runs):.3f} |")
        print("\n".join(["", f"{db}: {figures}", *lines, ""]))
        save(f"scale-store-{db}", {"db": db, "store": figures, "rows": [
            {"name": r.name, "args": r.args, "seconds": r.seconds, "cpu": r.cpu, "mib": r.mib,
             "out_bytes": r.out_bytes} for r in rows], "work": work})
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for name in BASELINES:
            pg("drop", name)


# In a child: each command's own work, start-up excluded (the modules imported, the
# mappers set up and the store opened by a first run): the part that could grow with the
# store. Prints one JSON object: command -> [wall s, CPU s] per repetition.
WORK = """
import contextlib, json, os, sys, time
from inbox_worker.cli import build_parser, dispatch
config, rounds, commands = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
parser = build_parser()
times = {}
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    for name, args in commands:
        parsed = parser.parse_args(["--config", config, *args])
        dispatch(parsed)  # the first: imports and set-up
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            dispatch(parsed)
            times.setdefault(name, []).append(
                [time.perf_counter() - wall, time.process_time() - cpu])
print(json.dumps(times))
"""


def work_times(config: Path, rows: list[Row], rounds: int, cwd: Path) -> dict[str, Any]:
    commands = [(r.name, r.args) for r in rows if not r.empty and "--help" not in r.args]
    out = subprocess.run([sys.executable, "-c", WORK, str(config), str(rounds),
                          json.dumps(commands)], env=child_env(), cwd=cwd, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- the mailbox --------------------------------------------------------------------------


MAIL = ("From: Customer {n} <customer{n}@example.org>\r\nTo: support@example.com\r\n"
        "Subject: The printer on floor {floor} does not print ({n})\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <scale-mail-{n}@example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hello,\r\n\r\nsince this morning the printer on floor {floor} does not print.\r\n"
        "I tried to switch it off and on again; it shows error {n}.\r\n\r\nRegards,\r\n"
        "Customer {n}\r\n")


def fill_maildir(path: Path, mails: int) -> None:
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for n in range(mails):
        (path / "new" / f"{1_700_000_000 + n}.M{n}P1.bench").write_bytes(
            MAIL.format(n=n, floor=n % 9).encode())
    print(f"filled {mails} mails in {time.perf_counter() - started:.0f} s", flush=True)


def rss_kib(pid: int) -> tuple[int, int]:
    """Resident KiB of `pid`, and of it with its child processes (the parse process)."""
    def own(p: int) -> int:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            children.extend(int(c) for c in text)
    except OSError:
        pass
    mine = own(pid)
    return mine, mine + sum(own(c) for c in children)


def poll_memory(mails: int, keep: bool) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"iw-scale-mailbox-{mails}-"))
    try:
        fill_maildir(folder / "mail", mails)
        config = folder / "poll.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{folder}/poll.db"\n\n'
                          f'[mailbox]\nurl = "maildir:{folder}/mail"\n\n'
                          f'[smtp]\nkind = "maildir"\nsent_path = "{folder}/sent"\n',
                          encoding="utf-8")
        # The schema first (not part of the sync).
        run_once([str(SCRIPT), "--config", str(config), "queue"], folder)
        samples: list[tuple[float, int, int]] = []
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            child = subprocess.Popen([str(SCRIPT), "--config", str(config), "poll", "--once",
                                      "--json"], env=child_env(), stdout=out, stderr=err,
                                     cwd=folder)
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                samples.append((time.perf_counter() - started, *rss_kib(child.pid)))
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"poll --once failed:\n{err.read().decode()[-3000:]}")
            result = json.loads(out.read() or b"{}")
        if result.get("processed") != mails:
            raise SystemExit(f"poll --once processed {result.get('processed')} of {mails}")

        def at(fraction: float) -> tuple[float, float]:
            _, own, total = samples[min(len(samples) - 1, int(len(samples) * fraction))]
            return own / 1024, total / 1024

        return {
            "mails": mails, "seconds": round(seconds, 1),
            "mails_per_s": round(mails / seconds),
            "peak_mib": round(usage.ru_maxrss / 1024, 1),
            "sampled_peak_mib": round(max(s[1] for s in samples) / 1024, 1),
            "sampled_peak_with_parse_mib": round(max(s[2] for s in samples) / 1024, 1),
            "rss_at_mib": {f"{int(f * 100)}%": [round(v, 1) for v in at(f)]
                           for f in (0.1, 0.25, 0.5, 0.75, 0.95)},
            "samples": len(samples), "outcome": result.get("outcomes"),
        }
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def cmd_mailbox(args: argparse.Namespace) -> int:
    runs = []
    for mails in args.mails:
        figures = poll_memory(mails, args.keep)
        runs.append(figures)
        print(json.dumps(figures), flush=True)
    lines = ["| mails | poll --once s | mails/s | peak RSS MiB (wait4) | RSS MiB at 10/25/50/75/95%"
             " of the run: the worker (with its parse process) |",
             "| --- | --- | --- | --- | --- |"]
    for run in runs:
        points = "; ".join(f"{own:.0f} ({total:.0f})" for own, total in run["rss_at_mib"].values())
        lines.append(f"| {run['mails']:,} | {run['seconds']:.0f} | {run['mails_per_s']} | "
                     f"{run['peak_mib']:.0f} | {points} |")
    print("\n".join(["", *lines, ""]))
    save("scale-mailbox-" + "-".join(str(m) for m in args.mails), {"runs": runs})
    return 0


def save(name: str, record: dict[str, Any]) -> None:
    revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    record.update(revision=revision, machine=platform.processor() or platform.machine(),
                  cpus=os.cpu_count(), load_average=os.getloadavg(),
                  own_peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{revision or 'unknown'}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"results: {path} (load average now {os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    store = modes.add_parser("store", help="time queue / tickets list / tickets show")
    store.add_argument("--tickets", type=int, default=100_000)
    store.add_argument("--messages", type=int, default=1_000_000)
    store.add_argument("--seed", type=int, default=1)
    store.add_argument("--rounds", type=int, default=3)
    store.add_argument("--postgresql", action="store_true")
    store.add_argument("--fresh", action="store_true", help="PostgreSQL: build it again")
    store.add_argument("--work-only", action="store_true",
                       help="only each command's own work, in one process (no start-up)")
    mailbox = modes.add_parser("mailbox", help="memory of poll --once over a large Maildir")
    mailbox.add_argument("--mails", type=int, nargs="+", default=[10_000, 50_000])
    mailbox.add_argument("--keep", action="store_true", help="keep the Maildir and store")
    args = parser.parse_args(argv)
    return cmd_store(args) if args.mode == "store" else cmd_mailbox(args)


if __name__ == "__main__":
    raise SystemExit(main())
