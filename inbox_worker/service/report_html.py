"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Every piece of text from the report goes through `html.escape`: ticket subjects and
addresses come from hostile mail. Numbers are formatted here, then escaped like the rest.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime
from typing import Any

from inbox_worker.service.report import format_hours

OPENED_COLOUR = "#3b82f6"
CLOSED_COLOUR = "#10b981"
STATUS_COLOURS = {
    "Open": "#f59e0b",
    "Customer-Reply": "#ef4444",
    "In Progress": "#6366f1",
    "Scheduled": "#8b5cf6",
    "On-Hold": "#64748b",
    "Answered": "#14b8a6",
    "Closed": "#10b981",
}
# Waiting on the team first, then in the team's hands, then waiting on someone else.
BACKLOG_ORDER = ("Open", "Customer-Reply", "In Progress", "Scheduled", "On-Hold", "Answered")
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
footer{color:#64748b;font-size:12.5px;margin-top:8px}
footer p{margin:4px 0}
@media (max-width:800px){.tiles{grid-template-columns:repeat(2,1fr)}.row{display:block}}
@media print{body{background:#fff}.tile,.card{box-shadow:none;border:1px solid #e2e8f0}}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _moment(value: str | None) -> str:
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{moment.day} {moment:%b %Y %H:%M}"


def _hours(value: float | None) -> str:
    return "—" if value is None else format_hours(value)


def nice_step(maximum: float, ticks: int = 5) -> int:
    """A round axis step (1, 2, 5 times a power of ten) giving about `ticks` gridlines."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def render_html(report: dict[str, Any]) -> str:
    period = report["period"]
    title = f"Support report {_moment(period['start'])} – {_moment(period['end'])}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>",
        "<header><h1>Support team report</h1>",
        f'<p class="period">{esc(_moment(period["start"]))} – {esc(_moment(period["end"]))}'
        f' UTC · {esc(period["days"])} day(s) · as of {esc(_moment(period["now"]))}</p>'
        "</header>",
        _tiles(report),
        '<section class="card"><h2>Tickets opened and closed per day</h2>',
        '<div class="legend">'
        f'<span><span class="swatch" style="background:{OPENED_COLOUR}"></span>opened</span>'
        f'<span><span class="swatch" style="background:{CLOSED_COLOUR}"></span>closed</span>'
        "</div>",
        flow_chart(report["per_day"]),
        "</section>",
        '<div class="row">',
        '<section class="card"><h2>Backlog by status, now</h2>',
        backlog_chart(report["backlog"]),
        "</section>",
        _queue_card(report["queue"]),
        "</div>",
        _technicians(report["technicians"]),
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
        _tile("First response", esc(_hours(response["median_hours"])) + " <small>median</small>",
              f"p90 {esc(_hours(response['p90_hours']))} · {esc(response['count'])} answered · "
              f"{esc(response['without_response'])} without answer", "#3b82f6"),
        _tile("Resolution", esc(_hours(resolution["median_hours"])) + " <small>median</small>",
              f"p90 {esc(_hours(resolution['p90_hours']))} · {esc(resolution['count'])} "
              f"resolved · {esc(resolution['unresolved'])} not yet", "#10b981"),
        _tile("Opened / closed", f"{esc(totals['opened'])} <small>/</small> "
              f"{esc(totals['closed'])}",
              f"{esc(totals['closed_automatically'])} closed automatically", "#8b5cf6"),
        _tile("Waiting in queue", esc(queue["count"]) + " <small>tickets</small>",
              f"oldest {esc(_hours(queue['max_age_hours']))} · median "
              f"{esc(_hours(queue['median_age_hours']))}", "#ef4444"),
    ]) + "</section>"


def flow_chart(days: list[dict[str, Any]]) -> str:
    """Grouped bars: opened and closed per day, gridlines, date labels, weekend shading."""
    width, height = 1040, 300
    left, right, top, bottom = 44, 10, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(days), 1)
    peak = max([1, *(d["opened"] for d in days), *(d["closed"] for d in days)])
    step = nice_step(peak)
    axis_max = step * math.ceil(peak / step)
    slot = plot_w / count
    bar = max(min(slot * 0.36, 28), 1.0)
    label_every = max(1, math.ceil(count / 16))
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Tickets opened and closed per day">']

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / axis_max

    for index, day in enumerate(days):
        if _weekday(day["date"]) >= 5:
            out.append(f'<rect x="{left + index * slot:.1f}" y="{top}" width="{slot:.1f}" '
                       f'height="{plot_h}" fill="#f8fafc"/>')
    for tick in range(0, axis_max + 1, step):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
                   f'y2="{y(tick):.1f}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                   f'font-size="12" fill="#64748b">{esc(tick)}</text>')
    for index, day in enumerate(days):
        centre = left + (index + 0.5) * slot
        for offset, key, colour in ((-bar, "opened", OPENED_COLOUR), (0.0, "closed",
                                                                       CLOSED_COLOUR)):
            value = day[key]
            if value <= 0:
                continue
            out.append(f'<rect x="{centre + offset:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                       f'height="{plot_h * value / axis_max:.1f}" rx="2" fill="{colour}">'
                       f'<title>{esc(day["date"])}: {esc(value)} {key}</title></rect>')
            if count <= 31:
                out.append(f'<text x="{centre + offset + bar / 2:.1f}" y="{y(value) - 4:.1f}" '
                           f'text-anchor="middle" font-size="10" fill="#475569">'
                           f'{esc(value)}</text>')
        if index % label_every == 0:
            out.append(f'<text x="{centre:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                       f'font-size="12" fill="#475569">{esc(_day_label(day["date"]))}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#94a3b8"/>')
    if not days:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                   'fill="#64748b">no days in the period</text>')
    out.append("</svg>")
    return "".join(out)


def backlog_chart(backlog: dict[str, int]) -> str:
    """Horizontal bars for the statuses still in play; Closed as a line below (all time)."""
    rows = [(status, backlog.get(status, 0)) for status in BACKLOG_ORDER]
    rows += [(s, n) for s, n in backlog.items() if s not in BACKLOG_ORDER and s != "Closed"]
    width, row_h, label_w, number_w = 560, 36, 140, 50
    height = row_h * len(rows) + 8
    peak = max([1, *(n for _, n in rows)])
    track = width - label_w - number_w
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Backlog by status">']
    for index, (status, count) in enumerate(rows):
        top = 4 + index * row_h
        length = track * count / peak
        colour = STATUS_COLOURS.get(status, "#94a3b8")
        out.append(f'<text x="{label_w - 12}" y="{top + 22}" text-anchor="end" font-size="14" '
                   f'fill="#334155">{esc(status)}</text>')
        out.append(f'<rect x="{label_w}" y="{top + 6}" width="{track}" height="22" rx="4" '
                   'fill="#f1f5f9"/>')
        if count:
            out.append(f'<rect x="{label_w}" y="{top + 6}" width="{max(length, 3):.1f}" '
                       f'height="22" rx="4" fill="{colour}"><title>{esc(status)}: '
                       f'{esc(count)}</title></rect>')
        out.append(f'<text x="{label_w + track + 10}" y="{top + 22}" font-size="14" '
                   f'font-weight="700" fill="#0f172a">{esc(count)}</text>')
    out.append("</svg>")
    total = sum(n for _, n in rows)
    out.append(f'<p class="note">{esc(total)} ticket(s) not closed · Closed (all time): '
               f'{esc(backlog.get("Closed", 0))}</p>')
    return "".join(out)


def _queue_card(queue: dict[str, Any]) -> str:
    parts = ['<section class="card"><h2>The queue (Open and Customer-Reply)</h2>',
             '<dl class="facts">',
             f"<dt>waiting</dt><dd>{esc(queue['count'])} ticket(s)</dd>",
             f"<dt>median wait</dt><dd>{esc(_hours(queue['median_age_hours']))}</dd>",
             f"<dt>longest wait</dt><dd>{esc(_hours(queue['max_age_hours']))}</dd>",
             "</dl>"]
    if queue.get("oldest_ref"):
        subject = str(queue.get("oldest_subject") or "")
        if len(subject) > SUBJECT_LIMIT:
            subject = subject[:SUBJECT_LIMIT] + "…"
        parts.append(f'<div class="oldest">Oldest: <b>{esc(queue["oldest_ref"])}</b> '
                     f'“{esc(subject)}”<br>waiting since '
                     f'{esc(_moment(queue.get("oldest_waiting_since")))} UTC</div>')
    else:
        parts.append('<p class="note">Nobody is waiting.</p>')
    parts.append("</section>")
    return "".join(parts)


def _technicians(rows: list[dict[str, Any]]) -> str:
    most = max([1, *(row["answers"] for row in rows)])
    body = []
    for row in rows:
        share = 100 * row["answers"] / most
        body.append(
            f"<tr><td>{esc(row['address'])}</td>"
            f"<td>{esc(row['answers'])}<div class=\"bar\" style=\"width:{share:.0f}%\"></div></td>"
            f"<td>{esc(row['closed'])}</td><td>{esc(row['first_responses'])}</td>"
            f"<td>{esc(_hours(row['median_first_response_hours']))}</td>"
            f"<td>{esc(row['assigned_open'])}</td></tr>")
    if not body:
        body.append('<tr><td colspan="6">no technicians configured</td></tr>')
    return ('<section class="card"><h2>Technicians</h2><table><thead><tr>'
            "<th>technician</th><th>answers</th><th>closed</th><th>answered first</th>"
            "<th>median first response</th><th>assigned, open</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table></section>")


def _footer() -> str:
    return (
        "<footer>"
        "<p><b>First response</b>: from a ticket's creation to the first answer or #status "
        "command by a technician (notes and refused tags do not count). <b>Resolution</b>: "
        "from creation to the first closing. Both over the tickets created in the period; "
        "p90 = 90th percentile.</p>"
        "<p><b>Queue wait</b>: since the ticket last entered Open or Customer-Reply. "
        "<b>Answers</b>: accepted technician replies in the period. Days are UTC.</p>"
        "</footer>"
    )


def _weekday(text: str) -> int:
    try:
        return date.fromisoformat(text).weekday()
    except ValueError:
        return 0


def _day_label(text: str) -> str:
    try:
        day = date.fromisoformat(text)
        return f"{day.day} {day:%b}"
    except ValueError:
        return text
