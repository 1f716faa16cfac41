"""A store of N tickets with half a year of history, for timing `inbox-worker report`.

The schema is the product's own: the database is created by `store.database.upgrade_schema`
(the Alembic migrations the worker runs on start-up), then filled with bulk INSERTs
(`connection.execute(insert(table), rows)`, 5,000 rows a statement batch). Everything is
drawn from `--seed`, so a seed gives the same store on every run and machine.

What a ticket gets, over the `--days` (180) before `--now`:

- created on a working day more than at a weekend, mostly in office hours, by one of
  N/5 customers; a priority (urgent 4%, high 14%, normal 66%, low 16%), a category (10,
  skewed; 8% none), an assignee (8 technicians, skewed), none of them on a ticket the team
  never got to;
- the `created` event and the customer's mail (1-2 KB of text), `assign`, `priority` and
  `category` events, sometimes `#status In Progress`, the technician's answer (a message
  and a `status` event into Answered; first response lognormal, median 0.7/2.5/8/24 h by
  priority), then: closed by the technician, auto-closed by `system` 30 days after the
  answer, a customer's reply (a third message) answered again and closed, or On-Hold;
  7% of the closed are reopened by the customer and closed again; a step that would fall
  after `now` does not happen, so recent tickets are still open;
- about a third of the tickets of the last 21 days have a team that never gets to them:
  they wait in Open or, after an answer and the customer's reply, in Customer-Reply
  (about 5% of all tickets are queued); On-Hold tickets are closed after about 3 days;
- `first_response_at`, `answered_at`, `closed_at`, the resolution clock (seconds in Open,
  In Progress and Customer-Reply; running since the last entry into one of them), a
  `target_breaches` row and an `escalation` event for each missed target of the
  default `[targets]`;
- closed tickets: a resolution (text, by, at) on 85%, 1% closed as a duplicate of an
  earlier ticket, a survey sent 3 days after closing on 60% of the others, and on a
  quarter of those a rating (1-5, mostly 4-5), often with a comment, and its
  `satisfaction` event.

Event and message ids follow time, as the worker writes them (ticket ids follow creation):
a ticket's rows are spread over the tables as in a real store. No outbox, attachments or
raw mails (the report reads none of them; `messages.raw` may be NULL).

    .venv/bin/python bench/report_dataset.py var/report-100k.db [--n 100000] [--seed 1]
    .venv/bin/python bench/report_dataset.py --database-url postgresql+psycopg://... [--n]
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO, REPO / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import throughput  # noqa: E402 - the customers' names, subjects and sentences

DEFAULT_N = 100_000
DEFAULT_DAYS = 180
DEFAULT_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHUNK = 5_000
SUPPORT = "support@example.com"
SYSTEM = "system"
TECHNICIANS = ("alice@example.com", "bob@example.com", "carla@example.com",
               "dmitri@example.com", "emma@example.com", "farid@example.com",
               "greta@example.com", "hiro@example.com")
TECH_WEIGHTS = (20, 18, 15, 12, 10, 10, 8, 7)
PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_WEIGHTS = (4, 14, 66, 16)
# Median hours to the first answer, and the default [targets] of config/example.
RESPONSE_MEDIAN_HOURS = {"urgent": 0.7, "high": 2.5, "normal": 8.0, "low": 24.0}
FIRST_RESPONSE_TARGET = {"urgent": 1, "high": 4, "normal": 24, "low": 72}
RESOLUTION_TARGET = {"urgent": 8, "high": 24, "normal": 72, "low": 168}
CATEGORIES = ("printing", "network", "email", "accounts", "hardware", "software",
              "telephony", "backup", "web", "billing")
CATEGORY_WEIGHTS = (14, 16, 15, 12, 10, 12, 5, 4, 7, 5)
AUTO_CLOSE_DAYS = 30
SURVEY_AFTER_DAYS = 3
RESOLUTIONS = ("Replaced the toner cartridge and cleaned the fuser.",
               "Reset the password and re-enrolled the second factor.",
               "The VPN profile was outdated; pushed the new one and it connects again.",
               "Mailbox was over quota; archived old mail and raised the limit.",
               "Driver rolled back to the previous version until the vendor fixes it.",
               "Access granted on the shared drive after the manager's approval.",
               "Known outage at the provider, resolved on their side.",
               "Rebuilt the user's profile; Outlook starts normally now.",
               "Explained the setting; no fault found.",
               "Replaced the faulty network cable in room 3.12.")
AUTO_RESOLUTION = "Closed automatically: no customer reply since the answer."
COMMENTS = ("Quick and friendly, thank you!", "Solved on the first try.",
            "Took a while, but it works now.", "I had to ask twice.",
            "Sehr schnelle Hilfe, danke!", "The problem came back the next day.",
            "Great service as always.", "Nobody told me what was wrong.", "", "")
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4, 5), (7, 6, 12, 30, 45)
OPEN, IN_PROGRESS, ANSWERED, CLOSED = "Open", "In Progress", "Answered", "Closed"
ON_HOLD, CUSTOMER_REPLY = "On-Hold", "Customer-Reply"
RUNNING = frozenset({OPEN, IN_PROGRESS, CUSTOMER_REPLY})
QUEUED = frozenset({OPEN, CUSTOMER_REPLY})


# --- one ticket's history (pure: a random source and times in, rows out) -------------------


@dataclass
class Event:
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    cause: str
    message: int | None = None  # the ticket's message number (0, 1, 2)


@dataclass
class History:
    """A ticket's life as the worker would have written it, built step by step."""

    ticket_id: int
    created: datetime
    customer: str
    now: datetime
    # The team never gets to it once it is queued: "open" from the start, "reply" only
    # after its first answer (it waits in Customer-Reply); "" gets its answers.
    stalled: str
    status: str = OPEN
    events: list[Event] = field(default_factory=list)
    messages: list[tuple[datetime, str, str]] = field(default_factory=list)  # at, kind, from
    running: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    first_response: datetime | None = None
    answered: datetime | None = None
    closed: datetime | None = None
    closed_by: str | None = None

    def __post_init__(self) -> None:
        self.messages.append((self.created, "customer", self.customer))
        self.events.append(Event(self.created, "created", None, OPEN, self.customer,
                                 f"new mail from {self.customer}", 0))
        self.running.append((self.created, None))

    def happens(self, at: datetime, actor: str) -> bool:
        if at >= self.now:
            return False
        team = actor not in (self.customer, SYSTEM)
        stuck = self.stalled == "open" or (self.stalled == "reply" and self.first_response)
        return not (stuck and team and self.status in QUEUED)

    def note(self, at: datetime, kind: str, actor: str, cause: str) -> bool:
        """An event that leaves the status as it is."""
        if not self.happens(at, actor):
            return False
        self.events.append(Event(at, kind, self.status, self.status, actor, cause))
        return True

    def move(self, at: datetime, to: str, actor: str, cause: str,
             message_kind: str | None = None) -> bool:
        if not self.happens(at, actor):
            return False
        message = None
        if message_kind is not None and len(self.messages) < 3:
            message = len(self.messages)
            self.messages.append((at, message_kind, actor))
        kind = "reopened" if self.status == CLOSED else "status"
        self.events.append(Event(at, kind, self.status, to, actor, cause, message))
        was_running, self.status = self.status in RUNNING, to
        if was_running and to not in RUNNING:
            self.running[-1] = (self.running[-1][0], at)
        elif to in RUNNING and not was_running:
            self.running.append((at, None))
        if to == ANSWERED:
            self.answered = at
            if self.first_response is None:
                self.first_response = at
        if to == CLOSED:
            self.closed, self.closed_by = at, actor
        elif self.closed is not None:
            self.closed = None
        return True

    def clock_seconds(self) -> tuple[int, datetime | None]:
        banked = sum((end - start).total_seconds() for start, end in self.running if end)
        since = self.running[-1][0] if self.running[-1][1] is None else None
        return int(banked), since

    def resolution_due_passed(self, limit_hours: float) -> datetime | None:
        """When the resolution clock passed `limit_hours` (None: not before now)."""
        left = limit_hours * 3600
        for start, end in self.running:
            span = ((end or self.now) - start).total_seconds()
            if span > left:
                return start + timedelta(seconds=left)
            left -= span
        return None

    def status_at(self, at: datetime) -> str:
        times = [e.at for e in self.events]
        return self.events[max(0, bisect.bisect_right(times, at) - 1)].to_status or OPEN


def hours(rng: random.Random, median: float, sigma: float = 1.0) -> timedelta:
    return timedelta(hours=median * math.exp(rng.gauss(0.0, sigma)))


def live(rng: random.Random, history: History, tech: str, priority: str,
         category: str | None) -> None:
    """The steps of one ticket after its creation, each only if it falls before now."""
    h, customer = history, history.customer
    t = h.created + timedelta(minutes=rng.uniform(2, 40))
    # Assigned by the lead (the first technician) or taken by the technician.
    h.note(t, "assign", TECHNICIANS[0] if rng.random() < 0.5 else tech, f"assigned to {tech}")
    if priority != "normal":
        h.note(t, "priority", tech, f"priority {priority}")
    if category is not None:
        h.note(t, "category", tech, f"category {category}")
    response = hours(rng, RESPONSE_MEDIAN_HOURS[priority])
    if rng.random() < 0.3:
        t_work = h.created + response * rng.uniform(0.2, 0.7)
        h.move(t_work, IN_PROGRESS, tech, f"technician {tech}: #status In Progress")
    t = h.created + response
    if not h.move(t, ANSWERED, tech, f"technician {tech}: answer", "technician"):
        return
    fate = rng.uniform(0.03, 0.28) if h.stalled == "reply" else rng.random()
    if fate < 0.03:
        t += hours(rng, 4)
        if h.move(t, ON_HOLD, tech, f"technician {tech}: #status On-Hold"):
            t += hours(rng, 72)
            h.move(t, CLOSED, tech, f"technician {tech}: #status Closed")
        return
    if fate < 0.28:
        t += hours(rng, 6)
        if not h.move(t, CUSTOMER_REPLY, customer, f"customer reply from {customer}",
                      "customer"):
            return
        t += hours(rng, RESPONSE_MEDIAN_HOURS[priority])
        if not h.move(t, ANSWERED, tech, f"technician {tech}: answer"):
            return
        fate = rng.uniform(0.03, 1.0)
    if fate < 0.85:
        t += hours(rng, 20)
        closed = h.move(t, CLOSED, tech, f"technician {tech}: #status Closed")
    else:
        t += timedelta(days=AUTO_CLOSE_DAYS, minutes=rng.uniform(0, 60))
        closed = h.move(t, CLOSED, SYSTEM, "auto-close: no customer reply since the answer")
    if closed and rng.random() < 0.07:
        t += timedelta(hours=rng.uniform(1, 240))
        if h.move(t, CUSTOMER_REPLY, customer, f"customer reply from {customer}", "customer"):
            t += hours(rng, RESPONSE_MEDIAN_HOURS[priority])
            h.move(t, CLOSED, tech, f"technician {tech}: #status Closed")


# --- the rows ---------------------------------------------------------------------------


@dataclass
class Rows:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    # (at, ticket id, number on the ticket, kind, from, subject), ids given once sorted
    messages: list[tuple[datetime, int, int, str, str, str]] = field(default_factory=list)
    events: list[tuple[datetime, int, Event]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)


def created_moments(rng: random.Random, n: int, now: datetime, days: int) -> list[datetime]:
    """N creation times over `days`: weekdays busier than weekends, office hours busiest."""
    start = now - timedelta(days=days)
    day_weights = [0.35 if (start + timedelta(days=d)).weekday() >= 5 else 1.0
                   for d in range(days)]
    hour_weights = [1 if h < 7 or h > 19 else 4 if h in (7, 18, 19) else 10 for h in range(24)]
    picked_days = rng.choices(range(days), weights=day_weights, k=n)
    picked_hours = rng.choices(range(24), weights=hour_weights, k=n)
    moments = [start + timedelta(days=d, hours=h, seconds=rng.uniform(0, 3600))
               for d, h in zip(picked_days, picked_hours, strict=True)]
    return sorted(m for m in moments if m < now)


def customer(rng: random.Random, seed: int, customers: int) -> str:
    return throughput.customer_of(seed, rng.randrange(customers))[1]


def subject(rng: random.Random) -> str:
    form = rng.choice(throughput.SUBJECT_FORMS)
    return form.format(thing=rng.choice(throughput.THINGS),
                       problem=rng.choice(throughput.PROBLEMS))


def token(rng: random.Random, taken: set[str]) -> str:
    from inbox_worker.domain.correlate import CROCKFORD

    while True:
        bits = rng.getrandbits(50)
        value = "IW-" + "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in range(10))
        if value not in taken:
            taken.add(value)
            return value


def build_rows(n: int, seed: int, now: datetime, days: int) -> Rows:
    rng = random.Random(seed)
    rows = Rows()
    tokens: set[str] = set()
    for ticket_id, created in enumerate(created_moments(rng, n, now, days), start=1):
        who = customer(rng, seed, max(1, n // 5))
        priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0]
        category = (None if rng.random() < 0.08
                    else rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0])
        tech = rng.choices(TECHNICIANS, weights=TECH_WEIGHTS)[0]
        stalled = ""
        if (now - created).days < 21 and rng.random() < 0.4:
            stalled = "open" if rng.random() < 0.6 else "reply"
        history = History(ticket_id, created, who, now, stalled)
        live(rng, history, tech, priority, category)
        title = subject(rng)
        rows.tickets.append(ticket_row(rng, history, token(rng, tokens), title, priority,
                                       category, tech))
        add_breaches(rng, history, priority, rows)
        add_followup(rng, history, rows.tickets[-1], ticket_id)
        history.events.sort(key=lambda e: e.at)
        rows.events.extend((e.at, ticket_id, e) for e in history.events)
        rows.messages.extend((at, ticket_id, number, kind, sender, title)
                             for number, (at, kind, sender) in enumerate(history.messages))
    return rows


def ticket_row(rng: random.Random, h: History, token_: str, title: str, priority: str,
               category: str | None, tech: str) -> dict[str, Any]:
    seconds, since = h.clock_seconds()
    kinds = {e.kind for e in h.events}
    last = h.events[-1].at
    return {
        "id": h.ticket_id, "token": token_, "subject": title, "customer": h.customer,
        "status": h.status, "priority": priority if "priority" in kinds else "normal",
        "category": category if "category" in kinds else None,
        "assignee": tech if "assign" in kinds else None, "queue_place": h.ticket_id,
        "created_at": h.created, "updated_at": last, "closed_at": h.closed,
        "scheduled_for": None, "answered_at": h.answered,
        "first_response_at": h.first_response, "clock_seconds": seconds,
        "clock_since": since, "linked_to_id": None, "resolution": None,
        "resolution_by": None, "resolution_at": None, "duplicate_of_id": None,
        "survey_sent_at": None, "satisfaction_rating": None, "satisfaction_comment": None,
        "satisfaction_at": None,
    }


def add_breaches(rng: random.Random, h: History, priority: str, rows: Rows) -> None:
    """A breach row and an `escalation` event for each default target the ticket missed."""
    due = h.created + timedelta(hours=FIRST_RESPONSE_TARGET[priority])
    missed = []
    if (h.first_response or h.now) > due:
        missed.append(("first_response", due))
    resolution_due = h.resolution_due_passed(RESOLUTION_TARGET[priority])
    if resolution_due is not None:
        missed.append(("resolution", resolution_due))
    for target, when in missed:
        at = when + timedelta(seconds=rng.uniform(0, 300))  # the next rules pass
        if at >= h.now:
            continue
        rows.breaches.append({"ticket_id": h.ticket_id, "target": target, "due_at": when,
                              "at": at})
        status = h.status_at(at)
        h.events.append(Event(at, "escalation", status, status, SYSTEM,
                              f"missed target: {target}"))


def add_followup(rng: random.Random, h: History, ticket: dict[str, Any], ticket_id: int) -> None:
    """Resolution, duplicate, survey and rating of a closed ticket."""
    if h.closed is None or h.closed_by is None:
        return
    if rng.random() < 0.85:
        automatic = h.closed_by == SYSTEM
        ticket.update(resolution=AUTO_RESOLUTION if automatic else rng.choice(RESOLUTIONS),
                      resolution_by=h.closed_by, resolution_at=h.closed)
        if not automatic:
            h.events.append(Event(h.closed, "resolution", CLOSED, CLOSED, h.closed_by,
                                  "resolution recorded"))
    if ticket_id > 1 and rng.random() < 0.01:
        ticket["duplicate_of_id"] = rng.randrange(max(1, ticket_id - 500), ticket_id)
        return
    sent = h.closed + timedelta(days=SURVEY_AFTER_DAYS, minutes=rng.uniform(0, 30))
    if sent >= h.now or rng.random() >= 0.6:
        return
    ticket["survey_sent_at"] = sent
    rated = sent + hours(rng, 10)
    if rng.random() >= 0.25 or rated >= h.now:
        return
    rating = rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
    comment = rng.choice(COMMENTS) or None
    ticket.update(satisfaction_rating=rating, satisfaction_comment=comment,
                  satisfaction_at=rated)
    h.events.append(Event(rated, "satisfaction", CLOSED, CLOSED, h.customer,
                          f"satisfaction {rating}" + (f": {comment}" if comment else "")))


# --- texts ------------------------------------------------------------------------------


class Texts:
    """Mail bodies of 1-2 KB, drawn per message from a pool of sentences."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed + 7)
        self.sentences = [s.format(thing=rng.choice(throughput.THINGS),
                                   problem=rng.choice(throughput.PROBLEMS),
                                   number=rng.randrange(10_000, 99_999))
                          for _ in range(400) for s in [rng.choice(throughput.SENTENCES)]]

    def body(self, rng: random.Random, closing: str) -> str:
        size = rng.randint(1024, 2048)
        parts = [rng.choice(throughput.GREETINGS), ""]
        length = 0
        while length < size:
            sentence = rng.choice(self.sentences)
            parts.append(sentence)
            length += len(sentence.encode()) + 1
        parts += ["", closing]
        return "\n".join(parts)


def message_rows(rows: Rows, seed: int, ids: dict[tuple[int, int], int]
                 ) -> Iterator[dict[str, Any]]:
    texts = Texts(seed)
    tokens = {t["id"]: t["token"] for t in rows.tickets}
    for message_pk, (at, ticket_id, number, kind, sender, title) in enumerate(
            rows.messages, start=1):
        ids[ticket_id, number] = message_pk
        rng = random.Random(seed * 1_000_003 + message_pk)
        text = texts.body(rng, rng.choice(throughput.CLOSINGS))
        full_text = text
        if number:
            earlier = texts.body(rng, "")[:600]
            full_text = text + "\n\n> " + "\n> ".join(earlier.splitlines())
        yield {
            "id": message_pk, "ticket_id": ticket_id,
            "message_id": f"bench.{seed}.{ticket_id}.{number}@example.com",
            "direction": "in", "kind": kind, "from_addr": sender, "from_name": "",
            "to_addrs": SUPPORT, "cc_addrs": "",
            "subject": (f"Re: [{tokens[ticket_id]}] {title}" if number else title),
            "text": text, "full_text": full_text, "html": None,
            "in_reply_to": "", "references": "", "date_header": at, "received_at": at,
            "source_key": f"bench:{message_pk}", "raw": None,
        }


def event_rows(rows: Rows, ids: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
    for event_id, (_, ticket_id, e) in enumerate(rows.events, start=1):
        yield {
            "id": event_id, "ticket_id": ticket_id, "at": e.at, "kind": e.kind,
            "from_status": e.from_status, "to_status": e.to_status, "actor": e.actor,
            "cause": e.cause,
            "message_pk": ids[ticket_id, e.message] if e.message is not None else None,
        }


# --- writing ----------------------------------------------------------------------------


def chunks(items: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write(url: str, rows: Rows, seed: int) -> None:
    """Create the schema with the project's migrations, then insert `rows` in bulk."""
    from sqlalchemy import insert, text

    from inbox_worker.store.database import make_engine, upgrade_schema
    from inbox_worker.store.models import Counter, Message, TargetBreach, Ticket, TicketEvent
    from inbox_worker.store.repository import QUEUE_COUNTER

    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        with engine.begin() as connection:
            if connection.execute(text("SELECT count(*) FROM tickets")).scalar():
                raise SystemExit(f"{url} already holds tickets: give a new file or database")
        rows.messages.sort()  # ids follow time, as the worker gives them
        rows.events.sort(key=lambda row: (row[0], row[1]))
        ids: dict[tuple[int, int], int] = {}
        tables = ((Ticket, rows.tickets), (Message, message_rows(rows, seed, ids)),
                  (TicketEvent, event_rows(rows, ids)), (TargetBreach, rows.breaches))
        for model, table_rows in tables:
            for batch in chunks(table_rows):
                with engine.begin() as connection:
                    connection.execute(insert(model.__table__), batch)
        with engine.begin() as connection:
            connection.execute(insert(Counter.__table__),
                               [{"name": QUEUE_COUNTER, "value": len(rows.tickets)}])
            if engine.dialect.name == "postgresql":
                for table in ("tickets", "messages", "ticket_events", "target_breaches"):
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))
                connection.execute(text("ANALYZE"))
            else:
                connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def summary(rows: Rows) -> dict[str, int]:
    tickets = rows.tickets
    statuses: dict[str, int] = {}
    for ticket in tickets:
        statuses[ticket["status"]] = statuses.get(ticket["status"], 0) + 1
    return {
        "tickets": len(tickets), "messages": len(rows.messages), "events": len(rows.events),
        "target_breaches": len(rows.breaches),
        **{f"status {status}": count for status, count in sorted(statuses.items())},
        "queued": sum(statuses.get(s, 0) for s in QUEUED),
        "with resolution": sum(1 for t in tickets if t["resolution"]),
        "duplicates": sum(1 for t in tickets if t["duplicate_of_id"]),
        "survey sent": sum(1 for t in tickets if t["survey_sent_at"]),
        "rated": sum(1 for t in tickets if t["satisfaction_rating"]),
    }


def build(url: str, *, n: int = DEFAULT_N, seed: int = 1, now: datetime = DEFAULT_NOW,
          days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Build the store at `url`; returns its counts and the seconds each phase took."""
    started = time.perf_counter()
    rows = build_rows(n, seed, now, days)
    generated = time.perf_counter()
    counts = summary(rows)
    write(url, rows, seed)
    return {**counts, "generate_s": round(generated - started, 1),
            "write_s": round(time.perf_counter() - generated, 1),
            "total_s": round(time.perf_counter() - started, 1)}


def moment(text: str) -> datetime:
    """An ISO 8601 moment, UTC unless it says otherwise."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("path", nargs="?", type=Path, help="the SQLite file to create")
    where.add_argument("--database-url", help="an empty database (e.g. PostgreSQL) instead")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="tickets (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--now", type=moment, default=DEFAULT_NOW,
                        help=f"the end of the history (default {DEFAULT_NOW.isoformat()})")
    args = parser.parse_args(argv)
    if args.path is not None and args.path.exists():
        parser.error(f"{args.path} exists: give a new file")
    url = args.database_url or f"sqlite:///{args.path.resolve()}"
    figures = build(url, n=args.n, seed=args.seed, now=args.now, days=args.days)
    for key, value in figures.items():
        print(f"{key:<24} {value}")
    if args.path is not None:
        print(f"{'file MiB':<24} {args.path.stat().st_size / 2**20:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
