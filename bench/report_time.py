"""Time and peak memory of `inbox-worker report` on a store of N tickets (issue 19).

Target: every form of the report under 10 s and 500 MiB on SQLite with 100,000 tickets.

The store is `report_dataset.py`'s (built in a child process, so that this process stays
small: see "memory" below), cached as bench/results/report-N-sSEED-MIGRATION.db and reused
while it exists; `--database FILE` or `--database-url URL` names another one (a URL whose
database holds no tickets yet is filled first), `--postgresql` builds one in a fresh
database on 127.0.0.1:5432 and drops it at the end.

Each run is the real command, in a child process, as a user types it:

    inbox-worker --config C --now NOW report [--from NOW-180d] [--json | --html F | --csv]

with a configuration naming that database and the store's 8 technicians, `--now` fixed at
the end of the store's history, for the last 28 days (the default period) and the whole
180 days. The forms are those `inbox-worker report --help` offers: text, `--json`, `--html
FILE`, and `--csv` (to a file if it takes one) once it exists; an absent form is skipped and
said so. `--mail` is not run (it queues mail). `--rounds` (3) rounds, each running every
form once, so a slow spell of the machine hits all forms alike; the table gives each
form's median time and its highest peak RSS against the targets.

Time is the wall-clock time from starting the child to reaping it: interpreter start,
imports, configuration, the schema check, the queries, the rendering and the output (to a
pipe that is drained). The `startup` row (`report --help`) is the part that does not
depend on the store.

Memory is the child's `ru_maxrss` as `os.wait4` returns it for that child alone (the figure
`getrusage(RUSAGE_CHILDREN)` gives for the largest child so far). Linux starts a child's
`ru_maxrss` at the parent's resident size at the fork, so this process keeps itself small
(it never holds the store's rows; its own peak is printed under the table): a child's figure
is its own as long as it is above that.

    .venv/bin/python bench/report_time.py                         # 100,000 tickets, SQLite
    .venv/bin/python bench/report_time.py --n 10000 --rounds 5
    .venv/bin/python bench/report_time.py --postgresql            # a fresh PostgreSQL database
    .venv/bin/python bench/report_time.py --checkout ../wt-report # another checkout's report
    .venv/bin/python bench/report_time.py --profile json-180      # cProfile one form, top 25

Results also go to bench/results/report-time-N-DB-REVISION.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MIGRATIONS = REPO / "inbox_worker" / "store" / "migrations" / "versions"
PG_ADMIN_URL = os.environ.get(
    "IW_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Kept in step with report_dataset.py (not imported: this process stays small).
TECHNICIANS = ("alice@example.com", "bob@example.com", "carla@example.com",
               "dmitri@example.com", "emma@example.com", "farid@example.com",
               "greta@example.com", "hiro@example.com")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 180
TARGET_SECONDS = 10.0
TARGET_MIB = 500.0


@dataclass
class Form:
    """One way of running the report: its name and the arguments after `report`."""

    name: str
    args: list[str]
    output: Path | None = None  # the file it writes, checked after each run
    seconds: list[float] = field(default_factory=list)
    mib: list[float] = field(default_factory=list)

    def passed(self) -> bool:
        return (statistics.median(self.seconds) < TARGET_SECONDS
                and max(self.mib) < TARGET_MIB)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the store --------------------------------------------------------------------------


def cached_store(n: int, seed: int) -> Path:
    """The SQLite store for (n, seed, schema), built once into bench/results/."""
    migration = sorted(p.stem for p in MIGRATIONS.glob("[0-9]*.py"))[-1].split("_")[0]
    path = RESULTS / f"report-{n}-s{seed}-m{migration}.db"
    if path.exists():
        print(f"store: {path} (cached; delete it to build it again)")
        return path
    RESULTS.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    for stale in RESULTS.glob(partial.name + "*"):
        stale.unlink()
    build_store(["--n", str(n), "--seed", str(seed), str(partial)])
    partial.rename(path)
    return path


def build_store(args: list[str]) -> None:
    """`report_dataset.py` in a child process: its rows never enter this process."""
    print("building the store: report_dataset.py " + " ".join(args), flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "bench" / "report_dataset.py"),
                    "--now", iso(NOW), "--days", str(HISTORY_DAYS), *args], check=True)
    print(f"built in {time.perf_counter() - started:.1f} s", flush=True)


def has_tickets(url: str) -> bool:
    code = ("import sys; from sqlalchemy import create_engine, text\n"
            "engine = create_engine(sys.argv[1])\n"
            "with engine.connect() as c:\n"
            "    try: print(c.execute(text('SELECT count(*) FROM tickets')).scalar())\n"
            "    except Exception: print(0)\n")
    out = subprocess.run([sys.executable, "-c", code, url], check=True, capture_output=True,
                         text=True).stdout
    return int(out.strip() or 0) > 0


def pg_database(action: str, name: str) -> None:
    """CREATE or DROP a database of the PostgreSQL server (in a child: see `build_store`)."""
    statement = (f'CREATE DATABASE "{name}"' if action == "create"
                 else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    code = ("import sys; from sqlalchemy import create_engine, text\n"
            "engine = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT')\n"
            "with engine.connect() as c: c.execute(text(sys.argv[2]))\n")
    subprocess.run([sys.executable, "-c", code, PG_ADMIN_URL, statement], check=True)


# --- the runs ---------------------------------------------------------------------------


def command(args: argparse.Namespace) -> list[str]:
    if args.checkout:
        return [sys.executable, "-m", "inbox_worker"]
    return [str(Path(sys.executable).parent / "inbox-worker")]


def child_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the runs: no INBOX_WORKER_* settings, and compiled bytecode
    cached under bench/results/pycache (as an installed package has it), also where
    PYTHONDONTWRITEBYTECODE is set; nothing is written into a `--checkout`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INBOX_WORKER") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(RESULTS / "pycache")
    if args.checkout:
        env["PYTHONPATH"] = str(Path(args.checkout).resolve())
    return env


def write_config(folder: Path, url: str) -> Path:
    path = folder / "report-bench.toml"
    addresses = ", ".join(f'"{t}"' for t in TECHNICIANS)
    path.write_text(f'[database]\nurl = "{url}"\n\n[mailbox]\nurl = "maildir:{folder}/mail"\n\n'
                    f"[technicians]\naddresses = [{addresses}]\n", encoding="utf-8")
    return path


def offered_forms(base: list[str], env: dict[str, str], folder: Path) -> tuple[list[Form], str]:
    """The forms `report --help` offers, for both periods, and what is skipped."""
    help_text = subprocess.run([*base, "report", "--help"], env=env, capture_output=True,
                               text=True, check=True, cwd=folder).stdout
    kinds: list[tuple[str, list[str], Path | None]] = [("text", [], None),
                                                       ("json", ["--json"], None)]
    skipped = []
    for option in ("html", "csv"):
        # `--csv FILE`, `--csv [FILE]` (a file is given) or `--csv` alone (stdout).
        match = re.search(rf"--{option}(?:[ =]\[?([A-Z]+)\]?)?", help_text)
        if match is None:
            skipped.append(f"--{option} (not offered by this report)")
            continue
        target = folder / f"report.{option}" if match.group(1) else None
        kinds.append((option, [f"--{option}", *([str(target)] if target else [])], target))
    if "--mail" in help_text:
        skipped.append("--mail (it queues mail)")
    forms = []
    whole = ["--from", iso(NOW - timedelta(days=HISTORY_DAYS))]
    for days, period in ((28, []), (HISTORY_DAYS, whole)):
        for name, extra, target in kinds:
            forms.append(Form(f"{name}-{days}", [*period, *extra], target))
    return forms, "; ".join(skipped)


def run_once(argv: list[str], env: dict[str, str], cwd: Path
             ) -> tuple[float, float, bytes, bytes]:
    """Wall seconds and peak RSS (MiB) of one child, with its stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}):\n{stderr.decode()}")
    return seconds, usage.ru_maxrss / 1024, stdout, stderr


def measure(forms: list[Form], base: list[str], env: dict[str, str], rounds: int,
            cwd: Path) -> Form:
    startup = Form("startup", ["--help"])
    run_once([*base, "report", *forms[0].args], env, cwd)  # compiles what is not yet
    for round_number in range(1, rounds + 1):
        for form in [startup, *forms]:
            if form.output is not None and form.output.exists():
                form.output.unlink()
            seconds, mib, stdout, _ = run_once([*base, "report", *form.args], env, cwd)
            if form is not startup and not stdout and not (form.output and form.output.exists()):
                raise SystemExit(f"{form.name}: the report wrote nothing")
            form.seconds.append(seconds)
            form.mib.append(mib)
        print(f"round {round_number}: " + ", ".join(f"{f.name} {f.seconds[-1]:.2f} s"
                                                   for f in forms), flush=True)
    return startup


def profile(form: Form, options: list[str], env: dict[str, str], n: int, db: str,
            cwd: Path) -> None:
    """One run of `form` under cProfile (its times are inflated); the top of the profile."""
    import pstats

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"report-profile-{n}-{db}-{form.name}.pstats"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "inbox_worker",
                    *options, "report", *form.args], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=cwd)
    print(f"profile of {form.name}: {out}")
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(25)


# --- the table --------------------------------------------------------------------------


def table(forms: list[Form], startup: Form) -> list[str]:
    lines = ["| form | rounds (s) | median s | peak RSS MiB | target | |",
             "| --- | --- | --- | --- | --- | --- |"]
    for form in [startup, *forms]:
        rounds = ", ".join(f"{s:.2f}" for s in form.seconds)
        verdict = "" if form is startup else ("PASS" if form.passed() else "FAIL")
        target = "" if form is startup else f"< {TARGET_SECONDS:.0f} s, < {TARGET_MIB:.0f} MiB"
        lines.append(f"| {form.name} | {rounds} | {statistics.median(form.seconds):.2f} | "
                     f"{max(form.mib):.1f} | {target} | {verdict} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="tickets (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database", type=Path, help="an SQLite store built before")
    where.add_argument("--database-url", help="a database (PostgreSQL); filled if empty")
    where.add_argument("--postgresql", action="store_true",
                       help="a fresh database on 127.0.0.1:5432 (IW_BENCH_PG), dropped after")
    parser.add_argument("--checkout", help="run `python -m inbox_worker` of this checkout")
    parser.add_argument("--profile", metavar="FORM", help="also one run of FORM (e.g. json-180) "
                        "under cProfile")
    args = parser.parse_args(argv)

    pg_name = None
    if args.postgresql:
        pg_name = f"iw_bench_report_{os.getpid()}_{secrets.token_hex(3)}"
        pg_database("create", pg_name)
        args.database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_name}"
    folder = Path(tempfile.mkdtemp(prefix="iw-report-bench-"))
    try:
        if args.database_url:
            url = args.database_url
            db = "postgresql" if url.startswith("postgresql") else "other"
            if not has_tickets(url):
                build_store(["--n", str(args.n), "--seed", str(args.seed), "--database-url", url])
        else:
            path = args.database or cached_store(args.n, args.seed)
            url, db = f"sqlite:///{path.resolve()}", "sqlite"
            print(f"store file: {path.stat().st_size / 2**20:.0f} MiB")
        options = ["--config", str(write_config(folder, url)), "--now", iso(NOW)]
        base = [*command(args), *options]
        env = child_env(args)
        forms, skipped = offered_forms(base, env, folder)
        startup = measure(forms, base, env, args.rounds, folder)
        lines = table(forms, startup)
        print("\n".join(["", *lines, ""]))
        if skipped:
            print(f"skipped: {skipped}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"this process's own peak: {own:.1f} MiB (a child's figure below it would be "
              "this one)")
        failed = [f.name for f in forms if not f.passed()]
        print("FAILED: " + ", ".join(failed) if failed else "all forms PASS")
        save(args, db, forms, startup, skipped)
        if args.profile:
            chosen = [f for f in forms if f.name == args.profile]
            if not chosen:
                raise SystemExit(f"--profile: no form {args.profile!r}; forms: "
                                 + ", ".join(f.name for f in forms))
            profile(chosen[0], options, env, args.n, db, folder)
        return 1 if failed else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if pg_name:
            pg_database("drop", pg_name)


def save(args: argparse.Namespace, db: str, forms: list[Form], startup: Form,
         skipped: str) -> None:
    revision = subprocess.run(["git", "-C", str(args.checkout or REPO), "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True).stdout.strip()
    record: dict[str, Any] = {
        "n": args.n, "seed": args.seed, "db": db, "rounds": args.rounds,
        "revision": revision, "checkout": args.checkout, "machine": platform.processor()
        or platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "skipped": skipped,
        "forms": {f.name: {"args": f.args, "seconds": f.seconds, "mib": f.mib}
                  for f in [startup, *forms]},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"report-time-{args.n}-{db}-{revision or 'unknown'}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"results: {path}")


if __name__ == "__main__":
    raise SystemExit(main())
