"""The values inside technicians' tags: dates and times, and email addresses as mail
clients write them (see `domain.tags` for the grammar and the decisions behind each form).
Pure: no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parseaddr

# --- dates --------------------------------------------------------------------------------

_TIME = r"(?:(?:\s+|[Tt])(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
_ISO_RE = re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}", re.ASCII)
_DOTTED_RE = re.compile(rf"(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}}){_TIME}", re.ASCII)


def read_date(arg: str) -> tuple[int, int, int, int, int, int] | None:
    """(year, month, day, hour, minute, second) as written, unchecked; None if unreadable.

    A date alone is 00:00:00 (see the module docstring)."""
    for pattern in (_ISO_RE, _DOTTED_RE):
        match = pattern.fullmatch(arg)
        if match:
            g = match.groupdict()
            return (
                int(g["y"]),
                int(g["m"]),
                int(g["d"]),
                int(g["H"] or 0),
                int(g["M"] or 0),
                int(g["S"] or 0),
            )
    return None


def wall_time(moment: datetime) -> str:
    seconds = ":%S" if moment.second else ""
    return moment.strftime(f"%Y-%m-%d %H:%M{seconds}")


# --- addresses ----------------------------------------------------------------------------

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS_RE = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})*", re.ASCII)
# "bob@example.com <mailto:bob@example.com>": what HTML mail clients make of a typed address.
_AUTOLINK_RE = re.compile(r"(\S+?)\s*<mailto:([^>\s]+)>", re.IGNORECASE)
_MAX_ADDRESS = 254  # RFC 5321's limit on a path, less the angle brackets


def read_address(arg: str) -> str | None:
    """One bare address, lower-cased, or None."""
    candidate = arg.strip()
    if len(candidate) > 2 * _MAX_ADDRESS + 12:  # even "addr <mailto:addr>" is shorter
        return None
    linked = _AUTOLINK_RE.fullmatch(candidate)
    if linked:
        if linked.group(1).casefold() != linked.group(2).casefold():
            return _display_form(candidate)  # "Dave" <mailto:dave@x.org>
        candidate = linked.group(1)
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].strip()
    if candidate[:7].casefold() == "mailto:":
        candidate = candidate[7:]
    if len(candidate) > _MAX_ADDRESS or not _ADDRESS_RE.fullmatch(candidate):
        return _display_form(arg.strip())
    return candidate.lower()


_MAILTO_IN_BRACKETS = re.compile(r"<\s*mailto:", re.IGNORECASE)


def _display_form(text: str) -> str | None:
    """The address of a display form a mail client writes ("Dave Smith <dave@x.org>",
    '"Smith, Dave" <mailto:dave@x.org>', "dave@x.org (Dave)"), when it names one address."""
    if text.count("@") != 1:
        return None
    _, address = parseaddr(_MAILTO_IN_BRACKETS.sub("<", text))
    if not address or len(address) > _MAX_ADDRESS or not _ADDRESS_RE.fullmatch(address):
        return None
    return address.lower()
