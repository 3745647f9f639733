"""`recommend`: every lever with parameters derived from the data, ranked by what each saves on
its own, then stacked into one plan whose total is the priced stacked scenario.

Data-derived defaults (each printed as an assumption):
- cache: every prefix where caching pays (per prefix, the cheapest of none / 5 min / 1 h);
- route: only task types known to be simple (classification, extraction, tagging, intent, titles,
  short summaries) or allowed by llmcost.yaml, to the provider's small family (Haiku, mini,
  Flash-Lite …), and only calls that cost less there;
- cap output: at each task type's 95th percentile of output tokens;
- batch: task types llmcost.yaml calls batchable, or whose traffic runs in scheduled bursts;
- dedupe: exact repeats (prompt_hash) within an hour;
- trim prompt: only where llmcost.yaml gives an estimate (it cannot be measured from a log);
- history window: where a task's conversations grow (4th and later turns' median input ≥ 1.5× the
  first turn's), keeping the history the 3rd turn carries (llmcost.simulate.context);
- cap input: only where llmcost.yaml gives max_input_tokens (quality impact unknown);
- cascade: only with an eval file, per task type via the scored model that is cheapest in
  expectation (llmcost.simulate.cascade.recommend_cascade).
- near-duplicate cache: Jaccard 0.9 within an hour, where the log has prompt text and it finds
  hits beyond exact repeats; FAQ deflection only where llmcost.yaml gives a share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from llmcost.config import Config
from llmcost.pricing.book import Model, PriceBook
from llmcost.simulate import levers as L
from llmcost.simulate import quality as Q
from llmcost.simulate import similar
from llmcost.simulate.cascade import recommend_cascade
from llmcost.simulate.quality import Evidence
from llmcost.simulate.run import BASE, LeverResult, Simulation, prepare_base, run_stack
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

BURST_WINDOW_MIN = 30
ZERO = Decimal(0)
# recommend's prefix size where the log has no prefix ids (simulate --cacheable-tokens estimate)
ESTIMATED_PREFIX = "(CAST(floor(min(p.input_tokens) OVER (PARTITION BY p.model, p.task_type) * 0.5) AS BIGINT))"
ESTIMATED_PREFIX_NOTE = ("the log has no prefix ids: each task type is taken to share a static prefix of half "
                         "its smallest prompt (estimated)")
BURST_SHARE = 0.8
MIN_CALLS = 20


@dataclass
class Recommendation:
    rank: int
    result: LeverResult  # the lever applied alone on the baseline
    savings_monthly_usd: Decimal | None
    savings_pct: float


@dataclass
class RecommendResult:
    simulation: Simulation  # the stacked plan
    recommendations: list[Recommendation]
    rules: list[str] = field(default_factory=list)  # data rules used, with what they selected
    not_evaluated: list[str] = field(default_factory=list)
    # steps left out of the stacked plan because, with the others, they would not save
    dropped: list[str] = field(default_factory=list)
    # `llmcost simulate` options that reproduce the stacked plan
    simulate_args: list[str] = field(default_factory=list)


def batch_providers(book: PriceBook) -> list[str]:
    """Providers with a batch tier: a multiplier, or explicit batch prices on some model."""
    out = {p.key for p in book.providers.values() if p.service_tiers.get("batch") is not None}
    for m in book.models.values():
        if any("batch" in p.tiers for p in m.periods):
            out.add(m.provider)
    return sorted(out)


def burst_tasks(store: Store, rel: str = BASE) -> list[tuple[str, int, float, str]]:
    """Task types whose calls run in scheduled bursts: at least 80 % of them inside the same
    30-minute window of the day, on at least 2 days. -> (task, calls, share, window)."""
    rows = store.query(f"""
        WITH t AS (SELECT task_type, CAST(floor((hour(ts) * 60 + minute(ts)) / 10) AS INTEGER) AS bin,
                          CAST(ts AS DATE) AS d
                   FROM {rel} WHERE task_type IS NOT NULL AND ts IS NOT NULL),
        per AS (SELECT task_type, bin, count(*) AS n FROM t GROUP BY ALL),
        tot AS (SELECT task_type, count(*) AS n, count(DISTINCT d) AS days FROM t GROUP BY ALL),
        win AS (SELECT a.task_type, a.bin, sum(b.n) AS n FROM per a JOIN per b
                  ON a.task_type = b.task_type AND b.bin >= a.bin AND b.bin < a.bin + {BURST_WINDOW_MIN // 10}
                GROUP BY ALL)
        SELECT w.task_type, tot.n, max(w.n) * 1.0 / tot.n AS share, arg_max(w.bin, w.n) AS bin
        FROM win w JOIN tot USING (task_type)
        WHERE tot.days >= 2 AND tot.n >= {MIN_CALLS}
        GROUP BY w.task_type, tot.n HAVING max(w.n) * 1.0 / tot.n >= {BURST_SHARE}
        ORDER BY 1""")
    out = []
    for task, n, share, b in rows:
        start = int(b) * 10
        window = f"{start // 60:02d}:{start % 60:02d}–{(start + BURST_WINDOW_MIN) // 60 % 24:02d}:" \
                 f"{(start + BURST_WINDOW_MIN) % 60:02d} UTC"
        out.append((task, int(n), float(share), window))
    return out


def _quality_note(ev: Evidence | None, tasks: list[str]) -> str | None:
    """The quality evidence (llmcost.simulate.quality) for the task types routing considers, in
    one sentence; each candidate target's floor is checked in `choose_route_target`."""
    return Q.samples_note(ev, tasks) if ev is not None else None


def derive_plans(store: Store, book: PriceBook, cfg: Config) -> tuple[list[L.LeverPlan], list[str], list[str]]:
    plans: list[L.LeverPlan] = []
    rules: list[str] = []
    skipped: list[str] = []
    tasks = store.query(f"""SELECT task_type, count(*), quantile_cont(output_tokens, 0.95),
                                   max(output_tokens), count(DISTINCT provider)
                            FROM {BASE} WHERE status = 'ok' AND task_type IS NOT NULL
                            GROUP BY 1 ORDER BY 1""")
    ev = Q.load_evidence(store, book, cfg.quality_eval, cfg.quality_eval_origin, BASE)
    has_prefix, has_prompt_hash = store.query(
        f"SELECT count(*) FILTER (WHERE prefix_hash IS NOT NULL OR prefix_blocks IS NOT NULL), "
        f"count(*) FILTER (WHERE prompt_hash IS NOT NULL) FROM {BASE}")[0]

    # cache: where prefixes repeat, the cheaper of 5 min and 1 h per prefix, only where it pays
    book_note = cache_rules_note(store, book)
    cache_plan: L.LeverPlan | None = None
    if has_prefix:
        cache_plan = L.cache(L.parse_scope(None), "auto", "auto", book_note)
        cache_plan.args = ["--cache", "if-cheaper", "--cache-ttl", "auto"]
    elif tasks:
        cache_plan = L.cache(L.parse_scope(None), "auto", "auto", book_note, estimated_prefix=ESTIMATED_PREFIX,
                             estimated_note=ESTIMATED_PREFIX_NOTE)
        cache_plan.args = ["--cache", "if-cheaper", "--cache-ttl", "auto", "--cacheable-tokens", "estimate"]
    if cache_plan is not None:
        plans.append(cache_plan)
    else:
        skipped.append("prompt caching: the log has neither prefix ids nor task types to key a replay on "
                       "(add prefix_hash/prefix_tokens, or use simulate --cacheable-tokens N)")

    # route: simple task types (or as llmcost.yaml says) to the provider's small family
    simple = []
    for t, *_ in tasks:
        policy = cfg.tasks.get(t)
        if policy and policy.routes is not None:
            if policy.routes:
                simple.append(t)
        elif L.SIMPLE_TASK.search(t) or (t.startswith("summar") and _short_output(store, t)):
            simple.append(t)
    present = {p for (p,) in store.query(f"SELECT DISTINCT provider FROM {BASE} WHERE provider IS NOT NULL")}
    qnote = _quality_note(ev, simple)
    below_floor: list[str] = []  # candidates left out for their measured quality
    routed: list[str] = []
    if simple:
        chosen = []
        for t in simple:
            policy = cfg.tasks.get(t)
            at = [p for (p,) in store.query(
                f"SELECT DISTINCT provider FROM {BASE} WHERE task_type = ? ORDER BY 1", [t])]
            # the targets llmcost.yaml names may be at any provider: one route for the task;
            # else each provider's calls go to that provider's small family
            parts = [None] if (policy and policy.routes) or len(at) <= 1 else at
            for provider in parts:
                scope = L.parse_scope(t if provider is None else f"{t},provider:{provider}")
                failed: list[str] = []
                target, reason = choose_route_target(store, book, cfg, t, scope, cache_plan, ev, failed)
                if target is None:
                    skipped.append(f"routing {scope.text}: {reason}")
                    below_floor += failed
                    continue
                unit = L.route([(scope, target)], book, quality_note=qnote, providers=present, evidence=ev)
                unit.assumptions.insert(0, reason)
                plans.append(unit)
                routed.append(t)
                chosen.append(f"{scope.text} → {target}")
        if below_floor:
            rules.append("not routed (quality below its floor): " + "; ".join(below_floor))
        if chosen:
            rules.append("routing considered for simple task types, each to the cheapest current model of its "
                         "provider's small family (Haiku, mini, Flash-Lite …; not retired, not a reasoning "
                         "model for a task that does not reason) that costs less once prompt caching is "
                         "applied: " + ", ".join(chosen))
    elif tasks:
        skipped.append("routing: no task type looks simple (classification, extraction, tagging…); "
                       "allow routes in llmcost.yaml")

    # cascade: where the eval file scores a cheaper model (llmcost.simulate.cascade)
    floors = {t: p.quality_floor for t, p in cfg.tasks.items() if p.quality_floor is not None}
    cascade, c_rules, c_skipped = recommend_cascade(store, book, BASE, ev, floors, exclude=routed)
    if cascade is not None:
        cascade.args = [a for c in cascade.params["cascades"] for a in ("--cascade", f"{c['scope']}={c['cheap']}")]
        plans.append(cascade)
    rules += c_rules
    skipped += c_skipped

    # trim prompt: assumed, only from the config
    trims = [(t, p.trim_prompt) for t, p in cfg.tasks.items() if p.trim_prompt]
    if trims:
        for t, frac in trims:
            trim = L.trim_prompt(float(frac), scope=L.parse_scope(t))
            trim.args = ["--trim-prompt", f"{t}={float(frac)}"]
            plans.append(trim)
    else:
        skipped.append("prompt trimming: cannot be measured from a log; give trim_prompt estimates in "
                       "llmcost.yaml")

    if has_prompt_hash:
        dedupe = L.dedupe(3600)
        dedupe.args = ["--dedupe", "1h"]
        plans.append(dedupe)
    else:
        skipped.append("response caching (dedupe): the log has no prompt_hash")

    # near-duplicate cache where prompt text finds hits beyond exact repeats; FAQ deflection only
    # where llmcost.yaml gives a share (llmcost.simulate.similar.recommended)
    more, more_rules, more_skipped = similar.recommended(
        store, BASE, {t: p.deflect for t, p in cfg.tasks.items() if p.deflect}, bool(has_prompt_hash))
    for plan in more:
        if plan.lever == "similar_cache":
            plan.args = ["--similar-cache", f"{similar.RECOMMEND_THRESHOLD:g}",
                         "--similar-window", f"{similar.RECOMMEND_WINDOW_S}s"]
        elif plan.lever == "deflect":
            plan.args = [a for d in plan.params["shares"] for a in ("--deflect", f"{d['scope']}={d['share']:g}")]
    plans += more
    rules += more_rules
    skipped += more_skipped

    # cap output at each task's p95, where it cuts something
    caps = [(L.parse_scope(t), math.ceil(p95)) for t, n, p95, mx, _ in tasks
            if n >= MIN_CALLS and p95 and mx > math.ceil(p95)]
    if caps:
        cap = L.cap_output(caps)
        cap.args = [a for sc, n in caps for a in ("--cap-output", f"{sc.text}={n}")]
        plans.append(cap)

    # batch: llmcost.yaml's batchable tasks, else scheduled bursts
    interactive = cfg.interactive_tasks()
    chosen = [t for t in cfg.batchable_tasks()]
    rule_text = []
    if chosen:
        rule_text.append("batchable in llmcost.yaml: " + ", ".join(chosen))
    for t, n, share, window in burst_tasks(store):
        if t not in chosen and t not in interactive:
            chosen.append(t)
            rule_text.append(f"{t}: {share:.0%} of its {n:,} calls run in {window} (scheduled burst)")
    if chosen:
        rule = "batch rule: " + "; ".join(rule_text)
        rules.append(rule)
        batch = L.batch(L.parse_scope(",".join(chosen)), batch_providers(book), rule)
        batch.args = ["--batch", ",".join(chosen)]
        plans.append(batch)
    else:
        skipped.append("batch: no task type is batchable in llmcost.yaml or runs in scheduled bursts "
                       f"(≥ {BURST_SHARE:.0%} of calls in one {BURST_WINDOW_MIN}-minute window of the day)")
    _context_plans(store, cfg, plans, rules, skipped)
    return plans, rules, skipped


def _context_plans(store: Store, cfg: Config, plans: list[L.LeverPlan], rules: list[str],
                   skipped: list[str]) -> None:
    """The history window where conversations grow (window from the data); an input cap only
    where llmcost.yaml gives `max_input_tokens` (its quality impact is unknown)."""
    from llmcost.simulate import context as C

    grow = C.growing_conversations(store, BASE)
    if grow:
        specs = [(L.parse_scope(t), n) for t, n, *_ in grow]
        window = C.history_window(specs, C.context_facts(store, BASE, specs))
        window.args = [a for sc, n in specs for a in ("--history-window", f"{sc.text}={n}")]
        plans.append(window)
        rules.append(
            f"history window where conversations grow (median input of the {C.LATE_TURN}th and later turns "
            f"≥ {C.GROWTH_RATIO:g}× the first turn's), keeping what the 3rd turn carries (the last two "
            "exchanges; median, rounded up to 100 tokens): " + "; ".join(
                f"{t}: {m1:,.0f} → {late:,.0f} tokens ({k:,} late calls), window {n:,}"
                for t, n, m1, late, k in grow))
    else:
        skipped.append(f"history window: no task type's conversations grow (needs conversation_id and "
                       f"≥ {C.MIN_LATE_CALLS} calls at the {C.LATE_TURN}th turn or later whose median input is "
                       f"≥ {C.GROWTH_RATIO:g}× the first turn's)")
    caps = [(L.parse_scope(t), p.max_input_tokens) for t, p in sorted(cfg.tasks.items()) if p.max_input_tokens]
    if caps:
        capped = C.cap_input(caps, C.context_facts(store, BASE, caps))
        capped.args = [a for sc, n in caps for a in ("--cap-input", f"{sc.text}={n}")]
        plans.append(capped)
    else:
        skipped.append("input cap (RAG top-k instead of stuffing): its quality impact cannot be measured "
                       "from a log; give max_input_tokens per task in llmcost.yaml")


def _short_output(store: Store, task: str) -> bool:
    row = store.query(f"SELECT median(output_tokens) FROM {BASE} WHERE task_type = {sql_str(task)}")[0][0]
    return row is not None and row < 250  # a "short summary": median output under 250 tokens


def cache_rules_note(store: Store, book: PriceBook) -> str:
    """The provider caching rules that apply to the models in scope, in plain words."""
    parts = []
    for provider, mode, step, mins in store.query(
            f"""SELECT mc.provider, any_value(mc.cache_mode), any_value(mc.cache_step),
                       string_agg(DISTINCT mc.model_id || ' ' || coalesce(CAST(mc.min_tokens AS VARCHAR), '?'), ', '
                                  ORDER BY mc.model_id || ' ' || coalesce(CAST(mc.min_tokens AS VARCHAR), '?'))
                FROM (SELECT DISTINCT model FROM {BASE}) b JOIN llmcost_model_cache mc USING (model)
                GROUP BY 1 ORDER BY 1"""):
        if mode == "explicit":
            parts.append(f"{provider}: writes 1.25× input (5 min) or 2× (1 h), reads 0.1×, minimum "
                         f"cacheable prompt per model ({mins})")
        elif mode in ("automatic", "implicit"):
            parts.append(f"{provider}: {mode} caching, no write premium, cached tokens at the book's "
                         f"cache price, {step or 1}-token steps, minimum ({mins})")
        else:
            parts.append(f"{provider}: no prompt caching in the price book")
    return "provider rules: " + "; ".join(parts) if parts else "no priced models in scope"


def choose_route_target(store: Store, book: PriceBook, cfg: Config, task: str, scope: L.Scope,
                        cache_plan: L.LeverPlan | None, ev: Evidence | None = None,
                        below_floor: list[str] | None = None) -> tuple[str | None, str]:
    """The model to route `task` to, and why (or None and why not).

    Candidates: the targets llmcost.yaml names for the task (model ids, or family words at any
    provider), else the small family of the task's provider (SMALL_FAMILY). Left out: models with
    a retirement date in the book; reasoning models, for a task that does not reason (no
    reasoning tokens logged, not on a reasoning model) unless llmcost.yaml names the model id;
    models whose measured quality on the task is below its `quality_floor`. Each candidate is
    judged on the task's own calls with prompt caching applied after the route (the target's
    minimum cacheable length and write premium), against the task with caching alone; the cheapest
    that costs less wins."""
    from llmcost.pricing.engine import MODEL_MAP, cost_total_sql, priced_sql

    rows = store.query(
        f"""SELECT b.provider, count(*), bool_or(coalesce(b.reasoning_tokens, 0) > 0),
                   list(DISTINCT mm.model_id) FILTER (WHERE mm.model_id IS NOT NULL)
            FROM (SELECT * FROM {BASE} WHERE {scope.sql()}) b LEFT JOIN {MODEL_MAP} mm ON mm.model = b.model
            GROUP BY 1""")
    if not rows:
        return None, "no calls"
    providers = [r[0] for r in rows]
    current = {mid for r in rows for mid in (r[3] or [])}
    reasons = any(r[2] for r in rows) or any(book.models[m].reasoning for m in current if m in book.models)
    policy = cfg.tasks.get(task)
    named: set[str] = set()
    candidates: dict[str, Model] = {}
    if policy and policy.routes:
        for r in policy.routes:
            resolved = book.resolve(r)
            if resolved:
                named.add(resolved[0])
                candidates[resolved[0]] = book.models[resolved[0]]
                continue
            word = r.strip().lower()
            for p in sorted({m.provider for m in book.models.values()}):
                w = L.SMALL_FAMILY.get(p, "") if word == "small" else word
                for m in L.family_members(book, p, w) if w else []:
                    candidates[m.id] = m
    else:
        if len(providers) != 1 or providers[0] is None:
            return None, "its calls name no provider; name a target in llmcost.yaml (tasks: {TASK: {routes: [MODEL]}})"
        w = L.SMALL_FAMILY.get(providers[0], "")
        for m in L.family_members(book, providers[0], w) if w else []:
            candidates[m.id] = m
    floor = policy.quality_floor if policy else None
    left_out: list[str] = []
    usable = []
    for mid, m in sorted(candidates.items()):
        if mid in current and len(current) == 1:
            left_out.append(f"{mid} (the task runs on it already)")
            continue
        if m.retired is not None:
            left_out.append(f"{mid} (retired {m.retired:%Y-%m-%d})")
        elif m.reasoning and not reasons and mid not in named:
            left_out.append(f"{mid} (a reasoning model; the task does not reason)")
        elif (below := Q.floor_check(ev, task, mid, floor)) is not None:
            left_out.append(f"{mid} ({below.split(': ', 1)[-1]})")
            if below_floor is not None:
                below_floor.append(below)
        else:
            usable.append(mid)
    if not usable:
        return None, ("no current candidate model" + (f": left out {', '.join(left_out)}" if left_out else ""))
    view = "llmcost_route_task"
    # the task's calls copied once (a DuckDB TEMP table): every candidate's route and cache replay
    # reads them several times, a view would scan and filter every call each time
    kind = "VIEW" if getattr(store, "is_clickhouse", False) else "TABLE"
    store.con.execute(f"CREATE OR REPLACE TEMP {kind} {view} AS SELECT * FROM {BASE} b WHERE {scope.sql()}")
    base_cost = Decimal(store.query(f"SELECT coalesce(sum({cost_total_sql()}), 0) FROM ({priced_sql(view)})")[0][0])
    ref = base_cost
    if cache_plan is not None:
        ref, _ = run_stack(store, [cache_plan], base_cost, base=view, tag="rc_")
    costs: dict[str, Decimal] = {}
    for i, mid in enumerate(usable):
        unit = L.route([(scope, mid)], book)
        stack = [unit] + ([cache_plan] if cache_plan is not None else [])
        costs[mid], _ = run_stack(store, stack, base_cost, base=view, tag=f"rt{i}_")
    store.con.execute(f"DROP {kind} IF EXISTS {view}")
    best = min(usable, key=lambda mid: (costs[mid], mid))
    with_cache = " with prompt caching applied after it" if cache_plan is not None else ""
    if costs[best] >= ref:
        return None, (f"no candidate costs less{with_cache} (cheapest: {best}, "
                      f"{_usd(costs[best])} against {_usd(ref)} in the period)")
    others = ", ".join(f"{mid} {_usd(costs[mid])}" for mid in usable if mid != best)
    why = (f"{scope.text} → {best}: the cheapest qualifying target{with_cache} ({_usd(costs[best])} against "
           f"{_usd(ref)} in the period" + (f"; {others}" if others else "") + ")")
    if left_out:
        why += "; left out: " + ", ".join(left_out)
    return best, why


def _usd(v: Decimal) -> str:
    """Dollars to the cent, or to four significant figures below a dollar (a small log's period)."""
    return f"${v:,.2f}" if abs(v) >= 1 else f"${float(v):.4g}"


# steps whose presence can make a later step save less than they save themselves (a route or a
# trimmed prompt can fall under the target's caching minimum or lose its batch tier; a deduplicated
# call no longer refreshes the cache for the next one): checked by leaving each out of the stack.
# A cap on output and the batch tier only scale later costs down.
INTERACTING = ("route", "cascade", "trim_prompt", "history_window", "cap_input", "dedupe", "similar_cache",
               "deflect", "cache")


def select_plan(store: Store, units: list[L.LeverPlan], baseline: Decimal
                ) -> tuple[list[L.LeverPlan], Decimal, list[LeverResult], list[str]]:
    """The stacked plan from `units`: leave out, one at a time, a step whose marginal saving in
    the stack is <= 0, or whose removal would not raise the plan's final cost (a route whose
    target loses the caching the original model had, a batch that stops paying once the calls
    moved), until every step saves money and removing any step raises the cost. Returns the
    kept units, the final cost, the step results and what was left out."""
    from llmcost.simulate import leave_out as LO
    from llmcost.simulate import route_delta as RD

    units = sorted(units, key=lambda p: L.STACK_ORDER.index(p.lever))
    dropped: list[str] = []
    deltas = RD.RouteDeltas(store)
    while True:
        rels: list[str] = []
        scenario, steps = run_stack(store, units, baseline, tag="p", rels=rels, deltas=deltas)
        block = RD.route_block(store, units)
        local = all(u.lever in RD.MODEL_LOCAL for u in units[block:])
        by_model: dict[str, Decimal] | None = None
        by_group = LO.GroupCosts(store, rels[-1]) if rels else None
        worst = min(range(len(steps)), key=lambda i: steps[i].savings_usd, default=None)
        if worst is not None and steps[worst].savings_usd <= 0:
            u = units.pop(worst)
            dropped.append(f"{_unit_name(u)}: in the stacked plan it saves nothing "
                           f"({_usd(-steps[worst].savings_usd)} more in the period once the steps before it "
                           "apply)")
            continue
        best: tuple[int, Decimal] | None = None
        for i in range(len(units) - 1):  # the last step's removal costs its own (positive) saving
            if units[i].lever not in INTERACTING:
                continue
            if i < block and local:  # only the calls of the models route i moves change
                if block == len(units):
                    cost = scenario - (steps[i].cost_after - steps[i].cost_before)
                elif by_group is not None and LO.applies(store, units, i, block):
                    # only the calls in the same replay groups as the calls route i moves
                    # change (llmcost.simulate.leave_out)
                    cost = LO.without_route(store, units, i, block, rels, scenario, deltas, by_group)
                else:
                    models = deltas.models(units[i], BASE)
                    if by_model is None:
                        by_model = RD.cost_by_model(store, rels[-1])
                    rest = deltas.relation(BASE, units[:i] + units[i + 1:block], f"llmcost_rv_x{i}_")
                    sub, _ = run_stack(store, units[block:], ZERO, tag=f"x{i}_",
                                       base=RD.restricted(store, rest, models, f"llmcost_rx_{i}"))
                    cost = scenario - sum((by_model.get(m, ZERO) for m in models), ZERO) + sub
            else:
                # only the repeats' replay groups change (llmcost.simulate.leave_out), when few
                known = (LO.without_dedupe(store, units, i, rels, scenario, by_group)
                         if by_group is not None and LO.applies(store, units, i, block) else None)
                if known is not None:
                    cost = known
                else:
                    # the steps before i are the same: start from the stack's relation after them
                    start, before = (rels[i - 1], steps[i - 1].cost_after) if i else (BASE, baseline)
                    cost, _ = run_stack(store, units[i + 1:], before, base=start, tag=f"x{i}_")
            if cost <= scenario and (best is None or cost < best[1]):
                best = (i, cost)
        if best is None:
            return units, scenario, steps, dropped
        u = units.pop(best[0])
        dropped.append(f"{_unit_name(u)}: the plan costs {_usd(scenario - best[1])} more in the period "
                       "with it than without it (it undoes the saving of a later step)")


def _unit_name(u: L.LeverPlan) -> str:
    if u.lever == "route":
        return "route " + ", ".join(f"{r['scope']} → {r['target']}" for r in u.params["routes"])
    return f"{u.lever.replace('_', ' ')} ({u.scope})"


def _merge_routes(units: list[L.LeverPlan], book: PriceBook, present: set[str]) -> list[L.LeverPlan]:
    """One route step for the per-task route units (their scopes do not overlap, so one step
    moves the same calls as the units one after another)."""
    routes = [u for u in units if u.lever == "route"]
    if len(routes) <= 1:
        return units
    specs = [(L.parse_scope(r["scope"]), r["target"]) for u in routes for r in u.params["routes"]]
    merged = L.route(specs, book, providers=present)
    # the units' own words (each target's reason, the tokenizer and quality notes) once each, and
    # their quality evidence (the same for every unit)
    merged.assumptions = list(dict.fromkeys(a for u in routes for a in u.assumptions))
    merged.quality = routes[0].quality
    return [merged] + [u for u in units if u.lever != "route"]


def recommend(store: Store, book: PriceBook, priced_scope: str, cfg: Config,
              on_step: Callable[[str], None] | None = None) -> RecommendResult:
    """`on_step`, when given, is told each step as it starts (the CLI shows it while it works)."""
    from llmcost.run_rate import plan_run_rate

    step = on_step or (lambda _text: None)
    step("totalling the baseline…")
    rate, share, rate_notes = plan_run_rate(store.con, priced_scope)  # the 30-day run rate's main period
    calls, unpriced, days, baseline = prepare_base(store, book, priced_scope)
    step(f"judging routes and levers for {calls:,} calls…")
    plans, rules, skipped = derive_plans(store, book, cfg)
    present = {p for (p,) in store.query(f"SELECT DISTINCT provider FROM {BASE} WHERE provider IS NOT NULL")}
    alone: list[LeverResult] = []
    for i, plan in enumerate(plans):
        label = _unit_name(plan) if plan.lever == "route" else plan.lever.replace("_", " ")
        step(f"simulating {label} ({i + 1} of {len(plans)})…")
        _, res = run_stack(store, [plan], baseline, tag=f"a{i}_")
        alone.append(res[0])
    step("stacking the plan…")
    for p, r in zip(plans, alone, strict=True):
        if r.savings_usd <= 0:
            skipped.append(f"{_unit_name(p)}: saves nothing on this traffic")
    useful = [p for p, r in zip(plans, alone, strict=True) if r.savings_usd > 0]
    kept, scenario, steps, dropped = select_plan(store, useful, baseline)
    final = _merge_routes(kept, book, present)
    for u in final:
        if u.lever == "route":
            u.args = [a for r in u.params["routes"] for a in ("--route", f"{r['scope']}={r['target']}")]
    if len(final) != len(kept):
        from llmcost.simulate.route_delta import route_block

        n = sum(1 for u in kept if u.lever == "route")
        if route_block(store, kept) == n and route_block(store, final) == 1:
            # the routes move disjoint calls: one step moves what they moved, the later steps
            # see the same calls (llmcost.simulate.route_delta)
            m = final[0]
            steps = [LeverResult(m.lever, m.params, m.scope, sum(s.calls_affected for s in steps[:n]), baseline,
                                 steps[n - 1].cost_after, m.assumptions, {}, {}, m.confidence, m.risk,
                                 m.effort), *steps[n:]]
        else:
            scenario, steps = run_stack(store, final, baseline, tag="p")
    # the ranking: each lever alone on the baseline (the routes of several tasks as one step)
    ranking = [r for p, r in zip(plans, alone, strict=True) if r.savings_usd > 0 and p.lever != "route"]
    routes = [p for p in useful if p.lever == "route"]
    if len(routes) == 1:
        ranking += [r for p, r in zip(plans, alone, strict=True) if p is routes[0]]
    elif routes:
        ranking += run_stack(store, _merge_routes(routes, book, present), baseline, tag="rr_")[1]
    sim_stub = Simulation(baseline, baseline, [], days, calls, unpriced, run_rate=rate, main_share=share)
    ranking.sort(key=lambda r: -r.savings_usd)
    recs = [Recommendation(i + 1, r, sim_stub.monthly(r.savings_usd),
                           float(100 * r.savings_usd / baseline) if baseline else 0.0)
            for i, r in enumerate(ranking)]
    sim = Simulation(baseline, scenario, steps, days, calls, unpriced, run_rate=rate, main_share=share)
    if unpriced:
        sim.notes.append(f"{unpriced:,} unpriced calls are in neither the baseline nor the savings")
    sim.notes += rate_notes
    args = [a for u in sorted(final, key=lambda p: L.STACK_ORDER.index(p.lever)) for a in u.args]
    if cfg.quality_eval and cfg.quality_eval_origin == "--eval" and any(u.lever in ("route", "cascade")
                                                                         for u in final):
        args += ["--eval", str(cfg.quality_eval)]
    return RecommendResult(sim, recs, rules, skipped, dropped, args)
