"""Where a mailbox's `url` points, and what makes a list of `[[mailboxes]]` inconsistent.

Pure checks on the file's values (no pydantic, no `Settings`), so that `config_schema` can
refuse a file whose mailboxes overlap with one clear line, before anything is read.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import Literal, NamedTuple
from urllib.parse import unquote, urlsplit


class MailboxPlace(NamedTuple):
    """Where a mailbox's `url` points: a Maildir folder, or an IMAP server's folder."""

    kind: Literal["maildir", "imap"]
    path: str = ""
    host: str = ""
    port: int | None = None  # None: the security mode's usual port
    folder: str = "INBOX"
    implicit_tls: bool = False  # imaps://


def mailbox_place(url: str) -> MailboxPlace:
    if url.startswith("maildir:"):
        path = url[len("maildir:"):].removeprefix("//")
        if not path:
            raise ValueError("maildir: needs a path, e.g. maildir:var/mail")
        return MailboxPlace("maildir", path=path)
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError(f"{url!r}: expected maildir:PATH, imap://host[:port]/FOLDER "
                         "or imaps://host[:port]/FOLDER")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r}: bad port") from None
    return MailboxPlace("imap", host=parts.hostname, port=port,
                        folder=unquote(parts.path.lstrip("/")) or "INBOX",
                        implicit_tls=parts.scheme == "imaps")



def source_identity(url: str, username: str) -> tuple[object, ...]:
    """What names one mailbox's mails: the same folder of the same account, however the URL
    spells it (imaps:// and imaps://host:993 are one place)."""
    place = mailbox_place(url)
    if place.kind == "maildir":
        return ("maildir", os.path.normpath(os.path.abspath(place.path)))
    port = place.port or (993 if place.implicit_tls else 143)
    return ("imap", place.host.lower(), port, place.folder, username.strip().lower())


def mailboxes_problem(entries: Sequence[tuple[str, str, str]], *, single_given: bool,
                      technicians: Collection[str]) -> str | None:
    """Why the `[[mailboxes]]` (address, url, username) cannot all be read, or None.

    Two tables reading one place would each take the other's mails off the to-do list (and
    key them apart, so both would become tickets); two with one address could not tell the
    customer which mailbox answered."""
    if single_given:
        return ("[mailbox] and [[mailboxes]] are two ways to say the same: use [[mailboxes]] "
                "alone (one table per mailbox), or [mailbox] alone")
    if not entries:
        return "[[mailboxes]] needs at least one mailbox (or leave it out for [mailbox])"
    addresses: dict[str, int] = {}
    places: dict[tuple[object, ...], int] = {}
    for number, (address, url, username) in enumerate(entries, start=1):
        if address in addresses:
            return (f"[[mailboxes]] #{number}: address {address} is already mailbox "
                    f"#{addresses[address]}'s")
        place = source_identity(url, username)
        if place in places:
            return (f"[[mailboxes]] #{number}: {url} is the same mailbox as #{places[place]}'s "
                    "url (each mailbox is read once)")
        if address in technicians:
            return (f"[[mailboxes]] #{number}: address {address} is also in [technicians] "
                    "addresses")
        addresses[address] = number
        places[place] = number
    return None
