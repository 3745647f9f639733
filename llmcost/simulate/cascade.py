"""The cascade lever (article 004): every call in scope is first tried on a cheap model; it
escalates to the model it was on when the cheap answer is not good enough.

For each call in scope (status ok, on a priced model other than CHEAP, at a time CHEAP has a
price), in this order:
1. the eval file scores this very request on CHEAP: it escalates when that score is below the
   pass score (`--pass-score`, 0.5 by default);
2. else its task type has an eval sample on CHEAP: it escalates at the task's failure rate (the
   share of the sample below the pass score; a per-task row's score is read as its pass rate);
3. else it escalates at `--escalate-rate R` (an assumption; without R and without evidence the
   lever is a usage error).
A failure RATE must become a deterministic choice of calls: within each task type (and CHEAP),
the calls that need the rate are taken in time order (ties by source line, then call id) and
call i escalates when floor(i × rate) > floor((i − 1) × rate), in exact decimals. So exactly
floor(calls × rate) of them escalate, spread evenly over time (systematic selection) — the
expected cost, cheap + rate × original, to within one call per task type; and the same log
always gives the same choice.

The scenario then holds, per call in scope, a NEW row — the cheap attempt: the call's input
tokens uncached (the cheap model has not cached them; the cache lever later in the stack may
replay caching on it), output tokens from the eval file where it gives them for that request on
CHEAP, else the logged ones; call id `<call_id>~cascade`, flag `t_cascade` — and, for the calls
that escalate, the original call unchanged. Cost = every cheap attempt + the original of each
escalated call. Stack position: after route (an escalation goes to the model the call is on
after routing) and before trimming, dedupe and caching, so those levers act on the cheap
attempts as on any call (a response cache answers a repeat without either attempt).

Quality (`llmcost.simulate.quality`): a perfect check — a call escalates exactly when its cheap
answer fails, and then counts the escalated answer's own score; otherwise the cheap answer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from llmcost.errors import UsageError
from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MODEL_MAP, PERIODS
from llmcost.schema import COLUMN_NAMES
from llmcost.simulate.levers import STACK_ORDER, LeverPlan, Scope, split_scoped
from llmcost.simulate.quality import (
    EVAL_REQUESTS,
    Evidence,
    QualitySpec,
    Sample,
    score_joins,
)
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

SUFFIX = "~cascade"
RATE = "DECIMAL(18,9)"


@dataclass
class Target:
    scope: Scope
    model: str  # price-book id of CHEAP
    provider: str
    text: str  # as the user wrote it


def parse_targets(specs: list[str], book: PriceBook) -> list[Target]:
    out = []
    for spec in specs:
        scope, cheap = split_scoped(spec)
        resolved = book.resolve(cheap)
        if not cheap or not resolved:
            raise UsageError(f"--cascade {spec}: " + (f"{cheap} is not a model of the price book." if cheap
                                                        else "no cheap model named."),
                             "Name the cheap model to try first by its id (see `llmcost pricing list`), "
                             "e.g. --cascade classify=gpt-4o-mini; add a model with --pricing.")
        mid = resolved[0]
        out.append(Target(scope, mid, book.models[mid].provider, spec))
    return out


@dataclass
class PassStats:
    """CHEAP on one task type: the share of its sample that passes, the mean score of the
    passing answers, the sample size and where it came from."""

    share: float
    pass_mean: float
    n: int | None
    source: str


@dataclass
class CascadeEvidence:
    """What the eval file says about each CHEAP: pass stats per task type, and the paired
    per-request sample (the same request scored on CHEAP and on another model)."""

    evidence: Evidence | None
    pass_score: float
    passing: dict[tuple[str, str], PassStats] = field(default_factory=dict)  # (cheap, task)
    paired: dict[tuple[str, str, str], Sample] = field(default_factory=dict)  # (cheap, task, other) -> after

    def rate(self, cheap: str, task: str | None) -> float | None:
        p = self.passing.get((cheap, task or ""))
        return None if p is None else 1 - p.share

    def estimate(self, g: dict[str, Any]) -> tuple[Sample, Sample] | None:
        """Expected quality before and after for the calls of a group without both per-request
        scores: the task's sample on the call's model, and the cascade on the paired sample, else
        pass share × passing mean + failure rate × the model's mean (failures of the two models
        taken as independent)."""
        ev = self.evidence
        task, orig, cheap = g["task_type"], g["m_from"], g["m_to"]
        before = ev.sample(task, orig) if ev else None
        after = self.paired.get((cheap, task or "", orig))
        p = self.passing.get((cheap, task or ""))
        if before is not None and after is None and p is not None:
            f = 1 - p.share
            n = min(x for x in (p.n, before.n) if x is not None) if p.n or before.n else None
            after = Sample(p.share * p.pass_mean + f * before.mean, n, None, None,
                           f"{p.source}, independent failures")
        if before is None or after is None:
            lacking = [m for m, s in ((orig, before), (cheap, after)) if s is None]
            g["gap"] = f"{task or '(no task type)'} on {' and '.join(lacking)}"
            return None
        return before, after


def gather(store: Store, ev: Evidence | None, cheaps: list[str], pass_score: float) -> CascadeEvidence:
    """Pass stats and paired samples of each CHEAP from the loaded eval tables (small results)."""
    ce = CascadeEvidence(ev, pass_score)
    if ev is None:
        return ce
    names = ", ".join(sql_str(c) for c in cheaps)
    if ev.has_requests:
        for task, cheap, n, passed, pmean in store.query(f"""
                SELECT task_type, model_key, count(*), count(*) FILTER (WHERE score >= {pass_score}),
                       avg(score) FILTER (WHERE score >= {pass_score})
                FROM {EVAL_REQUESTS} WHERE task_type IS NOT NULL AND model_key IN ({names}) GROUP BY 1, 2"""):
            ce.passing[(cheap, task)] = PassStats(passed / n, float(pmean) if pmean is not None else 1.0, int(n),
                                                  "eval file, per request")
        for task, cheap, other, n, mean, var, binary in store.query(f"""
                SELECT c.task_type, c.model_key, o.model_key, count(*),
                       avg(CASE WHEN c.score >= {pass_score} THEN c.score ELSE o.score END),
                       var_samp(CASE WHEN c.score >= {pass_score} THEN c.score ELSE o.score END),
                       bool_and(c.score IN (0, 1) AND o.score IN (0, 1))
                FROM {EVAL_REQUESTS} c JOIN {EVAL_REQUESTS} o ON o.key = c.key AND o.model_key <> c.model_key
                WHERE c.task_type IS NOT NULL AND c.model_key IN ({names}) GROUP BY 1, 2, 3"""):
            ce.paired[(cheap, task, other)] = Sample(float(mean), int(n), float(var) if var is not None else None,
                                                     binary, "eval file, per request (paired)")
    else:
        for (task, mk), s in ev.samples.items():
            if mk in cheaps and s.source.startswith("eval file"):
                # a per-task score is read as the task's pass rate: a passing answer counts 1
                ce.passing[(mk, task)] = PassStats(s.mean, 1.0, s.n, "eval file, per task (a pass rate)")
    return ce


def in_scope_sql(t: list[Target], p: str = "p") -> tuple[str, str]:
    """(SQL of the CHEAP for a row of `p` — the first target whose scope holds it —, the
    provider of that CHEAP)."""
    cheap = " ".join(f"WHEN {x.scope.sql()} THEN {sql_str(x.model)}" for x in t)
    provider = " ".join(f"WHEN {sql_str(x.model)} THEN {sql_str(x.provider)}" for x in t)
    return f"(CASE {cheap} END)", f"(CASE _cm {provider} END)"


def _ctes(targets: list[Target], ce: CascadeEvidence, default_rate: Decimal | None) -> str:
    """CTEs ending in `dec`: the calls in scope with their evidence and escalation (`_esc`);
    `c1` holds every row of `{prev}` with `_in` saying whether it is in scope."""
    ev = ce.evidence
    cheap, _ = in_scope_sql(targets)
    has_price = (f"EXISTS (SELECT 1 FROM {PERIODS} per WHERE per.model_id = c0._cm AND "
                 f"((c0.ts IS NULL AND per.is_latest) OR (c0.ts >= per.effective_from AND "
                 f"(per.effective_to IS NULL OR c0.ts < per.effective_to))))")
    rates = " ".join(f"WHEN _cm = {sql_str(c)} AND task_type = {sql_str(t)} THEN CAST('{_dec(1 - p.share)}' AS {RATE})"
                     for (c, t), p in sorted(ce.passing.items()))
    task_rate = f"(CASE {rates} END)" if rates else f"CAST(NULL AS {RATE})"
    default = f"CAST('{default_rate}' AS {RATE})" if default_rate is not None else f"CAST(NULL AS {RATE})"
    if ev is not None and ev.has_requests:
        jc, sc = score_joins(ev, "rc", "c1", "c1._cm")
        jo, so = score_joins(ev, "ro", "c1", "c1._mk")
        oc = "rc.output_tokens"
    else:
        jc = jo = ""
        sc = so = "CAST(NULL AS DOUBLE)"
        oc = "CAST(NULL AS BIGINT)"
    return f"""
        c0 AS (SELECT p.*, mm.model_id AS _mk, {cheap} AS _cm
               FROM {{prev}} p LEFT JOIN {MODEL_MAP} mm ON mm.model = p.model),
        c1 AS (SELECT c0.*, coalesce(_cm IS NOT NULL AND status = 'ok' AND _mk IS NOT NULL AND _mk <> _cm
                                     AND {has_price}, false) AS _in FROM c0),
        s AS (SELECT c1.*, {sc} AS _sc, {oc} AS _oc, {so} AS _so FROM c1 {jc} {jo} WHERE c1._in),
        r AS (SELECT s.*, CASE WHEN _sc IS NULL THEN {task_rate} END AS _tr,
                     row_number() OVER (PARTITION BY _cm, task_type, _sc IS NULL
                                        ORDER BY ts NULLS LAST, source_line, call_id) AS _i
              FROM s),
        dec AS (SELECT r.*, coalesce(CASE WHEN _sc IS NOT NULL THEN _sc < {ce.pass_score}
                                          ELSE floor(_i * coalesce(_tr, {default}))
                                               > floor((_i - 1) * coalesce(_tr, {default})) END, true) AS _esc
                FROM r)"""


def _dec(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(Decimal("0.000000001"))


def _row(source: str, replace: dict[str, str], flag: str, where: str = "") -> str:
    cols = [f"{replace[c]} AS {c}" if c in replace else c for c in COLUMN_NAMES]
    cols += [f"t_{f}" for f in STACK_ORDER if f != "cascade"]
    cols.append(f"{flag} AS t_cascade")
    return f"SELECT {', '.join(cols)} FROM {source} {where}"


def cascade(targets: list[Target], ce: CascadeEvidence, default_rate: Decimal | None,
            confidence: str, notes: list[str], kinds: set[str]) -> LeverPlan:
    """The lever: SQL of the new scenario, and the grouped query its quality and escalated
    share come from."""
    ctes = _ctes(targets, ce, default_rate)
    _, provider = in_scope_sql(targets)
    cheap_row = {
        "call_id": f"call_id || '{SUFFIX}'", "model": "_cm", "provider": provider,
        "cache_read_tokens": "CAST(0 AS BIGINT)", "cache_write_5m_tokens": "CAST(0 AS BIGINT)",
        "cache_write_1h_tokens": "CAST(0 AS BIGINT)", "output_tokens": "coalesce(_oc, output_tokens)",
        "reasoning_tokens": "CASE WHEN _oc IS NOT NULL THEN CAST(0 AS BIGINT) ELSE reasoning_tokens END",
        "quality": "CAST(NULL AS DOUBLE)", "latency_ms": "CAST(NULL AS DOUBLE)",
        "logged_cost_usd": "CAST(NULL AS DECIMAL(18,9))"}
    sql = f"""
        WITH {ctes}
        {_row('c1', {}, 'false', 'WHERE NOT _in')}
        UNION ALL {_row('dec', cheap_row, 'true')}
        UNION ALL {_row('dec', {}, 'false', 'WHERE _esc')}"""
    both = "_b IS NOT NULL AND _a IS NOT NULL"
    quality_sql = f"""
        WITH {ctes}
        SELECT task_type, _mk AS m_from, _cm AS m_to, count(*) AS calls,
               count(*) FILTER (WHERE {both}) AS measured,
               sum(_b) FILTER (WHERE {both}) AS b_sum, sum(_b * _b) FILTER (WHERE {both}) AS b_sq,
               sum(_a) FILTER (WHERE {both}) AS a_sum, sum(_a * _a) FILTER (WHERE {both}) AS a_sq,
               coalesce(bool_and(_b IN (0, 1) AND _a IN (0, 1)) FILTER (WHERE {both}), false) AS binary,
               count(*) FILTER (WHERE _esc) AS escalated,
               count(*) FILTER (WHERE _sc IS NOT NULL) AS by_score,
               count(*) FILTER (WHERE _sc IS NULL AND _tr IS NOT NULL) AS by_task_rate,
               count(*) FILTER (WHERE _sc IS NULL AND _tr IS NULL) AS by_assumed_rate
        FROM (SELECT *, _so AS _b, CASE WHEN _esc THEN _so ELSE _sc END AS _a FROM dec)
        GROUP BY ALL ORDER BY ALL"""
    spec = QualitySpec(quality_sql, ce.evidence, "cascade", "cascade",
                       {"estimate": ce.estimate,
                        "columns": ["escalated", "by_score", "by_task_rate", "by_assumed_rate"]})
    rules = []
    if "measured" in kinds:
        rules.append(f"a cheap answer fails when the eval file scores that request below {ce.pass_score:g}")
    if "estimated" in kinds:
        found = sorted(ce.passing.items())
        rates = ", ".join(f"{t} {1 - p.share:.1%} on {c}" for (c, t), p in found[:6]) + (" …" if len(found) > 6 else "")
        rules.append(f"a call without its own score escalates at its task type's failure rate in the eval "
                     f"file ({rates})")
    if "assumed" in kinds and default_rate is not None:
        rules.append(f"a call with no evidence escalates at the assumed rate {default_rate.normalize():f} "
                     "(--escalate-rate)")
    if kinds & {"estimated", "assumed"}:
        rules.append("a rate escalates evenly spaced calls in time order: floor(calls × rate) per task type")
    assumptions = [
        ", ".join(f"{t.scope.text} → tried on {t.model} first" for t in targets)
        + ": every call in scope is sent to the cheap model with the same input tokens (uncached), "
          "and to the model it was on as well when the cheap answer fails",
        *(["; ".join(rules)] if rules else []),
        "a perfect check: a call escalates exactly when its cheap answer fails, and then counts the escalated "
        "answer's own score (a real check — a grader model, a rule, user feedback — costs extra and errs: a "
        "missed failure lets a bad cheap answer through); an escalated call waits for two answers",
        "output tokens of the cheap attempt: the eval file's output_tokens for that request where given, else "
        "the logged ones" if ce.evidence is not None and ce.evidence.has_requests else
        "output tokens of the cheap attempt: the logged ones (as long as the original answer)",
        *notes]
    return LeverPlan("cascade", {"cascades": [{"scope": t.scope.text, "cheap": t.model} for t in targets],
                                 "pass_score": ce.pass_score,
                                 "escalate_rate": float(default_rate) if default_rate is not None else None},
                     sql, assumptions, scope=", ".join(f"{t.scope.text} via {t.model}" for t in targets),
                     confidence=confidence, risk="quality, latency", effort="a week (eval)",
                     quality=spec)


def plan_cascade(store: Store, book: PriceBook, base: str, specs: list[str], ev: Evidence | None,
                 pass_score: float, escalate_rate: float | None) -> LeverPlan:
    """`simulate --cascade`: the lever with the evidence behind each escalation checked first
    (a call in scope with neither a score nor a task sample needs --escalate-rate)."""
    if not 0 <= pass_score <= 1:
        raise UsageError(f"--pass-score {pass_score:g}: expected a score from 0 to 1.",
                         "A cheap answer passes when its eval score is at least this (default 0.5).")
    if escalate_rate is not None and not 0 <= escalate_rate <= 1:
        raise UsageError(f"--escalate-rate {escalate_rate:g}: expected a fraction from 0 to 1.",
                         "For example --escalate-rate 0.3: 30 % of the calls in scope escalate.")
    targets = parse_targets(specs, book)
    ce = gather(store, ev, [t.model for t in targets], pass_score)
    return checked(store, base, targets, ce, escalate_rate, ", ".join(specs))


def checked(store: Store, base: str, targets: list[Target], ce: CascadeEvidence, escalate_rate: float | None,
            shown: str) -> LeverPlan:
    """The lever, once every call in scope is known to have a way to escalate; its confidence is
    the weakest evidence an escalation rests on."""
    ev = ce.evidence
    cheap, _ = in_scope_sql(targets, "b")
    if ev is not None and ev.has_requests:
        join = f"LEFT JOIN {EVAL_REQUESTS} rc ON rc.key = b.{ev.key} AND rc.model_key = b._cm"
        scored = "rc.key IS NOT NULL"
    else:
        join, scored = "", "false"
    rows = store.query(f"""
        SELECT b._cm, b.task_type, count(*) FILTER (WHERE {scored}), count(*)
        FROM (SELECT b.*, {cheap} AS _cm, mm.model_id AS _mk FROM {base} b
              LEFT JOIN {MODEL_MAP} mm ON mm.model = b.model) b {join}
        WHERE b._cm IS NOT NULL AND b.status = 'ok' AND b._mk IS NOT NULL AND b._mk <> b._cm
        GROUP BY 1, 2 ORDER BY 1, 2""")
    kinds: set[str] = set()
    unknown: list[str] = []
    notes: list[str] = []
    for cm, task, scored_n, n in rows:
        if scored_n:
            kinds.add("measured")
        if n > scored_n:
            if ce.rate(cm, task) is not None:
                kinds.add("estimated")
            elif escalate_rate is not None:
                kinds.add("assumed")
            else:
                unknown.append(f"{task or '(no task type)'} on {cm} ({n - scored_n:,} calls)")
    if unknown:
        where = ev.describe() if ev is not None else "no eval file given"
        raise UsageError(
            f"--cascade {shown}: nothing says how often the cheap model fails for "
            f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}: no per-request score and no task "
            f"sample on it ({where}).",
            "Give an eval file (--eval FILE or quality_eval: in llmcost.yaml) that scores the cheap model, or "
            "assume a rate with --escalate-rate R (e.g. 0.3: 30 % of calls escalate).")
    if not rows:
        notes.append("no call in scope is on another priced model: nothing to cascade")
    confidence = "assumed" if "assumed" in kinds or not rows else "estimated" if "estimated" in kinds \
        else "measured"
    rate = _dec(escalate_rate) if escalate_rate is not None else None
    return cascade(targets, ce, rate, confidence, notes, kinds)


def recommend_cascade(store: Store, book: PriceBook, base: str, ev: Evidence | None, floors: dict[str, float],
                      exclude: list[str]) -> tuple[LeverPlan | None, list[str], list[str]]:
    """`recommend`: per task type (not routed), the model of the eval file that makes the
    cascade cheapest in expectation — its cost on the task's tokens at today's list price + the
    task's failure rate on it × the task's cost — where that is below the task's cost and the
    expected quality stays at its quality_floor. -> (plan, rules, not evaluated)."""
    if ev is None or ev.shown is None:
        return None, [], ["cascade: needs an eval file scoring a cheaper model (quality_eval: in llmcost.yaml "
                          "or --eval FILE), to know how often its answers would escalate"]
    from llmcost.pricing.engine import priced_sql

    tasks = store.query(f"""
        SELECT task_type, sum(cost_usd), sum(input_tokens), sum(output_tokens), list(DISTINCT model_id)
        FROM ({priced_sql(base)}) WHERE status = 'ok' AND task_type IS NOT NULL AND cost_usd IS NOT NULL
        GROUP BY 1 ORDER BY 1""")
    cands = sorted({mk for (_, mk) in ev.samples if mk in book.models})
    ce = gather(store, ev, cands, 0.5)
    chosen: dict[str, list[str]] = {}
    why: list[str] = []
    for task, cost, inp, out, models in tasks:
        if task in exclude:
            continue
        best: tuple[Decimal, str, float] | None = None
        for c in cands:
            rate = ce.rate(c, task)
            if rate is None or c in models:
                continue
            prices = book.models[c].periods[-1].prices
            cheap = (Decimal(inp) * prices["input"] + Decimal(out) * prices["output"]) / Decimal(1_000_000)
            expected = cheap + _dec(rate) * Decimal(cost)
            if expected < Decimal(cost) and (best is None or expected < best[0]):
                est = [ce.estimate({"task_type": task, "m_from": m, "m_to": c}) for m in models]
                floor = floors.get(task)
                if floor is not None and any(e is None or e[1].mean < floor for e in est):
                    why.append(f"{task}: a cascade via {c} would not keep its quality_floor {floor:g}")
                    continue
                best = (expected, c, rate)
        if best is not None:
            chosen.setdefault(best[1], []).append(task)
            why.append(f"{task}: via {best[1]}, which fails {best[2]:.0%} of its eval sample")
    if not chosen:
        left = [t for t, *_ in tasks if t not in exclude]
        return None, why, [("cascade: no model the eval file scores makes " + ", ".join(left[:6])
                            + " cheaper once its failures escalate") if left else
                           "cascade: every task type is routed; the cascade is not stacked on a route"]
    from llmcost.simulate.levers import parse_scope

    targets = [Target(parse_scope(",".join(ts)), c, book.models[c].provider, f"{','.join(ts)}={c}")
               for c, ts in sorted(chosen.items())]
    plan = checked(store, base, targets, ce, None, ", ".join(t.text for t in targets))
    return plan, ["cascade considered where the eval file scores a cheaper model: " + "; ".join(why)], []
