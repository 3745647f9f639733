"""ClickHouse as a second engine: a connection that runs llmcost's SQL, written once in DuckDB's
dialect, inside ClickHouse (issue 17).

- `chdb://PATH`: ClickHouse in-process (chDB), its data in the folder PATH (tests, one machine).
- `clickhouse://USER[:PASSWORD]@HOST[:PORT]/DATABASE`: a server over HTTP (clickhouse-connect;
  kept thin: it runs the same rendered SQL, with the same settings).

Every query is rendered from DuckDB SQL by sqlglot's transpiler (`to_clickhouse`), plus the few
rewrites it does not make (below); the project's SQL avoids what neither can render (see the
comments in `llmcost.pricing.engine`). ClickHouse settings that make its answers those of
standard SQL: `join_use_nulls` (an unmatched LEFT JOIN row has NULLs, not 0 and ''),
`group_by_use_nulls` (the columns a grouping set leaves out are NULL), UTC as the session time
zone. Results come back as Python values: exact `Decimal` money (decimals are read as text,
never through a float), `datetime` naive in UTC like DuckDB's `TIMESTAMP`, `date`, `int`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlparse

from llmcost.errors import StoreError, UsageError
from llmcost.sql_quoting import sql_str

SETTINGS: dict[str, Any] = {
    "join_use_nulls": 1,
    "group_by_use_nulls": 1,
    "session_timezone": "UTC",
    "output_format_json_quote_decimals": 1,
    "output_format_json_quote_64bit_integers": 1,
    "allow_experimental_join_condition": 1,  # the price periods' range join (LEFT JOIN … ON a >= b)
    # a filter on a priced column (`WHERE cost_input IS NOT NULL`) would turn the pricing LEFT
    # JOINs into INNER ones, which with the range condition ran for minutes on 2M calls (chDB 4.4)
    "query_plan_convert_outer_join_to_inner_join": 0,
    # the pricing joins' right sides are a few thousand rows: the parallel hash join evaluates
    # the range condition on both cores (2M calls: 0.84 s -> 0.39 s for the period join)
    "join_algorithm": "parallel_hash",
    # `SELECT least(output_tokens, 400) AS output_tokens, output_tokens > 400 AS t_cap`: in standard
    # SQL (and DuckDB) the second `output_tokens` is the column read, not the alias just made; the
    # levers' SELECTs replace columns that way
    "prefer_column_name_to_alias": 1,
}
URL_PREFIXES = ("chdb://", "clickhouse://")


def is_clickhouse_url(db: str | None) -> bool:
    return bool(db) and str(db).startswith(URL_PREFIXES)


# names llmcost's SQL uses that ClickHouse's parser takes for keywords (`SELECT top, …`)
_RESERVED = frozenset({"top"})


@lru_cache(maxsize=256)
def to_clickhouse(sql: str) -> str:
    """DuckDB SQL rendered for ClickHouse (sqlglot; cached: the same few queries run per command).
    Beyond the transpiler: `TIMESTAMP` becomes `DateTime64(6)` (it renders `DateTime`, whole
    seconds), a column named like a ClickHouse keyword (`top`) is quoted, `epoch(ts)` is the
    seconds of a `DateTime64` (it renders a function ClickHouse lacks), and DuckDB's
    `timezone(ZONE, timezone('UTC', ts))` (UTC to local time) is `toTimeZone(ts, ZONE)`."""
    import sqlglot
    from sqlglot import exp

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMP:
            return exp.DataType.build("DateTime64(6)", dialect="clickhouse")
        if isinstance(node, exp.Identifier) and not node.quoted and node.name.lower() in _RESERVED:
            return exp.Identifier(this=node.name, quoted=True)
        if _is_call(node, "timezone") and _is_call(node.expressions[1], "timezone") and \
                node.expressions[1].expressions[0].name == "UTC":
            # timezone(ZONE, timezone('UTC', ts)): a naive UTC time as local time in ZONE
            return exp.Anonymous(this="toTimeZone", expressions=[node.expressions[1].expressions[1],
                                                                 node.expressions[0]])
        if isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order):
            ordered = _sorted_concat(node)
            if ordered is not None:
                return ordered
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and \
                isinstance(node.this, exp.Column) and node.this.name in _list_columns():
            # a ClickHouse array is never NULL: an absent list is empty there (pricing.clickhouse)
            return exp.Anonymous(this="empty", expressions=[node.this])
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Null) and node.to.is_type(exp.DataType.Type.ARRAY):
            return exp.Cast(this=exp.Array(expressions=[]), to=node.to)  # no list: an empty array
        if _is_named(node, "list_slice", 3):  # list_slice(l, a, b), a..b inclusive: arraySlice(l, a, length)
            lst, a, b = node.expressions
            return exp.Anonymous(this="arraySlice", expressions=[
                lst, a, exp.Add(this=exp.Sub(this=b, expression=a), expression=exp.Literal.number(1))])
        if isinstance(node, (exp.LogicalAnd, exp.LogicalOr)):  # bool_and / bool_or: false < true
            return exp.Anonymous(this="min" if isinstance(node, exp.LogicalAnd) else "max", expressions=[node.this])
        if isinstance(node, (exp.PercentileCont, exp.Median)):
            # quantile_cont / median interpolate between the two nearest values (DuckDB); so does
            # quantileExactInclusive, where ClickHouse's `median` and `quantile` sample
            q = node.expression if isinstance(node, exp.PercentileCont) else exp.Literal.number("0.5")
            return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[q], params=[node.this])
        if isinstance(node, exp.GenerateSeries) and not isinstance(node.parent, (exp.From, exp.Join, exp.Table)):
            # range(a, b) / generate_series(a, b) as a list: ClickHouse's range(a, b) ends before b
            end = node.args["end"]
            if not node.args.get("is_end_exclusive"):
                end = exp.Add(this=end, expression=exp.Literal.number(1))
            step = [node.args["step"]] if node.args.get("step") else []
            return exp.Anonymous(this="range", expressions=[node.args["start"], end, *step])
        if isinstance(node, exp.First) and isinstance(node.this, exp.Order) and \
                not any(k.args.get("desc") for k in node.this.expressions):
            # first(v ORDER BY a, b): the v of the smallest (a, b)
            keys = [k.this for k in node.this.expressions]
            return exp.Anonymous(this="argMin", expressions=[
                node.this.this, keys[0] if len(keys) == 1 else exp.Tuple(expressions=keys)])
        if isinstance(node, exp.TimeToUnix):  # epoch(ts): seconds with their fraction (llmcost's are DateTime64(6))
            return exp.Div(this=exp.Anonymous(this="toUnixTimestamp64Micro", expressions=[node.this]),
                           expression=exp.Literal.number(1000000))
        return node

    out = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is None:
            continue
        out.append(_order_by_aliases(_named_subqueries(_unique_ctes(tree))).transform(fix).sql(dialect="clickhouse"))
    return ";\n".join(out)


@lru_cache(maxsize=1)
def _list_columns() -> frozenset[str]:
    """The canonical columns that hold a list (`prefix_blocks`): arrays in ClickHouse."""
    from llmcost.schema import CALL_COLUMNS

    return frozenset(c.name for c in CALL_COLUMNS if c.sql_type.replace(" NOT NULL", "").endswith("[]"))


def _sorted_concat(node: Any) -> Any:
    """`string_agg([DISTINCT] v, sep ORDER BY v)` (ClickHouse takes no ORDER BY inside an
    aggregate) as `arrayStringConcat(arraySort(groupArray|groupUniqArray(v)), sep)`; None when the
    order is not the value itself, ascending."""
    from sqlglot import exp

    order = node.this
    value = order.this
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        if len(value.expressions) != 1:
            return None
        value = value.expressions[0]
    keys = order.expressions
    if len(keys) != 1 or keys[0].args.get("desc") or keys[0].this != value:
        return None
    gathered = exp.Anonymous(this="groupUniqArray" if distinct else "groupArray", expressions=[value])
    return exp.Anonymous(this="arrayStringConcat", expressions=[
        exp.Anonymous(this="arraySort", expressions=[gathered]),
        node.args.get("separator") or exp.Literal.string(",")])


def _order_by_aliases(tree: Any) -> Any:
    """`ORDER BY name` where `name` is an output column's alias: that column's expression. DuckDB
    reads an ORDER BY name as the output column first; ClickHouse, with the column names preferred
    to aliases (SETTINGS, which WHERE and GROUP BY need), would read the input column."""
    from sqlglot import exp

    for select in list(tree.find_all(exp.Select)):
        order = select.args.get("order")
        if order is None:
            continue
        aliased = {e.alias: e.this for e in select.expressions if isinstance(e, exp.Alias)}
        for item in order.expressions:
            col = item.this
            if isinstance(col, exp.Column) and not col.table and col.name in aliased and \
                    not (isinstance(aliased[col.name], exp.Column) and aliased[col.name].name == col.name):
                item.set("this", aliased[col.name].copy())
    return tree


def _named_subqueries(tree: Any) -> Any:
    """A subquery in FROM or JOIN without a name gets one (`_sq1`): ClickHouse refuses an unnamed
    one in a join (`no alias for subquery`), DuckDB names them itself."""
    from sqlglot import exp

    for n, sub in enumerate(list(tree.find_all(exp.Subquery))):
        if not sub.alias and isinstance(sub.parent, (exp.From, exp.Join)):
            sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_sq{n}")))
    return tree


def _unique_ctes(tree: Any) -> Any:
    """Every CTE renamed to a name of its own (`c` -> `c__3`), its references with it (`FROM c`
    -> `FROM c__3 AS c`, so that `c.col` still reads). ClickHouse (24-25, chDB 4.4) cannot resolve
    a WITH nested inside a CTE of an outer WITH that defines the same names (`Unknown table
    expression identifier`), which is what pricing a lever's scenario is: `priced_sql` (WITH c,
    m, f) over a scenario that holds `priced_sql` itself (the route lever's "only if cheaper")."""
    from sqlglot import exp

    withs = list(tree.find_all(exp.With))
    if not withs:
        return tree
    names: dict[int, dict[str, str]] = {}  # id(With) -> name -> unique name
    for n, w in enumerate(withs):
        names[id(w)] = {cte.alias: f"{cte.alias}__{n}" for cte in w.expressions}
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or table.args.get("catalog") or not isinstance(table.this, exp.Identifier):
            continue
        name, child, node = table.name, table, table.parent
        while node is not None:
            w = None if isinstance(node, exp.With) else node.args.get("with_", node.args.get("with"))
            if isinstance(w, exp.With) and name in names[id(w)] and child is not w:
                new = names[id(w)][name]
                table.set("this", exp.to_identifier(new))
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
                break
            if isinstance(node, exp.With) and isinstance(child, exp.CTE):
                # inside a CTE's definition: only the CTEs defined before it are in scope here
                before = {c.alias for c in node.expressions[:node.expressions.index(child)]}
                if name in before:
                    new = names[id(node)][name]
                    table.set("this", exp.to_identifier(new))
                    if not table.alias:
                        table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
                    break
                child, node = node.parent, node.parent.parent if node.parent is not None else None
                continue
            child, node = node, node.parent
    for w in withs:
        for cte in w.expressions:
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(names[id(w)][cte.alias])))
    return tree


_TEMP_VIEW = re.compile(r"^(\s*CREATE (?:OR REPLACE )?TEMPORARY) VIEW\b", re.I)
_DROP = re.compile(r"^\s*DROP (?:VIEW|TABLE) IF EXISTS\b", re.I)


def session_ddl(sql: str) -> str:
    """The scratch relations llmcost's SQL makes, as ClickHouse session tables: a TEMP VIEW (which
    ClickHouse lacks) is a TEMPORARY TABLE of its rows (the same rows: nothing under it changes
    during a run), and a DROP of a view or table is a DROP TEMPORARY TABLE, so that llmcost never
    drops a table of the database, whatever the name."""
    sql = _TEMP_VIEW.sub(r"\1 TABLE", sql)
    return _DROP.sub("DROP TEMPORARY TABLE IF EXISTS", sql)


def _is_named(node: Any, name: str, arity: int) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Anonymous) and str(node.this).lower() == name and len(node.expressions) == arity


def _is_call(node: Any, name: str) -> bool:
    """`node` is a call of a function sqlglot does not know (kept as written), with two arguments."""
    from sqlglot import exp

    return isinstance(node, exp.Anonymous) and str(node.this).lower() == name and len(node.expressions) == 2


def inline_params(sql: str, params: Sequence[Any] | None) -> str:
    """`?` placeholders replaced by literals (ClickHouse over HTTP has no positional parameters)."""
    if not params:
        return sql
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(params)} parameters for {len(parts) - 1} placeholders")
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        out.append(_literal(value))
        out.append(rest)
    return "".join(out)


def _literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal, float)):
        return str(v)
    if isinstance(v, datetime):
        return f"TIMESTAMP {sql_str(v.isoformat(sep=' '))}"
    if isinstance(v, date):
        return f"DATE {sql_str(v.isoformat())}"
    return sql_str(str(v))


_WIDE = Context(prec=80)  # Decimal(38, 21) and wider, unrounded (the default context keeps 28 digits)
_NULLABLE = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")


def _convert(type_name: str, value: Any) -> Any:
    """One value of a JSONCompact result as the Python value DuckDB would return."""
    if value is None:
        return None
    t = type_name
    while m := _NULLABLE.match(t):
        t = m.group(1)
    if t.startswith("Decimal"):  # at the column's scale, as DuckDB returns it: Decimal(38, 21) -> 21 places
        scale = re.search(r"(\d+)\)$", t)
        d = Decimal(str(value))
        return d.quantize(Decimal(1).scaleb(-int(scale.group(1))), context=_WIDE) if scale else d
    if t.startswith(("Int", "UInt")):
        return int(value)
    if t.startswith("Float"):
        return float(value)
    if t.startswith("Bool"):
        return bool(value)
    if t.startswith("Date32") or t == "Date":
        return date.fromisoformat(value)
    if t.startswith("DateTime"):
        return datetime.fromisoformat(value)
    if t.startswith("Array("):
        inner = t[len("Array("):-1]
        return [_convert(inner, x) for x in value]
    return value


class _Result:
    """What `con.execute(...)` returns in DuckDB, as far as llmcost reads it."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class ClickHouse:
    """One ClickHouse connection: `query(sql)` runs DuckDB-dialect SQL rendered for ClickHouse and
    returns rows; `native(sql)` runs ClickHouse SQL as written. It also stands in for a DuckDB
    connection and `Store` where analysis code needs one (`con.execute(...).fetchone()`,
    `store.query`, `store.con`, `store.path`)."""

    is_clickhouse = True  # what `pricing.engine` dispatches on (its tables made here instead)

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = url  # never ':memory:': nothing here is a DuckDB store
        self._session: Any = None
        self._client: Any = None
        self._layouts: dict[str, str] = {}  # name -> ClickHouse SELECT it stands for (register_layout)
        # every call of --table as canonical columns (a DuckDB-SQL subquery), once a scope is
        # prepared (`report.clickhouse_scope`): what a store's `calls` table is to a command
        self.calls_source: str | None = None
        if url.startswith("chdb://"):
            path = url[len("chdb://"):]
            if not path:
                raise UsageError(f"--db {url}: name the folder of the chDB data after chdb://.",
                                 "For example --db chdb://./llmcost-ch.")
            try:
                from chdb import session
            except ImportError as e:
                raise UsageError(f"--db {url} runs ClickHouse in-process with chDB, which is not installed.",
                                 "pip install 'llmcost[clickhouse]'.") from e
            try:
                self._session = session.Session(path)
            except Exception as e:
                raise StoreError(f"chDB cannot open {path}: {_first_line(e)}",
                                 "Pass --db chdb://FOLDER, a folder you can write (created if missing).") from e
            for k, v in SETTINGS.items():  # a chDB session keeps its settings from query to query
                self._session.query(f"SET {k} = {v!r}" if isinstance(v, str) else f"SET {k} = {v}")
        else:
            u = urlparse(url)
            try:
                import clickhouse_connect
            except ImportError as e:
                raise UsageError(f"--db {url} needs clickhouse-connect, which is not installed.",
                                 "pip install 'llmcost[clickhouse]'.") from e
            host, port = u.hostname or "localhost", u.port or 8123
            import logging

            logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)  # it logs what we raise
            try:
                self._client = clickhouse_connect.get_client(
                    host=host, port=port, username=unquote(u.username or "default"),
                    password=unquote(u.password or ""), database=(u.path or "/").strip("/") or "default",
                    settings={k: v for k, v in SETTINGS.items() if not k.startswith("output_format")})
            except Exception as e:  # never the password: the message names host and port only
                raise StoreError(f"Cannot connect to ClickHouse at {host}:{port}: {_first_line(e)}",
                                 "Check that the server is up and the URL: "
                                 "clickhouse://USER[:PASSWORD]@HOST:8123/DATABASE (HTTP port).") from e

    @property
    def con(self) -> ClickHouse:
        return self

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> ClickHouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def native(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ClickHouse SQL as written; the rows it returns (none for DDL and INSERT). A query
        ClickHouse refuses is a `StoreError` with its first line."""
        try:
            return self._native(sql)
        except Exception as e:
            raise StoreError(f"ClickHouse refused a query: {_first_line(e)}",
                             "Check --table and the user's privileges (SELECT on the table, CREATE "
                             "TEMPORARY TABLE); --debug shows the query.") from e

    def _native(self, sql: str) -> list[tuple[Any, ...]]:
        if self._client is not None:
            if re.match(r"\s*(SELECT|WITH|DESCRIBE|SHOW)\b", sql, re.I):
                return [tuple(_naive_utc(v) for v in r) for r in self._client.query(sql).result_rows]
            self._client.command(sql)
            return []
        if re.match(r"\s*(SELECT|WITH|DESCRIBE|SHOW)\b", sql, re.I):
            res = self._session.query(sql, "JSONCompact")
            text = res.bytes().decode() if hasattr(res, "bytes") else str(res)
            if not text.strip():
                return []
            doc = json.loads(text)
            types = [m["type"] for m in doc["meta"]]
            return [tuple(_convert(t, v) for t, v in zip(types, row, strict=True)) for row in doc["data"]]
        self._session.query(sql)
        return []

    def sources(self) -> list[Any]:
        """The store's record of loaded files (`Store.sources`): none here, llmcost loads no file
        into a ClickHouse table (its rows came there by the team's own pipeline)."""
        return []

    def register(self, name: str, data: object) -> None:
        """DuckDB's `con.register` (a Python table read as SQL): what llmcost uses it for, the rows
        of an eval file, is not sent into ClickHouse."""
        raise UsageError("An eval file (--eval, or llmcost.yaml's quality_eval) is not read inside "
                         f"ClickHouse (--db {shown_url(self.url)}) yet.",
                         "Drop --eval (and quality_eval) for this run, or run it on an export of the "
                         "table with a DuckDB store (--db PATH).")

    def unregister(self, name: str) -> None:
        pass

    def register_layout(self, name: str, select: str) -> None:
        """Let DuckDB-dialect queries read `FROM name` where `name` is a SELECT written in
        ClickHouse SQL (a log layout: Map columns, FINAL…, which DuckDB's dialect cannot say):
        it is put in place after the query is rendered."""
        self._layouts[name] = select

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run DuckDB-dialect SQL (rendered for ClickHouse); the rows."""
        rendered = session_ddl(to_clickhouse(inline_params(sql, params)))
        for name, select in self._layouts.items():
            subquery = f"FROM ({select}) AS {name}"
            rendered = re.sub(rf"\bFROM {name}\b", lambda _m: subquery, rendered)  # noqa: B023 (used at once)
        return self.native(rendered)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Result:
        return _Result(self.query(sql, params))

    def columns(self, table: str) -> dict[str, str]:
        """The columns of a table (or view): name -> ClickHouse type."""
        target = f"({self._layouts[table]})" if table in self._layouts else f"TABLE {table}"
        try:
            return {r[0]: r[1] for r in self.native(f"DESCRIBE {target}")}
        except StoreError as e:
            if re.search(r"UNKNOWN_TABLE|UNKNOWN_DATABASE|does not exist", e.message):
                raise UsageError(f"--table {table}: no such table in {shown_url(self.url)}.",
                                 "Name a table of the database in --db, or DATABASE.TABLE.") from e
            raise


def _naive_utc(v: Any) -> Any:
    """clickhouse-connect returns a `DateTime64(6, 'UTC')` as an aware datetime; DuckDB's
    `TIMESTAMP` (which the analysis code compares with) is naive UTC."""
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    return v


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"^(clickhouse://[^:/@]*):[^@]*@", r"\1:***@", url)


def _first_line(e: BaseException) -> str:
    """The gist of a driver's error: its first line, without the stack trace ClickHouse appends."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text.split(". Stack trace")[0][:300]


def connect_clickhouse(url: str) -> ClickHouse:
    return ClickHouse(url)
