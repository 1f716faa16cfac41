"""Rows a transaction only adds (messages and their attachments, ticket events, outbox rows,
processed-mail and quarantine records), written with SQLAlchemy Core.

These rows are never changed by the transaction that adds them, so they need none of the
ORM's change tracking; going through its unit of work cost a batch of mails about half of
its store time. They wait in the session's `NewRows` and are written, one executemany per
table, just before the session runs any statement (so every query sees them) and before it
commits; a rollback drops them with everything else. Tickets and participants stay ORM
objects (they change, and rules read them): the session is flushed first, so that the
tickets these rows name exist.

`install(sessions)` hooks this into a sessionmaker; `new_rows(session)` is the buffer of the
session's current transaction. Two things to keep in mind: a statement run on the session's
connection directly (`session.connection().execute(...)`) does not see rows still waiting,
and a savepoint (`begin_nested`) is refused while rows wait (rolling it back would take
rows added before it with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, event, func, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from inbox_worker.store.models import (
    AttachmentRow,
    Message,
    OutboxItem,
    ProcessedMail,
    QuarantinedMail,
    TicketEvent,
)

_KEY = "inbox_worker.new_rows"


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass(eq=False)
class NewMessage:
    """A message row waiting to be written; ``id`` is known once it is. Its columns read as
    attributes (``new.message_id``, ``new.in_reply_to``...), like a `Message`'s."""

    values: dict[str, Any]
    attachments: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        # A column is set in the row (``new.kind = "note"``), as on a `Message`, until the
        # row is written; anything else is a mistake, not a new attribute.
        if name in ("values", "attachments", "id"):
            object.__setattr__(self, name, value)
        elif name not in self.__dict__.get("values", ()):
            raise AttributeError(f"a message has no column {name!r}")
        elif self.__dict__.get("id") is not None:
            raise RuntimeError(f"message {self.id} is written already: {name} stays as it is")
        else:
            self.values[name] = value


# What a new row may name as its message: one written by this transaction or before.
MessageRef = NewMessage | Message


class NewRows:
    def __init__(self, session: Session, transaction: SessionTransaction) -> None:
        self.session = session
        self.transaction = transaction
        self.messages: list[NewMessage] = []
        self.events: list[tuple[dict[str, Any], MessageRef | None]] = []
        self.outbox: list[tuple[dict[str, Any], NewMessage]] = []
        self.processed: list[dict[str, Any]] = []
        self.quarantined: list[dict[str, Any]] = []
        self._writing = False
        self._failed = False

    def message(self, values: dict[str, Any],
                attachments: list[dict[str, Any]] | None = None) -> NewMessage:
        new = NewMessage(values, attachments or [])
        self.messages.append(new)
        return new

    def ticket_event(self, values: dict[str, Any], message: MessageRef | None) -> None:
        self.events.append((values, message))

    def outbox_item(self, values: dict[str, Any], message: NewMessage) -> None:
        self.outbox.append((values, message))

    def processed_mail(self, values: dict[str, Any]) -> None:
        self.processed.append(values)

    def quarantined_mail(self, values: dict[str, Any]) -> None:
        self.quarantined.append(values)

    @property
    def pending(self) -> bool:
        return bool(self.messages or self.events or self.outbox or self.processed
                    or self.quarantined)

    def write(self) -> None:
        """Write what waits: the session's ORM changes first (the tickets these rows name),
        then messages, then the rows that name them. After a failure the transaction can
        only be rolled back: what waited is dropped and every later write refuses."""
        if self._failed:
            raise RuntimeError("new rows could not be written: roll the transaction back")
        if not self.pending or self._writing:
            return
        if self.session.in_nested_transaction():
            raise RuntimeError("rows added to this transaction must be written before a "
                               "savepoint: run a statement first")
        self._writing = True  # the flush below must not come back here
        try:
            self.session.flush()
            self._insert(self.session.connection())
        except BaseException:
            self._failed = True
            self.messages, self.events, self.outbox = [], [], []
            self.processed, self.quarantined = [], []
            raise
        finally:
            self._writing = False

    def _insert(self, connection: Connection) -> None:
        messages, self.messages = self.messages, []
        if messages:
            table = _table(Message)
            if connection.dialect.name == "sqlite":
                # SQLite does not promise RETURNING's order for a multi-row INSERT, so
                # SQLAlchemy would send one INSERT per message. This transaction holds the
                # write lock from its start (BEGIN IMMEDIATE, see `store.database`): the ids
                # above the largest are free, and one executemany writes them all.
                first = (connection.scalar(select(func.max(table.c.id))) or 0) + 1
                for offset, new in enumerate(messages):
                    new.id = first + offset
                connection.execute(insert(table), [{**m.values, "id": m.id} for m in messages])
            else:
                ids = connection.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True),
                    [m.values for m in messages],
                ).scalars().all()
                for new, new_id in zip(messages, ids, strict=True):
                    new.id = new_id
            attachments = [{**a, "message_pk": m.id} for m in messages for a in m.attachments]
            if attachments:
                connection.execute(insert(_table(AttachmentRow)), attachments)
        events, self.events = self.events, []
        if events:
            connection.execute(insert(_table(TicketEvent)), [
                {**values, "message_pk": _written(message) if message is not None else None}
                for values, message in events
            ])
        outbox, self.outbox = self.outbox, []
        if outbox:
            connection.execute(insert(_table(OutboxItem)), [
                {**values, "message_pk": _written(message)} for values, message in outbox
            ])
        processed, self.processed = self.processed, []
        if processed:
            connection.execute(insert(_table(ProcessedMail)), processed)
        quarantined, self.quarantined = self.quarantined, []
        if quarantined:
            connection.execute(insert(_table(QuarantinedMail)), quarantined)


def _written(message: MessageRef) -> int:
    if message.id is None:
        raise RuntimeError("a row names a message that was never written")
    return message.id


def new_rows(session: Session) -> NewRows:
    """The buffer of ``session``'s current transaction (begun now if there is none, as the
    first statement would): rows left from an earlier transaction are never carried over."""
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()
        transaction = session.get_transaction()
        assert transaction is not None
    root = transaction
    while root.parent is not None:
        root = root.parent
    rows = session.info.get(_KEY)
    if rows is None or rows.transaction is not root:
        rows = session.info[_KEY] = NewRows(session, root)
    return cast(NewRows, rows)


def install(sessions: sessionmaker[Session]) -> None:
    """Write a session's new rows before each statement it runs and before it commits;
    drop them when its transaction ends otherwise."""

    @event.listens_for(sessions, "do_orm_execute")
    def _before_statement(state: ORMExecuteState) -> None:
        rows = state.session.info.get(_KEY)
        if rows is not None:
            rows.write()

    @event.listens_for(sessions, "before_commit")
    def _before_commit(session: Session) -> None:
        rows = session.info.get(_KEY)
        if rows is not None:
            rows.write()

    @event.listens_for(sessions, "after_transaction_end")
    def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(_KEY, None)
