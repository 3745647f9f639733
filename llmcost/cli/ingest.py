"""`llmcost ingest FILES…`: load only, and account for every row."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common, progress
from llmcost.cli.common import (
    DbOpt,
    DebugOpt,
    ExcludesOpt,
    FormatOpt,
    MapOpt,
    ModelOpt,
    OutputFormat,
    SourceOpt,
    StartOpt,
)
from llmcost.cli.progress import QuietOpt
from llmcost.errors import UsageError


@app.command(short_help="Load log files into the store, accounting for every row.", epilog=common.examples(
    "llmcost ingest logs/",
    "llmcost ingest 'logs/*.csv' calls.csv --format json",
    "llmcost ingest trace.csv --model gpt-4o --db trace.duckdb",
))
def ingest(
    files: common.FilesArg = None,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    source: SourceOpt = None,
    mapping: MapOpt = None,
    model: ModelOpt = None,
    start: StartOpt = None,
    input_excludes_cache: ExcludesOpt = None,
    max_expanded: Annotated[str | None, typer.Option(
        "--max-expanded", metavar="SIZE",
        help="Refuse a .gz file that expands past SIZE (default 4GB, env LLMCOST_MAX_EXPANDED; "
        "none lifts the cap).", show_default=False)] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Load FILES into the store: rows read / loaded / rejected / duplicate / skipped. A file that
    cannot be read is named with why and the others load (exit code 1)."""
    common.set_debug(debug)
    progress.set_quiet(quiet)
    common.check_format(fmt, "ingest", *OutputFormat)
    if not files:
        raise UsageError("ingest needs at least one file, folder or glob.",
                         "For example: llmcost ingest logs/*.csv")
    from llmcost.render import json_out, terminal
    from llmcost.store import open_store

    options = common.ingest_options(source, mapping, model, start, input_excludes_cache,
                                    max_expanded)
    with open_store(db) as store:
        result = common.load_files(store, files, options, quiet=fmt is not OutputFormat.table,
                                   warn_failed=False)
    common.emit(fmt, table=lambda: terminal.render_ingest(result),
                json=lambda: json_out.ingest_doc(result),
                markdown=lambda: _ingest_markdown(result))


def _ingest_markdown(result: object) -> str:
    from llmcost.render.markdown import ingest_markdown

    return "\n".join(["## Ingest", "", *ingest_markdown(result)])  # type: ignore[arg-type]
