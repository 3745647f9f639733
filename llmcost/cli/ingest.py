"""`llmcost ingest FILES…`: load only, and account for every row."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError


@app.command(short_help="Load log files into the store, accounting for every row.", epilog=common.examples(
    "llmcost ingest logs/",
    "llmcost ingest 'logs/*.csv' calls.csv --format json",
    "llmcost ingest trace.csv --model gpt-4o --db trace.duckdb",
))
@shared_options(only=("files", "db", "fmt", "source", "mapping", "model", "start", "input_excludes_cache",
                      "quiet", "debug"), after={"input_excludes_cache": ("max_expanded",)})
def ingest(
    o: common.ScopeOptions,
    max_expanded: Annotated[str | None, typer.Option(
        "--max-expanded", metavar="SIZE",
        help="Refuse a .gz file that expands past SIZE (default 4GB, env LLMCOST_MAX_EXPANDED; "
        "none lifts the cap).", show_default=False)] = None,
) -> None:
    """Load FILES into the store: rows read / loaded / rejected / duplicate / skipped. A file that
    cannot be read is named with why and the others load (exit code 1)."""
    common.check_format(o.fmt, "ingest", *OutputFormat)
    if not o.files:
        raise UsageError("ingest needs at least one file, folder or glob.",
                         "For example: llmcost ingest logs/*.csv")
    from llmcost.render import json_out, terminal
    from llmcost.store import open_store

    options = common.ingest_options(o.source, o.mapping, o.model, o.start, o.excludes, max_expanded)
    with open_store(o.db) as store:
        result = common.load_files(store, o.files, options, quiet=o.fmt is not OutputFormat.table,
                                   warn_failed=False)
    common.emit(o.fmt, table=lambda: terminal.render_ingest(result),
                json=lambda: json_out.ingest_doc(result),
                markdown=lambda: _ingest_markdown(result))


def _ingest_markdown(result: object) -> str:
    from llmcost.render.markdown import ingest_markdown

    return "\n".join(["## Ingest", "", *ingest_markdown(result)])  # type: ignore[arg-type]
