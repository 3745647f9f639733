"""Options shared by the commands, and the few things every command does the same way."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmcost.errors import LlmcostError, UsageError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from llmcost.config import Config
    from llmcost.ingest import IngestOptions, IngestResult
    from llmcost.pricing.book import PriceBook
    from llmcost.pricing.grouped import SummedScope
    from llmcost.scope import Scope
    from llmcost.simulate.options import LeverOptions
    from llmcost.store import Store

_debug: ContextVar[bool] = ContextVar("llmcost_debug", default=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


FilesArg = Annotated[
    list[str] | None,
    typer.Argument(help="Log files, folders (read recursively) or globs. Without any, the whole "
                   "store.", show_default=False, metavar="FILE"),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", metavar="FILE", help="Store file (default ./llmcost.duckdb, env LLMCOST_DB; :memory: "
                 "for a one-shot run).", show_default=False),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: table, json or markdown.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", metavar="FORMAT", help="Force a log format (see docs/formats.md).", show_default=False),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", metavar="COLUMN=FIELD", help="Read a column as a canonical field, e.g. "
                 "--map ContextTokens=input_tokens (repeatable).", show_default=False),
]
ModelOpt = Annotated[
    list[str] | None,
    typer.Option("--model", metavar="MODEL", help="Only these models (comma list or repeated). One model also names "
                 "the calls whose log names none (serving traces, Gemini responses without "
                 "modelVersion, Bedrock Converse responses).",
                 show_default=False),
]
StartOpt = Annotated[
    str | None,
    typer.Option("--start", metavar="TIME", help="Base time for logs with relative timestamps (serving traces).",
                 show_default=False),
]
ExcludesOpt = Annotated[
    bool | None,
    typer.Option("--input-excludes-cache/--input-includes-cache",
                 help="Say whether the log's input token count excludes cache tokens (Anthropic) "
                 "or includes them (OpenAI); by default it is inferred from the column names.",
                 show_default=False),
]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="DATE", help="From this date (2026-10-15), month (2026-10) or time (UTC); or "
    "counted back from the last call in the files or store, never from today's clock: today, "
    "yesterday, 7d (the last 7 days), 2w, 12h.", show_default=False)]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", metavar="DATE", help="Up to this date or month (inclusive) or time (exclusive), UTC; "
    "or counted back from the last call: today, yesterday, 30d (everything before the last 30 days).",
    show_default=False)]
ProviderOpt = Annotated[list[str] | None, typer.Option("--provider", metavar="PROVIDER", help="Only these providers.",
                                                       show_default=False)]
FeatureOpt = Annotated[list[str] | None, typer.Option("--feature", metavar="FEATURE", help="Only these features.",
                                                      show_default=False)]
TaskOpt = Annotated[list[str] | None, typer.Option("--task", metavar="TASK", help="Only these task types.",
                                                   show_default=False)]
TenantOpt = Annotated[list[str] | None, typer.Option("--tenant", metavar="TENANT", help="Only these tenants.",
                                                     show_default=False)]


PricingOpt = Annotated[
    list[str] | None,
    typer.Option("--pricing", metavar="FILE", help="A price overlay YAML: extra models, overrides, negotiated "
                 "discounts (docs/pricing-format.md). Repeatable.", show_default=False),
]
ByOpt = Annotated[
    list[str] | None,
    typer.Option("--by", metavar="DIMENSION", help="Breakdowns to show: model, task_type, feature, tenant, day, "
                 "conversation, provider (comma list or repeated). A list starting with day, week or month is a "
                 "time series split by its second item: --by day,model (weeks start on Monday, ISO 8601).",
                 show_default=False),
]
BY_CHOICES = ("model", "task_type", "feature", "tenant", "day", "conversation", "provider")


def parse_by(values: list[str] | None) -> list[str] | None:
    from llmcost.scope import split_values

    dims = [v.replace("-", "_") for v in split_values(values)]
    aliases = {"task": "task_type", "conversation_id": "conversation", "customer": "tenant"}
    dims = [aliases.get(d, d) for d in dims]
    for d in dims:
        if d not in BY_CHOICES and d not in ("week", "month"):  # week, month: a time series
            raise UsageError(f"--by {d}: not a breakdown.", "Choose from: " + ", ".join(BY_CHOICES)
                             + "; or a time series: week, month.")
    return dims or None


ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", metavar="FILE",
                 help="Task policies (default ./llmcost.yaml when present; docs/config.md).",
                 show_default=False),
]


@dataclass
class ScopeContext:
    store: Store
    book: PriceBook
    config: Config
    relation: str  # TEMP view of the priced calls in scope
    ingest: IngestResult | None
    scope: Scope
    levers: LeverOptions | None = None  # the lever options with their scopes checked
    summed: SummedScope | None = None  # inside ClickHouse, `ScopeOptions.summed`: priced as sums



# --table: the calls' table when --db names a ClickHouse database (issue 17)
TableOpt = Annotated[str | None, typer.Option(
    "--table", metavar="NAME", help="With --db chdb://PATH or clickhouse://USER@HOST:8123/DB: the "
    "ClickHouse table of calls to work on there (canonical columns, docs/scale.md).", show_default=False)]


def check_table_option(table: str | None, db: str | None, command: str) -> None:
    """--table goes with a ClickHouse --db."""
    from llmcost.store_clickhouse import is_clickhouse_url

    if table is not None and not is_clickhouse_url(db):
        raise UsageError(f"--table {table} names a table in ClickHouse: it goes with --db chdb://PATH or "
                         "--db clickhouse://USER@HOST:8123/DATABASE.",
                         f"Add --db, or drop --table to {command} the DuckDB store.")


@dataclass
class ScopeOptions:
    """The options every command that prices calls shares, as given on its command line: where the
    calls are (FILES, --db), how to read new files (--source, --map, --start, --input-…-cache),
    which calls (--since … --tenant), which prices (--pricing) and task policies (--config), and
    the output format. One object instead of sixteen parameters."""

    files: list[str] | None = None
    db: str | None = None
    fmt: OutputFormat = OutputFormat.table
    since: str | None = None
    until: str | None = None
    model: list[str] | None = None
    provider: list[str] | None = None
    feature: list[str] | None = None
    task: list[str] | None = None
    tenant: list[str] | None = None
    source: str | None = None
    mapping: list[str] | None = None
    start: str | None = None
    excludes: bool | None = None
    pricing: list[str] | None = None
    config: str | None = None
    table: str | None = None  # --table: the calls' table when --db is a ClickHouse database
    every_column: bool = False  # in ClickHouse: every priced column in scope (simulate, recommend)
    # in ClickHouse: the calls in scope priced as sums, not one by one (`pricing.grouped`), for a
    # command that reads only `analyze_calls`' figures (analyze without --as-of or a time series)
    summed: bool = False


@contextmanager
def priced_scope(o: ScopeOptions, needs_config: bool = True, needs_calls: bool = True,
                 levers: LeverOptions | None = None,
                 on_step: Callable[[str], None] | None = None,
                 before_store: Callable[[PriceBook], None] | None = None,
                 lists_files: bool = False) -> Iterator[ScopeContext]:
    """Open the store, load FILES, and price the calls in scope (DESIGN §1 scope and filters).
    A command that uses no task policies (`needs_config=False`) runs with a broken llmcost.yaml,
    saying so in one warning line. Every option is checked before the store is opened: the
    filters' dates here, the command's own options in `before_store` (given the price book).
    Then every filter value, date and lever scope (`levers`) is checked against the calls
    (`llmcost.scope_check`): no call at all is an error unless the command can say so itself
    (`needs_calls=False`). `on_step` is told the pricing step (a progress display). A command whose
    table lists the files it read, failed ones included (`lists_files`), gets no warning about
    them on stderr too."""
    from llmcost.config import config_warning, load_config, try_load_config
    from llmcost.pricing.book import load_book
    from llmcost.report.analysis import prepare_priced_scope
    from llmcost.scope import make_scope
    from llmcost.scope_check import ScopeRequest, check_request, confirm_in_scope
    from llmcost.store import open_store

    options = ingest_options(o.source, o.mapping, o.model, o.start, o.excludes)
    # a bad date stops here (a relative one is only parsed: it counts back from the last call, below)
    make_scope(None, o.since, o.until, o.model, o.provider, o.feature, o.task, o.tenant,
               last_call=datetime(2000, 1, 1))
    book = load_book(o.pricing)
    if before_store is not None:
        before_store(book)
    if needs_config:
        cfg = load_config(o.config)
    else:
        cfg, problem = try_load_config(o.config)
        if problem is not None:
            print_warning(config_warning(problem))
    from llmcost.store_clickhouse import is_clickhouse_url

    if is_clickhouse_url(o.db):  # the calls are in ClickHouse: priced there (issue 17)
        with _clickhouse_scope(o, book, cfg, levers, needs_config, needs_calls) as ctx:
            yield ctx
        return
    with open_store(o.db) as store:
        table = o.fmt is OutputFormat.table
        ingest = load_files(store, o.files, options, quiet=not table,
                            warn_failed=not (lists_files and table)) if o.files else None
        request = ScopeRequest(ingest.hashes if ingest else None, o.since, o.until, o.model, o.provider, o.feature,
                               o.task, o.tenant)
        checked = check_request(store, book, request, config=cfg if needs_config else None, ingest=ingest,
                                needs_calls=needs_calls, levers=levers)
        for note in checked.notes:
            print_warning(note)
        if on_step:
            on_step(_pricing_step(store, checked.scope))
        relation = prepare_priced_scope(store, book, checked.scope)
        confirm_in_scope(store, relation, checked)
        yield ScopeContext(store, book, cfg, relation, ingest, checked.scope, checked.levers)


@contextmanager
def _clickhouse_scope(o: ScopeOptions, book: PriceBook, cfg: Config, levers: LeverOptions | None,
                      needs_config: bool, needs_calls: bool) -> Iterator[ScopeContext]:
    """`priced_scope` where --db is ClickHouse (chdb://PATH or clickhouse://…): the filters and
    lever scopes checked against the calls of --table (and the task policies, `needs_config`), then
    those calls priced inside it (`report.clickhouse_scope`); the connection stands in for the store."""
    from typing import cast

    from llmcost.report.clickhouse_scope import check_table_name, price_scope, scope_source, summarise_scope
    from llmcost.scope_check import ScopeRequest, check_request, confirm_in_scope
    from llmcost.store import Store
    from llmcost.store_clickhouse import ClickHouse, shown_url

    url = shown_url(o.db or "")  # for messages: never the password
    if o.files:
        raise UsageError(f"--db {url} is a ClickHouse database: llmcost reads its --table, it does not "
                         "load FILES into it.",
                         "Drop the FILES, or analyze them with a DuckDB store (--db PATH or :memory:).")
    if levers is not None and levers.similar_cache is not None:
        raise UsageError(f"--similar-cache does not run inside ClickHouse (--db {url}): it compares the "
                         "wording of requests in Python, which would bring every prompt text back.",
                         "Drop --similar-cache here, or simulate it on an export of the table with a "
                         "DuckDB store (--db PATH).")
    table = check_table_name(o.table, url)
    with ClickHouse(o.db or "") as ch:
        # analysis code reads a store through `query`, `con.execute(…).fetchone()` and `path`,
        # which the ClickHouse connection provides (rendering each query for ClickHouse)
        store = cast(Store, ch)
        source = scope_source(ch, table)
        request = ScopeRequest(None, o.since, o.until, o.model, o.provider, o.feature, o.task, o.tenant)
        checked = check_request(store, book, request, config=cfg if needs_config else None,
                                needs_calls=needs_calls, levers=levers, calls=source, table=table)
        for note in checked.notes:
            print_warning(note)
        if o.summed:
            summed = summarise_scope(ch, book, source, checked.scope)
            relation = summed.groups
        else:
            summed, relation = None, price_scope(ch, book, source, checked.scope, every_column=o.every_column)
        confirm_in_scope(store, relation, checked)
        yield ScopeContext(store, book, cfg, relation, None, checked.scope, checked.levers, summed)


def _pricing_step(store: Store, scope: Scope) -> str:
    """`pricing 240,000 calls…` (the count when the scope can be counted on the stored calls)."""
    import duckdb

    try:
        calls = store.query(f"SELECT count(*) FROM calls WHERE {scope.where_literal()}")[0][0]
    except duckdb.Error:  # a filter on a priced column (model_id)
        return "pricing the calls in scope…"
    return f"pricing {calls:,} call{'s' if calls != 1 else ''}…"


def _env_debug() -> bool:
    return os.environ.get("LLMCOST_DEBUG", "").strip().lower() not in ("", "0", "false", "no", "off")


def set_debug(flag: bool) -> None:
    _debug.set(flag or _env_debug())


def debug_enabled() -> bool:
    """--debug on this command, or LLMCOST_DEBUG=1 (honoured even before a command parses it)."""
    return _debug.get() or _env_debug()


def console(stderr: bool = False) -> Console:
    """The console every command prints with: no markup, no emoji codes, control characters
    made visible and characters the stream cannot encode written in ASCII (render.rich_safe)."""
    from llmcost.render.rich_safe import make_console

    return make_console(stderr=stderr)


def is_interrupt(e: BaseException) -> bool:
    """Ctrl-C: Python's KeyboardInterrupt, or DuckDB's "Query interrupted" mid-query."""
    name = type(e).__name__
    first = (str(e).strip().splitlines() or [name])[0]
    return isinstance(e, KeyboardInterrupt) or name == "InterruptException" or (
        isinstance(e, RuntimeError) and first.lower() == "query interrupted")


def wrap_unexpected(e: BaseException) -> LlmcostError | None:
    """A DuckDB or operating-system failure that escaped the code that knows its context, as one
    paragraph with a hint; None for anything else (a bug: its traceback is the report)."""
    from llmcost.errors import Interrupted

    name = type(e).__name__
    first = (str(e).strip().splitlines() or [name])[0]
    if is_interrupt(e):  # a load in progress says so itself (`load_files`)
        return Interrupted("Interrupted.")
    if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        from llmcost.store import explain_failure

        store_problem = explain_failure(e, os.environ.get("LLMCOST_DB") or "the store")
        if store_problem is not None:  # no space, no permission, a damaged store: say which
            return store_problem
        if name == "OutOfMemoryException":
            limit = os.environ.get("LLMCOST_MEMORY_LIMIT", "1GB")
            return LlmcostError(f"DuckDB ran out of memory (LLMCOST_MEMORY_LIMIT={limit}): {first}",
                                "Raise the limit, e.g. LLMCOST_MEMORY_LIMIT=4GB, or narrow the scope "
                                "with --since/--until or fewer files.")
        if name == "IOException":
            return LlmcostError(f"DuckDB could not read or write a file: {first}",
                                "Check free disk space and the permissions of the store (--db) and "
                                "of the temp folder.")
        return LlmcostError(f"DuckDB failed: {first}",
                            "This is likely a bug in llmcost: rerun with --debug (or LLMCOST_DEBUG=1) "
                            "and report the traceback.")
    if isinstance(e, MemoryError):
        return LlmcostError("Out of memory.", "Narrow the scope with --since/--until or fewer files.")
    if isinstance(e, OSError):
        where = f" {e.filename}" if e.filename else ""
        return LlmcostError(f"Could not read or write{where}: {e.strerror or first}.",
                            "Check the path, its permissions and the free disk space.")
    return None


def print_warning(message: str) -> None:
    """One warning paragraph on stderr (it may quote a path: shown as plain text)."""
    from rich.text import Text

    from llmcost.render.safe_text import visible

    text = Text("Warning: ", style="bold yellow")
    text.append(visible(message, keep_newlines=True).replace("\n", "\n  "))
    console(stderr=True).print(text, soft_wrap=True)


def print_error(e: LlmcostError) -> None:
    from rich.text import Text

    from llmcost.render.safe_text import visible

    def paragraph(s: str) -> str:  # it quotes paths and log text: shown as text, lines indented
        return visible(s, keep_newlines=True).replace("\n", "\n  ")

    text = Text("Error: ", style="bold red")
    text.append(paragraph(e.message))
    if e.hint:
        text.append("\n  " + paragraph(e.hint))
    console(stderr=True).print(text, soft_wrap=True)


def show(renderable: RenderableType) -> None:
    console().print(renderable)


def print_text(text: str) -> None:
    """Text as it is (JSON, Markdown, YAML, a summary line), with any control character made
    visible (the renderers have escaped outside text already; this is the last guard); on a stream
    that cannot encode a character, that character in ASCII (`→` as `->`), never a
    UnicodeEncodeError."""
    from llmcost.render.safe_text import ascii_fallback, can_encode, visible

    text = visible(text, keep_newlines=True)
    if not can_encode(text, sys.stdout):
        text = ascii_fallback(text, getattr(sys.stdout, "encoding", None) or "ascii")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def parse_map(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        if "=" not in v:
            raise UsageError(f"--map {v}: expected COLUMN=FIELD.",
                             "For example --map ContextTokens=input_tokens.")
        col, fld = v.rsplit("=", 1)
        if not col.strip() or not fld.strip():
            raise UsageError(f"--map {v}: expected COLUMN=FIELD.",
                             "For example --map ContextTokens=input_tokens.")
        out[col.strip()] = fld.strip()
    from llmcost.schema import mappable_fields

    known = mappable_fields()
    for col, fld in out.items():  # checked here, not only when a file is read (it may be stored)
        if fld not in known:
            raise UsageError(f"--map {col}={fld}: {fld} is not a field llmcost knows.",
                             "Fields: " + ", ".join(sorted(known)) + ".")
    return out


def ingest_options(source: str | None, mapping: list[str] | None, models: list[str] | None,
                   start: str | None, excludes: bool | None,
                   max_expanded: str | None = None) -> IngestOptions:
    from llmcost.ingest import IngestOptions
    from llmcost.ingest.base import MAX_EXPANDED_BYTES
    from llmcost.ingest.files import MAX_EXPANDED_ENV, parse_byte_size
    from llmcost.scope import parse_time, split_values

    cap: int | None = MAX_EXPANDED_BYTES
    if max_expanded is not None:
        cap = parse_byte_size(max_expanded, "--max-expanded")
    elif os.environ.get(MAX_EXPANDED_ENV, "").strip():
        cap = parse_byte_size(os.environ[MAX_EXPANDED_ENV], MAX_EXPANDED_ENV)

    model_values = split_values(models)
    start_dt: datetime | None = parse_time(start, "--start") if start else None
    return IngestOptions(
        source=source,
        column_map=parse_map(mapping),
        model=model_values[0] if len(model_values) == 1 else None,
        start=start_dt,
        input_excludes_cache=excludes,
        max_expanded=cap,
    )


def load_files(store: Store, files: list[str], options: IngestOptions,
               quiet: bool, warn_failed: bool = True) -> IngestResult:
    """Ingest with one transient progress display on a terminal (nothing when piped, with JSON
    or Markdown, or --quiet). Files that failed to load make the command exit 1 once its result
    is printed (`failed_files`); with `warn_failed` (a command whose output does not list them)
    they are named on stderr as well."""
    from llmcost.cli import progress
    from llmcost.errors import Interrupted
    from llmcost.ingest import ingest_files

    try:
        with progress.files(table=not quiet) as shown:
            result = ingest_files(store, files, options, progress=shown)
    except (Exception, KeyboardInterrupt) as e:
        if is_interrupt(e):  # only here is a file being loaded (each file loads in one transaction)
            raise Interrupted("Interrupted; the file being loaded was rolled back, the store is as "
                              "before.") from e
        raise
    if result.failed:
        _failed_files.set(len(result.failed))
        if warn_failed:
            from llmcost.render import words

            head, lines = words.failed_files(result)
            left_out = " (left out of what follows)"
            head = head[:-1] + left_out + ":" if lines else head + left_out
            print_warning("\n".join([head, *lines]))
    return result


_failed_files: ContextVar[int] = ContextVar("llmcost_failed_files", default=0)


def failed_files() -> int:
    """How many files this command could not load (it exits 1 when any)."""
    return _failed_files.get()


def reset_failed_files() -> None:
    _failed_files.set(0)


def check_format(fmt: OutputFormat, command: str, *offered: OutputFormat) -> None:
    """At the top of a command, before anything is read or computed: the format is one the command
    writes (`emit` would refuse it only after the work)."""
    if fmt not in offered:
        raise UsageError(f"llmcost {command} has no {fmt.value} output.",
                         "Use --format " + " or ".join(f.value for f in offered) + ".")


def emit(fmt: OutputFormat, table: Callable[[], Any], json: Callable[[], dict[str, Any]],
         markdown: Callable[[], str] | None = None) -> None:
    """Render a result in the chosen format; only the chosen renderer runs."""
    if fmt is OutputFormat.json:
        from llmcost.render.json_out import dumps
        from llmcost.render.safe_text import can_encode

        doc = json()
        text = dumps(doc)
        if not can_encode(text, sys.stdout):  # an ASCII stream (or lone surrogates): \u escapes
            text = dumps(doc, ensure_ascii=True)
        print_text(text)
    elif fmt is OutputFormat.markdown:
        if markdown is None:
            raise UsageError("This command has no Markdown output.", "Use --format table or json.")
        print_text(markdown())
    else:
        show(table())


def examples(*lines: str) -> str:
    """A command's "Examples:" epilog: each command line kept as written (click's `\\b` marker stops
    it rewrapping them). tests/test_help.py runs every line against a small store."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
