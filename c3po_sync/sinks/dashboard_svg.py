"""Charts for the dashboard as inline SVG: no script, no font or image to fetch.

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that says the whole data in
words, named by ``aria-labelledby``; every bar carries its value as text beside it, and bars of
different meaning differ in pattern as well as colour, so colour is never the only signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ROW_HEIGHT = 28
LABEL_WIDTH = 170
BAR_WIDTH = 170
VALUE_WIDTH = 115
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

# Fill per style: a colour and, for the warning styles, a hatch pattern drawn in the same SVG.
STYLES = {
    "plain": "#2f6f9f",
    "good": "#2e7d32",
    "warn": "url(#{id}-hatch)",
    "bad": "url(#{id}-dots)",
    "muted": "#9e9e9e",
}


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length (0..maximum), the text shown beside it, and its style."""

    label: str
    value: float
    text: str
    style: str = "plain"


def _defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#f9a825"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#5d4037" stroke-width="3"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#c62828"/>'
        '<circle cx="4" cy="4" r="2" fill="#ffffff"/></pattern>'
        "</defs>"
    )


def bar_chart(
    chart_id: str, title: str, bars: Sequence[Bar], *, maximum: float | None = None
) -> str:
    """A horizontal bar chart; its ``<desc>`` lists every bar as "label: text"."""
    cid = escape(chart_id, quote=True)
    top = max([maximum or 0.0, *(b.value for b in bars), 1.0])
    height = max(1, len(bars)) * ROW_HEIGHT + 8
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars) or "No data."
    parts = [
        f'<svg class="chart" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
        _defs(cid),
    ]
    if not bars:
        parts.append(f'<text x="4" y="20" class="label">{escape("No data.")}</text>')
    for i, b in enumerate(bars):
        y = 4 + i * ROW_HEIGHT
        length = 0.0 if top <= 0 else max(0.0, b.value) / top * BAR_WIDTH
        fill = STYLES.get(b.style, STYLES["plain"]).format(id=cid)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" class="label">'
            f"{escape(_short(b.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" '
            f'fill="{fill}" stroke="#333333" stroke-width="0.5"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}" class="value">'
            f"{escape(b.text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, limit: int = 22) -> str:
    """Labels longer than the label column are cut with an ellipsis (the desc has them whole)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"
