"""What-if levers: each turns a scenario relation into another, in SQL, and says in plain words
what it assumes. Levers are pure: no I/O, no clock, no printing; they return SQL text that the
runner (`llmcost.simulate.run`) materialises and prices with the one pricing engine.

A scenario relation has the canonical call columns plus one `t_<lever>` flag per lever applied
(true where that lever changed the call's tokens, model, tier or billing). A lever never computes
money except where its rule is "only if cheaper" (route without a scope, cache `auto`), and then
only by calling the same pricing SQL as the baseline.

Stack order is fixed (DESIGN §6): route → cascade → trim_prompt → history_window → cap_input → dedupe →
similar_cache → deflect → cache → cap_output → batch (the cascade lever is in `llmcost.simulate.cascade`,
the context levers in `llmcost.simulate.context`, similar_cache and deflect in `llmcost.simulate.similar`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost.errors import UsageError
from llmcost.pricing.book import Model, PriceBook
from llmcost.pricing.engine import cost_total_sql, priced_sql
from llmcost.schema import COLUMN_NAMES
from llmcost.sql_quoting import sql_str

if TYPE_CHECKING:
    from llmcost.simulate.quality import Evidence, QualitySpec

STACK_ORDER = ("route", "cascade", "trim_prompt", "history_window", "cap_input", "dedupe", "similar_cache",
               "deflect", "cache", "cap_output", "batch")
MODEL_CACHE = "llmcost_model_cache"  # model name -> cache facts (created by the runner)
SIMPLE_TASK = re.compile(
    r"classif|extract|tag|label|categor|intent|detect|sentiment|keyword|title|rout|moderat|"
    r"short_summ|summary_short|dedup|spam|lang", re.I)


@dataclass
class LeverPlan:
    """One lever, ready to run: `sql` selects the new scenario from the relation `{prev}`."""

    lever: str
    params: dict[str, Any]
    sql: str
    assumptions: list[str]
    scope: str = "all calls"
    # lever-specific figures: name -> SQL aggregate over the new relation (WHERE-free)
    metrics: dict[str, str] = field(default_factory=dict)
    # name -> (aggregate SQL, row filter): the same figure per task type
    per_task: dict[str, tuple[str, str]] = field(default_factory=dict)
    confidence: str = "measured"
    risk: str = "none"
    effort: str = "hours"
    # the `llmcost simulate` options that reproduce this step (recommend prints them)
    args: list[str] = field(default_factory=list)
    # quality before/after from an eval file (route, cascade): run on the step's input and output
    quality: QualitySpec | None = None
    # a lever decided in Python on small pulled-back data (llmcost.simulate.similar): the runner
    # calls prepare(store, prev, table) first, which writes the decisions to the TEMP `table`
    # that `sql` names as `{decisions}`
    prepare: Callable[[Any, str, str], object] | None = None
    # a step that decides each call from the calls of its own (model, PREFIX_KEY) group alone
    # (the cache replay without an estimated prefix): `simulate.leave_out` re-runs it on groups
    group_local: bool = False
    # route only: the calls this step changes, from `{prev}`, as a narrow delta (call_id, new
    # model `_m` and provider `_p`, cost change `_d`): llmcost.simulate.route_delta
    delta_sql: str | None = None


@dataclass(frozen=True)
class Scope:
    """The lever scope syntax: a comma list of task types, or feature:NAME, model:NAME,
    tenant:NAME (DESIGN §1; any of them). provider:NAME narrows the scope to that provider's calls
    (`classify,provider:anthropic` is the classify calls made at Anthropic)."""

    text: str
    tasks: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()

    def sql(self) -> str:
        narrow = (f" AND provider IN ({', '.join(sql_str(p) for p in self.providers)})"
                  if self.providers else "")
        return self._any_sql()[:-1] + narrow + ")" if narrow else self._any_sql()

    def _any_sql(self) -> str:
        conds = []
        if self.tasks:
            conds.append(f"task_type IN ({', '.join(sql_str(t) for t in self.tasks)})")
        if self.features:
            conds.append(f"feature IN ({', '.join(sql_str(t) for t in self.features)})")
        if self.models:
            conds.append(f"model IN ({', '.join(sql_str(t) for t in self.models)})")
        if self.tenants:
            conds.append(f"tenant IN ({', '.join(sql_str(t) for t in self.tenants)})")
        return "((" + " OR ".join(conds) + "))" if conds else "(true)"


def parse_scope(text: str | None) -> Scope:
    if not text or text.strip() in ("", "all", "*"):
        return Scope("all calls")
    tasks: list[str] = []
    features: list[str] = []
    models: list[str] = []
    tenants: list[str] = []
    providers: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, _, value = part.partition(":")
        if value and kind in ("feature", "model", "tenant", "task", "provider"):
            {"feature": features, "model": models, "tenant": tenants, "task": tasks,
             "provider": providers}[kind].append(value)
        else:
            tasks.append(part)
    return Scope(text, tuple(tasks), tuple(features), tuple(models), tuple(tenants), tuple(providers))


def split_scoped(value: str) -> tuple[Scope, str]:
    """`[SCOPE=]VALUE` -> (scope, value)."""
    if "=" in value:
        scope, _, rest = value.rpartition("=")
        return parse_scope(scope), rest.strip()
    return parse_scope(None), value.strip()


def parse_duration(text: str, option: str) -> int:
    """`30s`, `5m`, `1h`, `24h` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not m:
        raise UsageError(f"{option} {text}: not a duration.", "Write durations as 30s, 5m, 1h or 24h.")
    return int(float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)])


def _select(prev: str, replace: dict[str, str], flag: str, lever: str, extra_from: str = "") -> str:
    """SELECT every canonical column of `prev` (some replaced), earlier flags, and this lever's."""
    cols = []
    for c in COLUMN_NAMES:
        cols.append(f"{replace[c]} AS {c}" if c in replace else c)
    flags = [f for f in STACK_ORDER if f != lever]
    cols += [f"t_{f}" for f in flags]
    cols.append(f"coalesce({flag}, false) AS t_{lever}")
    return f"SELECT {', '.join(cols)} FROM {prev} {extra_from}"


# --- route -------------------------------------------------------------------------------------

SMALL_FAMILY = {"anthropic": "haiku", "openai": "mini", "google": "flash-lite",
                "deepseek": "deepseek-flash", "mistral": "mistral-small", "zhipu": "glm-flash"}


def family_members(book: PriceBook, provider: str, word: str) -> list[Model]:
    """The models of `provider` whose family is `word` or ends in `-word` (`mini` finds gpt-mini
    and o-mini)."""
    return [m for m in book.models.values() if m.provider == provider
            and (m.family == word or m.family.endswith("-" + word))]


def list_price(m: Model) -> Decimal:
    """Input + output price ($/MTok) of the model's latest period: the order "cheapest" uses
    where no traffic decides."""
    last = m.periods[-1].prices
    return last.get("input", Decimal(0)) + last.get("output", Decimal(0))


def route_targets(book: PriceBook, target: str) -> dict[str, str]:
    """provider -> model id: a model id (any alias) for every provider, or a family word meaning
    the cheapest current model of that family at each provider (not retired: the book's `retired`
    date; cheapest by input + output list price, the newest on a tie). `small` means each
    provider's small family (SMALL_FAMILY)."""
    resolved = book.resolve(target)
    if resolved:
        return {"*": resolved[0]}
    word = target.strip().lower()
    out: dict[str, str] = {}
    for provider in sorted({m.provider for m in book.models.values()}):
        w = SMALL_FAMILY.get(provider, "") if word == "small" else word
        if not w:
            continue
        family = [m for m in family_members(book, provider, w) if m.retired is None]
        if family:
            out[provider] = min(family, key=lambda m: (
                list_price(m), -(m.released or m.periods[0].effective_from.date()).toordinal(), m.id)).id
    if not out:
        raise UsageError(f"--route {target}: neither a model in the price book nor a family word.",
                         "Use a model id (see `llmcost pricing list`) or a family: haiku, sonnet, "
                         "mini, nano, flash, flash-lite, pro …")
    return out


def route(specs: list[tuple[Scope, str]], book: PriceBook,
          quality_note: str | None = None, only_cheaper: bool = False,
          providers: set[str] | None = None, evidence: Evidence | None = None) -> LeverPlan:
    """Move calls to a cheaper model. With a scope, every call in it moves (where the target has
    a price at the call's time); without one, or with `only_cheaper`, a call moves only if its own
    tokens cost less there."""
    cases = []
    assumptions = []
    params: dict[str, Any] = {"routes": []}
    labels = []
    for scope, target in specs:
        targets = route_targets(book, target)
        if "*" in targets:
            tsql = sql_str(targets["*"])
        else:
            whens = " ".join(f"WHEN {sql_str(p)} THEN {sql_str(t)}" for p, t in sorted(targets.items()))
            tsql = f"(CASE provider {whens} END)"
        cases.append((scope, tsql, scope.text != "all calls" and not only_cheaper))
        params["routes"].append({"scope": scope.text, "target": target, "models": targets})
        # name the targets of the providers present in the traffic (when known)
        shown = ", ".join(sorted({t for p, t in targets.items() if providers is None or p in providers
                                  or p == "*"})) or "no model of that family at the providers in scope"
        forced = scope.text != "all calls" and not only_cheaper
        labels.append(f"{scope.text} → {shown}")
        assumptions.append(
            f"{scope.text} → {shown}: " + ("every call in scope moves" if forced
                                          else "a call moves only where its own tokens cost less on the target"))
    when_target = " ".join(f"WHEN {s.sql()} THEN {t}" for s, t, _ in cases)
    when_forced = " ".join(f"WHEN {s.sql()} THEN {'true' if forced else 'false'}" for s, _, forced in cases)
    # only the calls that may move are priced, on their model and on the target
    cand = (f"SELECT * FROM (SELECT *, (CASE {when_target} END) AS _target, "
            f"coalesce((CASE {when_forced} END), false) AS _forced FROM {{prev}}) "
            f"WHERE _target IS NOT NULL AND _target <> model")
    moved = (f"(SELECT c.* REPLACE (c._target AS model, coalesce(mc.provider, c.provider) AS provider) "
             f"FROM cand c LEFT JOIN {MODEL_CACHE} mc ON mc.model = c._target)")
    picked = "alt._c IS NOT NULL AND cur._c IS NOT NULL AND (alt._forced OR alt._c < cur._c)"
    priced_cand = f"""
        WITH cand AS ({cand}),
        cur AS (SELECT call_id, cost_usd AS _c FROM ({priced_sql('cand')})),
        alt AS (SELECT call_id, model AS _m, provider AS _p, _forced, cost_usd AS _c
                FROM ({priced_sql(moved)}))"""
    delta_sql = (f"{priced_cand} SELECT alt.call_id, alt._m, alt._p, alt._c - cur._c AS _d "
                 f"FROM alt JOIN cur USING (call_id) WHERE {picked}")
    sql = f"""{priced_cand},
        pick AS (SELECT alt.call_id, alt._m, alt._p FROM alt JOIN cur USING (call_id) WHERE {picked})
        {_select('{prev}', {'model': 'coalesce(pick._m, model)', 'provider': 'coalesce(pick._p, provider)'},
                 'pick.call_id IS NOT NULL', 'route', 'LEFT JOIN pick USING (call_id)')}
    """
    assumptions.append("token counts carried over unchanged to the new model; where the provider "
                       "changes, its tokenizer may count the same text differently (often ±10–30 %)")
    assumptions.append(quality_note or "answer quality on the cheaper model is NOT measured here: "
                       "validate on 100–200 examples per task (or give a quality column / eval file)")
    quality = None
    if evidence is not None:  # quality before/after of the calls that move (llmcost.simulate.quality)
        from llmcost.simulate.quality import route_quality

        quality = route_quality(evidence)
    return LeverPlan("route", params, sql, assumptions,
                     scope=", ".join(labels), confidence="assumed",
                     risk="quality", effort="a week (eval)", quality=quality,
                     args=[] if only_cheaper and any(s.text != "all calls" for s, _ in specs) else
                     [a for s, t in specs for a in ("--route", t if s.text == "all calls" else f"{s.text}={t}")],
                     delta_sql=delta_sql)


# --- trim prompt --------------------------------------------------------------------------------

def trim_prompt(fraction: float, cacheable_tokens: int | None = None,
                scope: Scope | None = None) -> LeverPlan:
    scope = scope or parse_scope(None)
    if not 0 < fraction < 1:
        raise UsageError(f"--trim-prompt {fraction}: the fraction must be between 0 and 1.",
                         "For example --trim-prompt 0.3 to shrink the static prefix by 30 %.")
    prefix = f"coalesce(prefix_tokens, {int(cacheable_tokens)})" if cacheable_tokens else "prefix_tokens"
    cut = f"CAST(floor({prefix} * {fraction}) AS BIGINT)"
    # trimmed tokens come out of the cache-read part first, then uncached input
    from_read = f"least(cache_read_tokens, {cut})"
    on = f"({scope.sql()} AND {prefix} > 0)"
    sql = _select("{prev}", {
        "input_tokens": f"CASE WHEN {on} THEN input_tokens - {cut} ELSE input_tokens END",
        "cache_read_tokens": f"CASE WHEN {on} THEN cache_read_tokens - {from_read} "
                             f"ELSE cache_read_tokens END",
        "prefix_tokens": f"CASE WHEN {on} AND prefix_tokens > 0 THEN prefix_tokens - {cut} "
                         f"ELSE prefix_tokens END",
    }, f"{scope.sql()} AND {prefix} > 0 AND {cut} > 0", "trim_prompt")
    return LeverPlan("trim_prompt", {"fraction": fraction, "scope": scope.text}, sql,
                     [f"the static prompt prefix shrinks by {fraction:.0%} (a user estimate, not "
                      "measured)" + ("" if not cacheable_tokens else
                                     f"; calls without a logged prefix size assume {cacheable_tokens:,} tokens"),
                      "answers stay as good with the shorter prompt"],
                     scope=f"static prefix ({scope.text})", confidence="assumed", risk="quality",
                     effort="days")


# --- dedupe ------------------------------------------------------------------------------------

def dedupe(window_s: int) -> LeverPlan:
    # the window runs only over the prompt hashes seen more than once: a call whose hash is unique
    # has no previous identical request (nearly every hash is unique in a real log). A semi-join on
    # the hash alone, not on (model, hash): calls with no model still pair with each other. Both
    # sides read the five columns they need (`r`), not the whole relation twice: over a scenario
    # whose routes are a join (`route_delta`), reading it whole on both sides ran out of DuckDB's
    # 1 GB at 10M calls
    sql = f"""
        WITH r AS (SELECT call_id, ts, model, prompt_hash, source_line FROM {{prev}}
                   WHERE status = 'ok' AND ts IS NOT NULL AND prompt_hash IS NOT NULL),
        s AS (SELECT call_id, ts, lag(ts) OVER (PARTITION BY model, prompt_hash
                                               ORDER BY ts, source_line, call_id) AS _prev
              FROM r WHERE prompt_hash IN (SELECT prompt_hash FROM r GROUP BY prompt_hash HAVING count(*) > 1)),
        hit AS (SELECT call_id FROM s WHERE _prev IS NOT NULL
                AND epoch(ts) - epoch(_prev) <= {int(window_s)})
        {_select('{prev}', {'billed': 'CASE WHEN hit.call_id IS NOT NULL THEN false ELSE billed END'},
                 'hit.call_id IS NOT NULL', 'dedupe', 'LEFT JOIN hit USING (call_id)')}
    """
    return LeverPlan("dedupe", {"window_s": window_s}, sql,
                     [f"an exact repeat (same prompt_hash and model) within {window_s // 60 or window_s} "
                      f"{'min' if window_s >= 60 else 's'} of the previous identical request is answered "
                      "from a response cache at no cost",
                      "a cached answer is acceptable for an identical request in that window"],
                     scope="exact repeats", risk="stale answers", effort="a day")


# --- cache -------------------------------------------------------------------------------------

def _cache_decisions(prev: str, ttls: dict[str, int], scope: Scope, cacheable_tokens: int | None,
                     estimated_prefix: str | None) -> str:
    """CTEs ending in `dec`: per eligible call, the cache tokens it would read (`r_<ttl>`) and
    write (`w_<ttl>`) under each TTL. The keyed replay (prefix_hash, else task type) and the block
    replay (prefix_blocks) run ONCE for every TTL: when a prefix (or block) was last used does not
    depend on the TTL, only whether that use is recent enough. Only calls with no cache tokens
    logged are changed (no double credit)."""
    fallback = (f"CAST({int(cacheable_tokens)} AS BIGINT)" if cacheable_tokens
                else (estimated_prefix or "NULL"))

    def keyed_hit(s: int) -> str:
        return f"(_prev_ts IS NOT NULL AND epoch(ts) - epoch(_prev_ts) <= {s})"

    writes = "(_mode = 'explicit' OR _wp)"
    keyed_cols = ", ".join(
        f"CASE WHEN {keyed_hit(s)} THEN _cacheable ELSE 0 END AS r_{n}, "
        f"CASE WHEN NOT {keyed_hit(s)} AND {writes} THEN _cacheable ELSE 0 END AS w_{n}"
        for n, s in ttls.items())
    chains = ", ".join(
        f"coalesce(min(i) FILTER (WHERE NOT (_pt IS NOT NULL AND epoch(ts) - epoch(_pt) <= {s})), "
        f"any_value(_n) + 1) - 1 AS _chain_{n}" for n, s in ttls.items())
    block_c = ", ".join(f"CAST(floor(least(_inp, _chain_{n} * _bt) / _step) * _step AS BIGINT) AS _c_{n}"
                        for n in ttls)

    def kept(n: str) -> str:
        return f"(CASE WHEN _c_{n} >= _min THEN _c_{n} ELSE 0 END)"

    block_cols = ", ".join(
        f"CASE WHEN _c_{n} >= _min AND _c_{n} > 0 THEN _c_{n} ELSE 0 END AS r_{n}, "
        f"CASE WHEN {writes} AND _inp - {kept(n)} >= _min THEN _inp - {kept(n)} ELSE 0 END AS w_{n}"
        for n in ttls)
    return f"""
    k AS (
        SELECT p.*, mc.cache_mode AS _mode, coalesce(mc.cache_step, 1) AS _step,
               coalesce(mc.min_tokens, 0) AS _min, coalesce(mc.write_priced, false) AS _wp,
               CASE WHEN p.prefix_hash IS NOT NULL THEN 'h:' || p.prefix_hash
                    WHEN p.task_type IS NOT NULL AND {fallback} IS NOT NULL THEN 't:' || p.task_type END AS _pk,
               least(p.input_tokens, CASE WHEN p.prefix_hash IS NOT NULL THEN p.prefix_tokens
                                          ELSE {fallback} END) AS _P,
               ({scope.sql()}) AND p.status = 'ok' AND p.billed AND p.ts IS NOT NULL
                 AND p.cache_read_tokens + p.cache_write_5m_tokens + p.cache_write_1h_tokens = 0
                 AND mc.cache_mode IS NOT NULL AS _elig
        FROM {prev} p LEFT JOIN {MODEL_CACHE} mc ON mc.model = p.model
    ), keyed AS (
        SELECT call_id, _mode, _step, _min, _wp, _P, _elig,
               lag(ts) OVER (PARTITION BY model, _pk ORDER BY ts, source_line, call_id) AS _prev_ts, ts
        FROM k WHERE _pk IS NOT NULL AND prefix_blocks IS NULL AND _P > 0
    ), keyed_new AS (
        SELECT call_id, _prev_ts, ts, CAST(floor(_P / _step) * _step AS BIGINT) AS _cacheable, _mode, _min, _wp
        FROM keyed WHERE _elig AND _P >= _min
    ), blocks AS (
        SELECT k.call_id, k.model, k.ts, k.source_line, k.input_tokens, k._elig, k._mode, k._step,
               k._min, k._wp, coalesce(k.block_tokens, 512) AS _bt,
               array_length(k.prefix_blocks) AS _n, k.i, k.h
        -- one unnest and an index, not two unnests side by side: DuckDB zips those, ClickHouse
        -- (arrayJoin) would pair every block with every position; array_length, not len: the
        -- transpiler takes len for a string's (issue 17)
        FROM (SELECT *, prefix_blocks[i] AS h
              FROM (SELECT *, unnest(range(1, array_length(prefix_blocks) + 1)) AS i
                    FROM k WHERE prefix_blocks IS NOT NULL AND array_length(prefix_blocks) > 0)) AS k
    ), block_hits AS (
        SELECT call_id, i, _n, _bt, input_tokens, _elig, _mode, _step, _min, _wp,
               (lag(ts) OVER (PARTITION BY model, h ORDER BY ts, source_line, call_id)) AS _pt, ts
        FROM blocks
    ), block_new AS (
        SELECT call_id, any_value(_mode) AS _mode, any_value(_step) AS _step, any_value(_min) AS _min,
               any_value(_wp) AS _wp, any_value(input_tokens) AS _inp, any_value(_bt) AS _bt, {chains}
        FROM block_hits WHERE _elig GROUP BY call_id
    ), dec AS (
        SELECT call_id, {keyed_cols} FROM keyed_new
        UNION ALL
        SELECT call_id, {block_cols} FROM (SELECT *, {block_c} FROM block_new)
    )"""


WRITE_COLUMN = {"5m": "cache_write_5m_tokens", "1h": "cache_write_1h_tokens"}


def _apply_cache(prev: str, ttls: list[str], variant: str, extra_from: str) -> str:
    """`prev` with the cache tokens of the variant named by the SQL `variant` (a TTL name, or
    anything else for no change) taken from `dec` (joined as `d` in `extra_from`)."""
    read = " ".join(f"WHEN '{n}' THEN coalesce(d.r_{n}, cache_read_tokens)" for n in ttls)
    replace = {"cache_read_tokens": f"CASE {variant} {read} ELSE cache_read_tokens END"}
    for n in ttls:
        col = WRITE_COLUMN[n]
        replace[col] = f"CASE WHEN {variant} = '{n}' THEN coalesce(d.w_{n}, {col}) ELSE {col} END"
    flag = "CASE " + variant + " " + " ".join(
        f"WHEN '{n}' THEN d.r_{n} > 0 OR d.w_{n} > 0" for n in ttls) + " ELSE false END"
    return _select(prev, replace, flag, "cache", extra_from)


PREFIX_KEY = ("CASE WHEN prefix_blocks IS NOT NULL THEN 'b' WHEN prefix_hash IS NOT NULL "
              "THEN 'h:' || prefix_hash ELSE 't:' || coalesce(task_type, '') END")


def _cache_sql(ttls: dict[str, int], choose: bool, include_off: bool, decisions: str) -> str:
    """The cache lever's SQL: one TTL for every call, or (`choose`) per (model, prefix key) the
    TTL, or no caching (`include_off`), whose priced cost is lowest; a tie keeps no caching, then
    the shorter TTL. Only the calls the replay changes are priced for the choice: every other call
    costs the same under every option."""
    names = list(ttls)
    if not choose:
        return f"WITH {decisions} " + _apply_cache("{prev}", names, f"'{names[0]}'",
                                                   "LEFT JOIN dec d USING (call_id)")
    cost = cost_total_sql()
    drop = ", ".join(f"r_{n}, w_{n}" for n in names)
    options = []
    for n in names:
        col = WRITE_COLUMN[n]
        options.append(f"SELECT * EXCLUDE ({drop}) REPLACE (coalesce(r_{n}, cache_read_tokens) AS "
                       f"cache_read_tokens, coalesce(w_{n}, {col}) AS {col}), '{n}' AS _v FROM cand")
    if include_off:
        options.append(f"SELECT * EXCLUDE ({drop}), 'off' AS _v FROM cand")
    order = "CASE _v WHEN 'off' THEN 0 " + " ".join(
        f"WHEN '{n}' THEN {i + 1}" for i, n in enumerate(names)) + " END"
    return f"""
    WITH {decisions},
    cand AS (SELECT p.*, d.* EXCLUDE (call_id), {PREFIX_KEY} AS _k
             FROM {{prev}} p JOIN dec d USING (call_id)),
    all_v AS ({' UNION ALL '.join(options)}),
    pc AS (SELECT model, _k, _v, sum(coalesce({cost}, 0)) AS _c FROM ({priced_sql('all_v')}) GROUP BY ALL),
    best AS (SELECT model AS _bm, _k AS _bk, first(_v ORDER BY _c, {order}) AS _v FROM pc GROUP BY ALL)
    {_apply_cache('{prev}', names, 'best._v',
                  f'LEFT JOIN dec d USING (call_id) LEFT JOIN best ON best._bm = model AND best._bk = {PREFIX_KEY}')}
    """


def cache(scope: Scope, ttl: str, policy: str, book_note: str, cacheable_tokens: int | None = None,
          estimated_prefix: str | None = None, estimated_note: str | None = None) -> LeverPlan:
    """Prompt caching replayed on the traffic (DESIGN §6).

    `policy` `all`: every eligible prefix cached at the TTL given. `auto`: per prefix key, the
    cheapest of no caching, 5-minute and 1-hour TTL (with `ttl` `auto`), so a write that never pays
    off is not made. The runner prices the variants; this returns the SQL for each."""
    ttls = {name: s for name, s in {"5m": 300, "1h": 3600}.items() if ttl in (name, "auto")}
    decisions = _cache_decisions("{prev}", ttls, scope, cacheable_tokens, estimated_prefix)
    sql = _cache_sql(ttls, policy == "auto" or ttl == "auto", policy == "auto", decisions)
    assumptions = [
        f"replayed in time order per model and prompt prefix: a hit when the previous use of the "
        f"prefix is at most the TTL ago ({'5 min or 1 h, the cheaper per prefix' if ttl == 'auto' else ttl}),"
        " every use refreshing it",
        book_note,
        "calls that already show cache tokens in the log are left as they are (no double credit)",
    ]
    if policy == "auto":
        assumptions.append("a prefix is cached only where that costs less than not caching it")
    if estimated_note:
        assumptions.append(estimated_note)
    return LeverPlan("cache", {"ttl": ttl, "policy": policy,
                               **({"cacheable_tokens": cacheable_tokens} if cacheable_tokens else {})},
                     sql, assumptions, scope=scope.text,
                     metrics={"hit_ratio": f"sum(cache_read_tokens) FILTER (WHERE {scope.sql()}) * 1.0 "
                                           f"/ nullif(sum(input_tokens) FILTER (WHERE {scope.sql()}), 0)"},
                     confidence="estimated" if estimated_note else "measured", risk="none",
                     effort="hours",
                     # an estimated prefix is a minimum over the model's task type, which one
                     # prefix key need not hold entirely
                     group_local=estimated_prefix is None)


# --- cap output --------------------------------------------------------------------------------

def cap_output(specs: list[tuple[Scope, int]]) -> LeverPlan:
    cap = " ".join(f"WHEN {s.sql()} THEN {int(n)}" for s, n in specs)
    capv = f"(CASE {cap} END)"
    sql = _select("{prev}", {
        "output_tokens": f"CASE WHEN {capv} IS NOT NULL THEN least(output_tokens, {capv}) ELSE output_tokens END",
        "reasoning_tokens": f"CASE WHEN {capv} IS NOT NULL THEN least(reasoning_tokens, {capv}) "
                            f"ELSE reasoning_tokens END",
    }, f"{capv} IS NOT NULL AND output_tokens > {capv}", "cap_output")
    return LeverPlan("cap_output", {"caps": [{"scope": s.text, "max_output_tokens": n} for s, n in specs]},
                     sql, ["output is cut at the cap (max_tokens); an answer that needed more is "
                           "truncated, which may need a retry or a shorter-answer prompt"],
                     scope=", ".join(f"{s.text} at {n:,}" for s, n in specs),
                     metrics={"truncated_share": f"count(*) FILTER (WHERE t_cap_output) * 1.0 "
                                                 f"/ nullif(count(*) FILTER (WHERE {capv} IS NOT NULL), 0)"},
                     per_task={"truncated_share": (f"count(*) FILTER (WHERE t_cap_output) * 1.0 "
                                                   f"/ nullif(count(*) FILTER (WHERE {capv} IS NOT NULL), 0)",
                                                   f"{capv} IS NOT NULL")},
                     risk="truncation", effort="minutes")


# --- batch -------------------------------------------------------------------------------------

def batch(scope: Scope, batch_providers: list[str], rule: str) -> LeverPlan:
    providers = ", ".join(sql_str(p) for p in batch_providers) or "NULL"
    cond = f"{scope.sql()} AND provider IN ({providers}) AND service_tier = 'standard' AND status = 'ok'"
    sql = _select("{prev}", {"service_tier": f"CASE WHEN {cond} THEN 'batch' ELSE service_tier END"},
                  cond, "batch")
    return LeverPlan("batch", {"scope": scope.text}, sql,
                     [rule, "batched calls get their answer within 24 h (the batch APIs' window), "
                      "at the provider's batch price, which stacks with cache prices",
                      "providers without a batch tier are left alone"],
                     scope=scope.text, risk="latency (answers within 24 h)", effort="a day")
