"""Names as people type them on the command line."""

from __future__ import annotations

import pytest

from inbox_worker.domain.model import Status
from inbox_worker.domain.names import one_of, status_from_name


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("open", Status.OPEN), ("OPEN", Status.OPEN), ("in-progress", Status.IN_PROGRESS),
        ("In Progress", Status.IN_PROGRESS), ("in_progress", Status.IN_PROGRESS),
        ("inprogress", Status.IN_PROGRESS), ("customer-reply", Status.CUSTOMER_REPLY),
        ("Customer Reply", Status.CUSTOMER_REPLY), ("on hold", Status.ON_HOLD),
        ("ON-HOLD", Status.ON_HOLD), ("  closed ", Status.CLOSED), ("on\u2013hold", Status.ON_HOLD),
    ],
)
def test_statuses_as_typed(typed: str, status: Status) -> None:
    assert status_from_name(typed) == status


def test_an_unknown_status_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown status 'done': use one of Open, In Progress"):
        status_from_name("done")


def test_any_choice() -> None:
    assert one_of("Pending", ["pending", "sent", "failed"], "state") == "pending"
    with pytest.raises(ValueError, match="use one of pending, sent"):
        one_of("queued", ["pending", "sent"], "state")
