"""Claude Code transcripts: `~/.claude/projects/<project>/<sessionId>.jsonl` (also
`~/.config/claude/projects/`, and nested `<project>/<sessionId>/subagents/agent-*.jsonl`). Pass
the `projects` folder: directories are read recursively.

One JSON object per line; only some lines are API calls:
- A call is a line with `type: "assistant"` and a `message.usage` object. User prompts, tool
  results, `summary`, `system`, `file-history-snapshot` and any other lines are SKIPPED (counted,
  not loaded).
- `message.model == "<synthetic>"` lines are SKIPPED: Claude Code writes them itself (local
  notices, API error placeholders); no API call was made, and their usage is all zeros.
- `isApiErrorMessage: true` lines that do carry a real model and usage are loaded with status
  `error` (not billed); those without usage are skipped like any non-call line.
- Usage is Anthropic's: `input_tokens` EXCLUDES cache reads and writes, so
  input = input_tokens + cache_read_input_tokens + cache_creation_input_tokens.
  `cache_creation.ephemeral_1h_input_tokens` are 1-hour writes; the rest of the cache creation
  (`ephemeral_5m_input_tokens`, or the whole count when there is no split) 5-minute writes.
- Streaming writes one API response on several lines (one per content block) with growing
  usage, and sidechain replays (`isSidechain: true`, e.g. `/btw` side questions under
  `subagents/`) repeat a parent message with the same `message.id` but ANOTHER `requestId`
  (ccusage issue #913). The call id is therefore `message.id` alone: every copy of a message is
  one call. Within a file the copy with the largest total usage is kept (the others count as
  duplicates; their differing usage is expected, not a conflict). Across files the copy read
  first is kept and later ones count as duplicates (a replay carries the parent's usage, so the
  totals are the same whichever copy is kept). ccusage keys on `message.id` + `requestId` and
  then drops sidechain replays by message id; keying on the message id alone does both at once
  and also works across files, which the loader's per-file ordering cannot.
- `costUSD` (older Claude Code versions) -> logged_cost_usd; `usage.speed` (`fast`) -> speed;
  `usage.service_tier` -> service_tier; `usage.inference_geo` -> inference_geo;
  `usage.server_tool_use.web_search_requests` -> web_search_requests.
- Other backends behind Anthropic-compatible endpoints (GLM, DeepSeek, Kimi, MiniMax, Qwen):
  their first copy of a message carries an estimated input and 0 output, later copies the real
  counts. The copy kept is the one with the most output tokens, then the largest input (for
  Anthropic's own streamed copies, whose input is the same on every copy, this is the last one).
  The provider comes from the model name (`glm-5` is Zhipu), `anthropic` when it names none.
- Recognised by any of Claude Code's record types (`user`, `assistant`, `summary`, `system`,
  `queue-operation`, `permission-mode`, `attachment`, `file-history-snapshot`, `progress`, …)
  carrying its session fields, so a session whose first lines are not messages, or whose first
  prompt is a 300 KB pasted screenshot, is still recognised (the sample grows until it decides).
- `sessionId` -> conversation_id; the project folder name (Claude Code's encoding of the working
  directory, e.g. `-home-ana-src-shop`) -> feature.
- A line that is not valid JSON (e.g. a half-written last line) is rejected with its line number.
"""

from __future__ import annotations

from pathlib import Path

from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    int_check,
    int_value,
    json_path,
    tier_value,
    timestamp_check,
    timestamp_value,
)

_LINE_TYPES = {"user", "assistant", "system", "summary"}
# every record type Claude Code writes (any of them, with its session fields, says "transcript")
_RECORD_TYPES = _LINE_TYPES | {"queue-operation", "permission-mode", "attachment",
                               "file-history-snapshot", "progress", "custom-title", "agent-name",
                               "last-prompt", "tag", "mode"}
# fields only Claude Code's records carry
_SESSION_KEYS = ("sessionId", "leafUuid", "parentUuid", "isSidechain", "isSnapshotUpdate",
                 "permissionMode", "userType")


def project_name(path: Path) -> str | None:
    """The Claude Code project folder a transcript sits in: the folder right under `projects/`
    (within three levels), else the file's folder (`subagents/` files: two folders higher)."""
    for ancestor in list(path.parents)[:3]:
        if ancestor.parent.name == "projects":
            return ancestor.name
    if path.parent.name == "subagents" and len(path.parents) > 2:
        return path.parents[2].name
    return path.parent.name or None


def _field(path: str) -> str:
    return f"json_extract_string(_json, {json_path(path)})"


class ClaudeCodeAdapter:
    name = "claude_code"
    description = "Claude Code transcripts (~/.claude/projects/<project>/<session>.jsonl)"
    batch_files = True  # hundreds of small session files: read many in one statement

    def sniff(self, sample: FileSample) -> int:
        if sample.kind not in ("jsonl", "json"):
            return 0
        for rec in sample.records:
            kind = rec.get("type")
            if kind in _LINE_TYPES and "sessionId" in rec and ("message" in rec or "uuid" in rec):
                return 90
            if kind in _RECORD_TYPES and any(k in rec for k in _SESSION_KEYS):
                return 90
            if kind == "file-history-snapshot" and "snapshot" in rec:
                return 90
        return 0

    def project(self, ctx: SourceContext) -> Projection:
        u = "message.usage"
        usage = {k: _field(f"{u}.{k}") for k in (
            "input_tokens", "output_tokens", "cache_read_input_tokens",
            "cache_creation_input_tokens")}
        e5 = _field(f"{u}.cache_creation.ephemeral_5m_input_tokens")
        e1h = _field(f"{u}.cache_creation.ephemeral_1h_input_tokens")
        web = _field(f"{u}.server_tool_use.web_search_requests")
        checks: list[tuple[str, str]] = [
            ("_json IS NULL", "'not valid JSON'"),
            ("json_type(_json) <> 'OBJECT'", "'not a JSON object'"),
        ]
        for name, raw in [*usage.items(), ("ephemeral_5m_input_tokens", e5),
                          ("ephemeral_1h_input_tokens", e1h)]:
            checks.append(int_check(name, raw))
        checks.append(timestamp_check("timestamp", _field("timestamp")))

        read = f"coalesce({int_value(usage['cache_read_input_tokens'])}, 0)"
        w1h = f"coalesce({int_value(e1h)}, 0)"
        w_all = (f"coalesce({int_value(usage['cache_creation_input_tokens'])}, "
                 f"coalesce({int_value(e5)}, 0) + {w1h})")
        w5 = f"({w_all} - {w1h})"
        model = f"NULLIF(trim({_field('message.model')}), '')"
        is_call = (f"coalesce({_field('type')} = 'assistant' AND "
                   f"json_type(json_extract(_json, {json_path(u)})) = 'OBJECT', false)")
        synthetic = f"coalesce({model} = '<synthetic>', false)"
        skip = (f"(_json IS NOT NULL AND json_type(_json) = 'OBJECT' "
                f"AND (NOT {is_call} OR {synthetic}))")
        error = f"coalesce(lower({_field('isApiErrorMessage')}) = 'true', false)"
        cols = {
            "call_id": f"NULLIF(trim({_field('message.id')}), '')",
            "ts": timestamp_value(_field("timestamp")),
            # Claude models (nearly every line) skip the name rules
            "provider": (f"(CASE WHEN {model} IS NULL OR starts_with({model}, 'claude') THEN 'anthropic' "
                         f"ELSE coalesce({infer_provider(model)}, 'anthropic') END)"),
            "model": model,
            "feature": ctx.per_file("feature", project_name),
            "conversation_id": f"NULLIF(trim({_field('sessionId')}), '')",
            "input_tokens": f"({int_value(usage['input_tokens'])} + {read} + {w_all})",
            "cache_read_tokens": read,
            "cache_write_5m_tokens": w5,
            "cache_write_1h_tokens": w1h,
            "output_tokens": int_value(usage["output_tokens"]),
            "service_tier": (f"(CASE WHEN {_field(u + '.service_tier')} IS NOT NULL "
                             f"THEN {tier_value(_field(u + '.service_tier'))} END)"),
            "speed": f"NULLIF(lower(trim({_field(u + '.speed')})), '')",
            "inference_geo": f"NULLIF(lower(trim({_field(u + '.inference_geo')})), '')",
            "status": f"(CASE WHEN {error} THEN 'error' ELSE 'ok' END)",
            "web_search_requests": int_value(web),
            "logged_cost_usd": f"TRY_CAST({_field('costUSD')} AS DECIMAL(18,9))",
        }
        return Projection(
            source=ctx.json_records(),
            columns=cols,
            raw="_raw",
            skip=skip,
            reason=first_reason(checks),
            keep_order="output_tokens DESC NULLS LAST, input_tokens DESC NULLS LAST",
            variants_expected=True,
        )
