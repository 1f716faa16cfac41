"""Commands by mail with no ticket: an authenticated technician writes `#queue`, `#mine` or
`#show REF` to the support address and gets the answer by mail (PRODUCT.md section 4a).

Only mails that passed the sender check reach this module (a customer's `#queue` is a
customer's mail and opens a ticket like any other, revealing nothing). The command mail is
recorded with no ticket; the answer goes through the outbox like every mail we send. The
answer to `#show` is recorded on the ticket it shows, so that replying to it answers the
customer like replying to an alert.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain import tags
from inbox_worker.domain.model import QUEUED_STATUSES, InboundMail, Status
from inbox_worker.errors import UnknownTicketError
from inbox_worker.notices.variables import COMMAND_REPLY
from inbox_worker.service.conversation import recent_conversation
from inbox_worker.service.tickets import Incoming, TicketWriter
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Message, Ticket

# Messages of the conversation a `#show` answer holds.
SHOWN_MESSAGES = 20
# At most this many tickets in an answer to `#mine`.
MINE_LIMIT = 200


def is_query(parsed: tags.TagParse) -> bool:
    """A command by mail, right or wrong (a wrong one is answered with the reason)."""
    return any(isinstance(c, tags.QueryCommand) for c in parsed.commands) or any(
        e.line.lower().startswith(tuple(f"#{t}" for t in tags.QUERY_TAGS))
        for e in parsed.errors)


def answers_ticketless_mail(session: Session, mail: InboundMail) -> bool:
    """Whether `mail` replies to one of our mails about no ticket (the digest, an answer
    to #queue): such a reply is no new ticket, and is answered as a command."""
    ids = [i for i in (*mail.in_reply_to, *mail.references) if i][:200]
    return bool(ids) and session.scalar(
        select(Message.id).where(Message.message_id.in_(ids), Message.ticket_id.is_(None),
                                 Message.direction == "out").limit(1)
    ) is not None


def refuse(writer: TicketWriter, incoming: Incoming, problems: list[str]) -> str:
    """A technician's mail with no ticket whose tags were refused: recorded (with no
    ticket, its raw bytes kept) and answered with the reasons, as any refused tag is.
    Returns the reasons in one line."""
    message = writer.add_message(None, incoming)
    message.kind = "command"
    context = writer.outbox.internal_context(writer.now)
    context.update(command="refused", text="\n".join(problems))
    writer.outbox.internal(writer.session, COMMAND_REPLY, [incoming.mail.from_addr], context,
                           writer.now, in_reply_to=incoming.message_key)
    return "; ".join(problems)


def answer_query(writer: TicketWriter, incoming: Incoming, parsed: tags.TagParse) -> str | None:
    """Record the command mail and queue its answer. Returns why it was refused (the tags
    are wrong, or mixed with tags that need a ticket: the answer then says so), or None."""
    problems = [f"{e.line}: {e.message}" for e in parsed.errors]
    queries = [c for c in parsed.commands if isinstance(c, tags.QueryCommand)]
    others = [c for c in parsed.commands if not isinstance(c, tags.QueryCommand)]
    if not queries:
        problems.append("a reply to the digest or to a command's answer opens no ticket: "
                        "reply to a ticket's own mail, or write #show T-42 for one")
    elif others or len(queries) > 1:
        problems.append("#queue, #mine and #show stand alone: one of them per mail, with no "
                        "other tag")
    if problems:
        return refuse(writer, incoming, problems)
    message = writer.add_message(None, incoming)
    message.kind = "command"
    session, now, outbox = writer.session, writer.now, writer.outbox
    sender = incoming.mail.from_addr
    query = queries[0]
    positions = repo.queue_positions(session)
    shown: Ticket | None = None
    if query.query == "show":
        try:
            shown = repo.find_ticket(session, query.ref or "")
        except UnknownTicketError:
            shown = None
        if shown is None:
            listed: list[Ticket] = []
        else:
            listed = [shown]
    elif query.query == "mine":
        listed = list(session.scalars(
            select(Ticket)
            .where(Ticket.assignee == sender, Ticket.status != Status.CLOSED.value)
            .order_by(Ticket.id)
            .limit(MINE_LIMIT)
        ))
        listed.sort(key=lambda t: (t.status not in {s.value for s in QUEUED_STATUSES},
                                   positions.get(t.id, 0), t.id))
    else:
        listed = repo.queue(session)
    tickets = [outbox.ticket_data(t, now, positions.get(t.id)) for t in listed]
    if shown is not None:
        context = outbox.ticket_context(shown, now, queue_position=positions.get(shown.id))
        context["conversation"] = recent_conversation(session, shown, SHOWN_MESSAGES)
    else:
        context = outbox.internal_context(now)
        if query.query == "show":
            # Nothing to show: say so in the answer rather than stay silent.
            context["text"] = f"There is no ticket {query.ref!r}."
    context.update(command=query.query, tickets=tickets)
    outbox.internal(session, COMMAND_REPLY, [sender], context, now, ticket=shown,
                    in_reply_to=incoming.message_key)
    return None
