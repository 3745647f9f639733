"""OpenAI Batch API OUTPUT files (`BatchRequestOutput`, one per line):
`{"id": "batch_req_…", "custom_id": …, "response": {"status_code": 200, "request_id": …,
"body": {…chat.completion / response / embeddings list…}}, "error": null}`.

Quirks and rules (provider-facts.md B4, B2):
- Nothing in a line says "batch": the file's shape does. Every successful line is a call at
  service_tier `batch`, whatever its body's own `service_tier` says (bodies often say `default`).
- A line with an `error` object, or with a `response.status_code` outside 200–299, is SKIPPED:
  not a call (failed batch requests are not billed), counted as skipped.
- The body is mapped exactly as the `openai` adapter maps a response object (prompt counts
  INCLUDE cached tokens; completion counts INCLUDE reasoning; `cache_write_tokens` -> 5-minute
  writes; time from the body's `created` / `created_at`).
- call_id = the body's `id` (`chatcmpl-…`, `resp_…`), else the line's `batch_req_…` id, so a
  call also logged live is not counted twice. `custom_id` is not a call attribute and is unused.
- Output order is not guaranteed; nothing here depends on it.
- A batch INPUT file (`method`, `url`, `body` request lines) holds no usage and is not read.
- A line with neither a response body nor an error is rejected, as are lines that are not JSON.
"""

from __future__ import annotations

from typing import Any

from llmcost.ingest._jsonsql import (
    any_record,
    get,
    jlabel,
    jset,
    json_record_checks,
    jtext,
    never_null,
)
from llmcost.ingest.base import FileSample, Projection, SourceContext, first_reason
from llmcost.ingest.openai import openai_columns


def _is_batch_output_line(rec: dict[str, Any]) -> bool:
    if "custom_id" not in rec:
        return False
    response = rec.get("response")
    if isinstance(response, dict) and ("body" in response or "status_code" in response):
        return True
    return str(rec.get("id") or "").startswith("batch_req") and "error" in rec


class OpenAIBatchAdapter:
    name = "openai_batch"
    description = "OpenAI Batch API output files (batch_req lines; all calls at the batch tier)"

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        if not any_record(sample.records, _is_batch_output_line):
            return 0
        # Anthropic batch results carry `custom_id` too, but never a `response`.
        if any_record(sample.records, lambda r: get(r, "result.type") is not None):
            return 0
        return 70

    def project(self, ctx: SourceContext) -> Projection:
        source = (f"(SELECT *, json_extract(_json, '$.response.body') AS _body "
                  f"FROM {ctx.json_records()})")
        cols, checks = openai_columns("_body")
        cols["call_id"] = f"coalesce({cols['call_id']}, {jlabel(jtext('_json', 'id'))})"
        cols["service_tier"] = "'batch'"
        code = f"TRY_CAST({jtext('_json', 'response.status_code')} AS INTEGER)"
        failed = (f"{jset('_json', 'error')} OR "
                  f"({jtext('_json', 'response.status_code')} IS NOT NULL "
                  f"AND coalesce({code} NOT BETWEEN 200 AND 299, true))")
        skip = never_null(f"_json IS NOT NULL AND json_type(_json) = 'OBJECT' AND ({failed})")
        checks = [*json_record_checks(),
                  ("coalesce(json_type(_body), 'NULL') = 'NULL'",
                   "'batch line has neither a response body nor an error'"),
                  ("json_type(_body) <> 'OBJECT'", "'batch response body is not a JSON object'"),
                  *checks]
        return Projection(
            source=source,
            columns=cols,
            raw="_raw",
            skip=skip,
            reason=first_reason(checks),
            notes=["every call in an OpenAI Batch output file is priced at the batch tier"],
        )
