"""Running levers: materialise each step of the stack as a TEMP table, price every step with the
one pricing engine, and report each lever's marginal saving. The stacked scenario is priced once
at the end of the stack, exactly like the baseline, so baseline and what-if never disagree on
price rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MODEL_MAP, cost_total_sql, prepare_pricing, priced_sql
from llmcost.pricing.stored import keeps_priced_calls
from llmcost.schema import COLUMN_NAMES
from llmcost.simulate.levers import MODEL_CACHE, STACK_ORDER, LeverPlan
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

if TYPE_CHECKING:
    from llmcost.run_rate import RunRate
    from llmcost.simulate.quality import Quality
    from llmcost.simulate.route_delta import RouteDeltas

BASE = "llmcost_sim_base"
ZERO = Decimal(0)


@dataclass
class LeverResult:
    lever: str
    params: dict[str, Any]
    scope: str
    calls_affected: int
    cost_before: Decimal
    cost_after: Decimal
    assumptions: list[str]
    metrics: dict[str, float | None]
    per_task: dict[str, dict[str, float | None]]
    confidence: str
    risk: str
    effort: str
    quality: Quality | None = None  # route and cascade with quality evidence (llmcost.simulate.quality)

    @property
    def savings_usd(self) -> Decimal:
        return self.cost_before - self.cost_after


@dataclass
class Simulation:
    baseline_usd: Decimal
    scenario_usd: Decimal
    levers: list[LeverResult]
    days: float
    calls: int
    unpriced_calls: int
    notes: list[str] = field(default_factory=list)
    run_rate: RunRate | None = None  # the main period (llmcost.run_rate.plan_run_rate)
    main_share: Decimal = Decimal(1)  # of each period figure, the main period's (stray calls left out)

    @property
    def savings_usd(self) -> Decimal:
        return self.baseline_usd - self.scenario_usd

    @property
    def savings_pct(self) -> float:
        return float(100 * self.savings_usd / self.baseline_usd) if self.baseline_usd else 0.0

    def monthly(self, amount: Decimal) -> Decimal | None:
        """A period figure's 30-day run rate; None when the calls span less than a day."""
        if self.run_rate is not None:
            return self.run_rate.monthly(amount * self.main_share)
        if self.days < 1:
            return None
        return amount * Decimal(30) / Decimal(repr(self.days))


def prepare_base(store: Store, book: PriceBook, priced_scope: str) -> tuple[int, int, float, Decimal]:
    """The baseline scenario from the priced calls in scope; the model and cache facts tables.
    Returns (calls, unpriced calls, days, baseline cost). The baseline is a view over the priced
    calls kept in the store (nothing copied), or a TEMP table when the calls in scope are priced
    on the fly (`--pricing` overlays, `:memory:` stores: a view would price them at every read)."""
    con = store.con
    cols = ", ".join(c if c != "model_id" else "CAST(NULL AS VARCHAR) AS model_id" for c in COLUMN_NAMES)
    flags = ", ".join(f"false AS t_{f}" for f in STACK_ORDER)
    kind = "VIEW" if keeps_priced_calls(store, book) else "TABLE"
    con.execute(f"DROP VIEW IF EXISTS {BASE}")
    con.execute(f"DROP TABLE IF EXISTS {BASE}")
    con.execute(f"CREATE TEMP {kind} {BASE} AS SELECT {cols}, {flags} FROM {priced_scope}")
    prepare_pricing(con, book, BASE)
    rows = []
    for model, mid in con.execute(f"SELECT model, model_id FROM {MODEL_MAP}").fetchall():
        m = book.models[mid]
        last = m.periods[-1]
        write_priced = m.cache_mode == "automatic" and "cache_write_5m" in last.prices and \
            last.prices["cache_write_5m"] != last.prices["input"]
        rows.append(f"({sql_str(model)}, {sql_str(mid)}, {sql_str(m.provider)}, "
                    f"{sql_str(m.cache_mode) if m.cache_mode else 'NULL'}, {m.cache_step or 'NULL'}, "
                    f"{m.min_cacheable_tokens or 'NULL'}, {'true' if write_priced else 'false'})")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {MODEL_CACHE} (model VARCHAR, model_id VARCHAR,
        provider VARCHAR, cache_mode VARCHAR, cache_step INTEGER, min_tokens INTEGER, write_priced BOOLEAN)""")
    if rows:
        con.execute(f"INSERT INTO {MODEL_CACHE} VALUES {', '.join(rows)}")
    # the baseline is the priced calls in scope: the same engine and book as every scenario
    calls, unpriced, first, last, cost = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE cost_input IS NULL), min(ts), max(ts), sum(cost_usd) "
        f"FROM {priced_scope}").fetchall()[0]
    days = (last - first).total_seconds() / 86400 if first and last else 0.0
    return int(calls), int(unpriced), days, (Decimal(cost) if cost is not None else ZERO)


# levers whose SQL holds window functions or joins worth computing once: their result is
# materialised when later steps build on it; the others stay nested subqueries (nothing written)
MATERIALISE = ("route", "dedupe", "cache", "history_window")


def step_figures(store: Store, plan: LeverPlan, rel: str) -> tuple[Decimal, int, dict[str, float | None],
                                                                   dict[str, dict[str, float | None]]]:
    """Priced total, calls affected and the lever's own figures, in one pass over `rel`."""
    metric_sql = "".join(f", {expr}" for expr in plan.metrics.values())
    row = store.query(f"SELECT sum({cost_total_sql()}), count(*) FILTER (WHERE t_{plan.lever}){metric_sql} "
                      f"FROM ({priced_sql(rel)})")[0]
    metrics = {k: (v if isinstance(v, int) or v is None else float(v))
               for k, v in zip(plan.metrics, row[2:], strict=True)}
    per_task: dict[str, dict[str, float | None]] = {}
    for name, (expr, cond) in plan.per_task.items():
        per_task[name] = {t: (float(v) if v is not None else None) for t, v in store.query(
            f"SELECT task_type, {expr} FROM {rel} WHERE {cond} GROUP BY task_type ORDER BY task_type")}
    return (Decimal(row[0]) if row[0] is not None else ZERO), int(row[1]), metrics, per_task


def run_stack(store: Store, plans: list[LeverPlan], baseline: Decimal,
              base: str = BASE, tag: str = "s", rels: list[str] | None = None,
              deltas: RouteDeltas | None = None) -> tuple[Decimal, list[LeverResult]]:
    """Apply `plans` in the fixed stack order on top of `base`; price after each step. `rels`, when
    given, receives the relation after each step (a TEMP table, view or subquery), so a caller can
    run other steps on top of a prefix of the stack without recomputing it. Leading route steps
    run as narrow deltas (llmcost.simulate.route_delta; `deltas` keeps them for the next call
    on the same `base`): `baseline` must then be the priced total of `base`."""
    from llmcost.simulate.route_delta import RouteDeltas, route_block

    plans = sorted(plans, key=lambda p: STACK_ORDER.index(p.lever))
    before = baseline
    prev = base
    results = []
    block = route_block(store, plans)
    if block:
        deltas = deltas or RouteDeltas(store)
        for i, plan in enumerate(plans[:block]):
            _, change, moved = deltas.delta(plan, base)
            results.append(LeverResult(plan.lever, plan.params, plan.scope, moved, before, before + change,
                                       plan.assumptions, {}, {}, plan.confidence, plan.risk, plan.effort))
            before = before + change
            if rels is not None or i == block - 1:
                prev = deltas.relation(base, plans[:i + 1], f"llmcost_rv_{tag}{i}")
                if rels is not None:
                    rels.append(prev)
    for i, plan in enumerate(plans):
        if i < block:
            continue
        sql = plan.sql.replace("{prev}", prev)
        if plan.prepare is not None:  # decided in Python on pulled-back data, returned as a table
            decisions = f"llmcost_sim_{tag}{i}_decisions"
            plan.prepare(store, prev, decisions)
            sql = sql.replace("{decisions}", decisions)
        if (plan.lever in MATERIALISE and i < len(plans) - 1) or plan.quality is not None:
            name = f"llmcost_sim_{tag}{i}"
            store.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            rel = name
        else:
            rel = f"({sql})"
        after, affected, metrics, per_task = step_figures(store, plan, rel)
        if rels is not None:
            rels.append(rel)
        results.append(LeverResult(plan.lever, plan.params, plan.scope, affected, before, after,
                                   plan.assumptions, metrics, per_task, plan.confidence, plan.risk,
                                   plan.effort))
        if plan.quality is not None:
            from llmcost.simulate.quality import apply_quality

            apply_quality(store, plan.quality, prev, rel, results[-1])
        before, prev = after, rel
    return before, results
