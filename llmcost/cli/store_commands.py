"""`llmcost sources`, `llmcost rejects`, `llmcost forget FILE`: what the store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options


@app.command(short_help="The files in the store, with their row counts.", epilog=common.examples(
    "llmcost sources",
    "llmcost sources --format json",
))
@shared_options(only=("db", "fmt", "debug"))
def sources(o: common.ScopeOptions) -> None:
    """The files in the store, with their row counts."""
    from llmcost.render import json_out, markdown_tables, terminal
    from llmcost.store import open_store

    with open_store(o.db) as store:
        rows, totals = store.sources(), store.totals()
    common.emit(o.fmt, table=lambda: terminal.render_sources(rows, totals),
                json=lambda: json_out.sources_doc(rows, totals),
                markdown=lambda: markdown_tables.sources_markdown(rows, totals))


@app.command(short_help="Rows that should have been calls but were broken.", epilog=common.examples(
    "llmcost rejects",
    "llmcost rejects logs/app.csv --limit 0",
    "llmcost rejects --format json",
))
@shared_options(only=("db", "fmt", "debug"))
def rejects(
    file: Annotated[str | None, typer.Argument(metavar="FILE", help="Only this file's rejects.",
                                               show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="Rows to show (0 = all).")] = 50,
    *,
    o: common.ScopeOptions,
) -> None:
    """Rows that should have been calls but were broken: file, line, reason and raw text."""
    from llmcost.render import json_out, markdown_tables, terminal
    from llmcost.store import open_store

    common.check_format(o.fmt, "rejects", *OutputFormat)
    from llmcost.scope_check import forget_target

    with open_store(o.db) as store:
        wanted = None
        if file:  # a file the store does not hold is a usage error with the nearest stored names
            forget_target(store, file, "rejects")
            wanted = store.find_sources(file)[0][0]
        total = len(store.rejects(wanted))
        rows = store.rejects(wanted, None if o.fmt is OutputFormat.json or limit <= 0 else limit)
    common.emit(o.fmt, table=lambda: terminal.render_rejects(rows, total),
                json=lambda: json_out.rejects_doc(rows, total),
                markdown=lambda: markdown_tables.rejects_markdown(rows, total))


@app.command(short_help="Remove a file's calls and rejects from the store.", epilog=common.examples(
    "llmcost forget logs/app.csv",
    "llmcost forget calls.csv --format json",
))
@shared_options(only=("db", "fmt", "debug"))
def forget(
    file: Annotated[str, typer.Argument(metavar="FILE", help="A stored file's path (or content-hash prefix).")],
    o: common.ScopeOptions,
) -> None:
    """Remove a file's calls and rejects from the store."""
    common.check_format(o.fmt, "forget", OutputFormat.table, OutputFormat.json)  # before anything is removed
    from llmcost.render import terminal
    from llmcost.scope_check import forget_target
    from llmcost.store import open_store

    with open_store(o.db) as store:
        forget_target(store, file)
        results = store.forget(file)
    common.emit(o.fmt, table=lambda: terminal.render_forget(results, file),
                json=lambda: {"command": "forget", "forgotten": [r.__dict__ for r in results]})
