"""What an inbound mail is, from its headers and shape: our own, a bounce, an auto-reply,
list traffic, or a customer's mail.

This module owns the loop-prevention decisions of PRODUCT.md section 5: no notice may go
to an auto-reply, a bounce, a mailing list, a ``noreply`` address or the support address
itself. It is pure: it reads an `InboundMail` and returns a `MailKind`.

The order matters. Our own mail first (a loop through our own mailbox), then bounces
before auto-replies (a bounce often also says ``Auto-Submitted: auto-replied``), then
auto-replies, then list traffic.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from inbox_worker.domain.model import OWN_MESSAGE_ID_PREFIX, InboundMail, MailKind

LOOP_HEADER = "x-inbox-worker-loop"

# "noreply" and "do-not-reply" anywhere as a word of the local part ("shop-noreply"); the
# daemon and bounce names only at its start ("bounces+1234=example.com" is VERP).
_NOREPLY_LOCAL = re.compile(
    r"(?:.*[-_.+])?(?:no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:[-_.+].*)?"
    r"|(?:mailer[-_.]?daemon|postmaster|bounces?)(?:[-_.+].*)?",
    re.IGNORECASE,
)
_DAEMON_LOCAL = re.compile(r"(?:mailer[-_.]?daemon|postmaster)(?:[-+_.].*)?", re.IGNORECASE)

# Subjects MTAs write on bounces. Only their exact forms (mostly "Phrase: details"), so
# that a customer writing "Delivery failed for order 123" still gets a ticket.
_BOUNCE_SUBJECT = re.compile(
    r"^(?:"
    r"undelivered mail returned to sender$"
    r"|delivery status notification \((?:failure|delay)\)$"
    r"|delivery notification: delivery has failed$"
    r"|mail delivery failed\s*:"
    r"|failure notice$"
    r"|returned mail\s*:"
    r"|undeliverable(?: mail| message)?\s*:"
    r"|undeliverable (?:mail|message)$"
    r"|undelivered mail\s*:"
    r"|delivery failure\s*:"
    r"|warning: could not send message for past"
    r"|(?:unzustellbar|nicht zustellbar|non remis|no se puede entregar|onbestelbaar)\s*:"
    r")",
    re.IGNORECASE,
)

# Subjects of vacation and out-of-office replies, in the languages our customers write.
# The phrase must end the subject or be followed by a colon or dash ("Out of Office: Re:
# ...", "Automatische Antwort: ..."), so "Auto reply not working" is still a customer's.
_AUTO_REPLY_SUBJECT = re.compile(
    r"^(?:"
    r"automatic reply|auto(?:matic)?[- ]?(?:reply|response|respons|responder)|auto"
    r"|out of (?:the )?office(?: auto-?reply)?"
    r"|abwesenheitsnotiz|automatische antwort"
    r"|r[ée]ponse automatique"
    r"|respuesta autom[áa]tica|risposta automatica|automatisch antwoord"
    r"|autosvar|automatisk svar|automatiskt svar"
    r"|自动回复|自動回覆|自動返信|自動応答"
    r")(?=\s*(?:[:：\-–]|$))",
    re.IGNORECASE,
)
# Some mailers put the marker after a "Re:" or "AW:" of their own.
_REPLY_PREFIX = re.compile(r"^(?:(?:re|aw|sv|antw|wg|fw|fwd)\s*:\s*)+", re.IGNORECASE)

_RAW_FROM_LOCAL = re.compile(r"<([^<>@\s]+)(?:@[^<>]*)?>|^\s*([^\s<>()@\"]+)")
_AUTO_MAILERS = re.compile(r"vacation|autorespond|auto-?reply|out of office", re.IGNORECASE)
_AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
_SUPPRESS_AUTO = frozenset({"oof", "autoreply", "all"})


def classify(mail: InboundMail, *, own_addresses: Collection[str],
             own_message_id_domain: str) -> MailKind:
    """The kind of `mail`; CUSTOMER when nothing marks it as automatic or our own (from one
    of `own_addresses`, the support address and every mailbox's)."""
    domain = own_message_id_domain.strip().lstrip("@").lower()
    if _is_own(mail, {a.strip().lower() for a in own_addresses}, domain):
        return MailKind.OWN
    if _is_bounce(mail):
        return MailKind.BOUNCE
    if _is_auto_reply(mail):
        return MailKind.AUTO_REPLY
    if _is_list(mail):
        return MailKind.LIST
    return MailKind.CUSTOMER


def is_noreply_address(address: str) -> bool:
    """True for addresses nobody reads: noreply, do-not-reply, mailer-daemon, bounces..."""
    local = address.strip().lower().rsplit("@", 1)[0].strip('"')
    return bool(local) and _NOREPLY_LOCAL.fullmatch(local) is not None


def _is_own(mail: InboundMail, own_addresses: Collection[str], domain: str) -> bool:
    if LOOP_HEADER in mail.headers:
        return True
    if mail.from_addr and mail.from_addr in own_addresses:
        return True
    if domain and mail.message_id and "@" in mail.message_id:
        local, _, mail_domain = mail.message_id.rpartition("@")
        return mail_domain.lower() == domain and local.startswith(OWN_MESSAGE_ID_PREFIX)
    return False


def _is_bounce(mail: InboundMail) -> bool:
    content_type = (mail.header("content-type") or "").lower()
    if content_type.startswith("multipart/report") and "delivery-status" in content_type:
        return True
    if "x-failed-recipients" in mail.headers:
        return True
    if _DAEMON_LOCAL.fullmatch(_from_local_part(mail)):
        return True
    if _BOUNCE_SUBJECT.match(mail.subject.strip()):
        return True
    # A null reverse-path marks a delivery report, but RFC 3834 asks auto-replies to use
    # one too: only when nothing says auto-reply is it a bounce.
    null_path = any(value.replace(" ", "") == "<>" for value in mail.headers.get("return-path", ()))
    return null_path and not _is_auto_reply(mail)


def _is_auto_reply(mail: InboundMail) -> bool:
    # RFC 3834: any keyword but "no", possibly followed by parameters or a comment.
    auto_submitted = re.split(r"[\s;(]", (mail.header("auto-submitted") or "").strip().lower())[0]
    if auto_submitted and auto_submitted != "no":
        return True
    if any(name in mail.headers for name in ("x-autoreply", "x-autorespond", "x-autogenerated")):
        return True
    if (mail.header("precedence") or "").strip().lower() in _AUTO_PRECEDENCE:
        return True
    suppress = {
        token.strip().lower()
        for token in (mail.header("x-auto-response-suppress") or "").split(",")
    }
    if suppress & _SUPPRESS_AUTO:
        return True
    if _AUTO_MAILERS.search(mail.header("x-mailer") or ""):
        return True
    subject = _REPLY_PREFIX.sub("", mail.subject.strip())
    return _AUTO_REPLY_SUBJECT.match(subject) is not None


def _is_list(mail: InboundMail) -> bool:
    if "list-id" in mail.headers or "mailing-list" in mail.headers:
        return True
    return (mail.header("precedence") or "").strip().lower() == "list"


def _from_local_part(mail: InboundMail) -> str:
    """The local part of the sender, also when From is too broken to yield an address
    (``From: MAILER-DAEMON (Mail Delivery System)``)."""
    if mail.from_addr:
        return mail.from_addr.rsplit("@", 1)[0]
    match = _RAW_FROM_LOCAL.search(mail.header("from") or "")
    return (match.group(1) or match.group(2)).lower() if match else ""
