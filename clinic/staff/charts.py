"""Server-side SVG charts for the queue overview: no JavaScript, no chart library, nothing from a CDN.

Each chart is an <svg role="img"> with a title and description; the page also shows the same numbers
as a table for screen readers and anyone who prefers numbers.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from clinic.services.casework.queue import Overview
from clinic.triage.enums import Phq9Band, Priority

PRIORITY_COLOURS = {Priority.URGENT: "#b42318", Priority.HIGH: "#c4570c", Priority.ROUTINE: "#667085"}
BAND_COLOURS = {
    Phq9Band.MINIMAL: "#b2ddff",
    Phq9Band.MILD: "#53b1fd",
    Phq9Band.MODERATE: "#1570ef",
    Phq9Band.MODERATELY_SEVERE: "#1849a9",
    Phq9Band.SEVERE: "#0b1f4d",
}


def _nice_max(value: int) -> int:
    """A round axis top at or above `value`, split into four whole steps (1, 2, 2.5 or 5 × 10^k)."""
    needed = max(1, -(-value // 4))
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude):
            if step >= needed:
                return 4 * step
        magnitude *= 10


def weekly_bars(overview: Overview, *, title_id: str = "chart-weeks") -> Markup:
    """Stacked bars: requests per week, urgent at the bottom of each bar so it is the first colour seen."""
    width, height = 720, 260
    left, right, top, bottom = 40, 12, 36, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    weeks = overview.weeks
    peak = _nice_max(max((w.total for w in weeks), default=0))
    slot = plot_w / max(len(weeks), 1)
    bar_w = slot * 0.62
    parts = [
        f'<svg class="chart chart-weeks" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id}-title {title_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}-title">Requests per week by priority, last {len(weeks)} weeks</title>',
        f'<desc id="{title_id}-desc">Stacked bars, one per week starting Monday: urgent, high and routine '
        f"requests. The table below gives the same numbers.</desc>",
    ]
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d5dd" '
            f'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#344054">{value:g}</text>'
        )
    for index, week in enumerate(weeks):
        x = left + slot * index + (slot - bar_w) / 2
        y = top + plot_h
        for priority in Priority:
            count = week.by_priority.get(priority, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            label = f"Week of {week.starts_on:%b} {week.starts_on.day}: {count} {priority.value}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PRIORITY_COLOURS[priority]}" class="bar bar-{priority.value}">'
                f"<title>{escape(label)}</title></rect>"
            )
        if week.total:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" '
                f'fill="#101828">{week.total}</text>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11" fill="#344054">{week.starts_on:%b} {week.starts_on.day}</text>'
        )
    legend_x = left
    for priority in Priority:
        parts.append(
            f'<rect x="{legend_x}" y="10" width="12" height="12" fill="{PRIORITY_COLOURS[priority]}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 17}" y="20" font-size="12" fill="#101828">'
            f"{priority.value.capitalize()}</text>"
        )
        legend_x += 90
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="11" fill="#344054">Week starting (Monday)</text>'
    )
    parts.append("</svg>")
    # Safe: the parts hold numbers, enum names and escaped labels only.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def band_mix(overview: Overview, *, title_id: str = "chart-bands") -> Markup:
    """One horizontal bar per PHQ-9 band, with its count and share."""
    width, row_h, left, right = 720, 30, 150, 90
    total = overview.total
    height = row_h * len(Phq9Band) + 16
    peak = max(overview.bands.values(), default=0) or 1
    parts = [
        f'<svg class="chart chart-bands" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id}-title {title_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}-title">PHQ-9 severity of requests, last 12 weeks</title>',
        f'<desc id="{title_id}-desc">One bar per PHQ-9 band with its number of requests; '
        f"the table below gives the same numbers.</desc>",
    ]
    for index, band in enumerate(Phq9Band):
        count = overview.bands.get(band, 0)
        y = 8 + index * row_h
        w = (width - left - right) * count / peak
        share = f"{round(100 * count / total)}%" if total else "0%"
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="12" '
            f'fill="#101828">{escape(band.label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{BAND_COLOURS[band]}" class="bar bar-{band.value}">'
            f"<title>{escape(band.label)}: {count} ({share})</title></rect>"
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 17}" font-size="12" fill="#101828">'
            f"{count} · {share}</text>"
        )
    parts.append("</svg>")
    # Safe: the parts hold numbers, enum names and escaped labels only.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
