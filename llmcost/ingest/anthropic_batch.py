"""Anthropic Message Batches results (`MessageBatchIndividualResponse`, one per line, the
`.jsonl` from the batch's `results_url`):
`{"custom_id": …, "result": {"type": "succeeded", "message": {…Message…}}}`.

Quirks and rules (provider-facts.md B4, B1):
- `result.type`: `succeeded` -> a call at service_tier `batch` (whatever the message's own
  `usage.service_tier` says); `errored`, `canceled`, `expired` -> SKIPPED: not calls, not billed.
  Any other type is rejected.
- The message is mapped exactly as the `anthropic` adapter maps a Message: `input_tokens`
  EXCLUDES the cache, so input = input_tokens + cache_read_input_tokens +
  cache_creation_input_tokens; the `cache_creation` split gives 5-minute and 1-hour writes
  (absent split = all 5-minute); thinking is inside output_tokens.
- Results carry no time: ts comes from a `created_at` / `timestamp` field a logger added to the
  line, else it is NULL (accepted by the loader; a note says so).
- call_id = the message `id`. `custom_id` is not a call attribute and is unused.
- Lines that are not valid JSON, or `succeeded` lines without a message, are rejected.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import any_record, json_record_checks, never_null, no_time_note
from llmcost.ingest.anthropic import TIME_KEYS, anthropic_columns, wrapper_time
from llmcost.ingest.base import FileSample, Projection, SourceContext, first_reason

SKIPPED_RESULTS = ("errored", "canceled", "expired")


def _is_result_line(rec: dict[str, Any]) -> bool:
    result = rec.get("result")
    return "custom_id" in rec and isinstance(result, dict) and "type" in result


class AnthropicBatchAdapter:
    name = "anthropic_batch"
    description = "Anthropic Message Batches results (succeeded results at the batch tier)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        return 70 if any_record(sample.records, _is_result_line) else 0

    def project(self, ctx: SourceContext) -> Projection:
        source = (f"(SELECT *, json_extract(_json, '$.result.message') AS _msg, "
                  f"lower(json_extract_string(_json, '$.result.type')) AS _rtype "
                  f"FROM {ctx.json_records()})")
        cols, checks = anthropic_columns("_msg")
        ts, ts_check = wrapper_time("_json")
        cols["ts"] = ts
        cols["service_tier"] = "'batch'"
        skipped = ", ".join(f"'{t}'" for t in SKIPPED_RESULTS)
        skip = never_null(f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' "
                          f"AND _rtype IN ({skipped})")
        reasons = [
            *json_record_checks(),
            ("_rtype IS NULL", "'no result.type'"),
            ("_rtype <> 'succeeded'", "'unknown result type: ' || left(_rtype, 40)"),
            ("coalesce(json_type(_msg), 'NULL') <> 'OBJECT'", "'succeeded result has no message'"),
            *checks,
            ts_check,
        ]
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=skip,
            reason=first_reason(reasons),
            notes=["every call in an Anthropic Message Batches result file is priced at the "
                   "batch tier",
                   *no_time_note(ctx.sample.records, TIME_KEYS, "Anthropic batch results")],
        )
