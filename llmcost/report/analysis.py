"""The `analyze` result: where the calls, tokens and money go.

Calls are priced in DuckDB (`llmcost.pricing.engine`) and aggregated there in one grouped pass
(`GROUPING SETS`); only aggregated rows come back to Python. `period.days` is the elapsed time
between the first and last call in scope; every monthly figure = period figure × 30 / days.
Unpriced calls (model not in the book) are counted and listed, never in the dollar totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from llmcost.ingest import IngestResult
from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import cost_total_sql, prepare_pricing, priced_sql
from llmcost.scope import Scope
from llmcost.store import Store

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
        """amount × 30 / days; None when the calls span no time at all."""
        if amount is None or self.days <= 0:
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


@dataclass
class Totals:
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

    @property
    def cost_usd(self) -> Decimal:
        return self.costs.total

    @property
    def cache_hit_ratio(self) -> float:
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0

    @property
    def output_share_pct(self) -> float:
        total = self.cost_usd
        return float(100 * self.costs.output / total) if total else 0.0


@dataclass
class BreakdownRow:
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

    @property
    def monthly_usd(self) -> Decimal | None:
        return self.period.monthly(self.totals.cost_usd)


def _d(v: Any) -> Decimal:
    return Decimal(v) if v is not None else ZERO


def prepare_priced_scope(store: Store, book: PriceBook, scope: Scope) -> str:
    """A TEMP VIEW of the calls in scope, priced. Returns its name."""
    prepare_pricing(store.con, book, "calls")
    where, params = scope.where()
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW {PRICED}_all AS {priced_sql('calls')}")
    # scope parameters are bound into a table (views cannot hold parameters)
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {PRICED} AS SELECT * FROM {PRICED}_all "
                      f"WHERE {where}", params)
    return PRICED


def analyze_calls(store: Store, book: PriceBook, scope: Scope,
                  ingest: IngestResult | None, top: int = 5, relation: str | None = None) -> Analysis:
    """`relation`: the priced calls in scope when already prepared (`prepare_priced_scope`)."""
    rel = relation or prepare_priced_scope(store, book, scope)
    cost = cost_total_sql()
    sets = ", ".join(f"({expr})" for expr in DIMENSIONS.values())
    dim_cols = ", ".join(f"{expr} AS d_{name}" for name, expr in DIMENSIONS.items())
    gid = ", ".join(DIMENSIONS.values())
    rows = store.query(
        f"""
        SELECT GROUPING({gid}) AS g, {dim_cols},
               count(*), sum(input_tokens), sum(cache_read_tokens),
               sum(cache_write_5m_tokens + cache_write_1h_tokens), sum(output_tokens),
               sum(reasoning_tokens), count(*) FILTER (WHERE status = 'error'),
               count(*) FILTER (WHERE ts IS NULL), min(ts), max(ts),
               count(*) FILTER (WHERE cost_input IS NULL),
               sum(cost_input), sum(cost_cache_read), sum(cost_cache_write), sum(cost_output),
               sum(cost_other)
        FROM {rel}
        GROUP BY GROUPING SETS ((), {sets})
        """)
    n_dims = len(DIMENSIONS)
    full = (1 << n_dims) - 1
    totals = Totals()
    period = Period(None, None)
    grouped: list[tuple[str, tuple[Any, ...]]] = []
    for row in rows:
        g = row[0]
        (calls, inp, cr, cw, out, reas, errs, no_ts, first, last, unpriced,
         c_in, c_cr, c_cw, c_out, c_oth) = row[1 + n_dims:]
        costs = Costs(_d(c_in), _d(c_cr), _d(c_cw), _d(c_out), _d(c_oth))
        if g == full:
            totals = Totals(int(calls), int(calls) - int(unpriced), int(unpriced), int(inp or 0),
                            int(cr or 0), int(cw or 0), int(out or 0), int(reas or 0), int(errs),
                            int(no_ts), costs)
            period = Period(first, last)
            continue
        for i, name in enumerate(DIMENSIONS):
            # GROUPING's bit is 0 for the column grouped on; the leftmost column is the high bit
            if not (g >> (n_dims - 1 - i)) & 1:
                grouped.append((name, (row[1 + i], calls, inp, cr, cw, out, costs.total, unpriced)))
    breakdowns: dict[str, list[BreakdownRow]] = {k: [] for k in BREAKDOWN_KEYS.values()}
    total_cost = totals.cost_usd
    for name, (key, calls, inp, cr, cw, out, c, unpriced) in grouped:
        breakdowns[BREAKDOWN_KEYS[name]].append(BreakdownRow(
            key, int(calls), int(inp or 0), int(cr or 0), int(cw or 0), int(out or 0), c,
            float(100 * c / total_cost) if total_cost else 0.0,
            100.0 * calls / totals.calls if totals.calls else 0.0, int(unpriced)))
    for key, items in breakdowns.items():
        if key == "by_day":
            items.sort(key=lambda r: (r.key is None, r.key or ""))
        else:
            items.sort(key=lambda r: (-r.cost_usd, -r.calls, r.key is None, r.key or ""))
    if totals.calls == 0 or not breakdowns["by_conversation"] or all(
            r.key is None for r in breakdowns["by_conversation"]):
        breakdowns["by_conversation"] = breakdowns["by_conversation"][:0]
    else:
        breakdowns["by_conversation"] = breakdowns["by_conversation"][:100]

    unpriced_models = [UnpricedModel(m, int(n), reason) for m, n, reason in store.query(
        f"""SELECT model, count(*), min(unpriced_reason) FROM {rel}
            WHERE cost_input IS NULL GROUP BY model ORDER BY count(*) DESC, model""")]
    recon = _reconciliation(store, rel, cost)
    prices_used = [PriceUsed(*r) for r in store.query(
        f"""SELECT p.model_id, p.period_from, p.source, p.checked, count(*), p.note, p.overlay
            FROM {rel} c JOIN llmcost_price_periods p USING (period_key)
            GROUP BY ALL ORDER BY count(*) DESC, p.model_id, p.period_from""")]
    top_calls = [TopItem(k, d, _d(c)) for k, d, c in store.query(
        f"""SELECT call_id, coalesce(model_id, model) || ' · ' || coalesce(strftime(ts, '%Y-%m-%d %H:%M'), '?')
                   || ' · ' || format('{{:,}}', input_tokens) || ' in / '
                   || format('{{:,}}', output_tokens) || ' out', {cost}
            FROM {rel} WHERE cost_input IS NOT NULL ORDER BY {cost} DESC, call_id LIMIT {int(top)}""")]
    top_convs = [TopItem(k, f"{n:,} calls", _d(c)) for k, n, c in store.query(
        f"""SELECT conversation_id, count(*), sum({cost}) FROM {rel}
            WHERE conversation_id IS NOT NULL AND cost_input IS NOT NULL
            GROUP BY conversation_id ORDER BY sum({cost}) DESC, conversation_id LIMIT {int(top)}""")]
    unpriced_components = []
    ws, tier_missing = store.query(
        f"""SELECT coalesce(sum(web_search_requests) FILTER (WHERE web_search_unpriced), 0),
                   count(*) FILTER (WHERE tier_priced = false)
            FROM {rel}""")[0]
    if ws:
        unpriced_components.append(
            f"{int(ws):,} web search requests on models with no search price in the book "
            "(not in the totals)")
    if tier_missing:
        tiers = ", ".join(f"{t} ({n:,})" for t, n in store.query(
            f"SELECT service_tier, count(*) FROM {rel} WHERE tier_priced = false GROUP BY 1 ORDER BY 1"))
        unpriced_components.append(
            f"{int(tier_missing):,} calls on a service tier their provider has no price for, priced "
            f"at standard: {tiers}")
    notes: list[str] = []
    if totals.calls and period.days < 1:
        notes.append(f"the calls in scope span {period.days * 24:.1f} hours: monthly figures "
                     "extrapolate from less than a day")
    if totals.calls_without_time:
        notes.append(f"{totals.calls_without_time:,} calls have no timestamp: priced at the latest "
                     "price period of their model, and left out of the period and daily figures")
    return Analysis(period, totals, breakdowns, ingest, scope, unpriced_models, recon, prices_used,
                    _pareto(breakdowns, total_cost), top_calls, top_convs, unpriced_components,
                    book_files=[], notes=notes)


def _reconciliation(store: Store, rel: str, cost: str) -> Reconciliation | None:
    rows = store.query(
        f"""SELECT coalesce(model_id, model), count(*), sum(logged_cost_usd), sum({cost})
            FROM {rel} WHERE logged_cost_usd IS NOT NULL AND cost_input IS NOT NULL
            GROUP BY 1 ORDER BY 1""")
    if not rows:
        return None
    by_model = [ReconRow(m, int(n), _d(lc), _d(cc)) for m, n, lc, cc in rows]
    return Reconciliation(sum(r.calls for r in by_model),
                          sum((r.logged_cost_usd for r in by_model), ZERO),
                          sum((r.computed_cost_usd for r in by_model), ZERO), by_model)


def _pareto(breakdowns: dict[str, list[BreakdownRow]], total: Decimal) -> list[Pareto]:
    """For each dimension: the fewest top keys that make 80 % of spend."""
    out: list[Pareto] = []
    if not total:
        return out
    for name in ("task_type", "feature", "tenant", "model"):
        rows = [r for r in breakdowns[BREAKDOWN_KEYS[name]] if r.key is not None]
        if len(rows) < 2:
            continue
        acc = ZERO
        for i, r in enumerate(rows, 1):
            acc += r.cost_usd
            if acc >= total * Decimal("0.8"):
                out.append(Pareto(name, i, len(rows), float(100 * acc / total)))
                break
    return out
