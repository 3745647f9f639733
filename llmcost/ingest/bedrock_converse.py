"""Amazon Bedrock Converse API responses (`bedrock-runtime` `converse`), one per record, as an
application saves what boto3 returns: `{"output": {"message": …}, "stopReason": …, "usage":
{"inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"},
"metrics": {"latencyMs"}, "ResponseMetadata": {…}}`.

Quirks and rules (AWS Converse API reference, `TokenUsage`):
- `usage.inputTokens` EXCLUDES cache reads and writes (totalTokens = input + output + cache
  reads + cache writes), so input = inputTokens + cacheReadInputTokens + cacheWriteInputTokens.
  Some responses repeat the cache counts as `cacheReadInputTokenCount` /
  `cacheWriteInputTokenCount`: read one name or the other, never both. Cache writes have no
  TTL split: all 5-minute writes.
- The response names NO model (the model id is in the request URL): a `modelId` / `model` field
  a logger added beside the response is used, else the call loads with no model (unpriced) unless
  `--model NAME` names it. Provider: the vendor in the model id, else `bedrock`.
- call_id: `ResponseMetadata.RequestId` (boto3), else a logger's `requestId`; else each record is
  its own call. Time: a logger's `timestamp` / `created_at`, else the `date` HTTP header boto3
  keeps in `ResponseMetadata.HTTPHeaders` (RFC 1123, second precision).
- `metrics.latencyMs` -> latency_ms. ConverseStream `metadata` events carry the same `usage`.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import (
    any_record,
    jfirst,
    jlabel,
    json_record_checks,
    never_null,
    token_fields,
)
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    timestamp_check,
    timestamp_value,
)
from llmcost.ingest.bedrock import model_from_id, vendor_of


def _usage(rec: dict[str, Any]) -> Any:
    meta = rec.get("metadata")
    return rec.get("usage") if "usage" in rec else (meta.get("usage") if isinstance(meta, dict) else None)


def _is_converse(rec: dict[str, Any]) -> bool:
    usage = _usage(rec)
    return (isinstance(usage, dict) and "inputTokens" in usage and "outputTokens" in usage
            and any(k in rec for k in ("output", "stopReason", "metrics", "ResponseMetadata", "metadata")))


class BedrockConverseAdapter:
    name = "bedrock_converse"
    description = "Amazon Bedrock Converse API responses (usage.inputTokens / outputTokens)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        return 65 if any_record(sample.records, _is_converse) else 0

    def project(self, ctx: SourceContext) -> Projection:
        doc = "_json"

        def usage(name: str) -> str:
            return jfirst(doc, f"usage.{name}", f"metadata.usage.{name}")

        raws = {
            "usage.inputTokens": usage("inputTokens"),
            "usage.outputTokens": usage("outputTokens"),
            "usage.cacheReadInputTokens": f"coalesce({usage('cacheReadInputTokens')}, "
                                          f"{usage('cacheReadInputTokenCount')})",
            "usage.cacheWriteInputTokens": f"coalesce({usage('cacheWriteInputTokens')}, "
                                           f"{usage('cacheWriteInputTokenCount')})",
        }
        v, checks = token_fields(raws)
        read = f"coalesce({v['usage.cacheReadInputTokens']}, 0)"
        write = f"coalesce({v['usage.cacheWriteInputTokens']}, 0)"
        model = model_from_id(jfirst(doc, "modelId", "model"))
        logged_time = jfirst(doc, "timestamp", "created_at")
        header_date = jfirst(doc, "ResponseMetadata.HTTPHeaders.date")
        ts = (f"coalesce({timestamp_value(logged_time)}, "
              f"try_strptime({header_date}, '%a, %d %b %Y %H:%M:%S GMT'))")
        checks.append(timestamp_check("timestamp", logged_time))
        cols = {
            "call_id": jlabel(jfirst(doc, "ResponseMetadata.RequestId", "requestId")),
            "ts": ts,
            "model": model,
            "provider": f"coalesce({vendor_of(model)}, {infer_provider(model)}, 'bedrock')",
            "input_tokens": f"({v['usage.inputTokens']} + {read} + {write})",
            "cache_read_tokens": read,
            "cache_write_5m_tokens": write,
            "cache_write_1h_tokens": "0",
            "output_tokens": v["usage.outputTokens"],
            "latency_ms": f"TRY_CAST({jfirst(doc, 'metrics.latencyMs', 'metadata.metrics.latencyMs')} AS DOUBLE)",
        }
        # ConverseStream events other than `metadata` (messageStart, contentBlockDelta…) are parts
        stream_part = never_null(
            f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND {usage('inputTokens')} IS NULL "
            f"AND (json_exists(_json, '$.messageStart') OR json_exists(_json, '$.contentBlockDelta') "
            f"OR json_exists(_json, '$.contentBlockStart') OR json_exists(_json, '$.contentBlockStop') "
            f"OR json_exists(_json, '$.messageStop'))")
        return Projection(
            source=ctx.json_records(),
            columns=cols,
            raw="_raw",
            skip=stream_part,
            reason=first_reason([*json_record_checks(), *checks]),
            model_optional=True,
        )
