"""Serving traces with prompt-block hashes, like Mooncake's published traces
(kvcache-ai/Mooncake `FAST25-release/traces/*.jsonl`): one JSON object per line,
`{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, …]}`.

Quirks and rules:
- The trace names no model: `--model NAME` is required (the load stops with a usage error
  saying so otherwise). Provider is inferred from that name.
- `timestamp` is milliseconds since the start of the trace. Call time = `--start` +
  timestamp ms; without `--start` the trace starts at 2026-01-01T00:00:00Z (`DEFAULT_START`), a
  fixed date so re-ingesting gives the same times and the price periods in effect then apply.
  A timestamp that is already absolute (epoch milliseconds, 1e11 and up, or ISO-8601 text) is
  read as such and `--start` is not applied to it.
- `input_length` -> input_tokens, `output_length` -> output_tokens; no cache tokens are logged
  (the trace is the raw workload: cache savings come from replaying `prefix_blocks`).
- `hash_ids` -> prefix_blocks (UBIGINT[]) with block_tokens = 512: each id is the hash of a
  512-token block AND every block before it, so equal ids mean an equal prefix up to that block.
  A `hash_ids` that is not a list of non-negative whole numbers rejects the record.
- Records carry no id: each line is its own call (identical lines stay distinct requests, and
  re-ingesting the same file adds nothing).
- The Azure LLM inference traces (`TIMESTAMP, ContextTokens, GeneratedTokens`) are CSV with
  absolute times and no hashes: they load through the generic adapter with `--model`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from llmcost.errors import UsageError
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    int_check,
    int_value,
    json_path,
    sql_str,
    timestamp_check,
    timestamp_value,
)

DEFAULT_START = datetime(2026, 1, 1)  # naive UTC
BLOCK_TOKENS = 512


def _text(path: str) -> str:
    return f"json_extract_string(_json, {json_path(path)})"


class ServingTraceAdapter:
    name = "serving_trace"
    description = ("serving traces with 512-token block hashes (Mooncake: timestamp, "
                   "input_length, output_length, hash_ids); needs --model")

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        for rec in sample.records:
            if "input_length" in rec and "output_length" in rec:
                return 70 if "hash_ids" in rec else 60
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        model = ctx.options.model
        if not model:
            raise UsageError(
                f"{ctx.path} is a serving trace: it names no model.",
                "Pass the model to price it as, e.g. --model gpt-4o-mini (and --start TIME for "
                "the trace's first request; default 2026-01-01T00:00:00Z).",
            )
        start = ctx.options.start or DEFAULT_START
        if start.tzinfo is not None:
            start = start.astimezone(UTC).replace(tzinfo=None)
        start_sql = f"TIMESTAMP {sql_str(start.isoformat(sep=' '))}"
        raw_ts = _text("timestamp")
        num = f"TRY_CAST({raw_ts} AS DOUBLE)"
        ts = (f"(CASE WHEN {num} IS NOT NULL AND abs({num}) < 1e11 "
              f"THEN {start_sql} + to_microseconds(CAST(round({num} * 1000) AS BIGINT)) "
              f"ELSE {timestamp_value(raw_ts)} END)")
        hashes_json = "json_extract(_json, '$.hash_ids')"
        blocks = f"TRY_CAST({hashes_json} AS UBIGINT[])"
        has_hashes = f"coalesce(json_type({hashes_json}), 'NULL') <> 'NULL'"
        checks: list[tuple[str, str]] = [
            ("_json IS NULL", "'not valid JSON'"),
            ("json_type(_json) <> 'OBJECT'", "'not a JSON object'"),
            int_check("input_length", _text("input_length")),
            int_check("output_length", _text("output_length")),
            # relative times (ms since the trace's start) are read above; only absolute ones
            # go through the time checks
            (f"NOT coalesce(abs({num}) < 1e11, false) AND ({timestamp_check('timestamp', raw_ts)[0]})",
             timestamp_check("timestamp", raw_ts)[1]),
            (f"{has_hashes} AND ({blocks} IS NULL OR list_count({blocks}) <> len({blocks}))",
             "'hash_ids is not a list of block hashes'"),
        ]
        cols = {
            "ts": ts,
            "model": sql_str(model),
            "provider": infer_provider(sql_str(model)),
            "input_tokens": int_value(_text("input_length")),
            "output_tokens": int_value(_text("output_length")),
            "cache_read_tokens": "0",
            "cache_write_5m_tokens": "0",
            "cache_write_1h_tokens": "0",
            "prefix_blocks": f"(CASE WHEN {has_hashes} THEN {blocks} END)",
            "block_tokens": f"(CASE WHEN {has_hashes} THEN {BLOCK_TOKENS} END)",
        }
        notes = [f"model set to {model} (--model): the trace names none"]
        if ctx.options.start is None:
            notes.append("relative times start at 2026-01-01T00:00:00Z (default; pass --start "
                         "to set the first request's time)")
        else:
            notes.append(f"relative times start at {start.isoformat()}Z (--start)")
        return Projection(
            source=ctx.json_records(),
            columns=cols,
            raw="_raw",
            reason=first_reason(checks),
            notes=notes,
        )
