"""Gemini API and Vertex AI `generateContent` responses (`GenerateContentResponse`), one per
record (JSON lines or a JSON array): REST camelCase (`usageMetadata.promptTokenCount`,
`modelVersion`, `responseId`, `createTime`) or the Python SDK's snake_case dump
(`usage_metadata.prompt_token_count`, `model_version`, `response_id`, `create_time`).

Quirks and rules (provider-facts.md B3, C):
- `promptTokenCount` INCLUDES `cachedContentTokenCount` (-> cache_read_tokens), so it is the
  canonical input as it stands.
- `toolUsePromptTokenCount` (tool results fed back to the model) is OUTSIDE the prompt count and
  billed as input: input_tokens = promptTokenCount + toolUsePromptTokenCount.
- `candidatesTokenCount` EXCLUDES `thoughtsTokenCount`; thinking is billed as output:
  output_tokens = candidatesTokenCount + thoughtsTokenCount; reasoning_tokens = thoughts.
- Zero counts are omitted from the JSON (proto3): a missing candidates/thoughts/cached/tool-use
  count is 0 when `usageMetadata` is present. A record without `usageMetadata` is rejected.
- model = `modelVersion` (e.g. `gemini-2.5-flash`); provider `google`.
- Time: `createTime` (Vertex, RFC 3339 with nanoseconds, read to the microsecond); the Gemini
  API sends none, so a `created_at` / `timestamp` field a logger added is used, else ts is NULL.
- call_id = `responseId`. The chunks of one streamed response share it and carry growing usage:
  the copy with the largest usage is kept, the others count as duplicates (expected, not
  conflicting).
- Streams (a `streamGenerateContent` array, an `alt=sse` dump, or chunks one per line): often
  only the last chunk carries `usageMetadata`. Chunks without it are skipped as parts of their
  call when another chunk of the call has it. A call is the chunks sharing a `responseId`; with
  no `responseId` (older responses), the chunks up to and including the one that finishes
  (a candidate with `finishReason`, or no candidates at all). A call none of whose chunks has
  `usageMetadata` is rejected once (its last chunk), saying so.
- A response without `modelVersion` (older API versions) is still a call: it loads with no
  model, unpriced, unless `--model NAME` names it.
- Vertex `trafficType` (`ON_DEMAND`, `PROVISIONED_THROUGHPUT`) is ignored: every call is read at
  the standard tier (Provisioned Throughput is paid by subscription, which llmcost does not
  model). Explicit-cache storage charges are not in the response and are not counted.
- Google Search grounding: `candidates[0].groundingMetadata.webSearchQueries` ->
  web_search_requests, priced by the book as a per-request charge: Gemini 3 models bill each
  query, earlier models each grounded prompt (1 per response that searched).
- Records that are not valid JSON are rejected with their line.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import (
    any_record,
    jfirst,
    jlabel,
    jset,
    json_record_checks,
    no_time_note,
    token_fields,
)
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    sql_str,
    timestamp_check,
    timestamp_value,
)

# (camelCase REST name, snake_case Python SDK name) of each usage count.
_USAGE = {
    "promptTokenCount": "prompt_token_count",
    "cachedContentTokenCount": "cached_content_token_count",
    "candidatesTokenCount": "candidates_token_count",
    "thoughtsTokenCount": "thoughts_token_count",
    "toolUsePromptTokenCount": "tool_use_prompt_token_count",
}

# Vertex's time, the SDK's name for it, and fields a logger may add (the Gemini API sends none)
TIME_KEYS = ("createTime", "create_time", "created_at", "timestamp")


def _is_gemini_response(rec: dict[str, Any]) -> bool:
    for meta_key, count_key in (("usageMetadata", "promptTokenCount"),
                                ("usage_metadata", "prompt_token_count")):
        meta = rec.get(meta_key)
        if isinstance(meta, dict) and count_key in meta:
            return True
    return False


def _is_gemini_chunk(rec: dict[str, Any]) -> bool:
    cands = rec.get("candidates")
    return (isinstance(cands, list) and bool(cands) and isinstance(cands[0], dict)
            and isinstance(cands[0].get("content"), dict) and "parts" in cands[0]["content"])


def _grounding_charges(doc: str) -> str:
    """SQL: the billable Google Search grounding units of a response: Gemini 3 models bill each
    search query (`groundingMetadata.webSearchQueries`), earlier models each grounded prompt
    (1 when the response ran any query). NULL when the response was not grounded."""
    queries = " + ".join(
        f"coalesce(json_array_length(json_extract({doc}, '$.candidates[0].{meta}.{key}')), 0)"
        for meta, key in (("groundingMetadata", "webSearchQueries"),
                          ("grounding_metadata", "web_search_queries")))
    model = f"lower(coalesce({jfirst(doc, 'modelVersion', 'model_version', 'model')}, ''))"
    return (f"(CASE WHEN ({queries}) = 0 THEN NULL WHEN regexp_matches({model}, '^(models/)?gemini-[3-9]') "
            f"THEN ({queries}) ELSE 1 END)")


class GeminiAdapter:
    name = "gemini"
    description = "Gemini API / Vertex AI generateContent responses (usageMetadata), one per line"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        if any_record(sample.records, _is_gemini_response):
            return 60
        # stream chunks before the one with usage: candidates with content parts
        return 55 if any_record(sample.records, _is_gemini_chunk) else 0

    def project(self, ctx: SourceContext) -> Projection:
        doc = "_json"
        raws = {camel: jfirst(doc, f"usageMetadata.{camel}", f"usage_metadata.{snake}")
                for camel, snake in _USAGE.items()}
        v, checks = token_fields(raws)
        has_usage = f"({jset(doc, 'usageMetadata')} OR {jset(doc, 'usage_metadata')})"

        def count(name: str) -> str:
            return f"coalesce({v[name]}, 0)"

        created = jfirst(doc, *TIME_KEYS)
        finish = (f"len(list_filter(coalesce(json_extract_string({doc}, '$.candidates[*].finishReason'), []) || "
                  f"coalesce(json_extract_string({doc}, '$.candidates[*].finish_reason'), []), "
                  f"lambda x: x IS NOT NULL)) > 0")
        finished = (f"coalesce({finish} OR NOT ({jset(doc, 'candidates')}), true)")
        rid = jlabel(jfirst(doc, "responseId", "response_id"))
        source = (
            f"(SELECT *, bool_or(__usage) OVER (PARTITION BY __call) AS __call_usage, "
            f"row_number() OVER (PARTITION BY __call ORDER BY _pos DESC) = 1 AS __call_last FROM ("
            f"SELECT *, coalesce(__rid, {sql_str(ctx.content_hash[:16] + ':g')} || coalesce(sum(CASE WHEN "
            f"__rid IS NULL AND __finished THEN 1 ELSE 0 END) OVER (ORDER BY _pos ROWS BETWEEN "
            f"UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS __call FROM ("
            f"SELECT *, {rid} AS __rid, {finished} AS __finished, coalesce({has_usage}, false) AS __usage "
            f"FROM {ctx.json_records()})))")
        cols = {
            "call_id": "__call",
            "ts": timestamp_value(created),
            "model": jlabel(jfirst(doc, "modelVersion", "model_version", "model")),
            "provider": "'google'",
            "input_tokens": f"({v['promptTokenCount']} + {count('toolUsePromptTokenCount')})",
            "cache_read_tokens": count("cachedContentTokenCount"),
            "output_tokens": (f"(CASE WHEN {has_usage} THEN {count('candidatesTokenCount')} + "
                              f"{count('thoughtsTokenCount')} END)"),
            "reasoning_tokens": v["thoughtsTokenCount"],
            "web_search_requests": _grounding_charges(doc),
        }
        checks.append(timestamp_check("createTime", created))
        no_usage = ("'no usageMetadata in this response (nor in any chunk of its stream): "
                    "its tokens are unknown'")
        reasons = [*json_record_checks(), ("NOT __usage", no_usage), *checks]
        skip = ("(_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND NOT __usage "
                "AND (__call_usage OR NOT __call_last))")
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=skip,
            model_optional=True,
            reason=first_reason(reasons),
            keep_order="output_tokens DESC NULLS LAST, input_tokens DESC NULLS LAST",
            variants_expected=True,
            notes=no_time_note(ctx.sample.records, TIME_KEYS, "These Gemini responses"),
        )

