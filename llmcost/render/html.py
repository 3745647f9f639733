"""The HTML report for finance (`llmcost report -o report.html`): one self-contained file.

- Reads anywhere: no script at all (it reads the same in mail and drive previews), charts drawn
  as HTML and inline SVG by `render.svg_charts` with every figure as text, no web font, no image,
  and a Content-Security-Policy that forbids any network fetch and any script. The layout
  reflows from a laptop to a phone (tables become one block per row), and prints with the
  headline and the plan on page 1 and no chart split across pages.
- Every string that came from a log (models, task types, features, tenants, ids, file names) is
  HTML-escaped in the page, control characters made visible first (`render.safe_text.visible`).
- Money comes from the report's objects, the same ones the analyze / recommend JSON print, with
  two decimals: each figure carries `data-figure="<json path>"` naming the figure it shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from llmcost.render import words
from llmcost.render.json_out import iso
from llmcost.render.safe_text import visible
from llmcost.render.svg_charts import CHART_CSS, Bar, Series, area_chart, bar_chart
from llmcost.report.analysis import BREAKDOWN_KEYS, BreakdownRow
from llmcost.report.model import CONFIDENCE_WORDS, LEVER_LABELS, Report
from llmcost.run_rate import RULE, RUN_RATE_LABEL, span_text
from llmcost.simulate.run import LeverResult

MAX_BARS = 15
MAX_PARETO = 20
MAX_MODELS = 8
PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
           "#64748b"]
DIM_TITLES = {"task_type": ("task type", "task types"), "feature": ("feature", "features"),
              "tenant": ("tenant", "tenants"), "model": ("model", "models")}


# --- escaping ------------------------------------------------------------------------------------

def esc(text: object) -> str:
    """Text from a log (or anywhere) as HTML text or attribute value."""
    return html.escape(visible("(none)" if text is None else str(text), keep_newlines=True), quote=True)


# --- numbers ---------------------------------------------------------------------------------------

def usd(v: Decimal | float | None) -> str:
    if v is None:
        return "–"
    d = Decimal(str(v)) if isinstance(v, float) else v
    places = 4 if 0 < abs(d) < Decimal("0.01") else 2  # a figure under a cent never reads $0.00
    return f"-${-d:,.{places}f}" if d < 0 else f"${d:,.{places}f}"


def _whole_words(text: str) -> str:
    """Escaped text that wraps only between words: a model id (`claude-haiku-4-5`) is never split
    at its hyphens."""
    return " ".join(f'<span class="nw">{esc(w)}</span>' if "-" in w else esc(w) for w in text.split(" "))


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
        unit = f'<span class="per">{per}</span>' if per else ""
        out = f'<span class="usd"{attr}>{usd(v)}</span>{unit}'
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
           caption: str | None = None, cls: str = "", secondary: set[int] | None = None) -> str:
    """A table that reads on a phone: each cell carries its column's name (`data-label`), so below
    640 px a row becomes a block of "name value" lines; a `compact` table stays a table there and
    drops its `secondary` columns instead."""
    numeric = numeric or set()
    secondary = secondary or set()

    def classes(i: int) -> str:
        names = " ".join(x for x, on in (("num", i in numeric), ("secondary", i in secondary)) if on)
        return f' class="{names}"' if names else ""

    labels = [esc(re.sub(r"<[^>]*>", "", html.unescape(h))) for h in headers]
    head = "".join(f'<th scope="col"{classes(i)}>{h}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{classes(i)} data-label="{labels[i]}">{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    kind = cls or "reflow"
    return (f'<div class="table-wrap"><table class="{kind}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


# --- charts ---------------------------------------------------------------------------------------

def _f(v: Decimal | None) -> float:
    return float(v) if v is not None else 0.0


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


def _waterfall(page: Page) -> str:
    """The plan as horizontal bars: before, each stacked step (numbered, the lever and its scope),
    after. Each step's bar spans from the cost after it to the cost before it."""
    r = page.r
    sim = r.recommend.simulation
    monthly = r.monthly(sim.baseline_usd) is not None
    unit, per = ("USD / 30 days", " / 30 days") if monthly else ("USD in the period", "")

    def conv(v: Decimal) -> Decimal:
        m = r.monthly(v) if monthly else v
        return m if m is not None else v

    before, after = conv(sim.baseline_usd), conv(sim.scenario_usd)
    bars = [Bar("Before", 0.0, _f(before), usd(before) + per, PALETTE[0], f"Before: {usd(before)}{per}", "total")]
    level = before
    for i, s in enumerate(sim.levers, 1):
        saving = conv(s.savings_usd)
        lever = LEVER_LABELS.get(s.lever, s.lever)
        bars.append(Bar(f'{i}. {esc(lever)} <span class="sub">· {_whole_words(s.scope)}</span>', _f(level - saving),
                        _f(level), f"−{usd(saving)}", "#10b981",
                        f"{i}. {lever} ({visible(s.scope)}): −{usd(saving)}{per}", "step"))
        level -= saving
    bars.append(Bar("After", 0.0, _f(after), usd(after) + per, PALETTE[0], f"After: {usd(after)}{per}", "total"))
    return bar_chart("chart-waterfall", f"Before → each lever, stacked in order (no double "
                     f"counting) → after, {unit}", bars)


def _daily(page: Page) -> str:
    r = page.r
    days = sorted({d.day for d in r.daily_by_model})
    if not days:
        return ""
    totals: dict[str | None, Decimal] = {}
    for d in r.daily_by_model:
        totals[d.model] = totals.get(d.model, Decimal(0)) + d.cost_usd
    ranked = sorted(totals, key=lambda m: (-totals[m], m or ""))
    top = ranked[:MAX_MODELS]
    rest = len(ranked) - len(top)
    other = f"{rest} other model{'s' if rest != 1 else ''}"
    names = _unique([visible(words.model_label(m)) for m in top])
    name_of = dict(zip(top, names, strict=True))
    per_series: dict[str, dict[Any, Decimal]] = {}
    for d in r.daily_by_model:
        per_day = per_series.setdefault(name_of.get(d.model, other), {})
        per_day[d.day] = per_day.get(d.day, Decimal(0)) + d.cost_usd
    order = [nm for nm in [*names, other] if nm in per_series]
    series = [Series(esc(nm), nm, PALETTE[i % len(PALETTE)], [_f(per_series[nm].get(day)) for day in days],
                     usd(sum(per_series[nm].values(), Decimal(0))))
              for i, nm in enumerate(order)]
    day_total = {day: sum((per_series[nm].get(day, Decimal(0)) for nm in order), Decimal(0)) for day in days}
    tips = [f"{day:%Y-%m-%d}: {usd(day_total[day])}" + "".join(
        f"\n{nm}: {usd(per_series[nm][day])}" for nm in order if per_series[nm].get(day)) for day in days]
    rows = [[f"{day:%Y-%m-%d}", usd(day_total[day])] + [usd(per_series[nm].get(day, Decimal(0))) for nm in order]
            for day in days]
    table = _table(["Day", "Spend", *(esc(nm) for nm in order)], rows, numeric=set(range(1, len(order) + 2)),
                   caption="Spend per day by model, USD", cls="reflow daily")
    return area_chart("chart-daily", "Spend per day by model, USD (stacked)", [f"{d:%Y-%m-%d}" for d in days],
                      [f"{d:%b} {d.day}" for d in days], series, tips, columns=len(days) <= 2, table=table)


def _bars(page: Page, dim: str, rows: list[BreakdownRow]) -> str:
    one, many = DIM_TITLES[dim]
    shown = rows[:MAX_BARS]
    bars = [Bar(esc(row.key), 0.0, _f(row.cost_usd), usd(row.cost_usd) if row.priced else "unpriced",
                PALETTE[0], f"{visible(row.key or '(none)')}: {usd(row.cost_usd) if row.priced else 'unpriced'}")
            for row in shown]
    if len(rows) > MAX_BARS:
        rest = rows[MAX_BARS:]
        cost = sum((x.cost_usd for x in rest), Decimal(0))
        bars.append(Bar(f"<em>{len(rest)} other {many}</em>", 0.0, _f(cost), usd(cost), "#94a3b8",
                        f"{len(rest)} other {many}: {usd(cost)}"))
    return bar_chart(f"chart-by-{dim.replace('_', '-')}", f"Spend by {one}, USD in the period", bars)


def _pareto_dimension(page: Page) -> str | None:
    a = page.r.analysis
    best, best_n = None, 1
    for dim in ("task_type", "feature", "tenant", "model"):
        keys = [r for r in a.breakdowns[BREAKDOWN_KEYS[dim]] if r.key is not None and r.cost_usd > 0]
        if len(keys) > best_n:
            best, best_n = dim, len(keys)
    return best


def _pareto(page: Page, dim: str) -> str:
    """Each driver's share of spend as a step after the ones before it: the bars climb to 100 %,
    and the dotted line marks 80 %."""
    a = page.r.analysis
    total = a.totals.cost_usd
    rows = [r for r in a.breakdowns[BREAKDOWN_KEYS[dim]] if r.cost_usd > 0]
    shown = rows[:MAX_PARETO]
    bars, acc = [], Decimal(0)
    for row in shown:
        start = float(100 * acc / total) if total else 0.0
        acc += row.cost_usd
        cum = float(100 * acc / total) if total else 0.0
        bars.append(Bar(esc(row.key), start, cum, f'{usd(row.cost_usd)} <span class="sub">· {cum:.1f} %</span>',
                        PALETTE[0], f"{visible(row.key or '(none)')}: {usd(row.cost_usd)}, "
                                    f"{cum - start:.1f} % of spend, {cum:.1f} % cumulative"))
    many = DIM_TITLES[dim][1]
    more = f" (top {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
    return bar_chart("chart-pareto", f"Pareto of cost drivers: {many}{more}, each after the ones before it",
                     bars, scale=100.0, marker=80.0,
                     marker_label="80 % of spend; the figure after each bar is the cumulative share")


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
    sub = f"{_errored_link(calls)} · {n(t.priced_calls)} priced"
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
    cards.append(("Could save", pct_figure(r.savings_pct, "recommend.plan.savings_pct"),
                  f"of spend with the plan below; {after_txt}"))
    body = "".join(f'<div class="card"><div class="label">{label}</div><div class="big">{big}</div>'
                   f'<div class="sub">{sub}</div></div>' for label, big, sub in cards)
    return f'<section class="headline" aria-label="Headline figures">{body}</section>'


def _errored_link(calls_html: str) -> str:
    """`240,000 calls (713 errored, not billed)` with "errored" linked to its explanation."""
    return calls_html.replace(" errored,", ' <a href="#errored">errored</a>,', 1)


def _plan(page: Page) -> str:
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
    parts.append(_waterfall(page))
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
        return n(c) + (f' <span class="note">({n(e)} <a href="#errored">errored</a>)</span>' if e else "")

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
    caption = 'Errored calls are counted, not billed (<a href="#errored">why</a>)' if errored else None
    return _table([label, "Calls", "Cost", "Share", "Input tokens", "Output tokens"], body,
                  numeric={1, 2, 3, 4, 5}, cls="compact", caption=caption, secondary={4, 5})


def _over_time(page: Page) -> str:
    a = page.r.analysis
    chart = _daily(page)
    parts = ['<section id="over-time"><h2>Spend over time by model</h2>']
    empty = ("No call could be priced: no spend to draw over time." if page.r.nothing_priced
             else "No dated calls: nothing to draw over time.")
    parts.append(chart or f'<p class="note">{empty}</p>')
    parts.append(_breakdown_table(page, "by_model", a.breakdowns["by_model"], "Model"))
    parts.append("</section>")
    return "".join(parts)


def _by_dimension(page: Page) -> str:
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
        chart = "" if page.r.nothing_priced else _bars(page, dim, rows)
        parts.append(f'<div class="dim">{chart}'
                     f"{_breakdown_table(page, key, rows, one.capitalize())}</div>")
    if not shown:
        parts.append('<p class="note">The log labels no task type, feature or tenant.</p>')
    parts.append("</section>")
    return "".join(parts)


def _pareto_section(page: Page) -> str:
    dim = _pareto_dimension(page)
    parts = ['<section id="pareto"><h2>Pareto of cost drivers</h2>']
    if dim is None:
        parts.append('<p class="note">A single task type, feature, tenant and model: no ranking to draw.</p>')
    else:
        p = next((p for p in page.r.analysis.pareto if p.dimension == dim), None)
        many = DIM_TITLES[dim][1]
        if p is not None:
            parts.append(f"<p>{p.keys} of {p.of_keys} {esc(many)} make {p.share_pct:.0f} % of spend.</p>")
        parts.append(_pareto(page, dim))
    parts.append("</section>")
    return "".join(parts)


def _quality(page: Page) -> str:
    r = page.r
    a = r.analysis
    t = a.totals
    parts = ['<section id="quality"><h2>Data quality</h2>']
    if r.files:
        which = "Files loaded in this run" if r.files_from_this_run else "Files behind these calls (as stored)"
        rows = [[esc(f.file) + (" (stored earlier: counts as loaded then)" if f.stored_earlier else ""),
                 esc(f.adapter), n(f.rows_read), n(f.rows_loaded), n(f.rows_rejected),
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
    if r.files_failed:
        count = len(r.files_failed)
        parts.append(_table(["File", "Why it was not loaded"],
                            [[esc(x.file), esc(x.reason)] for x in r.files_failed], caption=esc(
            f"{count:,} file{'s' if count != 1 else ''} this run could not load: their calls are not in "
            "these figures")))
    rej = r.rows_rejected
    calls = esc(words.calls_phrase(t.calls, t.errored_calls))
    parts.append(f"<p>{n(rej)} rows rejected" + (" (see <code>llmcost rejects</code> for line and reason)"
                                                 if rej else "") + f"; {calls} in scope, "
                 f"{n(t.priced_calls)} priced, {n(t.unpriced_calls)} unpriced.</p>")
    if t.errored_calls:
        parts.append(f'<p id="errored"><strong>Errored calls</strong>: {n(t.errored_calls)} of the calls are '
                     "logged as failed (an error status). They are counted in every call count but not priced: "
                     "a failed request is not billed, so its tokens add nothing to the spend, and per-call "
                     "figures are over the billed calls.</p>")
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
.headline { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; background: #fff; }
.card .label { color: var(--muted); font-size: .85rem; font-weight: 600; }
.card .big { font-size: 1.6rem; font-weight: 700; line-height: 1.3; font-variant-numeric: tabular-nums; }
.nw { white-space: nowrap; }
.card .big .per { display: inline-block; font-size: .95rem; font-weight: 500; color: var(--muted); }
.card .big .per { white-space: nowrap; }
.card .big .alt { display: block; font-size: .9rem; font-weight: 500; color: var(--muted); }
.card .sub { color: var(--muted); font-size: .85rem; }
.alt { color: var(--muted); font-size: .9em; white-space: nowrap; }
.chain { font-variant-numeric: tabular-nums; }
.table-wrap { width: 100%; overflow-x: auto; margin: 10px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding: 0 0 4px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td { overflow-wrap: break-word; }
th { font-weight: 600; background: #f1f5f9; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
table.daily th { white-space: normal; overflow-wrap: anywhere; }
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
@media (max-width: 1000px) { .card .big { font-size: 1.3rem; } }
@media (max-width: 640px) {
  main { padding: 16px 12px 8px; }
  header h1 { font-size: 1.35rem; }
  th, td { padding: 5px 6px; }
  table { font-size: .82rem; }
  .num { white-space: normal; }
  table.compact .secondary { display: none; }
  table.reflow, table.reflow tbody, table.reflow tr { display: block; width: 100%; }
  table.reflow caption { display: block; }
  table.reflow thead { display: none; }
  table.reflow tr { border-bottom: 2px solid var(--line); padding: 4px 0; }
  table.reflow td { display: block; position: relative; border: 0; padding: 2px 4px 2px calc(36% + 12px);
    text-align: left; min-height: 1.6em; }
  table.reflow td::before { content: attr(data-label); position: absolute; left: 4px; width: 36%;
    font-weight: 600; color: var(--muted); overflow-wrap: anywhere; }
  .headline { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 10px 10px; }
  .card .big { font-size: 1.15rem; }
}
@media print {
  @page { size: A4; margin: 12mm 11mm; }
  html { font-size: 11.5px; }
  body { background: #fff; font-size: 1rem; }
  .kicker { display: none; }
  main, footer { max-width: none; padding: 0; }
  header h1 { font-size: 1.4rem; margin-bottom: 6px; }
  dl.meta { margin-bottom: 10px; font-size: .8rem; }
  h2 { margin: 18px 0 6px; font-size: 1.15rem; }
  .headline { grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 8px 10px; }
  .card .big { font-size: 1.25rem; }
  .chart, .card, tr, pre, .chain, caption, details { break-inside: avoid; page-break-inside: avoid; }
  .dim { break-inside: auto; }
  h2, h3, caption { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: .85rem; }
  th, td { padding: 3px 5px; }
  th { background: #f1f5f9; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .conf { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  details.chart-data { display: none; }
  #over-time { break-before: page; page-break-before: always; }
}
"""

CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")


def render_html(report: Report) -> str:
    page = Page(report)
    sections = [
        _header(page),
        _headline(page),
        _plan(page),
        _over_time(page),
        _by_dimension(page),
        _pareto_section(page),
        _quality(page),
        _methodology(page),
    ]
    if not report.analysis.totals.calls:
        sections.insert(2, '<p class="warn">No calls in scope: give log files, or check the filters.</p>')
    footer = (f"<footer>Generated {esc(_when(report.generated_at))} ({esc(iso(report.generated_at))}) by llmcost "
              f"{esc(report.llmcost_version)} · report format {report.version} · offline: this file loads "
              "nothing from the network and runs no script.</footer>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="llmcost {esc(report.llmcost_version)}">\n'
        f"<title>{esc(report.title)}</title>\n<style>{CSS}{CHART_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(sections)
        + "\n</main>\n" + footer + "\n</body>\n</html>\n"
    )
