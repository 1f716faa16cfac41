"""Per-stage costs of one mail, without servers: where `throughput.py`'s time goes.

Generates the same mails as `throughput.py` (same seed) and times, per mail, in this one
process: mail-parser alone (what the floor does), the project's `parse_mail`, its reply
splitting, composing an acknowledgement, and storing parsed mails in batches of 50
(`store_parsed`, SQLite in a temp directory, notices queued but not sent). Statements per
mail are counted.

    .venv/bin/python bench/stages.py [--n 600] [--seed 1]

Single-process CPU figures: they add up to less than `throughput.py`'s wall time, which
also pays for IMAP, SMTP and the two processes sharing the machine's cores.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def per_mail(items: list[Any], work: Callable[[Any], object]) -> float:
    started = time.perf_counter()
    for item in items:
        work(item)
    return (time.perf_counter() - started) / len(items) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import logging

    import mailparser
    import throughput
    from sqlalchemy import event

    from inbox_worker.app import build_app
    from inbox_worker.mail.inbound import parse_mail
    from inbox_worker.mail.reply_split import reply_text
    from inbox_worker.mail.source import FetchedMail
    from inbox_worker.notices.compose import compose_notice
    from inbox_worker.notices.render import RenderedNotice

    logging.basicConfig(level=logging.ERROR)
    customers = max(1, math.ceil(args.n / throughput.mails_per_customer()))
    mails = [throughput.make_mail(args.seed, i, customers) for i in range(args.n)]
    parsed = [parse_mail(raw) for raw in mails]
    rows: list[tuple[str, float]] = [
        ("mail-parser alone (the floor's parse)", per_mail(mails, mailparser.parse_from_bytes)),
        ("parse_mail (mail-parser + ours)", per_mail(mails, parse_mail)),
        ("  of which reply splitting", per_mail(parsed, lambda m: reply_text(m.full_text))),
    ]
    rendered = RenderedNotice("We received your request", "Hello,\n\nthank you.\n" * 8)
    now = datetime.now(UTC)
    rows.append(("compose_notice", per_mail(list(range(args.n)), lambda i: compose_notice(
        rendered=rendered, kind="acknowledged", from_name="Example Support",
        from_addr=throughput.SUPPORT, to_addr=f"c{i}@customer.test", to_name="Anna Müller",
        token="IW-ABCDEFGHJK", message_id=f"iw.{i:032x}@example.com",
        in_reply_to=f"m{i}@customer.test", references=[f"m{i}@customer.test"], date=now,
    ))))

    with tempfile.TemporaryDirectory() as tmp:
        settings = throughput._project_settings(argparse.Namespace(
            db_url=f"sqlite:///{tmp}/bench.db", imap_port=1, imap_user="-", smtp_port=1,
        ))
        app = build_app(settings)
        statements = 0

        def counted(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(app.engine, "before_cursor_execute", counted)
        fetched = [FetchedMail(key=f"bench:{i}", raw=raw) for i, raw in enumerate(mails)]
        batches = [fetched[i : i + 50] for i in range(0, len(fetched), 50)]
        from inbox_worker.mail.admission import parse_one

        max_bytes = settings.mailbox.max_message_bytes
        parsed_batches = [[parse_one(f, max_bytes) for f in b] for b in batches]
        rows.append(("store_parsed (store only), per mail",
                     per_mail(parsed_batches, lambda b: app.ingestor.store_parsed(b, now)) / 50))
        app.close()

    print(f"inbox-worker stages  N={args.n}  seed={args.seed}  (ms per mail, one process)")
    for label, ms in rows:
        print(f"  {label:<42}{ms:8.3f}")
    print(f"  {'statements per mail while storing':<42}{statements / args.n:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
