"""`llmcost init [FILES]`: write a commented llmcost.yaml drafted from the store's task types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError


@app.command(short_help="Write a commented llmcost.yaml from your task types.", epilog=common.examples(
    "llmcost init",
    "llmcost init logs/ --force",
    "llmcost init --since 2026-10-01 -o draft.yaml",
    "llmcost init -o - --db :memory: calls.csv",
))
@shared_options(only=("files", "db", "since", "until", "source", "mapping", "pricing", "debug"))
def init(
    output: Annotated[str, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Where to write it (- prints it).")] = "llmcost.yaml",
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    *,
    o: common.ScopeOptions,
) -> None:
    """Draft llmcost.yaml (docs/config.md) from the calls in the store (after loading FILES, if
    any): one entry per task type, with its calls, cost, average tokens and models as comments, and
    routes, quality floors and batching as commented examples to uncomment. Refuses to replace an
    existing file without --force."""
    to_stdout = output == "-"
    path = Path(output).expanduser()
    if not to_stdout and path.exists() and not force:  # checked before anything is read
        raise UsageError(f"{output} already exists; nothing was written.",
                         "Add --force to replace it, or write another file: llmcost init -o draft.yaml.")
    if not to_stdout and path.is_dir():
        raise UsageError(f"-o {output} is a folder.", "Give a file name, e.g. -o llmcost.yaml.")
    from llmcost.report.starter_config import draft_config

    with common.priced_scope(o, needs_config=False) as ctx:
        draft = draft_config(ctx.store, ctx.relation, _scope_words(o.files, o.db, ctx.scope.describe()))
    if to_stdout:
        common.print_text(draft.text)
        return
    from llmcost.cli.report import write_atomically

    write_atomically(path, draft.text)
    n = len(draft.tasks)
    common.print_text(
        f"Wrote {output}: {n:,} task type{'s' if n != 1 else ''} from {draft.scope.calls:,} call"
        f"{'s' if draft.scope.calls != 1 else ''}, every setting commented out. Uncomment what your team "
        "knows; recommend, simulate and report read it.")


def _scope_words(files: list[str] | None, db: str | None, scope: str) -> str:
    """Which calls the draft was made from, as the user named them, relative to the working
    folder (a file others read never carries an absolute path of this machine)."""
    import os

    if files:
        words = "the calls of " + ", ".join(_shown(f) for f in files)
    else:
        words = "the store " + _shown(db or os.environ.get("LLMCOST_DB") or "llmcost.duckdb")
    return f"{words} ({scope})" if scope else words


def _shown(path: str) -> str:
    p = Path(path).expanduser()
    if not p.is_absolute():
        return path
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return p.name
