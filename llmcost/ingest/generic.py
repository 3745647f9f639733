"""Generic call logs: any CSV, JSON-lines / JSON-array or Parquet file with one call per record and
columns whose names say what they hold.

Quirks and rules:
- Columns are matched by name through `ALIASES` (case and punctuation ignored), e.g. the
  hand-rolled tracker `timestamp, model, task_type, input_tokens, output_tokens, cost,
  latency_ms`; the `llm_calls` table `ts, feature, customer_id, model, input_tokens,
  output_tokens, cost_usd`; OpenAI usage names `prompt_tokens, completion_tokens, cached_tokens`;
  Anthropic usage names `input_tokens, cache_creation_input_tokens, cache_read_input_tokens`;
  DeepSeek `prompt_cache_hit_tokens`; the Azure serving trace `ContextTokens, GeneratedTokens`
  (needs `--model`). `--map column=field` overrides or adds a match (JSON: `a.b` reaches nested
  keys).
- Input-token convention: Anthropic's `input_tokens` EXCLUDES cache reads and writes, every other
  provider's prompt count includes them. A file with Anthropic's cache column names
  (`cache_creation_input_tokens` / `cache_read_input_tokens`) follows Anthropic; one with other
  cache columns follows OpenAI (stated as an assumption); `--input-excludes-cache` /
  `--input-includes-cache` flips it; `--map x=uncached_input_tokens` says it per column.
  Neutral names (`input_tokens` with `cache_read_tokens` / `cache_write_tokens`, which say
  neither) are decided by the data: when reading the input as including the cache would reject
  rows for "cache tokens exceed input tokens" (and reading it as excluding rejects none, as it
  never can), the file follows the excluding convention, and a note says so.
- Cache writes without a TTL split are 5-minute writes (Anthropic's default TTL).
- Times: ISO-8601 with or without offset (none = UTC), epoch seconds or milliseconds.
- Provider: a provider column, else inferred from the model name.
- Status: a status column (`ok`, `success`, `200` → ok, anything else → error); errored calls are
  kept, counted and not billed (`billed` false) unless a `billed` column says otherwise.
- Ids: a request-id column becomes `call_id` (repeats are duplicates); without one each record
  is its own call.
- Prompt text (for `simulate --similar-cache`): a `prompt`, `messages`, `question`, `query`,
  `user_message` or `request_body` column, holding plain text, a list of chat messages or a
  request body (a CSV cell may hold them as JSON text); what is kept from it is the last user
  message, normalised and cut (`llmcost.ingest.prompt_text`).
- A JSON record that is not valid JSON is rejected, with its line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from llmcost.errors import NotACallLogError, UsageError
from llmcost.ingest import prompt_text
from llmcost.ingest.base import (
    FileSample,
    Projection,
    SourceContext,
    first_reason,
    infer_provider,
    int_check,
    int_value,
    json_path,
    normalize_name,
    sql_ident,
    sql_str,
    status_value,
    tier_value,
    timestamp_check,
    timestamp_value,
    user_column,
)
from llmcost.schema import mappable_fields

# canonical field -> column names that mean it (normalised: lower case, `_` for punctuation).
ALIASES: dict[str, tuple[str, ...]] = {
    "ts": ("ts", "timestamp", "time", "created", "created_at", "createdat", "date", "datetime",
           "start_time", "starttime", "request_time", "request_created_at", "event_time",
           "request_timestamp", "called_at"),
    "model": ("model", "model_name", "modelname", "llm_model", "engine", "model_version",
              "response_model", "request_model", "deployment"),
    "provider": ("provider", "vendor", "api_provider", "llm_provider", "custom_llm_provider"),
    "task_type": ("task_type", "task", "tasktype", "task_name", "use_case", "usecase"),
    "feature": ("feature", "feature_name", "product_feature", "app", "application", "component"),
    "tenant": ("tenant", "tenant_id", "customer", "customer_id", "org_id", "organization",
               "organization_id", "account_id", "workspace_id", "team_id", "client_id"),
    "conversation_id": ("conversation_id", "conversation", "session_id", "session", "thread_id",
                        "trace_id"),
    "call_id": ("call_id", "request_id", "requestid", "response_id", "message_id", "id"),
    "input_tokens": ("input_tokens", "prompt_tokens", "tokens_in", "input_token_count",
                     "prompt_token_count", "prompttokencount", "contexttokens", "context_tokens",
                     "num_input_tokens", "in_tokens", "inputtokens", "prompttokens",
                     "n_prompt_tokens", "total_input_tokens"),
    "uncached_input_tokens": ("uncached_input_tokens", "input_uncached_tokens",
                              "prompt_cache_miss_tokens"),
    "output_tokens": ("output_tokens", "completion_tokens", "tokens_out", "output_token_count",
                      "completion_token_count", "generatedtokens", "generated_tokens",
                      "num_output_tokens", "out_tokens", "outputtokens", "completiontokens",
                      "n_completion_tokens"),
    "cache_read_tokens": ("cache_read_tokens", "cache_read_input_tokens", "cached_tokens",
                          "cached_input_tokens", "input_cached_tokens", "prompt_cache_hit_tokens",
                          "cache_hit_tokens", "cached_content_token_count",
                          "prompt_cache_read_tokens", "cachedcontenttokencount"),
    "cache_write_tokens": ("cache_write_tokens", "cache_creation_input_tokens",
                           "cache_creation_tokens", "prompt_cache_write_tokens",
                           "input_cache_write_tokens"),
    "cache_write_5m_tokens": ("cache_write_5m_tokens", "ephemeral_5m_input_tokens"),
    "cache_write_1h_tokens": ("cache_write_1h_tokens", "ephemeral_1h_input_tokens"),
    "reasoning_tokens": ("reasoning_tokens", "thinking_tokens", "thoughts_token_count",
                         "thoughtstokencount"),
    "service_tier": ("service_tier", "tier", "servicetier"),
    "inference_geo": ("inference_geo",),
    "speed": ("speed",),
    "status": ("status", "status_code", "http_status", "outcome", "result_status"),
    "billed": ("billed",),
    "latency_ms": ("latency_ms", "latency", "duration_ms", "response_time_ms", "latencyms",
                   "elapsed_ms"),
    "prefix_hash": ("prefix_hash", "system_prompt_hash", "prompt_prefix_hash"),
    "prefix_tokens": ("prefix_tokens", "system_prompt_tokens", "prefix_length"),
    "prompt_hash": ("prompt_hash", "request_hash"),
    "quality": ("quality", "quality_score", "eval_score"),
    "prompt_text": ("prompt", "prompt_text", "messages", "user_prompt", "user_message", "question",
                    "query", "request_messages", "request_body"),
    "web_search_requests": ("web_search_requests",),
    "logged_cost_usd": ("cost", "cost_usd", "spend", "total_cost", "costusd", "cost_in_usd",
                        "total_cost_usd", "price_usd", "amount_usd"),
}

# Anthropic's usage names: a file with these follows Anthropic's input convention.
ANTHROPIC_CACHE_NAMES = {"cache_creation_input_tokens", "cache_read_input_tokens"}
# Names that say the prompt count includes the cache (OpenAI's, Gemini's, DeepSeek's usage names)
INCLUDING_INPUT_NAMES = {"prompt_tokens", "prompttokens", "prompt_token_count", "prompttokencount",
                         "n_prompt_tokens"}
INCLUDING_CACHE_NAMES = {"cached_tokens", "prompt_cache_hit_tokens", "cached_content_token_count",
                         "cachedcontenttokencount"}

TEXT_FIELDS = ("model", "provider", "task_type", "feature", "tenant", "conversation_id",
               "call_id", "inference_geo", "speed", "prefix_hash", "prompt_hash")
INT_FIELDS = ("input_tokens", "uncached_input_tokens", "output_tokens", "cache_read_tokens",
              "cache_write_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
              "reasoning_tokens", "prefix_tokens", "web_search_requests")


def match_columns(sample: FileSample, column_map: dict[str, str]) -> dict[str, str]:
    """canonical field -> source column, from aliases then `--map` (which wins)."""
    by_norm: dict[str, str] = {}
    top_level = [c for c in sample.columns if "." not in c] if sample.kind != "csv" else sample.columns
    for col in top_level:
        by_norm.setdefault(normalize_name(col), col)
    matched: dict[str, str] = {}
    for fld, names in ALIASES.items():
        for name in names:
            if name in by_norm:
                matched[fld] = by_norm[name]
                break
    known = mappable_fields()
    for col, fld in column_map.items():
        if fld not in known:
            raise UsageError(
                f"--map {col}={fld}: {fld} is not a field llmcost knows.",
                "Fields: " + ", ".join(sorted(known)) + ".",
            )
        # the mapped column replaces any alias match for that field, and is used once
        matched = {f: c for f, c in matched.items() if c != col}
        matched[fld] = col
        if fld == "input_tokens" or fld == "uncached_input_tokens":
            matched.pop("uncached_input_tokens" if fld == "input_tokens" else "input_tokens", None)
    return matched


class GenericAdapter:
    name = "generic"
    description = "any CSV / JSON lines / Parquet log with named model and token columns"

    def sniff(self, sample: FileSample) -> int:
        matched = match_columns(sample, {})
        has_tokens = ("input_tokens" in matched or "uncached_input_tokens" in matched) and (
            "output_tokens" in matched
        )
        if not has_tokens:
            return 0
        return 10 if "model" in matched else 5

    def project(self, ctx: SourceContext) -> Projection:
        sample = ctx.sample
        matched = match_columns(sample, ctx.options.column_map)
        from_folder, folder_notes = folder_fields(ctx.path, matched)
        missing = [f for f in ("output_tokens",) if f not in matched and f not in from_folder]
        if not {"input_tokens", "uncached_input_tokens"} & (set(matched) | set(from_folder)):
            missing.insert(0, "input_tokens")
        if "model" not in matched and "model" not in from_folder and not ctx.options.model:
            missing.insert(0, "model")
        if missing:
            raise not_a_call_log(sample, missing)

        if sample.kind == "csv":
            source = ctx.csv_rows()
            raw_record = "concat_ws(',', " + ", ".join(
                f"coalesce({sql_ident(user_column(c))}, '')" for c in sample.columns) + ")"

            def col(name: str) -> str:
                return sql_ident(user_column(name))
            line_offset = 1
        elif sample.kind == "parquet":
            source = ctx.parquet_rows()
            raw_record = "CAST(to_json(struct_pack(" + ", ".join(
                f"{sql_ident(c)} := {sql_ident(user_column(c))}" for c in sample.columns) + ")) AS VARCHAR)"

            def col(name: str) -> str:
                return f"CAST({sql_ident(user_column(name))} AS VARCHAR)"
            line_offset = 0
        else:
            source = ctx.json_records()
            raw_record = "_raw"

            def col(name: str) -> str:
                return f"json_extract_string(_json, {json_path(name)})"
            line_offset = 0

        notes: list[str] = []
        encoding = sample.file_encoding or sample.encoding
        if encoding != "utf-8":
            notes.append(f"read as {encoding} text: the file is not UTF-8")
        notes += folder_notes
        src = {f: col(c) for f, c in matched.items()} | {f: sql_str(v) for f, v in from_folder.items()}
        matched = matched | {f: f"{f}=" for f in from_folder}
        checks: list[tuple[str, str]] = []
        if sample.kind in ("jsonl", "json"):
            checks.append(("_json IS NULL", "'not valid JSON'"))
            checks.append(("json_type(_json) <> 'OBJECT'", "'not a JSON object'"))
        cols: dict[str, str] = {}
        for f in TEXT_FIELDS:
            if f in src:
                cols[f] = f"NULLIF(trim({src[f]}), '')"
        for f in INT_FIELDS:
            if f in src:
                checks.append(int_check(f, src[f]))
        if "ts" in src:
            checks.append(timestamp_check("time", src["ts"]))
            cols["ts"] = timestamp_value(src["ts"])
        if ctx.options.model:
            if "model" in matched:
                cols["model"] = f"coalesce({cols['model']}, {sql_str(ctx.options.model)})"
            else:
                cols["model"] = sql_str(ctx.options.model)
                notes.append(f"model set to {ctx.options.model} (--model): the file names none")
        if "provider" not in cols:
            cols["provider"] = infer_provider(cols["model"])
        else:
            cols["provider"] = f"lower(coalesce({cols['provider']}, {infer_provider(cols['model'])}))"

        v = {f: int_value(src[f]) for f in INT_FIELDS if f in src}
        cache_read = v.get("cache_read_tokens", "0")
        w5 = v.get("cache_write_5m_tokens")
        w1h = v.get("cache_write_1h_tokens")
        w_all = v.get("cache_write_tokens")
        if w_all is not None and w5 is None and w1h is None:
            w5 = w_all
        elif w_all is not None and w5 is None:
            w5 = f"({w_all} - coalesce({w1h}, 0))"
        elif w_all is not None and w1h is None:
            w1h = f"({w_all} - coalesce({w5}, 0))"
        w5 = w5 or "0"
        w1h = w1h or "0"
        cache_sum = f"(coalesce({cache_read}, 0) + coalesce({w5}, 0) + coalesce({w1h}, 0))"
        has_cache_cols = any(
            f in matched for f in ("cache_read_tokens", "cache_write_tokens",
                                   "cache_write_5m_tokens", "cache_write_1h_tokens"))

        alternative_input: str | None = None  # the excluding reading, tried when the data asks
        alternative_note = ""
        if "input_tokens" in v:
            excludes = ctx.options.input_excludes_cache
            input_col = normalize_name(matched["input_tokens"])
            cache_cols = {normalize_name(matched[f]) for f in ("cache_read_tokens", "cache_write_tokens",
                                                               "cache_write_5m_tokens", "cache_write_1h_tokens")
                          if f in matched}
            anthropic_names = bool(cache_cols & ANTHROPIC_CACHE_NAMES)
            says_includes = input_col in INCLUDING_INPUT_NAMES or bool(cache_cols & INCLUDING_CACHE_NAMES)
            if excludes is None:
                excludes = anthropic_names and input_col == "input_tokens"
                if has_cache_cols:
                    if excludes:
                        notes.append(
                            "input_tokens taken to EXCLUDE cache tokens (Anthropic convention: "
                            "the file has Anthropic's cache column names); pass "
                            "--input-includes-cache if it does not")
                    else:
                        notes.append(
                            f"{matched['input_tokens']} taken to INCLUDE cached tokens (OpenAI "
                            "convention); pass --input-excludes-cache if this log follows "
                            "Anthropic's")
                        if not says_includes:
                            alternative_input = f"({v['input_tokens']} + {cache_sum})"
                            alternative_note = (
                                f"{matched['input_tokens']} taken to EXCLUDE cache tokens: the column "
                                "names do not say, and read as including them {n} rows would have "
                                "more cache than input tokens; pass --input-includes-cache to read "
                                "it the other way")
            if excludes:
                cols["input_tokens"] = f"({v['input_tokens']} + {cache_sum})"
            else:
                cols["input_tokens"] = v["input_tokens"]
        else:
            cols["input_tokens"] = f"({v['uncached_input_tokens']} + {cache_sum})"
        cols["cache_read_tokens"] = f"coalesce({cache_read}, 0)"
        cols["cache_write_5m_tokens"] = f"coalesce({w5}, 0)"
        cols["cache_write_1h_tokens"] = f"coalesce({w1h}, 0)"
        cols["output_tokens"] = v["output_tokens"]
        if "reasoning_tokens" in v:
            cols["reasoning_tokens"] = v["reasoning_tokens"]
        for f in ("prefix_tokens", "web_search_requests"):
            if f in v:
                cols[f] = v[f]
        if "service_tier" in src:
            cols["service_tier"] = tier_value(src["service_tier"])
        if "status" in src:
            cols["status"] = status_value(src["status"])
        if "billed" in src:
            cols["billed"] = f"TRY_CAST({src['billed']} AS BOOLEAN)"
        for f, typ in (("latency_ms", "DOUBLE"), ("quality", "DOUBLE"),
                       ("logged_cost_usd", "DECIMAL(18,9)")):
            if f in src:
                cols[f] = f"TRY_CAST({src[f]} AS {typ})"
        if "prompt_text" in matched and "prompt_text" not in from_folder:
            if sample.kind in ("jsonl", "json"):
                request = f"json_extract(_json, {json_path(matched['prompt_text'])})"
            elif sample.kind == "parquet":  # a list or struct column is JSON already
                value = sql_ident(user_column(matched["prompt_text"]))
                request = (f"(CASE WHEN json_type(to_json({value})) = 'VARCHAR' "
                           f"THEN {prompt_text.json_value(src['prompt_text'])} ELSE to_json({value}) END)")
            else:
                request = prompt_text.json_value(src["prompt_text"])
            source = prompt_text.wrap_source(source, request)
            cols.update(prompt_text.COLUMNS)
        proj = Projection(
            source=source,
            columns=cols,
            raw=raw_record,
            reason=first_reason(checks),
            line_offset=line_offset,
            notes=notes,
        )
        if alternative_input is not None:
            proj.alternative = replace(
                proj, columns=cols | {"input_tokens": alternative_input},
                notes=[n for n in notes if "taken to INCLUDE" not in n] + [alternative_note])
        return proj


def folder_fields(path: Path, matched: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Fields named by Hive-style folders (`tenant=cust_1/calls.parquet`, as DuckDB's and
    Spark's `PARTITION_BY` write them): a segment fills a field only where the file has no
    column for it; where it has one, the file's own values win and a note says so."""
    fills: dict[str, str] = {}
    notes: list[str] = []
    for part in path.parent.parts:
        key, eq, value = part.partition("=")
        if not eq or not key:
            continue
        norm = normalize_name(key)
        field = next((f for f, names in ALIASES.items() if norm in names), None)
        if field is None:
            continue
        if field in matched:
            notes.append(f"the folder {part} names {field}, but the file has its own {matched[field]} "
                         "column: the file's values are used")
        else:
            fills[field] = value
    return fills, notes


def not_a_call_log(sample: FileSample, missing: list[str]) -> NotACallLogError:
    found = ", ".join(sample.columns[:20]) or "(none)"
    if len(sample.columns) > 20:
        found += f", … ({len(sample.columns)} in all)"
    needs = {
        "model": "a model column (model, model_name, …) or --model NAME",
        "input_tokens": "an input token count (input_tokens, prompt_tokens, …)",
        "output_tokens": "an output token count (output_tokens, completion_tokens, …)",
    }
    return NotACallLogError(
        f"{sample.path} is not a call log llmcost can read. Found columns: {found}. "
        f"Needed: " + "; ".join(needs[m] for m in missing) + ".",
        "Map yours with --map COLUMN=FIELD (e.g. --map amount=output_tokens), force a format "
        "with --source NAME, or see docs/formats.md for the formats read automatically.",
        reason=_short_reason(sample, missing),
    )


def _short_reason(sample: FileSample, missing: list[str]) -> str:
    """A few words on why a file is not a call log, for the list of files left alone."""
    words = {"model": "model", "input_tokens": "input tokens", "output_tokens": "output tokens"}
    if sample.kind in ("jsonl", "json") and not sample.records:
        return "no JSON record found in it (not a JSON log, or its records could not be parsed)"
    shown = ", ".join(sample.columns[:8]) + (", …" if len(sample.columns) > 8 else "")
    what = "fields" if sample.kind in ("jsonl", "json") else "columns"
    return (f"not a call log: no {' / '.join(words[m] for m in missing)} found "
            f"({what}: {shown or 'none'})")
