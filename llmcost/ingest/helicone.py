"""Helicone request exports (`HeliconeRequest` rows, e.g. from `npx @helicone/export` or the
request API), as CSV or JSON (lines or an array).

Quirks and rules:
- `request_id` -> call_id, `request_created_at` -> ts, `model` (else `response_model`, else
  `request_model`) -> model, `provider` (`OPENAI`, `ANTHROPIC`…, lower-cased; `CUSTOM` or empty
  -> inferred from the model) -> provider, `request_user_id` (the `Helicone-User-Id` header) ->
  tenant, `delay_ms` -> latency_ms, `costUSD` -> logged_cost_usd (the plain `cost` field is not
  read: its unit has changed between Helicone versions).
- `response_status`: 2xx -> ok, anything else (4xx, 5xx, Helicone's 0/-1 for timeouts and
  pending rows) -> error, not billed.
- Token convention, an assumption stated on every file: Helicone stores `prompt_tokens` WITHOUT
  the cache tokens, which it keeps in `prompt_cache_read_tokens` / `prompt_cache_write_tokens`.
  Its cost code (`packages/cost`, `costOfPrompt`) prices `prompt_tokens` as "the fresh, uncached
  tokens" and adds the cache columns at their own rates, and its OpenAI usage processor stores
  `prompt_tokens - cached_tokens - audio_tokens`. So input = prompt_tokens +
  prompt_cache_read_tokens + prompt_cache_write_tokens + prompt_audio_tokens, and output =
  completion_tokens + completion_audio_tokens (audio priced as text: the canonical schema has no
  audio column). Exports of rows logged before Helicone's usage processors may follow the
  provider's own convention instead: `--input-includes-cache` then reads `prompt_tokens` as the
  whole prompt.
- Cache writes carry no TTL here: all are taken as 5-minute writes.
- Helicone's usage processors also keep reasoning tokens out of `completion_tokens` and the
  export has no reasoning column, so reasoning models' output is undercounted by what the export
  omits; compare with `costUSD` in the reconciliation.
- A Helicone response-cache hit (`cache_reference_id` set and not the all-zero UUID) was answered
  by Helicone, not the provider: loaded, not billed.
- `request_properties` (custom properties) are not mapped.
"""

from __future__ import annotations

from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    int_check,
    int_value,
    status_value,
    timestamp_check,
    timestamp_value,
)
from llmcost.ingest.records import RecordFields

DEFAULT_UUID = "00000000-0000-0000-0000-000000000000"
TOKEN_FIELDS = ("prompt_tokens", "completion_tokens", "prompt_cache_read_tokens",
                "prompt_cache_write_tokens", "prompt_audio_tokens", "completion_audio_tokens")


class HeliconeAdapter:
    name = "helicone"
    description = "Helicone request exports (HeliconeRequest rows, CSV or JSON)"

    def sniff(self, sample: FileSample) -> int:
        if not sample.has_any("request_id") or not sample.has_any("request_created_at"):
            return 0
        if sample.has_any("prompt_tokens", "completion_tokens", "response_status",
                          "request_user_id", "costUSD", "prompt_cache_read_tokens"):
            return 75
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        f = RecordFields(ctx)
        t = f.text
        v = {name: int_value(t(name)) for name in TOKEN_FIELDS}
        checks = f.record_checks()
        for name in TOKEN_FIELDS:
            checks.append(int_check(name, t(name)))
        checks.append(timestamp_check("request_created_at", t("request_created_at")))

        read = f"coalesce({v['prompt_cache_read_tokens']}, 0)"
        write = f"coalesce({v['prompt_cache_write_tokens']}, 0)"
        audio_in = f"coalesce({v['prompt_audio_tokens']}, 0)"
        audio_out = f"coalesce({v['completion_audio_tokens']}, 0)"
        includes = ctx.options.input_excludes_cache is False
        if includes:
            input_sql = v["prompt_tokens"]
            note = ("prompt_tokens taken to INCLUDE cache tokens (--input-includes-cache)")
        else:
            input_sql = f"({v['prompt_tokens']} + {read} + {write} + {audio_in})"
            note = ("prompt_tokens taken to EXCLUDE cache tokens (Helicone stores them apart in "
                    "prompt_cache_read_tokens / prompt_cache_write_tokens); pass "
                    "--input-includes-cache for exports that follow the provider's convention")
        model = f"coalesce({t('model')}, {t('response_model')}, {t('request_model')})"
        provider = f"lower({t('provider')})"
        cache_ref = t("cache_reference_id")
        cols = {
            "call_id": t("request_id"),
            "ts": timestamp_value(t("request_created_at")),
            "model": model,
            "provider": (f"(CASE WHEN {provider} IS NULL OR {provider} = 'custom' "
                         f"THEN {infer_provider(model)} ELSE {provider} END)"),
            "tenant": t("request_user_id"),
            "input_tokens": input_sql,
            "cache_read_tokens": read,
            "cache_write_5m_tokens": write,
            "cache_write_1h_tokens": "0",
            "output_tokens": f"({v['completion_tokens']} + {audio_out})",
            "status": status_value(t("response_status")),
            "billed": (f"(CASE WHEN {cache_ref} IS NOT NULL AND {cache_ref} <> '{DEFAULT_UUID}' "
                       f"THEN false END)"),
            "latency_ms": f"TRY_CAST({t('delay_ms')} AS DOUBLE)",
            "logged_cost_usd": f"TRY_CAST({t('costUSD')} AS DECIMAL(18,9))",
        }
        return Projection(
            source=f.source,
            columns=cols,
            raw=f.raw,
            reason=first_reason(checks),
            line_offset=f.line_offset,
            notes=[note],
        )
