"""Who may use the console, and how they sign in: a one-time link by mail, no passwords.

A person asks for a link with their address; a technician ([technicians] addresses) or an
admin ([web] admins) gets one through the outbox (the worker sends it), usable once within
LINK_MINUTES. Anyone else gets the same answer and no mail, so the form does not tell who
works here. Requests are limited per address and per client. Using a link opens a session:
its secret is the cookie, the database keeps only hashes. Admins may also edit templates and
retry quarantined mail; technicians (leads among them) see everything else.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store.models import SignInLink, WebSession

LINK_MINUTES = 15
SESSION_HOURS = 12
# Within RATE_WINDOW: links mailed to one address, and requests from one client (address or
# not: someone trying addresses one after another).
RATE_WINDOW = timedelta(minutes=15)
LINKS_PER_ADDRESS = 3
REQUESTS_PER_CLIENT = 10
MAX_ADDRESS = 320


@dataclass(frozen=True)
class User:
    address: str
    admin: bool
    csrf: str  # the token every form of this session carries


@dataclass(frozen=True)
class LinkRequest:
    """What asking for a link did: ``secret`` to mail (None: no mail), or ``limited``."""

    secret: str | None = None
    limited: bool = False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", errors="replace")).hexdigest()


def role(settings: Settings, address: str) -> str | None:
    """admin, technician, or None for an address that may not sign in."""
    if address in settings.web.admins:
        return "admin"
    if address in settings.technicians.addresses:
        return "technician"
    return None


def normal_address(text: str) -> str | None:
    """A form's address as the configuration spells addresses, or None if it is none."""
    address = text.strip().lower()
    local, at, domain = address.partition("@")
    if (not at or not local or not domain or "@" in domain or len(address) > MAX_ADDRESS
            or any(c.isspace() or ord(c) < 32 for c in address)):
        return None
    return address


def request_link(session: Session, settings: Settings, address: str, client: str,
                 now: datetime) -> LinkRequest:
    """Record a request for a link; a secret to mail when ``address`` may sign in."""
    client = client[:64]  # as the column keeps it, so that it is counted as kept
    since = now - RATE_WINDOW
    by_client = session.scalar(select(func.count()).select_from(SignInLink).where(
        SignInLink.client == client, SignInLink.created_at > since)) or 0
    by_address = session.scalar(select(func.count()).select_from(SignInLink).where(
        SignInLink.address == address, SignInLink.created_at > since)) or 0
    if by_client >= REQUESTS_PER_CLIENT or by_address >= LINKS_PER_ADDRESS:
        return LinkRequest(limited=True)
    allowed = role(settings, address) is not None
    secret = new_secret()
    # Recorded for an unknown address too (counted for its client), but never usable.
    session.add(SignInLink(secret_hash=digest(secret), address=address, client=client,
                           created_at=now,
                           expires_at=now + (timedelta(minutes=LINK_MINUTES) if allowed
                                             else timedelta(0)),
                           used_at=None if allowed else now))
    return LinkRequest(secret=secret if allowed else None)


def pending_link(session: Session, secret: str, now: datetime) -> SignInLink | None:
    """The link ``secret`` opens, if it is unused and not expired."""
    link = session.scalar(select(SignInLink).where(SignInLink.secret_hash == digest(secret)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def use_link(session: Session, settings: Settings, secret: str, now: datetime) -> str | None:
    """Spend the link and open a session: the session's secret (the cookie), or None if the
    link is unknown, used, expired, or its address may no longer sign in."""
    link = pending_link(session, secret, now)
    if link is None or role(settings, link.address) is None:
        return None
    # Spent by one UPDATE that only an unspent link matches: of two requests racing with
    # one link (a double click, a scanner), one opens a session, the other none.
    spent = session.execute(
        update(SignInLink).where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session_secret = new_secret()
    session.add(WebSession(secret_hash=digest(session_secret), address=link.address,
                           csrf=new_secret(), created_at=now,
                           expires_at=now + timedelta(hours=SESSION_HOURS)))
    # Old rows are of no use: expired sessions, links past their rate window.
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.execute(delete(SignInLink).where(SignInLink.created_at <= now - RATE_WINDOW,
                                             SignInLink.expires_at <= now))
    return session_secret


def signed_in(session: Session, settings: Settings, secret: str | None,
              now: datetime) -> User | None:
    """The user of a session cookie, if the session is open and its address still may."""
    if not secret:
        return None
    row = session.get(WebSession, digest(secret))
    if row is None or row.expires_at <= now:
        return None
    kind = role(settings, row.address)
    if kind is None:
        return None
    return User(row.address, kind == "admin", row.csrf)


def sign_out(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(delete(WebSession).where(WebSession.secret_hash == digest(secret)))
