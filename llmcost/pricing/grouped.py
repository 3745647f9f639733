"""Pricing sums of calls instead of each call: exact, because a call's cost is linear in its
tokens once the price row that applies to it is fixed.

Every cost component is `tokens × price × multiplier × charge × 10⁻⁶` in exact DECIMAL
(`engine.priced_sql`), so for calls that take the same price row, the same multiplier and the
same charge, the sum of their costs is the same formula over the sum of their tokens — to the
last of the 21 decimals, not an approximation. What picks the row is known per call without
pricing it:

- the model, service tier, `billed`, inference geo and speed (grouped on as logged);
- the period in force and the off-peak windows, from the call's time: calls are grouped by UTC
  day (a period boundary at midnight, the ISO weekday of off-peak rules), by how many of the
  book's non-midnight boundaries they come after (`_cut`: DeepSeek's prices change at 16:00 UTC),
  and by how many
  off-peak window edges their minute of the day has passed (`_seg`), for the models logged;
- long context, all or nothing on the call's input: calls are grouped by how many of those
  models' long-context thresholds their input exceeds (`_lcb`), and one member's input
  (`lc_tokens`) stands for the group's when the row is chosen.

A group is then priced like a call (`priced_sql(…, lc_tokens="lc_tokens")`, its earliest time
standing for its calls'), and the per-call figures the analysis sums (`stored.ROLLUP_FIGURES`)
come from the groups' counts (`SUMMED_FIGURES`). Where calls must be read one by one (the most
expensive conversations and calls, a time series in a time zone), each call takes the prices of
its price class from a table of a few thousand rows, one hash join (`priced_calls_sql`), instead
of pricing's range joins.

Inside ClickHouse this replaces pricing every call into a session table (issue 17): at 10M calls
about the same CPU time and a quarter of the memory, which no longer grows with every call in
scope (bench/RESULTS.md).

The SQL is DuckDB's dialect, rendered for ClickHouse by the connection (`store_clickhouse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

from llmcost.pricing.engine import MODEL_MAP, PERIODS, sql_literal
from llmcost.pricing.stored import ROLLUP_FIGURES

if TYPE_CHECKING:
    from llmcost.store import Store


@dataclass(frozen=True)
class Cuts:
    """Where a price can change within the calls' models: non-midnight period boundaries,
    off-peak window edges (minutes of the UTC day), long-context thresholds."""

    instants: tuple[datetime, ...]
    minutes: tuple[int, ...]
    thresholds: tuple[int, ...]

    def keys(self) -> dict[str, str]:
        """The grouping keys that keep calls of different price rows apart (name -> SQL over a
        call's columns); a key with nothing to split is a constant 0."""
        minute = "(hour(ts) * 60 + minute(ts))"
        return {
            "_cut": " + ".join(f"CASE WHEN ts >= {sql_literal(t)} THEN 1 ELSE 0 END" for t in self.instants) or "0",
            "_seg": " + ".join(f"CASE WHEN {minute} >= {m} THEN 1 ELSE 0 END" for m in self.minutes) or "0",
            "_lcb": " + ".join(f"CASE WHEN input_tokens > {t} THEN 1 ELSE 0 END" for t in self.thresholds) or "0",
        }


def find_cuts(store: Store, source: str) -> Cuts:
    """The cuts of the models `source`'s calls name (the price tables loaded: `prepare_pricing`)."""
    used = f"""(SELECT DISTINCT model_id FROM {MODEL_MAP}
                WHERE model IN (SELECT DISTINCT model FROM {source} WHERE model IS NOT NULL))"""
    instants: set[datetime] = set()
    thresholds: set[int] = set()
    minutes: set[int] = set()
    for start, end, lc, windows in store.query(
            f"SELECT effective_from, effective_to, lc_threshold, op_windows FROM {PERIODS} "
            f"WHERE model_id IN {used}"):
        instants.update(t for t in (start, end) if t is not None and t.time() != time(0))
        if lc is not None:
            thresholds.add(int(lc))
        for w in windows or []:
            s, e = (w["s"], w["e"]) if isinstance(w, dict) else w
            minutes.update(m for m in (int(s), int(e)) if 0 < m < 24 * 60)
    return Cuts(tuple(sorted(instants)), tuple(sorted(minutes)), tuple(sorted(thresholds)))


# what a group's row carries besides its keys: the token sums priced like a call's tokens, and
# the counts the per-call figures become
_GROUP_FIGURES = {
    "ts": "min(ts)", "ts_last": "max(ts)", "n": "count(*)",
    "input_tokens": "sum(input_tokens)", "cache_read_tokens": "sum(cache_read_tokens)",
    "cache_write_5m_tokens": "sum(cache_write_5m_tokens)",
    "cache_write_1h_tokens": "sum(cache_write_1h_tokens)", "output_tokens": "sum(output_tokens)",
    "reasoning_tokens": "sum(reasoning_tokens)",
    "web_search_requests": "sum(coalesce(web_search_requests, 0))",
    "lc_tokens": "max(input_tokens)",
    "n_err": "count(*) FILTER (WHERE status = 'error')",
    "e_inp": "sum(input_tokens) FILTER (WHERE status = 'error')",
    "e_out": "sum(output_tokens) FILTER (WHERE status = 'error')",
    "logged_cost_usd": "sum(logged_cost_usd)",
}
# the columns of a call that choose its price row (with the cuts' keys)
PRICE_KEYS = ("model", "service_tier", "billed", "inference_geo", "speed")

# `stored.ROLLUP_FIGURES`, each per-call figure as a sum over priced groups
SUMMED_FIGURES = {
    "calls": "sum(n)", "inp": "sum(input_tokens)", "cr": "sum(cache_read_tokens)",
    "cw": "sum(cache_write_5m_tokens + cache_write_1h_tokens)", "out": "sum(output_tokens)",
    "reas": "sum(reasoning_tokens)", "errs": "sum(n_err)",
    "no_ts": "coalesce(sum(n) FILTER (WHERE ts IS NULL), 0)", "t0": "min(ts)", "t1": "max(ts_last)",
    "unpriced": "coalesce(sum(n) FILTER (WHERE cost_input IS NULL), 0)", "c_in": "sum(cost_input)",
    "c_cr": "sum(cost_cache_read)", "c_cw": "sum(cost_cache_write)", "c_out": "sum(cost_output)",
    "c_oth": "sum(cost_other)", "cost": "sum(cost_usd)",
    "log_n": "coalesce(sum(n) FILTER (WHERE _logged AND cost_usd IS NOT NULL), 0)",
    "ws": "sum(web_search_requests) FILTER (WHERE web_search_unpriced)",
    "tmiss": "coalesce(sum(n) FILTER (WHERE tier_priced = false), 0)",
    "e_inp": "sum(e_inp)", "e_out": "sum(e_out)",
    "e_unp": "coalesce(sum(n_err) FILTER (WHERE cost_input IS NULL), 0)",
}
assert SUMMED_FIGURES.keys() == ROLLUP_FIGURES.keys()


def grouped_sql(source: str, where: str, dims: tuple[str, ...], cuts: Cuts) -> str:
    """The calls of `source` matching `where`, summed per `dims` (columns of a call) and per price
    row (`PRICE_KEYS`, the day, the cuts' keys, whether a cost was logged): a relation of rows
    that `priced_sql(…, lc_tokens="lc_tokens")` prices like calls."""
    keys = {**{d: d for d in dims if d not in PRICE_KEYS}, **{k: k for k in PRICE_KEYS},
            "_day": "CAST(ts AS DATE)", **cuts.keys(), "_logged": "(logged_cost_usd IS NOT NULL)"}
    computed = ", ".join(f"{e} AS {k}" for k, e in keys.items() if e != k)
    figures = ", ".join(f"{e} AS {k}" for k, e in _GROUP_FIGURES.items())
    # the keys computed in a subquery, so that no key reads `ts` once it names the earliest time
    return (f"(SELECT {', '.join(keys)}, {figures}, CAST(NULL AS VARCHAR) AS model_id "
            f"FROM (SELECT *, {computed} FROM {source} WHERE {where}) "
            f"GROUP BY {', '.join(keys)})")


def summed_sql(priced_groups: str, keys: tuple[str, ...]) -> str:
    """Priced groups summed per `keys` (and per UTC day, as `ts` at midnight, like the store's
    `priced_rollup`), every figure of `stored.ROLLUP_FIGURES` under its name."""
    figures = ", ".join(f"{e} AS {k}" for k, e in SUMMED_FIGURES.items())
    cols = ", ".join(keys)
    return (f"SELECT {cols}, CAST(_day AS TIMESTAMP) AS ts, * EXCLUDE ({cols}, _day) FROM ("
            f"SELECT {cols}, _day, {figures} FROM {priced_groups} GROUP BY {cols}, _day)")


def class_keys(cuts: Cuts) -> tuple[str, ...]:
    """The keys that fix a call's price row (its price class): `PRICE_KEYS`, the day, the cuts."""
    return (*PRICE_KEYS, "_day", *cuts.keys())


# the price of a class as a call of it takes it (`classes_sql`), and what `priced_sql` says besides
CLASS_COLUMNS = ("model_id", "period_key", "price_multiplier", "p_input", "p_output", "p_cache_read",
                 "p_cache_write_5m", "p_cache_write_1h", "web_search_per_1k", "tier_priced", "unpriced_reason")


def classes_sql(priced_groups: str, cuts: Cuts) -> str:
    """One row per price class of the priced groups: its keys and prices (`CLASS_COLUMNS`)."""
    return (f"SELECT DISTINCT {', '.join(class_keys(cuts))}, {', '.join(CLASS_COLUMNS)}, "
            f"cost_input IS NULL AS _unpriced FROM {priced_groups}")


def _join_keys(alias: str, keys: tuple[str, ...]) -> list[str]:
    """Class keys as join keys, NULL matching NULL (an equality join, which ClickHouse hashes
    where it cannot hash `IS NOT DISTINCT FROM`): a text key coalesced plus whether it is NULL,
    the day and the counts coalesced to values they never take."""
    out = []
    for k in keys:
        if k in ("model", "service_tier", "inference_geo", "speed"):
            out += [f"coalesce({alias}.{k}, '')", f"({alias}.{k} IS NULL)"]
        elif k == "_day":
            out.append(f"coalesce({alias}._day, DATE '1900-01-01')")
        elif k == "billed":
            out += [f"coalesce({alias}.billed, false)", f"({alias}.billed IS NULL)"]
        else:
            out.append(f"coalesce({alias}.{k}, -1)")
    return out


def varying_keys(store: Store, classes: str, cuts: Cuts) -> tuple[str, ...]:
    """The class keys that take more than one value (NULL counted) among `classes`: the others
    pick no class and need no join key."""
    keys = class_keys(cuts)
    counts = store.query("SELECT " + ", ".join(
        f"count(DISTINCT {k}) + max(CASE WHEN {k} IS NULL THEN 1 ELSE 0 END)" for k in keys) + f" FROM {classes}")[0]
    return tuple(k for k, n in zip(keys, counts, strict=True) if (n or 0) > 1)


def priced_calls_sql(source: str, where: str, classes: str, cuts: Cuts, keys: tuple[str, ...]) -> str:
    """The calls of `source` matching `where`, each priced with the prices of its price class
    (`classes`: every class in scope, `classes_sql`, told apart by `keys`: `varying_keys`) by
    the same formula as `priced_sql`
    (`engine.component_costs`): the columns `analysis.analyze_calls` reads per call, from one
    hash join with a small table instead of the range joins of pricing."""
    from llmcost.pricing.engine import component_costs, cost_total_sql

    computed = ", ".join(f"{e} AS {k}" for k, e in {"_day": "CAST(ts AS DATE)", **cuts.keys()}.items())
    on = " AND ".join(f"{c} = {u}" for c, u in zip(_join_keys("c", keys), _join_keys("u", keys), strict=True)) or "true"
    costs = component_costs("c", "u", "u.price_multiplier", "u.web_search_per_1k", "u._unpriced")
    calls = ", ".join(f"c.{k} AS {k}" for k in ANALYZED_CALL_COLUMNS)
    return f"""(SELECT *, {cost_total_sql()} AS cost_usd FROM (
            SELECT {calls}, {', '.join(f'u.{k} AS {k}' for k in CLASS_COLUMNS)},
                   {', '.join(f'{e} AS {k}' for k, e in costs.items())},
                   (c.web_search_requests > 0 AND u.web_search_per_1k IS NULL) AS web_search_unpriced
            FROM (SELECT *, {computed} FROM {source} WHERE {where}) c JOIN {classes} u ON {on}))"""


# the columns of a call the analysis reads (the rest of `clickhouse_scope.ANALYZED` is pricing's)
ANALYZED_CALL_COLUMNS = (
    "call_id", "ts", "provider", "model", "task_type", "feature", "tenant", "conversation_id",
    "input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens",
    "reasoning_tokens", "service_tier", "status", "web_search_requests", "logged_cost_usd")


@dataclass(frozen=True)
class SummedScope:
    """The calls in scope priced as sums (`analysis.analyze_calls` reads these instead of the
    priced calls): `groups` the priced groups per provider, feature, task type and price class;
    `rollup` those summed per `ROLLUP_KEYS` but the file, and day (the store's `priced_rollup`'s
    shape); `calls` each call priced with its class's prices (`priced_calls_sql`), for what needs
    calls one by one (conversations, the most expensive calls)."""

    groups: str
    rollup: str
    calls: str


ROLLUP_BY = ("model", "model_id", "provider", "feature", "task_type", "period_key")
GROUP_DIMS = ("provider", "feature", "task_type")
