"""OpenAI API response objects, one per record (JSON lines or a JSON array): Chat Completions
(`"object": "chat.completion"`), Responses API (`"object": "response"`) and legacy completions
(`"object": "text_completion"`), as a logger saves `response.model_dump_json()`.

Quirks and rules (provider-facts.md B2, C):
- Chat: `usage.prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens`, so it is the
  canonical input as it stands; `cached_tokens` -> cache_read_tokens. `completion_tokens`
  INCLUDES `completion_tokens_details.reasoning_tokens` (and rejected-prediction tokens), all
  billed as output; reasoning_tokens is kept as the informational subset.
- LiteLLM's `ModelResponse` dumps have this shape for every provider; for Anthropic-backed
  models their `usage` also carries `cache_read_input_tokens` / `cache_creation_input_tokens`,
  read as the cache reads / (5-minute) writes when the OpenAI-style details are absent, within
  `prompt_tokens` (LiteLLM reports prompt tokens OpenAI-style, cache included).
- Responses: `usage.input_tokens` (includes `input_tokens_details.cached_tokens`),
  `output_tokens` (includes `output_tokens_details.reasoning_tokens`).
- gpt-5.6 and later report `cache_write_tokens` in `prompt_tokens_details` /
  `input_tokens_details`: a part of the prompt distinct from the cached (read) tokens, billed at
  a write price; it becomes cache_write_5m_tokens (OpenAI has no TTL split).
- Time: `created` (chat, epoch seconds) or `created_at` (Responses, epoch seconds; ISO text from
  a logger is read too).
- `service_tier` is taken from the RESPONSE, which names the tier actually used: `default` ->
  standard, `flex`, `priority` / `scale` -> priority, `batch`; absent -> standard.
- call_id = the response `id` (`chatcmpl-…`, `resp_…`); a repeated id is a duplicate.
- Provider `openai`, unless the model name plainly belongs to another provider (OpenAI-compatible
  gateways such as OpenRouter, Together or DeepSeek return this same shape). A host that served
  and billed the call is the provider: Groq (an `x_groq` object), OpenRouter (a `gen-` id with a
  `provider` field), Together / Fireworks (their model-id prefixes).
- Streams: Chat Completions chunks (`chat.completion.chunk`, usage in the last one with
  `stream_options.include_usage`, or Groq's `x_groq.usage`) and Responses API events
  (`response.completed` / `.incomplete` / `.failed` carry the response and its usage) are one
  call per stream; the other chunks and events are skipped parts of it. A stream that never
  carries usage is rejected once, saying why.
- A response without a `model` still loads (unpriced, or as `--model NAME`).
- Responses `status`: `failed` / `cancelled` -> an errored call (not billed; missing usage read
  as 0); `incomplete` is a normal, billed call (output cut at the limit). `queued` /
  `in_progress` snapshots (background mode) are skipped: the finished object is the call.
- A bare error body (`{"error": {...}}` with no object or model) is skipped: not a call.
- Web searches: Responses `output[]` items of type `web_search_call` -> web_search_requests.
- Attribution: `metadata.feature`, `metadata.task_type`, `metadata.tenant` when the caller set
  them; Responses `conversation.id` -> conversation_id.
- Embeddings list objects (`"object": "list"`, seen in batch output) have no output: 0.
- Records that are not valid JSON, or JSON but not an object, are rejected with their line; so
  are Anthropic messages (`type: message`) in a mixed file, whose usage means something else.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import (
    any_record,
    get,
    jfirst,
    jlabel,
    jset,
    json_record_checks,
    jtext,
    never_null,
    token_fields,
)
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    sql_str,
    tier_value,
    timestamp_check,
    timestamp_value,
)

OBJECT_TYPES = ("chat.completion", "response", "text_completion", "list", "chat.completion.chunk")
# Responses API stream events that end a response (their `response` carries the usage)
RESPONSE_END_EVENTS = ("response.completed", "response.incomplete", "response.failed")


def is_stream_record(rec: dict[str, Any]) -> bool:
    """A Chat Completions stream chunk, or a Responses API stream event."""
    if rec.get("object") == "chat.completion.chunk":
        return True
    kind = rec.get("type")
    return isinstance(kind, str) and kind.startswith("response.") and (
        isinstance(rec.get("response"), dict) or "sequence_number" in rec)


def _is_openai_object(rec: dict[str, Any]) -> bool:
    if is_stream_record(rec):
        return True
    usage = rec.get("usage")
    if not isinstance(usage, dict):
        return False
    has_counts = "prompt_tokens" in usage or "input_tokens" in usage
    obj = rec.get("object")
    if obj in ("chat.completion", "response", "text_completion"):
        return has_counts
    rid = str(rec.get("id") or "")
    return obj is None and has_counts and rid.startswith(("chatcmpl-", "resp_", "cmpl-"))


def sniff_openai_records(records: list[dict[str, Any]]) -> int:
    """Score for records that are OpenAI response objects (shared with the batch adapter)."""
    if not any_record(records, _is_openai_object):
        return 0
    # DeepSeek's own usage names: leave the file to a DeepSeek adapter if one is registered.
    if any_record(records, lambda r: get(r, "usage.prompt_cache_hit_tokens") is not None):
        return 40
    return 60


def openai_columns(doc: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Canonical columns and reject checks for one OpenAI response object held in JSON `doc`."""
    raws = {
        # Groq puts a stream's usage under `x_groq.usage` in the last chunk
        "usage.prompt_tokens": jfirst(doc, "usage.prompt_tokens", "usage.input_tokens",
                                      "x_groq.usage.prompt_tokens"),
        # LiteLLM's responses for Anthropic-backed models also carry Anthropic's names in `usage`
        "usage.cached_tokens": jfirst(doc, "usage.prompt_tokens_details.cached_tokens",
                                      "usage.input_tokens_details.cached_tokens",
                                      "usage.cache_read_input_tokens"),
        "usage.cache_write_tokens": jfirst(doc, "usage.prompt_tokens_details.cache_write_tokens",
                                           "usage.input_tokens_details.cache_write_tokens",
                                           "usage.cache_creation_input_tokens"),
        "usage.completion_tokens": jfirst(doc, "usage.completion_tokens", "usage.output_tokens",
                                          "x_groq.usage.completion_tokens"),
        "usage.reasoning_tokens": jfirst(
            doc, "usage.completion_tokens_details.reasoning_tokens",
            "usage.output_tokens_details.reasoning_tokens"),
    }
    v, checks = token_fields(raws)
    obj = jtext(doc, "object")
    status = f"lower({jtext(doc, 'status')})"
    failed = f"coalesce({status} IN ('failed', 'cancelled'), false)"
    created = jfirst(doc, "created", "created_at")
    checks.append(timestamp_check("created", created))
    checks.append((
        f"{obj} IS NOT NULL AND {obj} NOT IN ({', '.join(sql_str(o) for o in OBJECT_TYPES)})",
        f"'not an OpenAI response object: object = ' || left({obj}, 40)"))
    # another provider's record in the same file would be misread (Anthropic's input_tokens
    # exclude cache tokens): rejected, saying so
    checks.append((
        f"{obj} IS NULL AND {jtext(doc, 'type')} = 'message'",
        "'an Anthropic message, not an OpenAI response object (split the file by provider, or "
        "read it with --source anthropic)'"))
    model = jlabel(jtext(doc, "model"))
    prompt = v["usage.prompt_tokens"]
    completion = v["usage.completion_tokens"]
    cols = {
        "call_id": jlabel(jtext(doc, "id")),
        "ts": timestamp_value(created),
        "model": model,
        "provider": (f"(CASE WHEN {jset(doc, 'x_groq')} THEN 'groq' "
                     f"WHEN starts_with({jtext(doc, 'id')}, 'gen-') AND {jtext(doc, 'provider')} IS NOT NULL "
                     f"THEN 'openrouter' ELSE coalesce({infer_provider(model)}, 'openai') END)"),
        "input_tokens": f"(CASE WHEN {failed} THEN coalesce({prompt}, 0) ELSE {prompt} END)",
        "cache_read_tokens": f"coalesce({v['usage.cached_tokens']}, 0)",
        "cache_write_5m_tokens": f"coalesce({v['usage.cache_write_tokens']}, 0)",
        "cache_write_1h_tokens": "0",
        "output_tokens": (
            f"(CASE WHEN {failed} OR ({obj} = 'list' AND {jset(doc, 'usage')}) "
            f"THEN coalesce({completion}, 0) ELSE {completion} END)"),
        "reasoning_tokens": v["usage.reasoning_tokens"],
        "service_tier": (f"(CASE WHEN {jtext(doc, 'service_tier')} IS NOT NULL "
                         f"THEN {tier_value(jtext(doc, 'service_tier'))} END)"),
        "status": f"(CASE WHEN {failed} THEN 'error' ELSE 'ok' END)",
        "web_search_requests": (
            f"(CASE WHEN {obj} = 'response' THEN len(list_filter("
            f"json_extract_string({doc}, '$.output[*].type'), "
            f"lambda t: t = 'web_search_call')) END)"),
        "conversation_id": jlabel(jtext(doc, "conversation.id")),
        "feature": jlabel(jtext(doc, "metadata.feature")),
        "task_type": jlabel(jtext(doc, "metadata.task_type")),
        "tenant": jlabel(jtext(doc, "metadata.tenant")),
    }
    return cols, checks


class OpenAIAdapter:
    name = "openai"
    description = "OpenAI chat.completion / Responses API objects, one per line (or a JSON array)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        return sniff_openai_records(sample.records)

    def project(self, ctx: SourceContext) -> Projection:
        stream = any_record(ctx.sample.records, is_stream_record)
        doc = "_body" if stream else "_json"
        cols, checks = openai_columns(doc)
        status = f"lower({jtext(doc, 'status')})"
        error_body = (f"{jset('_json', 'error')} AND {jtext('_json', 'object')} IS NULL "
                      f"AND {jtext('_json', 'model')} IS NULL")
        skip = f"({status} IN ('queued', 'in_progress') OR ({error_body}))"
        source = ctx.json_records()
        notes: list[str] = []
        if stream:
            source, stream_skip, stream_checks = _stream_source(source)
            skip = f"({skip} OR {stream_skip})"
            checks = stream_checks + checks
            notes.append("a streamed response is one call: its chunks (or events) without usage "
                         "are counted as skipped parts of it")
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=never_null(f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND {skip}"),
            reason=first_reason(json_record_checks() + checks),
            notes=notes,
            model_optional=True,
        )


def _stream_source(records: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Streams saved as records (SSE `data:` payloads, or chunks one per line): a source whose
    `_body` is the object that carries a call's usage, the condition skipping the other parts
    of a stream, and the checks rejecting a stream that ended without usage.

    - Chat Completions: chunks (`chat.completion.chunk`) share the response `id`; only the last
      carries `usage` (with `stream_options.include_usage`; Groq: `x_groq.usage`). Chunks
      without usage are parts of the call; a stream none of whose chunks has usage is rejected
      once (its last chunk), saying so.
    - Responses API: events (`type: response.*`); `response.completed` / `.incomplete` /
      `.failed` carry the final `response` with usage; every other event is a part. A response
      whose stream has no final event is rejected once (its first event)."""
    typ = jtext("_json", "type")
    ended = f"{typ} IN ({', '.join(sql_str(e) for e in RESPONSE_END_EVENTS)})"
    is_event = f"coalesce(starts_with({typ}, 'response.'), false)"
    is_chunk = f"coalesce({jtext('_json', 'object')} = 'chat.completion.chunk', false)"
    usage = f"({jset('_json', 'usage')} OR {jset('_json', 'x_groq.usage')})"
    stream_id = (f"(CASE WHEN {is_chunk} THEN {jtext('_json', 'id')} "
                 f"WHEN {is_event} THEN {jtext('_json', 'response.id')} END)")
    body = f"(CASE WHEN {is_event} THEN json_extract(_json, '$.response') ELSE _json END)"
    source = (
        f"(SELECT *, bool_or(__carries) OVER (PARTITION BY __sid) AS __sid_done, "
        f"row_number() OVER (PARTITION BY __sid ORDER BY (CASE WHEN __chunk THEN -_pos ELSE _pos END)) "
        f"= 1 AS __sid_one FROM ("
        f"SELECT *, {body} AS _body, {stream_id} AS __sid, coalesce({is_chunk}, false) AS __chunk, "
        f"coalesce({is_event}, false) AS __event, "
        f"coalesce(({is_chunk} AND {usage}) OR ({is_event} AND {ended}), false) AS __carries "
        f"FROM {records}))")
    part = "(__chunk OR __event) AND NOT __carries"
    # a part of a stream that carries its usage elsewhere, or any event without a response id
    skip = f"(({part}) AND (__sid_done OR NOT __sid_one OR (__event AND __sid IS NULL)))"
    checks = [(f"({part}) AND __chunk",
               "'a streamed response none of whose chunks carries usage (the request did not set "
               "stream_options.include_usage): its tokens are unknown'"),
              (f"({part}) AND __event",
               "'a Responses stream that ended before response.completed: its usage is unknown'")]
    return source, skip, checks
