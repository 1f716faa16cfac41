"""How a mail finds its ticket (PRODUCT.md section 3): tokens, subjects, the choice.

This module owns the subject token's format (`IW-` and ten Crockford base32 characters
drawn from `secrets`), finding tokens again in whatever mail clients make of a subject,
stripping reply/forward prefixes, and the rule that picks a ticket from a token match and a
header match. The lookups themselves (token -> ticket, Message-ID -> ticket) are the store's;
this module only judges what they found. Pure: no I/O.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Literal

from inbox_worker.domain.model import MailKind

DEFAULT_PREFIX = "IW"
TOKEN_LENGTH = 10
# Crockford base32: no I, L, O, U, so a token read aloud or retyped survives.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Crockford's decoding rule: the look-alikes a person may type for 1 and 0.
_CROCKFORD_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
# What clients and fonts turn a hyphen into (NFKC already maps the full-width one).
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_PREFIX_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def new_token(prefix: str = DEFAULT_PREFIX) -> str:
    """A fresh token such as `IW-7K3M9QX2PD`: 50 bits from `secrets`, so one ticket's token
    says nothing about another's."""
    _check_prefix(prefix)
    # One draw of 50 bits, five per character (32 symbols): the same tokens as a draw per
    # character, without ten calls into the system's random source per ticket.
    bits = secrets.randbits(5 * TOKEN_LENGTH)
    body = "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in range(TOKEN_LENGTH))
    return f"{prefix.upper()}-{body}"


def format_subject(subject: str, token: str) -> str:
    """`[TOKEN] subject`, unless the subject already carries the token; the subject alone
    when there is no token (a mail about no ticket: the digest, the answer to #queue).

    Line breaks become spaces: the subject comes from outside, and a CR/LF kept in it would
    be a header injection in our notice.
    """
    one_line = re.sub(r"\s*[\r\n]+\s*", " ", subject).strip()
    if not token:
        return one_line
    prefix = token.rpartition("-")[0]
    if token.upper() in find_tokens(one_line, prefix):
        return one_line
    return f"[{token}] {one_line}".rstrip()


def _token_re(prefix: str) -> re.Pattern[str]:
    # Case-insensitive by explicit classes, not re.IGNORECASE, which would also accept
    # look-alikes such as the Kelvin sign or a dotless i.
    head = "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in prefix)
    char = "[0-9A-TV-Za-tv-z]"  # Crockford plus its look-alikes I, L, O; never U
    dash = f"[{re.escape(_HYPHENS)}]"
    edge = rf"0-9A-Za-z_{re.escape(_HYPHENS)}"
    # Whitespace may sit around the dash and between characters: clients fold long subjects
    # at arbitrary points. An ASCII letter, digit or dash right before or after means the
    # text is part of a longer word, not our token; CJK text may touch it (no spaces there).
    return re.compile(
        rf"(?<![{edge}]){head}\s*{dash}\s*((?:{char}\s*){{{TOKEN_LENGTH - 1}}}{char})(?![{edge}])"
    )


def find_tokens(subject: str, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Every token in a decoded subject, upper-cased and normalised, first seen first, once.

    Brackets are not required (clients drop or change them), and reply prefixes in any
    language need no special treatment because the token is searched anywhere.
    """
    _check_prefix(prefix)
    # NFKC turns full-width letters, digits and punctuation (CJK input methods) into ASCII.
    text = unicodedata.normalize("NFKC", subject)
    found: list[str] = []
    for match in _token_re(prefix).finditer(text):
        body = re.sub(r"\s+", "", match.group(1)).upper().translate(_CROCKFORD_LOOKALIKES)
        token = f"{prefix.upper()}-{body}"
        if token not in found:
            found.append(token)
    return found


# Reply and forward prefixes as mail clients write them, across languages. Matching is
# case-insensitive; single letters (Italian R:, I:) are only taken before a colon.
_REPLY_WORDS = (
    "re", "fwd", "fw", "aw", "wg", "sv", "vs", "vb", "vl", "antw", "antwort", "doorst",
    "tr", "réf", "ref", "rif", "r", "i", "rv", "res", "enc", "odp", "pd", "ynt", "ilt", "İlt",
    "vá", "továbbítás", "απ", "σχετ", "πρθ", "отв", "ответ", "пересл", "回复", "答复", "转发",
    "回覆", "轉寄", "轉發", "답장", "회신", "전달", "転送", "přeposlat",
)  # fmt: skip
_COUNTER = r"(?:\[\d+\]|\(\d+\)|\^\d+)"  # Re[2]:, Re(2):, Re^2:
_REPLY_PREFIXES_RE = re.compile(
    r"^(?:\s*(?:"
    + "|".join(sorted((re.escape(w) for w in _REPLY_WORDS), key=len, reverse=True))
    + rf")\s*{_COUNTER}?\s*[:：])+",
    re.IGNORECASE,
)


def strip_reply_prefixes(subject: str) -> str:
    """The subject without leading `Re:`/`Fwd:`/`AW:`/`回复:`… (repeated, `Re[2]:` too), with
    folding and runs of whitespace collapsed to single spaces."""
    return " ".join(_REPLY_PREFIXES_RE.sub("", subject).split())


# The forward prefixes among `_REPLY_WORDS`. "VS" is Danish and Norwegian for a forward (in
# Finnish it is a reply, but Finnish is not a language we serve).
_FORWARD_WORDS = (
    "fwd", "fw", "wg", "tr", "rv", "i", "vs", "vb", "vl", "doorst", "pd", "přeposlat",
    "ilt", "İlt", "enc", "továbbítás", "πρθ", "пересл", "转发", "轉寄", "轉發", "전달", "転送",
)  # fmt: skip
_FORWARD_FOLDED = frozenset(w.casefold() for w in _FORWARD_WORDS)
_ANY_PREFIX_RE = re.compile(
    r"\s*("
    + "|".join(sorted((re.escape(w) for w in _REPLY_WORDS), key=len, reverse=True))
    + rf")\s*{_COUNTER}?\s*:",
    re.IGNORECASE,
)
# A ticket token in brackets, any prefix (the subject is NFKC-normalised first).
_BRACKETED_TOKEN_RE = re.compile(
    rf"\s*[\[【]\s*[A-Za-z][A-Za-z0-9]*\s*[{re.escape(_HYPHENS)}]\s*"
    rf"(?:[0-9A-Za-z]\s*){{{TOKEN_LENGTH}}}[\]】]"
)
# Italian Outlook's "I:" counts as a forward only with text after it.
_TEXT_FOLLOWS_RE = re.compile(r"\s+\S")


def is_forward(subject: str) -> bool:
    """Whether the subject is a forward: its first prefix (after a bracketed ticket token,
    if one comes first) is a forward prefix (`Fwd:`, `WG:`, `TR:`, `RV:`, `I:`, `转发:`,
    ...), in any case, with a full-width colon too. A technician who forwards an alert has
    not answered the customer; but "Re: Fwd: ..." is a reply (the colleague's answer to a
    forwarded alert), which is an answer.
    """
    # NFKC turns full-width letters, brackets and colons into ASCII.
    text = unicodedata.normalize("NFKC", subject)
    position = 0
    token = _BRACKETED_TOKEN_RE.match(text, position)
    if token is not None:
        position = token.end()
    prefix = _ANY_PREFIX_RE.match(text, position)
    if prefix is None:
        return False
    word = prefix.group(1).casefold()
    return word in _FORWARD_FOLDED and (
        word != "i" or _TEXT_FOLLOWS_RE.match(text, prefix.end()) is not None)


# --- choosing the ticket ------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRef:
    """A ticket found by a lookup, with who may write to it (lower-cased addresses)."""

    ticket_id: int
    customer: str
    participants: frozenset[str]


@dataclass(frozen=True)
class ThreadChoice:
    """Where a mail goes. `ticket_id` None with `via` "new" means a new ticket.

    `stranger_with_token` is True when the subject named a ticket the sender may not write
    to and the mail did not end up on that ticket: worth a log line (a guessed or leaked
    token, or a forwarded notice answered by someone else).
    """

    ticket_id: int | None
    via: Literal["token", "headers", "new"]
    stranger_with_token: bool


# Automatic mail comes from addresses that are nobody's (MAILER-DAEMON, a vacation robot's
# own sender); what ties it to a ticket is our notice's Message-ID, which is unguessable.
_AUTOMATIC = frozenset({MailKind.AUTO_REPLY, MailKind.BOUNCE})


def may_write(sender: str, ticket: TicketRef, technicians: frozenset[str]) -> bool:
    """Whether `sender` may add to `ticket`: its customer, a participant, or a technician."""
    address = sender.strip().lower()
    if not address:
        return False
    return (
        address == ticket.customer.strip().lower()
        or address in {p.strip().lower() for p in ticket.participants}
        or address in {t.strip().lower() for t in technicians}
    )


def choose_ticket(
    sender: str,
    *,
    by_token: TicketRef | None,
    by_headers: TicketRef | None,
    technicians: frozenset[str],
    kind: MailKind,
) -> ThreadChoice:
    """Token first, then headers, then a new ticket; a match counts only if the sender may
    write to that ticket (auto-replies and bounces excepted, by headers only)."""
    if by_token is not None and may_write(sender, by_token, technicians):
        return ThreadChoice(by_token.ticket_id, "token", stranger_with_token=False)
    # A token is printed in every subject and can be guessed or forwarded, so it never
    # lets a stranger in, not even a bounce.
    if by_headers is not None and (
        kind in _AUTOMATIC or may_write(sender, by_headers, technicians)
    ):
        stranger = by_token is not None and by_token.ticket_id != by_headers.ticket_id
        return ThreadChoice(by_headers.ticket_id, "headers", stranger_with_token=stranger)
    return ThreadChoice(None, "new", stranger_with_token=by_token is not None)


def _check_prefix(prefix: str) -> None:
    # The prefix becomes part of a regular expression and of every subject we send.
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"a token prefix is a letter then letters or digits: {prefix!r}")
