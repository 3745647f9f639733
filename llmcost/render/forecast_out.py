"""`llmcost forecast` rendered as JSON (issue 16's contract: `month_end_usd`, `next_month_usd`,
`low_usd`, `high_usd`, `method`, `price_changes[] {model, effective_from}`) and Markdown, plus the
words the terminal renderer (`render.forecast_terminal`) shares. No rich here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from llmcost.render.json_out import iso, money
from llmcost.render.markdown import md_escape, usd
from llmcost.report.forecast import Forecast, PriceChange


def when(dt: datetime) -> str:
    """A date when it is a midnight (the book's dates), else the date and time, UTC."""
    return f"{dt:%Y-%m-%d}" if dt.time() == datetime.min.time() else f"{dt:%Y-%m-%d %H:%M} UTC"


def month_name(f: Forecast, which: str = "month") -> str:
    return (f.month if which == "month" else f.next_month).strftime("%B %Y")


def days_text(days: Decimal) -> str:
    """`16 days`, `2.5 days`; under a day in hours or minutes (`8 min`, not `0.01 days`)."""
    if days < 1:
        from llmcost.run_rate import span_text

        return span_text(float(days) * 86400)
    text = f"{days:.2f}".rstrip("0").rstrip(".")
    return f"{text} day{'s' * (text != '1')}"


def history_text(f: Forecast) -> str:
    if f.as_of is not None:
        return f"as it stood at the end of {f.as_of}"
    return f"from the last call, {f.last_call:%Y-%m-%d %H:%M} UTC"


def so_far_text(f: Forecast) -> str:
    last = f.as_of or f.last_call.date()
    if last < f.month:  # cannot happen: the month is the history's
        return ""
    return f"{f.month:%b} 1 – {last.day}" if last.day > 1 else f"{f.month:%b} 1"


def so_far_calls_text(f: Forecast) -> str:
    unpriced = f" ({f.so_far_unpriced_calls:,} unpriced, left out)" if f.so_far_unpriced_calls else ""
    return f"{f.so_far_calls:,} calls{unpriced}, call-time prices"


def backtest_text(f: Forecast) -> str | None:
    """With --as-of and the later calls in the store: what the months came to."""
    parts = [f"{month_name(f, which)} came to {usd(v)}" for which, v in
             (("month", f.actual_month_usd), ("next", f.actual_next_month_usd)) if v is not None]
    if not parts:
        return None
    return (f"Back-test: with the calls the store holds after {f.as_of}, " + " and ".join(parts)
            + " (call-time prices).")


def projected_text(f: Forecast) -> str:
    ahead = sorted({u.model for u in f.unpriced if u.where == "ahead"})
    if not ahead:
        return "projected"
    return f"projected; {len(ahead)} model{'s' * (len(ahead) != 1)} without a price left out"


def range_text(low: Decimal, high: Decimal) -> str:
    return f"{usd(low)} – {usd(high)}"


def _prices(i: Decimal | None, o: Decimal | None) -> str:
    if i is None or o is None:
        return "no price"
    return f"${i:,.2f} in / ${o:,.2f} out"


def change_text(c: PriceChange) -> str:
    """What changes: the standard $/MTok either side, or the price ending."""
    if c.kind == "price_ends":
        return f"{_prices(c.input_before, c.output_before)} per MTok → no price (its calls left out)"
    what = "discount: " if c.kind == "discount" else ""
    return (f"{what}{_prices(c.input_before, c.output_before)} → "
            f"{_prices(c.input_after, c.output_after)} per MTok")


def cell(v: Decimal | None) -> str:
    """A model's figure, or `unpriced` when none of its calls has a price."""
    return "unpriced" if v is None else usd(v)


def headline(f: Forecast) -> str:
    return (f"{month_name(f)} at month end: {usd(f.month_end_usd)} (80 % range "
            f"{range_text(f.low_usd, f.high_usd)}); {month_name(f, 'next')}: {usd(f.next_month_usd)} "
            f"({range_text(f.next_month_low_usd, f.next_month_high_usd)})")


def _money(v: Decimal) -> float:
    return float(v)


def change_dict(c: PriceChange) -> dict[str, Any]:
    def opt(v: Decimal | None) -> float | None:
        return None if v is None else float(v)

    return {"model": c.model, "effective_from": c.effective_from.date().isoformat()
            if c.effective_from.time() == datetime.min.time() else iso(c.effective_from),
            "kind": c.kind, "input_per_mtok_before": opt(c.input_before),
            "output_per_mtok_before": opt(c.output_before),
            "input_per_mtok_after": opt(c.input_after), "output_per_mtok_after": opt(c.output_after),
            "daily_usd_before": money(c.daily_usd_before), "daily_usd_after": money(c.daily_usd_after)}


def forecast_dict(f: Forecast) -> dict[str, Any]:
    return {
        "month": f"{f.month:%Y-%m}",
        "month_end_usd": _money(f.month_end_usd),
        "next_month": f"{f.next_month:%Y-%m}",
        "next_month_usd": _money(f.next_month_usd),
        "low_usd": _money(f.low_usd),
        "high_usd": _money(f.high_usd),
        "next_month_low_usd": _money(f.next_month_low_usd),
        "next_month_high_usd": _money(f.next_month_high_usd),
        "method": f.method,
        "price_changes": [change_dict(c) for c in f.price_changes],
        "as_of": None if f.as_of is None else f.as_of.isoformat(),
        "last_call": iso(f.last_call),
        "history_end": iso(f.history_end),
        "spent_so_far_usd": _money(f.spent_so_far_usd),
        "so_far_calls": f.so_far_calls,
        "so_far_unpriced_calls": f.so_far_unpriced_calls,
        "rest_of_month_usd": _money(f.rest_of_month_usd),
        "rest_of_month_days": float(f.rest_of_month_days),
        "next_month_days": f.next_month_days,
        "daily_usd": _money(f.daily_usd),
        "daily_sd_usd": _money(f.daily_sd_usd),
        "window": {"start": f.window_start.isoformat(), "end": f.window_end.isoformat(), "days": f.window_days,
                   "calls": f.window_calls, "days_without_calls": f.days_without_calls},
        "regimes": [{"start": iso(r.start), "end": iso(r.end), "days": float(r.days),
                     "month": f"{(f.next_month if r.next_month else f.month):%Y-%m}",
                     "prices_as_of": iso(r.priced_at), "daily_usd": _money(r.daily_usd)} for r in f.regimes],
        "by_model": [{"model": m.model, "spent_so_far_usd": money(m.spent_so_far_usd), "daily_usd": money(m.daily_usd),
                      "rest_of_month_usd": money(m.rest_of_month_usd), "next_month_usd": money(m.next_month_usd),
                      "window_calls": m.window_calls} for m in f.models],
        "unpriced": [{"model": u.model, "calls": u.calls, "where": u.where, "reason": u.reason,
                      "from": None if u.since is None else iso(u.since)} for u in f.unpriced],
        "actual_month_usd": money(f.actual_month_usd),
        "actual_next_month_usd": money(f.actual_next_month_usd),
        "notes": f.notes,
    }


def forecast_markdown(f: Forecast) -> str:
    nm = month_name(f, "next")
    lines = [f"**llmcost forecast** ({md_escape(history_text(f))}): {md_escape(headline(f))}", "",
             "| | USD | |", "|---|---:|---|",
             f"| Spent so far ({so_far_text(f)}) | {usd(f.spent_so_far_usd)} | {so_far_calls_text(f)} |",
             f"| Rest of {f.month:%B} ({days_text(f.rest_of_month_days)}) | {usd(f.rest_of_month_usd)} | "
             f"{projected_text(f)} |",
             f"| **{month_name(f)} at month end** | **{usd(f.month_end_usd)}** | 80 % range "
             f"{range_text(f.low_usd, f.high_usd)} |",
             f"| **{nm}** ({f.next_month_days} days) | **{usd(f.next_month_usd)}** | 80 % range "
             f"{range_text(f.next_month_low_usd, f.next_month_high_usd)} |",
             f"| A day now | {usd(f.daily_usd)} | mean of {f.window_days} full days {f.window_start} – "
             f"{f.window_end}; σ {usd(f.daily_sd_usd)} |"]
    if f.price_changes:
        lines += ["", "Price changes applied:", "", "| Model | From | Change | A day before | A day after |",
                  "|---|---|---|---:|---:|"]
        lines += [f"| {md_escape(c.model)} | {when(c.effective_from)} | {md_escape(change_text(c))} | "
                  f"{cell(c.daily_usd_before)} | {cell(c.daily_usd_after)} |" for c in f.price_changes]
    if len(f.models) > 1:
        lines += ["", f"| Model | So far | A day now | Rest of {f.month:%B} | {nm} |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {md_escape(m.model)} | {cell(m.spent_so_far_usd)} | {cell(m.daily_usd)} | "
                  f"{cell(m.rest_of_month_usd)} | {cell(m.next_month_usd)} |" for m in f.models]
    if backtest_text(f):
        lines += ["", md_escape(backtest_text(f))]
    lines += ["", f"_Method: {md_escape(f.method)}_"]
    lines += [f"\n_{md_escape(n)}_" for n in f.notes]
    return "\n".join(lines) + "\n"
