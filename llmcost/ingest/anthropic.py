"""Anthropic Messages API responses (`Message` objects), one per record (JSON lines or a JSON
array): `{"id": "msg_…", "type": "message", "role": "assistant", "model": …, "usage": {…}}`,
as a logger saves `message.model_dump_json()`. Bedrock's and Vertex's Claude responses have the
same shape.

Quirks and rules (provider-facts.md B1, C):
- `usage.input_tokens` EXCLUDES cache reads and writes. Canonical input_tokens =
  `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
- `cache_read_input_tokens` -> cache_read_tokens.
- Cache writes: `usage.cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`
  split `cache_creation_input_tokens` by TTL. Without the split (older API versions), or with a
  split of zeros, every write is a 5-minute write (the default TTL). A split that disagrees with
  `cache_creation_input_tokens` is rejected (the record contradicts itself).
- `output_tokens` INCLUDES thinking; `output_tokens_details.thinking_tokens` is kept as
  reasoning_tokens (informational).
- `usage.service_tier` (`standard | priority | batch`) -> service_tier; `usage.inference_geo`
  (or a top-level `inference_geo`) and `usage.speed` (or top-level `speed`) as logged.
- `usage.server_tool_use.web_search_requests` -> web_search_requests (a per-request charge).
- A Message has NO timestamp. A `created_at` or `timestamp` field a logger added beside the
  message fields is used; otherwise ts is NULL, which the loader accepts (a note says so when
  the sampled records carry no time).
- call_id = the message `id`; a repeated id is a duplicate.
- An error body (`{"type": "error", "error": {…}}`) is skipped: not a call, not billed.
- A record whose `type` is something else than `message` is rejected, as are records that are
  not valid JSON and OpenAI response objects (an `object` field) in a mixed file.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import (
    any_record,
    jfirst,
    jlabel,
    json_record_checks,
    jtext,
    never_null,
    no_time_note,
    token_fields,
)
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    tier_value,
    timestamp_check,
    timestamp_value,
)

# fields a logger may add beside a Message to say when the call was made
TIME_KEYS = ("created_at", "timestamp")


STREAM_PARTS = ("message_start", "content_block_start", "content_block_delta", "content_block_stop",
                "message_stop", "ping")


def is_stream_event(rec: Any) -> bool:
    """A Messages streaming event that opens a message (`message_start` with its usage)."""
    return (isinstance(rec, dict) and rec.get("type") == "message_start"
            and is_anthropic_message(rec.get("message")))


def is_anthropic_message(rec: Any) -> bool:
    """A parsed record that has the shape of an Anthropic Message with usage."""
    if not isinstance(rec, dict):
        return False
    usage = rec.get("usage")
    if not isinstance(usage, dict) or "input_tokens" not in usage:
        return False
    if rec.get("type") == "message":
        return True
    return rec.get("type") is None and str(rec.get("id") or "").startswith("msg_")


def anthropic_columns(msg: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Canonical columns and reject checks for one Message object held in JSON `msg`."""
    raws = {
        "usage.input_tokens": jtext(msg, "usage.input_tokens"),
        "usage.cache_read_input_tokens": jtext(msg, "usage.cache_read_input_tokens"),
        "usage.cache_creation_input_tokens": jtext(msg, "usage.cache_creation_input_tokens"),
        "ephemeral_5m_input_tokens": jtext(msg, "usage.cache_creation.ephemeral_5m_input_tokens"),
        "ephemeral_1h_input_tokens": jtext(msg, "usage.cache_creation.ephemeral_1h_input_tokens"),
        "usage.output_tokens": jtext(msg, "usage.output_tokens"),
        "thinking_tokens": jtext(msg, "usage.output_tokens_details.thinking_tokens"),
        "web_search_requests": jtext(msg, "usage.server_tool_use.web_search_requests"),
    }
    v, checks = token_fields(raws)
    e5 = f"coalesce({v['ephemeral_5m_input_tokens']}, 0)"
    e1 = f"coalesce({v['ephemeral_1h_input_tokens']}, 0)"
    total = v["usage.cache_creation_input_tokens"]
    has_split = f"({e5} + {e1} > 0)"
    w5 = f"(CASE WHEN {has_split} THEN {e5} ELSE coalesce({total}, 0) END)"
    w1h = f"(CASE WHEN {has_split} THEN {e1} ELSE 0 END)"
    read = f"coalesce({v['usage.cache_read_input_tokens']}, 0)"
    checks.append((
        f"{has_split} AND {total} IS NOT NULL AND {e5} + {e1} <> {total}",
        f"'cache_creation split (5m ' || {e5} || ' + 1h ' || {e1} || ') does not add up to "
        f"cache_creation_input_tokens (' || {total} || ')'"))
    typ = jtext(msg, "type")
    checks.append((f"{typ} IS NOT NULL AND {typ} NOT IN ('message', 'error', 'message_delta')",
                   f"'not an Anthropic message: type = ' || left({typ}, 40)"))
    obj = jtext(msg, "object")
    checks.append((f"{obj} IS NOT NULL",
                   f"'an OpenAI response object (object = ' || left({obj}, 40) || '), not an "
                   f"Anthropic message (split the file by provider, or read it with --source openai)'"))
    cols = {
        "call_id": jlabel(jtext(msg, "id")),
        "model": jlabel(jtext(msg, "model")),
        "provider": "'anthropic'",
        "input_tokens": f"({v['usage.input_tokens']} + {read} + {w5} + {w1h})",
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1h,
        "output_tokens": v["usage.output_tokens"],
        "reasoning_tokens": v["thinking_tokens"],
        "service_tier": (f"(CASE WHEN {jtext(msg, 'usage.service_tier')} IS NOT NULL "
                         f"THEN {tier_value(jtext(msg, 'usage.service_tier'))} END)"),
        "inference_geo": jlabel(jfirst(msg, "usage.inference_geo", "inference_geo")),
        "speed": jlabel(jfirst(msg, "usage.speed", "speed")),
        "web_search_requests": v["web_search_requests"],
    }
    return cols, checks


def wrapper_time(doc: str) -> tuple[str, tuple[str, str]]:
    """SQL for a call time a logger added beside the API object (`created_at` / `timestamp`),
    and its check."""
    raw = jfirst(doc, *TIME_KEYS)
    return timestamp_value(raw), timestamp_check("time", raw)


class AnthropicAdapter:
    name = "anthropic"
    description = "Anthropic Messages API responses (Message objects with usage), one per line"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        return 60 if any_record(sample.records, lambda r: is_anthropic_message(r)
                                or is_stream_event(r)) else 0

    def project(self, ctx: SourceContext) -> Projection:
        stream = any_record(ctx.sample.records, is_stream_event)
        doc = "_msg" if stream else "_json"
        cols, checks = anthropic_columns(doc)
        ts, ts_check = wrapper_time("_json")
        cols["ts"] = ts
        skip = f"{jtext('_json', 'type')} = 'error'"
        source = ctx.json_records()
        notes = no_time_note(ctx.sample.records, TIME_KEYS, "Anthropic Message objects")
        if stream:
            source, stream_skip, stream_checks = _stream_source(source)
            skip = f"({skip} OR {stream_skip})"
            checks = [*stream_checks, *checks]
            notes = ["a streamed message is one call: message_start gives its input usage, "
                     "message_delta its final output; the other events are skipped parts of it"]
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=never_null(f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND {skip}"),
            reason=first_reason([*json_record_checks(), *checks, ts_check]),
            notes=notes,
            model_optional=True,
        )


def _stream_source(records: str) -> tuple[str, str, list[tuple[str, str]]]:
    """A Messages stream saved as records (SSE `data:` payloads, or one event per line): the
    call is the `message_delta` event, read as the message of the `message_start` before it with
    the delta's usage laid over the start's (the delta's `output_tokens` is the final count;
    newer API versions repeat the input and cache counts there too). A message_start with no
    message_delta after it (a stream cut short) is rejected: its output is unknown. Content
    block events, pings and message_stop are skipped parts of the call."""
    typ = jtext("_json", "type")
    start = f"(CASE WHEN {typ} = 'message_start' THEN json_extract(_json, '$.message') END)"
    merged = ("json_merge_patch(__start, json_object('usage', json_merge_patch("
              "coalesce(json_extract(__start, '$.usage'), '{}'), "
              "coalesce(json_extract(_json, '$.usage'), '{}'))))")
    source = (
        f"(SELECT *, CASE WHEN __type = 'message_delta' AND __start IS NOT NULL THEN {merged} "
        f"WHEN __type = 'message_start' THEN __start ELSE _json END AS _msg, "
        f"bool_or(__type = 'message_delta') OVER (PARTITION BY __start_pos) AS __delivered FROM ("
        f"SELECT *, {typ} AS __type, "
        f"last_value({start} IGNORE NULLS) OVER (ORDER BY _pos ROWS UNBOUNDED PRECEDING) AS __start, "
        f"last_value(CASE WHEN {typ} = 'message_start' THEN _pos END IGNORE NULLS) "
        f"OVER (ORDER BY _pos ROWS UNBOUNDED PRECEDING) AS __start_pos "
        f"FROM {records}))")
    parts = ", ".join(f"'{p}'" for p in STREAM_PARTS)
    skip = (f"(__type IN ({parts}) AND NOT (__type = 'message_start' AND NOT "
            f"coalesce(__delivered, false)))")
    checks = [("__type = 'message_start'",
               "'a streamed message that ended before message_delta: its output tokens are unknown'"),
              ("__type = 'message_delta' AND __start IS NULL",
               "'a message_delta with no message_start before it: its model and input are unknown'")]
    return source, skip, checks
