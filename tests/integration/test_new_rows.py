"""`store.new_rows`: rows a transaction only adds, written with Core at the right moments.

On both databases: they are visible to every statement the transaction runs after adding
them, they reach the database on commit with their links (message ids back in order, events
and outbox rows pointing at their message), and a rollback leaves nothing behind. A
message's HTML is stored sanitised, whether or not the parse step sanitised it already.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.domain.model import InboundMail, MailKind
from inbox_worker.service.tickets import Incoming, TicketWriter
from inbox_worker.store.database import make_engine, make_session_factory, upgrade_schema
from inbox_worker.store.models import (
    AttachmentRow,
    Message,
    OutboxItem,
    ProcessedMail,
    QuarantinedMail,
    Ticket,
    TicketEvent,
)
from inbox_worker.store.new_rows import NewMessage, new_rows

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade_schema(engine)
    yield make_session_factory(engine)
    engine.dispose()


def ticket(number: int) -> Ticket:
    return Ticket(id=number, token=f"IW-{number:010d}", subject="printer", customer="jane@x.org",
                  status="open", priority="normal", queue_place=number, created_at=NOW,
                  updated_at=NOW, participants=[])


def message_values(ticket_id: int, message_id: str, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "ticket_id": ticket_id, "message_id": message_id, "direction": "in",
        "kind": "customer", "from_addr": "jane@x.org", "from_name": "Jane", "to_addrs": "",
        "cc_addrs": "", "subject": "printer", "text": "it jams", "full_text": "it jams",
        "html": None, "in_reply_to": "", "references": "", "date_header": None,
        "received_at": NOW, "source_key": f"k:{message_id}", "raw": b"raw",
    }
    values.update(changes)
    return values


def event_values(ticket_id: int, kind: str) -> dict[str, object]:
    return {"ticket_id": ticket_id, "at": NOW, "kind": kind, "from_status": None,
            "to_status": "open", "actor": "jane@x.org", "cause": "test"}


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_rows_reach_the_database_on_commit_with_their_links(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(ticket(1))  # an ORM object the rows name: written first
        rows = new_rows(session)
        first = rows.message(message_values(1, "a@x"), [
            {"filename": "a.txt", "content_type": "text/plain", "size": 1, "sha256": "0" * 64,
             "data": b"a"},
        ])
        second = rows.message(message_values(1, "b@x"))
        rows.ticket_event(event_values(1, "created"), first)
        rows.ticket_event(event_values(1, "note"), None)
        rows.outbox_item({
            "ticket_id": 1, "notice": "acknowledged", "recipient": "jane@x.org", "raw": b"n",
            "state": "pending", "attempts": 0, "next_attempt_at": NOW, "last_error": None,
            "created_at": NOW, "sent_at": None, "claimed_until": None, "claimed_by": None,
        }, second)
        rows.processed_mail({"source_key": "k:a", "message_key": "a@x", "outcome": "created",
                             "ticket_id": 1, "detail": "", "at": NOW})
        assert first.id is None  # nothing written yet
    assert isinstance(first, NewMessage) and first.id is not None and second.id is not None

    with sessions() as session:
        by_id = {m.message_id: m.id for m in session.scalars(select(Message))}
        assert by_id == {"a@x": first.id, "b@x": second.id}
        [attachment] = session.scalars(select(AttachmentRow)).all()
        assert attachment.message_pk == first.id
        events = {e.kind: e.message_pk for e in session.scalars(select(TicketEvent))}
        assert events == {"created": first.id, "note": None}
        [item] = session.scalars(select(OutboxItem)).all()
        assert item.message_pk == second.id and item.ticket_id == 1
        assert session.scalar(select(ProcessedMail.ticket_id)) == 1


def test_rows_are_visible_to_the_transactions_own_queries(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(ticket(2))
        new = new_rows(session).message(message_values(2, "c@x"))
        # Any statement the session runs first writes what waits.
        found = session.scalar(select(Message.id).where(Message.message_id == "c@x"))
        assert found is not None and found == new.id
        # Rows added after that are written at the next statement, not before.
        later = new_rows(session).message(message_values(2, "d@x"))
        assert later.id is None
        assert count(session, Message) == 2
        assert later.id is not None


def test_a_rollback_leaves_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.add(ticket(3))
        new_rows(session).message(message_values(3, "e@x"))
        new_rows(session).quarantined_mail({
            "source_key": "k:q", "mailbox": "INBOX", "reason": "bad", "sender": "",
            "subject": "", "size": 1, "sha256": "0" * 64, "raw": b"x", "created_at": NOW,
            "retries": 0, "state": "held",
        })
        assert count(session, Message) == 1  # written inside the transaction...
        raise RuntimeError("changed our mind")
    with sessions.begin() as session:
        # ...and rolled back with it; the next transaction starts with an empty buffer.
        assert count(session, Message) == 0
        assert count(session, QuarantinedMail) == 0
        assert count(session, Ticket) == 0
        assert not new_rows(session).pending


def test_a_refused_row_fails_the_commit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(ticket(4))
        new_rows(session).message(message_values(4, "same@x"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        new_rows(session).message(message_values(4, "same@x"))  # Message-IDs are unique
    with sessions() as session:
        assert count(session, Message) == 1


def test_a_new_message_reads_and_sets_its_columns_like_a_message() -> None:
    new = NewMessage(message_values(5, "f@x"))
    assert new.message_id == "f@x" and new.in_reply_to == ""
    new.kind = "note"
    assert new.values["kind"] == "note"
    with pytest.raises(AttributeError):
        _ = new.no_such_column
    with pytest.raises(AttributeError):
        new.no_such_column = 1  # a typo is an error, not a new attribute
    new.id = 7
    with pytest.raises(RuntimeError):
        new.kind = "customer"  # written already: the change would be lost


def test_messages_of_one_write_go_in_one_statement(sessions: sessionmaker[Session]) -> None:
    statements: list[str] = []
    with sessions.begin() as session:
        session.add(ticket(6))
        session.flush()
        event.listen(session.connection(), "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        for number in range(5):
            new_rows(session).message(message_values(6, f"m{number}@x"))
        new_rows(session).write()
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO MESSAGES")]
    assert len(inserts) == 1
    with sessions() as session:
        assert count(session, Message) == 5


def test_a_failed_write_leaves_only_a_rollback(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(ticket(7))
        new_rows(session).message(message_values(7, "taken@x"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        rows = new_rows(session)
        refused = rows.message(message_values(7, "taken@x"))
        rows.ticket_event(event_values(7, "created"), refused)
        with pytest.raises(IntegrityError):
            rows.write()
        # Nothing half-written can follow: the event naming the refused message is gone,
        # and the transaction refuses to commit.
        assert not rows.pending
        with pytest.raises(RuntimeError):
            rows.write()
        raise IntegrityError("stmt", {}, Exception("as the caller would re-raise"))
    with sessions() as session:
        assert count(session, TicketEvent) == 0


def test_a_savepoint_is_refused_while_rows_wait(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="savepoint"), sessions.begin() as session:
        session.add(ticket(8))
        new_rows(session).message(message_values(8, "outer@x"))
        with session.begin_nested():
            session.scalar(select(func.count()).select_from(Message))


def test_rows_never_outlive_their_transaction(sessions: sessionmaker[Session]) -> None:
    session = sessions()
    new_rows(session).message(message_values(9, "left@x"))
    session.close()  # no commit: dropped
    with sessions.begin() as session:
        assert not new_rows(session).pending
        session.add(ticket(9))
    with sessions() as session:
        assert count(session, Message) == 0


def test_html_nobody_sanitised_yet_is_sanitised_on_its_way_in(make_app: Any) -> None:
    # `parse_mail` sanitises in the parse step; a mail made any other way still arrives
    # sanitised in the store.
    app = make_app()
    mail = InboundMail(
        message_id="h@x.org", subject="hi", from_addr="jane@x.org", from_name="", to=(),
        cc=(), reply_to=(), date=None, in_reply_to=(), references=(), text="hi",
        full_text="hi", html='<p onclick="steal()">hi</p><script>alert(1)</script>',
        attachments=(), headers={},
    )
    assert mail.safe_html is None
    with app.sessions.begin() as session:
        writer = TicketWriter(session, app.settings, NOW, app.outbox)
        writer.open_ticket(Incoming(mail, "h@x.org", "k:h", b"raw", MailKind.CUSTOMER))
    with app.sessions() as session:
        stored = session.scalar(select(Message.html).where(Message.message_id == "h@x.org"))
    assert stored is not None and "<p>hi</p>" in stored
    assert "script" not in stored and "onclick" not in stored
