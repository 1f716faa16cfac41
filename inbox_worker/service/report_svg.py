"""The report page's charts as inline SVG: tickets per day, and labelled horizontal bars
(backlog by status, queue by age, targets met, satisfaction ratings).

Every text drawn goes through `esc`: labels may come from hostile mail (a category, a
priority typed in a tag). No script, no outside resource.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

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
AGE_COLOUR = "#f97316"
MET_COLOUR = "#0ea5e9"
RATING_COLOURS = ("#dc2626", "#f97316", "#eab308", "#84cc16", "#16a34a")  # 1 .. 5
# Waiting on the team first, then in the team's hands, then waiting on someone else.
BACKLOG_ORDER = ("Open", "Customer-Reply", "In Progress", "Scheduled", "On-Hold", "Answered")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


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


Bar = tuple[str, float, str, str]  # label, value, colour, the value as shown


def bar_chart(rows: Sequence[Bar], label: str, *, peak: float | None = None,
              label_width: int = 140) -> str:
    """Horizontal bars, one row each, scaled to `peak` (default: the largest value)."""
    width, row_h, number_w = 580, 36, 90
    height = row_h * len(rows) + 8
    peak = peak or max([1.0, *(value for _, value, _, _ in rows)])
    track = width - label_width - number_w
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">']
    for index, (name, value, colour, shown) in enumerate(rows):
        top = 4 + index * row_h
        out.append(f'<text x="{label_width - 12}" y="{top + 22}" text-anchor="end" '
                   f'font-size="14" fill="#334155">{esc(name)}</text>')
        out.append(f'<rect x="{label_width}" y="{top + 6}" width="{track}" height="22" rx="4" '
                   'fill="#f1f5f9"/>')
        if value > 0:
            out.append(f'<rect x="{label_width}" y="{top + 6}" '
                       f'width="{max(track * value / peak, 3):.1f}" height="22" rx="4" '
                       f'fill="{colour}"><title>{esc(name)}: {esc(shown)}</title></rect>')
        out.append(f'<text x="{label_width + track + 10}" y="{top + 22}" font-size="14" '
                   f'font-weight="700" fill="#0f172a">{esc(shown)}</text>')
    out.append("</svg>")
    return "".join(out)


def backlog_chart(backlog: dict[str, int]) -> str:
    """The statuses still in play as bars; Closed as a line below (all time)."""
    rows = [(status, backlog.get(status, 0)) for status in BACKLOG_ORDER]
    rows += [(s, n) for s, n in backlog.items() if s not in BACKLOG_ORDER and s != "Closed"]
    chart = bar_chart([(status, count, STATUS_COLOURS.get(status, "#94a3b8"), str(count))
                       for status, count in rows], "Backlog by status")
    total = sum(n for _, n in rows)
    return chart + (f'<p class="note">{esc(total)} ticket(s) not closed · Closed (all time): '
                    f'{esc(backlog.get("Closed", 0))}</p>')


def age_bars(buckets: list[dict[str, Any]]) -> list[Bar]:
    return [(b["label"], b["count"], AGE_COLOUR, str(b["count"])) for b in buckets]


def rating_bars(distribution: dict[str, int]) -> list[Bar]:
    """5 down to 1, each in its colour."""
    return [(f"{rating} of 5", count, RATING_COLOURS[int(rating) - 1], str(count))
            for rating, count in sorted(distribution.items(), reverse=True)]


def attainment_bars(rows: list[dict[str, Any]]) -> list[Bar]:
    """Per priority and target, the share met (0-100 %); a priority without a target or a
    measurement shows so in words."""
    bars: list[Bar] = []
    for row in rows:
        for key, name in (("first_response", "response"), ("resolution", "resolution")):
            target = row[key]
            attained = None if target is None else target["attainment"]
            shown = "no target" if target is None else (
                "-" if attained is None else f"{attained * 100:.0f}%")
            bars.append((f"{row['priority']} {name}", 100 * (attained or 0), MET_COLOUR, shown))
    return bars


def age_chart(buckets: list[dict[str, Any]]) -> str:
    return bar_chart(age_bars(buckets), "Queued tickets by waiting time", label_width=90)


def rating_chart(distribution: dict[str, int]) -> str:
    return bar_chart(rating_bars(distribution), "Satisfaction ratings", label_width=90)


def attainment_chart(rows: list[dict[str, Any]]) -> str:
    return bar_chart(attainment_bars(rows), "Targets met per priority", peak=100,
                     label_width=170)


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
