"""Server-rendered SVG charts: no script, no library, no external request.

Each function takes plain numbers and returns one `<svg>` string (Markup, so
templates do not escape it); every label goes through `escape`. Colours are
SVG presentation attributes, which the page's CSP (no inline styles) allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from markupsafe import Markup, escape

OUTCOME_COLOURS: dict[str, str] = {
    "completed": "#1a7f4b",
    "voicemail": "#7a5af8",
    "no_answer": "#98a2b3",
    "busy": "#f79009",
    "rejected": "#d92d20",
    "failed": "#912018",
    "cancelled": "#475467",
}
AMD_COLOURS: dict[str, str] = {"human": "#1a7f4b", "machine": "#7a5af8", "unknown": "#98a2b3"}
OTHER = "#667085"


def _svg(width: int, height: int, body: str, label: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}">{body}</svg>'
    )


def calls_per_minute(minutes: Sequence[datetime], counts: Sequence[int]) -> Markup:
    """One bar per minute, the scale's top written at the left."""
    width, height, left, bottom = 600, 160, 30, 20
    top = max(counts, default=0) or 1
    slot = (width - left) / max(len(counts), 1)
    parts = [
        f'<text x="0" y="12" font-size="11" fill="#667085">{top}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#e4e7ec"/>',
    ]
    for i, (minute, n) in enumerate(zip(minutes, counts, strict=True)):
        h = (height - bottom - 10) * n / top
        x = left + i * slot
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{height - bottom - h:.1f}" '
            f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}" fill="#2457c5">'
            f"<title>{minute:%H:%M} UTC: {n} calls</title></rect>"
        )
    if minutes:
        for i in (0, len(minutes) - 1):
            anchor = "start" if i == 0 else "end"
            x = left + (i + (1 if i else 0)) * slot
            parts.append(
                f'<text x="{x:.1f}" y="{height - 4}" font-size="11" fill="#667085" '
                f'text-anchor="{anchor}">{minutes[i]:%H:%M}</text>'
            )
    return _svg(width, height, "".join(parts), "Calls per minute")


def outcomes_over_time(
    minutes: Sequence[datetime], per_minute: Sequence[Mapping[str, int]]
) -> Markup:
    """Stacked bars per minute, one colour per outcome, with a legend."""
    width, height, left, bottom, legend = 600, 180, 30, 20, 20
    totals = [sum(m.values()) for m in per_minute]
    top = max(totals, default=0) or 1
    slot = (width - left) / max(len(per_minute), 1)
    plot = height - bottom - legend
    seen: dict[str, None] = {}
    parts = [f'<text x="0" y="{legend + 12}" font-size="11" fill="#667085">{top}</text>']
    for i, (minute, counts) in enumerate(zip(minutes, per_minute, strict=True)):
        y = float(legend + plot)
        for outcome, n in sorted(counts.items()):
            seen[outcome] = None
            h = plot * n / top
            y -= h
            parts.append(
                f'<rect x="{left + i * slot + 1:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{OUTCOME_COLOURS.get(outcome, OTHER)}">'
                f"<title>{minute:%H:%M} UTC: {n} {escape(outcome)}</title></rect>"
            )
    x = float(left)
    for outcome in sorted(seen):
        colour = OUTCOME_COLOURS.get(outcome, OTHER)
        parts.append(f'<rect x="{x:.0f}" y="2" width="10" height="10" fill="{colour}"/>')
        name = escape(outcome.replace("_", " "))
        parts.append(f'<text x="{x + 14:.0f}" y="11" font-size="11" fill="#1d2330">{name}</text>')
        x += 24 + 7 * len(outcome)
    return _svg(width, height, "".join(parts), "Outcomes over time")


def split_bar(counts: Mapping[str, int], colours: Mapping[str, str], label: str) -> Markup:
    """A 100% horizontal bar (e.g. the AMD split) with counts and shares."""
    width, height = 600, 52
    total = sum(counts.values())
    if total == 0:
        return _svg(
            width, height, '<text x="0" y="20" font-size="12" fill="#667085">none yet</text>', label
        )
    parts = []
    x = 0.0
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        w = width * n / total
        share = round(100 * n / total)
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" '
            f'fill="{colours.get(name, OTHER)}"><title>{escape(name)}: {n}</title></rect>'
        )
        if w > 60:
            parts.append(
                f'<text x="{x + 4:.1f}" y="42" font-size="12" fill="#1d2330">'
                f"{escape(name)} {n} ({share}%)</text>"
            )
        x += w
    return _svg(width, height, "".join(parts), label)
