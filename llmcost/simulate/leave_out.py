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
Leaving dedupe out is step 2 and 3 from the relation before dedupe, on the groups of its repeats.
Any other shape of stack (or an estimated prefix, whose size is a minimum over the model's task
type, or a stack inside ClickHouse) returns None: the caller runs the later steps over every call
of the models involved, as before. The result is the same number either way.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

from llmcost.pricing.engine import cost_total_sql, priced_sql
from llmcost.schema import COLUMN_NAMES
from llmcost.simulate.levers import PREFIX_KEY, STACK_ORDER, LeverPlan
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

ZERO = Decimal(0)
PER_CALL = ("cap_output", "batch")
MOST = 0.5  # re-run on the changed groups only where they hold at most this share of the calls
_names = itertools.count()
# the windows of the cache lever that stay inside (model, PREFIX_KEY): the keyed and block replays
_CACHE_WINDOWS = ("model, _pk ", "model, h ")


def _group_local_cache(plan: LeverPlan) -> bool:
    """A cache step whose every window stays inside (model, PREFIX_KEY) (not an estimated prefix,
    a minimum over the model's task type, which a prefix key need not hold entirely)."""
    windows = re.findall(r"OVER \(PARTITION BY ([^)]*)\)", plan.sql)
    return plan.lever == "cache" and all(w.startswith(_CACHE_WINDOWS) for w in windows)


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


def _in_groups(rel: str, keys: str, changed: str | None = None) -> str:
    """The rows of `rel` in the (model, PREFIX_KEY) groups of `keys`, but for the `changed` calls."""
    but = f" WHERE r.call_id NOT IN (SELECT call_id FROM {changed})" if changed else ""
    return (f"SELECT r.* EXCLUDE (_k) FROM (SELECT *, {PREFIX_KEY} AS _k FROM {rel}) r "
            f"JOIN {keys} k ON r.model IS NOT DISTINCT FROM k.model AND r._k = k._k{but}")


def _keys(store: Store, rows: list[str]) -> str:
    """A TEMP table of the distinct (model, PREFIX_KEY) of the relations `rows`."""
    return _temp(store, "SELECT DISTINCT * FROM (" + " UNION ALL ".join(
        f"SELECT model, {PREFIX_KEY} AS _k FROM ({r})" for r in rows) + ")")


def without_route(store: Store, units: list[LeverPlan], i: int, block: int, rels: list[str],
                  scenario: Decimal, moved: str, rest: str, full: GroupCosts) -> Decimal:
    """The cost of the stack `units` without route `i` (`applies` holds). `moved`: the route's
    delta table (the calls it moves: call_id, new model `_m`); `rest`: the relation the other
    routes leave (the calls before the later steps, without route `i`); `rels`: the full stack's
    relation after each step; `scenario`: its cost; `full`: its cost per group."""
    later = units[block:]
    if later[0].lever == "dedupe":
        stacked = rels[block]  # the full stack's dedupe result (a TEMP table: cache follows it)
        # 1. dedupe on the (model, prompt_hash) partitions of the moved calls, on their model and
        #    on their target: every call of those models with one of their hashes, and the moved
        #    calls themselves (a call with no hash repeats nothing)
        #    (the moved calls are as they were in the stack's base: no other route reaches them)
        from llmcost.simulate.run import BASE

        mv = _temp(store, f"SELECT call_id, model, prompt_hash FROM {BASE} JOIN {moved} USING (call_id)")
        models = [m for (m,) in store.query(f"SELECT model FROM {mv} UNION SELECT _m FROM {moved}")
                  if m is not None]
        part = _temp(store, f"""
            SELECT * FROM {rest} WHERE model IN ({', '.join(sql_str(m) for m in models) or 'NULL'})
               AND prompt_hash IN (SELECT prompt_hash FROM {mv})
            UNION ALL SELECT * FROM {rest}
            WHERE call_id IN (SELECT call_id FROM {mv} WHERE prompt_hash IS NULL OR model IS NULL)""")
        redone = _temp(store, later[0].sql.replace("{prev}", part))
        same = " AND ".join(f"r.{c} IS NOT DISTINCT FROM s.{c}"
                            for c in (*COLUMN_NAMES, *(f"t_{f}" for f in STACK_ORDER)))
        changed = _temp(store, f"SELECT call_id FROM {moved} UNION SELECT r.call_id FROM {redone} r "
                               f"JOIN {stacked} s USING (call_id) WHERE NOT ({same})")
        mine = f"SELECT * FROM {redone} WHERE call_id IN (SELECT call_id FROM {changed})"
        theirs = f"SELECT * FROM {stacked} WHERE call_id IN (SELECT call_id FROM {changed})"
        steps = later[1:]
    else:
        stacked = rels[block - 1]  # the full stack after the routes
        changed = _temp(store, f"SELECT call_id FROM {moved}")
        mine = f"SELECT * FROM {rest} WHERE call_id IN (SELECT call_id FROM {changed})"
        theirs = f"SELECT * FROM {stacked} WHERE call_id IN (SELECT call_id FROM {changed})"
        steps = later
    # 2. the later steps on the complete groups of the changed calls, as they are without the route
    keys = _keys(store, [mine, theirs])
    start = _temp(store, f"{_in_groups(stacked, keys, changed)} UNION ALL BY NAME {mine}")
    return _rerun(store, steps, start, keys, scenario, full, f"lo{i}_")


def without_dedupe(store: Store, units: list[LeverPlan], i: int, rels: list[str], scenario: Decimal,
                   full: GroupCosts) -> Decimal | None:
    """The cost of the stack `units` without its dedupe step `i` (`applies` holds): the later
    steps re-run, from the relation before dedupe, on the (model, prefix key) groups of the
    repeats it answered (the only calls it changed). None when those groups hold most calls (the
    caller re-runs the later steps over every call: cheaper than picking the groups out)."""
    from llmcost.simulate.run import BASE

    keys = _keys(store, [f"SELECT * FROM {rels[i]} WHERE t_dedupe"])
    if full.share(keys) > MOST:
        return None
    start = _temp(store, _in_groups(rels[i - 1] if i else BASE, keys))
    return _rerun(store, units[i + 1:], start, keys, scenario, full, f"ld{i}_")


def _rerun(store: Store, steps: list[LeverPlan], start: str, keys: str, scenario: Decimal,
           full: GroupCosts, tag: str) -> Decimal:
    # 3. the full plan's cost, with those groups' cost in it replaced by their cost re-run
    from llmcost.simulate.run import run_stack

    cost, _ = run_stack(store, steps, ZERO, base=start, tag=tag)
    return scenario - full.over(keys) + cost
