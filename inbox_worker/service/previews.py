"""What `templates preview NAME [--ticket REF]` shows: the data the mail of that kind about
that ticket would hold if it went now (for the digest: today's digest), and the subject the
mail would have."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.domain import correlate
from inbox_worker.notices.variables import ALERT, COMMAND_REPLY, DIGEST
from inbox_worker.service.commands import SHOWN_MESSAGES
from inbox_worker.service.conversation import conversation, notice_context, recent_conversation
from inbox_worker.service.digest import digest_context, local_day
from inbox_worker.service.outbox import Outbox
from inbox_worker.store import repository as repo
from inbox_worker.store.models import Ticket


def preview_context(session: Session, outbox: Outbox, kind: str, ticket: Ticket,
                    now: datetime) -> dict[str, Any]:
    if kind == DIGEST:
        return digest_context(session, outbox, now,
                              local_day(now, outbox.settings.alerts.timezone))
    names = conversation(session, ticket).names
    if kind not in (ALERT, COMMAND_REPLY):
        return notice_context(ticket, kind=kind, support=outbox.identity(ticket),
                              customer_address=ticket.customer,
                              customer_name=names.get(ticket.customer, ""), now=now)
    context = outbox.ticket_context(ticket, now,
                                    queue_position=repo.queue_position(session, ticket),
                                    customer_name=names.get(ticket.customer, ""))
    recent = recent_conversation(session, ticket, SHOWN_MESSAGES)
    if kind == COMMAND_REPLY:
        context.update(command="show", tickets=[context["ticket"]], conversation=recent)
        return context
    # The alert of the ticket's latest customer mail, as a reply would have caused it.
    latest = next((m for m in reversed(recent) if m["kind"] == "customer"), None)
    count = outbox.settings.alerts.conversation_messages
    earlier = [m for m in recent if m is not latest][-count:] if count else []
    context.update(
        text=latest["text"] if latest else "", conversation=earlier,
        alert={"event": "customer_reply" if len(recent) > 1 else "new_ticket",
               "by": ticket.customer, "breached": context["ticket"]["breached"],
               "rating": None},
    )
    return context


def sample_with_prefix(context: dict[str, Any], token_prefix: str) -> dict[str, Any]:
    """Sample data with a token of this desk's prefix ([ACME-...], not the sample's [IW-...])."""
    ticket = context.get("ticket")
    if isinstance(ticket, dict) and ticket.get("token"):
        suffix = str(ticket["token"]).rpartition("-")[2]
        ticket["token"] = f"{token_prefix}-{suffix}"
    return context


def mail_subject(kind: str, subject: str, context: dict[str, Any]) -> str:
    """The template's subject as the mail carries it: with the ticket's token, except on
    mails about no ticket (the digest, the answers to #queue and #mine), as `Outbox` sends
    them."""
    about_ticket = kind != DIGEST and (kind != COMMAND_REPLY or context.get("command") == "show")
    token = str((context.get("ticket") or {}).get("token") or "") if about_ticket else ""
    return correlate.format_subject(subject, token)
