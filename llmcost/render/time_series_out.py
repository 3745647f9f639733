"""Spend over time (`analyze --by day|week|month[,SPLIT]`) in the terminal, Markdown and JSON:
a period per row with its calls and cost, then its most expensive split items and the others
summed. A period or item whose calls are all unpriced reads "unpriced" (JSON null), never $0."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmcost.report.analysis import BreakdownRow
from llmcost.report.time_series import SeriesPeriod, TimeSeries

LABELS = {"model": "model", "task_type": "task type", "feature": "feature", "tenant": "tenant",
          "provider": "provider"}
HEADS = {"day": "Day", "week": "Week of", "month": "Month"}


def _usd(v: Decimal) -> str:
    a = abs(v)
    return f"${a:,.4f}" if 0 < a < Decimal("0.01") else f"${a:,.2f}"


def cost_text(r: BreakdownRow) -> str:
    """A row's cost as read: `unpriced` when none of its calls is priced, `+ unpriced` beside a
    cost that leaves some out."""
    if not r.priced:
        return "unpriced"
    return _usd(r.cost_usd) + (" + unpriced" if r.unpriced_calls else "")


def _key(k: str | None) -> str:
    return "(none)" if k is None else str(k)


def item_texts(ts: TimeSeries, p: SeriesPeriod) -> list[str]:
    """The split items of a period, most expensive first, then the other keys summed."""
    out = [f"{_key(r.key)} {cost_text(r)}" for r in p.items]
    if p.other is not None:
        label = LABELS[ts.split or "model"]
        out.append(f"{p.other_keys:,} other {label}{'s' if p.other_keys != 1 else ''} {cost_text(p.other)}")
    return out


def about(ts: TimeSeries) -> str:
    """What the periods are: the zone, the week start, the split cut."""
    bits = [f"periods in {ts.tz}"]
    if ts.period == "week":
        bits.append("weeks start on Monday (ISO 8601), labelled by that day")
    if ts.split and ts.top is not None:
        bits.append(f"top {ts.top} {LABELS[ts.split]}{'s' if ts.top != 1 else ''} per period, "
                    "the others summed")
    if ts.calls_without_time:
        bits.append(f"{ts.calls_without_time:,} calls without a timestamp are in no period")
    return "; ".join(bits)


def time_series_markdown(ts: TimeSeries, md_escape: Any) -> list[str]:
    """A Markdown table: a period per row, its split items in one cell."""
    head = HEADS[ts.period]
    split = f" by {LABELS[ts.split]} |" if ts.split else ""
    out = [f"### Spend by {ts.period}" + (f" and {LABELS[ts.split]}" if ts.split else ""), "",
           f"| {head.lower()} | calls | errored | cost |{split}", "|---|---:|---:|---:|" + ("---|" if split else "")]
    for p in ts.periods:
        r = p.row
        items = " · ".join(md_escape(i) for i in item_texts(ts, p)) + " |" if ts.split else ""
        out.append(f"| {ts.label(p)} | {r.calls:,} | {r.errored_calls:,} | {cost_text(r)} | {items}".rstrip())
    return [*out, "", f"_{md_escape(about(ts))}._", ""]


def _money(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def _figures(r: BreakdownRow) -> dict[str, Any]:
    return {"calls": r.calls, "cost_usd": _money(r.cost_usd) if r.priced else None,
            "unpriced_calls": r.unpriced_calls, "errored_calls": r.errored_calls,
            "billed_calls": r.billed_calls, "input_tokens": r.input_tokens,
            "cache_read_tokens": r.cache_read_tokens, "cache_write_tokens": r.cache_write_tokens,
            "output_tokens": r.output_tokens}


def series_rows(ts: TimeSeries, row: Any) -> list[dict[str, Any]]:
    """The `by_day[]` / `by_week[]` / `by_month[]` rows: the keys of a breakdown row (`row`, the
    analysis JSON's own), the period's first and last day, and with a split its `by_<split>[]`
    items `{<split>, calls, cost_usd, …}`, the others summed in one item with `other` true and
    `keys` (how many). Money unrounded; an item or period with nothing priced has cost null."""
    out = []
    for p in ts.periods:
        d = row(ts.period, p.row)
        d[ts.period] = ts.label(p)
        d["monthly_usd"] = None  # a period's own run rate is not given (the analysis totals have one)
        d |= {"start": p.start.isoformat(), "end": p.end.isoformat()}
        if ts.split and ts.split_key:
            items = [{ts.split: r.key, "other": False, **_figures(r), "share_pct": r.share_pct}
                     for r in p.items]
            if p.other is not None:
                items.append({ts.split: None, "other": True, "keys": p.other_keys, **_figures(p.other),
                              "share_pct": p.other.share_pct})
            d[ts.split_key] = items
        out.append(d)
    return out


def series_meta(ts: TimeSeries) -> dict[str, Any]:
    return {"period": ts.period, "split": ts.split, "tz": ts.tz, "week_starts": "monday",
            "top": ts.top, "calls_without_time": ts.calls_without_time}
