"""The satisfaction follow-up's shell (PRODUCT.md section 5a): sending the surveys that are
due, and taking the customers' answers in.

`send_surveys` is a time rule (run by `time_rules.apply_time_rules`): it finds the tickets
due by their closing time (an index range), re-reads each under a row lock (skipping rows
another worker holds, so two workers never send two surveys), asks the pure
`domain.followup.survey_decision`, and writes the survey notice, `survey_sent_at` and a
`survey` event in one transaction per ticket; a ticket that will never get one is marked
(see `domain.followup`).

`take_answer` is called by ingest for a customer's mail threaded onto a Closed ticket: when
a survey went at most `ANSWER_DAYS` ago and the mail reads as an answer
(`domain.survey.read_answer`), the rating (or opt-out) is recorded and the ticket stays
Closed; otherwise the mail is an ordinary reply. Decisions:

- The message is stored as kind `satisfaction`: nothing is lost, and the conversation a
  technician reads is not cluttered with it.
- A rating of 1-2 alerts the assignee and `[alerts] escalation` (`AlertEvent.LOW_RATING`),
  with the comment. Without a comment the customer is asked once what went wrong; their
  next plain reply within the window is the rating's comment (it does not reopen the
  ticket either) and goes to the same technicians in a second low-rating alert, so a
  "still broken" reaches the team, who can reopen the ticket with `#status in-progress`.
- An answer (rating or opt-out) from anyone but the ticket's customer (a Cc'd
  participant) is stored as their message, changes nothing, and is logged and recorded
  as a `satisfaction-ignored` event. A stranger's mail never reaches the ticket at all
  (section 3).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain import followup, survey
from inbox_worker.domain.alerts import AlertEvent
from inbox_worker.domain.model import MailKind, Status
from inbox_worker.domain.status import NoticeKind
from inbox_worker.service.outbox import Outbox
from inbox_worker.service.rate_limits import unaddressable
from inbox_worker.service.tickets import SYSTEM_ACTOR, Incoming, TicketWriter
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Message, OutboxItem, SurveyOptOut, Ticket
from inbox_worker.store.new_rows import NewMessage

log = logging.getLogger("inbox_worker.followup")

_AUTOMATIC_KINDS = frozenset({MailKind.LIST.value, MailKind.AUTO_REPLY.value,
                              MailKind.BOUNCE.value})
_CLOSED = Status.CLOSED.value

# -- sending ---------------------------------------------------------------------------------


def send_surveys(sessions: sessionmaker[Session], settings: Settings, now: datetime,
                 outbox: Outbox) -> int:
    """Send the surveys due at `now`; the number sent."""
    after_days = settings.followup.after_days
    if after_days <= 0:
        return 0
    earliest, latest = followup.due_window(now, after_days)
    with sessions() as session:
        # Only a Closed ticket has a closing time; the status is checked under the lock. A
        # condition on it here would have SQLite walk every Closed ticket by ix_tickets_queue
        # instead of the few days of ix_tickets_closed (20 ms against 1 ms at 100,000).
        due = list(session.scalars(
            select(Ticket.id)
            .where(Ticket.closed_at > earliest, Ticket.closed_at <= latest,
                   Ticket.survey_sent_at.is_(None), Ticket.duplicate_of_id.is_(None))
            .order_by(Ticket.id)
        ))
    return sum(_send_one(sessions, settings, ticket_id, now, outbox) for ticket_id in due)


def _send_one(sessions: sessionmaker[Session], settings: Settings, ticket_id: int,
              now: datetime, outbox: Outbox) -> bool:
    with sessions.begin() as session:
        ticket = repo.try_lock_ticket(session, ticket_id)
        if ticket is None:
            return False  # another worker holds it now; the next pass looks again
        _lock_customer(session, ticket.customer)
        decision = followup.survey_decision(
            _facts(session, settings, ticket, now), now,
            after_days=settings.followup.after_days,
            per_customer_days=settings.followup.per_customer_days)
        if decision.action == "wait":
            return False
        writer = TicketWriter(session, settings, now, outbox)
        if decision.action == "skip":
            # The mark of "no survey for this one" (see `domain.followup`).
            ticket.survey_sent_at = ticket.closed_at
            writer.add_event(ticket, "survey-skipped", _CLOSED, _CLOSED, SYSTEM_ACTOR,
                             f"no satisfaction survey: {decision.reason}", None)
            log.info("rule ticket=%s survey skipped: %s", ticket.ref, decision.reason)
            return False
        ticket.survey_sent_at = now
        sent = writer.notify(ticket, NoticeKind.SURVEY)
        writer.add_event(ticket, "survey", _CLOSED, _CLOSED, SYSTEM_ACTOR,
                         f"satisfaction survey to {ticket.customer}"
                         + ("" if sent else " (suppressed, see the outbox)"), None)
        log.info("rule ticket=%s survey to %s", ticket.ref, ticket.customer)
        return sent is not None


def _lock_customer(session: Session, customer: str) -> None:
    """Serialise the surveys to one address (PostgreSQL: a transaction-scoped advisory lock
    on its hash), so that two workers surveying two tickets of one customer at once both
    see the first survey and keep the per-customer limit. SQLite's writers are serialised
    already (`BEGIN IMMEDIATE`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(
            func.hashtextextended("inbox-worker survey " + customer.strip().lower(), 0))))


def _facts(session: Session, settings: Settings, ticket: Ticket,
           now: datetime) -> followup.SurveyFacts:
    customer = ticket.customer.strip().lower()
    kinds = set(session.scalars(
        select(Message.kind).distinct()
        .where(Message.ticket_id == ticket.id, Message.direction == "in",
               Message.from_addr == customer)))
    since = now - timedelta(days=settings.followup.per_customer_days)
    last_survey = session.scalar(
        select(func.max(OutboxItem.created_at))
        .where(OutboxItem.recipient == customer, OutboxItem.created_at > since,
               OutboxItem.notice == NoticeKind.SURVEY.value, OutboxItem.state != "suppressed"))
    return followup.SurveyFacts(
        status=Status(ticket.status), closed_at=ticket.closed_at,
        survey_sent_at=ticket.survey_sent_at, duplicate=ticket.duplicate_of_id is not None,
        customer=customer,
        technician=customer in {a.lower() for a in settings.technicians.addresses},
        unaddressable=unaddressable(customer, settings.own_addresses),
        # A list's or a robot's ticket: its customer's mails were list mail or automatic
        # (a ticket a technician opened on someone's behalf has none, and is surveyed).
        automatic=MailKind.LIST.value in kinds or (bool(kinds) and kinds <= _AUTOMATIC_KINDS),
        opted_out=session.get(SurveyOptOut, customer) is not None,
        last_survey_to_customer=last_survey,
    )


# -- answers ---------------------------------------------------------------------------------


def take_answer(writer: TicketWriter, ticket: Ticket, incoming: Incoming) -> bool:
    """Record `incoming` as a survey answer on `ticket` if it is one (see the module doc);
    False: it is an ordinary reply, and nothing was written."""
    if (incoming.kind is not MailKind.CUSTOMER or ticket.status != _CLOSED
            or ticket.survey_sent_at is None):
        return False
    sent = _survey_mails(writer.session, ticket)
    if not followup.is_answer_window(sent.get(NoticeKind.SURVEY.value), writer.now):
        return False
    mail = incoming.mail
    answer = survey.read_answer(mail.subject, mail.text, writer.settings.support.token_prefix)
    is_customer = mail.from_addr.lower() == ticket.customer.lower()
    if answer is None:
        if not (is_customer and _awaits_comment(ticket, sent)):
            return False
        comment = survey.comment_of(mail.text)
        if not comment:
            return False
        _record_comment(writer, ticket, incoming, comment)
        return True
    if not is_customer:
        message = writer.add_message(ticket, incoming)
        writer.add_event(ticket, "satisfaction-ignored", _CLOSED, _CLOSED, mail.from_addr,
                         f"a survey answer from {mail.from_addr}, who is not the ticket's "
                         "customer: not recorded", message)
        log.warning("ticket=%s survey answer from %s ignored: not the customer", ticket.ref,
                    mail.from_addr)
        return True
    message = _satisfaction_message(writer, ticket, incoming)
    if answer.rating is not None:
        _record_rating(writer, ticket, incoming, message, answer, sent)
    if answer.opt_out:
        _opt_out(writer, ticket, mail.from_addr, message)
    return True


def _survey_mails(session: Session, ticket: Ticket) -> dict[str, datetime]:
    """When the ticket's survey and what-went-wrong notices last went (not suppressed)."""
    rows = session.execute(
        select(OutboxItem.notice, func.max(OutboxItem.created_at))
        .where(OutboxItem.ticket_id == ticket.id, OutboxItem.state != "suppressed",
               OutboxItem.notice.in_((NoticeKind.SURVEY.value,
                                      NoticeKind.WHAT_WENT_WRONG.value)))
        .group_by(OutboxItem.notice)).all()
    return {notice: at for notice, at in rows}


def _awaits_comment(ticket: Ticket, sent: dict[str, datetime]) -> bool:
    return (NoticeKind.WHAT_WENT_WRONG.value in sent and ticket.satisfaction_rating is not None
            and ticket.satisfaction_rating <= 2 and not ticket.satisfaction_comment)


def _satisfaction_message(writer: TicketWriter, ticket: Ticket,
                          incoming: Incoming) -> NewMessage:
    message = writer.add_message(ticket, incoming)
    message.kind = "satisfaction"
    ticket.updated_at = writer.now
    return message


def _record_rating(writer: TicketWriter, ticket: Ticket, incoming: Incoming,
                   message: NewMessage, answer: survey.SurveyAnswer,
                   sent: dict[str, datetime]) -> None:
    rating, comment = answer.rating, answer.comment
    assert rating is not None
    ticket.satisfaction_rating = rating
    ticket.satisfaction_comment = comment or None
    ticket.satisfaction_at = writer.now
    customer = incoming.mail.from_addr
    writer.add_event(ticket, "satisfaction", _CLOSED, _CLOSED, customer,
                     f"rating {rating}" + (f": {comment}" if comment else ""), message)
    log.info("ticket=%s satisfaction rating %d from %s", ticket.ref, rating, customer)
    if rating > 2:
        return
    writer.alert(ticket, AlertEvent.LOW_RATING, actor=customer, incoming=incoming,
                 text=comment, rating=rating)
    if not comment and NoticeKind.WHAT_WENT_WRONG.value not in sent:
        writer.notify(ticket, NoticeKind.WHAT_WENT_WRONG)


def _record_comment(writer: TicketWriter, ticket: Ticket, incoming: Incoming,
                    comment: str) -> None:
    message = _satisfaction_message(writer, ticket, incoming)
    ticket.satisfaction_comment = comment
    customer = incoming.mail.from_addr
    writer.add_event(ticket, "satisfaction", _CLOSED, _CLOSED, customer,
                     f"rating {ticket.satisfaction_rating}: {comment}", message)
    writer.alert(ticket, AlertEvent.LOW_RATING, actor=customer, incoming=incoming,
                 text=comment, rating=ticket.satisfaction_rating)
    log.info("ticket=%s satisfaction comment from %s", ticket.ref, customer)


def _opt_out(writer: TicketWriter, ticket: Ticket, address: str,
             message: NewMessage) -> None:
    address = address.strip().lower()
    if writer.session.get(SurveyOptOut, address) is None:
        writer.session.add(SurveyOptOut(address=address, at=writer.now, ticket_id=ticket.id))
    writer.add_event(ticket, "survey-opt-out", _CLOSED, _CLOSED, address,
                     f"{address} asked for no more satisfaction surveys", message)
    log.info("ticket=%s %s opted out of surveys", ticket.ref, address)
