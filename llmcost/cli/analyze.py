"""`llmcost analyze [FILES]`: ingest (idempotently), then summarise the calls in scope."""

from __future__ import annotations

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
    """Where the calls and tokens go: load FILES (if any) and summarise them, or the whole store."""
    common.set_debug(debug)
    from llmcost.pricing.book import load_book
    from llmcost.render import json_out, markdown, terminal
    from llmcost.report.analysis import analyze_calls
    from llmcost.scope import make_scope
    from llmcost.store import open_store

    options = common.ingest_options(source, mapping, model, start, input_excludes_cache)
    dims = common.parse_by(by)
    book = load_book(pricing)
    with open_store(db) as store:
        ingest = common.load_files(store, files, options, quiet=fmt is not OutputFormat.table) \
            if files else None
        scope = make_scope(ingest.hashes if ingest else None, since, until, model, provider,
                           feature, task, tenant)
        result = analyze_calls(store, book, scope, ingest)
    common.emit(fmt, table=lambda: terminal.render_analysis(result, dims),
                json=lambda: json_out.analysis_dict(result),
                markdown=lambda: markdown.analysis_markdown(result))
