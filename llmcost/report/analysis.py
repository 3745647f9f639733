"""The `analyze` result: where the calls, tokens and money go.

Calls are priced in DuckDB (`llmcost.pricing.engine`) and aggregated there in one grouped pass
(`GROUPING SETS`); only aggregated rows come back to Python. `period.days` is the elapsed time
between the first and last call in scope; every monthly figure is the 30-day run rate of
`llmcost.run_rate` (the main period's figure × 30 / its days, only from a day's span, stray
calls far outside the main period named and left out of it).
Unpriced calls (model not in the book) are counted and listed, never in the dollar totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import prepare_pricing, priced_sql
from llmcost.pricing.grouped import SummedScope
from llmcost.pricing.stored import (
    ROLLUP,
    ROLLUP_FIGURES,
    ROLLUP_SUMS,
    keeps_priced_calls,
    refresh_priced_calls,
    rollup_serves,
)
from llmcost.run_rate import RunRate, find_run_rate
from llmcost.scope import Scope
from llmcost.store import Store

if TYPE_CHECKING:
    from llmcost.ingest import IngestResult
    from llmcost.report.reprice import Repricing

PRICED = "llmcost_priced_scope"

# breakdown name -> SQL expression over priced calls
DIMENSIONS: dict[str, str] = {
    "model": "coalesce(model_id, model)",
    "task_type": "task_type",
    "feature": "feature",
    "tenant": "tenant",
    "day": "strftime(ts, '%Y-%m-%d')",
    "conversation": "conversation_id",
    "provider": "provider",
}
BREAKDOWN_KEYS = {"model": "by_model", "task_type": "by_task_type", "feature": "by_feature",
                  "tenant": "by_tenant", "day": "by_day", "conversation": "by_conversation",
                  "provider": "by_provider"}
ZERO = Decimal(0)


@dataclass
class Period:
    start: datetime | None
    end: datetime | None

    @property
    def days(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start).total_seconds() / 86400

    def monthly(self, amount: Decimal | None) -> Decimal | None:
        """amount × 30 / days; None when the calls span less than a day (no run rate: see
        `Analysis.run_rate`, which also leaves stray calls out)."""
        if amount is None or self.days < 1:
            return None
        return amount * Decimal(30 * 86400) / Decimal((self.end - self.start).total_seconds())  # type: ignore[operator]


@dataclass
class Costs:
    """USD by component, exact."""

    input: Decimal = ZERO
    cache_read: Decimal = ZERO
    cache_write: Decimal = ZERO
    output: Decimal = ZERO
    other: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.input + self.cache_read + self.cache_write + self.output + self.other


class _Counted(Protocol):
    """What per-billed-call figures need (the totals and every breakdown row have it)."""

    calls: int
    unpriced_calls: int
    input_tokens: int
    output_tokens: int
    errored_input_tokens: int
    errored_output_tokens: int
    errored_unpriced_calls: int

    @property
    def errored_calls(self) -> int: ...

    @property
    def cost_usd(self) -> Decimal: ...


class PerBilledCall:
    """Per-call figures over the billed calls (errored calls are counted, never billed), for
    the totals and every breakdown row alike."""

    @property
    def billed_calls(self: _Counted) -> int:
        """Calls that got an answer (every call but the errored ones): what per-call figures divide by."""
        return self.calls - self.errored_calls

    @property
    def cost_per_call(self: _Counted) -> Decimal | None:
        """Cost per billed call of a priced model (None when there is none)."""
        n = self.calls - self.unpriced_calls - (self.errored_calls - self.errored_unpriced_calls)
        return self.cost_usd / n if n > 0 else None

    @property
    def avg_input_tokens(self: _Counted) -> float | None:
        """Input tokens per billed call, cache tokens included (None when every call errored)."""
        b = self.calls - self.errored_calls
        return (self.input_tokens - self.errored_input_tokens) / b if b > 0 else None

    @property
    def avg_output_tokens(self: _Counted) -> float | None:
        b = self.calls - self.errored_calls
        return (self.output_tokens - self.errored_output_tokens) / b if b > 0 else None


@dataclass
class Totals(PerBilledCall):
    calls: int = 0
    priced_calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    error_calls: int = 0
    calls_without_time: int = 0
    costs: Costs = field(default_factory=Costs)
    errored_input_tokens: int = 0  # tokens logged on errored calls (usually none)
    errored_output_tokens: int = 0
    errored_unpriced_calls: int = 0  # errored calls on models the book does not know

    @property
    def cost_usd(self) -> Decimal:
        return self.costs.total

    @property
    def errored_calls(self) -> int:
        """Calls whose status is an error: counted in `calls`, not billed."""
        return self.error_calls

    @property
    def nothing_priced(self) -> bool:
        """Calls in scope, none of them priced: the spend is unknown, not $0."""
        return self.calls > 0 and self.priced_calls == 0

    @property
    def cache_hit_ratio(self) -> float:
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0

    @property
    def output_share_pct(self) -> float:
        total = self.cost_usd
        return float(100 * self.costs.output / total) if total else 0.0


@dataclass
class BreakdownRow(PerBilledCall):
    key: str | None
    calls: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost_usd: Decimal
    share_pct: float
    calls_share_pct: float
    unpriced_calls: int
    errored_calls: int = 0  # of `calls`: errored, not billed
    errored_input_tokens: int = 0
    errored_output_tokens: int = 0
    errored_unpriced_calls: int = 0
    stray_cost_usd: Decimal | None = ZERO  # of `cost_usd`: the stray calls' (run_rate); None unknown

    @property
    def priced(self) -> bool:
        """False when every call of the row is unpriced: its cost is unknown, not $0."""
        return self.unpriced_calls < self.calls



@dataclass
class Rest:
    """The keys of a breakdown left out of its top rows, summed (in DuckDB): how many keys, and
    their calls, tokens and cost as one row (its `key` is None)."""

    keys: int
    row: BreakdownRow


@dataclass
class Pareto:
    dimension: str
    keys: int  # how many of the top keys reach `share_pct` of spend
    of_keys: int
    share_pct: float


@dataclass
class UnpricedModel:
    model: str | None
    calls: int
    reason: str
    suggestion: str | None = None  # the nearest price-book id to a name the book does not know


@dataclass
class ReconRow:
    model: str | None
    calls: int
    logged_cost_usd: Decimal
    computed_cost_usd: Decimal

    @property
    def difference_usd(self) -> Decimal:
        return self.logged_cost_usd - self.computed_cost_usd

    @property
    def disagrees(self) -> bool:
        """More than a cent and more than 1 % apart."""
        diff = abs(self.difference_usd)
        return diff > Decimal("0.01") and diff > Decimal("0.01") * abs(self.computed_cost_usd)


@dataclass
class Reconciliation:
    calls: int
    logged_cost_usd: Decimal
    computed_cost_usd: Decimal
    by_model: list[ReconRow]

    @property
    def difference_usd(self) -> Decimal:
        return self.logged_cost_usd - self.computed_cost_usd


@dataclass
class PriceUsed:
    model_id: str
    effective_from: datetime
    source: str
    checked: str
    calls: int
    note: str | None
    overlay: str | None


@dataclass
class TopItem:
    key: str | None
    detail: str
    cost_usd: Decimal


@dataclass
class Analysis:
    period: Period
    totals: Totals
    breakdowns: dict[str, list[BreakdownRow]]
    ingest: IngestResult | None
    scope: Scope
    unpriced_models: list[UnpricedModel]
    reconciliation: Reconciliation | None
    prices_used: list[PriceUsed]
    pareto: list[Pareto]
    top_calls: list[TopItem]
    top_conversations: list[TopItem]
    unpriced_components: list[str]
    book_files: list[str]
    notes: list[str] = field(default_factory=list)
    # per breakdown key (`by_conversation` …): the keys beyond its top rows, summed; absent when
    # every key is shown
    rest: dict[str, Rest] = field(default_factory=dict)
    run_rate: RunRate = field(default_factory=lambda: RunRate(None, None))
    # `analyze --as-of DATE`: the costs above are at DATE's prices; the call-time ones here
    repriced: Repricing | None = None

    @property
    def monthly_usd(self) -> Decimal | None:
        """The 30-day run rate of the spend (stray calls left out); None when there is none."""
        return self.run_rate.monthly(self.totals.cost_usd - self.run_rate.stray_cost_usd)

    def row_monthly(self, r: BreakdownRow) -> Decimal | None:
        """A breakdown row's 30-day run rate (None: unpriced, no run rate, or its strays unknown)."""
        if not r.priced or r.stray_cost_usd is None:
            return None
        return self.run_rate.monthly(r.cost_usd - r.stray_cost_usd)


def _d(v: Any) -> Decimal:
    return Decimal(v) if v is not None else ZERO


def prepare_priced_scope(store: Store, book: PriceBook, scope: Scope) -> str:
    """A TEMP VIEW of the calls in scope, priced. With the shipped book the priced calls kept in
    the store are brought up to date and read (`pricing.stored`); with price overlays, or in a
    `:memory:` store, every query over the view prices in one streaming pass. Returns its name."""
    if not keeps_priced_calls(store, book):
        # a one-shot store has no next run to reuse priced calls: price as the queries read
        prepare_pricing(store.con, book, "calls")
        priced = f"({priced_sql('calls')})"
    else:
        priced = refresh_priced_calls(store, book)
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW {PRICED} AS SELECT * FROM {priced} "
                      f"WHERE {scope.where_literal()}")
    return PRICED


# grouping sets of the one aggregate pass: name -> expression
_SETS: dict[str, str] = {
    "model": "_model", "task_type": "task_type", "feature": "feature", "tenant": "tenant",
    "day": "_day", "provider": "provider", "period": "period_key",
}
TOP_KEYS = 10  # rows of the breakdowns with many keys (conversation, tenant) unless asked otherwise
FINE = "llmcost_analysis_fine"
_ROW_FIGURES = ("calls", "inp", "cr", "cw", "out", "cost", "unpriced", "errs", "e_inp", "e_out", "e_unp")


TOPS = "llmcost_analysis_tops"


def _tops_and_rests(store: Store, rel: str, dims: dict[str, tuple[str, int | None, bool]],
                    stray: str = "false") -> dict[str, tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]]:
    """Breakdowns over the priced calls, grouped in DuckDB, for several dimensions (name ->
    column, how many keys to show, whether calls without a key are left out) from ONE pass
    (GROUPING SETS; the grouped rows kept in a TEMP table): per dimension its `limit` most
    expensive keys (cost, then calls, then key; every key when None), and every other key summed
    into one row (keys counted) — only those rows come back. Rows are (key, calls, input, cache
    read, cache write, output, cost, unpriced, errored, errored input, errored output, errored
    unpriced, the cost of the calls `stray` marks); the rest is (keys, calls, …) or None when no
    key is left out."""
    figures = ", ".join(f"{'coalesce(sum(cost_usd), 0)' if k == 'cost' else ROLLUP_FIGURES[k]} AS {k}"
                        for k in _ROW_FIGURES) + f", coalesce(sum(cost_usd) FILTER (WHERE {stray}), 0) AS stray"
    columns = [column for column, _, _ in dims.values()]
    store.con.execute(f"""CREATE OR REPLACE TEMP TABLE {TOPS} AS
        SELECT GROUPING({', '.join(columns)}) AS g, {', '.join(columns)}, {figures} FROM {rel}
        GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in columns)})""")
    out: dict[str, tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]] = {}
    for i, (name, (column, limit, keyed)) in enumerate(dims.items()):
        # GROUPING's bit is 0 for the column grouped on; the leftmost column is the high bit
        grouped_on = (1 << len(columns)) - 1 - (1 << (len(columns) - 1 - i))
        where = f"g = {grouped_on}" + (f" AND {column} IS NOT NULL" if keyed else "")
        rel_i = f"(SELECT {column} AS k, * EXCLUDE (g, {', '.join(columns)}) FROM {TOPS} WHERE {where})"
        out[name] = _ranked(store, rel_i, limit)
    store.con.execute(f"DROP TABLE {TOPS}")
    return out


def _ranked(store: Store, grouped: str, limit: int | None) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """Grouped rows (k, figures…): the `limit` most expensive keys and the rest summed."""
    cols = ", ".join(("k", *_ROW_FIGURES, "stray"))
    if limit is None:
        return list(store.query(f"SELECT {cols} FROM {grouped}")), None
    sums = ", ".join(f"sum({k})" for k in (*_ROW_FIGURES, "stray"))
    rows = store.query(f"""
        WITH r AS (SELECT *, row_number() OVER (ORDER BY cost DESC, calls DESC, k ASC NULLS LAST) <= {int(limit)}
                        AS top FROM {grouped})
        SELECT top, CASE WHEN top THEN k END, count(*), {sums} FROM r
        GROUP BY top, CASE WHEN top THEN k END""")
    top = [(k, *figs) for is_top, k, _n, *figs in rows if is_top]
    rest = next(((n, *figs) for is_top, _k, n, *figs in rows if not is_top), None)
    return top, rest


def analyze_calls(store: Store, book: PriceBook, scope: Scope,
                  ingest: IngestResult | None, top: int = 5, relation: str | None = None,
                  limits: dict[str, int | None] | None = None, summed: SummedScope | None = None) -> Analysis:
    """Everything `analyze` reports, from a few aggregate passes over the priced calls: the
    totals, every breakdown at once (GROUPING SETS), the top calls and conversations (and, only
    when there are any, reconciliation and unpriced models); only aggregated rows come back.
    `relation`: the priced calls in scope when already prepared (`prepare_priced_scope`).
    `limits`: dimension -> how many keys its breakdown shows, the others summed in `rest`
    (conversations: TOP_KEYS unless given; every other dimension: all its keys unless given).
    `summed`: the calls in scope priced as sums (inside ClickHouse, `pricing.grouped`), read
    instead of the priced calls; the same figures."""
    limits = {"conversation": TOP_KEYS, **(limits or {})}
    top_of = {k: v for k, v in limits.items() if v is not None}
    rel = relation or prepare_priced_scope(store, book, scope)
    per_call = summed.calls if summed else rel  # what is read call by call (conversations, top calls)
    # one pass to a small table: every figure per model x task x feature x day x provider x
    # price period (thousands of rows for millions of calls); the totals and all breakdowns but
    # the tenant one (hundreds of tenants would multiply it) are summed from it
    fine_keys = {k: e for k, e in _SETS.items() if k != "tenant"}
    keys_sql = ", ".join(f"{e} AS d_{k}" for k, e in fine_keys.items())
    if summed is not None:
        figures = ", ".join(f"{fn}({k}) AS {k}" for k, fn in ROLLUP_SUMS.items())
        source = summed.rollup
    elif rel == PRICED and keeps_priced_calls(store, book) and rollup_serves(
            scope.since, scope.until, scope.tenants, store, scope.source_hashes):
        # from the per-file, per-day rollup kept with the priced calls (same filters, same sums)
        figures = ", ".join(f"{fn}({k}) AS {k}" for k, fn in ROLLUP_SUMS.items())
        source = f"{ROLLUP} WHERE {scope.where_literal(held=False)}"
    else:
        figures = ", ".join(f"{e} AS {k}" for k, e in ROLLUP_FIGURES.items())
        source = rel
    store.con.execute(f"""CREATE OR REPLACE TEMP TABLE {FINE} AS
        SELECT {keys_sql}, {figures}
        FROM (SELECT *, CAST(ts AS DATE) AS _day, coalesce(model_id, model) AS _model FROM {source})
        GROUP BY ALL""")
    (calls, inp, cr, cw, out, reas, errs, no_ts, first, last, unpriced, c_in, c_cr, c_cw, c_out, c_oth,
     log_n, ws, tmiss, e_inp, e_out, e_unp) = store.query(f"""
        SELECT coalesce(sum(calls), 0), sum(inp), sum(cr), sum(cw), sum(out), sum(reas),
               coalesce(sum(errs), 0), coalesce(sum(no_ts), 0), min(t0), max(t1),
               coalesce(sum(unpriced), 0), sum(c_in), sum(c_cr), sum(c_cw), sum(c_out), sum(c_oth),
               coalesce(sum(log_n), 0), coalesce(sum(ws), 0), coalesce(sum(tmiss), 0),
               sum(e_inp), sum(e_out), sum(e_unp)
        FROM {FINE}""")[0]
    totals = Totals(int(calls), int(calls) - int(unpriced), int(unpriced), int(inp or 0),
                    int(cr or 0), int(cw or 0), int(out or 0), int(reas or 0), int(errs),
                    int(no_ts), Costs(_d(c_in), _d(c_cr), _d(c_cw), _d(c_out), _d(c_oth)))
    period = Period(first, last)
    # the main period and the stray calls far outside it (from the day rows of the same table)
    run_rate = find_run_rate(store.con, f"SELECT d_day AS d, sum(calls) AS n, min(t0) AS t0, max(t1) AS t1 "
                                        f"FROM {FINE} GROUP BY 1")
    stray = run_rate.stray_sql("d_day")
    if run_rate.strays:
        run_rate.stray_cost_usd = _d(store.query(f"SELECT sum(cost) FROM {FINE} WHERE {stray}")[0][0])
    ws_unpriced = int(ws or 0)
    tier_missing: tuple[int, list[str]] = (int(tmiss or 0), [])
    names = list(fine_keys)
    n = len(names)
    gid = ", ".join(f"d_{k}" for k in names)
    by: dict[str, list[tuple[Any, ...]]] = {k: [] for k in (*_SETS, "conversation")}
    figures = ("sum(calls), sum(inp), sum(cr), sum(cw), sum(out), sum(cost), sum(unpriced), "
               f"sum(errs), sum(e_inp), sum(e_out), sum(e_unp), coalesce(sum(cost) FILTER (WHERE {stray}), 0)")
    for row in store.query(f"""
            SELECT GROUPING({gid}) AS g, {gid}, {figures} FROM {FINE}
            GROUP BY GROUPING SETS ({", ".join(f"(d_{k})" for k in names)})"""):
        g = row[0]
        keys = row[1:1 + n]
        for i, name in enumerate(names):
            # GROUPING's bit is 0 for the column grouped on; the leftmost column is the high bit
            if not (g >> (n - 1 - i)) & 1:
                by[name].append((keys[i], *row[1 + n:]))
    rests: dict[str, tuple[Any, ...]] = {}
    if calls:
        stray_ts = run_rate.stray_sql()
        # the tenants and the most expensive conversations, the rest summed: one pass for both
        # (millions of conversation groups; pricing on the fly, a pass costs a pricing)
        tops = _tops_and_rests(store, per_call,
                               {"tenant": ("tenant", limits.get("tenant"), False),
                                "conversation": ("conversation_id", limits.get("conversation"), True)},
                               stray=stray_ts)
        for name, (rows, rest) in tops.items():
            by[name] = rows
            if rest is not None:
                rests[name] = rest
    by = {k: [(r[0], r[1], r[2], r[3], r[4], r[5], _d(r[6]), r[7], *r[8:]) for r in rows]
          for k, rows in by.items()}
    # errored calls per breakdown key (from the same passes): per-call figures leave them out
    errored = {(name, r[0]): tuple(int(v or 0) for v in r[8:12]) for name, rows in by.items()
               for r in rows if len(r) >= 12 and r[8]}
    # the stray calls' cost per breakdown key (conversations: not summed, unknown when there are any)
    stray_costs = {(name, r[0]): _d(r[12]) for name, rows in by.items() for r in rows if len(r) >= 13}
    totals.errored_input_tokens, totals.errored_output_tokens, totals.errored_unpriced_calls = (
        int(e_inp or 0), int(e_out or 0), int(e_unp or 0))
    # logged against computed cost per model, and why calls are unpriced: only when there are any
    # (over priced groups: a group's `n` calls for a call, `_logged` for a logged cost)
    calls_rel, n_calls, logged = (summed.groups, "sum(n)", "_logged") if summed else (
        rel, "count(*)", "logged_cost_usd IS NOT NULL")
    recon_by_model = store.query(f"""
        SELECT coalesce(model_id, model), {n_calls}, sum(logged_cost_usd), sum(cost_usd) FROM {calls_rel}
        WHERE {logged} AND cost_usd IS NOT NULL GROUP BY 1""") if log_n else []
    unpriced_why = store.query(f"""
        SELECT model, {n_calls}, min(unpriced_reason) FROM {calls_rel} WHERE cost_input IS NULL
        GROUP BY 1""") if unpriced else []
    # the few most expensive calls (a top-N heap, in a second pass) and the tiers without a price
    top_calls: list[TopItem] = []
    for call_id, model, ts, inp_t, out_t, c in store.query(
            f"""SELECT call_id, coalesce(model_id, model), ts, input_tokens, output_tokens, cost_usd
                FROM {per_call} WHERE cost_input IS NOT NULL
                ORDER BY cost_usd DESC, call_id LIMIT {int(top)}"""):
        when = ts.strftime("%Y-%m-%d %H:%M") if ts else "?"
        top_calls.append(TopItem(call_id, f"{model} · {when} · {inp_t:,} in / {out_t:,} out", _d(c)))
    if tier_missing[0]:
        tier_missing = (tier_missing[0], [t for (t,) in store.query(
            f"SELECT DISTINCT service_tier FROM {calls_rel} WHERE tier_priced = false ORDER BY 1")])
    total_cost = totals.cost_usd
    breakdowns: dict[str, list[BreakdownRow]] = {}
    rest_rows: dict[str, Rest] = {}
    full: dict[str, list[BreakdownRow]] = {}  # every key pulled back (before a small dimension's cut)
    for name, out_key in BREAKDOWN_KEYS.items():
        items = []
        for key, calls, inp, cr, cw, out, c, unpriced, *_ in by[name]:
            err = errored.get((name, key), (0, 0, 0, 0))
            sc = stray_costs.get((name, key), None if run_rate.strays else ZERO)
            if name == "day" and key is not None:
                key = key.isoformat()
            items.append(BreakdownRow(
                key, int(calls), int(inp or 0), int(cr or 0), int(cw or 0), int(out or 0), c,
                float(100 * c / total_cost) if total_cost else 0.0,
                100.0 * calls / totals.calls if totals.calls else 0.0, int(unpriced), err[0], err[1], err[2], err[3],
                stray_cost_usd=sc))
        if name == "day":
            items.sort(key=lambda r: (r.key is None, r.key or ""))
        else:
            items.sort(key=lambda r: (-r.cost_usd, -r.calls, r.key is None, r.key or ""))
        breakdowns[out_key] = full[out_key] = items
        if name in rests:  # summed in DuckDB over every key left out
            keys, r_calls, r_inp, r_cr, r_cw, r_out, r_cost, r_unpriced, *r_err, r_stray = rests[name]
            cost = _d(r_cost)
            rest_rows[out_key] = Rest(int(keys), BreakdownRow(
                None, int(r_calls), int(r_inp or 0), int(r_cr or 0), int(r_cw or 0), int(r_out or 0), cost,
                float(100 * cost / total_cost) if total_cost else 0.0,
                100.0 * r_calls / totals.calls if totals.calls else 0.0, int(r_unpriced),
                int(r_err[0] or 0), int(r_err[1] or 0), int(r_err[2] or 0), int(r_err[3] or 0),
                stray_cost_usd=_d(r_stray)))
        elif name in top_of and len(items) > top_of[name]:  # a few rows: summed here
            left = items[top_of[name]:]
            breakdowns[out_key] = items[:top_of[name]]
            rest_rows[out_key] = Rest(len(left), sum_rows(left))

    from llmcost.scope_check import book_suggestions

    unpriced_models = sorted((UnpricedModel(m, int(c), reason or "unpriced",
                                            None if book.resolve(m) else next(iter(book_suggestions(book, m, 1)), None))
                              for m, c, reason in unpriced_why),
                             key=lambda x: (-x.calls, x.model or ""))
    recon_rows = [ReconRow(m, int(c), _d(lg), _d(cp)) for m, c, lg, cp in recon_by_model]
    recon = None
    if recon_rows:
        recon_rows.sort(key=lambda r: r.model or "")
        recon = Reconciliation(sum(r.calls for r in recon_rows),
                               sum((r.logged_cost_usd for r in recon_rows), ZERO),
                               sum((r.computed_cost_usd for r in recon_rows), ZERO), recon_rows)
    period_calls = {int(r[0]): int(r[1]) for r in by["period"] if r[0] is not None}
    prices_used: list[PriceUsed] = []
    if period_calls:
        keys_sql = ", ".join(str(k) for k in period_calls)
        for key, mid, start, source, checked, note, overlay in store.query(
                f"""SELECT period_key, model_id, period_from, source, checked, note, overlay
                    FROM llmcost_price_periods WHERE period_key IN ({keys_sql})"""):
            prices_used.append(PriceUsed(mid, start, source, checked, period_calls[int(key)], note, overlay))
        prices_used.sort(key=lambda p: (-p.calls, p.model_id, p.effective_from))
    top_convs = [TopItem(r.key, f"{r.calls:,} calls", r.cost_usd)
                 for r in breakdowns["by_conversation"][:top] if r.unpriced_calls < r.calls]
    unpriced_components = []
    if ws_unpriced:
        unpriced_components.append(
            f"{ws_unpriced:,} web search requests on models with no search price in the book "
            "(not in the totals)")
    if tier_missing[0]:
        unpriced_components.append(
            f"{tier_missing[0]:,} calls on a service tier their provider has no price for "
            f"({', '.join(tier_missing[1])}), priced at standard")
    notes: list[str] = []
    if run_rate.strays:
        notes.append(run_rate.stray_note() or "")
    if totals.calls_without_time:
        notes.append(f"{totals.calls_without_time:,} calls have no timestamp: priced at the latest "
                     "price period of their model, and left out of the period and daily figures")
    # the dimensions cut in DuckDB count the keys left out; the others every key pulled back
    pareto = _pareto(full, total_cost, {BREAKDOWN_KEYS[d]: rest_rows[BREAKDOWN_KEYS[d]] for d in rests})
    return Analysis(period, totals, breakdowns, ingest, scope, unpriced_models, recon, prices_used,
                    pareto, top_calls, top_convs, unpriced_components,
                    book_files=[], notes=notes, rest=rest_rows, run_rate=run_rate)


def sum_rows(rows: list[BreakdownRow]) -> BreakdownRow:
    """Rows of a small breakdown (tens of keys, already aggregated) as one."""
    def total(attr: str) -> Any:
        return sum(getattr(r, attr) for r in rows)

    return BreakdownRow(None, total("calls"), total("input_tokens"), total("cache_read_tokens"),
                        total("cache_write_tokens"), total("output_tokens"),
                        sum((r.cost_usd for r in rows), ZERO), total("share_pct"), total("calls_share_pct"),
                        total("unpriced_calls"), total("errored_calls"), total("errored_input_tokens"),
                        total("errored_output_tokens"), total("errored_unpriced_calls"),
                        None if any(r.stray_cost_usd is None for r in rows)
                        else sum((r.stray_cost_usd or ZERO for r in rows), ZERO))


def _pareto(breakdowns: dict[str, list[BreakdownRow]], total: Decimal,
            rests: dict[str, Rest] | None = None) -> list[Pareto]:
    """For each dimension: the fewest top keys that make 80 % of spend (a dimension cut to its top
    rows counts the keys left out; when its top rows do not reach 80 %, it is left out)."""
    out: list[Pareto] = []
    if not total:
        return out
    for name in ("task_type", "feature", "tenant", "model"):
        rows = [r for r in breakdowns[BREAKDOWN_KEYS[name]] if r.key is not None]
        rest = (rests or {}).get(BREAKDOWN_KEYS[name])
        of_keys = len(rows) + (rest.keys if rest else 0)
        if of_keys < 2:
            continue
        acc = ZERO
        for i, r in enumerate(rows, 1):
            acc += r.cost_usd
            if acc >= total * Decimal("0.8"):
                out.append(Pareto(name, i, of_keys, float(100 * acc / total)))
                break
    return out
