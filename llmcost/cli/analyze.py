"""`llmcost analyze [FILES]`: ingest (idempotently), then summarise the calls in scope."""

from __future__ import annotations

from typing import Any

from llmcost.cli import app, common
from llmcost.cli.common import (
    ByOpt,
    DbOpt,
    DebugOpt,
    ExcludesOpt,
    FeatureOpt,
    FilesArg,
    FormatOpt,
    MapOpt,
    ModelOpt,
    OutputFormat,
    PricingOpt,
    ProviderOpt,
    SinceOpt,
    SourceOpt,
    StartOpt,
    TaskOpt,
    TenantOpt,
    UntilOpt,
)


@app.command()
def analyze(
    files: FilesArg = None,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    since: SinceOpt = None,
    until: UntilOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    feature: FeatureOpt = None,
    task: TaskOpt = None,
    tenant: TenantOpt = None,
    source: SourceOpt = None,
    mapping: MapOpt = None,
    start: StartOpt = None,
    input_excludes_cache: ExcludesOpt = None,
    pricing: PricingOpt = None,
    by: ByOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Where the money goes: load FILES (if any) and price and summarise their calls, or the
    whole store's."""
    common.set_debug(debug)
    common.check_format(fmt, "analyze", *OutputFormat)
    from llmcost.report.analysis import analyze_calls

    dims = common.parse_by(by)
    with common.priced_scope(files, db, fmt, since, until, model, provider, feature, task, tenant, source,
                             mapping, start, input_excludes_cache, pricing, None, needs_config=False) as ctx:
        result = analyze_calls(ctx.store, ctx.book, ctx.scope, ctx.ingest, relation=ctx.relation)
    common.emit(fmt, table=lambda: _render("terminal").render_analysis(result, dims),
                json=lambda: _render("json_out").analysis_dict(result),
                markdown=lambda: _render("markdown").analysis_markdown(result))


def _render(name: str) -> Any:
    """Only the chosen renderer is imported (the others pull in the report model and rich)."""
    import importlib

    return importlib.import_module(f"llmcost.render.{name}")
