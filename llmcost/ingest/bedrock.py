"""AWS Bedrock model-invocation logs (`schemaType: "ModelInvocationLog"`), as delivered to S3 or
CloudWatch Logs: one JSON object per line (or a JSON array), `.gz` read as is.

Quirks and rules:
- `requestId` -> call_id, `timestamp` -> ts, `identity`, `accountId`, `operation` are not mapped.
- `modelId` may be a plain model id (`anthropic.claude-3-5-haiku-20241022-v1:0`), a cross-region
  inference-profile id (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) or an ARN:
  `arn:aws:bedrock:<region>:<account>:inference-profile/<id>` and
  `arn:aws:bedrock:<region>::foundation-model/<id>` map back to `<id>`. The geography prefix
  (`us.`, `eu.`, `apac.`, `global.`, …) is KEPT in `model`: cross-region profiles are priced
  differently (about 10 % above the in-region price for Claude). Application inference profiles,
  provisioned and custom models name no model in their ARN: the ARN is kept as the model, which
  then shows up as unpriced.
- Provider = the model vendor named in the id after any geography prefix (`anthropic`, `meta`,
  `amazon`, `mistral`, `cohere`, `ai21`, `deepseek`, …), not "bedrock": the price book's Bedrock
  rows are found through the model id itself.
- `region` has no canonical column; it is not stored (the pricing-relevant part, the
  cross-region prefix, stays in the model name). No `inference_geo` is set.
- Tokens: as with Anthropic, `input.inputTokenCount` EXCLUDES cache tokens, so input =
  inputTokenCount + cacheReadInputTokenCount + cacheWriteInputTokenCount;
  `output.outputTokenCount` -> output. Cache writes have no TTL split: all are 5-minute writes.
  Embedding models log no output count: 0.
- `errorCode` present -> status error (not billed); missing token counts then read as 0.
- Converse `requestMetadata` keys `feature`, `tenant` and `task_type`, when an application sets
  them, fill those columns; `output.outputBodyJson.metrics.latencyMs` -> latency_ms.
- Batch inference output (`.jsonl.out`) is another format: not read here.
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
    json_path,
    timestamp_check,
    timestamp_value,
)

GEO_PREFIX = r"^(us|eu|apac|global|us-gov|jp|au|ca|apne|apse)\."


def _text(path: str) -> str:
    return f"json_extract_string(_json, {json_path(path)})"


def model_from_id(model_id: str) -> str:
    """SQL: the model id from a logged `modelId` (inference-profile / foundation-model ARNs)."""
    m = f"NULLIF(trim({model_id}), '')"
    return (f"(CASE WHEN regexp_matches({m}, '^arn:aws[a-z-]*:bedrock:.*:(inference-profile|"
            f"foundation-model)/[^/]+$') THEN regexp_extract({m}, '/([^/]+)$', 1) ELSE {m} END)")


def vendor_of(model: str) -> str:
    """SQL: the vendor part of a Bedrock model id (`us.meta.llama3…` -> `meta`)."""
    base = f"regexp_replace({model}, '{GEO_PREFIX}', '')"
    return (f"(CASE WHEN NOT starts_with({model}, 'arn:') AND contains({base}, '.') "
            f"THEN lower(split_part({base}, '.', 1)) END)")


class BedrockAdapter:
    name = "bedrock"
    description = "AWS Bedrock model-invocation logs (schemaType ModelInvocationLog)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        for rec in sample.records:
            if rec.get("schemaType") == "ModelInvocationLog":
                return 90
            inp = rec.get("input")
            if "modelId" in rec and isinstance(inp, dict) and "inputTokenCount" in inp:
                return 70
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        fields = {
            "inputTokenCount": _text("input.inputTokenCount"),
            "cacheReadInputTokenCount": _text("input.cacheReadInputTokenCount"),
            "cacheWriteInputTokenCount": _text("input.cacheWriteInputTokenCount"),
            "outputTokenCount": _text("output.outputTokenCount"),
        }
        checks: list[tuple[str, str]] = [
            ("_json IS NULL", "'not valid JSON'"),
            ("json_type(_json) <> 'OBJECT'", "'not a JSON object'"),
        ]
        checks += [int_check(name, raw) for name, raw in fields.items()]
        checks.append(timestamp_check("timestamp", _text("timestamp")))
        error = f"(NULLIF(trim({_text('errorCode')}), '') IS NOT NULL)"
        zero_if_error = f"(CASE WHEN {error} THEN 0 END)"
        v = {name: int_value(raw) for name, raw in fields.items()}
        read = f"coalesce({v['cacheReadInputTokenCount']}, 0)"
        write = f"coalesce({v['cacheWriteInputTokenCount']}, 0)"
        model = model_from_id(_text("modelId"))
        embedding = f"coalesce(contains(lower({model}), 'embed'), false)"
        cols = {
            "call_id": f"NULLIF(trim({_text('requestId')}), '')",
            "ts": timestamp_value(_text("timestamp")),
            "model": model,
            "provider": f"coalesce({vendor_of(model)}, {infer_provider(model)})",
            "task_type": f"NULLIF(trim({_text('requestMetadata.task_type')}), '')",
            "feature": f"NULLIF(trim({_text('requestMetadata.feature')}), '')",
            "tenant": f"NULLIF(trim({_text('requestMetadata.tenant')}), '')",
            "input_tokens": (f"(coalesce({v['inputTokenCount']}, {zero_if_error}) "
                             f"+ {read} + {write})"),
            "cache_read_tokens": read,
            "cache_write_5m_tokens": write,
            "cache_write_1h_tokens": "0",
            "output_tokens": (f"coalesce({v['outputTokenCount']}, {zero_if_error}, "
                              f"(CASE WHEN {embedding} THEN 0 END))"),
            "status": f"(CASE WHEN {error} THEN 'error' ELSE 'ok' END)",
            "latency_ms": f"TRY_CAST({_text('output.outputBodyJson.metrics.latencyMs')} AS DOUBLE)",
        }
        return Projection(
            source=ctx.json_records(),
            columns=cols,
            raw="_raw",
            reason=first_reason(checks),
        )
