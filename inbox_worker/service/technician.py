"""A technician's authenticated mail: tags steer the ticket, the new text and files are
relayed.

Only mails that passed the sender check in `service.ingest` come here. The tag grammar is
the pure `domain.tags`; the status decision the pure `domain.status`. Any bad tag means
nothing changes and the technician gets a reply saying what was wrong and what is accepted.
A forward (`Fwd:` of an alert, to a colleague with the support address in copy) is no
answer: it is recorded and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from inbox_worker.domain import correlate, status, tags
from inbox_worker.domain.alerts import AlertEvent
from inbox_worker.domain.model import Status
from inbox_worker.domain.status import NoticeKind
from inbox_worker.errors import UnknownTicketError
from inbox_worker.service.conversation import Conversation
from inbox_worker.service.tickets import Incoming, TicketWriter, ticket_state
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Message, Ticket
from inbox_worker.store.new_rows import MessageRef


class TechnicianMail:
    def __init__(self, writer: TicketWriter, policy: status.Policy) -> None:
        self.writer = writer
        self.policy = policy
        techs = writer.settings.technicians
        self.zone = ZoneInfo(techs.time_zone)
        self.technicians = techs.addresses
        self.signature_marker = techs.signature_marker
        self.require_resolution = writer.settings.policy.require_resolution

    def parse(self, incoming: Incoming, ticket: Ticket | None = None) -> tags.TagParse:
        """The mail's tags, with what only the store can tell added to their errors: a
        duplicate's ticket that does not exist, a closing without the summary the policy
        requires (`ticket`: the one the mail answers, None for a new mail)."""
        parsed = tags.parse_tags(incoming.mail.text, now=self.writer.now, tz=self.zone,
                                 technicians=self.technicians, sender=incoming.mail.from_addr)
        problems = [*self._resolution_problems(parsed, ticket)]
        return replace(parsed, errors=parsed.errors + tuple(problems)) if problems else parsed

    def new_mail(self, incoming: Incoming, parsed: tags.TagParse) -> Ticket | None:
        """A technician's mail that is no reply. ``#customer`` opens a ticket on the
        customer's behalf; without it the technician is the customer. Returns None when the
        tags are bad (the caller answers the technician: there is no ticket to answer on)."""
        if not parsed.ok:
            return None
        customer = next((c.address for c in parsed.commands
                         if isinstance(c, tags.CustomerCommand)), None)
        # The acknowledgement and the alert go once the mail's own tags are applied: they
        # show the priority, assignee and place the ticket ends with.
        ticket = self.writer.open_ticket(incoming, customer=customer, acknowledge=False,
                                         alert=False)
        message = self._message_of(ticket)
        self._apply_commands(ticket, incoming, parsed, message, relay=False)
        # The customer saw none of this conversation (a technician's mail): no threading.
        self.writer.notify(ticket, NoticeKind.ACKNOWLEDGED, thread=Conversation(None, [], {}))
        self.writer.alert(ticket, AlertEvent.NEW_TICKET, actor=incoming.mail.from_addr,
                          incoming=incoming, earlier=[])
        return ticket

    def reply(self, ticket: Ticket, incoming: Incoming, parsed: tags.TagParse) -> Ticket:
        mail = incoming.mail
        writer = self.writer
        note = parsed.ok and parsed.is_note
        message = writer.add_message(ticket, incoming)
        if correlate.is_forward(mail.subject):
            message.kind = "note"
            writer.add_event(ticket, "forward", ticket.status, ticket.status, mail.from_addr,
                             "a technician forwarded a mail of the ticket: recorded, nothing "
                             "changed, nothing sent to the customer", message)
            return ticket
        if note:
            message.kind = "note"
        if not parsed.ok:
            self._refuse(ticket, mail.from_addr, [f"{e.line}: {e.message}" for e in parsed.errors],
                         message)
            return ticket
        if any(isinstance(c, tags.CustomerCommand) for c in parsed.commands):
            self._refuse(ticket, mail.from_addr,
                         ["#customer: only in a new mail, to open a ticket for a customer"],
                         message)
            return ticket
        if any(isinstance(c, tags.QueryCommand) for c in parsed.commands):
            self._refuse(ticket, mail.from_addr,
                         ["#queue, #mine, #show: only in a new mail to the support address, "
                          "without a ticket's token"], message)
            return ticket
        self._apply_commands(ticket, incoming, parsed, message, relay=not note)
        return ticket

    # -- internals -----------------------------------------------------------------------

    def _apply_commands(self, ticket: Ticket, incoming: Incoming, parsed: tags.TagParse,
                        message: MessageRef | None, *, relay: bool) -> None:
        writer = self.writer
        actor = incoming.mail.from_addr
        body = tags.strip_signature(parsed.body, self.signature_marker).strip()
        set_status: tags.SetStatusCommand | None = None
        for command in parsed.commands:
            if isinstance(command, tags.SetStatusCommand):
                set_status = command
            elif isinstance(command, tags.ResolutionCommand):
                # Before the closing below, so that the Closed notice tells it.
                duplicate = (self._find(command.duplicate_of)
                             if command.duplicate_of else None)
                writer.record_resolution(ticket, command.text, actor, message,
                                         duplicate_of=duplicate)
            elif isinstance(command, tags.AssignCommand):
                ticket.assignee = command.address
                writer.add_event(ticket, "assign", ticket.status, ticket.status, actor,
                                 f"assigned to {command.address}", message)
                writer.alert(ticket, AlertEvent.ASSIGNED, actor=actor, incoming=incoming,
                             text=body, new_assignee=command.address)
            elif isinstance(command, tags.PriorityCommand):
                writer.forget_queue_counts()  # a queued ticket changes rank
                ticket.priority = command.priority.value
                writer.add_event(ticket, "priority", ticket.status, ticket.status, actor,
                                 f"priority {command.priority.value}", message)
            elif isinstance(command, tags.CategoryCommand):
                ticket.category = command.name
                writer.add_event(ticket, "category", ticket.status, ticket.status, actor,
                                 f"category {command.name}", message)
        if parsed.is_note:
            writer.add_event(ticket, "note", ticket.status, ticket.status, actor,
                             "internal note; nothing sent to the customer", message)
            writer.alert(ticket, AlertEvent.NOTE, actor=actor, incoming=incoming, text=body)
        event: status.Event | None
        if set_status is not None:
            event = set_status.as_event()
        elif relay and body:
            # Files alone are no answer: a tags-only reply from a client that adds its
            # logo to every mail must not answer the customer with the logo.
            event = status.TechnicianReply()
        else:
            event = None
        if event is None:
            ticket.updated_at = writer.now
            return
        transition = status.decide(ticket_state(ticket), event, writer.now, self.policy)
        if transition.rejected:
            self._refuse(ticket, actor, [transition.rejected], message)
            return
        cause = f"technician {actor}" + (f": #status {set_status.status.value}"
                                         if set_status else ": answer")
        writer.apply_transition(ticket, transition, actor=actor, cause=cause, message=message)
        if not relay:
            return
        # The technician's files go with their words; a note keeps them internal.
        files = incoming.mail.attachments
        if transition.notice is not None:
            sent = writer.notify(ticket, transition.notice, text=body, attachments=files,
                                 reason=set_status.reason if set_status else None)
        elif body:
            # e.g. `#status in-progress` with a few words: they still reach the customer.
            sent = writer.notify(ticket, NoticeKind.ANSWER, text=body, attachments=files)
        else:
            return
        if sent is not None and ticket.first_response_at is None:
            # The first response is the first mail that goes to the customer.
            ticket.first_response_at = writer.now

    def _resolution_problems(self, parsed: tags.TagParse,
                             ticket: Ticket | None) -> list[tags.TagError]:
        resolution = next((c for c in parsed.commands
                           if isinstance(c, tags.ResolutionCommand)), None)
        problems = []
        if resolution is not None and resolution.duplicate_of is not None:
            line = f"#resolution {resolution.text}"
            other = self._find(resolution.duplicate_of)
            if other is None:
                problems.append(tags.TagError(
                    line, f"there is no ticket {resolution.duplicate_of}: name the ticket "
                          "this one duplicates, e.g. duplicate of T-12"))
            elif ticket is not None and other.id == ticket.id:
                problems.append(tags.TagError(line, "a ticket cannot duplicate itself"))
        closing = any(isinstance(c, tags.SetStatusCommand) and c.status is Status.CLOSED
                      for c in parsed.commands)
        if (self.require_resolution and closing and resolution is None
                and (ticket is None or ticket.resolution is None)):
            problems.append(tags.TagError(
                "#status closed", "closing needs a summary of how the issue was resolved "
                "([policy] require_resolution): add a line #resolution TEXT"))
        return problems

    def _find(self, ref: str) -> Ticket | None:
        try:
            return repo.find_ticket(self.writer.session, ref)
        except UnknownTicketError:
            return None

    def _refuse(self, ticket: Ticket, technician: str, problems: list[str],
                message: MessageRef | None) -> None:
        writer = self.writer
        writer.add_event(ticket, "rejected", ticket.status, ticket.status, technician,
                         "tags refused, nothing changed: " + "; ".join(problems), message)
        writer.notify(ticket, NoticeKind.TAG_REJECTED, recipient=technician,
                      text="\n".join(problems))

    def _message_of(self, ticket: Ticket) -> Message | None:
        return self.writer.session.scalar(
            select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
        )

