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
    checks.append((f"{typ} IS NOT NULL AND {typ} NOT IN ('message', 'error')",
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
        return 60 if any_record(sample.records, is_anthropic_message) else 0

    def project(self, ctx: SourceContext) -> Projection:
        cols, checks = anthropic_columns("_json")
        ts, ts_check = wrapper_time("_json")
        cols["ts"] = ts
        skip = never_null(f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND "
                          f"{jtext('_json', 'type')} = 'error'")
        return Projection(
            source=ctx.json_records(),
            columns=cols,
            raw="_raw",
            skip=skip,
            reason=first_reason([*json_record_checks(), *checks, ts_check]),
            notes=no_time_note(ctx.sample.records, TIME_KEYS, "Anthropic Message objects"),
        )
