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
- near-duplicate cache: Jaccard 0.9 within an hour, where the log has prompt text and it finds
  hits beyond exact repeats; FAQ deflection only where llmcost.yaml gives a share;
- trim prompt: only where llmcost.yaml gives an estimate (it cannot be measured from a log).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from llmcost.config import Config
from llmcost.pricing.book import PriceBook
from llmcost.simulate import levers as L
from llmcost.simulate import similar
from llmcost.simulate.run import BASE, LeverResult, Simulation, prepare_base, run_stack
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

BURST_WINDOW_MIN = 30
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


def _quality_note(store: Store, cfg: Config, tasks: list[str]) -> tuple[str | None, list[str]]:
    """Measured quality where the log or the eval file has it; tasks below their floor."""
    measured = {(t, m): q for t, m, q in store.query(
        f"SELECT task_type, model, avg(quality) FROM {BASE} WHERE quality IS NOT NULL "
        "GROUP BY ALL")} if tasks else {}
    measured.update(cfg.quality)
    if not measured:
        return None, []
    notes, blocked = [], []
    for t in tasks:
        scores = {m: q for (tt, m), q in measured.items() if tt == t}
        if scores:
            notes.append(f"{t}: " + ", ".join(f"{m} {q:.2f}" for m, q in sorted(scores.items())))
            policy = cfg.tasks.get(t)
            floor = policy.quality_floor if policy else None
            if floor is not None and min(scores.values()) < floor:
                blocked.append(t)
    if not notes:
        return None, []
    return "measured quality (score 0–1, from the log's quality column / eval file): " + "; ".join(notes), blocked


def derive_plans(store: Store, book: PriceBook, cfg: Config) -> tuple[list[L.LeverPlan], list[str], list[str]]:
    plans: list[L.LeverPlan] = []
    rules: list[str] = []
    skipped: list[str] = []
    tasks = store.query(f"""SELECT task_type, count(*), quantile_cont(output_tokens, 0.95),
                                   max(output_tokens), count(DISTINCT provider)
                            FROM {BASE} WHERE status = 'ok' AND task_type IS NOT NULL
                            GROUP BY 1 ORDER BY 1""")
    has_prefix, has_prompt_hash = store.query(
        f"SELECT count(*) FILTER (WHERE prefix_hash IS NOT NULL OR prefix_blocks IS NOT NULL), "
        f"count(*) FILTER (WHERE prompt_hash IS NOT NULL) FROM {BASE}")[0]

    # cache: where prefixes repeat, the cheaper of 5 min and 1 h per prefix, only where it pays
    book_note = cache_rules_note(store, book)
    if has_prefix:
        plans.append(L.cache(L.parse_scope(None), "auto", "auto", book_note))
    elif tasks:
        est = "(CAST(floor(min(p.input_tokens) OVER (PARTITION BY p.model, p.task_type) * 0.5) AS BIGINT))"
        plans.append(L.cache(L.parse_scope(None), "auto", "auto", book_note, estimated_prefix=est,
                             estimated_note="the log has no prefix ids: each task type is taken to share a "
                             "static prefix of half its smallest prompt (estimated)"))
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
    qnote, blocked = _quality_note(store, cfg, simple)
    simple = [t for t in simple if t not in blocked]
    if blocked:
        rules.append("not routed, measured quality below its floor: " + ", ".join(blocked))
    if simple:
        by_target: dict[str, list[str]] = {}
        for t in simple:
            policy = cfg.tasks.get(t)
            target = policy.routes[0] if policy and policy.routes else "small"
            by_target.setdefault(target, []).append(t)
        present = {p for (p,) in store.query(f"SELECT DISTINCT provider FROM {BASE} WHERE provider IS NOT NULL")}
        plans.append(L.route([(L.parse_scope(",".join(ts)), target) for target, ts in by_target.items()],
                             book, quality_note=qnote, only_cheaper=True, providers=present))
        rules.append("routing considered for simple task types: " + ", ".join(simple)
                     + " → the provider's small model (Haiku, mini, Flash-Lite …), where cheaper")
    elif tasks:
        skipped.append("routing: no task type looks simple (classification, extraction, tagging…); "
                       "allow routes in llmcost.yaml")

    # trim prompt: assumed, only from the config
    trims = [(t, p.trim_prompt) for t, p in cfg.tasks.items() if p.trim_prompt]
    if trims:
        for t, frac in trims:
            plans.append(L.trim_prompt(float(frac), scope=L.parse_scope(t)))
    else:
        skipped.append("prompt trimming: cannot be measured from a log; give trim_prompt estimates in "
                       "llmcost.yaml")

    if has_prompt_hash:
        plans.append(L.dedupe(3600))
    else:
        skipped.append("response caching (dedupe): the log has no prompt_hash")

    # near-duplicate cache where prompt text finds hits beyond exact repeats; FAQ deflection only
    # where llmcost.yaml gives a share (llmcost.simulate.similar.recommended)
    more, more_rules, more_skipped = similar.recommended(
        store, BASE, {t: p.deflect for t, p in cfg.tasks.items() if p.deflect}, bool(has_prompt_hash))
    plans += more
    rules += more_rules
    skipped += more_skipped

    # cap output at each task's p95, where it cuts something
    caps = [(L.parse_scope(t), math.ceil(p95)) for t, n, p95, mx, _ in tasks
            if n >= MIN_CALLS and p95 and mx > math.ceil(p95)]
    if caps:
        plans.append(L.cap_output(caps))

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
        plans.append(L.batch(L.parse_scope(",".join(chosen)), batch_providers(book), rule))
    else:
        skipped.append("batch: no task type is batchable in llmcost.yaml or runs in scheduled bursts "
                       f"(≥ {BURST_SHARE:.0%} of calls in one {BURST_WINDOW_MIN}-minute window of the day)")
    return plans, rules, skipped


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


def recommend(store: Store, book: PriceBook, priced_scope: str, cfg: Config) -> RecommendResult:
    calls, unpriced, days, baseline = prepare_base(store, book, priced_scope)
    plans, rules, skipped = derive_plans(store, book, cfg)
    alone: list[LeverResult] = []
    for i, plan in enumerate(plans):
        _, res = run_stack(store, [plan], baseline, tag=f"a{i}_")
        alone.append(res[0])
    sim_stub = Simulation(baseline, baseline, [], days, calls, unpriced)
    useful = [(p, r) for p, r in zip(plans, alone, strict=True) if r.savings_usd > 0]
    useful.sort(key=lambda pr: -pr[1].savings_usd)
    recs = [Recommendation(i + 1, r, sim_stub.monthly(r.savings_usd),
                           float(100 * r.savings_usd / baseline) if baseline else 0.0)
            for i, (_, r) in enumerate(useful)]
    for p, r in zip(plans, alone, strict=True):
        if r.savings_usd <= 0:
            skipped.append(f"{p.lever} ({p.scope}): saves nothing on this traffic")
    scenario, steps = run_stack(store, [p for p, _ in useful], baseline, tag="p")
    sim = Simulation(baseline, scenario, steps, days, calls, unpriced)
    if unpriced:
        sim.notes.append(f"{unpriced:,} unpriced calls are in neither the baseline nor the savings")
    return RecommendResult(sim, recs, rules, skipped)
