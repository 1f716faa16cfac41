"""The report's cohort as CSV (`report --csv`): one row per ticket created in the period.

Subjects, comments and resolutions come from strangers and go into spreadsheets: a cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
so that no spreadsheet runs it as a formula (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from inbox_worker.domain.report_stats import Measured, rounded
from inbox_worker.service.views import iso

COLUMNS = (
    "ref", "subject", "customer", "status", "priority", "category", "assignee", "created_at",
    "first_response_at", "first_response_hours", "closed_at", "resolution_hours",
    "first_response_met", "resolution_met", "reopened", "resolution", "resolution_by",
    "satisfaction_rating", "satisfaction_comment",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> str:
    """A cell's text, with a leading ``'`` when a spreadsheet would read a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(measured: Measured) -> list[str]:
    ticket = measured.ticket
    response, closing = measured.first_response, measured.closing
    values = (
        ticket.ref, ticket.subject, ticket.customer, ticket.status, ticket.priority,
        ticket.category, ticket.assignee, iso(ticket.created_at),
        iso(response.at) if response else None, rounded(measured.first_response_hours),
        iso(closing.at) if closing else None, rounded(measured.resolution_hours),
        measured.first_response_met, measured.resolution_met, measured.reopened,
        ticket.resolution, ticket.resolution_by, ticket.satisfaction_rating,
        ticket.satisfaction_comment,
    )
    return [neutralised(value) for value in values]


def write_csv(rows: Iterable[Measured], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(row(measured) for measured in rows)
