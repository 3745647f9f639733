"""Pricing calls in DuckDB: the price book becomes four small tables, and pricing is a join.

Rules (DESIGN §5, provider-facts.md):
- A call is priced by the period of its model in force at its `ts` (`effective_from <= ts <
  effective_to`); a call without a time takes the latest period (and the output says so).
- Components: uncached input, cache read, cache write 5m and 1h, output (reasoning included),
  non-token charges (web search) where the book has a price.
- Long context is all-or-nothing: when input INCLUDING cache tokens is greater than the threshold,
  every component of the request moves to the tier's prices (missing tier components scale with
  the input price).
- Service tiers (batch, flex, priority): explicit prices where the book has them; components they
  do not list, and tiers without explicit prices, take the standard price × the provider's tier
  multiplier, which therefore stacks multiplicatively with cache prices. A provider with neither
  has no such tier: the call is priced at standard and reported.
- Multipliers on every token component: platform aliases (Bedrock cross-region +10 %), the
  provider's `inference_geo` / `speed` multipliers for the models that list them, negotiated
  discounts from an overlay.
- Off-peak windows (DeepSeek) by the call's UTC time of day and weekday.
- Money is exact: DECIMAL all the way, USD with 21 decimal places before any rounding.
- Calls with `billed` false cost nothing; calls whose model the book does not know are unpriced
  (cost NULL, listed), never $0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from llmcost.pricing.book import TIERS, TOKEN_PRICES, Model, Period, PriceBook
from llmcost.sql_quoting import sql_str

PERIODS = "llmcost_price_periods"
ROWS = "llmcost_price_rows"
MULTS = "llmcost_price_multipliers"
MODEL_MAP = "llmcost_model_map"

COST_COLUMNS = ("cost_input", "cost_cache_read", "cost_cache_write", "cost_output", "cost_other")


@dataclass
class Segment:
    """A stretch of a period with one discount factor (discounts split periods at their dates)."""

    model: Model
    period: Period
    start: datetime
    end: datetime | None
    discount: Decimal
    latest: bool


def _segments(book: PriceBook, model: Model) -> list[Segment]:
    out: list[Segment] = []
    discounts = [d for d in book.discounts
                 if d.model in (model.id, *model.aliases) or (d.provider == model.provider and not d.model)]
    for i, p in enumerate(model.periods):
        cuts = {p.effective_from}
        for d in discounts:
            for t in (d.effective_from, d.effective_to):
                if t and t > p.effective_from and (p.effective_to is None or t < p.effective_to):
                    cuts.add(t)
        starts = sorted(cuts)
        for j, s in enumerate(starts):
            e = starts[j + 1] if j + 1 < len(starts) else p.effective_to
            factor = Decimal(1)
            for d in discounts:
                if (d.effective_from is None or d.effective_from <= s) and (
                        d.effective_to is None or s < d.effective_to):
                    factor *= 1 - d.percent / 100
            out.append(Segment(model, p, s, e, factor,
                               latest=(i == len(model.periods) - 1 and j == len(starts) - 1)))
    return out


def _fill(prices: dict[str, Decimal], like: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Complete a price set: no cache-read price = input; no write premium = input; a missing
    1h write = the 5m write. With `like` (the standard set), missing components scale by
    input/like.input."""
    p = dict(prices)
    if like is not None and "input" in p and like.get("input"):
        ratio = p["input"] / like["input"]
        for k in TOKEN_PRICES:
            if k not in p and k in like:
                p[k] = like[k] * ratio
    p.setdefault("cache_read", p["input"])
    p.setdefault("cache_write_5m", p["input"])
    p.setdefault("cache_write_1h", p["cache_write_5m"])
    return p


def price_set(book: PriceBook, seg: Segment, tier: str, long_context: bool,
              off_peak: bool) -> tuple[dict[str, Decimal], bool]:
    """The $/MTok of every component for one situation; and whether the tier exists."""
    period = seg.period
    base = _fill(period.prices)
    comps = _fill(period.long_context, base) if long_context else base
    if off_peak and period.off_peak is not None:
        op = period.off_peak
        comps = _fill(op.prices, comps) if op.prices else {k: v * op.multiplier for k, v in comps.items()
                                                           if op.multiplier is not None}
    tier_ok = True
    if tier != "standard":
        provider = book.providers.get(seg.model.provider)
        mult = provider.service_tiers.get(tier) if provider else None
        explicit = (period.long_context_tiers.get(tier) if long_context else None) or \
            (period.tiers.get(tier) if not long_context else None)
        if explicit:
            ratio = mult if mult is not None else (
                explicit["input"] / comps["input"] if "input" in explicit and comps["input"] else Decimal(1))
            comps = {k: explicit.get(k, comps[k] * ratio) for k in TOKEN_PRICES}
        elif long_context and period.tiers.get(tier) and mult is None:
            t = period.tiers[tier]
            ratio = t["input"] / base["input"] if "input" in t and base["input"] else Decimal(1)
            comps = {k: v * ratio for k, v in comps.items()}
        elif mult is not None:
            comps = {k: v * mult for k, v in comps.items()}
        else:
            tier_ok = False
    return comps, tier_ok


def _multiplier_rows(book: PriceBook) -> list[tuple[str, str, str, Decimal]]:
    rows = []
    for m in book.models.values():
        provider = book.providers.get(m.provider)
        for column in m.multiplier_columns:
            values = m.model_multipliers.get(column) or (provider.multipliers.get(column) if provider else None)
            for value, factor in (values or {}).items():
                rows.append((m.id, column, value, factor))
    return rows


# the price tables' columns, in DuckDB's types (the ClickHouse engine maps them:
# llmcost.pricing.clickhouse)
PERIODS_COLUMNS = """period_key INTEGER, model_id VARCHAR, provider VARCHAR, effective_from TIMESTAMP,
        effective_to TIMESTAMP, is_latest BOOLEAN, lc_threshold BIGINT, op_mode VARCHAR,
        op_windows STRUCT(s INTEGER, e INTEGER)[], op_weekdays INTEGER[],
        web_search_per_1k DECIMAL(18,9), source VARCHAR, checked VARCHAR, note VARCHAR,
        overlay VARCHAR, discount DECIMAL(12,6), period_from TIMESTAMP"""
ROWS_COLUMNS = """period_key INTEGER, service_tier VARCHAR, long_context BOOLEAN, off_peak BOOLEAN,
        p_input DECIMAL(18,9), p_output DECIMAL(18,9), p_cache_read DECIMAL(18,9),
        p_cache_write_5m DECIMAL(18,9), p_cache_write_1h DECIMAL(18,9), tier_priced BOOLEAN"""
MULTS_COLUMNS = "model_id VARCHAR, kind VARCHAR, value VARCHAR, factor DECIMAL(12,6)"
MODEL_MAP_COLUMNS = "model VARCHAR, model_id VARCHAR, alias_mult DECIMAL(12,6), platform VARCHAR"


def price_table_rows(book: PriceBook) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """The price tables of the book: name -> (columns, rows); a few thousand rows."""
    periods: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    key = 0
    for model in book.models.values():
        for seg in _segments(book, model):
            key += 1
            p = seg.period
            op = p.off_peak
            periods.append((
                key, model.id, model.provider, seg.start, seg.end, seg.latest,
                p.long_context_threshold,
                op.mode if op else None,
                [{"s": a, "e": b} for a, b in op.windows] if op else None,
                op.weekdays if op and op.weekdays else None,
                p.other.get("web_search_per_1k"), p.source, p.checked, p.note, p.overlay,
                seg.discount, p.effective_from))
            for tier in TIERS:
                for lc in ([False, True] if p.long_context_threshold else [False]):
                    for off in ([False, True] if op else [False]):
                        comps, ok = price_set(book, seg, tier, lc, off)
                        rows.append((key, tier, lc, off, *[comps[k] for k in TOKEN_PRICES], ok))
    return {PERIODS: (PERIODS_COLUMNS, periods), ROWS: (ROWS_COLUMNS, rows),
            MULTS: (MULTS_COLUMNS, _multiplier_rows(book))}


def load_price_tables(con: duckdb.DuckDBPyConnection, book: PriceBook) -> None:
    """(Re)create the price tables on this connection from the book (a few thousand rows)."""
    for table, (columns, rows) in price_table_rows(book).items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
        insert_values(con, table, rows)


def model_map_rows(book: PriceBook, names: list[str]) -> list[tuple[str, str, Decimal, str | None]]:
    """The logged model names `names` resolved to book ids (unknown names left out), and every
    book id to itself."""
    index = book.alias_index()
    from llmcost.pricing.book import name_candidates

    mapped: list[tuple[str, str, Decimal, str | None]] = [
        (m.id, m.id, Decimal(1), None) for m in book.models.values() if m.id not in names]
    for name in names:
        for candidate in name_candidates(name):
            if candidate in index:
                mid, mult, platform = index[candidate]
                mapped.append((name, mid, mult, platform))
                break
    return mapped


def load_model_map(con: duckdb.DuckDBPyConnection, book: PriceBook, source: str) -> None:
    """Resolve each DISTINCT logged model name of `source` once (a handful, not rows); every book
    id maps to itself too, so scenarios can move calls to any model of the book."""
    if getattr(con, "is_clickhouse", False):  # the same table inside ClickHouse (issue 17)
        from llmcost.pricing import clickhouse as ch_pricing

        ch_pricing.load_model_map(con, book, source)  # type: ignore[arg-type]
        return
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT model FROM {source} WHERE model IS NOT NULL").fetchall()]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {MODEL_MAP} ({MODEL_MAP_COLUMNS})")
    insert_values(con, MODEL_MAP, model_map_rows(book, names))


def sql_literal(v: Any) -> str:
    """A SQL literal for a price-book value (numbers, dates, text, lists of them)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, datetime):
        return f"TIMESTAMP '{v.isoformat(sep=' ')}'"
    if isinstance(v, list):
        return "[" + ", ".join(sql_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"'{k}': {sql_literal(x)}" for k, x in v.items()) + "}"
    return sql_str(str(v))


def insert_values(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """One INSERT for a few thousand book rows (executemany is ~20x slower in DuckDB)."""
    for i in range(0, len(rows), 2000):
        chunk = rows[i:i + 2000]
        values = ", ".join("(" + ", ".join(sql_literal(v) for v in row) + ")" for row in chunk)
        con.execute(f"INSERT INTO {table} VALUES {values}")


def _minute_of_day(ts: str) -> str:
    return f"(hour({ts}) * 60 + minute({ts}))"


def _in_windows(ts: str) -> str:
    # written so that sqlglot renders it for ClickHouse too (llmcost.pricing.clickhouse):
    # array_length(list_filter(...)) > 0 rather than list_bool_or(list_transform(...)), which
    # it has no ClickHouse form for
    m = _minute_of_day(ts)
    return (f"(array_length(list_filter(per.op_windows, lambda w: CASE WHEN w.s <= w.e "
            f"THEN {m} >= w.s AND {m} < w.e ELSE {m} >= w.s OR {m} < w.e END)) > 0)")


def priced_sql(source: str, as_of: datetime | None = None, lc_tokens: str = "input_tokens") -> str:
    """SELECT every column of `source` (a relation with the canonical call columns), the resolved
    `model_id`, the prices used, the cost of each component in USD (DECIMAL(38,21)) and their sum
    `cost_usd`; cost columns are NULL for unpriced calls, with `unpriced_reason` saying why.
    `as_of`: every call takes the period in force at that instant instead of at its own time
    (repricing; off-peak windows still follow the call's time of day). `lc_tokens`: the column
    compared with the long-context threshold (a row of summed calls, `pricing.grouped`, gives one
    of its calls' input: the token columns are then sums)."""
    ts = "c.ts"
    at = sql_literal(as_of) if as_of is not None else "c.ts"
    in_force = (f"({at} >= per.effective_from AND (per.effective_to IS NULL OR {at} < per.effective_to))"
                if as_of is not None else
                "((c.ts IS NULL AND per.is_latest) OR (c.ts >= per.effective_from "
                "AND (per.effective_to IS NULL OR c.ts < per.effective_to)))")
    no_price = (f"'no price in force on {as_of.isoformat(sep=' ')}'" if as_of is not None
                else "'no price in force at the call''s time'")
    # no weekdays = every day; tested as an empty list too, which is how ClickHouse holds a NULL
    # array (its arrays are never NULL)
    off_peak = (
        f"CASE WHEN per.op_mode IS NULL OR {ts} IS NULL THEN false "
        f"WHEN per.op_mode = 'offpeak' THEN coalesce({_in_windows(ts)}, false) "
        f"AND (coalesce(array_length(per.op_weekdays), 0) = 0 "
        f"OR list_contains(per.op_weekdays, isodow({ts}))) "
        f"ELSE NOT (coalesce({_in_windows(ts)}, false) "
        f"AND list_contains(per.op_weekdays, isodow({ts}))) END")
    # multipliers have a few decimals each; their product is formed in DOUBLE (a chain of DECIMAL
    # products widens to 128-bit arithmetic, 30x slower) and rounded back to 6 decimals, which is
    # exact for products of up to 6 decimal places (1.1 x 6 x 0.8 = 5.28). The rounding is to
    # whole millionths first (round(x * 1e6), an integer-valued DOUBLE, converts exactly): a cast
    # of a DOUBLE to DECIMAL rounds in DuckDB but truncates in ClickHouse (5.2799999… -> 5.279999)
    product = ("CAST(coalesce(mm.alias_mult, 1) AS DOUBLE) * CAST(coalesce(g.factor, 1) AS DOUBLE) "
               "* CAST(coalesce(s.factor, 1) AS DOUBLE) * CAST(coalesce(per.discount, 1) AS DOUBLE)")
    mult = (f"CAST(CAST(round(({product}) * 1000000) AS DECIMAL(18,0)) * CAST(0.000001 AS DECIMAL(7,6)) "
            "AS DECIMAL(12,6))")
    # the price tables are joined as subqueries whose columns do not share a name with the calls'
    # (`logged_model`, `row_tier`, no `provider`): ClickHouse names a column of `c.*` that another
    # table of a 3-way join also has `c.model`, not `model` (llmcost.pricing.clickhouse)
    costs = component_costs("f", "r", "f._mult", "f.web_search_per_1k", "r.row_period_key IS NULL")
    return f"""
    SELECT *, {cost_total_sql()} AS cost_usd FROM (
    WITH c AS (
        SELECT * EXCLUDE (model_id) FROM {source}
    ), m AS (
        SELECT c.*, mm.model_id AS model_id, mm.platform AS price_platform,
               per.period_key, per.lc_threshold, per.web_search_per_1k, per.is_latest,
               ({off_peak}) AS off_peak,
               (per.lc_threshold IS NOT NULL AND c.{lc_tokens} > per.lc_threshold) AS long_context,
               {mult} AS _mult
        FROM c
        LEFT JOIN (SELECT model AS logged_model, model_id, alias_mult, platform FROM {MODEL_MAP}) mm
             ON mm.logged_model = c.model
        LEFT JOIN (SELECT * EXCLUDE (provider) FROM {PERIODS}) per ON per.model_id = mm.model_id
             AND {in_force}
        LEFT JOIN {MULTS} g ON g.model_id = mm.model_id AND g.kind = 'inference_geo'
             AND g.value = lower(c.inference_geo)
        LEFT JOIN {MULTS} s ON s.model_id = mm.model_id AND s.kind = 'speed' AND s.value = lower(c.speed)
    ), f AS (SELECT * FROM m)
    SELECT f.* EXCLUDE (_mult), f._mult AS price_multiplier,
           r.p_input, r.p_output, r.p_cache_read, r.p_cache_write_5m, r.p_cache_write_1h,
           r.tier_priced,
           CASE WHEN f.model IS NULL THEN 'the log names no model (name it with --model NAME)'
                WHEN f.model_id IS NULL THEN 'model not in the price book'
                WHEN f.period_key IS NULL THEN {no_price}
           END AS unpriced_reason,
           {', '.join(f'{e} AS {k}' for k, e in costs.items())},
           (f.web_search_requests > 0 AND f.web_search_per_1k IS NULL) AS web_search_unpriced
    FROM f
    LEFT JOIN (SELECT period_key AS row_period_key, service_tier AS row_tier, long_context AS row_lc,
                      off_peak AS row_off_peak, * EXCLUDE (period_key, service_tier, long_context, off_peak)
               FROM {ROWS}) r
         ON r.row_period_key = f.period_key AND r.row_tier = f.service_tier
         AND r.row_lc = f.long_context AND r.row_off_peak = f.off_peak)
    """


def component_costs(calls: str, prices: str, mult: str, web_search_per_1k: str, unpriced: str) -> dict[str, str]:
    """The cost of each component in USD (`COST_COLUMNS` -> SQL), exact DECIMAL(38,21): the
    tokens of the row `calls` (and its `billed`), the prices of the row `prices` (`p_input`…),
    the multiplier `mult`, the web-search price `web_search_per_1k`; NULL where `unpriced`."""
    charge = f"CASE WHEN {calls}.billed THEN 1 ELSE 0 END"
    micro = "CAST(0.000001 AS DECIMAL(7,6))"

    def cost(tokens: str, price: str) -> str:
        return (f"CASE WHEN {unpriced} THEN NULL ELSE "
                f"CAST({tokens} AS DECIMAL(38,0)) * {prices}.{price} * {mult} * {charge} * {micro} END")

    c = calls
    uncached = (f"({c}.input_tokens - {c}.cache_read_tokens - {c}.cache_write_5m_tokens "
                f"- {c}.cache_write_1h_tokens)")
    return {
        "cost_input": cost(uncached, "p_input"),
        "cost_cache_read": cost(f"{c}.cache_read_tokens", "p_cache_read"),
        "cost_cache_write": (
            f"CASE WHEN {unpriced} THEN NULL ELSE "
            f"(CAST({c}.cache_write_5m_tokens AS DECIMAL(38,0)) * {prices}.p_cache_write_5m "
            f"+ CAST({c}.cache_write_1h_tokens AS DECIMAL(38,0)) * {prices}.p_cache_write_1h) "
            f"* {mult} * {charge} * {micro} END"),
        "cost_output": cost(f"{c}.output_tokens", "p_output"),
        "cost_other": (
            f"CASE WHEN {unpriced} THEN NULL "
            f"ELSE CAST(coalesce({c}.web_search_requests, 0) AS DECIMAL(38,0)) "
            f"* coalesce({web_search_per_1k}, 0) * {charge} * CAST(0.001 AS DECIMAL(4,3)) END"),
    }


def cost_total_sql(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return " + ".join(f"{p}{c}" for c in COST_COLUMNS)


def prepare_pricing(con: duckdb.DuckDBPyConnection, book: PriceBook, source: str) -> None:
    if getattr(con, "is_clickhouse", False):  # the same tables inside ClickHouse (issue 17)
        from llmcost.pricing import clickhouse as ch_pricing

        ch_pricing.prepare_pricing(con, book, source)  # type: ignore[arg-type]
        return
    load_price_tables(con, book)
    load_model_map(con, book, source)
