"""The report as a few lines of text: for the terminal, and the mail's plain-text part.

No ticket subject and no satisfaction comment appear: they are hostile text. What does come
from the store (addresses, categories, priorities) goes through `terminal_safe`.
"""

from __future__ import annotations

from typing import Any

from inbox_worker.mail.terminal import terminal_safe


def format_hours(value: float | None) -> str:
    """A duration for people: minutes, hours, or days."""
    if value is None:
        return "-"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h".replace(".0 h", " h")
    return f"{value / 24:.1f} d".replace(".0 d", " d")


def format_share(value: float | None) -> str:
    """A share (0..1) as a whole percentage; "-" for none."""
    return "-" if value is None else f"{value * 100:.0f}%"


def times_line(times: dict[str, Any]) -> str:
    """A duration summary: median, p90 and how many."""
    return (f"median {format_hours(times['median_hours'])}, p90 "
            f"{format_hours(times['p90_hours'])} ({times['count']})")


def attainment_text(target: dict[str, Any] | None) -> str:
    if target is None:
        return "no target"
    return (f"{format_share(target['attainment'])} of {target['met'] + target['missed']} "
            f"within {format_hours(target['target_hours'])}")


def summary_text(report: dict[str, Any]) -> str:
    """The report for people, line by line."""
    period, totals = report["period"], report["totals"]
    response, resolution, queue = report["first_response"], report["resolution"], report["queue"]
    lines = [
        f"report {period['start']} .. {period['end']} ({period['days']} day(s))",
        f"tickets: {totals['opened']} opened, {totals['closed']} closed "
        f"({totals['closed_automatically']} automatically)",
        f"first response: median {format_hours(response['median_hours'])}, "
        f"p90 {format_hours(response['p90_hours'])} ({response['count']} answered, "
        f"{response['without_response']} without answer)",
        f"resolution: median {format_hours(resolution['median_hours'])}, "
        f"p90 {format_hours(resolution['p90_hours'])} ({resolution['count']} resolved, "
        f"{resolution['unresolved']} not yet)",
        "backlog: " + ", ".join(f"{status} {count}"
                                for status, count in report["backlog"].items()),
        f"queue: {queue['count']} waiting, median {format_hours(queue['median_age_hours'])}, "
        f"oldest {queue['oldest_ref'] or '-'} ({format_hours(queue['max_age_hours'])})",
    ]
    for tech in report["technicians"]:
        lines.append(
            f"  {terminal_safe(tech['address']):<30} answers {tech['answers']:>4}  "
            f"closed {tech['closed']:>4}  first response "
            f"{format_hours(tech['median_first_response_hours'])} "
            f"({tech['first_responses']})  assigned {tech['assigned_open']}")
    lines.extend(_breakdowns(report))
    return "\n".join(lines)


def _breakdowns(report: dict[str, Any]) -> list[str]:
    lines = ["targets met (first response; resolution):"]
    lines += [f"  {terminal_safe(row['priority']):<10} {attainment_text(row['first_response'])}"
              f"; {attainment_text(row['resolution'])}" for row in report["targets"]]
    escalations = report["escalations"]
    lines.append(f"escalations: {escalations['first_response']} first response, "
                 f"{escalations['resolution']} resolution")
    for key, title in (("by_priority", "priority"), ("by_category", "category"),
                       ("by_technician", "technician")):
        lines.append(f"times by {title} (first response; resolution):")
        lines += [f"  {terminal_safe(row[key.removeprefix('by_')]):<30} "
                  f"{times_line(row['first_response'])}; {times_line(row['resolution'])}"
                  for row in report[key]] or ["  -"]
    happy = report["satisfaction"]
    lines.append(
        f"satisfaction: {happy['ratings']} rating(s), average {happy['average'] or '-'}, "
        f"4-5: {format_share(happy['satisfied_share'])}, {happy['surveys_sent']} survey(s) "
        f"sent, response rate {format_share(happy['response_rate'])}; 1..5: "
        + " ".join(str(n) for n in happy["distribution"].values()))
    reopens, missing = report["reopens"], report["closed_without_resolution"]
    lines.append(f"reopened: {reopens['reopened']} of {reopens['closed']} closed "
                 f"({format_share(reopens['rate'])})")
    lines.append(f"closed without resolution: {missing['count']}"
                 + (" (" + ", ".join(missing["refs"]) + ")" if missing["refs"] else ""))
    return lines
