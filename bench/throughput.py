"""Throughput benchmark: the project's `poll --once` against the floor of fetch + parse.

One run starts its own Dovecot (tests/support/dovecot.py) and its own SMTP server
(Postfix's smtp-sink by default, or aiosmtpd with a handler that only counts), fills the
mailbox with N varied mails generated from a seed, then measures, each phase in a fresh
child process so that its peak RSS (VmHWM since its imports) and CPU time are its own:

- bare (once): the floor, plus one short acknowledgement per mail sent with aiosmtplib
           over one connection: the least any system that acknowledges each mail with
           the project's SMTP client must do. A yardstick, not a target.
- rounds of
  - floor:   imapclient fetches every mail (BODY.PEEK[] in batches of 50, folder
             EXAMINEd read-only) and `mailparser.parse_from_bytes` parses each; nothing else.
  - project: `build_app(settings).poll_and_deliver()`, exactly what
             `inbox-worker poll --once` does, against that Dovecot, that SMTP server and a
             fresh SQLite file or PostgreSQL database; its mails are then moved back.

The machine's speed drifts within minutes, so each project run is compared with the floor
run just before it and the median round is reported. The run fails unless every project
run stored N tickets and the SMTP server received N acknowledgements from it.

    .venv/bin/python bench/throughput.py --n 2000 [--db sqlite|postgresql] [--rounds 3]
                                         [--smtp-server smtp-sink|aiosmtpd]
                                         [--profile cprofile|py-spy|py-spy-cpu]

Results go to bench/results/throughput-N-DB[-aiosmtpd].json (git-ignored).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import multiprocessing
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results"
PASSWORD_ENV = "IW_BENCH_IMAP_PASSWORD"
PG_ADMIN_URL = os.environ.get(
    "IW_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SUPPORT = "support@example.com"
TECHNICIANS = ("alice@example.com", "bob@example.com")
FLOOR_BATCH = 50
APPEND_CHUNK = 100  # mails per MULTIAPPEND command
MIN_SIZE, MAX_SIZE = 2 * 1024, 20 * 1024
# Customers write several of the mails, but never more than the project acknowledges per
# address and hour (its loop guard and rate limit), so that every mail earns its ack.
MAILS_PER_CUSTOMER = 4


# ---------------------------------------------------------------------------------------
# The mails: deterministic from the seed, varied like a real support mailbox.
# ---------------------------------------------------------------------------------------

FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas",
         "Katarzyna", "Luis", "Mette", "Nikolai", "Olga", "Pierre", "Quentin", "Rosa",
         "Søren", "Tomás", "Ulrike", "Václav", "Wei", "Xiomara", "Yusuf", "Zoë", "François",
         "Jürgen", "Łukasz", "Ángela", "李", "Мария")  # fmt: skip
LAST = ("Schmidt", "Müller", "García", "Okafor", "Nakamura", "Dubois", "Kowalski", "Rossi",
        "Jensen", "O'Brien", "Novák", "Chen", "Petrov", "Andersson", "Silva", "Hoffmann",
        "Lefèvre", "Yılmaz", "Van der Berg", "王", "Иванова")  # fmt: skip
DOMAINS = ("acme-logistics.test", "bakery-hofmann.test", "cityclinic.test", "dentalcare.test",
           "example-shop.test", "fjord-shipping.test", "gmail.test", "hotel-alpenblick.test",
           "ingenieurbuero.test", "kanzlei-weber.test", "outlook.test", "posteo.test",
           "stadtwerke.test", "t-online.test", "university.test", "web.test")  # fmt: skip
THINGS = ("printer on floor 3", "VPN", "Outlook", "the shared drive", "my laptop",
          "the invoice portal", "Wi-Fi in the meeting room", "the phone system", "SAP login",
          "the backup job", "Teams calls", "the scanner", "password reset", "the website",
          "the webshop checkout", "Excel macro", "the label printer", "the NAS",
          "Rechnungsportal", "le serveur de fichiers", "la impresora", "邮件服务器")  # fmt: skip
PROBLEMS = ("is not working", "is very slow", "keeps asking for my password",
            "shows an error", "stopped working after the update", "cannot connect",
            "crashes on start", "prints blank pages", "is offline since this morning",
            "funktioniert nicht mehr", "ne marche plus", "no funciona", "无法连接")  # fmt: skip
SUBJECT_FORMS = ("{thing} {problem}", "Problem with {thing}", "URGENT: {thing} {problem}",
                 "Question about {thing}", "{thing} – {problem}", "Help needed: {thing}",
                 "Störung: {thing}", "Ticket request: {thing} {problem}", "{thing}?")
SENTENCES = (
    "Since this morning {thing} {problem}, and nobody in our team can work properly.",
    "We already restarted everything twice, but the problem comes back after a few minutes.",
    "The error message says: \"Connection timed out (0x800CCC0E)\". I attached a screenshot.",
    "It worked fine until Friday; on Monday the update from the vendor was installed.",
    "Could you please have a look at {thing} today? We have a deadline on Thursday.",
    "Three colleagues in accounting are affected, the sales team seems to be fine.",
    "I tried the steps from your knowledge base article, but step 4 does not match.",
    "Our customer number is {number}; the contract covers on-site support.",
    "Please call me back at +49 30 {number} if that is easier for you.",
    "The log shows entries like 'ERR_AUTH_FAILED user=anna' every few seconds.",
    "Seit heute früh {problem} {thing}, bitte um schnelle Rückmeldung.",
    "Nous avons redémarré le poste, mais le problème persiste depuis hier soir.",
    "Hemos comprobado los cables y la configuración; todo parece correcto.",
    "我们已经重启了电脑，但问题仍然存在，请尽快帮忙处理。",
    "Is there a known outage? The status page does not show anything.",
    "By the way, the last ticket was solved very quickly, thank you for that!",
    "We need this fixed before the audit next week, otherwise we have a real problem.",
    "Attached you find the export from the device; the serial number is SN-{number}.",
)
GREETINGS = ("Hello,", "Hi team,", "Dear support,", "Hallo zusammen,", "Bonjour,", "Hola,",
             "Good morning,", "您好，")
CLOSINGS = ("Best regards", "Kind regards", "Thanks", "Viele Grüße", "Cordialement",
            "Saludos", "Cheers", "谢谢")
MAILERS = ("Microsoft Outlook 16.0", "Mozilla Thunderbird 128.3", "Apple Mail (2.3774)",
           "Roundcube Webmail/1.6.9", None, None)
REPLY_PREFIXES = ("Re: ", "RE: ", "AW: ", "Fwd: ", "WG: ", "SV: ", "Re: Re: ", "回复: ")


def customer_of(seed: int, index: int) -> tuple[str, str]:
    """(display name, address) of customer `index`: stable for a seed."""
    rng = random.Random(seed * 1_000_003 + index)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{_ascii(first)}.{_ascii(last)}.{index}".lower()
    return f"{first} {last}", f"{local}@{rng.choice(DOMAINS)}"


def _ascii(text: str) -> str:
    keep = "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-"))
    return keep or "x" + text.encode("utf-8").hex()[:6]


def _text(rng: random.Random, size: int, thing: str, problem: str) -> str:
    """About `size` characters of support prose, in paragraphs."""
    parts = [rng.choice(GREETINGS), ""]
    length = 0
    while length < size:
        paragraph = " ".join(
            rng.choice(SENTENCES).format(thing=thing, problem=problem,
                                         number=rng.randrange(100000, 999999))
            for _ in range(rng.randint(1, 4))
        )
        parts.extend([paragraph, ""])
        length += len(paragraph) + 2
    return "\n".join(parts)


def _wrap(text: str, width: int = 76) -> str:
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


def _html(text: str, rng: random.Random) -> str:
    from html import escape

    paragraphs = "".join(
        f'<p class="MsoNormal" style="margin:0cm;font-family:Calibri,sans-serif">'
        f"{escape(p)}</p>\n"
        for p in text.split("\n\n") if p.strip()
    )
    table = ""
    if rng.random() < 0.3:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>"
                       for k, v in (("Device", "PC-" + str(rng.randrange(1000))),
                                    ("OS", "Windows 11"), ("Since", "08:15")))
        table = f'<table border="1" cellpadding="3">{rows}</table>\n'
    return (
        "<html><head><meta charset=\"utf-8\"><style>p.MsoNormal{margin:0}"
        "</style></head><body lang=\"EN-US\">\n" + paragraphs + table + "</body></html>\n"
    )


def _attachment(rng: random.Random, number: int) -> tuple[bytes, str, str, str]:
    kind = rng.randrange(4)
    size = rng.randint(600, 4000)
    noise = rng.randbytes(size)
    if kind == 0:
        return b"%PDF-1.4\n" + noise, "application", "pdf", f"invoice-2026-{number:05d}.pdf"
    if kind == 1:
        return b"\x89PNG\r\n\x1a\n" + noise, "image", "png", "screenshot.png"
    if kind == 2:
        rows = "\n".join(f"{i};{rng.randrange(10**6)};ok" for i in range(size // 20))
        return rows.encode(), "text", "csv", "export März.csv"
    lines = "\n".join(f"2026-11-02 08:{i % 60:02d}:00 ERROR code={rng.randrange(999)}"
                      for i in range(size // 40))
    return lines.encode(), "text", "plain", "error.log"


def make_mail(seed: int, index: int, customers: int) -> bytes:
    """Mail number `index` of the set (2-20 KB, deterministic)."""
    scale = 1.0
    for _ in range(6):
        raw, target = _build(seed, index, customers, scale)
        if MIN_SIZE <= len(raw) <= MAX_SIZE:
            return raw
        scale *= target / len(raw)
    raise AssertionError(f"mail {index} is {len(raw)} bytes, outside {MIN_SIZE}-{MAX_SIZE}")


def _build(seed: int, index: int, customers: int, scale: float) -> tuple[bytes, int]:
    """The mail and the size it aims at; `scale` corrects the body size estimate."""
    rng = random.Random(f"{seed}:{index}")
    name, address = customer_of(seed, index % customers)
    thing, problem = rng.choice(THINGS), rng.choice(PROBLEMS)
    subject = rng.choice(SUBJECT_FORMS).format(thing=thing, problem=problem)
    subject = subject[0].upper() + subject[1:]
    # Sizes spread log-uniformly over 2-20 KB, as a real mailbox's are skewed small.
    target = int(math.exp(rng.uniform(math.log(MIN_SIZE + 400), math.log(MAX_SIZE - 1500))))
    shape = rng.random()
    reply = shape < 0.2
    attachment = 0.2 <= shape < 0.35
    html_only = 0.35 <= shape < 0.45
    alternative = 0.45 <= shape < 0.75
    when = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) - timedelta(minutes=index)
    domain = address.partition("@")[2]
    body_size = target - 900
    if attachment:
        data, maintype, subtype, filename = _attachment(rng, index)
        body_size -= len(data) * 4 // 3
    if alternative:
        body_size //= 2  # the HTML copy is a bit larger than the text
    body_size = max(int(body_size * scale), 300)

    message = EmailMessage()
    message["From"] = formataddr((name, address))
    message["To"] = formataddr(("Example Support", SUPPORT))
    if rng.random() < 0.15:
        message["Cc"] = formataddr(customer_of(seed, (index + 7) % customers))
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{seed}.{index}.{rng.getrandbits(48):012x}@{domain}>"
    mailer = rng.choice(MAILERS)
    if mailer:
        message["X-Mailer"] = mailer
    if reply:
        # A reply or forward of a conversation the support system never saw (a colleague's
        # thread): quoted history, threading headers to unknown mails -> a new ticket.
        colleague_name, colleague = customer_of(seed, (index + 3) % customers)
        parents = [f"<{seed}.{index}.p{n}.{rng.getrandbits(32):08x}@{domain}>"
                   for n in range(rng.randint(1, 4))]
        message["Subject"] = rng.choice(REPLY_PREFIXES) + subject
        message["In-Reply-To"] = parents[-1]
        message["References"] = " ".join(parents)
        new = _text(rng, max(200, body_size // 4), thing, problem)
        history = _text(rng, max(200, body_size - len(new)), thing, problem)
        if rng.random() < 0.5:
            quoted = "\n".join(f"> {line}" if line else ">" for line in _wrap(history).split("\n"))
            sent = format_datetime(when - timedelta(days=1))
            intro = f"On {sent}, {colleague_name} <{colleague}> wrote:"
            text = f"{new}\n{rng.choice(CLOSINGS)}\n{name}\n\n{intro}\n{quoted}\n"
        else:
            text = (f"{new}\n{rng.choice(CLOSINGS)}\n{name}\n\n-----Original Message-----\n"
                    f"From: {colleague_name} <{colleague}>\n"
                    f"Sent: {format_datetime(when - timedelta(days=1))}\nTo: {address}\n"
                    f"Subject: {subject}\n\n{history}\n")
        message.set_content(_wrap(text))
    else:
        message["Subject"] = subject
        text = f"{_text(rng, body_size, thing, problem)}\n{rng.choice(CLOSINGS)}\n{name}\n"
        if html_only:
            message.set_content(_html(text, rng), subtype="html")
        else:
            message.set_content(_wrap(text))
            if alternative:
                message.add_alternative(_html(text, rng), subtype="html")
    if attachment:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n")), target


def mails_per_customer() -> int:
    from inbox_worker.config import NoticeSettings

    limits = [value for value in vars(NoticeSettings()).values()
              if isinstance(value, int) and value > 0]
    return min([MAILS_PER_CUSTOMER, *limits])


def generate(seed: int, n: int) -> Iterator[bytes]:
    """The N mails in order; built on every core (each depends only on seed and index)."""
    customers = max(1, math.ceil(n / mails_per_customer()))
    # spawn: this process runs the SMTP server's thread, and a child forked while that
    # thread held a lock can hang for ever (seen once, in the pool's own queue lock).
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(os.cpu_count() or 1) as pool:
        yield from pool.imap(functools.partial(_make_nth, seed, customers), range(n),
                             chunksize=20)


def _make_nth(seed: int, customers: int, index: int) -> bytes:
    return make_mail(seed, index, customers)


# ---------------------------------------------------------------------------------------
# Phases run in child processes (`--phase floor|bare|project`): one JSON line on stdout.
# ---------------------------------------------------------------------------------------


def _rss_mib() -> float:
    # Linux reports ru_maxrss in KiB. It is inflated in a process started by fork + exec:
    # exec keeps the parent's high-water mark from before the exec (signal->maxrss), which
    # is why the phases measure with VmHWM (`PhaseMemory`) where they can.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _proc_rss_mib(pid: int | str = "self") -> tuple[float, float] | None:
    """(VmHWM, VmRSS) of a process in MiB, from /proc/PID/status; None when it cannot be
    read (gone, a zombie, not Linux). VmHWM belongs to the address space, which exec
    replaces: it holds nothing of the parent's."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields: dict[str, float] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024  # KiB
    if len(fields) != 2:
        return None
    return fields["VmHWM"], fields["VmRSS"]


def _reset_hwm(pid: int | str = "self") -> bool:
    """Reset a process's VmHWM to its current RSS (Linux >= 4.0); False if refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


class PhaseMemory:
    """The phase process's memory: created right after the phase's imports, it resets the
    process's VmHWM there, so that `peak_rss_mib` is the peak since the imports. Where
    clear_refs cannot be written it falls back to ru_maxrss (which includes the
    orchestrator's own peak from before the exec), and says so in `rss_method`."""

    def __init__(self) -> None:
        before = _proc_rss_mib()
        self.method = "proc_hwm" if before is not None and _reset_hwm() else "ru_maxrss"
        now = _proc_rss_mib() if self.method == "proc_hwm" else None
        if now is None:
            self.method = "ru_maxrss"
        # The peak of the interpreter's start and the imports, before the reset.
        self.imports_peak = before[0] if before is not None else None
        self.after_imports = now[1] if now is not None else _rss_mib()

    def figures(self) -> dict[str, Any]:
        now = _proc_rss_mib() if self.method == "proc_hwm" else None
        return {"rss_method": self.method if now is not None else "ru_maxrss",
                "rss_after_imports_mib": self.after_imports,
                "peak_rss_mib": now[0] if now is not None else _rss_mib(),
                "imports_peak_rss_mib": self.imports_peak,
                "ru_maxrss_mib": _rss_mib()}  # the old figure, fork artefact included


def _child_pids() -> set[int]:
    """This process's children: each thread's /proc/.../children (any thread may have
    started one), else a scan of /proc for processes whose parent is this one."""
    me = os.getpid()
    pids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            try:
                text = Path(f"/proc/{me}/task/{task}/children").read_text()
            except FileNotFoundError:
                if not os.path.exists(f"/proc/{me}/task/{task}"):
                    continue  # the thread ended
                raise  # no CONFIG_PROC_CHILDREN: scan below
            pids.update(int(pid) for pid in text.split())
        return pids
    except OSError:
        pass
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                pids.add(int(entry))
    return pids


class ChildSampler:
    """A daemon thread that reads the VmHWM of this process's children every `period`
    seconds and keeps each one's highest: the parse process's own peak RSS, from its exec
    on (the multiprocessing resource tracker is a child too). The children's HWM is not
    reset: exec gives them a fresh address space, and a child seen between its fork and
    its exec still runs in (vfork: shares) this process's, so it is skipped until its
    command line is no longer this process's."""

    def __init__(self, period: float = 0.1) -> None:
        self.period = period
        self.children: dict[int, dict[str, Any]] = {}
        try:
            self._own_cmdline: bytes | None = Path("/proc/self/cmdline").read_bytes()
        except OSError:
            self._own_cmdline = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="child-rss-sampler",
                                        daemon=True)

    def start(self) -> ChildSampler:
        if self._own_cmdline is not None:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.period):
            self.sample()

    def sample(self) -> None:
        if self._own_cmdline is None:
            return
        for pid in sorted(_child_pids()):
            entry = self.children.get(pid)
            if entry is None:
                entry = self._first_look(pid)
                if entry is None:
                    continue
            figures = _proc_rss_mib(pid)
            if figures is None:
                continue  # gone
            hwm, rss = figures
            entry["peak_rss_mib"] = max(entry["peak_rss_mib"], hwm)
            entry["last_rss_mib"] = rss
            entry["samples"] += 1

    def _first_look(self, pid: int) -> dict[str, Any] | None:
        """A new child's entry, once it has exec'd; its command line is read only then."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None  # gone
        if not cmdline or cmdline == self._own_cmdline:
            return None  # a zombie, or not exec'd yet: its memory is still ours
        entry: dict[str, Any] = {
            "pid": pid, "comm": comm,
            "cmdline": cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:300],
            "peak_rss_mib": 0.0, "samples": 0}
        self.children[pid] = entry
        return entry

    def stop(self) -> None:
        """A last sample, then the thread stops: call it while the children still run."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        self.sample()

    def peak(self) -> float | None:
        return max((c["peak_rss_mib"] for c in self.children.values() if c["samples"]),
                   default=None)


def phase_floor(args: argparse.Namespace) -> dict[str, Any]:
    import mailparser
    from imapclient import IMAPClient

    memory = PhaseMemory()
    machine_before = _machine_busy()
    started = time.perf_counter()
    parsed = 0
    with IMAPClient("127.0.0.1", port=args.imap_port, ssl=False, timeout=60) as client:
        client.login(args.imap_user, os.environ[PASSWORD_ENV])
        client.select_folder("INBOX", readonly=True)  # EXAMINE: the floor changes nothing
        uids = sorted(client.search(["ALL"]))
        for start in range(0, len(uids), FLOOR_BATCH):
            batch = client.fetch(uids[start : start + FLOOR_BATCH], ["BODY.PEEK[]"])
            for data in batch.values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
                parsed += 1
            del batch
    seconds = time.perf_counter() - started
    return {"mails": parsed, "seconds": seconds, **memory.figures(),
            "cpu_seconds": _cpu_seconds(),
            "busy_cores": _busy_cores(machine_before, seconds)}


def _machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine since boot, from /proc/stat: the
    difference over a phase shows how many cores everything (Dovecot, the SMTP server and
    the phase's own processes) kept busy."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(value) for value in fields[:8]]
    # user, nice, system, irq, softirq; not idle, iowait or steal (time the hypervisor
    # gave to other machines).
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    return busy / os.sysconf("SC_CLK_TCK")


def _stat_cpu_seconds(stat_path: str) -> float:
    """User + system CPU seconds of a process or thread, from its /proc/.../stat."""
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy_cores(before: float | None, seconds: float) -> float | None:
    after = _machine_busy()
    if before is None or after is None or seconds <= 0:
        return None
    return (after - before) / seconds


class ThreadCpu:
    """CPU seconds of each thread of this process that ends while it is installed (by
    name, a "+" added where names repeat), for the report: which thread holds the
    interpreter's lock how long."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._run = threading.Thread.run
        cpu = self

        def run(self: threading.Thread) -> None:
            try:
                cpu._run(self)
            finally:
                cpu.seconds[cpu._unused_name(self.name)] = time.thread_time()

        threading.Thread.run = run  # type: ignore[method-assign,assignment]

    def still_running(self) -> None:
        """Add the threads that have not ended (the parse pool's result reader ends only
        with the pool): their CPU so far, from /proc/self/task."""
        for thread in threading.enumerate():
            if thread is threading.main_thread() or thread.native_id is None:
                continue
            try:
                seconds = _stat_cpu_seconds(f"/proc/self/task/{thread.native_id}/stat")
            except OSError:
                continue
            self.seconds[self._unused_name(thread.name)] = seconds

    def _unused_name(self, name: str) -> str:
        while name in self.seconds:
            name += "+"
        return name

    def uninstall(self) -> None:
        threading.Thread.run = self._run  # type: ignore[method-assign]


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the parse process)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def phase_bare(args: argparse.Namespace) -> dict[str, Any]:
    """The floor plus the one thing every acknowledging system must add: each mail's
    acknowledgement handed to the SMTP server, with aiosmtplib (the project's SMTP client)
    over one connection in one event loop, its cheapest use. No database, no templates,
    nothing moved: what is left of the project's time once all its own work is free."""
    import asyncio

    import aiosmtplib
    import mailparser
    from imapclient import IMAPClient

    memory = PhaseMemory()

    async def run() -> int:
        sent = 0
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=args.smtp_port)
        await smtp.connect()
        with IMAPClient("127.0.0.1", port=args.imap_port, ssl=False, timeout=60) as client:
            client.login(args.imap_user, os.environ[PASSWORD_ENV])
            client.select_folder("INBOX", readonly=True)
            uids = sorted(client.search(["ALL"]))
            for start in range(0, len(uids), FLOOR_BATCH):
                batch = client.fetch(uids[start : start + FLOOR_BATCH], ["BODY.PEEK[]"])
                for data in batch.values():
                    mail = mailparser.parse_from_bytes(data[b"BODY[]"])
                    customer = mail.from_[0][1] if mail.from_ else "nobody@example.net"
                    ack = (f"From: {SUPPORT}\r\nTo: {customer}\r\n"
                           f"Subject: Re: {mail.subject[:100]!s}\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                           + "We received your request.\r\n" * 20).encode()
                    await smtp.sendmail(SUPPORT, [customer], ack)
                    sent += 1
                    if args.bare_alerts:
                        # The technicians' alert of the new ticket: one more transaction.
                        await smtp.sendmail(SUPPORT, list(TECHNICIANS), ack)
                del batch
        await smtp.quit()
        return sent

    started = time.perf_counter()
    sent = asyncio.run(run())
    seconds = time.perf_counter() - started
    return {"mails": sent, "seconds": seconds, **memory.figures(),
            "cpu_seconds": _cpu_seconds()}


def _project_settings(args: argparse.Namespace) -> Any:
    from inbox_worker.config import (
        DatabaseSettings,
        MailboxSettings,
        Secret,
        Settings,
        SmtpSettings,
        SupportSettings,
        TechnicianSettings,
    )

    return Settings(
        support=SupportSettings(address=SUPPORT, name="Example Support", token_prefix="IW",
                                message_id_domain="example.com"),
        database=DatabaseSettings(url=args.db_url),
        mailbox=MailboxSettings(kind="imap", host="127.0.0.1", port=args.imap_port,
                                folder="INBOX", security="none", username=args.imap_user,
                                password=Secret(env=PASSWORD_ENV)),
        smtp=SmtpSettings(kind="smtp", host="127.0.0.1", port=args.smtp_port, security="none"),
        technicians=TechnicianSettings(addresses=frozenset(TECHNICIANS),
                                       trusted_authserv_ids=("mx.example.com",)),
        templates_dir=REPO / "templates",
    )


def phase_project(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from inbox_worker.app import build_app
    from inbox_worker.store.models import OutboxItem, Ticket

    # As `inbox-worker poll --once` configures logging (cli.main, without --verbose).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = _project_settings(args)
    memory = PhaseMemory()
    # The parse process (`[worker] parse_processes`) is a child of this one: its own peak.
    children = ChildSampler(period=0.1).start()
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
    t0 = time.perf_counter()
    app = build_app(settings)
    threads = ThreadCpu()
    main_cpu = time.thread_time()
    machine_before = _machine_busy()
    t1 = time.perf_counter()
    if profiler:
        profiler.enable()
    summary, delivery = app.poll_and_deliver()
    t2 = time.perf_counter()
    busy_cores = _busy_cores(machine_before, t2 - t1)
    threads.seconds["MainThread"] = time.thread_time() - main_cpu
    threads.still_running()
    threads.uninstall()
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile_out)
    with app.sessions() as session:
        tickets = session.scalar(select(func.count(Ticket.id)))
        states = dict(session.execute(
            select(OutboxItem.state, func.count(OutboxItem.id)).group_by(OutboxItem.state)
        ).all())
    children.stop()  # the last sample, while the parse process still runs
    app.close()  # stops the parse process, so that RUSAGE_CHILDREN counts it below
    # The old figure: ru_maxrss of the ended children, this process's pre-exec peak included.
    children_ru_maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    children_peak = children.peak()
    return {
        "mails": summary.total, "outcomes": dict(summary.outcomes), "tickets": tickets,
        "notices_sent": delivery.sent, "notices_failed": delivery.failed,
        "notices_retried": delivery.retried, "outbox_states": states,
        "build_app_seconds": t1 - t0, "seconds": t2 - t1,
        **memory.figures(), "cpu_seconds": _cpu_seconds(),
        "busy_cores": busy_cores, "thread_cpu_seconds": threads.seconds,
        # The parse process: the largest child's VmHWM (the resource tracker is smaller).
        "children_peak_rss_mib":
            children_ru_maxrss if children_peak is None else children_peak,
        "children_rss_method": "ru_maxrss" if children_peak is None else "proc_hwm",
        "children_ru_maxrss_mib": children_ru_maxrss,
        "children": sorted(children.children.values(), key=lambda c: -c["peak_rss_mib"]),
    }


def run_phase(
    phase: str, extra: list[str], env: dict[str, str], smtp: Any = None,
    wrapper: list[str] | None = None,
) -> dict[str, Any]:
    command = [*(wrapper or []), sys.executable, str(Path(__file__).resolve()),
               "--phase", phase, *extra]
    server_cpu = smtp.cpu_seconds() if smtp is not None else 0.0
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    if done.stderr.strip():
        print(f"[{phase} stderr, last lines]\n" + "\n".join(done.stderr.splitlines()[-10:]),
              file=sys.stderr)
    # The last JSON line: a profiler wrapping the phase may print after it.
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"phase {phase} printed no result:\n{done.stdout[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["smtp_server_cpu_seconds"] = (
        smtp.cpu_seconds() - server_cpu if smtp is not None else 0.0)
    return result


# ---------------------------------------------------------------------------------------
# The orchestrator: servers, filling, database, the three phases, the report.
# ---------------------------------------------------------------------------------------


class CountingHandler:
    """aiosmtpd handler that accepts everything and only counts."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.recipients = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.bytes += len(envelope.original_content or envelope.content or b"")
        return "250 Message accepted for delivery"


class AiosmtpdSink:
    """aiosmtpd (tests/support/smtp.py) in a thread of this process, counting. This
    process runs nothing else during a phase, so its CPU time is the server's."""

    name = "aiosmtpd"

    def __init__(self) -> None:
        from tests.support.smtp import SmtpServer

        self._server = SmtpServer()
        self._counter = CountingHandler()
        self._server.handler = self._counter  # type: ignore[assignment]  # count, not keep
        self.port = self._server.port

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def messages(self) -> int:
        return self._counter.messages

    def cpu_seconds(self) -> float:
        return time.process_time()


class PostfixSink:
    """Postfix's smtp-sink (C): accepts and discards every mail, announces PIPELINING and
    8BITMIME as Postfix does, and counts (`-c`). It costs the shared cores almost nothing,
    as a relay on another machine would in production."""

    name = "smtp-sink"
    BINARY = "/usr/sbin/smtp-sink"

    def __init__(self, workdir: Path) -> None:
        from tests.support.smtp import free_port

        if not os.access(self.BINARY, os.X_OK):
            raise SystemExit(f"{self.BINARY} is missing: install Debian's postfix (only its "
                             "smtp-sink is used; 'No configuration'), or pass "
                             "--smtp-server aiosmtpd")
        self.port = free_port()
        self._counts = workdir / "smtp-sink.out"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self._counts, "wb") as out:
            self._process = subprocess.Popen(
                [self.BINARY, "-c", "-u", "nobody", f"127.0.0.1:{self.port}", "256"],
                stdout=out, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("smtp-sink did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def messages(self) -> int:
        # `-c` rewrites one line of counters ("sess=2 quit=2 mesg=4000") after each mail.
        text = self._counts.read_bytes().decode("ascii", "replace").replace("\r", "\n")
        counts = [line for line in text.splitlines() if "mesg=" in line]
        return int(counts[-1].split("mesg=")[1].split()[0]) if counts else 0

    def cpu_seconds(self) -> float:
        assert self._process is not None
        return _stat_cpu_seconds(f"/proc/{self._process.pid}/stat")


def fill(dovecot: Any, user: str, seed: int, n: int) -> dict[str, Any]:
    total = 0
    generating = 0.0
    started = time.perf_counter()
    with dovecot.client(user) as client:
        if not client.has_capability("MULTIAPPEND"):
            raise SystemExit("Dovecot without MULTIAPPEND?")
        mails = generate(seed, n)
        while True:
            t = time.perf_counter()
            chunk = [m for _, m in zip(range(APPEND_CHUNK), mails, strict=False)]
            generating += time.perf_counter() - t
            if not chunk:
                break
            total += sum(len(m) for m in chunk)
            client.multiappend("INBOX", chunk)
        count = client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
    seconds = time.perf_counter() - started
    if count != n:
        raise SystemExit(f"the mailbox holds {count} mails after filling, expected {n}")
    return {"seconds": seconds, "generate_seconds": generating,
            "append_seconds": seconds - generating, "bytes": total,
            "mean_kib": total / n / 1024}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} " \
           f"{platform.release()}, Python {platform.python_version()}"


def project_revision() -> str:
    """The commit measured, and whether the working tree differed from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "unknown"
    return f"{head}{'+dirty' if dirty.strip() else ''}" if head else "unknown"


def orchestrate(args: argparse.Namespace) -> dict[str, Any]:
    from tests.support.dovecot import Dovecot
    from tests.support.postgres import create_database, drop_database

    load_before = os.getloadavg()
    revision = project_revision()  # at the start: the code the phases import
    started = datetime.now(UTC).isoformat(timespec="seconds")
    password = secrets.token_urlsafe(12)
    user = "support"
    env = {**os.environ, PASSWORD_ENV: password}
    workdir = Path(tempfile.mkdtemp(prefix="iw-bench-"))
    smtp = PostfixSink(workdir) if args.smtp_server == "smtp-sink" else AiosmtpdSink()
    rounds: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        with Dovecot() as dovecot:
            dovecot.add_user(user, password)
            smtp.start()
            print(f"filling the mailbox with {args.n} mails (seed {args.seed}) ...",
                  file=sys.stderr)
            filled = fill(dovecot, user, args.seed, args.n)
            common = ["--imap-port", str(dovecot.imap_port), "--imap-user", user]
            print("bare ...", file=sys.stderr)
            received = smtp.messages()
            bare = run_phase("bare", [*common, "--smtp-port", str(smtp.port),
                                      *(["--bare-alerts"] if args.bare_alerts else [])],
                             env, smtp)
            bare_received = smtp.messages() - received
            per_mail = 2 if args.bare_alerts else 1
            if bare["mails"] != args.n or bare_received != args.n * per_mail:
                problems.append(f"the bare phase sent {bare['mails']} acknowledgements and "
                                f"the SMTP server received {bare_received}, expected {args.n}")
            for number in range(1, args.rounds + 1):
                rounds.append(_round(args, number, dovecot, user, common, env, smtp, workdir,
                                     create_database, drop_database, problems))
    finally:
        smtp.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    # The machine's speed drifts by a quarter within minutes: each project run is compared
    # with the floor run just before it, and the median round is reported.
    middle = sorted(rounds, key=lambda r: r["ratio"])[(len(rounds) - 1) // 2]
    floor, project = middle["floor"], middle["project"]
    return {
        "date": started,
        "machine": machine(),
        "revision": revision,
        # Other work on the machine skews the figures: the 1-minute load before and after.
        "load_before": round(load_before[0], 2), "load_after": round(os.getloadavg()[0], 2),
        "n": args.n, "db": args.db, "seed": args.seed, "profiled": bool(args.profile),
        "smtp_server": smtp.name,
        "fill": {**filled, "mails_per_s": args.n / filled["seconds"]},
        "rounds": rounds,
        "floor": floor,
        "bare": {**bare, "mails_per_s": args.n / bare["seconds"],
                 "ratio": floor["seconds"] / bare["seconds"]},
        "project": {**project,
                    "peak_rss_mib": max(r["project"]["peak_rss_mib"] for r in rounds),
                    "children_peak_rss_mib":
                        max(r["project"]["children_peak_rss_mib"] for r in rounds)},
        "ratio": middle["ratio"],
        "target_ratio": 0.5,
        "ok": not problems, "problems": problems,
    }


def _round(args: argparse.Namespace, number: int, dovecot: Any, user: str, common: list[str],
           env: dict[str, str], smtp: Any, workdir: Path, create_database: Any,
           drop_database: Any, problems: list[str]) -> dict[str, Any]:
    """One floor run, then one project run from the same mailbox, then the mailbox put
    back as it was (its mails moved back from Processed to INBOX)."""
    print(f"round {number}/{args.rounds}: floor ...", file=sys.stderr)
    floor = run_phase("floor", common, env)
    if floor["mails"] != args.n:
        raise SystemExit(f"the floor parsed {floor['mails']} mails, expected {args.n}")
    floor["mails_per_s"] = args.n / floor["seconds"]
    if args.db == "sqlite":
        db_url = f"sqlite:///{workdir / f'inbox-worker-{number}.db'}"
    else:
        db_url = create_database("iw_bench", PG_ADMIN_URL)
    try:
        print(f"round {number}/{args.rounds}: project ...", file=sys.stderr)
        extra = [*common, "--smtp-port", str(smtp.port), "--db-url", db_url]
        wrapper: list[str] = []
        if args.profile:
            RESULTS.mkdir(parents=True, exist_ok=True)
            stem = RESULTS / f"profile-{args.n}-{args.db}"
            if args.profile == "cprofile":
                extra += ["--profile-out", f"{stem}.pstats"]
            else:
                py_spy = Path(sys.executable).parent / "py-spy"
                # py-spy: wall clock, waits included; py-spy-cpu: CPU only, per thread,
                # the parse process included.
                waits = (["--idle"] if args.profile == "py-spy"
                         else ["--threads", "--subprocesses"])
                wrapper = [str(py_spy), "record", *waits, "--nonblocking", "--rate", "250",
                           "--format", "raw", "--output", f"{stem}.{args.profile}.txt", "--"]
        received = smtp.messages()
        project = run_phase("project", extra, env, smtp, wrapper)
        project["acks_received"] = smtp.messages() - received
        project["mails_per_s"] = args.n / project["seconds"]
    finally:
        if args.db == "postgresql":
            drop_database(db_url, PG_ADMIN_URL)
    with dovecot.client(user) as client:
        left = client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
        moved = client.folder_status("Processed", [b"MESSAGES"])[b"MESSAGES"]
        client.select_folder("Processed")
        uids = client.search(["ALL"])
        for start in range(0, len(uids), APPEND_CHUNK * 10):  # Dovecot limits a command's length
            client.move(uids[start : start + APPEND_CHUNK * 10], "INBOX")
    where = f"round {number}: "
    if project["tickets"] != args.n:
        problems.append(f"{where}{project['tickets']} tickets stored, expected {args.n}")
    # Each new ticket: the customer's acknowledgement and the technicians' alert (one mail
    # to all of them).
    expected_mails = args.n * 2
    if project["acks_received"] != expected_mails:
        problems.append(f"{where}the SMTP server received {project['acks_received']} "
                        f"mails, expected {expected_mails} (acknowledgements and alerts)")
    if left != 0 or moved != args.n:
        problems.append(f"{where}INBOX holds {left} and Processed {moved} after the pass")
    return {"round": number, "floor": floor, "project": project,
            "ratio": floor["seconds"] / project["seconds"]}


def _row(label: str, seconds: float | None = None, rate: float | None = None,
         peak: float | None = None, imports: float | None = None) -> str:
    def cell(value: float | None, form: str, width: int) -> str:
        return f"{'' if value is None else format(value, form):>{width}}"

    return (f"  {label:<36}{cell(seconds, '.2f', 9)}{cell(rate, '.0f', 10)}"
            f"{cell(peak, '.1f', 11)}{cell(imports, '.1f', 13)}").rstrip()


def _memory_note(result: dict[str, Any]) -> list[str]:
    """How the memory columns were measured (the methods the phases report), wrapped."""
    import textwrap

    phases = [result["bare"], *(r[k] for r in result["rounds"] for k in ("floor", "project"))]
    own = {ph.get("rss_method", "ru_maxrss") for ph in phases}
    children = {r["project"].get("children_rss_method", "ru_maxrss") for r in result["rounds"]}
    if own == {"proc_hwm"}:
        note = ("peak MiB: the phase process's VmHWM since its imports (reset there through "
                "/proc/PID/clear_refs); MiB@imports: its VmRSS then.")
    else:
        note = ("peak MiB and MiB@imports: ru_maxrss (clear_refs refused), which includes "
                "the orchestrator's peak from before the exec.")
    if children == {"proc_hwm"}:
        note += (" Parse process: its own VmHWM from its exec on, read every 0.1 s and "
                 "before app.close().")
    else:
        note += (" Parse process: RUSAGE_CHILDREN ru_maxrss, which includes the project "
                 "process's peak from before the exec.")
    return textwrap.wrap(f"({note})", width=86, initial_indent="  ",
                         subsequent_indent="   ")


def _cpu_notes(result: dict[str, Any]) -> list[str]:
    """Where the median round's CPU went: the machine's busy cores during each phase
    (Dovecot included) and the project's threads (the worker's process holds one
    interpreter lock: the sum of its threads bounds it)."""
    fl, p = result["floor"], result["project"]
    lines = []
    if fl.get("busy_cores") is not None and p.get("busy_cores") is not None:
        lines.append(f"  machine busy (all processes, Dovecot's included): floor "
                     f"{fl['busy_cores']:.2f} cores, project {p['busy_cores']:.2f} cores")
    threads = p.get("thread_cpu_seconds") or {}
    if threads:
        shown = sorted(threads.items(), key=lambda item: -item[1])
        lines.append("  project's process by thread (CPU s): " + ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in shown if seconds >= 0.01)
            + f"; of {p['seconds']:.2f} s")
    return lines


def report(result: dict[str, Any]) -> str:
    n, f, fl, p = result["n"], result["fill"], result["floor"], result["project"]
    b = result["bare"]
    per_round = "; ".join(
        f"{r['floor']['mails_per_s']:.0f} / {r['project']['mails_per_s']:.0f} = {r['ratio']:.1%}"
        for r in result["rounds"])
    lines = [
        f"inbox-worker throughput  N={n}  db={result['db']}  seed={result['seed']}  "
        f"SMTP server {result['smtp_server']}"
        + ("  (PROFILED: timings inflated)" if result["profiled"] else ""),
        f"  {result['machine']}",
        f"  revision {result['revision']}, {result['date']}, load average "
        f"{result['load_before']} before / {result['load_after']} after",
        f"  mails: {f['bytes'] / 2**20:.1f} MiB, mean {f['mean_kib']:.1f} KiB",
        "",
        f"  {'phase':<36}{'seconds':>9}{'mails/s':>10}{'peak MiB':>11}{'MiB@imports':>13}",
        _row("fill (generate + MULTIAPPEND)", f["seconds"], f["mails_per_s"]),
        _row("  of which MULTIAPPEND", f["append_seconds"], n / f["append_seconds"]),
        _row("bare (floor + aiosmtplib send)", b["seconds"], b["mails_per_s"],
             b["peak_rss_mib"], b["rss_after_imports_mib"]),
        f"  median of {len(result['rounds'])} rounds (floor, then project):",
        _row("floor (fetch + mailparser)", fl["seconds"], fl["mails_per_s"],
             fl["peak_rss_mib"], fl["rss_after_imports_mib"]),
        _row("project (poll --once)", p["seconds"], p["mails_per_s"], p["peak_rss_mib"],
             p["rss_after_imports_mib"]),
        _row("  its parse process (peak)", None, None, p["children_peak_rss_mib"]),
        _row("  build_app (not counted)", p["build_app_seconds"]),
        f"  rounds, floor / project mails/s: {per_round}",
        "  (peak MiB of the project: the highest of all rounds)",
        *_memory_note(result),
        "",
        f"  project / floor: {result['ratio']:.1%}  (target >= {result['target_ratio']:.0%});"
        f" bare / floor: {b['ratio']:.1%}",
        "",
        "  CPU seconds       phase's processes   SMTP server   per mail (ms, both)",
        *(f"  {name:<18}{ph['cpu_seconds']:>17.2f}{ph['smtp_server_cpu_seconds']:>14.2f}"
          f"{(ph['cpu_seconds'] + ph['smtp_server_cpu_seconds']) / n * 1000:>20.2f}"
          for name, ph in (("floor", fl), ("bare", b), ("project", p))),
        *_cpu_notes(result),
        "",
        f"  tickets {p['tickets']}, outcomes {p['outcomes']}, acks received "
        f"{p['acks_received']}, outbox {p['outbox_states']}",
        "  OK" if result["ok"] else "  FAILED: " + "; ".join(result["problems"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="number of mails")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of (floor, project); the median round is reported "
                             "(default 3; 1 when profiling)")
    parser.add_argument("--smtp-server", choices=("smtp-sink", "aiosmtpd"),
                        default="smtp-sink",
                        help="the SMTP server that receives the acknowledgements: Postfix's "
                             "smtp-sink (default) or aiosmtpd in this process")
    parser.add_argument("--bare-alerts", action="store_true",
                        help="the bare phase also sends each mail's alert to the technicians "
                             "(one more SMTP transaction a mail, as the project does)")
    parser.add_argument("--profile", choices=("cprofile", "py-spy", "py-spy-cpu"),
                        help="profile the project phase (output in bench/results/); "
                             "py-spy must be installed in the venv")
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=("floor", "bare", "project"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--imap-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--imap-user", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        phases = {"floor": phase_floor, "bare": phase_bare, "project": phase_project}
        result = phases[args.phase](args)
        print(json.dumps(result))
        return 0
    if args.n < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1")
    if args.profile:
        args.rounds = 1
    # A plain kill should still stop the servers and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = orchestrate(args)
    text = report(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = ("" if args.smtp_server == "smtp-sink" else f"-{args.smtp_server}") + (
        "-profiled" if args.profile else "")
    out = RESULTS / f"throughput-{args.n}-{args.db}{suffix}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {out.relative_to(REPO)}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
