"""`llmcost forecast` in the terminal (rich): the month-end and next-month figures with their
ranges, the price changes applied, the figures per model, the method and the notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcost.render.forecast_out import (
    backtest_text,
    cell,
    change_text,
    days_text,
    history_text,
    month_name,
    projected_text,
    range_text,
    so_far_calls_text,
    so_far_text,
    when,
)
from llmcost.render.markdown import usd
from llmcost.report.forecast import Forecast

if TYPE_CHECKING:
    from rich.console import RenderableType


def forecast_table(f: Forecast) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from llmcost.render.safe_text import visible

    parts: list[Any] = [Text(f"Forecast for {month_name(f)}, {history_text(f)}", style="bold")]
    t = Table(box=None, pad_edge=False, show_header=False)
    t.add_column("what", overflow="fold")
    t.add_column("usd", justify="right", no_wrap=True)
    t.add_column("how", overflow="fold", style="dim")
    t.add_row(f"Spent so far ({so_far_text(f)})", usd(f.spent_so_far_usd), so_far_calls_text(f))
    t.add_row(f"Rest of {f.month:%B} ({days_text(f.rest_of_month_days)})", usd(f.rest_of_month_usd), projected_text(f))
    t.add_row(Text(f"{month_name(f)} at month end", style="bold"), Text(usd(f.month_end_usd), style="bold"),
              f"80 % range {range_text(f.low_usd, f.high_usd)}")
    t.add_row(Text(f"{month_name(f, 'next')} ({f.next_month_days} days)", style="bold"),
              Text(usd(f.next_month_usd), style="bold"),
              f"80 % range {range_text(f.next_month_low_usd, f.next_month_high_usd)}")
    t.add_row("A day now", usd(f.daily_usd), f"{f.window_days} full days to {f.window_end}; σ {usd(f.daily_sd_usd)}")
    parts.append(t)
    if f.price_changes:
        parts.append(Text("\nPrice changes applied", style="bold"))
        g = Table.grid(padding=(0, 1))
        g.add_column(no_wrap=True)
        g.add_column(overflow="fold")
        for ch in f.price_changes:
            g.add_row(f"  {visible(ch.model)} from {when(ch.effective_from)}:",
                      f"{change_text(ch)}; a day {cell(ch.daily_usd_before)} → {cell(ch.daily_usd_after)}")
        parts.append(g)
    if len(f.models) > 1:
        m = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
        for h in ("Model", "So far", "A day now", f"Rest of {f.month:%b}", f"{f.next_month:%b %Y}"):
            m.add_column(h, justify="left" if h == "Model" else "right", overflow="fold",
                         no_wrap=h != "Model")
        for row in f.models:
            m.add_row(visible(row.model), cell(row.spent_so_far_usd), cell(row.daily_usd),
                      cell(row.rest_of_month_usd), cell(row.next_month_usd))
        parts += [Text(""), m]
    backtest = backtest_text(f)
    if backtest:
        parts.append(Text("\n" + backtest))
    parts.append(Text("\nMethod: " + f.method, style="dim"))
    for note in f.notes:
        parts.append(Text("Note: " + visible(note), style="yellow"))
    return Group(*parts)
