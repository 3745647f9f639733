"""Langfuse observation exports: the public API's `ObservationsView` objects (e.g.
`GET /api/public/observations`, its `data` array saved as JSON lines or a JSON array).

Quirks and rules:
- Only `type: "GENERATION"` (and `"EMBEDDING"`, Langfuse's newer type for embedding calls, whose
  output count defaults to 0) are model calls. SPAN, EVENT, AGENT, TOOL, CHAIN, RETRIEVER and
  other observation types are SKIPPED.
- `id` -> call_id, `traceId` -> conversation_id, `startTime` -> ts (`endTime` - `startTime` ->
  latency_ms), `model` -> model (provider inferred from it), `name` (the generation's name in the
  application) -> task_type, `level: "ERROR"` -> status error (not billed),
  `costDetails.total` (else the deprecated `calculatedTotalCost`) -> logged_cost_usd.
- `usageDetails` is a free-form map of usage types. Langfuse's own rule (docs "Token & cost
  tracking") is that every key containing `input` is input and every key containing `output` is
  output, and that `total`, when not ingested, is the sum of all keys. Its integrations split the
  details OUT of the base keys: the OpenAI integration reports `input` = prompt_tokens minus
  `input_cached_tokens` (and the other `prompt_tokens_details`), the Anthropic one `input` =
  Anthropic's `input_tokens`, which already excludes `cache_read_input_tokens` and
  `cache_creation_input_tokens`. So, assumed and stated: input = the sum of all `input*` keys,
  output = the sum of all `output*` keys. One exception is detected per record: when an ingested
  `total` equals `input + output` while detail keys are present, the detail keys were subsets
  (a client that sent provider usage unchanged), and `input` / `output` are taken as the totals.
  `--input-excludes-cache` / `--input-includes-cache` force one reading for the whole file.
- Cache reads = keys with `input` and `cache_read` or `cached` (`cache_read_input_tokens`,
  `input_cached_tokens`, `input_cache_read`); cache writes = keys with `input` and
  `cache_creation` or `cache_write`, 1-hour writes when the key also says `1h`; reasoning = keys
  with `output` and `reasoning` (`output_reasoning_tokens`).
- Without `usageDetails`, the deprecated `usage.input` / `usage.output` (or `promptTokens` /
  `completionTokens`) are read as plain totals.
- Prompt text: the generation's `input` (what the application logged as the model's input: a
  list of chat messages, a request body or plain text) -> its last user message, for
  `simulate --similar-cache` (`llmcost.ingest.prompt_text`).
"""

from __future__ import annotations

from llmcost.ingest import prompt_text
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    int_check,
    json_path,
    timestamp_check,
    timestamp_value,
)

CALL_TYPES = ("GENERATION", "EMBEDDING")


def _text(path: str, doc: str = "_json") -> str:
    return f"json_extract_string({doc}, {json_path(path)})"


def _int(path: str, doc: str = "_json") -> str:
    return f"TRY_CAST({_text(path, doc)} AS BIGINT)"


def _key_sum(cond: str) -> str:
    """SQL: the sum of the whole-number values in `_lf_ud` whose key `k` meets `cond`."""
    value = ("TRY_CAST(json_extract_string(_lf_ud, '$.\"' || replace(k, '\"', '\\\"') || '\"') "
             "AS BIGINT)")
    return f"list_sum([{value} FOR k IN json_keys(_lf_ud) IF {cond}])"


class LangfuseAdapter:
    name = "langfuse"
    description = "Langfuse observation exports (ObservationsView: GENERATION observations)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        for rec in sample.records:
            if "traceId" in rec and "type" in rec and (
                    "usageDetails" in rec or "startTime" in rec or "costDetails" in rec):
                return 80
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        ud = "json_extract(_json, '$.usageDetails')"
        has_ud = f"(json_type({ud}) = 'OBJECT' AND len(json_keys({ud})) > 0)"
        lowered = "lower(k)"
        inner = (f"(SELECT *, (CASE WHEN _json IS NOT NULL AND json_type(_json) = 'OBJECT' "
                 f"AND {has_ud} THEN {ud} END) AS _lf_ud FROM {ctx.json_records()})")
        helpers = {
            "_lf_in_all": _key_sum(f"contains({lowered}, 'input')"),
            "_lf_out_all": _key_sum(f"contains({lowered}, 'output')"),
            "_lf_in": _int("input", "_lf_ud"),
            "_lf_out": _int("output", "_lf_ud"),
            "_lf_total": _int("total", "_lf_ud"),
            "_lf_read": _key_sum(f"contains({lowered}, 'input') AND (contains({lowered}, "
                                 f"'cache_read') OR contains({lowered}, 'cached'))"),
            "_lf_write": _key_sum(f"contains({lowered}, 'input') AND (contains({lowered}, "
                                  f"'cache_creation') OR contains({lowered}, 'cache_write'))"),
            "_lf_write_1h": _key_sum(f"contains({lowered}, 'input') AND (contains({lowered}, "
                                     f"'cache_creation') OR contains({lowered}, 'cache_write')) "
                                     f"AND contains({lowered}, '1h')"),
            "_lf_reasoning": _key_sum(f"contains({lowered}, 'output') AND "
                                      f"contains({lowered}, 'reasoning')"),
        }
        source = (f"(SELECT *, {', '.join(f'{e} AS {n}' for n, e in helpers.items())} "
                  f"FROM {inner})")

        forced = ctx.options.input_excludes_cache
        if forced is None:
            inclusive = ("(_lf_total IS NOT NULL AND _lf_in IS NOT NULL AND _lf_out IS NOT NULL "
                         "AND _lf_total = _lf_in + _lf_out "
                         "AND coalesce(_lf_in_all, 0) + coalesce(_lf_out_all, 0) > _lf_total)")
            note = ("usageDetails: `input`/`output` taken to EXCLUDE their detail keys "
                    "(cache, reasoning: Langfuse's integrations split them out), unless a record's "
                    "`total` equals input + output; --input-includes-cache / "
                    "--input-excludes-cache forces one reading")
        else:
            inclusive = "false" if forced else "true"
            note = ("usageDetails: `input`/`output` taken to "
                    + ("EXCLUDE their detail keys (--input-excludes-cache)" if forced
                       else "INCLUDE their detail keys (--input-includes-cache)"))
        kind = _text("type")
        is_embedding = f"coalesce({kind} = 'EMBEDDING', false)"
        input_sql = (f"(CASE WHEN _lf_ud IS NULL THEN coalesce({_int('usage.input')}, "
                     f"{_int('promptTokens')}) WHEN {inclusive} THEN _lf_in ELSE _lf_in_all END)")
        output_sql = (f"(CASE WHEN _lf_ud IS NULL THEN coalesce({_int('usage.output')}, "
                      f"{_int('completionTokens')}) WHEN {inclusive} THEN _lf_out "
                      f"ELSE _lf_out_all END)")
        output_sql = f"(CASE WHEN {is_embedding} THEN coalesce({output_sql}, 0) ELSE {output_sql} END)"

        checks: list[tuple[str, str]] = [
            ("_json IS NULL", "'not valid JSON'"),
            ("json_type(_json) <> 'OBJECT'", "'not a JSON object'"),
            int_check("usageDetails.input", _text("usageDetails.input")),
            int_check("usageDetails.output", _text("usageDetails.output")),
            timestamp_check("startTime", _text("startTime")),
        ]
        model = f"NULLIF(trim({_text('model')}), '')"
        start, end = timestamp_value(_text("startTime")), timestamp_value(_text("endTime"))
        types = ", ".join(f"'{t}'" for t in CALL_TYPES)
        skip = (f"coalesce(_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND "
                f"coalesce({kind}, '') NOT IN ({types}), false)")
        cols = {
            "call_id": f"NULLIF(trim({_text('id')}), '')",
            "ts": start,
            "model": model,
            "provider": infer_provider(model),
            "task_type": f"NULLIF(trim({_text('name')}), '')",
            "conversation_id": f"NULLIF(trim({_text('traceId')}), '')",
            "input_tokens": input_sql,
            "cache_read_tokens": "coalesce(_lf_read, 0)",
            "cache_write_5m_tokens": "(coalesce(_lf_write, 0) - coalesce(_lf_write_1h, 0))",
            "cache_write_1h_tokens": "coalesce(_lf_write_1h, 0)",
            "output_tokens": output_sql,
            "reasoning_tokens": "_lf_reasoning",
            "status": f"(CASE WHEN upper({_text('level')}) = 'ERROR' THEN 'error' ELSE 'ok' END)",
            "latency_ms": f"CAST(epoch_ms({end}) - epoch_ms({start}) AS DOUBLE)",
            "logged_cost_usd": (f"TRY_CAST(coalesce({_text('costDetails.total')}, "
                                f"{_text('calculatedTotalCost')}) AS DECIMAL(18,9))"),
        }
        if any("input" in rec for rec in ctx.sample.records):
            source = prompt_text.wrap_source(source, "json_extract(_json, '$.input')")
            cols.update(prompt_text.COLUMNS)
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=skip,
            reason=first_reason(checks),
            notes=[note],
        )
