"""Self-hosted Helicone keeps every request in ClickHouse: its `request_response_rmt` table,
read where it is (`analyze --db … --table request_response_rmt`) as the canonical call columns.

Table (Helicone/helicone, clickhouse/migrations: …request_response_replacing_merge_tree.sql and
the later ALTERs): `ReplacingMergeTree(updated_at)`, one row per version of a request;
`request_id UUID`, `request_created_at DateTime64(3)`, `model`, `provider`, `user_id`, `status`
(HTTP), `latency`, `prompt_tokens`, `completion_tokens`, `prompt_cache_read_tokens`,
`prompt_cache_write_tokens`, `prompt_audio_tokens`, `completion_audio_tokens`,
`cache_reference_id UUID`, `cost Nullable(UInt64)`.

Quirks and rules (as the file adapter, `llmcost.ingest.helicone`, where they overlap):
- Versions not yet merged are counted once: the table is read with `FINAL` (the latest
  `updated_at` per sorting key).
- `prompt_tokens` EXCLUDES the cache reads and writes (and prompt audio), kept in their own
  columns; input = prompt_tokens + prompt_cache_read_tokens + prompt_cache_write_tokens +
  prompt_audio_tokens. `completion_tokens` EXCLUDES `reasoning_tokens` where the table has that
  column; output = completion_tokens + completion_audio_tokens + reasoning_tokens. Both are billed.
- Cache writes carry no TTL: all are taken as 5-minute writes.
- `cost` is USD × 10^9 (an integer): logged_cost_usd = cost / 10^9, exact at 9 decimals.
- `status` 200-299 -> ok, anything else (4xx, 5xx, Helicone's 0 / -1) -> error, not billed. A
  Helicone response-cache hit (`cache_reference_id` set and not the all-zero UUID) was answered by
  Helicone, not the provider: counted, not billed.
- `request_id` -> call_id, `user_id` -> tenant, `latency` -> latency_ms, `provider` lower-cased
  (empty or `CUSTOM`: inferred from the model name).
"""

from __future__ import annotations

from llmcost.ingest.base import infer_provider
from llmcost.store_clickhouse import to_clickhouse

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def detect(columns: dict[str, str]) -> bool:
    return {"request_id", "request_created_at", "prompt_tokens", "completion_tokens"} <= set(columns)


def select(table: str, columns: dict[str, str]) -> str:
    """A ClickHouse SELECT of the table's calls with canonical column names (the others are filled
    by `pricing.clickhouse.canonical_source`)."""
    def n(col: str) -> str:
        return f"coalesce({col}, 0)" if col in columns or col.startswith("h_") else "0"

    # the table's columns that share a canonical name are read under another (`h_…`): ClickHouse
    # lets an alias of the SELECT shadow the column of the same name in the other expressions
    model = "nullIf(trim(h_model), '')"
    inferred = to_clickhouse(f"SELECT {infer_provider('_m')}")[len("SELECT "):].replace("_m", model)
    ok = "(h_status >= 200 AND h_status < 300)"
    hit = (f"(cache_reference_id IS NOT NULL AND toString(cache_reference_id) != '{ZERO_UUID}')"
           if "cache_reference_id" in columns else "false")
    cost = ("CAST(CAST(cost AS Nullable(Decimal(38, 0))) * toDecimal64('0.000000001', 9) "
            "AS Nullable(Decimal(18, 9)))" if "cost" in columns else "CAST(NULL AS Nullable(Decimal(18, 9)))")
    reasoning = ", reasoning_tokens AS h_reasoning" if "reasoning_tokens" in columns else ""
    reasoning_sum = n("h_reasoning") if reasoning else "0"
    return f"""SELECT toString(request_id) AS call_id,
        CAST(request_created_at AS Nullable(DateTime64(6, 'UTC'))) AS ts,
        if(lower(h_provider) IN ('', 'custom'), {inferred}, lower(h_provider)) AS provider, {model} AS model,
        nullIf(user_id, '') AS tenant,
        toInt64({n('prompt_tokens')} + {n('prompt_cache_read_tokens')} + {n('prompt_cache_write_tokens')}
                + {n('prompt_audio_tokens')}) AS input_tokens,
        toInt64({n('prompt_cache_read_tokens')}) AS cache_read_tokens,
        toInt64({n('prompt_cache_write_tokens')}) AS cache_write_5m_tokens,
        toInt64({n('completion_tokens')} + {n('completion_audio_tokens')} + {reasoning_sum}) AS output_tokens,
        {'toInt64(h_reasoning)' if 'reasoning_tokens' in columns else 'CAST(NULL AS Nullable(Int64))'}
            AS reasoning_tokens,
        if({ok}, 'ok', 'error') AS status,
        {ok} AND NOT {hit} AS billed,
        toFloat64(latency) AS latency_ms,
        {cost} AS logged_cost_usd
        FROM (SELECT *, status AS h_status, provider AS h_provider, model AS h_model{reasoning}
              FROM {table} FINAL)"""
