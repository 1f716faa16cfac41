"""A large store for `bench/scale.py`: N tickets and M messages, written in bulk.

The schema is the product's own (`store.database.upgrade_schema`, the migrations the worker
runs); the rows go in through the database driver directly (SQLite `executemany` with
synchronous writes off, PostgreSQL `COPY`), not through the ingest pipeline: a million
messages in minutes, not hours. Everything is drawn from `--seed`.

What is in it:

- N tickets created over a year, ids following creation; statuses as a working desk
  has them (most Closed, about 5% queued: Open or Customer-Reply), priorities skewed to
  normal, places in line following creation (a reply that went to the back of the queue
  has a later place); 10% with a participant (Cc);
- M messages: one ticket (`BIG_REF` in the output, the middle one, Customer-Reply) with
  `--big` messages and as many events, the others' messages spread evenly (1 to about
  2M/N each); per ticket: the customer's mail, then our notice (an outgoing message with
  its outbox row, sent), a customer's reply, a technician's, in turn; 1% of incoming
  mails with a small attachment. A message's text is 150-400 characters, a reply also
  quotes the last. Message ids follow time roughly, as the worker gives them: a ticket's
  messages are spread over the table;
- events: `created`, and one for every third message (every message on the big ticket).

    .venv/bin/python bench/scale_dataset.py var/scale.db [--tickets 100000] [--messages 1000000]
    .venv/bin/python bench/scale_dataset.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from array import array
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365
SUPPORT = "support@example.com"
TECHNICIANS = ("alice@example.com", "bob@example.com", "carla@example.com",
               "dmitri@example.com")
STATUSES = ("Closed", "Answered", "Open", "Customer-Reply", "In Progress", "On-Hold",
            "Scheduled")
STATUS_WEIGHTS = (85, 4, 3, 2, 2, 2, 2)
PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_WEIGHTS = (4, 14, 66, 16)
WORDS = ("printer", "network", "mailbox", "password", "VPN", "laptop", "invoice", "backup",
         "screen", "account", "drive", "license", "phone", "meeting room", "server")
SENTENCES = ("Since this morning the {w} does not work any more.",
             "I tried to restart it twice, without success.",
             "Could you please have a look at the {w} today?",
             "Our team cannot work until the {w} is fixed.",
             "Der {w} funktioniert seit gestern nicht mehr.",
             "Thanks for the quick answer, it works again.",
             "We replaced the {w}; please confirm it is fine now.",
             "Le {w} ne répond plus depuis la mise à jour.")
CHUNK = 20_000


def crockford_token(rng: random.Random) -> str:
    from inbox_worker.domain.correlate import CROCKFORD

    bits = rng.getrandbits(50)
    return "IW-" + "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in range(10))


def message_counts(rng: random.Random, n: int, total: int, big: int, big_id: int) -> array:
    """Messages per ticket (index = ticket id): `big` on `big_id`, the rest spread so that
    the sum is exactly `total`."""
    counts = array("i", [0] * (n + 1))
    q, r = divmod(total - big, n - 1)
    others = [i for i in range(1, n + 1) if i != big_id]
    for index, ticket_id in enumerate(others):
        counts[ticket_id] = q + (1 if index < r else 0)
    for a, b in zip(others[0::2], others[1::2], strict=False):  # jitter, sum kept
        shift = rng.randint(0, max(0, counts[b] - 1))
        counts[a] += shift
        counts[b] -= shift
    counts[big_id] = big
    return counts


def message_stream(rng: random.Random, counts: array, big_id: int) -> Iterator[int]:
    """Ticket ids in the order their messages arrive: tickets in creation order, mixed
    within blocks (several tickets in flight at once); the big ticket's all along."""
    big = counts[big_id]
    step = max(1, (sum(counts) - big) // max(1, big))
    for position, ticket_id in enumerate(mixed_blocks(rng, counts, big_id)):
        if position % step == 0 and big:
            big -= 1
            yield big_id
        yield ticket_id
    yield from [big_id] * big


def mixed_blocks(rng: random.Random, counts: array, big_id: int) -> Iterator[int]:
    block = array("i")
    for ticket_id in range(1, len(counts)):
        if ticket_id != big_id:
            block.extend([ticket_id] * counts[ticket_id])
        if len(block) >= CHUNK or ticket_id == len(counts) - 1:
            rng.shuffle(block)  # type: ignore[arg-type]
            yield from block
            del block[:]


class Writer:
    """Bulk rows into one table, by the driver: SQLite executemany, PostgreSQL COPY."""

    def __init__(self, url: str) -> None:
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            import psycopg

            self.connection: Any = psycopg.connect(url.replace("+psycopg", ""))
        else:
            import sqlite3

            self.connection = sqlite3.connect(url.removeprefix("sqlite:///"))
            self.connection.execute("PRAGMA synchronous=OFF")

    def when(self, moment: datetime | None) -> Any:
        if moment is None or self.postgres:
            return moment
        # As SQLAlchemy stores a DateTime in SQLite: compared as text, so the exact form.
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def rows(self, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
             ) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        count = 0
        if self.postgres:
            with self.connection.cursor() as cursor, cursor.copy(
                    f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            self.connection.commit()
            return count
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                self.connection.executemany(statement, batch)
                count += len(batch)
                batch.clear()
        self.connection.executemany(statement, batch)
        self.connection.commit()
        return count + len(batch)

    def finish(self) -> None:
        tables = ("tickets", "participants", "messages", "attachments", "ticket_events",
                  "outbox")
        if self.postgres:
            with self.connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT coalesce(max(id), 1) FROM {table}))")
            self.connection.commit()
            self.connection.autocommit = True
            self.connection.execute("VACUUM ANALYZE")
        else:
            self.connection.execute("ANALYZE")
            self.connection.commit()
        self.connection.close()


def build(url: str, *, tickets: int, messages: int, big: int, seed: int) -> dict[str, Any]:
    from inbox_worker.store.database import make_engine, upgrade_schema

    started = time.perf_counter()
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    rng = random.Random(seed)
    big_id = tickets // 2
    span = timedelta(days=DAYS) / tickets
    created = [START + span * i for i in range(tickets + 1)]
    counts = message_counts(rng, tickets, messages, big, big_id)
    statuses = ["Open"] + rng.choices(STATUSES, weights=STATUS_WEIGHTS, k=tickets)
    statuses[big_id] = "Customer-Reply"
    out = Writer(url)
    figures: dict[str, Any] = {"big_ref": f"T-{big_id}"}

    def ticket_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(1, tickets + 1):
            status = statuses[i]
            at = created[i]
            closed = at + timedelta(days=2) if status == "Closed" else None
            # A Customer-Reply ticket went to the back of the queue when the reply came.
            place = i + (tickets if status == "Customer-Reply" and rng.random() < 0.5 else 0)
            yield (i, crockford_token(rng), f"{rng.choice(WORDS)} problem #{i}",
                   f"customer{rng.randrange(tickets // 5)}@example.org", status,
                   rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0],
                   rng.choice(("printing", "network", None)),
                   rng.choice(TECHNICIANS) if status != "Open" else None, place,
                   out.when(at), out.when(closed or at + timedelta(hours=3)), out.when(closed),
                   out.when(at + timedelta(hours=2)) if status != "Open" else None, 0,
                   out.when(at) if status in ("Open", "Customer-Reply", "In Progress")
                   else None)

    figures["tickets"] = out.rows("tickets", (
        "id", "token", "subject", "customer", "status", "priority", "category", "assignee",
        "queue_place", "created_at", "updated_at", "closed_at", "first_response_at",
        "clock_seconds", "clock_since"), ticket_rows())
    figures["participants"] = out.rows("participants", ("ticket_id", "address"), (
        (i, f"colleague{i}@example.org") for i in range(1, tickets + 1) if i % 10 == 3))

    seen = array("i", [0] * (tickets + 1))
    attached: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []

    def message_rows() -> Iterator[tuple[Any, ...]]:
        for pk, ticket_id in enumerate(message_stream(rng, counts, big_id), start=1):
            number = seen[ticket_id]
            seen[ticket_id] = number + 1
            at = created[ticket_id] + timedelta(minutes=7 * number)
            turn = number % 4  # customer, our notice, customer, technician
            direction = "out" if turn == 1 else "in"
            kind = ("customer", "notice", "customer", "technician")[turn]
            sender = (SUPPORT if turn == 1 else TECHNICIANS[ticket_id % 4] if turn == 3
                      else f"customer{ticket_id}@example.org")
            words = [rng.choice(SENTENCES).format(w=rng.choice(WORDS))
                     for _ in range(rng.randint(3, 7))]
            text = " ".join(words)
            full = text + ("\n\n> " + "\n> ".join(words[:2]) if number else "")
            if direction == "out":
                outbox.append((ticket_id, pk, "acknowledged", f"customer{ticket_id}@example.org",
                               b"Subject: notice\r\n\r\n" + text.encode(), "sent", 1,
                               out.when(at), out.when(at), out.when(at)))
            elif pk % 100 == 7:
                attached.append((pk, f"screenshot-{pk}.png", "image/png", 1024,
                                 f"{pk:064x}", bytes(1024)))
            if number == 0:
                events.append((ticket_id, out.when(at), "created", None, "Open", sender,
                               f"new mail from {sender}", pk))
            elif ticket_id == big_id or number % 3 == 0:
                events.append((ticket_id, out.when(at), "status", "Answered",
                               "Customer-Reply", sender, f"customer reply from {sender}", pk))
            yield (pk, ticket_id, f"scale.{seed}.{pk}@example.org", direction, kind, sender, "",
                   SUPPORT, "", f"Re: problem #{ticket_id}" if number else f"problem #{ticket_id}",
                   text, full, "", "", out.when(at), out.when(at), f"scale:{pk}")

    figures["messages"] = out.rows("messages", (
        "id", "ticket_id", "message_id", "direction", "kind", "from_addr", "from_name",
        "to_addrs", "cc_addrs", "subject", "text", "full_text", "in_reply_to", "references",
        "date_header", "received_at", "source_key"), message_rows())
    figures["attachments"] = out.rows("attachments", (
        "message_pk", "filename", "content_type", "size", "sha256", "data"), iter(attached))
    figures["outbox"] = out.rows("outbox", (
        "ticket_id", "message_pk", "notice", "recipient", "raw", "state", "attempts",
        "next_attempt_at", "created_at", "sent_at"), iter(outbox))
    figures["events"] = out.rows("ticket_events", (
        "ticket_id", "at", "kind", "from_status", "to_status", "actor", "cause", "message_pk"),
        iter(sorted(events, key=lambda e: e[-1])))
    out.rows("counters", ("name", "value"), iter([("queue_place", 2 * tickets)]))
    figures["queued"] = sum(1 for s in statuses[1:] if s in ("Open", "Customer-Reply"))
    out.finish()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("path", nargs="?", type=Path, help="the SQLite file to create")
    where.add_argument("--database-url", help="an empty database (PostgreSQL) instead")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=20_000,
                        help="messages (and events) of the one big ticket")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.path is not None and args.path.exists():
        parser.error(f"{args.path} exists: give a new file")
    url = args.database_url or f"sqlite:///{args.path.resolve()}"
    figures = build(url, tickets=args.tickets, messages=args.messages, big=args.big,
                    seed=args.seed)
    for key, value in figures.items():
        print(f"{key:<14} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
