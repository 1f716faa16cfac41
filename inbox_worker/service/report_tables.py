"""The report's tables in HTML, shared by the page (`report_html`) and the mail
(`report_mail`): technicians, times per priority, category and technician, targets met,
satisfaction with its latest comments, reopens and closings without a resolution.

Every value is escaped (`esc`): subjects, comments, categories and addresses come from
hostile mail. Plain tables with classes; the page and the mail bring their own CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from inbox_worker.service.report_svg import esc
from inbox_worker.service.report_text import format_hours, format_share

COMMENT_LIMIT = 500


def hours(value: float | None) -> str:
    return "—" if value is None else format_hours(value)


def moment(value: str | None) -> str:
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{parsed.day} {parsed:%b %Y %H:%M}"


def shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def card(title: str, body: str, css_class: str = "card") -> str:
    return f'<section class="{css_class}"><h2>{esc(title)}</h2>{body}</section>'


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> str:
    """Cells are HTML already (escaped by the caller); headers are escaped here."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">{esc(empty)}</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def technicians_table(rows: list[dict[str, Any]]) -> str:
    most = max([1, *(row["answers"] for row in rows)])
    cells = [[esc(row["address"]),
              f'{esc(row["answers"])}<div class="bar" '
              f'style="width:{100 * row["answers"] / most:.0f}%"></div>',
              esc(row["closed"]), esc(row["first_responses"]),
              esc(hours(row["median_first_response_hours"])), esc(row["assigned_open"])]
             for row in rows]
    return card("Technicians", table(
        ("technician", "answers", "closed", "answered first", "median first response",
         "assigned, open"), cells, empty="no technicians configured"))


def detail_tables(report: dict[str, Any]) -> str:
    """The tables below the charts, page and mail alike."""
    return "".join([technicians_table(report["technicians"]),
                    *(times_table(report[f"by_{key}"], key)
                      for key in ("priority", "category", "technician")),
                    satisfaction_tables(report["satisfaction"]), quality_card(report)])


def times_table(rows: list[dict[str, Any]], title: str) -> str:
    cells = [[esc(row[title]), esc(row["tickets"]),
              *(esc(value) for times in (row["first_response"], row["resolution"])
                for value in (hours(times["median_hours"]), hours(times["p90_hours"]),
                              times["count"]))]
             for row in rows]
    return card(f"Response and resolution by {title}", table(
        (title, "tickets", "first response median", "p90", "n", "resolution median", "p90",
         "n"), cells, empty="no tickets in the period"))


def _attained(target: dict[str, Any] | None) -> list[str]:
    if target is None:
        return ["no target", "", ""]
    return [esc(format_share(target["attainment"])),
            esc(f"{target['met']} / {target['met'] + target['missed']}"),
            esc(hours(target["target_hours"]))]


def targets_table(rows: list[dict[str, Any]], escalations: dict[str, int]) -> str:
    cells = [[esc(row["priority"]), *_attained(row["first_response"]),
              *_attained(row["resolution"])] for row in rows]
    note = (f'<p class="note">Escalated in the period: {esc(escalations["first_response"])} '
            f'first response, {esc(escalations["resolution"])} resolution.</p>')
    return table(("priority", "first response met", "met / measured", "target",
                  "resolution met", "met / measured", "target"), cells,
                 empty="no targets") + note


def satisfaction_facts(happy: dict[str, Any]) -> str:
    facts = (("ratings", happy["ratings"]), ("average", happy["average"] or "—"),
             ("rated 4-5", format_share(happy["satisfied_share"])),
             ("surveys sent", happy["surveys_sent"]),
             ("response rate", format_share(happy["response_rate"])))
    return ('<dl class="facts">' + "".join(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>"
                                           for name, value in facts) + "</dl>")


def satisfaction_tables(happy: dict[str, Any]) -> str:
    parts = []
    for key, title in (("by_technician", "technician"), ("by_category", "category")):
        cells = [[esc(row[title]), esc(row["ratings"]), esc(row["average"] or "—"),
                  esc(format_share(row["satisfied_share"]))] for row in happy[key]]
        parts.append(card(f"Satisfaction by {title}", table(
            (title, "ratings", "average", "rated 4-5"), cells, empty="no ratings")))
    comments = [[esc(c["ref"]), esc(c["rating"]),
                 f'<span class="comment">{esc(shortened(c["comment"] or "", COMMENT_LIMIT))}'
                 "</span>", esc(moment(c["at"]))] for c in happy["comments"]]
    parts.append(card("Latest comments", table(("ticket", "rating", "comment", "at"),
                                               comments, empty="no comments")))
    return "".join(parts)


def quality_card(report: dict[str, Any]) -> str:
    """Reopens and closings without a resolution."""
    reopens, missing = report["reopens"], report["closed_without_resolution"]
    refs = ", ".join(esc(ref) for ref in missing["refs"]) or "—"
    more = missing["count"] - len(missing["refs"])
    return card("Reopened, and closed without a resolution", (
        '<dl class="facts">'
        f"<dt>reopened</dt><dd>{esc(reopens['reopened'])} of {esc(reopens['closed'])} closed "
        f"({esc(format_share(reopens['rate']))})</dd>"
        f"<dt>closed without resolution</dt><dd>{esc(missing['count'])}</dd>"
        f'<dt>tickets</dt><dd class="refs">{refs}'
        + (f" and {esc(more)} more" if more > 0 else "") + "</dd></dl>"))
