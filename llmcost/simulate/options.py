"""From what the user asked on the command line to lever plans (DESIGN §1 scope syntax)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from llmcost.config import Config
from llmcost.errors import UsageError
from llmcost.pricing.book import PriceBook
from llmcost.simulate import lever_checks, similar
from llmcost.simulate import levers as L
from llmcost.simulate.recommend import (
    ESTIMATED_PREFIX,
    ESTIMATED_PREFIX_NOTE,
    batch_providers,
    burst_tasks,
    cache_rules_note,
)
from llmcost.simulate.run import BASE, Simulation, prepare_base, run_stack
from llmcost.store import Store

MAX_TOKENS = 1_000_000_000  # a token count option beyond this is a typo (as in the loader)
SIMILAR_WINDOW = "1h"  # --similar-window when not given (as recommend's dedupe window)


@dataclass
class LeverOptions:
    route: list[str] = field(default_factory=list)  # [SCOPE=]TARGET
    trim_prompt: list[str] = field(default_factory=list)  # [SCOPE=]FRACTION
    dedupe: str | None = None  # window
    cache: str = "off"  # auto (every eligible prefix) | if-cheaper (only where it pays) | off
    cache_ttl: str = "5m"  # 5m | 1h | auto
    cacheable_tokens: str | None = None  # N, or `estimate` (half each task's smallest prompt)
    cap_output: list[str] = field(default_factory=list)  # [SCOPE=]N
    batch: str | None = None  # auto | SCOPE
    history_window: list[str] = field(default_factory=list)  # [SCOPE=]N
    summarize: bool = False
    summary_tokens: int | None = None
    summary_model: str | None = None
    cap_input: list[str] = field(default_factory=list)  # [SCOPE=]N
    cascade: list[str] = field(default_factory=list)  # [SCOPE=]CHEAP
    pass_score: float = 0.5
    escalate_rate: float | None = None
    eval_file: str | None = None  # --eval FILE (else llmcost.yaml's quality_eval)
    similar_cache: float | None = None  # Jaccard threshold (llmcost.simulate.similar)
    similar_window: str | None = None  # window; None: SIMILAR_WINDOW
    deflect: list[str] = field(default_factory=list)  # [SCOPE=]SHARE

    def any(self) -> bool:
        return bool(self.route or self.trim_prompt or self.dedupe or self.cache != "off"
                    or self.cap_output or self.batch or self.history_window or self.summarize or self.cap_input
                    or self.cascade or self.similar_cache is not None or self.deflect)


def build_plans(store: Store, book: PriceBook, cfg: Config, o: LeverOptions) -> tuple[list[L.LeverPlan], list[str]]:
    plans: list[L.LeverPlan] = []
    notes: list[str] = []
    estimate_prefix = o.cacheable_tokens is not None and o.cacheable_tokens.strip().lower() == "estimate"
    cacheable = lever_checks.cacheable_tokens(o.cacheable_tokens)
    evidence = None
    if o.route or o.cascade:  # quality evidence: the eval file, and the log's quality column
        from llmcost.simulate.quality import load_evidence

        evidence = load_evidence(store, book, o.eval_file or cfg.quality_eval,
                                 "--eval" if o.eval_file else cfg.quality_eval_origin, BASE)
    elif o.eval_file:
        notes.append("--eval: the eval file is read by --route and --cascade; neither was given")
    if o.route:
        present = {p for (p,) in store.query(f"SELECT DISTINCT provider FROM {BASE} WHERE provider IS NOT NULL")}
        plans.append(L.route([L.split_scoped(r) for r in o.route], book, providers=present, evidence=evidence))
    if o.cascade:
        from llmcost.simulate.cascade import plan_cascade

        plans.append(plan_cascade(store, book, BASE, o.cascade, evidence, o.pass_score, o.escalate_rate))
    for spec in o.trim_prompt:
        scope, value = L.split_scoped(spec)
        fraction = lever_checks.trim_fraction(spec, value)
        plans.append(L.trim_prompt(fraction, cacheable, scope=scope if scope.text != "all calls" else None))
    if o.dedupe:
        plans.append(L.dedupe(L.parse_duration(o.dedupe, "--dedupe")))
    if o.similar_window is not None and o.similar_cache is None:
        raise UsageError(f"--similar-window {o.similar_window}: it is the window of --similar-cache, "
                         "which is not given.", "For example --similar-cache 0.9 --similar-window 1h.")
    if o.similar_cache is not None:
        window = o.similar_window or SIMILAR_WINDOW
        plans.append(similar.similar_cache(o.similar_cache, L.parse_duration(window, "--similar-window")))
        if not store.query(f"SELECT 1 FROM {BASE} WHERE prompt_text IS NOT NULL LIMIT 1"):
            notes.append("--similar-cache: no call in scope carries prompt text, so it has nothing to match "
                         "(a prompt or messages column, LiteLLM messages or Langfuse input: docs/formats.md)")
    if o.deflect:
        plans.append(similar.deflect([L.split_scoped(spec) for spec in o.deflect]))
    lever_checks.check_cache(o.cache, o.cache_ttl)
    if o.cache != "off":
        note = None
        if cacheable:
            note = (f"calls without a prefix id: each task type taken to share a {cacheable:,}-token prefix "
                    "(--cacheable-tokens)")
        elif estimate_prefix:
            note = ESTIMATED_PREFIX_NOTE
        plans.append(L.cache(L.parse_scope(None), o.cache_ttl, "auto" if o.cache == "if-cheaper" else "all",
                             cache_rules_note(store, book), cacheable_tokens=cacheable,
                             estimated_prefix=ESTIMATED_PREFIX if estimate_prefix else None,
                             estimated_note=note))
    if o.cap_output:
        caps = []
        for spec in o.cap_output:
            scope, value = L.split_scoped(spec)
            caps.append((scope, lever_checks.output_cap(spec, value)))
        plans.append(L.cap_output(caps))
    if o.batch:
        if o.batch == "auto":
            chosen = cfg.batchable_tasks()
            why = ["batchable in llmcost.yaml: " + ", ".join(chosen)] if chosen else []
            for t, n, share, window in burst_tasks(store):
                if t not in chosen and t not in cfg.interactive_tasks():
                    chosen.append(t)
                    why.append(f"{t}: {share:.0%} of its {n:,} calls run in {window} (scheduled burst)")
            if not chosen:
                notes.append("--batch auto: no task type is batchable in llmcost.yaml or runs in scheduled "
                             "bursts; nothing batched")
            else:
                plans.append(L.batch(L.parse_scope(",".join(chosen)), batch_providers(book),
                                     "batch rule: " + "; ".join(why)))
        else:
            plans.append(L.batch(L.parse_scope(o.batch), batch_providers(book), f"batch scope given: {o.batch}"))
    plans += context_plans(store, book, o)
    return plans, notes


def context_plans(store: Store, book: PriceBook, o: LeverOptions) -> list[L.LeverPlan]:
    """--history-window (with --summarize) and --cap-input (llmcost.simulate.context)."""
    from llmcost.simulate import context as C

    plans = []
    lever_checks.check_summary(o)
    if o.history_window:
        specs = C.parse_token_specs(o.history_window, "--history-window", "2000")
        summary_model = None
        if o.summary_model:
            found = book.resolve(o.summary_model)
            if not found:
                raise UsageError(f"--summary-model {o.summary_model}: not a model in the price book.",
                                 "Use a model id from `llmcost pricing list`, e.g. gpt-4o-mini.")
            m = book.models[found[0]]
            first, last = store.query(f"SELECT min(ts), max(ts) FROM {BASE}")[0]
            start, end = m.periods[0].effective_from, m.periods[-1].effective_to
            if first is not None and start.replace(tzinfo=None) > first:
                raise UsageError(f"--summary-model {o.summary_model}: the price book has no price for it "
                                 f"before {start:%Y-%m-%d}, and the calls start {first:%Y-%m-%d}.",
                                 "Choose a model priced over the whole period.")
            if last is not None and end is not None and end.replace(tzinfo=None) <= last:
                raise UsageError(f"--summary-model {o.summary_model}: the price book has no price for it "
                                 f"from {end:%Y-%m-%d}, and the calls run to {last:%Y-%m-%d}.",
                                 "Choose a model priced over the whole period.")
            summary_model = (m.id, m.provider)
        plans.append(C.history_window(specs, C.context_facts(store, BASE, specs), o.summarize,
                                      o.summary_tokens if o.summary_tokens is not None
                                      else C.DEFAULT_SUMMARY_TOKENS, summary_model))
    if o.cap_input:
        specs = C.parse_token_specs(o.cap_input, "--cap-input", "answer=2000")
        plans.append(C.cap_input(specs, C.context_facts(store, BASE, specs)))
    return plans


def simulate_options(store: Store, book: PriceBook, priced_scope: str, cfg: Config,
                     o: LeverOptions, on_step: Callable[[str], None] | None = None) -> Simulation:
    """Baseline and the stacked what-if of the levers the user asked for (`on_step`, when given,
    is told each step as it starts)."""
    if not o.any():
        raise lever_checks.no_lever()
    from llmcost.run_rate import plan_run_rate

    step = on_step or (lambda _text: None)
    step("totalling the baseline…")
    rate, share, rate_notes = plan_run_rate(store.con, priced_scope)  # the 30-day run rate's main period
    calls, unpriced, days, baseline = prepare_base(store, book, priced_scope)
    step(f"setting up the levers for {calls:,} calls…")
    plans, notes = build_plans(store, book, cfg, o)
    step(f"simulating {', '.join(p.lever.replace('_', ' ') for p in plans)}…")
    scenario, results = run_stack(store, plans, baseline)
    sim = Simulation(baseline, scenario, results, days, calls, unpriced, notes)
    if unpriced:
        sim.notes.append(f"{unpriced:,} unpriced calls (models not in the price book) are in neither the "
                         "baseline nor the savings")
    sim.run_rate, sim.main_share = rate, share
    sim.notes += rate_notes
    return sim
