"""Build raw test mails as bytes, the way mail clients and servers write them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

_numbers = itertools.count(1)


def make_mail(
    *,
    sender: str = "carol@customer.test",
    subject: str = "Printer on floor 3 is offline",
    body: str = "Hello,\n\nthe printer does not answer since this morning.\n\nCarol\n",
    to: str = "support@example.com",
    cc: str | None = None,
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    if message_id == "auto":
        message_id = f"<test-{next(_numbers)}-{id(message)}@customer.test>"
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def reply_to(original: bytes, *, sender: str, body: str, subject: str | None = None,
             keep_token: bool = True, headers: dict[str, str] | None = None,
             message_id: str | None = "auto") -> bytes:
    """A reply to ``original`` with its threading headers, quoting it as clients do."""
    from email import message_from_bytes, policy

    parent = message_from_bytes(original, policy=policy.default)
    parent_id = parent["Message-ID"]
    refs = " ".join(str(x) for x in (parent.get("References"), parent_id) if x)
    parent_subject = " ".join(str(parent["Subject"]).split())
    if subject is None:
        subject = f"Re: {parent_subject}" if keep_token else "Re: something else"
    part = parent.get_body(("plain",))
    text = part.get_content() if part is not None else ""
    quoted = "\n".join(f"> {line}" for line in text.splitlines())
    full_body = f"{body}\n\nOn Mon, 2 Nov 2026 at 08:00, {parent['From']} wrote:\n{quoted}\n"
    return make_mail(sender=sender, subject=subject, body=full_body, in_reply_to=str(parent_id),
                     references=refs, headers=headers, message_id=message_id)
