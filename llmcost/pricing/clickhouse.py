"""Pricing inside ClickHouse: the same price tables and the same range join as in DuckDB
(`llmcost.pricing.engine`), created and run where the calls are; only aggregates come back.

- The price tables are the engine's rows (`price_table_rows`, `model_map_rows`) in ClickHouse
  TEMPORARY tables (session-scoped: the log's database is only read). Their DuckDB column types
  map to ClickHouse ones here (`clickhouse_type`): every column Nullable (ClickHouse columns are
  not, by default), arrays never (an absent list is an empty array, which the pricing SQL reads
  like NULL), `TIMESTAMP` -> `DateTime64(6, 'UTC')`.
- The pricing SELECT is `engine.priced_sql`, rendered for ClickHouse by sqlglot
  (`store_clickhouse.to_clickhouse`): one SQL source, not two.
- Money is exact, as in DuckDB: prices are `Decimal(18,9)` $/MTok and multipliers
  `Decimal(12,6)`, tokens are cast to `Decimal(38,0)`, so a component is
  Decimal(38,0) × Decimal(18,9) × Decimal(12,6) × Decimal(7,6) = scale 9+6+6 = 21, 38 digits:
  ClickHouse adds the scales of a product (as DuckDB does) and keeps 128 bits when one factor is
  128-bit, leaving 17 integer digits, i.e. $10^17 per call or per sum. The factors are cast
  to their types before they meet, never multiplied as two wide decimals (Decimal(38,21) ×
  Decimal(38,21) would need scale 42). Book values with more decimals than their column are
  rounded half up in Python before they are inserted, as DuckDB rounds a literal (a ClickHouse
  cast would truncate).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MODEL_MAP, MODEL_MAP_COLUMNS, model_map_rows, price_table_rows, priced_sql
from llmcost.schema import CALL_COLUMNS
from llmcost.sql_quoting import sql_str
from llmcost.store_clickhouse import ClickHouse

_SCALAR = {"VARCHAR": "String", "INTEGER": "Int32", "BIGINT": "Int64", "UBIGINT": "UInt64",
           "BOOLEAN": "Bool", "DOUBLE": "Float64", "TIMESTAMP": "DateTime64(6, 'UTC')", "DATE": "Date"}


def clickhouse_type(duckdb_type: str) -> str:
    """A column type of the price tables or the canonical schema, for ClickHouse."""
    t = duckdb_type.strip()
    not_null = t.upper().endswith(" NOT NULL")
    if not_null:
        t = t[:-len(" NOT NULL")].strip()
    if t.endswith("[]"):
        inner = t[:-2]
        if inner.upper().startswith("STRUCT("):
            fields = [f.strip().split() for f in inner[len("STRUCT("):-1].split(",")]
            return "Array(Tuple(" + ", ".join(f"{n} {_SCALAR[ty.upper()]}" for n, ty in fields) + "))"
        return f"Array({_SCALAR[inner.upper()]})"
    if m := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t, re.I):
        base = f"Decimal({m.group(1)}, {m.group(2)})"
    else:
        base = _SCALAR[t.upper()]
    return base if not_null else f"Nullable({base})"


def _split_columns(columns: str) -> list[tuple[str, str]]:
    """'a INTEGER, b STRUCT(s INTEGER, e INTEGER)[]' -> [(a, INTEGER), (b, STRUCT(...)[])]."""
    out, depth, cur = [], 0, ""
    for ch in columns + ",":
        if ch == "," and depth == 0:
            name, _, typ = cur.strip().partition(" ")
            out.append((name, typ.strip()))
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return out


def _value(v: Any, ch_type: str) -> str:
    """A ClickHouse literal for one price-table value of column type `ch_type`."""
    if v is None:
        return "[]" if ch_type.startswith("Array") else "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal) or (isinstance(v, int) and "Decimal" in ch_type):
        scale = int(re.search(r"Decimal\(\d+, (\d+)\)", ch_type).group(1))  # type: ignore[union-attr]
        return str(Decimal(v).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime):
        return sql_str(v.isoformat(sep=" "))
    if isinstance(v, list):
        return "[" + ", ".join(
            "(" + ", ".join(str(x) for x in item.values()) + ")" if isinstance(item, dict) else str(item)
            for item in v) + "]"
    return sql_str(str(v))


def create_table(ch: ClickHouse, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """(Re)create a session TEMPORARY table with DuckDB-typed `columns` and insert `rows`."""
    cols = [(n, clickhouse_type(t)) for n, t in _split_columns(columns)]
    ch.native(f"DROP TEMPORARY TABLE IF EXISTS {table}")
    ch.native(f"CREATE TEMPORARY TABLE {table} ({', '.join(f'{n} {t}' for n, t in cols)}) ENGINE = Memory")
    for i in range(0, len(rows), 2000):
        values = ", ".join("(" + ", ".join(_value(v, t) for v, (_, t) in zip(row, cols, strict=True)) + ")"
                           for row in rows[i:i + 2000])
        ch.native(f"INSERT INTO {table} VALUES {values}")


def load_price_tables(ch: ClickHouse, book: PriceBook) -> None:
    for table, (columns, rows) in price_table_rows(book).items():
        create_table(ch, table, columns, rows)


def load_model_map(ch: ClickHouse, book: PriceBook, source: str) -> None:
    names = [r[0] for r in ch.query(f"SELECT DISTINCT model FROM {source} WHERE model IS NOT NULL")]
    create_table(ch, MODEL_MAP, MODEL_MAP_COLUMNS, model_map_rows(book, names))


def canonical_source(ch: ClickHouse, table: str) -> str:
    """The calls of a ClickHouse table with the canonical columns (DESIGN §3) as a subquery in
    DuckDB SQL, with the defaults the store's loader gives them (`llmcost.ingest.load`): no
    service tier is `standard`, no status `ok`, no `billed` = the call is ok, no cache count 0;
    a column the table lacks is NULL (`model_id`, `source_file`… are optional), and a missing
    cache column 0."""
    have = ch.columns(table)
    if "model" not in have or "input_tokens" not in have or "output_tokens" not in have:
        from llmcost.errors import UsageError

        raise UsageError(f"--table {table}: it lacks the canonical columns model, input_tokens and "
                         f"output_tokens (its columns: {', '.join(list(have)[:10])}).",
                         "Give a table with the columns of DESIGN §3 (docs/scale.md).")
    status = "coalesce(status, 'ok')" if "status" in have else "'ok'"
    defaults = {
        "service_tier": "coalesce(service_tier, 'standard')" if "service_tier" in have else "'standard'",
        "status": status,
        "billed": f"coalesce(billed, {status} = 'ok')" if "billed" in have else f"({status} = 'ok')",
        **{n: f"coalesce({n}, 0)" if n in have else "0"
           for n in ("cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")},
    }
    parts = []
    for c in CALL_COLUMNS:
        typ = c.sql_type.replace(" NOT NULL", "")
        if c.name in defaults:
            parts.append(f"CAST({defaults[c.name]} AS {typ}) AS {c.name}")
        elif c.name in have:
            parts.append(c.name)
        elif typ.endswith("[]"):
            parts.append(f"CAST([] AS {typ}) AS {c.name}")
        else:
            parts.append(f"CAST(NULL AS {typ}) AS {c.name}")
    return f"(SELECT {', '.join(parts)} FROM {table})"


def prepare_pricing(ch: ClickHouse, book: PriceBook, source: str) -> None:
    load_price_tables(ch, book)
    load_model_map(ch, book, source)


def priced_relation(source: str, as_of: datetime | None = None) -> str:
    """The priced calls of `source` as a subquery, in DuckDB SQL (ClickHouse.query renders it)."""
    return f"({priced_sql(source, as_of)})"


def calls_table_ddl(table: str = "calls", engine: str = "MergeTree ORDER BY tuple()") -> str:
    """CREATE TABLE for a ClickHouse table with the canonical columns (DESIGN §3), every column
    but the three llmcost always sets Nullable."""
    cols = ", ".join(f"{c.name} {clickhouse_type(c.sql_type)}" for c in CALL_COLUMNS)
    return f"CREATE TABLE {table} ({cols}) ENGINE = {engine}"
