"""The HTML report for finance (`llmcost report -o report.html`): one self-contained file.

- Opens with no request to any host: plotly.js is inlined once, charts are drawn from JSON
  embedded in the page, no web font, no image, and a Content-Security-Policy that forbids any
  network fetch. Printing gives clean pages (white background, nothing split across pages where
  it can be avoided); the layout reflows from a laptop to a phone.
- Every string that came from a log (models, task types, features, tenants, ids, file names) is
  HTML-escaped in the page (control characters made visible first, `render.safe_text.visible`),
  and escaped again as `&lt;` for plotly, which reads a few HTML tags in chart labels (it then
  shows the text literally). The chart JSON escapes `<`, `>`, `&` as `\\u003c`…, so a
  `</script>` in a model name cannot close the script.
- Money comes from the report's objects, the same ones the analyze / recommend JSON print, with
  two decimals: each figure carries `data-figure="<json path>"` naming the figure it shows.

This is the only module that imports plotly.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from llmcost.render import words
from llmcost.render.json_out import iso
from llmcost.render.safe_text import visible
from llmcost.report.analysis import BREAKDOWN_KEYS, BreakdownRow
from llmcost.report.model import CONFIDENCE_WORDS, LEVER_LABELS, Report
from llmcost.report.run_rate import RULE, RUN_RATE_LABEL, span_text
from llmcost.simulate.run import LeverResult

MAX_BARS = 15
MAX_PARETO = 20
MAX_MODELS = 8
MAX_LABEL = 48
PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
           "#64748b"]
DIM_TITLES = {"task_type": ("task type", "task types"), "feature": ("feature", "features"),
              "tenant": ("tenant", "tenants"), "model": ("model", "models")}


# --- escaping ------------------------------------------------------------------------------------

def esc(text: object) -> str:
    """Text from a log (or anywhere) as HTML text or attribute value."""
    return html.escape(visible("(none)" if text is None else str(text), keep_newlines=True), quote=True)


def chart_label(text: object, limit: int = MAX_LABEL) -> str:
    """A label for plotly: shortened, then `<`, `>`, `&` as entities (plotly decodes them into a
    text node, so its tag subset — <a href>, <b>, <br> — never applies to log text)."""
    s = visible("(none)" if text is None else str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=False)


def script_json(text: str) -> str:
    """JSON safe inside <script>: `<`, `>`, `&` and the JS line separators as \\u escapes (they
    can only occur inside JSON strings, where the escapes mean the same characters)."""
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- numbers ---------------------------------------------------------------------------------------

def usd(v: Decimal | float | None) -> str:
    if v is None:
        return "–"
    d = Decimal(str(v)) if isinstance(v, float) else v
    return f"-${-d:,.2f}" if d < 0 else f"${d:,.2f}"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f} %"


def n(v: int | float) -> str:
    return f"{v:,.0f}"


class Page:
    """Helpers bound to one report (for the second currency)."""

    def __init__(self, report: Report) -> None:
        self.r = report

    def money(self, v: Decimal | None, figure: str | None = None, per: str = "") -> str:
        """USD with two decimals (tagged with the JSON path of the figure), and the other
        currency beside it when asked for."""
        attr = f' data-figure="{esc(figure)}"' if figure else ""
        out = f'<span class="usd"{attr}>{usd(v)}</span>{per}'
        cur = self.r.currency
        if cur is not None and v is not None:
            conv = cur.convert(v)
            out += f' <span class="alt">≈ {esc(cur.code)} {conv:,.2f}{per}</span>'
        return out

    def monthly_or_period(self, period_usd: Decimal, figure_monthly: str, figure_period: str) -> str:
        m = self.r.monthly(period_usd)
        if m is None:
            return self.money(period_usd, figure_period, " in period")
        return self.money(m, figure_monthly, " / 30 days")


def pct_figure(v: float | None, figure: str) -> str:
    return f'<span class="pct" data-figure="{esc(figure)}">{pct(v)}</span>'


def _table(headers: list[str], rows: Iterable[list[str]], numeric: set[int] | None = None,
           caption: str | None = None, cls: str = "") -> str:
    numeric = numeric or set()
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{h}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


# --- charts ---------------------------------------------------------------------------------------

def _layout(title: str, height: int = 380, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
                 "size": 12, "color": "#1f2937"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        "hoverlabel": {"namelength": -1},
    }
    layout.update(extra)
    return layout


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lb in labels:
        if lb in seen:
            seen[lb] += 1
            lb = f"{lb} #{seen[lb]}"
        else:
            seen[lb] = 1
        out.append(lb)
    return out


def _f(v: Decimal | None) -> float:
    return float(v) if v is not None else 0.0


class Charts:
    """Plotly figures, each as JSON text, keyed by the id of the element that shows it."""

    def __init__(self) -> None:
        import plotly.graph_objects as go
        import plotly.io as pio

        self.go = go
        self.pio = pio
        self.figures: dict[str, str] = {}

    def add(self, chart_id: str, data: list[Any], layout: dict[str, Any]) -> str:
        fig = self.go.Figure(data=data, layout=layout)
        self.figures[chart_id] = self.pio.to_json(fig, validate=True)
        return f'<div class="chart" id="{chart_id}" role="img" aria-label="{esc(layout["title"]["text"])}"></div>'

    def json(self) -> str:
        body = ",".join(f"{json.dumps(k)}:{v}" for k, v in self.figures.items())
        return script_json("{" + body + "}")


def _waterfall(page: Page, charts: Charts) -> str:
    r = page.r
    sim = r.recommend.simulation
    monthly = r.monthly(sim.baseline_usd) is not None
    conv = (lambda v: r.monthly(v)) if monthly else (lambda v: v)
    unit = " / 30 days" if monthly else " in the period"
    labels = ["Before"] + [
        f"{chart_label(LEVER_LABELS.get(s.lever, s.lever))}<br>{chart_label(s.scope, 28)}" for s in sim.levers
    ] + ["After"]
    labels = _unique(labels)
    before, after = conv(sim.baseline_usd), conv(sim.scenario_usd)
    steps = [conv(s.savings_usd) for s in sim.levers]
    y = [_f(before)] + [-_f(s) for s in steps] + [_f(after)]
    text = [usd(before)] + [f"−{usd(s)}" for s in steps] + [usd(after)]
    trace = charts.go.Waterfall(
        x=labels, y=y, measure=["absolute"] + ["relative"] * len(steps) + ["total"], text=text,
        textposition="outside", cliponaxis=False,
        connector={"line": {"color": "#94a3b8", "width": 1}},
        increasing={"marker": {"color": "#ef4444"}}, decreasing={"marker": {"color": "#10b981"}},
        totals={"marker": {"color": "#2563eb"}},
        hovertemplate="%{x}: %{text}<extra></extra>")
    return charts.add("chart-waterfall", [trace], _layout(
        f"Savings plan: before → each lever (stacked, no double counting) → after, USD{unit}",
        height=420, showlegend=False,
        yaxis={"title": {"text": f"USD{unit}"}, "tickprefix": "$", "separatethousands": True,
               "rangemode": "tozero", "automargin": True},
        xaxis={"automargin": True, "tickangle": 0}))


def _area(page: Page, charts: Charts) -> str:
    r = page.r
    days = sorted({d.day for d in r.daily_by_model})
    if not days:
        return ""
    totals: dict[str | None, Decimal] = {}
    for d in r.daily_by_model:
        totals[d.model] = totals.get(d.model, Decimal(0)) + d.cost_usd
    ranked = sorted(totals, key=lambda m: (-totals[m], m or ""))
    top = ranked[:MAX_MODELS]
    series: dict[str, dict[Any, Decimal]] = {}
    names = _unique([chart_label(m) for m in top])
    name_of = dict(zip(top, names, strict=True))
    other = f"{len(ranked) - len(top)} other models"
    for d in r.daily_by_model:
        key = name_of.get(d.model, other)
        per_day = series.setdefault(key, {})
        per_day[d.day] = per_day.get(d.day, Decimal(0)) + d.cost_usd
    x = [day.isoformat() for day in days]
    traces = []
    for i, (name, per_day) in enumerate(series.items()):
        y = [_f(per_day.get(day)) for day in days]
        color = PALETTE[i % len(PALETTE)]
        if len(days) > 2:
            traces.append(charts.go.Scatter(
                x=x, y=y, name=name, mode="lines", stackgroup="spend", line={"width": 1, "color": color},
                hovertemplate="%{x}: $%{y:,.2f}<extra>" + name + "</extra>"))
        else:
            traces.append(charts.go.Bar(x=x, y=y, name=name, marker={"color": color},
                                        hovertemplate="%{x}: $%{y:,.2f}<extra>" + name + "</extra>"))
    return charts.add("chart-daily", traces, _layout(
        "Spend per day by model, USD (stacked)", barmode="stack",
        yaxis={"tickprefix": "$", "separatethousands": True, "rangemode": "tozero", "automargin": True},
        xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d", "automargin": True}
        if len(days) > 2 else {"type": "category", "automargin": True}))


def _bars(page: Page, charts: Charts, dim: str, rows: list[BreakdownRow]) -> str:
    one, many = DIM_TITLES[dim]
    shown = rows[:MAX_BARS]
    labels = _unique([chart_label(r.key) for r in shown])
    costs = [_f(r.cost_usd) for r in shown]
    texts = [usd(r.cost_usd) if r.priced else "unpriced" for r in shown]
    if len(rows) > MAX_BARS:
        rest = rows[MAX_BARS:]
        labels.append(f"{len(rest)} other {many}")
        costs.append(_f(sum((r.cost_usd for r in rest), Decimal(0))))
        texts.append(usd(costs[-1]))
    trace = charts.go.Bar(
        x=costs[::-1], y=labels[::-1], orientation="h", marker={"color": "#2563eb"},
        text=texts[::-1], textposition="auto",
        hovertemplate="%{y}: $%{x:,.2f}<extra></extra>")
    return charts.add(f"chart-by-{dim.replace('_', '-')}", [trace], _layout(
        f"Spend by {one}, USD in the period", height=max(170, 90 + 28 * len(labels)), showlegend=False,
        xaxis={"tickprefix": "$", "separatethousands": True, "automargin": True},
        yaxis={"automargin": True, "type": "category"}))


def _pareto_dimension(page: Page) -> str | None:
    a = page.r.analysis
    best, best_n = None, 1
    for dim in ("task_type", "feature", "tenant", "model"):
        keys = [r for r in a.breakdowns[BREAKDOWN_KEYS[dim]] if r.key is not None and r.cost_usd > 0]
        if len(keys) > best_n:
            best, best_n = dim, len(keys)
    return best


def _pareto(page: Page, charts: Charts, dim: str) -> str:
    a = page.r.analysis
    total = a.totals.cost_usd
    rows = [r for r in a.breakdowns[BREAKDOWN_KEYS[dim]] if r.cost_usd > 0]
    shown = rows[:MAX_PARETO]
    labels = _unique([chart_label(r.key, 32) for r in shown])
    cum, acc = [], Decimal(0)
    for r in shown:
        acc += r.cost_usd
        cum.append(float(100 * acc / total) if total else 0.0)
    one, many = DIM_TITLES[dim]
    bars = charts.go.Bar(x=labels, y=[_f(r.cost_usd) for r in shown], name=f"spend by {one}",
                         marker={"color": "#2563eb"}, hovertemplate="%{x}: $%{y:,.2f}<extra></extra>")
    line = charts.go.Scatter(x=labels, y=cum, name="cumulative share of spend", yaxis="y2",
                             mode="lines+markers", line={"color": "#f59e0b", "width": 2},
                             hovertemplate="%{x}: %{y:.1f} % cumulative<extra></extra>")
    more = f" (top {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
    return charts.add("chart-pareto", [bars, line], _layout(
        f"Pareto of cost drivers: {many}{more}", height=420,
        xaxis={"type": "category", "automargin": True},
        yaxis={"title": {"text": "USD in the period"}, "tickprefix": "$", "separatethousands": True,
               "rangemode": "tozero", "automargin": True},
        yaxis2={"title": {"text": "cumulative %"}, "overlaying": "y", "side": "right", "range": [0, 105],
                "tickmode": "array", "tickvals": [0, 20, 40, 60, 80, 100], "ticksuffix": " %", "showgrid": False,
                "automargin": True},
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2", "y0": 80, "y1": 80,
                 "line": {"color": "#94a3b8", "width": 1, "dash": "dot"}}]))


# --- sections -------------------------------------------------------------------------------------

def _header(page: Page) -> str:
    r = page.r
    a = r.analysis
    if a.period.start and a.period.end:
        period = (f"{a.period.start:%Y-%m-%d %H:%M} → {a.period.end:%Y-%m-%d %H:%M} UTC "
                  f"({span_text(a.period.days * 86400)})")
    else:
        period = "no dated calls"
    meta = [
        f"<div><dt>Period</dt><dd>{esc(period)}</dd></div>",
        f"<div><dt>Generated</dt><dd>{esc(_when(r.generated_at))}</dd></div>",
        f"<div><dt>llmcost</dt><dd>{esc(r.llmcost_version)} (report format {r.version})</dd></div>",
        f"<div><dt>Price book</dt><dd>checked {esc(r.price_book_checked or '–')}"
        + (f" · {esc(', '.join(r.price_book_files))}" if r.price_book_files else "") + "</dd></div>",
    ]
    if r.scope_description:
        meta.append(f"<div><dt>Filters</dt><dd>{esc(r.scope_description)}</dd></div>")
    if r.currency:
        meta.append(f"<div><dt>Currency</dt><dd>USD; {esc(r.currency.code)} beside it at "
                    f"{esc(format(r.currency.rate.normalize(), 'f'))} {esc(r.currency.code)} per USD</dd></div>")
    return (f'<header><p class="kicker">LLM API cost report</p><h1>{esc(r.title)}</h1>'
            f'<dl class="meta">{"".join(meta)}</dl></header>')


def _when(dt: datetime) -> str:
    return f"{dt:%Y-%m-%d %H:%M} UTC"


def _headline(page: Page) -> str:
    r = page.r
    a = r.analysis
    t = a.totals
    sim = r.recommend.simulation
    cards = []
    calls = esc(words.calls_phrase(t.calls, t.errored_calls))
    if r.nothing_priced:
        # no call could be priced: the spend is unknown, never $0.00
        cards.append(("Spend in period", '<span class="warn">unpriced</span>',
                      esc(f"{words.unpriced_calls_of(t.unpriced_calls, a.unpriced_models)} — "
                          f"{words.unpriced_hint(a.unpriced_models)}")))
        cards.append((RUN_RATE_LABEL, "unpriced", f"{calls}: none priced"))
        cards.append(("Savings available", "–", "nothing priced to save on"))
        cards.append(("Could save", "–", "add prices to see the plan"))
        body = "".join(f'<div class="card"><div class="label">{label}</div><div class="big">{big}</div>'
                       f'<div class="sub">{sub}</div></div>' for label, big, sub in cards)
        return f'<section class="headline" aria-label="Headline figures">{body}</section>'
    sub = f"{calls} · {n(t.priced_calls)} priced"
    if t.unpriced_calls:
        sub += f' · <span class="warn">{esc(words.unpriced_beside(t.unpriced_calls, a.unpriced_models))}</span>'
    cards.append(("Spend in period", page.money(r.spend_usd, "analyze.totals.cost_usd"), sub))
    if r.monthly_usd is not None:
        rate = page.money(r.monthly_usd, "analyze.totals.monthly_usd", " / 30 days")
        rate_note = esc(f"period × 30 / {span_text(a.run_rate.seconds)}"
                        + (f" · {a.run_rate.stray_note()}" if a.run_rate.strays else ""))
    else:
        rate, rate_note = "—", esc(a.run_rate.reason or "")
    cards.append((RUN_RATE_LABEL, rate, rate_note))
    if r.savings_monthly_usd is not None:
        sav = page.money(r.savings_monthly_usd, "recommend.plan.savings_monthly_usd", " / 30 days")
    else:
        sav = page.money(r.savings_usd, "recommend.plan.savings_usd", " in period")
    k = len(r.recommend.recommendations)
    cards.append(("Savings available", sav, f"{k} recommendation{'s' if k != 1 else ''}, stacked"))
    after = r.monthly(sim.scenario_usd)
    after_txt = (f"after: {page.money(after, 'recommend.plan.monthly_usd', ' / 30 days')}" if after is not None
                 else f"after: {page.money(sim.scenario_usd, 'recommend.plan.cost_usd', ' in period')}")
    cards.append(("Could save", pct_figure(r.savings_pct, "recommend.plan.savings_pct"), after_txt))
    body = "".join(f'<div class="card"><div class="label">{label}</div><div class="big">{big}</div>'
                   f'<div class="sub">{sub}</div></div>' for label, big, sub in cards)
    return f'<section class="headline" aria-label="Headline figures">{body}</section>'


def _plan(page: Page, charts: Charts) -> str:
    r = page.r
    res = r.recommend
    sim = res.simulation
    parts = ['<section id="plan"><h2>Savings plan</h2>']
    if r.nothing_priced:
        parts.append(f'<p class="warn">No call could be priced, so there is nothing to plan: '
                     f"{esc(words.ADD_PRICES)}.</p></section>")
        return "".join(parts)
    if not res.recommendations:
        parts.append('<p class="note">Nothing to recommend: no lever saves money on this traffic '
                     "(see the methodology for what was evaluated).</p></section>")
        return "".join(parts)
    parts.append(_waterfall(page, charts))
    chain = ["Before " + page.monthly_or_period(sim.baseline_usd, "recommend.baseline.monthly_usd",
                                                "recommend.baseline.cost_usd")]
    for i, s in enumerate(sim.levers):
        step = f"recommend.plan.steps.{i}"
        chain.append(f"{esc(LEVER_LABELS.get(s.lever, s.lever))} −"
                     + page.monthly_or_period(s.savings_usd, f"{step}.savings_monthly_usd", f"{step}.savings_usd"))
    chain.append("after " + page.monthly_or_period(sim.scenario_usd, "recommend.plan.monthly_usd",
                                                   "recommend.plan.cost_usd"))
    parts.append(f'<p class="chain">{" → ".join(chain)} '
                 f"(−{pct_figure(sim.savings_pct, 'recommend.plan.savings_pct')})</p>")
    rows = []
    for i, rec in enumerate(res.recommendations):
        lv = rec.result
        saving = (page.money(rec.savings_monthly_usd, f"recommend.recommendations.{i}.savings_monthly_usd",
                             " / 30 days")
                  if rec.savings_monthly_usd is not None else
                  page.money(lv.savings_usd, f"recommend.recommendations.{i}.savings_usd", " in period"))
        risk = esc(lv.risk)
        if lv.lever == "cap_output" and lv.metrics.get("truncated_share") is not None:
            risk += f" ({100 * (lv.metrics['truncated_share'] or 0):.1f} % of calls cut)"
        rows.append([str(rec.rank), esc(LEVER_LABELS.get(lv.lever, lv.lever)), esc(lv.scope),
                     n(lv.calls_affected), saving,
                     pct_figure(rec.savings_pct, f"recommend.recommendations.{i}.savings_pct"),
                     f'<span class="conf conf-{esc(lv.confidence)}" '
                     f'title="{esc(CONFIDENCE_WORDS.get(lv.confidence, ""))}">{esc(lv.confidence)}</span>',
                     risk, esc(lv.effort)])
    parts.append(_table(["#", "Lever", "Scope", "Calls affected", "Saves alone", "% of spend", "Confidence",
                         "Risk", "Effort"], rows, numeric={0, 3, 4, 5},
                        caption="Recommendations ranked by what each saves on its own (the plan above stacks "
                                "them, so its steps are smaller)"))
    parts.append("</section>")
    return "".join(parts)


def _breakdown_table(page: Page, key: str, rows: list[BreakdownRow], label: str, limit: int = 12) -> str:
    """A breakdown; when calls errored, their count beside the calls (not billed)."""
    errored = page.r.analysis.totals.errored_calls > 0

    def calls(c: int, e: int) -> str:
        return n(c) + (f' <span class="note">({n(e)} errored)</span>' if e else "")

    body = []
    for i, row in enumerate(rows[:limit]):
        cost = (page.money(row.cost_usd, f"analyze.{key}.{i}.cost_usd")
                + (' <span class="warn">+ unpriced</span>' if row.unpriced_calls else "")) if row.priced \
            else '<span class="warn">unpriced</span>'
        body.append([esc(row.key), calls(row.calls, row.errored_calls), cost,
                     pct(row.share_pct) if row.priced else "–", n(row.input_tokens), n(row.output_tokens)])
    if len(rows) > limit:
        rest = rows[limit:]
        body.append([f"<em>{len(rest)} more</em>",
                     calls(sum(r.calls for r in rest), sum(r.errored_calls for r in rest)),
                     page.money(sum((r.cost_usd for r in rest), Decimal(0))),
                     pct(sum(r.share_pct for r in rest)), n(sum(r.input_tokens for r in rest)),
                     n(sum(r.output_tokens for r in rest))])
    caption = "Errored calls are counted, not billed" if errored else None
    return _table([label, "Calls", "Cost", "Share", "Input tokens", "Output tokens"], body,
                  numeric={1, 2, 3, 4, 5}, cls="compact", caption=caption)


def _over_time(page: Page, charts: Charts) -> str:
    a = page.r.analysis
    chart = _area(page, charts)
    parts = ['<section id="over-time"><h2>Spend over time by model</h2>']
    empty = ("No call could be priced: no spend to draw over time." if page.r.nothing_priced
             else "No dated calls: nothing to draw over time.")
    parts.append(chart or f'<p class="note">{empty}</p>')
    parts.append(_breakdown_table(page, "by_model", a.breakdowns["by_model"], "Model"))
    parts.append("</section>")
    return "".join(parts)


def _by_dimension(page: Page, charts: Charts) -> str:
    a = page.r.analysis
    parts = ['<section id="by-dimension"><h2>Spend by task type, feature and tenant</h2>']
    shown = 0
    for dim in ("task_type", "feature", "tenant"):
        key = BREAKDOWN_KEYS[dim]
        rows = a.breakdowns[key]
        if not any(r.key is not None for r in rows):
            continue
        shown += 1
        one, _ = DIM_TITLES[dim]
        chart = "" if page.r.nothing_priced else _bars(page, charts, dim, rows)
        parts.append(f'<div class="dim">{chart}'
                     f"{_breakdown_table(page, key, rows, one.capitalize())}</div>")
    if not shown:
        parts.append('<p class="note">The log labels no task type, feature or tenant.</p>')
    parts.append("</section>")
    return "".join(parts)


def _pareto_section(page: Page, charts: Charts) -> str:
    dim = _pareto_dimension(page)
    parts = ['<section id="pareto"><h2>Pareto of cost drivers</h2>']
    if dim is None:
        parts.append('<p class="note">A single task type, feature, tenant and model: no ranking to draw.</p>')
    else:
        p = next((p for p in page.r.analysis.pareto if p.dimension == dim), None)
        many = DIM_TITLES[dim][1]
        if p is not None:
            parts.append(f"<p>{p.keys} of {p.of_keys} {esc(many)} make {p.share_pct:.0f} % of spend.</p>")
        parts.append(_pareto(page, charts, dim))
    parts.append("</section>")
    return "".join(parts)


def _quality(page: Page) -> str:
    r = page.r
    a = r.analysis
    t = a.totals
    parts = ['<section id="quality"><h2>Data quality</h2>']
    if r.files:
        which = "Files loaded in this run" if r.files_from_this_run else "Files behind these calls (as stored)"
        rows = [[esc(f.file), esc(f.adapter), n(f.rows_read), n(f.rows_loaded), n(f.rows_rejected),
                 n(f.rows_duplicate), n(f.rows_skipped)] for f in r.files]
        parts.append(_table(["File", "Format", "Rows read", "Loaded", "Rejected", "Duplicate", "Skipped"], rows,
                            numeric={2, 3, 4, 5, 6}, caption=which))
    if r.files_left_alone:
        folder, groups, hidden = words.left_alone(r.files_left_alone, names_per_reason=20, reasons=20)
        rows = [[esc(words.names_phrase(g)), esc(g.reason)] for g in groups]
        if hidden:
            rows.append([f"<em>{n(hidden)} more</em>", "other reasons (the JSON report lists every one)"])
        count = len(r.files_left_alone)
        parts.append(_table(["Files", "Why"], rows, caption=esc(
            f"{count:,} file{'s' if count != 1 else ''} found by this run and left alone (not read as call logs)"
            + (f", in {folder}" if folder else ""))))
    rej = r.rows_rejected
    calls = esc(words.calls_phrase(t.calls, t.errored_calls))
    parts.append(f"<p>{n(rej)} rows rejected" + (" (see <code>llmcost rejects</code> for line and reason)"
                                                 if rej else "") + f"; {calls} in scope, "
                 f"{n(t.priced_calls)} priced, {n(t.unpriced_calls)} unpriced.</p>")
    if a.unpriced_models:
        rows = [[esc(words.model_label(u.model)), n(u.calls), esc(u.reason)] for u in a.unpriced_models]
        parts.append(_table(["Unpriced model", "Calls", "Why"], rows, numeric={1},
                            caption="Calls on models the price book does not know: not in any total"))
    else:
        parts.append("<p>Every call's model is in the price book.</p>")
    for comp in a.unpriced_components:
        parts.append(f'<p class="warn">⚠ {esc(comp)}</p>')
    rec = a.reconciliation
    if rec:
        rows = [[esc(m.model), n(m.calls),
                 page.money(m.logged_cost_usd, f"analyze.reconciliation.by_model.{i}.logged_cost_usd"),
                 page.money(m.computed_cost_usd, f"analyze.reconciliation.by_model.{i}.computed_cost_usd"),
                 page.money(m.difference_usd, f"analyze.reconciliation.by_model.{i}.difference_usd")
                 + (' <span class="warn">⚠ disagrees</span>' if m.disagrees else "")]
                for i, m in enumerate(rec.by_model)]
        rows.append(["<strong>All</strong>", n(rec.calls),
                     page.money(rec.logged_cost_usd, "analyze.reconciliation.logged_cost_usd"),
                     page.money(rec.computed_cost_usd, "analyze.reconciliation.computed_cost_usd"),
                     page.money(rec.difference_usd, "analyze.reconciliation.difference_usd")])
        parts.append(_table(["Model", "Calls", "Logged cost", "Computed cost", "Difference"], rows,
                            numeric={1, 2, 3, 4},
                            caption="Reconciliation with the cost the log recorded itself"))
    else:
        parts.append("<p>The log records no cost of its own to reconcile with.</p>")
    notes = r.notes
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>⚠ {esc(x)}</li>" for x in notes) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


def _source(text: str) -> str:
    if text.startswith(("https://", "http://")):
        return f'<a href="{esc(text)}" rel="noopener noreferrer">{esc(text)}</a>'
    return esc(text)


def _assumptions(levers: list[LeverResult]) -> list[str]:
    seen: set[str] = set()
    out = []
    for lv in levers:
        for text in lv.assumptions:
            key = f"{lv.lever}:{text}"
            if key not in seen:
                seen.add(key)
                out.append(f"<li><strong>{esc(LEVER_LABELS.get(lv.lever, lv.lever))}</strong>: {esc(text)}</li>")
    return out


def _methodology(page: Page) -> str:
    r = page.r
    a = r.analysis
    res = r.recommend
    parts = ['<section id="methodology"><h2>Methodology</h2>']
    parts.append(
        "<p>Every call is priced at the price in force at its time, from the dated price book (USD per "
        "million tokens): uncached input, cache reads and writes, output (reasoning included), long-context "
        "tiers, service tiers (batch) and web search where the book has a price. Figures per 30 days are "
        "the 30-day run rate: the main period's figure × 30 / the days between its first and last call, "
        "given only when they span at least a day; calls far outside the main period are named and left "
        "out of it (" + esc(RULE) + "). A lever changes tokens, model "
        "or tier, and every scenario is priced by the same engine as the baseline. Each recommendation is "
        "ranked by what it saves alone; the plan applies them in a fixed order (route, trim prompt, "
        "response cache, prompt cache, cap output, batch), each step priced on top of the ones before, so "
        "savings are never counted twice.</p>")
    if a.prices_used:
        rows = [[esc(p.model_id), esc(f"{p.effective_from:%Y-%m-%d}"), _source(p.source), esc(p.checked or "–"),
                 n(p.calls), esc(" · ".join(x for x in (p.note, f"overlay {p.overlay}" if p.overlay else None) if x))]
                for p in a.prices_used]
        parts.append("<h3>Price periods used</h3>")
        parts.append(_table(["Model", "Effective from", "Source", "Checked", "Calls", "Note"], rows, numeric={4}))
    levers = [rec.result for rec in res.recommendations]
    items = _assumptions(levers)
    if items:
        parts.append("<h3>Assumptions</h3><ul>" + "".join(items) + "</ul>")
    if res.rules:
        parts.append("<h3>Rules applied to the data</h3><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in res.rules) + "</ul>")
    if res.not_evaluated:
        parts.append("<h3>Not evaluated</h3><ul>" + "".join(f"<li>{esc(x)}</li>" for x in res.not_evaluated)
                     + "</ul>")
    parts.append("<h3>Confidence</h3><ul>" + "".join(
        f"<li><strong>{esc(k)}</strong>: {esc(v)}</li>" for k, v in CONFIDENCE_WORDS.items()) + "</ul>")
    parts.append("<h3>Reproduce</h3><p>With the same log files and price book:</p>"
                 f"<pre><code>{esc(r.command_line)}</code></pre>")
    parts.append("</section>")
    return "".join(parts)


CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --warn: #b45309; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #f8fafc; color: var(--ink); line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 8px; background: #fff; }
header h1 { font-size: 1.7rem; margin: 0 0 12px; line-height: 1.25; overflow-wrap: anywhere; }
.kicker { margin: 0; color: var(--accent); font-weight: 600; text-transform: uppercase; font-size: .78rem;
  letter-spacing: .06em; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0 0 20px; color: var(--muted); font-size: .9rem; }
dl.meta div { display: flex; gap: 6px; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; background: #fff; }
.card .label { color: var(--muted); font-size: .85rem; font-weight: 600; }
.card .big { font-size: 1.6rem; font-weight: 700; line-height: 1.3; font-variant-numeric: tabular-nums; }
.card .big .alt { display: block; font-size: .9rem; font-weight: 500; color: var(--muted); }
.card .sub { color: var(--muted); font-size: .85rem; }
.alt { color: var(--muted); font-size: .9em; white-space: nowrap; }
.chart { width: 100%; min-height: 240px; margin: 8px 0 4px; }
.chain { font-variant-numeric: tabular-nums; }
.table-wrap { width: 100%; overflow-x: auto; margin: 10px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding: 0 0 4px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td { overflow-wrap: break-word; }
th { font-weight: 600; background: #f1f5f9; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
.conf { padding: 1px 8px; border-radius: 9px; font-size: .8rem; border: 1px solid var(--line); white-space: nowrap; }
.conf-measured { background: #dcfce7; } .conf-estimated { background: #fef9c3; } .conf-assumed { background: #fee2e2; }
.warn { color: var(--warn); }
.note { color: var(--muted); }
ul.notes { padding-left: 18px; color: var(--warn); }
pre { background: #f1f5f9; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--accent); overflow-wrap: anywhere; }
footer { max-width: 1080px; margin: 0 auto; padding: 12px 20px 28px; color: var(--muted); font-size: .85rem;
  background: #fff; border-top: 1px solid var(--line); }
@media (max-width: 640px) {
  main { padding: 16px 12px 8px; }
  header h1 { font-size: 1.35rem; }
  .card .big { font-size: 1.35rem; }
  th, td { padding: 5px 6px; }
  table { font-size: .82rem; }
}
@media print {
  @page { margin: 14mm 12mm; }
  body { background: #fff; font-size: 10.5pt; }
  main, footer { max-width: none; padding: 0; }
  section, .chart, .card, .dim, table, pre { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  th { background: #f1f5f9; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .conf { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""

DRAW = """
(function () {
  var data = document.getElementById("llmcost-charts");
  if (!data || typeof Plotly === "undefined") { return; }
  var figures = JSON.parse(data.textContent);
  var config = {displayModeBar: false, responsive: true, displaylogo: false, showLink: false,
                showEditInChartStudio: false, showSendToCloud: false};
  var charts = [];
  Object.keys(figures).forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { Plotly.newPlot(el, figures[id].data, figures[id].layout, config); charts.push(el); }
  });
  function resize() { charts.forEach(function (el) { Plotly.Plots.resize(el); }); }
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
"""

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")


def render_html(report: Report) -> str:
    import plotly.offline

    page = Page(report)
    charts = Charts()
    sections = [
        _header(page),
        _headline(page),
        _plan(page, charts),
        _over_time(page, charts),
        _by_dimension(page, charts),
        _pareto_section(page, charts),
        _quality(page),
        _methodology(page),
    ]
    if not report.analysis.totals.calls:
        sections.insert(2, '<p class="warn">No calls in scope: give log files, or check the filters.</p>')
    scripts = ""
    if charts.figures:
        scripts = (f'<script>{plotly.offline.get_plotlyjs()}</script>\n'
                   f'<script type="application/json" id="llmcost-charts">{charts.json()}</script>\n'
                   f"<script>{DRAW}</script>\n")
    footer = (f"<footer>Generated {esc(_when(report.generated_at))} ({esc(iso(report.generated_at))}) by llmcost "
              f"{esc(report.llmcost_version)} · report format {report.version} · offline: this file loads "
              "nothing from the network.</footer>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="llmcost {esc(report.llmcost_version)}">\n'
        f"<title>{esc(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(sections)
        + "\n</main>\n" + footer + "\n" + scripts + "</body>\n</html>\n"
    )
