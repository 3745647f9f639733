"""LiteLLM proxy spend logs: exports of the `LiteLLM_SpendLogs` table (one row per request), as
CSV or as JSON (lines or an array, e.g. the `/spend/logs` API).

Quirks and rules:
- Columns (schema.prisma): `request_id` -> call_id, `startTime` -> ts (`endTime` - `startTime`
  -> latency_ms), `model` -> model (the deployment's model; `model_group`, the alias the caller
  asked for, when `model` is empty), `custom_llm_provider` -> provider (else inferred from the
  model), `spend` -> logged_cost_usd, `session_id` -> conversation_id, `status`
  (`success`/`failure`) -> status.
- Tenant: `end_user` (the customer id the application passes as the OpenAI `user` parameter),
  else `team_id` (the LiteLLM team owning the key), else `user` (the LiteLLM internal user).
- Tokens are OpenAI-style whatever the provider: `prompt_tokens` INCLUDES cache reads and cache
  writes (LiteLLM folds Anthropic's `cache_read_input_tokens` and `cache_creation_input_tokens`
  into it), `completion_tokens` includes reasoning.
- The table has no cache columns: the split comes from `metadata` (JSON; text in a CSV cell),
  its `usage_object`: cache reads = `cache_read_input_tokens`, else
  `prompt_tokens_details.cached_tokens`; cache writes = `cache_creation_input_tokens`, else
  `prompt_tokens_details.cache_creation_tokens`, of which
  `prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens` (or
  `cache_creation.ephemeral_1h_input_tokens`) are 1-hour writes; reasoning =
  `completion_tokens_details.reasoning_tokens`. Rows without a usage object (older LiteLLM
  versions) have no cache split: every prompt token is then priced as uncached input.
- `cache_hit` true (LiteLLM's own response cache answered) -> not billed.
- A `metadata` cell that is not valid JSON rejects that row only, with its line.
- Prompt text: the `messages` column (the request's chat messages, JSON; LiteLLM writes `{}` or
  a redaction marker when message logging is off, which gives none) -> its last user message,
  for `simulate --similar-cache` (`llmcost.ingest.prompt_text`).
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
    int_value,
    status_value,
    timestamp_check,
    timestamp_value,
)
from llmcost.ingest.records import RecordFields, json_int


class LiteLLMAdapter:
    name = "litellm"
    description = "LiteLLM proxy spend logs (LiteLLM_SpendLogs export, CSV or JSON)"

    def sniff(self, sample: FileSample) -> int:
        if not sample.has_any("request_id") or not sample.has_any("spend"):
            return 0
        if sample.has_any("call_type", "model_group", "custom_llm_provider", "api_key",
                          "startTime"):
            return 75
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        f = RecordFields(ctx)
        t = f.text
        meta = f.json("metadata")
        uo = f"json_extract({meta}, '$.usage_object')"
        read = (f"coalesce({json_int(uo, 'cache_read_input_tokens')}, "
                f"{json_int(uo, 'prompt_tokens_details.cached_tokens')}, 0)")
        write = (f"coalesce({json_int(uo, 'cache_creation_input_tokens')}, "
                 f"{json_int(uo, 'prompt_tokens_details.cache_creation_tokens')}, 0)")
        w1h = (f"least({write}, coalesce("
               f"{json_int(uo, 'prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens')}, "
               f"{json_int(uo, 'cache_creation.ephemeral_1h_input_tokens')}, 0))")
        reasoning = json_int(uo, "completion_tokens_details.reasoning_tokens")

        checks = f.record_checks()
        for name in ("prompt_tokens", "completion_tokens"):
            checks.append(int_check(name, t(name)))
        checks.append(timestamp_check("startTime", t("startTime")))
        checks.append(f.json_check("metadata"))

        model = f"coalesce({t('model')}, {t('model_group')})"
        start, end = timestamp_value(t("startTime")), timestamp_value(t("endTime"))
        cache_hit = f"lower({t('cache_hit')})"
        cols = {
            "call_id": t("request_id"),
            "ts": start,
            "model": model,
            "provider": f"coalesce(lower({t('custom_llm_provider')}), {infer_provider(model)})",
            "tenant": f"coalesce({t('end_user')}, {t('team_id')}, {t('user')})",
            "conversation_id": t("session_id"),
            "input_tokens": int_value(t("prompt_tokens")),
            "cache_read_tokens": read,
            "cache_write_5m_tokens": f"({write} - {w1h})",
            "cache_write_1h_tokens": w1h,
            "output_tokens": int_value(t("completion_tokens")),
            "reasoning_tokens": reasoning,
            "status": status_value(f"coalesce({t('status')}, json_extract_string({meta}, '$.status'))"),
            "billed": f"(CASE WHEN {cache_hit} IN ('true', '1', 't') THEN false END)",
            "latency_ms": f"CAST(epoch_ms({end}) - epoch_ms({start}) AS DOUBLE)",
            "logged_cost_usd": f"TRY_CAST({t('spend')} AS DECIMAL(18,9))",
        }
        source = f.source
        if ctx.sample.has_any("messages"):
            source = prompt_text.wrap_source(source, f.json("messages"))
            cols.update(prompt_text.COLUMNS)
        return Projection(
            source=source,
            columns=cols,
            raw=f.raw,
            reason=first_reason(checks),
            line_offset=f.line_offset,
            notes=["prompt_tokens taken to INCLUDE cache tokens (LiteLLM reports every provider "
                   "OpenAI-style); the cache split is read from metadata.usage_object"],
        )
