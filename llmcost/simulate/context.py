"""Context levers (articles 001–003): how much context a call carries.

- **history window** (`--history-window [SCOPE=]N`): a conversation resends its earlier turns
  with every call, so input grows turn by turn. Keeping at most N tokens of those turns is
  replayed from the logged token counts, per conversation (`conversation_id`) and task type in
  time order. A call's input is taken as its *base* (what it would send with no history: the
  conversation's first call of that task type, i.e. the static prompt, per-turn context and one
  message; never less than the call's logged `prefix_tokens`) plus the history carried from
  earlier turns (the rest). With the window the history part is at most N: input becomes
  `min(input, base + N)`. With `--summarize`, the cut turns are replaced by a running summary of
  S tokens carried in the prompt (so a call is cut only where that shortens it: history > N + S),
  and each such call adds one summary call that reads the previous summary and the turns newly
  dropped, and writes S tokens.
- **cap input** (`--cap-input [SCOPE=]N`): the input beyond the static prefix (`prefix_tokens`
  where logged, else the whole input) is capped at N tokens, e.g. fewer retrieved chunks (RAG
  top-k instead of stuffing).

Both keep the canonical schema's invariant: cache reads and writes are subsets of input_tokens.
Like every lever, these are pure (SQL text and plain-word assumptions); the few facts they print
(calls without a conversation id, without a logged prefix) are counted by `context_facts` and
passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcost.errors import UsageError
from llmcost.simulate.levers import LeverPlan, Scope, _select, split_scoped
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

DEFAULT_SUMMARY_TOKENS = 200  # article 002: "a 200-token summary of key points plus the last 2-3 turns"
SUMMARY_SUFFIX = "#history-summary"  # call_id of the summary call added for a cut call
MAX_TOKENS = 1_000_000_000

# recommend's rule for the history window
GROWTH_RATIO = 1.5  # late turns (4th and later) carry at least 1.5x the first turn's input
LATE_TURN = 4  # the window keeps what the 3rd turn carries: its last two exchanges
MIN_LATE_CALLS = 20


@dataclass(frozen=True)
class ContextFacts:
    """What the assumptions of the context levers name: counted on the calls in scope."""

    calls: int
    without_conversation: int
    without_prefix: int  # calls with no logged prefix_tokens


def parse_token_specs(specs: list[str], option: str, example: str) -> list[tuple[Scope, int]]:
    """`[SCOPE=]N` values -> (scope, N), N a whole number of tokens from 0 to 1e9."""
    out = []
    for spec in specs:
        scope, value = split_scoped(spec)
        try:
            n = int(value)
        except ValueError as e:
            raise UsageError(f"{option} {spec}: the value must be a whole number of tokens.",
                             f"For example {option} {example}.") from e
        if not 0 <= n <= MAX_TOKENS:
            raise UsageError(f"{option} {spec}: expected 0 to {MAX_TOKENS:,} tokens.",
                             f"For example {option} {example}.")
        out.append((scope, n))
    return out


def _case(specs: list[tuple[Scope, int]]) -> str:
    return "(CASE " + " ".join(f"WHEN {s.sql()} THEN {int(n)}" for s, n in specs) + " END)"


def _scope_text(specs: list[tuple[Scope, int]]) -> str:
    return ", ".join(f"{s.text} at {n:,}" for s, n in specs)


def _cache_within(keep: str) -> dict[str, str]:
    """Cache columns of a call whose prompt keeps only its first `keep` tokens as they were:
    reads, then 5-minute writes, then 1-hour writes, each at most what is left of `keep`."""
    read = f"least(cache_read_tokens, {keep})"
    w5 = f"least(cache_write_5m_tokens, greatest({keep} - {read}, 0))"
    w1 = f"least(cache_write_1h_tokens, greatest({keep} - {read} - {w5}, 0))"
    return {"cache_read_tokens": read, "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1}


def _untouched(facts: ContextFacts) -> str:
    if not facts.without_conversation:
        return f"all {facts.calls:,} calls in scope have a conversation_id"
    return (f"{facts.without_conversation:,} of {facts.calls:,} calls in scope "
            + ("has no conversation_id and is left as it is" if facts.without_conversation == 1
               else "have no conversation_id and are left as they are"))


# --- history window ----------------------------------------------------------------------------

def history_window(specs: list[tuple[Scope, int]], facts: ContextFacts, summarize: bool = False,
                   summary_tokens: int = DEFAULT_SUMMARY_TOKENS,
                   summary_model: tuple[str, str] | None = None) -> LeverPlan:
    """Keep at most N tokens of earlier turns per conversation (see the module docstring).
    `summary_model` is (model id, provider) for the summary calls; None: the call's own model."""
    if not specs:
        raise UsageError("--history-window needs a token count.", "For example --history-window 2000.")
    if summarize and not 1 <= summary_tokens <= MAX_TOKENS:
        raise UsageError(f"--summary-tokens {summary_tokens}: expected 1 to {MAX_TOKENS:,} tokens.",
                         f"For example --summary-tokens {DEFAULT_SUMMARY_TOKENS}.")
    s = int(summary_tokens) if summarize else 0
    order = "PARTITION BY conversation_id, task_type ORDER BY ts, source_line, call_id"
    # static part: what stays cacheable when the window slides (the logged prefix, else the base)
    static = "coalesce(prefix_tokens, _base)"
    cut_cols = {"input_tokens": f"_base + _n + {s}"}
    cut_cols.update(_cache_within(static))
    replace = {c: f"CASE WHEN _cut THEN {e} ELSE {c} END" for c, e in cut_cols.items()}
    # block hashes: only the blocks inside the static part still match an earlier prompt
    replace["prefix_blocks"] = (f"CASE WHEN _cut AND prefix_blocks IS NOT NULL THEN list_slice(prefix_blocks, 1, "
                                f"CAST(floor({static} / coalesce(block_tokens, 512)) AS BIGINT)) "
                                "ELSE prefix_blocks END")
    steps = f"""
        WITH hw0 AS (
            SELECT *, CASE WHEN conversation_id IS NOT NULL THEN {_case(specs)} END AS _n,
                   greatest(coalesce(prefix_tokens, 0), first_value(input_tokens) OVER ({order})) AS _base
            FROM {{prev}}),
        hw1 AS (SELECT *, coalesce(_n IS NOT NULL AND input_tokens - _base > _n + {s}, false) AS _cut FROM hw0),
        hw AS (SELECT *, CASE WHEN _cut THEN input_tokens - _base - _n ELSE 0 END AS _drop FROM hw1)"""
    kept = _select("hw", replace, "_cut", "history_window")
    params: dict[str, object] = {"windows": [{"scope": sc.text, "max_history_tokens": n} for sc, n in specs],
                                 "summarize": summarize}
    assumptions = [
        "replayed from the logged token counts, per conversation (conversation_id) and task type in time "
        "order: a call's base is the conversation's first call of that task type (static prompt, per-turn "
        "context and one message; at least the call's prefix_tokens), the rest of its input is history "
        "from earlier turns, and the window keeps the newest N tokens of that history",
        "a cut call reads from the prompt cache only its static part (prefix_tokens, else the base): "
        "the window slides every turn, so a cached history no longer matches",
        _untouched(facts),
    ]
    if summarize:
        params["summary_tokens"] = s
        params["summary_model"] = summary_model[0] if summary_model else None
        on = f"the {summary_model[0]} model" if summary_model else "the call's own model"
        # the running summary: the previous summary (when the previous call was summarised too)
        # plus the turns dropped since the previous call
        model = sql_str(summary_model[0]) if summary_model else "model"
        provider = sql_str(summary_model[1]) if summary_model else "provider"
        same = summary_model is None
        summ = {
            "call_id": f"call_id || {sql_str(SUMMARY_SUFFIX)}", "model": model, "provider": provider,
            "model_id": "CAST(NULL AS VARCHAR)", "task_type": "CAST(NULL AS VARCHAR)",
            "input_tokens": f"greatest(_drop - _pdrop, 0) + CASE WHEN _pcut THEN {s} ELSE 0 END",
            "cache_read_tokens": "0", "cache_write_5m_tokens": "0", "cache_write_1h_tokens": "0",
            "output_tokens": str(s), "reasoning_tokens": "0", "service_tier": "'standard'",
            "inference_geo": "inference_geo" if same else "CAST(NULL AS VARCHAR)",
            "speed": "speed" if same else "CAST(NULL AS VARCHAR)",
            "status": "'ok'", "billed": "true", "latency_ms": "CAST(NULL AS DOUBLE)",
            "prefix_hash": "CAST(NULL AS VARCHAR)", "prefix_tokens": "CAST(NULL AS BIGINT)",
            "prefix_blocks": "CAST(NULL AS UBIGINT[])", "block_tokens": "CAST(NULL AS INTEGER)",
            "prompt_hash": "CAST(NULL AS VARCHAR)", "quality": "CAST(NULL AS DOUBLE)",
            "web_search_requests": "0", "logged_cost_usd": "CAST(NULL AS DECIMAL(18,9))",
        }
        summaries = _select(f"(SELECT *, lag(_drop, 1, 0) OVER ({order}) AS _pdrop, "
                            f"lag(_cut, 1, false) OVER ({order}) AS _pcut FROM hw)", summ, "false",
                            "history_window", "WHERE _cut AND status = 'ok' AND billed")
        sql = f"{steps} {kept} UNION ALL {summaries}"
        assumptions += [
            f"--summarize: the dropped turns are replaced by a running summary of {s:,} tokens carried in the "
            f"prompt (a call is cut only where its history exceeds N + {s:,}); each cut call that was answered "
            f"(status ok, billed) adds one summary call on {on} that reads the previous summary and the "
            f"turns dropped since the previous call (its instruction prompt not counted) and writes {s:,} "
            "tokens (estimated)",
            "answers with a summary in place of the older turns are taken to be as good (not measured)",
        ]
        risk = "quality (older turns only as a summary)"
    else:
        sql = f"{steps} {kept}"
        assumptions.append("older turns are dropped: the model no longer sees them and may forget what was "
                           "said early in a long conversation (quality not measured; --summarize keeps a "
                           "summary of them at the cost of a summary call)")
        risk = "quality (older turns dropped)"
    in_scope = f"(conversation_id IS NOT NULL AND {_case(specs)} IS NOT NULL " \
               f"AND NOT ends_with(call_id, {sql_str(SUMMARY_SUFFIX)}))"
    share = f"count(*) FILTER (WHERE t_history_window) * 1.0 / nullif(count(*) FILTER (WHERE {in_scope}), 0)"
    metrics = {"history_cut_share": share}
    if summarize:
        metrics["summary_calls"] = f"count(*) FILTER (WHERE ends_with(call_id, {sql_str(SUMMARY_SUFFIX)}))"
    return LeverPlan("history_window", params, sql, assumptions,
                     scope=", ".join(f"{sc.text}: last {n:,} tokens" for sc, n in specs),
                     metrics=metrics, per_task={"history_cut_share": (share, in_scope)},
                     confidence="estimated", risk=risk, effort="days")


# --- cap input ---------------------------------------------------------------------------------

def cap_input(specs: list[tuple[Scope, int]], facts: ContextFacts) -> LeverPlan:
    """Cap each call's input beyond its static prefix at N tokens (assumed quality)."""
    if not specs:
        raise UsageError("--cap-input needs a token count.", "For example --cap-input answer=2000.")
    capv = _case(specs)
    new_input = f"least(input_tokens, coalesce(prefix_tokens, 0) + {capv})"
    cut = f"({capv} IS NOT NULL AND input_tokens > coalesce(prefix_tokens, 0) + {capv})"
    replace = {c: f"CASE WHEN {cut} THEN {e} ELSE {c} END"
               for c, e in {"input_tokens": new_input, **_cache_within(new_input)}.items()}
    sql = _select("{prev}", replace, cut, "cap_input")
    assumptions = [
        "each call's input beyond its static prefix (prefix_tokens) is cut to N tokens, e.g. fewer "
        "retrieved chunks (RAG top-k instead of stuffing); whether answers stay as good with less "
        "context is NOT measured (assumed)",
        "the cut comes off the end of the prompt (retrieved context after the static part), so tokens "
        "the log shows as cached stay cached up to the new length",
    ]
    if facts.without_prefix:
        assumptions.append(f"{facts.without_prefix:,} of {facts.calls:,} calls in scope "
                           + ("logs" if facts.without_prefix == 1 else "log")
                           + " no prefix_tokens: their whole input counts against the cap")
    share = f"count(*) FILTER (WHERE t_cap_input) * 1.0 / nullif(count(*) FILTER (WHERE {capv} IS NOT NULL), 0)"
    return LeverPlan("cap_input", {"caps": [{"scope": s.text, "max_input_tokens": n} for s, n in specs]},
                     sql, assumptions, scope=_scope_text(specs),
                     metrics={"capped_share": share},
                     per_task={"capped_share": (share, f"{capv} IS NOT NULL")},
                     confidence="assumed", risk="quality (less context)", effort="days")


# --- facts the assumptions name ---------------------------------------------------------------

def context_facts(store: Store, rel: str, specs: list[tuple[Scope, int]]) -> ContextFacts:
    """Calls in scope of `specs` in `rel`; of them, those without a conversation id and those
    without a logged prefix size (a handful of numbers, counted in one pass)."""
    in_scope = _case(specs) + " IS NOT NULL"
    calls, no_conv, no_prefix = store.query(
        f"SELECT count(*), count(*) FILTER (WHERE conversation_id IS NULL), "
        f"count(*) FILTER (WHERE prefix_tokens IS NULL) FROM {rel} WHERE {in_scope}")[0]
    return ContextFacts(int(calls), int(no_conv), int(no_prefix))


# --- recommend's rule -------------------------------------------------------------------------

def growing_conversations(store: Store, rel: str) -> list[tuple[str, int, float, float, int]]:
    """Task types whose conversations' input grows turn by turn: at least 20 calls at the 4th
    turn or later, whose median input is at least 1.5x the first turns' median.
    -> (task type, window N, first-turn median, late-turn median, late calls); N is the median
    history the 3rd turn carries (its input minus the first turn's: the last two exchanges, as
    article 002 keeps "the last 2-3 turns"), rounded up to 100 tokens."""
    rows = store.query(f"""
        WITH t AS (
            SELECT task_type, conversation_id, input_tokens,
                   row_number() OVER (PARTITION BY conversation_id, task_type
                                      ORDER BY ts, source_line, call_id) AS turn,
                   first_value(input_tokens) OVER (PARTITION BY conversation_id, task_type
                                                   ORDER BY ts, source_line, call_id) AS first_in
            FROM {rel} WHERE conversation_id IS NOT NULL AND task_type IS NOT NULL)
        SELECT task_type,
               median(input_tokens) FILTER (WHERE turn = 1) AS m1,
               median(input_tokens) FILTER (WHERE turn >= {LATE_TURN}) AS mlate,
               count(*) FILTER (WHERE turn >= {LATE_TURN}) AS nlate,
               median(input_tokens - first_in) FILTER (WHERE turn = {LATE_TURN - 1}) AS h3
        FROM t GROUP BY task_type
        HAVING count(*) FILTER (WHERE turn >= {LATE_TURN}) >= {MIN_LATE_CALLS}
        ORDER BY task_type""")
    out = []
    for task, m1, mlate, nlate, h3 in rows:
        if m1 and mlate and h3 and h3 > 0 and mlate >= GROWTH_RATIO * m1:
            out.append((str(task), int(-(-float(h3) // 100) * 100), float(m1), float(mlate), int(nlate)))
    return out
