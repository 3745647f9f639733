"""The calls in scope, priced inside ClickHouse (`--db chdb://PATH` or `clickhouse://…`,
`--table NAME`): what `cli.common.priced_scope` gives a command over a DuckDB store, built where
the calls are. The price tables are loaded into the ClickHouse session (`pricing.clickhouse`).
`analyze` prices the calls in scope as sums (`summarise_scope`, `pricing.grouped`): one grouped
pass into a small session table whose rows are priced like calls, and each call priced by its
price class where calls are read one by one; the report code (`report.analysis`,
`report.time_series`) runs its DuckDB SQL over these through the connection, which renders each
query; only aggregated rows come back.

The table holds the canonical columns (DESIGN §3), or is a layout llmcost maps (Langfuse's
`observations`, Helicone's `request_response_rmt`).

The other commands (and `analyze --as-of`) price every call in scope once (`priced_sql`
rendered for ClickHouse) into a session table (`price_scope`; every priced column, `every_column`):
`check` (`report.check`), `simulate` and `recommend` (the levers' SQL, each step a session table
or subquery), `report`. Before pricing, the filter values, dates and lever scopes are checked
against the table's calls (`scope_check.check_request` over `scope_source`), as over a DuckDB
store: a misspelt value is an error naming the nearest values. What it does not do (yet): FILES
(a ClickHouse table is not loaded from files here); priced calls kept between runs (every run
prices the scope once); the near-duplicate cache and eval files (see docs/scale.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, cast

from llmcost.errors import UsageError
from llmcost.pricing import clickhouse as ch_pricing
from llmcost.pricing.book import PriceBook
from llmcost.scope import Scope
from llmcost.store import Store
from llmcost.store_clickhouse import ClickHouse

if TYPE_CHECKING:
    from llmcost.pricing.grouped import SummedScope
    from llmcost.report.reprice import Repricing

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


PRICED = "llmcost_ch_priced_scope"
AS_OF = "llmcost_ch_priced_as_of"  # not analysis.PRICED: that name reads the DuckDB rollup
# the columns of the priced calls that `report.analysis.analyze_calls` reads
ANALYZED = ("call_id", "ts", "provider", "model", "model_id", "task_type", "feature", "tenant",
            "conversation_id", "input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
            "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "service_tier", "status",
            "web_search_requests", "logged_cost_usd", "period_key", "unpriced_reason", "tier_priced",
            "web_search_unpriced", "cost_input", "cost_cache_read", "cost_cache_write", "cost_output",
            "cost_other", "cost_usd")


def check_table_name(table: str | None, url: str) -> str:
    if not table:
        raise UsageError(f"--db {url} is a ClickHouse database: name the table of calls there with "
                         f"--table NAME (`llmcost analyze --db {url} --table NAME`).",
                         "For example --table calls (a table with the canonical columns of DESIGN §3).")
    if not _TABLE_NAME.match(table):
        raise UsageError(f"--table {table}: expected a table name (NAME or DATABASE.NAME).",
                         "For example --table calls or --table logs.calls.")
    return table


LAYOUT = "llmcost_layout_calls"


def calls_table(ch: ClickHouse, table: str) -> str:
    """The table to read as canonical calls: `table` itself, or, for a log layout llmcost knows
    (Langfuse's `observations`, Helicone's `request_response_rmt`: `ingest.ch_langfuse`,
    `ingest.ch_helicone`), its mapping registered on the connection under LAYOUT."""
    from llmcost.ingest import ch_helicone, ch_langfuse

    columns = ch.columns(table)
    for layout in (ch_langfuse, ch_helicone):
        if layout.detect(columns):
            ch.register_layout(LAYOUT, layout.select(table, columns))
            return LAYOUT
    return table


def scope_source(ch: ClickHouse, table: str) -> str:
    """The canonical calls of `table` (a relation on the connection, kept as `ch.calls_source`):
    what the filters and lever scopes are checked against (`scope_check.check_request`)."""
    source = ch_pricing.canonical_source(ch, calls_table(ch, table))
    ch.calls_source = source
    return source


def price_scope(ch: ClickHouse, book: PriceBook, source: str, scope: Scope, every_column: bool = False) -> str:
    """Load the price tables into the session and price the calls of `source` in `scope` into a
    session table (its name returned)."""
    ch_pricing.prepare_pricing(ch, book, source)
    return _priced_into(ch, PRICED, source, scope, None, every_column)


def summarise_scope(ch: ClickHouse, book: PriceBook, source: str, scope: Scope) -> SummedScope:
    """Load the price tables into the session and price the calls of `source` in `scope` as sums
    (`pricing.grouped`): one grouped pass over the table (per provider, feature, task type and
    price class) into a small session table whose rows are priced like calls, and each price
    class's prices, which price a call with one hash join where calls are read one by one;
    instead of every call priced by the range joins into a session table."""
    from llmcost.pricing import grouped
    from llmcost.pricing.engine import MODEL_MAP, priced_sql

    ch_pricing.prepare_pricing(ch, book, source)
    cuts = grouped.find_cuts(cast(Store, ch), source)
    if scope.models:  # a --model filter also matches the book id a logged name resolves to
        source = (f"(SELECT c.* EXCLUDE (model_id), mm.mapped_id AS model_id FROM {source} c LEFT JOIN "
                  f"(SELECT model AS logged_model, model_id AS mapped_id FROM {MODEL_MAP}) mm "
                  "ON mm.logged_model = c.model)")
    where = scope.where_literal(held=False)
    priced = f"({priced_sql(grouped.grouped_sql(source, where, grouped.GROUP_DIMS, cuts), lc_tokens='lc_tokens')})"
    for name, select in ((GROUPS, f"SELECT * FROM {priced}"), (CLASSES, grouped.classes_sql(GROUPS, cuts))):
        ch.native(f"DROP TEMPORARY TABLE IF EXISTS {name}")
        ch.query(f"CREATE TEMP TABLE {name} AS {select}")
    return grouped.SummedScope(GROUPS, f"({grouped.summed_sql(GROUPS, grouped.ROLLUP_BY)})",
                               grouped.priced_calls_sql(source, where, CLASSES, cuts,
                                                        grouped.varying_keys(cast(Store, ch), CLASSES, cuts)))


GROUPS = "llmcost_ch_priced_groups"
CLASSES = "llmcost_ch_price_classes"


def reprice_clickhouse(ch: ClickHouse, table: str, scope: Scope, call_time: str,
                       as_of: datetime) -> tuple[str, Repricing]:
    """`analyze --as-of` inside ClickHouse (`report.reprice.reprice_scope`): the call-time figures
    from `call_time`, and the same calls priced at `as_of` (the price tables are loaded)."""
    from llmcost.report.reprice import call_time_figures

    repricing = call_time_figures(cast(Store, ch), call_time, as_of)
    source = ch_pricing.canonical_source(ch, calls_table(ch, table))
    return _priced_into(ch, AS_OF, source, scope, as_of), repricing


def _priced_into(ch: ClickHouse, name: str, source: str, scope: Scope, as_of: datetime | None,
                 every_column: bool = False) -> str:
    # priced once into a session table of the columns the analysis reads: its passes (the grouped
    # one, tenants, conversations, the top calls) then scan that instead of pricing again each
    ch.native(f"DROP TEMPORARY TABLE IF EXISTS {name}")
    ch.query(f"CREATE TEMP TABLE {name} AS SELECT {'*' if every_column else ', '.join(ANALYZED)} "
             f"FROM {ch_pricing.priced_relation(source, as_of)} WHERE {scope.where_literal(held=False)}")
    return name
