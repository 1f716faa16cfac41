"""Finding tickets for the console's /tickets: by status, priority, category, assignee,
customer and words (in the subject or any message's text), newest first, a page at a time.

Words are matched as substrings, case-insensitively, each word anywhere (all must match):
what a lead types is a few words of a subject or a customer's sentence, not a query
language. Values are bound parameters; a `%` or `_` typed is a character, not a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from inbox_worker.store.models import Message, Ticket

PAGE = 50
MAX_WORDS = 8


@dataclass(frozen=True)
class TicketQuery:
    status: str = ""
    priority: str = ""
    category: str = ""
    assignee: str = ""  # an address, or "none" for unassigned
    customer: str = ""  # part of the customer's address
    words: str = ""

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status:
            found.append(Ticket.status == self.status)
        if self.priority:
            found.append(Ticket.priority == self.priority)
        if self.category:
            found.append(func.lower(Ticket.category) == self.category.strip().lower())
        if self.assignee == "none":
            found.append(Ticket.assignee.is_(None))
        elif self.assignee:
            found.append(Ticket.assignee == self.assignee.strip().lower())
        if self.customer:
            found.append(_contains(Ticket.customer, self.customer.strip().lower()))
        for word in self.words.split()[:MAX_WORDS]:
            in_messages = exists().where(Message.ticket_id == Ticket.id,
                                         _contains(Message.text, word))
            found.append(or_(_contains(Ticket.subject, word), in_messages))
        return found


def search_tickets(session: Session, query: TicketQuery, *, offset: int = 0,
                   limit: int = PAGE) -> list[Ticket]:
    """A page of the tickets that match, newest first."""
    return list(session.scalars(
        select(Ticket).where(*query.conditions()).order_by(Ticket.id.desc())
        .offset(offset or None).limit(limit).options(selectinload(Ticket.participants))))


def _contains(column: ColumnElement[str] | object, text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")
