"""Charts drawn on the server as SVG: no script, no inline style (the page's CSP allows
neither), colours from presentation attributes, and every chart has a table beside it."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape


@dataclass
class Bar:
    label: str
    value: float | None
    low: float | None = None       # the 25th percentile, drawn as a range when known
    high: float | None = None


def _fmt(value: float, kind: str) -> str:
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "money":
        return f"${value:,.0f}"
    return f"{value:,.1f}"


def bar_chart(title: str, bars: Sequence[Bar], kind: str = "money", chart_id: str = "chart") -> Markup:
    """Horizontal bars, one per label, with their value written at the end of each bar (so the
    chart is read by words, not by colour), the interquartile range as a line when given."""
    values = [b.value for b in bars if b.value is not None and math.isfinite(b.value)]
    values += [b.high for b in bars if b.high is not None and math.isfinite(b.high)]
    top = max([abs(v) for v in values] + [1e-9])
    left, width, row, pad = 210, 250, 26, 8
    height = pad * 2 + row * max(1, len(bars))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {left + width + 120} {height}" '
             f'role="img" aria-labelledby="{chart_id}-t">', f'<title id="{chart_id}-t">{escape(title)}</title>']
    for i, b in enumerate(bars):
        y = pad + i * row
        parts.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1a1a1a">{escape(b.label[:30])}</text>')
        if b.value is None or not math.isfinite(b.value):
            parts.append(f'<text x="{left + 4}" y="{y + 17}" font-size="13" fill="#1a1a1a">no value</text>')
            continue
        w = max(1.0, width * abs(b.value) / top)
        fill = "#1f5f8b" if b.value >= 0 else "#a33b20"
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" fill="{fill}"/>')
        if b.low is not None and b.high is not None and b.value >= 0:
            x1, x2 = left + width * max(b.low, 0) / top, left + width * max(b.high, 0) / top
            parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y + row / 2:.1f}" y2="{y + row / 2:.1f}" stroke="#1a1a1a" stroke-width="2"/>')
        sign = "" if b.value >= 0 else " (negative)"
        parts.append(f'<text x="{left + max(w, width * (b.high or 0) / top) + 6:.1f}" y="{y + 17}" font-size="13" '
                     f'fill="#1a1a1a">{escape(_fmt(b.value, kind) + sign)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, points: Sequence[tuple[str, float | None]], kind: str = "money", chart_id: str = "line") -> Markup:
    """One figure over the rounds: a line with each point marked and labelled with its value."""
    known = [v for _, v in points if v is not None and math.isfinite(v)]
    lo, hi = min(known + [0.0]), max(known + [0.0])
    span = (hi - lo) or 1.0
    left, width, top, height = 20, 420, 24, 90
    step = width / max(1, len(points) - 1) if len(points) > 1 else 0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {left * 2 + width + 60} {top + height + 40}" '
             f'role="img" aria-labelledby="{chart_id}-t">', f'<title id="{chart_id}-t">{escape(title)}</title>']
    zero = top + height - height * (0 - lo) / span
    parts.append(f'<line x1="{left}" x2="{left + width + 40}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#767676" stroke-width="1"/>')
    coords = []
    for i, (label, v) in enumerate(points):
        x = left + 30 + i * step
        parts.append(f'<text x="{x:.1f}" y="{top + height + 30}" text-anchor="middle" font-size="13" fill="#1a1a1a">{escape(label[:16])}</text>')
        if v is None or not math.isfinite(v):
            parts.append(f'<text x="{x:.1f}" y="{zero - 6:.1f}" text-anchor="middle" font-size="12" fill="#1a1a1a">not returned</text>')
            continue
        y = top + height - height * (v - lo) / span
        coords.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f5f8b"/>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="12" fill="#1a1a1a">{escape(_fmt(v, kind))}</text>')
    if len(coords) > 1:
        parts.insert(3, f'<polyline points="{" ".join(coords)}" fill="none" stroke="#1f5f8b" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
