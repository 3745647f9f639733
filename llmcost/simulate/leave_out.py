"""The cost of a stacked plan with one step left out, re-running the later steps only on the calls
that can come out differently (`llmcost.simulate.recommend.select_plan` checks each interacting
step this way).

Every later step this handles decides a call from a group of calls only:
- dedupe (exact repeats): the calls of the same model and prompt_hash (its replay partitions by
  both; a hash seen once in the calls it runs on has no earlier repeat either way);
- prompt caching without an estimated prefix: the calls of the same model and prefix key
  (`PREFIX_KEY`: the replay partitions by model and prefix hash, task type or block hash, and the
  cheapest-TTL choice is made per model and `PREFIX_KEY`; every block call of a model is in one
  key, 'b', so its block replays stay inside it);
- cap output and batch: the call alone.

So leaving out a step whose calls are known (a route's moved calls, dedupe's repeats) changes
only the calls that are in the same group as a changed call, step after step. For a route left
out of `route → [dedupe] → cache → [cap output, batch]`:
1. dedupe runs again on the (model, prompt_hash) partitions of the moved calls, before and after
   the move (complete partitions); its result is compared, call by call, with the full stack's
   dedupe step: the changed calls are the moved ones and those whose repeat flag changed;
2. the cache and the steps after it run again on the complete (model, prefix key) groups of the
   changed calls: the full stack's dedupe result for the other calls of those groups (the same
   with or without the route: their partitions did not change), the re-run rows for the changed
   ones;
3. the plan's cost without the route is the full plan's, minus what those groups cost in it (one
   pricing pass per stack, grouped by model and prefix key), plus what they cost re-run.
Leaving dedupe out is steps 2 and 3 from the relation before dedupe, on the groups of its repeats
(None where those groups hold most calls: re-running every call is then cheaper).
Any other shape of stack, an estimated prefix (its size is a minimum over the model's task type,
which a prefix key need not hold entirely) or a stack inside ClickHouse is not handled here
(`applies` is false): the caller re-runs the later steps over every call of the models involved,
as before. The result is the same number either way (tests/test_leave_out.py checks each
leave-one-out against the stack without the step run over every call).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from llmcost.pricing.engine import cost_total_sql, priced_sql
from llmcost.simulate.levers import PREFIX_KEY, LeverPlan
from llmcost.simulate.route_delta import RouteDeltas
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

ZERO = Decimal(0)
PER_CALL = ("cap_output", "batch")
NAMED_GROUPS = 64  # up to this many changed groups are picked by constants (`_in_groups`)
MOST = 0.5  # re-run on the changed groups only where they hold at most this share of the calls
_names = itertools.count()
def _group_local_cache(plan: LeverPlan) -> bool:
    """A cache step that decides each call inside its (model, PREFIX_KEY) group (not an estimated
    prefix, a minimum over the model's task type, which a prefix key need not hold entirely)."""
    return plan.lever == "cache" and plan.group_local


def applies(store: Store, units: list[LeverPlan], i: int, block: int) -> bool:
    """Whether the stack `units` without step `i` can be costed on the changed groups: `i` a
    route of the leading route block (`block` steps) or dedupe, followed by (dedupe, for a route)
    then a group-local cache step, then only per-call steps."""
    if getattr(store, "is_clickhouse", False):
        return False
    if i < block:
        later = units[block:]
        if later and later[0].lever == "dedupe":
            later = later[1:]
    elif units[i].lever == "dedupe":
        later = units[i + 1:]
    else:
        return False
    return bool(later) and _group_local_cache(later[0]) and all(u.lever in PER_CALL for u in later[1:])


class GroupCosts:
    """The full stack's priced cost per (model, PREFIX_KEY), as a TEMP table (one pricing pass)."""

    def __init__(self, store: Store, rel: str) -> None:
        self.store = store
        self.rel = rel
        self.table: str | None = None

    def _made(self) -> str:
        if self.table is None:
            self.table = f"llmcost_lo_fg{next(_names)}"
            self.store.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self.table} AS SELECT model, {PREFIX_KEY} AS _k, "
                f"sum({cost_total_sql()}) AS _c, count(*) AS _n FROM ({priced_sql(self.rel)}) GROUP BY ALL")
        return self.table

    def over(self, keys: str) -> Decimal:
        """What the groups in the TEMP table `keys` (model, _k) cost in the full stack."""
        (c,) = self.store.query(f"SELECT sum(g._c) FROM {self._made()} g JOIN {keys} k "
                                f"ON g.model IS NOT DISTINCT FROM k.model AND g._k = k._k")[0]
        return Decimal(c) if c is not None else ZERO

    def share(self, keys: str) -> float:
        """The share of the calls that are in the groups of `keys`."""
        n, total = self.store.query(
            f"SELECT sum(g._n) FILTER (WHERE k._k IS NOT NULL), sum(g._n) FROM {self._made()} g "
            f"LEFT JOIN {keys} k ON g.model IS NOT DISTINCT FROM k.model AND g._k = k._k")[0]
        return float(n or 0) / float(total) if total else 1.0


def _temp(store: Store, sql: str) -> str:
    name = f"llmcost_lo{next(_names)}"
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    return name


def _in_groups(store: Store, rel: str, keys: str, changed: str | None = None) -> str:
    """The rows of `rel` in the (model, PREFIX_KEY) groups of `keys`, but for the `changed` calls.
    A few groups are named as constants on the raw columns (what PREFIX_KEY means: 'b' a call with
    prefix blocks, 'h:X' prefix hash X, 't:X' task type X without either), which the scan filters
    before it reads the wide rows; many are joined on the key computed for every row."""
    groups = store.query(f"SELECT model, _k FROM {keys}")
    but = f" AND r.call_id NOT IN (SELECT call_id FROM {changed})" if changed else ""
    if len(groups) <= NAMED_GROUPS:
        return f"SELECT * FROM {rel} r WHERE ({' OR '.join(_group_sql(m, k) for m, k in groups) or 'false'}){but}"
    return (f"SELECT r.* EXCLUDE (_k) FROM (SELECT *, {PREFIX_KEY} AS _k FROM {rel}) r "
            f"JOIN {keys} k ON r.model IS NOT DISTINCT FROM k.model AND r._k = k._k WHERE true{but}")


def _group_sql(model: str | None, key: str) -> str:
    """The condition `model IS NOT DISTINCT FROM model AND PREFIX_KEY = key`, on the raw columns."""
    on = "model IS NULL" if model is None else f"model = {sql_str(model)}"
    if key == "b":
        return f"({on} AND prefix_blocks IS NOT NULL)"
    kind, value = key[:2], sql_str(key[2:])
    if kind == "h:":
        return f"({on} AND prefix_blocks IS NULL AND prefix_hash = {value})"
    assert kind == "t:", key
    return f"({on} AND prefix_blocks IS NULL AND prefix_hash IS NULL AND coalesce(task_type, '') = {value})"


def _keys(store: Store, mine: str, moved: str | None = None) -> str:
    """A TEMP table of the (model, PREFIX_KEY) groups of the rows `mine`, and (the calls of the
    route delta `moved` among them) of the same rows on the route's target: a moved call is in
    its model's group without the route, its target's with it."""
    target = (f" UNION ALL SELECT m._m AS model, {PREFIX_KEY} AS _k FROM ({mine}) JOIN {moved} m USING (call_id)"
              if moved else "")
    return _temp(store, f"SELECT DISTINCT * FROM (SELECT model, {PREFIX_KEY} AS _k FROM ({mine}){target})")


def without_route(store: Store, units: list[LeverPlan], i: int, block: int, rels: list[str],
                  scenario: Decimal, deltas: RouteDeltas, full: GroupCosts) -> Decimal:
    """The cost of the stack `units` without route `i` (`applies` holds): `deltas` holds the
    block's routes as deltas from the stack's base, `rels` the full stack's relation after each
    step, `scenario` its cost, `full` its cost per group."""
    from llmcost.simulate.run import BASE

    later = units[block:]
    others = units[:i] + units[i + 1:block]
    moved = deltas.delta(units[i], BASE)[0]
    # the moved calls without the route are as they are in the base: no other route reaches them
    mv = _temp(store, f"SELECT b.* FROM {BASE} b JOIN {moved} USING (call_id)")
    if later[0].lever == "dedupe":
        stacked = rels[block]  # the full stack's dedupe result (a TEMP table: cache follows it)
        # 1. dedupe on the (model, prompt_hash) partitions of the moved calls, on their model and
        #    on their target: every call of those models with one of their hashes (picked by hash
        #    before the other routes move calls), and the moved calls with no hash
        models = [m for (m,) in store.query(f"SELECT model FROM {mv} UNION SELECT _m FROM {moved}")
                  if m is not None]
        hashed = deltas.relation(BASE, others, f"llmcost_lo_r{next(_names)}",
                                 where=f"prompt_hash IN (SELECT prompt_hash FROM {mv})")
        part = _temp(store, f"""
            SELECT * FROM {hashed} WHERE model IN ({', '.join(sql_str(m) for m in models) or 'NULL'})
            UNION ALL BY NAME SELECT * FROM {mv} WHERE prompt_hash IS NULL OR model IS NULL""")
        redone = _temp(store, later[0].sql.replace("{prev}", part))
        # dedupe changes `billed` and its flag only, and its input differs from the full stack's
        # only on the moved calls: any other call that comes out differently differs there
        changed = _temp(store, f"SELECT call_id FROM {moved} UNION SELECT r.call_id FROM {redone} r "
                               f"JOIN (SELECT call_id, billed, t_dedupe FROM {stacked}) s USING (call_id) "
                               "WHERE r.billed IS DISTINCT FROM s.billed OR r.t_dedupe IS DISTINCT FROM s.t_dedupe")
        mine = f"SELECT * FROM {redone} WHERE call_id IN (SELECT call_id FROM {changed})"
        steps = later[1:]
    else:
        stacked = rels[block - 1]  # the full stack after the routes
        changed = _temp(store, f"SELECT call_id FROM {moved}")
        mine = f"SELECT * FROM {mv}"
        steps = later
    # 2. the later steps on the complete groups of the changed calls, as they are without the route
    keys = _keys(store, mine, moved)
    start = _temp(store, f"{_in_groups(store, stacked, keys, changed)} UNION ALL BY NAME {mine}")
    return _rerun(store, steps, start, keys, scenario, full, f"lo{i}_")


def without_dedupe(store: Store, units: list[LeverPlan], i: int, rels: list[str], scenario: Decimal,
                   full: GroupCosts) -> Decimal | None:
    """The cost of the stack `units` without its dedupe step `i` (`applies` holds): the later
    steps re-run, from the relation before dedupe, on the (model, prefix key) groups of the
    repeats it answered (the only calls it changed). None when those groups hold most calls (the
    caller re-runs the later steps over every call: cheaper than picking the groups out)."""
    from llmcost.simulate.run import BASE

    keys = _keys(store, f"SELECT * FROM {rels[i]} WHERE t_dedupe")
    if full.share(keys) > MOST:
        _drop_scratch(store, f"ld{i}_")
        return None
    start = _temp(store, _in_groups(store, rels[i - 1] if i else BASE, keys))
    return _rerun(store, units[i + 1:], start, keys, scenario, full, f"ld{i}_")


def _rerun(store: Store, steps: list[LeverPlan], start: str, keys: str, scenario: Decimal,
           full: GroupCosts, tag: str) -> Decimal:
    # 3. the full plan's cost, with those groups' cost in it replaced by their cost re-run
    from llmcost.simulate.run import run_stack

    cost, _ = run_stack(store, steps, ZERO, base=start, tag=tag)
    total = scenario - full.over(keys) + cost
    _drop_scratch(store, tag)
    return total


def _drop_scratch(store: Store, tag: str) -> None:
    """Drop this leave-one-out's TEMP tables and views (the full stack's per-group costs stay):
    they would hold memory the next one needs."""
    for kind, name in store.query(
            "SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'llmcost_lo') "
            "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary AND "
            "((starts_with(table_name, 'llmcost_lo') AND NOT starts_with(table_name, 'llmcost_lo_fg')) "
            f"OR starts_with(table_name, {sql_str('llmcost_sim_' + tag)})) ORDER BY 1 DESC"):
        store.con.execute(f"DROP {kind} IF EXISTS {name}")
