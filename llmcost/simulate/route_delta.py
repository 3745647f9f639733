"""Route steps as narrow deltas: a stack's leading route steps are kept as the calls they move
(call id, new model and provider, cost change), not as copies of every call.

A route prices only its candidate calls, on their model and on the target; the calls it does not
move cost what they cost before. So a route step's priced total is the total before it plus the
sum of its moved calls' cost changes, exactly (DECIMAL sums), with no pricing pass over every
call; and the scenario after the routes is a view: the calls before them, with the moved calls'
model and provider taken from the deltas.

Routes whose scopes cannot reach each other's calls (disjoint task types, or the same task types
at disjoint providers with every target at the route's own providers) move the same calls
whichever runs first, so each route's delta is taken once from the relation before all of them
and reused for any subset of them (`llmcost.simulate.recommend.select_plan` leaves each out in
turn).

Leaving a route out of a stack changes only the calls of the models it moves from and to. When
every later step decides each call from calls of the same model only (`MODEL_LOCAL`: the
exact-repeat and prompt-cache replays partition by model, a cap or a tier is per call), the
stack without the route differs from the full stack only on those models: its cost is the full
stack's, minus what those models cost in it, plus the later steps re-run on those models' calls
alone.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from llmcost.pricing.engine import cost_total_sql, priced_sql
from llmcost.schema import COLUMN_NAMES
from llmcost.simulate.levers import MODEL_CACHE, STACK_ORDER, LeverPlan, parse_scope
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

# levers whose effect on a call depends only on calls of the same model (see the module's text)
MODEL_LOCAL = ("trim_prompt", "dedupe", "cache", "cap_output", "batch")
_names = itertools.count()


def _plain_route(plan: LeverPlan) -> bool:
    return (plan.lever == "route" and plan.delta_sql is not None and plan.quality is None
            and plan.prepare is None and not plan.metrics and not plan.per_task)


def route_block(store: Store, plans: list[LeverPlan]) -> int:
    """How many leading steps of `plans` (in stack order) are routes that can run as deltas from
    the same relation: 0 when the first is not, or when their scopes may reach each other's calls."""
    k = 0
    while k < len(plans) and _plain_route(plans[k]):
        k += 1
    specs = [(parse_scope(r["scope"]), r["models"]) for p in plans[:k] for r in p.params["routes"]]
    if len(specs) <= 1:
        return k
    if any(r["scope"] == "all calls" for p in plans[:k] for r in p.params["routes"]):
        return 0
    if any(not s.tasks or s.features or s.models or s.tenants for s, _ in specs):
        return 0
    home = {m: p for m, p in store.query(f"SELECT model, provider FROM {MODEL_CACHE}")}
    for (a, ta), (b, tb) in itertools.combinations(specs, 2):
        if not set(a.tasks) & set(b.tasks):
            continue
        if not a.providers or not b.providers or set(a.providers) & set(b.providers):
            return 0
        for scope, targets in ((a, ta), (b, tb)):
            # a moved call takes its target's provider: it must stay inside its own scope
            if any(home.get(mid) not in (None, *scope.providers) for mid in targets.values()):
                return 0
    return k


class RouteDeltas:
    """Each route's delta from a base relation, computed once (TEMP tables of the moved calls)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._deltas: dict[tuple[int, str], tuple[LeverPlan, str, Decimal, int]] = {}

    def delta(self, plan: LeverPlan, base: str) -> tuple[str, Decimal, int]:
        """(table of the moved calls, their cost change, how many) for `plan` applied on `base`."""
        key = (id(plan), base)
        if key not in self._deltas:
            assert plan.delta_sql is not None
            name = f"llmcost_rd{next(_names)}"
            self.store.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                                   f"{plan.delta_sql.replace('{prev}', base)}")
            change, moved = self.store.query(f"SELECT coalesce(sum(_d), 0), count(*) FROM {name}")[0]
            self._deltas[key] = (plan, name, Decimal(change), int(moved))
        _, name, change, moved = self._deltas[key]
        return name, change, moved

    def relation(self, base: str, plans: list[LeverPlan], name: str, where: str | None = None) -> str:
        """A TEMP view: `base` with the calls `plans` move on their new model and provider; the
        route flag marks the last plan's calls, as a chain of route steps would. No plans: `base`.
        `where`: only the calls of `base` that pass this condition (on their columns in `base`)."""
        if where is not None:
            base_rows = f"(SELECT * FROM {base} WHERE {where})"
            if not plans:
                self.store.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {base_rows}")
                return name
        else:
            base_rows = base
        if not plans:
            return base
        parts = [f"SELECT call_id, _m, _p, {'true' if i == len(plans) - 1 else 'false'} AS _last "
                 f"FROM {self.delta(p, base)[0]}" for i, p in enumerate(plans)]
        cols = ["coalesce(d._m, b.model) AS model" if c == "model" else
                "coalesce(d._p, b.provider) AS provider" if c == "provider" else f"b.{c}"
                for c in COLUMN_NAMES]
        cols += [f"b.t_{f}" if f != "route" else "coalesce(d._last, false) AS t_route" for f in STACK_ORDER]
        self.store.con.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(cols)}
            FROM {base_rows} b LEFT JOIN ({' UNION ALL '.join(parts)}) d USING (call_id)""")
        return name

    def models(self, plan: LeverPlan, base: str) -> list[str]:
        """The models `plan` moves calls from and to."""
        table = self.delta(plan, base)[0]
        return [m for (m,) in self.store.query(
            f"SELECT DISTINCT b.model FROM {base} b JOIN {table} USING (call_id) "
            f"UNION SELECT DISTINCT _m FROM {table} ORDER BY 1") if m is not None]


def cost_by_model(store: Store, rel: str) -> dict[str, Decimal]:
    """The priced cost of `rel` per model (one pricing pass)."""
    return {m: Decimal(c) for m, c in store.query(
        f"SELECT model, sum({cost_total_sql()}) FROM ({priced_sql(rel)}) WHERE model IS NOT NULL "
        "GROUP BY 1") if c is not None}


def restricted(store: Store, rel: str, models: list[str], name: str) -> str:
    """A TEMP view of the calls of `rel` on `models`."""
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {rel} "
                      f"WHERE model IN ({', '.join(sql_str(m) for m in models)})")
    return name
