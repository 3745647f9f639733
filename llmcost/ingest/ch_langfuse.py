"""Self-hosted Langfuse (v3) keeps every observation in ClickHouse: its `observations` table,
read where it is (`analyze --db … --table observations`) as the canonical call columns.

Table (langfuse/langfuse, packages/shared/clickhouse/migrations/…/0002_observations.up.sql):
`ReplacingMergeTree(event_ts, is_deleted)`, one row per version of an observation; `id`,
`trace_id`, `type`, `start_time` / `end_time` `DateTime64(3)`, `name`, `level`,
`provided_model_name`, `usage_details Map(LowCardinality(String), UInt64)`,
`cost_details Map(LowCardinality(String), Decimal64(12))`, `total_cost Nullable(Decimal64(12))`.

Quirks and rules (the same as the file adapter, `llmcost.ingest.langfuse`):
- Versions not yet merged are counted once: the table is read with `FINAL` (the latest version
  by `event_ts`; deleted observations, `is_deleted = 1`, left out).
- Only `GENERATION` and `EMBEDDING` observations are calls (spans, events, tools… are not).
- `usage_details` is a free-form map: input = the sum of every key containing `input`, output =
  the sum of every key containing `output` (Langfuse's integrations split cache and reasoning
  counts OUT of `input` / `output`); except when `total` = `input` + `output` while detail keys
  are present: then the details were subsets and `input` / `output` are the totals.
  Cache reads = keys with `input` and `cache_read` or `cached`; cache writes = keys with `input`
  and `cache_creation` or `cache_write` (1-hour writes when the key says `1h`); reasoning = keys
  with `output` and `reasoning`.
- `id` -> call_id, `trace_id` -> conversation_id, `name` -> task_type, `start_time` -> ts,
  `level = 'ERROR'` -> status error (not billed), `cost_details['total']` (else `total_cost`) ->
  logged_cost_usd, provider inferred from the model name.
"""

from __future__ import annotations

from llmcost.ingest.base import infer_provider
from llmcost.store_clickhouse import to_clickhouse

CALL_TYPES = ("GENERATION", "EMBEDDING")


def detect(columns: dict[str, str]) -> bool:
    return {"usage_details", "provided_model_name", "trace_id", "type"} <= set(columns)


def _sum(cond: str) -> str:
    """The sum of the usage_details values whose lower-cased key `k` meets `cond`."""
    return f"arraySum(mapValues(mapFilter((k, v) -> {cond}, usage_details)))"


def _has(word: str) -> str:
    return f"position(lower(k), '{word}') > 0"


def select(table: str, columns: dict[str, str]) -> str:
    """A ClickHouse SELECT of the table's calls with canonical column names (the others are filled
    by `pricing.clickhouse.canonical_source`)."""
    in_all = _sum(_has("input"))
    out_all = _sum(_has("output"))
    write = f"{_has('input')} AND ({_has('cache_creation')} OR {_has('cache_write')})"
    base_in, base_out, total = (f"usage_details['{k}']" for k in ("input", "output", "total"))
    inclusive = (f"(mapContains(usage_details, 'total') AND mapContains(usage_details, 'input') "
                 f"AND mapContains(usage_details, 'output') AND {total} = {base_in} + {base_out} "
                 f"AND {in_all} + {out_all} > {total})")
    model = "nullIf(trim(provided_model_name), '')"
    provider = to_clickhouse(f"SELECT {infer_provider('_m')}")[len("SELECT "):].replace("_m", model)
    deleted = " AND is_deleted = 0" if "is_deleted" in columns else ""
    types = ", ".join(f"'{t}'" for t in CALL_TYPES)
    return f"""SELECT id AS call_id, CAST(start_time AS Nullable(DateTime64(6, 'UTC'))) AS ts,
        {provider} AS provider, {model} AS model, nullIf(name, '') AS task_type,
        nullIf(trace_id, '') AS conversation_id,
        toInt64(if({inclusive}, {base_in}, {in_all})) AS input_tokens,
        toInt64({_sum(f"{_has('input')} AND ({_has('cache_read')} OR {_has('cached')})")}) AS cache_read_tokens,
        toInt64({_sum(write)} - {_sum(f"{write} AND {_has('1h')}")}) AS cache_write_5m_tokens,
        toInt64({_sum(f"{write} AND {_has('1h')}")}) AS cache_write_1h_tokens,
        toInt64(if({inclusive}, {base_out}, {out_all})) AS output_tokens,
        toInt64({_sum(f"{_has('output')} AND {_has('reasoning')}")}) AS reasoning_tokens,
        if(upper(level) = 'ERROR', 'error', 'ok') AS status,
        toFloat64(dateDiff('millisecond', start_time, end_time)) AS latency_ms,
        CAST(if(mapContains(cost_details, 'total'), cost_details['total'], total_cost)
             AS Nullable(Decimal(18, 9))) AS logged_cost_usd
        FROM {table} FINAL WHERE type IN ({types}){deleted}"""
