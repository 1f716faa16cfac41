"""The queueing half of the outbox: every mail we send is written here, in the transaction
of the change that caused it (`service.delivery` sends it later).

`Outbox` is the one way from an event to a mail, for customers and technicians alike:
`notice` (a customer's notice), `alert` (technicians told of a ticket, PRODUCT.md section
4a) and `internal` (the digest, the answer to a command by mail). Each renders its template,
decides whether the mail may go at all, chooses its Message-ID once and stores the exact
bytes to send, so a retried send is the same message. A mail that may not go is still
recorded, as an outbox row in state `suppressed` whose `last_error` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.config import Settings, SupportSettings
from inbox_worker.domain import correlate
from inbox_worker.domain.alerts import AlertAudience, AlertEvent, alert_recipients
from inbox_worker.domain.model import Attachment
from inbox_worker.domain.status import NoticeKind
from inbox_worker.domain.targets import TargetView
from inbox_worker.notices.compose import OutgoingAttachment, compose_notice, new_message_id
from inbox_worker.notices.render import NoticeRenderer, RenderedNotice
from inbox_worker.notices.variables import ALERT, internal_defaults, size_text
from inbox_worker.service import targets
from inbox_worker.service.conversation import (
    Conversation,
    conversation,
    notice_context,
    recent_conversation,
    ticket_data,
)
from inbox_worker.service.rate_limits import RecentNotices, suppression_reason, unaddressable
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Ticket
from inbox_worker.store.new_rows import NewMessage, new_rows

log = logging.getLogger("inbox_worker.outbox")

_TICKET_KEYS = ("ref", "token", "subject", "status", "priority", "category", "created_at",
                "scheduled_for", "closed_at", "resolution", "resolution_by", "assignee", "customer",
                "queue_position", "due_at", "breached", "mailbox")

class Outbox:
    """Bound to the settings and templates; writes in the caller's transaction, never
    commits."""

    def __init__(self, settings: Settings, renderer: NoticeRenderer) -> None:
        self.settings = settings
        self.renderer = renderer
        alerts = settings.alerts
        self.audience = AlertAudience(
            technicians=settings.technicians.addresses, recipients=alerts.recipients,
            escalation=alerts.escalation, digest_recipients=alerts.digest_recipients,
        )

    # -- customers' notices ----------------------------------------------------------------

    def notice(
        self,
        session: Session,
        ticket: Ticket,
        kind: NoticeKind | str,
        now: datetime,
        *,
        text: str = "",
        reason: str | None = None,
        recipient: str | None = None,
        links: dict[str, str] | None = None,
        suppress: str | None = None,
        thread: Conversation | None = None,
        recent: RecentNotices | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> NewMessage | None:
        """The notice `kind` for `ticket` (status already changed), with `attachments`
        (a technician's files relayed). `thread` saves the query for the ticket's
        conversation when the caller knows it; `recent` is the transaction's tally of
        recent notices per address (see `RecentNotices`).

        Returns the outgoing message, or None when the notice may not go: to one of our
        own addresses, to a no-reply address, past the rate limit to that address, to an unusable
        address, or when the caller gives a `suppress` reason."""
        notice = NoticeKind(kind)
        support = self.identity(ticket)
        to_addr = (recipient or ticket.customer).strip().lower()
        if thread is None:
            thread = conversation(session, ticket)
        context = notice_context(
            ticket, kind=notice, support=support, customer_address=to_addr,
            customer_name=thread.names.get(to_addr, ""), now=now, text=text, reason=reason,
            links=links,
        )
        if recent is None:
            recent = RecentNotices(session, now)
        limits = self.settings.notices
        why_not = suppress or suppression_reason(
            recent, to_addr, own_addresses=self.settings.own_addresses,
            rate_limit_per_hour=limits.rate_limit_per_hour, kind=notice,
            acknowledgements_per_hour=limits.acknowledgements_per_hour,
        )
        message = self._write(
            session, ticket=ticket, message_kind="notice", template=notice.value,
            recipient=to_addr, recipient_name=context["customer"]["name"], context=context,
            in_reply_to=thread.in_reply_to, references=thread.references, now=now,
            why_not=why_not, attachments=attachments,
        )
        if message is not None:
            recent.note(to_addr, notice)
        return message

    # -- technicians' alerts ---------------------------------------------------------------

    def alert(
        self,
        session: Session,
        ticket: Ticket,
        event: AlertEvent,
        now: datetime,
        *,
        actor: str | None,
        by: str | None = None,
        text: str = "",
        attachments: Sequence[Attachment] = (),
        new_assignee: str | None = None,
        breached: Sequence[str] = (),
        trigger: str | None = None,
        queue_position: int | None = None,
        earlier: Sequence[dict[str, Any]] | None = None,
        rating: int | None = None,
    ) -> NewMessage | None:
        """Tell the technicians `event` needs of `ticket`: one alert to its recipients (see
        `domain.alerts`), with the customer's new `text` in full, the recent conversation
        and the customer's `attachments` (attached up to [alerts] attach_max_bytes, listed
        all). `trigger` is the Message-ID of the mail that caused it (threads the alert
        with it); `earlier` is the conversation before it when the caller knows it (a new
        ticket has none), and `queue_position` the ticket's place when the caller counted
        it. `actor`, left out of the recipients, is the technician who caused it; `by`, who
        the alert says caused it (default: the actor); `rating`, a low satisfaction
        rating's value. Rate limits never apply: a busy hour must not silence a technician."""
        recipients = alert_recipients(event, self.audience, assignee=ticket.assignee,
                                      actor=actor, new_assignee=new_assignee)
        if not recipients:
            return None
        if earlier is None:
            earlier = recent_conversation(session, ticket, self.settings.alerts
                                          .conversation_messages, before=trigger)
        if queue_position is None:
            queue_position = repo.queue_position(session, ticket)
        attached, listed = _attachments_within(attachments,
                                               self.settings.alerts.attach_max_bytes)
        context = self.ticket_context(ticket, now, queue_position=queue_position,
                                      customer_name=_name_in(earlier, ticket.customer))
        context.update(
            text=text, conversation=list(earlier), attachments=listed,
            alert={"event": event.value, "by": by or actor or "", "breached": list(breached),
                   "rating": rating},
        )
        # One mail to all of them (one SMTP transaction, whatever the team's size): a
        # technician's reply threads by its token or its Message-ID alike.
        return self.internal(session, ALERT, recipients, context, now, ticket=ticket,
                             in_reply_to=trigger, attachments=attached)

    # -- digests and command replies -------------------------------------------------------

    def internal(
        self,
        session: Session,
        template: str,
        recipients: Sequence[str],
        context: dict[str, Any],
        now: datetime,
        *,
        ticket: Ticket | None = None,
        in_reply_to: str | None = None,
        attachments: Sequence[Attachment] = (),
        rendered: RenderedNotice | None = None,
    ) -> NewMessage | None:
        """A mail to technicians (an alert, the digest, a command's answer): one mail to
        all `recipients`, rendered from `context` (see `ticket_context` and
        `notices.variables`), never rate limited. With a `ticket`, it is recorded on it, so
        that a reply to it threads there. A mail rendered in code (the report) comes as
        `rendered`, instead of a template's."""
        own = self.settings.own_addresses
        reachable = [r for r in recipients if unaddressable(r, own) is None]
        to = ", ".join(reachable or recipients)
        return self._write(
            session, ticket=ticket, message_kind=template, template=template,
            recipient=to, recipient_name="", context={**context, "recipient": to},
            in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [],
            now=now, why_not=None if reachable else unaddressable(recipients[0], own),
            attachments=attachments, rendered=rendered,
        )

    def internal_context(self, now: datetime) -> dict[str, Any]:
        """The variables of a mail to a technician about no ticket in particular (the
        digest, `#queue`): every variable present, the ticket's empty."""
        support = self.settings.support
        return {
            "ticket": {key: None for key in _TICKET_KEYS} | {"breached": []},
            "customer": {"address": "", "name": ""},
            "support": {"address": support.address, "name": support.name},
            "status": "", "text": "", "reason": None, "links": {}, "now": now,
            **internal_defaults(),
        }

    def ticket_context(self, ticket: Ticket, now: datetime, *, queue_position: int | None,
                       customer_name: str = "") -> dict[str, Any]:
        """The variables of a mail about `ticket` to a technician."""
        context = notice_context(
            ticket, kind=NoticeKind.ACKNOWLEDGED, support=self.identity(ticket),
            customer_address=ticket.customer, customer_name=customer_name, now=now,
        )
        context["ticket"] = self.ticket_data(ticket, now, queue_position)
        return context

    def ticket_data(self, ticket: Ticket, now: datetime, queue_position: int | None,
                    view: TargetView | None = None) -> dict[str, Any]:
        """`ticket` as template data with its place and targets (`view` when the caller
        evaluated them already)."""
        data = ticket_data(ticket, self.settings.sender(ticket.mailbox)[0])
        view = view or targets.view(ticket, self.settings.targets, now)
        data.update(queue_position=queue_position, due_at=view.due_at,
                    breached=list(view.breached))
        return data

    def identity(self, ticket: Ticket | None) -> SupportSettings:
        """Who the mails about ``ticket`` come from: the mailbox it came in at (its address
        and display name), else the [support] address."""
        if ticket is None or ticket.mailbox is None:
            return self.settings.support
        address, name = self.settings.sender(ticket.mailbox)
        return replace(self.settings.support, address=address, name=name)

    # -- writing ---------------------------------------------------------------------------

    def _write(
        self, session: Session, *, ticket: Ticket | None, message_kind: str, template: str,
        recipient: str, recipient_name: str, context: dict[str, Any],
        in_reply_to: str | None, references: list[str], now: datetime, why_not: str | None,
        attachments: Sequence[Attachment] = (), rendered: RenderedNotice | None = None,
    ) -> NewMessage | None:
        support = self.identity(ticket)
        rendered = rendered or self.renderer.render(template, context)
        message_id = new_message_id(support.message_id_domain)
        token = ticket.token if ticket is not None else ""
        raw = b""
        if why_not is None:
            try:
                # Only mails to technicians have several recipients; a customer's address
                # is one, as it is.
                first, *others = (recipient.split(", ") if message_kind != "notice"
                                  else [recipient])
                raw = compose_notice(
                    rendered=rendered, kind=template, from_name=support.name,
                    from_addr=support.address, to_addr=first, more_to=others,
                    to_name=recipient_name,
                    token=token, message_id=message_id, in_reply_to=in_reply_to,
                    references=references, date=now,
                    auto_submitted=("auto-replied" if message_kind == "notice"
                                    else "auto-generated"),
                    attachments=[OutgoingAttachment(a.filename, a.content_type, a.data)
                                 for a in attachments],
                )
            except ValueError as exc:
                why_not = f"cannot address the mail: {exc}"
        subject = correlate.format_subject(rendered.subject, token)
        rows = new_rows(session)
        message = rows.message({
            "ticket_id": ticket.id if ticket is not None else None,
            "message_id": message_id,
            "direction": "out",
            "kind": message_kind,
            "from_addr": support.address,
            "from_name": support.name,
            "to_addrs": recipient,
            "cc_addrs": "",
            "subject": subject,
            "text": rendered.text,
            "full_text": rendered.text,
            "html": rendered.html,
            "in_reply_to": in_reply_to or "",
            "references": " ".join(references),
            "date_header": now,
            "received_at": now,
            "source_key": None,
            "raw": None,
        }, [_attachment_row(a) for a in attachments] if message_kind == "notice" else None)
        rows.outbox_item({
            "ticket_id": ticket.id if ticket is not None else None,
            "notice": template,
            "recipient": recipient,
            "raw": raw,
            "state": "suppressed" if why_not else "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": why_not,
            "created_at": now,
            "sent_at": None,
            "claimed_until": None,
            "claimed_by": None,
        }, message)
        ref = ticket.ref if ticket is not None else "-"
        if why_not:
            log.warning("%s suppressed ticket=%s template=%s to=%s reason=%s", message_kind,
                        ref, template, recipient, why_not)
            return None
        log.info("%s queued ticket=%s template=%s to=%s message_id=%s", message_kind, ref,
                 template, recipient, message_id)
        return message


def _attachments_within(files: Sequence[Attachment], limit: int
                        ) -> tuple[list[Attachment], list[dict[str, Any]]]:
    """The files attached (in order, while their sizes add up to at most `limit`), and the
    list of all of them for the template."""
    attached: list[Attachment] = []
    listed: list[dict[str, Any]] = []
    total = 0
    for file in files:
        fits = total + file.size <= limit
        if fits:
            attached.append(file)
            total += file.size
        listed.append({"filename": file.filename, "content_type": file.content_type,
                       "size": file.size, "size_text": size_text(file.size),
                       "attached": fits})
    return attached, listed


def _attachment_row(file: Attachment) -> dict[str, Any]:
    return {"filename": file.filename[:255], "content_type": file.content_type[:255],
            "size": file.size, "sha256": file.sha256, "data": file.data}


def _name_in(conversation: Iterable[dict[str, Any]], address: str) -> str:
    names = [m.get("name", "") for m in conversation if m.get("from") == address]
    return next((n for n in reversed(names) if n), "")
