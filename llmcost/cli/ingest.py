"""`llmcost ingest FILES…`: load only, and account for every row."""

from __future__ import annotations

from llmcost.cli import app, common
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
from llmcost.errors import UsageError


@app.command()
def ingest(
    files: common.FilesArg = None,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    source: SourceOpt = None,
    mapping: MapOpt = None,
    model: ModelOpt = None,
    start: StartOpt = None,
    input_excludes_cache: ExcludesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Load FILES into the store: rows read / loaded / rejected / duplicate / skipped."""
    common.set_debug(debug)
    if not files:
        raise UsageError("ingest needs at least one file, folder or glob.",
                         "For example: llmcost ingest logs/*.csv")
    from llmcost.render import json_out, terminal
    from llmcost.store import open_store

    options = common.ingest_options(source, mapping, model, start, input_excludes_cache)
    with open_store(db) as store:
        result = common.load_files(store, files, options, quiet=fmt is not OutputFormat.table)
    common.emit(fmt, table=lambda: terminal.render_ingest(result),
                json=lambda: json_out.ingest_doc(result))
