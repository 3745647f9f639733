"""From what the user asked on the command line to lever plans (DESIGN §1 scope syntax)."""

from __future__ import annotations

from dataclasses import dataclass, field

from llmcost.config import Config
from llmcost.errors import UsageError
from llmcost.pricing.book import PriceBook
from llmcost.simulate import levers as L
from llmcost.simulate import similar
from llmcost.simulate.recommend import batch_providers, burst_tasks, cache_rules_note
from llmcost.simulate.run import BASE, Simulation, prepare_base, run_stack
from llmcost.store import Store

MAX_TOKENS = 1_000_000_000  # a token count option beyond this is a typo (as in the loader)
SIMILAR_WINDOW = "1h"  # --similar-window when not given (as recommend's dedupe window)


@dataclass
class LeverOptions:
    route: list[str] = field(default_factory=list)  # [SCOPE=]TARGET
    trim_prompt: float | None = None
    dedupe: str | None = None  # window
    cache: str = "off"  # auto | off
    cache_ttl: str = "5m"  # 5m | 1h | auto
    cacheable_tokens: int | None = None
    cap_output: list[str] = field(default_factory=list)  # [SCOPE=]N
    batch: str | None = None  # auto | SCOPE
    similar_cache: float | None = None  # Jaccard threshold (llmcost.simulate.similar)
    similar_window: str | None = None  # window; None: SIMILAR_WINDOW
    deflect: list[str] = field(default_factory=list)  # [SCOPE=]SHARE

    def any(self) -> bool:
        return bool(self.route or self.trim_prompt or self.dedupe or self.cache != "off"
                    or self.cap_output or self.batch or self.similar_cache is not None or self.deflect)


def build_plans(store: Store, book: PriceBook, cfg: Config, o: LeverOptions) -> tuple[list[L.LeverPlan], list[str]]:
    plans: list[L.LeverPlan] = []
    notes: list[str] = []
    if o.cacheable_tokens is not None and not 1 <= o.cacheable_tokens <= MAX_TOKENS:
        raise UsageError(f"--cacheable-tokens {o.cacheable_tokens}: expected 1 to {MAX_TOKENS:,} tokens.",
                         "For example --cacheable-tokens 2000.")
    if o.route:
        present = {p for (p,) in store.query(f"SELECT DISTINCT provider FROM {BASE} WHERE provider IS NOT NULL")}
        plans.append(L.route([L.split_scoped(r) for r in o.route], book, providers=present))
    if o.trim_prompt is not None:
        plans.append(L.trim_prompt(o.trim_prompt, o.cacheable_tokens))
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
    if o.cache not in ("auto", "off"):
        raise UsageError(f"--cache {o.cache}: expected auto or off.", "For example --cache auto --cache-ttl 5m.")
    if o.cache_ttl not in ("5m", "1h", "auto"):
        raise UsageError(f"--cache-ttl {o.cache_ttl}: expected 5m, 1h or auto.", "auto picks the cheaper per prefix.")
    if o.cache == "auto":
        plans.append(L.cache(L.parse_scope(None), o.cache_ttl, "all", cache_rules_note(store, book),
                             cacheable_tokens=o.cacheable_tokens,
                             estimated_note=(f"calls without a prefix id: each task type taken to share a "
                                             f"{o.cacheable_tokens:,}-token prefix (--cacheable-tokens)")
                             if o.cacheable_tokens else None))
    if o.cap_output:
        caps = []
        for spec in o.cap_output:
            scope, value = L.split_scoped(spec)
            try:
                cap = int(value)
            except ValueError as e:
                raise UsageError(f"--cap-output {spec}: the cap must be a whole number of tokens.",
                                 "For example --cap-output summarize=900.") from e
            if not 0 <= cap <= MAX_TOKENS:
                raise UsageError(f"--cap-output {spec}: the cap must be 0 to {MAX_TOKENS:,} tokens.",
                                 "For example --cap-output summarize=900.")
            caps.append((scope, cap))
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
    return plans, notes


def simulate_options(store: Store, book: PriceBook, priced_scope: str, cfg: Config,
                     o: LeverOptions) -> Simulation:
    """Baseline and the stacked what-if of the levers the user asked for."""
    if not o.any():
        raise UsageError("simulate needs at least one lever.",
                         "For example: llmcost simulate --cache auto --route classify=haiku --batch auto "
                         "(see llmcost simulate --help), or llmcost recommend for every lever.")
    calls, unpriced, days, baseline = prepare_base(store, book, priced_scope)
    plans, notes = build_plans(store, book, cfg, o)
    scenario, results = run_stack(store, plans, baseline)
    sim = Simulation(baseline, scenario, results, days, calls, unpriced, notes)
    if unpriced:
        sim.notes.append(f"{unpriced:,} unpriced calls (models not in the price book) are in neither the "
                         "baseline nor the savings")
    if 0 < days < 1:
        sim.notes.append(f"the calls span {days * 24:.1f} hours: monthly figures extrapolate from less than a day")
    return sim
