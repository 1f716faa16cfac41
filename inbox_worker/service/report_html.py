"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Every piece of text from the report goes through `esc` (`html.escape`): ticket subjects,
comments, categories and addresses come from hostile mail. Numbers are formatted, then
escaped like the rest. The charts are `report_svg`'s, the tables `report_tables`'.
"""

from __future__ import annotations

from typing import Any

from inbox_worker.service.report_svg import (
    CLOSED_COLOUR,
    OPENED_COLOUR,
    age_chart,
    attainment_chart,
    backlog_chart,
    esc,
    flow_chart,
    rating_chart,
)
from inbox_worker.service.report_tables import (
    card,
    detail_tables,
    hours,
    moment,
    satisfaction_facts,
    shortened,
    targets_table,
)

SUBJECT_LIMIT = 140

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:#0f172a;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}
header{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:8px;
 margin-bottom:20px}
h1{font-size:26px;margin:0;letter-spacing:-.01em}
h2{font-size:16px;margin:0 0 14px;color:#334155}
.period{color:#475569;margin:0}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-bottom:16px}
.tile,.card{background:#fff;border-radius:12px;box-shadow:0 1px 2px rgba(15,23,42,.08),
 0 1px 8px rgba(15,23,42,.04);padding:16px 18px}
.tile{border-top:4px solid var(--accent)}
.tile .label{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#64748b}
.tile .value{font-size:30px;font-weight:700;margin:4px 0 2px;font-variant-numeric:tabular-nums}
.tile .value small{font-size:15px;font-weight:600;color:#475569}
.tile .detail{font-size:13px;color:#475569}
.card{margin-bottom:16px}
.row{display:grid;grid-template-columns:3fr 2fr;gap:16px}
.legend{display:flex;gap:18px;font-size:13px;color:#475569;margin:-6px 0 8px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;
 vertical-align:-1px}
svg{display:block;width:100%;height:auto}
svg text{font-family:inherit}
.facts{margin:0;display:grid;grid-template-columns:auto 1fr;gap:6px 16px}
.facts dt{color:#64748b}
.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.oldest{margin-top:14px;padding:10px 12px;background:#fef2f2;border-radius:8px;
 font-size:14px;overflow-wrap:anywhere}
.oldest b{color:#b91c1c}
.note{color:#64748b;font-size:13px;margin:10px 0 0}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:9px 10px;border-bottom:1px solid #e2e8f0;text-align:right}
th{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#64748b;
 font-weight:600}
th:first-child,td:first-child{text-align:left;overflow-wrap:anywhere}
tbody tr:nth-child(even){background:#f8fafc}
.bar{height:6px;border-radius:3px;background:#bfdbfe;margin-top:4px;margin-left:auto}
.comment{display:block;text-align:left;white-space:pre-wrap;overflow-wrap:anywhere}
.refs{overflow-wrap:anywhere;font-weight:400}
footer{color:#64748b;font-size:12.5px;margin-top:8px}
footer p{margin:4px 0}
@media (max-width:800px){.tiles{grid-template-columns:repeat(2,1fr)}.row{display:block}}
@media print{body{background:#fff}.tile,.card{box-shadow:none;border:1px solid #e2e8f0}}
"""


def render_html(report: dict[str, Any]) -> str:
    period = report["period"]
    title = f"Support report {moment(period['start'])} – {moment(period['end'])}"
    happy = report["satisfaction"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>",
        "<header><h1>Support team report</h1>",
        f'<p class="period">{esc(moment(period["start"]))} – {esc(moment(period["end"]))}'
        f' UTC · {esc(period["days"])} day(s) · as of {esc(moment(period["now"]))}</p>'
        "</header>",
        _tiles(report),
        '<section class="card" id="flow"><h2>Tickets opened and closed per day</h2>',
        '<div class="legend">'
        f'<span><span class="swatch" style="background:{OPENED_COLOUR}"></span>opened</span>'
        f'<span><span class="swatch" style="background:{CLOSED_COLOUR}"></span>closed</span>'
        "</div>",
        flow_chart(report["per_day"]),
        "</section>",
        '<div class="row">',
        card("Backlog by status, now", backlog_chart(report["backlog"])),
        _queue_card(report["queue"]),
        "</div>",
        '<div class="row">',
        '<section class="card" id="targets"><h2>Targets met per priority</h2>'
        + attainment_chart(report["targets"]) + "</section>",
        '<section class="card" id="backlog-age"><h2>Queue by waiting time</h2>'
        + age_chart(report["queue"]["by_age"]) + "</section>",
        "</div>",
        card("Targets per priority", targets_table(report["targets"], report["escalations"])),
        '<div class="row">',
        '<section class="card" id="satisfaction"><h2>Satisfaction</h2>'
        + rating_chart(happy["distribution"]) + "</section>",
        card("Surveys", satisfaction_facts(happy)),
        "</div>",
        detail_tables(report),
        _footer(),
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _tile(label: str, value: str, detail: str, accent: str) -> str:
    return (f'<div class="tile" style="--accent:{accent}"><div class="label">{esc(label)}</div>'
            f'<div class="value">{value}</div><div class="detail">{detail}</div></div>')


def _tiles(report: dict[str, Any]) -> str:
    response, resolution = report["first_response"], report["resolution"]
    totals, queue = report["totals"], report["queue"]
    return '<section class="tiles">' + "".join([
        _tile("First response", esc(hours(response["median_hours"])) + " <small>median</small>",
              f"p90 {esc(hours(response['p90_hours']))} · {esc(response['count'])} answered · "
              f"{esc(response['without_response'])} without answer", "#3b82f6"),
        _tile("Resolution", esc(hours(resolution["median_hours"])) + " <small>median</small>",
              f"p90 {esc(hours(resolution['p90_hours']))} · {esc(resolution['count'])} "
              f"resolved · {esc(resolution['unresolved'])} not yet", "#10b981"),
        _tile("Opened / closed", f"{esc(totals['opened'])} <small>/</small> "
              f"{esc(totals['closed'])}",
              f"{esc(totals['closed_automatically'])} closed automatically", "#8b5cf6"),
        _tile("Waiting in queue", esc(queue["count"]) + " <small>tickets</small>",
              f"oldest {esc(hours(queue['max_age_hours']))} · median "
              f"{esc(hours(queue['median_age_hours']))}", "#ef4444"),
    ]) + "</section>"


def _queue_card(queue: dict[str, Any]) -> str:
    parts = ['<section class="card"><h2>The queue (Open and Customer-Reply)</h2>',
             '<dl class="facts">',
             f"<dt>waiting</dt><dd>{esc(queue['count'])} ticket(s)</dd>",
             f"<dt>median wait</dt><dd>{esc(hours(queue['median_age_hours']))}</dd>",
             f"<dt>longest wait</dt><dd>{esc(hours(queue['max_age_hours']))}</dd>",
             "</dl>"]
    if queue.get("oldest_ref"):
        subject = shortened(str(queue.get("oldest_subject") or ""), SUBJECT_LIMIT)
        parts.append(f'<div class="oldest">Oldest: <b>{esc(queue["oldest_ref"])}</b> '
                     f'“{esc(subject)}”<br>waiting since '
                     f'{esc(moment(queue.get("oldest_waiting_since")))} UTC</div>')
    else:
        parts.append('<p class="note">Nobody is waiting.</p>')
    parts.append("</section>")
    return "".join(parts)


def _footer() -> str:
    return (
        "<footer>"
        "<p><b>First response</b>: from a ticket's creation to the first answer or #status "
        "command by a technician (notes and refused tags do not count). <b>Resolution</b>: "
        "from creation to the first closing. Both over the tickets created in the period; "
        "p90 = 90th percentile.</p>"
        "<p><b>Targets met</b>: in working time, the resolution clock paused while waiting "
        "on the customer or others; over the tickets that have the measurement. "
        "<b>Satisfaction</b>: ratings received in the period.</p>"
        "<p><b>Queue wait</b>: since the ticket last entered Open or Customer-Reply. "
        "<b>Answers</b>: accepted technician replies in the period. Days are UTC.</p>"
        "</footer>"
    )
