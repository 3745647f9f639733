"""`llmcost forecast [FILES]`: this month's spend at its end and next month's, from the recent
trend, with the price changes the book already knows applied on their dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError


def parse_day(value: str, option: str = "--as-of") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value}: not a date.",
                         f"Write a UTC day, e.g. {option} 2025-06-05: the forecast as it stood at its end.") from None


@app.command(short_help="This month's spend at its end and next month's, from the trend.", epilog=common.examples(
    "llmcost forecast daily.csv --db :memory:",
    "llmcost forecast daily.csv --db :memory: --as-of 2026-10-12 --format json",
    "llmcost forecast daily.csv --db :memory: --pricing price-cut.yaml",
))
@shared_options(without=("config", "table"), after={"fmt": ("as_of",)})
def forecast(
    o: common.ScopeOptions,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="Forecast as it stood at the end of DATE (UTC): its month, and "
        "only the calls up to it. Default: the month of the last call.", show_default=False)] = None,
) -> None:
    """Forecast the spend of the month of the last call (or of --as-of DATE; never today's
    clock) at its end, and of the next month: the mean day of the last 14 full days, priced
    at the prices in force on each day ahead (a price change the book or a --pricing overlay
    dates in the future applies from its date), with an 80 % range. Calls on models without a
    price are listed and left out."""
    common.check_format(o.fmt, "forecast", *OutputFormat)
    from llmcost.report.forecast import run_forecast

    day = parse_day(as_of) if as_of is not None else None
    with common.priced_scope(o, needs_config=False) as ctx:
        result = run_forecast(ctx.store, ctx.book, ctx.relation, day)
    from llmcost.render import forecast_out, forecast_terminal

    common.emit(o.fmt, table=lambda: forecast_terminal.forecast_table(result),
                json=lambda: forecast_out.forecast_dict(result),
                markdown=lambda: forecast_out.forecast_markdown(result))
