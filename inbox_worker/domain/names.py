"""Names people type for the things the command line filters on: any case, with spaces,
hyphens or underscores between words ("in-progress", "In Progress", "IN_PROGRESS").
Pure; an unknown name is a ValueError that lists the valid ones."""

from __future__ import annotations

import re
from collections.abc import Iterable

from inbox_worker.domain.model import Status

_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015]+")


def folded(name: str) -> str:
    """The key two spellings of one name share: case and separators dropped."""
    return _SEPARATORS.sub("", name).casefold()


def one_of(name: str, choices: Iterable[str], what: str) -> str:
    """The choice `name` spells, or ValueError naming the valid ones."""
    options = list(choices)
    found = {folded(choice): choice for choice in options}.get(folded(name))
    if found is None:
        raise ValueError(f"unknown {what} {name!r}: use one of {', '.join(options)}")
    return found


def status_from_name(name: str) -> Status:
    """`in-progress`, `In Progress`, `customer_reply`... -> the status."""
    return Status(one_of(name, [s.value for s in Status], "status"))
