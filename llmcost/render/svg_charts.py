"""Charts for the HTML report that need no script: HTML for the words, inline SVG for the shapes.

They read the same with JavaScript off (mail and drive previews), on a phone and on paper:
- every label and figure is HTML text, so it wraps at the width it has instead of colliding, and
  each bar carries its figure as text beside it (no axis to read it off);
- the shapes are SVG stretched to their box (`preserveAspectRatio="none"`, strokes that do not
  scale), so a chart is exactly as wide as its container; SVG fills print without "background
  graphics";
- hovering a shape shows its figures (an SVG `<title>`), with no script.

Labels and figures arrive as HTML already escaped by the caller (`render.html.esc`); tooltips
arrive as plain text and are escaped here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

TRACK = 1000  # SVG user units across a bar track or a plot


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _x(value: float, scale: float) -> float:
    return 0.0 if scale <= 0 else max(0.0, min(TRACK, TRACK * value / scale))


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: a bar from `start` to `end` (in the chart's units)."""

    label: str  # HTML
    start: float
    end: float
    value: str  # HTML: the figure shown beside the bar
    color: str
    tooltip: str  # plain text
    kind: str = ""  # a CSS class for the row ("total", "step")


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, scale: float | None = None,
              marker: float | None = None, marker_label: str = "", note: str = "") -> str:
    """Horizontal bars, one row each: label, bar, figure. `scale` is the value at the right end of
    the track (the largest `end` when not given); `marker` draws a dotted line at that value."""
    top = scale if scale is not None else max((b.end for b in bars), default=0.0)
    rows = []
    for b in bars:
        x0, x1 = sorted((_x(b.start, top), _x(b.end, top)))
        width = max(x1 - x0, 2.0)  # a step too small to see still shows as a sliver
        line = ""
        if marker is not None:
            mx = _x(marker, top)
            line = (f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="0" y2="20" stroke="#64748b" stroke-width="1" '
                    'stroke-dasharray="2 2" vector-effect="non-scaling-stroke"/>')
        rows.append(
            f'<div class="bar-row {b.kind}"><div class="bar-label">{b.label}</div>'
            f'<div class="bar-track"><svg viewBox="0 0 {TRACK} 20" preserveAspectRatio="none" '
            f'focusable="false"><rect x="{x0:.1f}" y="2" width="{width:.1f}" height="16" fill="{b.color}">'
            f"<title>{_attr(b.tooltip)}</title></rect>{line}</svg></div>"
            f'<div class="bar-value">{b.value}</div></div>')
    foot = ""
    if marker is not None and marker_label:
        foot = f'<p class="chart-note"><span class="dots" aria-hidden="true"></span> {marker_label}</p>'
    if note:
        foot += f'<p class="chart-note">{note}</p>'
    return (f'<figure class="chart bars" id="{chart_id}"><figcaption class="chart-title">{title}</figcaption>'
            f'<div class="bar-rows">{"".join(rows)}</div>{foot}</figure>')


# --- a stacked area (or stacked columns) over days ----------------------------------------------------

@dataclass(frozen=True)
class Series:
    name: str  # HTML
    tooltip_name: str  # plain text
    color: str
    values: Sequence[float]  # one per day
    total: str  # HTML: the series' figure for the whole period, shown in the legend


def nice_ticks(top: float, most: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 × a power of ten) up to at least `top`, at most `most`
    steps: 0, 500, 1000, 1500 for 1,234."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def short_usd(v: float) -> str:
    """An axis figure: $0, $750, $1.5k, $20k, $1.2M."""
    if v >= 1_000_000:
        return f"${v / 1_000_000:,.3g}M"
    if v >= 1000:
        return f"${v / 1000:,.3g}k"
    if v >= 10 or v == int(v):
        return f"${v:,.0f}"
    return f"${v:,.2g}" if v >= 0.01 else f"${v:.1e}"


def _date_ticks(count: int, most: int = 5) -> list[int]:
    """Indexes of the days to label: the first, the last and evenly between (at most `most`)."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def area_chart(chart_id: str, title: str, days: Sequence[str], day_labels: Sequence[str],
               series: Sequence[Series], day_tooltips: Sequence[str], *, columns: bool = False,
               table: str = "") -> str:
    """Series stacked over days: an area, or columns when `columns` (few days). Axis labels are
    HTML placed by percentage, the legend lists each series with its total, and `table` (HTML,
    the figures per day) follows in a disclosure."""
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    ticks = nice_ticks(max(totals, default=0.0))
    top = ticks[-1]
    height = 300
    count = len(days)

    def x_of(i: int) -> float:
        if columns:
            return TRACK * (i + 0.5) / count
        return TRACK * i / (count - 1) if count > 1 else TRACK / 2

    def y_of(v: float) -> float:
        return height - height * v / top

    shapes = []
    grid = "".join(f'<line x1="0" x2="{TRACK}" y1="{y_of(t):.1f}" y2="{y_of(t):.1f}" stroke="#e5e7eb" '
                   'stroke-width="1" vector-effect="non-scaling-stroke"/>' for t in ticks)
    below = [0.0] * count
    for s in series:
        above = [below[i] + s.values[i] for i in range(count)]
        tip = f"<title>{_attr(s.tooltip_name)}</title>"
        if columns:
            w = TRACK / count * 0.6
            for i in range(count):
                if s.values[i] > 0:
                    shapes.append(f'<rect x="{x_of(i) - w / 2:.1f}" y="{y_of(above[i]):.1f}" width="{w:.1f}" '
                                  f'height="{y_of(below[i]) - y_of(above[i]):.1f}" fill="{s.color}">{tip}</rect>')
        else:
            upper = " ".join(f"{x_of(i):.1f},{y_of(above[i]):.1f}" for i in range(count))
            lower = " ".join(f"{x_of(i):.1f},{y_of(below[i]):.1f}" for i in reversed(range(count)))
            shapes.append(f'<polygon points="{upper} {lower}" fill="{s.color}" fill-opacity="0.85" '
                          f'stroke="{s.color}" stroke-width="1" vector-effect="non-scaling-stroke">{tip}</polygon>')
        below = above
    # one invisible column per day, on top: hovering it shows that day's figures
    hover = []
    for i in range(count):
        left = (x_of(i - 1) + x_of(i)) / 2 if i else 0.0
        right = (x_of(i) + x_of(i + 1)) / 2 if i < count - 1 else float(TRACK)
        hover.append(f'<rect x="{left:.1f}" y="0" width="{right - left:.1f}" height="{height}" fill="transparent">'
                     f"<title>{_attr(day_tooltips[i])}</title></rect>")
    y_labels = "".join(f'<span style="bottom:{100 * t / top:.2f}%">{short_usd(t)}</span>' for t in ticks)
    x_labels = []
    shown = _date_ticks(count)
    for i in shown:
        pos = 100 * x_of(i) / TRACK
        edge = " first" if i == shown[0] and pos < 8 else " last" if i == shown[-1] and pos > 92 else ""
        x_labels.append(f'<span class="{edge.strip()}" style="left:{pos:.2f}%">{day_labels[i]}</span>')
    legend = "".join(f'<li><svg viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" '
                     f'fill="{s.color}"/></svg><span class="legend-name">{s.name}</span> '
                     f'<span class="legend-value">{s.total}</span></li>' for s in series)
    details = (f'<details class="chart-data"><summary>The figures per day</summary>{table}</details>'
               if table else "")
    return (f'<figure class="chart area" id="{chart_id}"><figcaption class="chart-title">{title}</figcaption>'
            f'<div class="plot"><div class="y-axis" aria-hidden="true">{y_labels}</div>'
            f'<div class="plot-area"><svg viewBox="0 0 {TRACK} {height}" preserveAspectRatio="none" '
            f'focusable="false">{grid}{"".join(shapes)}{"".join(hover)}</svg></div>'
            f'<div class="x-axis" aria-hidden="true">{"".join(x_labels)}</div></div>'
            f'<ul class="legend">{legend}</ul>{details}</figure>')


CHART_CSS = """
.chart { width: 100%; margin: 10px 0 14px; break-inside: avoid; page-break-inside: avoid; }
figure.chart { margin-left: 0; margin-right: 0; }
.chart-title { font-weight: 600; font-size: .95rem; margin: 0 0 6px; }
.chart-note { color: var(--muted); font-size: .82rem; margin: 4px 0 0; }
.chart svg { display: block; }
.bar-rows { display: grid; grid-template-columns: minmax(9em, 17em) minmax(0, 1fr) max-content; column-gap: 10px; }
.bar-row { grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; row-gap: 2px;
  align-items: center; padding: 3px 0; border-bottom: 1px solid #f1f5f9; }
.bar-row.total .bar-label { font-weight: 600; }
.bar-label { font-size: .88rem; line-height: 1.3; overflow-wrap: anywhere; min-width: 0; }
.bar-label .sub { color: var(--muted); }
.bar-track svg { width: 100%; height: 18px; }
.bar-value { text-align: right; white-space: nowrap; font-size: .88rem; font-variant-numeric: tabular-nums; }
.dots { display: inline-block; width: 0; height: .9em; border-left: 1px dashed #64748b; vertical-align: middle; }
.plot { display: grid; grid-template-columns: max-content minmax(0, 1fr); grid-template-rows: 220px auto;
  column-gap: 6px; }
.y-axis { position: relative; grid-row: 1; grid-column: 1; min-width: 3.2em; font-size: .75rem;
  color: var(--muted); }
.y-axis span { position: absolute; right: 0; transform: translateY(50%); line-height: 1; white-space: nowrap; }
.plot-area { grid-row: 1; grid-column: 2; border-bottom: 1px solid #94a3b8; min-width: 0; }
.plot-area svg { width: 100%; height: 100%; }
.x-axis { grid-row: 2; grid-column: 2; position: relative; height: 1.5em; font-size: .75rem; color: var(--muted); }
.x-axis span { position: absolute; top: 3px; transform: translateX(-50%); white-space: nowrap; }
.x-axis span.first { transform: none; }
.x-axis span.last { transform: translateX(-100%); }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 16px; padding: 0; margin: 8px 0 0;
  font-size: .85rem; }
ul.legend li { display: flex; align-items: baseline; gap: 6px; min-width: 0; }
ul.legend svg { width: 10px; height: 10px; flex: none; align-self: center; }
.legend-name { overflow-wrap: anywhere; min-width: 0; }
.legend-value { color: var(--muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
details.chart-data { margin-top: 6px; font-size: .88rem; }
details.chart-data summary { cursor: pointer; color: var(--accent); }
@media (max-width: 640px) {
  .bar-rows { grid-template-columns: minmax(0, 1fr) max-content; }
  .bar-label { grid-column: 1 / -1; }
  .plot { grid-template-rows: 180px auto; }
}
"""
