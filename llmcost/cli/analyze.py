"""`llmcost analyze [FILES]`: ingest (idempotently), then summarise the calls in scope."""

from __future__ import annotations

from typing import Annotated, Any, cast

import typer

from llmcost.cli import app, common
from llmcost.cli.common import ByOpt, OutputFormat
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError

# --table as analyze words it
AnalyzeTableOpt = Annotated[str | None, typer.Option(
    "--table", metavar="NAME", help="With --db chdb://PATH or clickhouse://USER@HOST:8123/DB: the "
    "ClickHouse table of calls to price and summarise there (canonical columns, docs/scale.md).",
    show_default=False)]


@app.command(short_help="Where the money goes: cost by model, task, feature, day…", epilog=common.examples(
    "llmcost analyze logs/",
    "llmcost analyze --by task_type,model --since 2026-10-01",
    "llmcost analyze --by week,model --tz Europe/Paris",
    "llmcost analyze calls.csv --db :memory: --as-of 2026-01-01 --format json",
))
@shared_options(without=("config",), after={"pricing": ("by",), "quiet": ("top", "tz", "as_of")},
                replace={"table": AnalyzeTableOpt})
def analyze(
    o: common.ScopeOptions,
    by: ByOpt = None,
    top: Annotated[int | None, typer.Option(
        "--top", metavar="N", help="Rows per breakdown, the rest summed in one row (default: 10 "
        "conversations and tenants, every model, task type, feature, day and provider; 0: every key). "
        "In a time series: split items per period (default 5).",
        show_default=False)] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", metavar="ZONE", help="Time zone of the day, week and month boundaries of a time series "
        "(IANA name, e.g. Europe/Paris; default UTC).", show_default=False)] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="Price every call at the prices in force on DATE (UTC date or "
        "date and time), beside its call-time cost: what the period would cost at DATE's prices.",
        show_default=False)] = None,
) -> None:
    """Where the money goes: load FILES (if any) and price and summarise their calls, or the
    whole store's."""
    common.check_format(o.fmt, "analyze", *OutputFormat)
    from llmcost.report.analysis import analyze_calls
    from llmcost.report.time_series import DEFAULT_TOP, check_zone, series_from_by, time_series

    dims = common.parse_by(by)
    ask = series_from_by(dims)
    if tz is not None and ask is None:
        raise UsageError(f"--tz {tz}: the time zone sets the boundaries of a time series.",
                         "Add --by day, --by week or --by month (e.g. --by day,model).")
    zone = check_zone(tz) if tz is not None else "UTC"
    limits = breakdown_limits(top)
    from llmcost.report.reprice import parse_as_of, reprice_scope

    at = parse_as_of(as_of) if as_of is not None else None
    common.check_table_option(o.table, o.db, "analyze")
    o.summed = at is None  # inside ClickHouse: priced as sums (no per-call repricing to keep)
    with common.priced_scope(o, needs_config=False, needs_calls=False, lists_files=True) as ctx:
        if at is None:
            relation, repriced = ctx.relation, None
        elif o.table is not None:  # inside ClickHouse
            from llmcost.report.clickhouse_scope import reprice_clickhouse
            from llmcost.store_clickhouse import ClickHouse

            relation, repriced = reprice_clickhouse(cast(ClickHouse, ctx.store), o.table, ctx.scope,
                                                    ctx.relation, at)
        else:
            relation, repriced = reprice_scope(ctx.store, ctx.book, ctx.scope, ctx.relation, at)
        result = analyze_calls(ctx.store, ctx.book, ctx.scope, ctx.ingest, relation=relation,
                               limits=limits, summed=ctx.summed)
        result.repriced = repriced
        per_call = ctx.summed.calls if ctx.summed else relation  # inside ClickHouse: priced by class
        series = None if ask is None else time_series(
            ctx.store, per_call, ask, zone, DEFAULT_TOP if top is None else top or None)
    common.emit(o.fmt, table=lambda: _render("terminal").render_analysis(result, dims, series=series),
                json=lambda: _render("json_out").analysis_dict(result, series=series),
                markdown=lambda: _render("markdown").analysis_markdown(result, by=dims, series=series))


def breakdown_limits(top: int | None) -> dict[str, int | None]:
    """--top N -> rows per breakdown (None: every key)."""
    from llmcost.report.analysis import DIMENSIONS, TOP_KEYS

    if top is None:
        return {"conversation": TOP_KEYS, "tenant": TOP_KEYS}
    if top < 0:
        raise UsageError(f"--top {top}: expected a number of rows, 0 for every key.", "For example --top 20.")
    return {d: top or None for d in DIMENSIONS}


def _render(name: str) -> Any:
    """Only the chosen renderer is imported (the others pull in the report model and rich)."""
    import importlib

    return importlib.import_module(f"llmcost.render.{name}")
