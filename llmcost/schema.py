"""The canonical call schema: one definition, from which the store's DDL and the ingest
validation are derived (DESIGN §3).

Token accounting is normalised on the way in, whatever the provider's own convention:
`input_tokens` holds *all* prompt tokens, cache reads and writes included; the cache columns are
subsets of it; `output_tokens` holds all billed output, reasoning included.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    meaning: str
    mappable: bool = True  # may be the target of `--map source_column=NAME`


CALL_COLUMNS: tuple[Column, ...] = (
    Column("call_id", "VARCHAR NOT NULL", "provider request id, else <file hash>:<record number>"),
    Column("ts", "TIMESTAMP", "call time, UTC"),
    Column("provider", "VARCHAR", "provider as logged or inferred from the model name"),
    Column("model", "VARCHAR", "model name as logged"),
    Column("model_id", "VARCHAR", "resolved price-book id (set by pricing)", mappable=False),
    Column("task_type", "VARCHAR", "task type (attribution)"),
    Column("feature", "VARCHAR", "product feature (attribution)"),
    Column("tenant", "VARCHAR", "customer / tenant (attribution)"),
    Column("conversation_id", "VARCHAR", "conversation or session id"),
    Column("input_tokens", "BIGINT", "ALL prompt tokens, cache reads and writes included"),
    Column("cache_read_tokens", "BIGINT", "prompt tokens read from the cache (subset of input)"),
    Column("cache_write_5m_tokens", "BIGINT", "prompt tokens written to a 5-minute cache"),
    Column("cache_write_1h_tokens", "BIGINT", "prompt tokens written to a 1-hour cache"),
    Column("output_tokens", "BIGINT", "all billed output, reasoning included"),
    Column("reasoning_tokens", "BIGINT", "informational subset of output_tokens"),
    Column("service_tier", "VARCHAR", "standard, batch, flex or priority"),
    Column("inference_geo", "VARCHAR", "provider geography multiplier key (e.g. us)"),
    Column("speed", "VARCHAR", "provider speed mode (e.g. fast)"),
    Column("status", "VARCHAR", "ok or error"),
    Column("billed", "BOOLEAN", "false for calls the provider does not charge"),
    Column("latency_ms", "DOUBLE", "latency as logged"),
    Column("prefix_hash", "VARCHAR", "id of the cacheable prompt prefix"),
    Column("prefix_tokens", "BIGINT", "size of the cacheable prompt prefix"),
    Column("prefix_blocks", "UBIGINT[]", "prompt as a chain of block hashes"),
    Column("block_tokens", "INTEGER", "tokens per prefix block (512 in serving traces)"),
    Column("prompt_hash", "VARCHAR", "hash of the full request (response caching)"),
    Column("quality", "DOUBLE", "task-level quality score of the answer"),
    Column("web_search_requests", "BIGINT", "server-side web searches (non-token charge)"),
    Column("logged_cost_usd", "DECIMAL(18,9)", "the cost the source recorded"),
    Column("source_file", "VARCHAR NOT NULL", "absolute path of the file", mappable=False),
    Column("source_hash", "VARCHAR NOT NULL", "content hash of the file", mappable=False),
    Column("source_line", "BIGINT", "record number in the file (1-based)", mappable=False),
    # added in schema 3, at the end so that stores migrated with ALTER TABLE keep one column order
    Column("prompt_text", "VARCHAR", "the request's last user message, normalised, first 2,000 "
           "characters (near-duplicate matching; llmcost.ingest.prompt_text)"),
    Column("prompt_context", "VARCHAR", "hash of the system prompt and earlier turns before that "
           "message", mappable=False),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in CALL_COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in CALL_COLUMNS}

TOKEN_COLUMNS: tuple[str, ...] = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)

# Extra targets accepted by `--map` that adapters expand into canonical columns.
MAP_PSEUDO_FIELDS: dict[str, str] = {
    "cache_write_tokens": "prompt tokens written to the cache (priced as 5-minute writes)",
    "uncached_input_tokens": "prompt tokens EXCLUDING cache tokens (Anthropic convention)",
}

SERVICE_TIERS: tuple[str, ...] = ("standard", "batch", "flex", "priority")


def mappable_fields() -> dict[str, str]:
    """Every name a `--map column=FIELD` may target, with its meaning."""
    fields = {c.name: c.meaning for c in CALL_COLUMNS if c.mappable}
    fields.update(MAP_PSEUDO_FIELDS)
    return fields


def calls_ddl(table: str = "calls") -> str:
    cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in CALL_COLUMNS)
    return f"CREATE TABLE {table} (\n  {cols}\n)"
