"""What every log adapter builds on: the file sample it sniffs, the context it reads with, and the
`Projection` it returns — SQL that maps one file's records onto the canonical columns.

An adapter never loops over rows in Python. It returns SQL expressions; the loader
(`llmcost.ingest.load`) runs them inside DuckDB, validates, deduplicates and stores the result in
one transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from llmcost.sql_quoting import sql_ident, sql_str

__all__ = ["sql_ident", "sql_str"]  # re-exported for adapters

FileKind = Literal["csv", "jsonl", "json", "parquet"]
JsonLayout = Literal["lines", "array", "values", "sse", "wrapped", "prefixed"]

# Names used for DuckDB's CSV rejects tables (TEMP tables, one pair per connection).
CSV_REJECTS_TABLE = "llmcost_csv_rejects"
CSV_SCANS_TABLE = "llmcost_csv_scans"


def json_path(key_path: str) -> str:
    """`a.b` -> the JSONPath `$."a"."b"` as a SQL literal (keys quoted and escaped, so any key
    works, one ending in a backslash included)."""
    parts = key_path.split(".")
    return sql_str("$." + ".".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parts))


def user_column(name: str) -> str:
    """The name a log's own CSV / Parquet column has in llmcost's SQL: unchanged, unless it
    starts with `_` — llmcost's own working columns do (`_pos`, `__skip`, `__reason` …) — then
    prefixed `u:`, so a log can never forge or break them."""
    return "u:" + name if name.startswith("_") else name


def _renamed(columns: list[str]) -> str:
    """` RENAME (…)` for a star over a log's columns (see `user_column`), or nothing."""
    pairs = [f"{sql_ident(c)} AS {sql_ident(user_column(c))}" for c in columns if c.startswith("_")]
    return f" RENAME ({', '.join(pairs)})" if pairs else ""


def duckdb_path(path: Path | str) -> str:
    """SQL literal for a file path given to DuckDB's readers, which expand globs: `*`, `?` and
    `[` are escaped (`[*]`, `[?]`, `[[]`) so that a file named `calls[1].csv` or `*.csv` is
    read as itself, never as a pattern."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        text = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)
    return sql_str(text)


def normalize_name(name: str) -> str:
    """Column-name matching key: lower case, runs of non-alphanumerics -> `_`."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def first_reason(checks: list[tuple[str, str]]) -> str:
    """SQL CASE giving the first failing check's reason, else NULL."""
    if not checks:
        return "NULL"
    whens = " ".join(f"WHEN {cond} THEN {reason}" for cond, reason in checks)
    return f"(CASE {whens} END)"


# A token count beyond this is clamped on reading, so sums of several counts can never overflow
# BIGINT (an overflow would fail the whole file); the loader rejects anything over MAX_TOKENS.
INT_CLAMP = 10**15


def int_value(raw: str) -> str:
    """SQL: a token count from any text or number (NULL when absent or unreadable; clamped to
    ±INT_CLAMP)."""
    v = f"TRY_CAST({raw} AS BIGINT)"
    return f"(CASE WHEN {v} BETWEEN -{INT_CLAMP} AND {INT_CLAMP} THEN {v} ELSE sign({v}) * {INT_CLAMP} END)"


def int_check(name: str, raw: str) -> tuple[str, str]:
    """A check that rejects a present count that is unreadable, fractional (DuckDB would round
    `12.5` to 13) or negative, quoting the bad value."""
    text = f"CAST({raw} AS VARCHAR)"
    as_int = f"TRY_CAST({raw} AS BIGINT)"
    return (
        f"({raw}) IS NOT NULL AND trim({text}) <> '' AND ({as_int} IS NULL "
        f"OR TRY_CAST({text} AS DOUBLE) <> {as_int} OR {as_int} < 0)",
        f"(CASE WHEN {as_int} < 0 AND TRY_CAST({text} AS DOUBLE) = {as_int} THEN 'negative {name}: ' "
        f"ELSE '{name} is not a whole number: ' END) || left({text}, 40)",
    )


# Call times outside these bounds are broken records: no LLM API call was made before 2000, and
# beyond year 9999 Python cannot hold a time
TIME_MIN = "2000-01-01"
TIME_MAX = "2200-01-01"
TIME_LAST = "2199-12-31 23:59:59.999999"  # the last instant before TIME_MAX
_EPOCH_MIN = 946_684_800  # 2000-01-01 in epoch seconds


def _time_parts(raw: str) -> tuple[str, str]:
    text = f"trim(CAST({raw} AS VARCHAR))"
    return text, f"TRY_CAST({text} AS DOUBLE)"


def _bad_offset(text: str) -> str:
    """SQL: the text ends in a UTC offset beyond ±14:00 (`+25:00`), which no place uses."""
    return (f"(length({text}) > 10 AND ((substr({text}, -6, 1) IN ('+', '-') AND substr({text}, -3, 1) = ':' "
            f"AND TRY_CAST(substr({text}, -5, 2) AS INTEGER) > 14) OR (substr({text}, -5, 1) IN ('+', '-') "
            f"AND substr({text}, -8, 1) = ':' AND TRY_CAST(substr({text}, -4, 2) AS INTEGER) > 14)))")


def time_sentinel(raw: str) -> str:
    """SQL: a value loggers write for "no time" (`0`, `-1`, `0000-00-00…`, the epoch itself):
    the call is kept without a time, not rejected."""
    text, num = _time_parts(raw)
    return (f"coalesce({num} IN (0, -1) OR starts_with({text}, '0000-00-00') "
            f"OR starts_with({text}, '1970-01-01T00:00:00') OR starts_with({text}, '1970-01-01 00:00:00'), false)")


def timestamp_value(raw: str) -> str:
    """SQL: a UTC TIMESTAMP from ISO-8601 text (any offset up to ±14:00, or none = UTC), epoch
    seconds, milliseconds or microseconds (a number is read in the unit that puts it after
    2000-01-01: under 1e11 seconds, under 1e14 milliseconds, under 1e17 microseconds).
    NULL for anything else: sentinels (`0`), numbers that would fall before 2000 (`20261001` is
    not a time), negative, NaN, infinite or enormous numbers never fail the file."""
    text, num = _time_parts(raw)
    lo = _EPOCH_MIN
    return (
        f"(CASE WHEN {num} IS NOT NULL THEN "
        f"(CASE WHEN {num} >= {lo} AND {num} < 1e11 THEN make_timestamp(TRY_CAST({num} * 1000000 AS BIGINT)) "
        f"WHEN {num} >= {lo}e3 AND {num} < 1e14 THEN make_timestamp(TRY_CAST({num} * 1000 AS BIGINT)) "
        f"WHEN {num} >= {lo}e6 AND {num} < 1e17 THEN make_timestamp(TRY_CAST({num} AS BIGINT)) END) "
        f"WHEN {_bad_offset(text)} OR starts_with({text}, '1970-01-01') OR starts_with({text}, '0000') THEN NULL "
        # the instant as UTC wall time, via its epoch (no time-zone lookup per row: 2x faster)
        f"ELSE make_timestamp(epoch_us(TRY_CAST({text} AS TIMESTAMPTZ))) END)"
    )


def timestamp_check(name: str, raw: str) -> tuple[str, str]:
    """Rejects a present time that cannot be read, is not plausible (a number that would fall
    before 2000, an offset beyond ±14:00) or lies outside 2000–2199; a sentinel (`0`) passes
    (the call is kept without a time)."""
    text = f"CAST({raw} AS VARCHAR)"
    value = timestamp_value(raw)
    _, num = _time_parts(raw)
    return (
        # the value once (BETWEEN): each copy of it would be parsed again
        f"({raw}) IS NOT NULL AND trim({text}) <> '' AND NOT coalesce({value} BETWEEN "
        f"TIMESTAMP '{TIME_MIN}' AND TIMESTAMP '{TIME_LAST}', false) AND NOT {time_sentinel(raw)}",
        f"(CASE WHEN {num} IS NOT NULL THEN '{name} is not a plausible call time (as epoch seconds, "
        f"milliseconds or microseconds it falls outside 2000–2199): ' WHEN {value} IS NOT NULL THEN "
        f"'{name} is outside 2000–2199: ' ELSE '{name} is not a readable time: ' END) || left({text}, 40)",
    )


def infer_provider(model_sql: str) -> str:
    """SQL: the provider a model name belongs to, for logs that do not say."""
    m = f"lower({model_sql})"
    rules = [
        # a host's prefix (LiteLLM's, or the host's own id scheme) names who served and billed it
        ("^groq/", "groq"),
        ("^openrouter/", "openrouter"),
        ("^together(_ai)?/", "together"),
        ("^(fireworks_ai/|accounts/fireworks/)", "fireworks"),
        ("claude", "anthropic"),
        ("(^|[/.:])(gpt|o1|o3|o4|chatgpt|text-embedding|davinci|babbage)", "openai"),
        ("gemini|gemma|palm", "google"),
        ("deepseek", "deepseek"),
        ("mistral|mixtral|codestral|magistral|ministral|pixtral", "mistral"),
        ("glm|zhipu|chatglm", "zhipu"),
        ("llama", "meta"),
        ("qwen|qwq", "alibaba"),
        ("kimi|moonshot", "moonshot"),
        ("minimax|abab", "minimax"),
        ("grok", "xai"),
        ("command", "cohere"),
    ]
    whens = " ".join(
        f"WHEN regexp_matches({m}, {sql_str(pattern)}) THEN {sql_str(provider)}"
        for pattern, provider in rules
    )
    return f"(CASE {whens} END)"


def status_value(raw: str) -> str:
    """SQL: `ok` / `error` from the many ways logs write a status (200, success, failed…)."""
    t = f"lower(trim(CAST({raw} AS VARCHAR)))"
    return (
        f"(CASE WHEN {raw} IS NULL OR {t} = '' THEN 'ok' "
        f"WHEN {t} IN ('ok','success','succeeded','successful','completed','complete','true','200',"
        f"'201','done','finished') THEN 'ok' "
        f"WHEN regexp_matches({t}, '^2[0-9][0-9]$') THEN 'ok' ELSE 'error' END)"
    )


def tier_value(raw: str) -> str:
    """SQL: the canonical service tier from a logged one (`default`, `auto`, `scale`…)."""
    t = f"lower(trim(CAST({raw} AS VARCHAR)))"
    return (
        f"(CASE WHEN {t} IN ('batch','batches') THEN 'batch' WHEN {t} = 'flex' THEN 'flex' "
        f"WHEN {t} IN ('priority','scale','fast','priority_on_demand') THEN 'priority' "
        f"ELSE 'standard' END)"
    )


# Longest record llmcost reads (DuckDB's default is 2 MB; logs that keep whole prompts exceed it).
MAX_LINE_BYTES = 32 * 1024 * 1024  # with an equal buffer: the memory DuckDB uses by default


def reader_options(encoding: str = "utf-8") -> str:
    """Options every DuckDB text read takes: long records, and the file's encoding."""
    opts = f", max_line_size={MAX_LINE_BYTES}, buffer_size={MAX_LINE_BYTES}"
    if encoding != "utf-8":
        opts += f", encoding={sql_str(encoding)}"
    return opts


def read_csv_sql(path: Path, encoding: str = "utf-8", delimiter: str | None = None) -> str:
    """DuckDB's CSV reader as llmcost uses it: all columns text, a header line, unreadable
    records sent to the rejects tables (which also keeps the dialect sniffer from mistaking a
    ragged last line for the header); the delimiter when llmcost found one (`files.sniff_delimiter`),
    else DuckDB's sniffer picks it."""
    delim = f", delim={sql_str(delimiter)}" if delimiter else ""
    return (
        f"read_csv({duckdb_path(path)}, all_varchar=true, header=true, skip=0, hive_partitioning=false, "
        f"store_rejects=true, rejects_table={sql_str(CSV_REJECTS_TABLE)}, "
        f"rejects_scan={sql_str(CSV_SCANS_TABLE)}{delim}{reader_options(encoding)})"
    )


def duckdb_reason(error: Exception) -> str:
    """The line of a DuckDB error that says what is wrong, in words a user can act on."""
    text = str(error)
    if "Maximum line size of" in text:
        return f"a record is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    if "GZIP" in text or "gzip" in text:
        return "the gzip data ends early or is damaged (an incomplete download or copy?)"
    if "not utf-8 encoded" in text or "Invalid unicode" in text:
        return "the file is not UTF-8 text (mixed or unknown encoding)"
    if "not possible to automatically detect the CSV" in text:
        return "its CSV dialect (delimiter, quoting, line ends) could not be worked out"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if "CSV Error on Line" in lines[0] and len(lines) > 1:
        return f"{lines[0]}: {lines[1]}"
    return lines[0]


# A compressed file may expand to far more than its size on disk (JSON logs compress 10-30x, a
# "gzip bomb" of newlines 1000x): past this many expanded bytes a .gz file is refused before
# loading, unless the user lifts the cap (`--max-expanded`, env LLMCOST_MAX_EXPANDED)
MAX_EXPANDED_BYTES = 4 * 1000**3


@dataclass
class IngestOptions:
    """What the user said about how to read the files."""

    source: str | None = None  # force an adapter by name
    column_map: dict[str, str] = field(default_factory=dict)  # source column -> canonical field
    model: str | None = None  # model for logs that carry none (serving traces)
    start: datetime | None = None  # base time for logs with relative timestamps
    input_excludes_cache: bool | None = None  # override the input-token convention
    # refuse a compressed file expanding past this many bytes (None: no cap); see files.py
    max_expanded: int | None = MAX_EXPANDED_BYTES


@dataclass
class FileSample:
    """What an adapter may look at to decide whether it reads a file."""

    path: Path
    kind: FileKind
    compressed: bool
    columns: list[str]  # header columns (csv, parquet) or keys of the first JSON records
    records: list[dict[str, Any]]  # the first JSON records (json kinds), parsed
    head: str  # the first bytes of the (decompressed) file, decoded leniently
    encoding: str = "utf-8"  # utf-8, or utf-16 (a BOM says so) / latin-1 (the head is not UTF-8)
    delimiter: str | None = None  # CSV: the delimiter found in the head (None: DuckDB sniffs)
    layout: JsonLayout = "lines"  # JSON kinds: how the records are laid out (`json_layout`)
    wrapper_key: str | None = None  # `wrapped`: the key of the one object whose list holds the records
    cut: bool = False  # the head is only the start of the file
    # what DuckDB reads instead of `path`: a UTF-8 copy of a UTF-16 file (None: `path` itself),
    # and the encoding of the file itself
    read_path: Path | None = None
    file_encoding: str | None = None

    def has_any(self, *names: str) -> bool:
        cols = {normalize_name(c) for c in self.columns}
        return any(normalize_name(n) in cols for n in names)

    def record_has(self, *paths: str) -> bool:
        """True if any of the first records holds every dotted path given."""
        return any(all(_get_path(rec, p) is not None for p in paths) for rec in self.records)


def _get_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def flatten_keys(record: dict[str, Any], prefix: str = "", depth: int = 3) -> list[str]:
    keys: list[str] = []
    for k, v in record.items():
        name = f"{prefix}{k}"
        keys.append(name)
        if isinstance(v, dict) and depth > 1:
            keys.extend(flatten_keys(v, name + ".", depth - 1))
    return keys


_JSON_OR_NULL = "(CASE WHEN json_valid(_raw) THEN CAST(_raw AS JSON) END)"

# JSON lines longer than this are slimmed before parsing (see `SourceContext.json_lines`)
SLIM_BYTES = 64 * 1024
KEPT_RAW = 4096
# a JSON string literal: its first 200 characters captured, the rest matched (escapes kept whole)
_JSON_CHAR = r'(?:[^"\\]|\\u[0-9a-fA-F]{4}|\\[^u])'
_LONG_JSON_STRING = f'"({_JSON_CHAR}{{0,200}}){_JSON_CHAR}*"'


def _no_surrogates(text: str) -> str:
    """SQL: JSON text with every UTF-16 surrogate escape replaced by `\ufffd` (only used on
    lines DuckDB found invalid, so a valid pair there costs nothing but two replacement
    characters in text llmcost does not read)."""
    return f"regexp_replace({text}, '\\\\u[dD][89a-fA-F][0-9a-fA-F]{{2}}', '\\\\ufffd', 'g')"


@dataclass
class SourceContext:
    """A file being read: where it is and helpers producing its raw rows as SQL.

    With `batch`, several files of one format are read in one statement (`Adapter.batch_files`):
    `path` is the first of them, the rows carry `__filename`, `_pos` counts lines per file, and
    values that depend on the file come from `per_file` (the loader fills them in per file)."""

    path: Path
    content_hash: str
    sample: FileSample
    options: IngestOptions
    uses_csv_rejects: bool = False
    batch: list[Path] | None = None
    file_values: dict[str, Callable[[Path], str | None]] = field(default_factory=dict)
    # a JSON file DuckDB could not read whole (a broken or truncated record, another encoding),
    # rewritten as one record per line by `llmcost.ingest.json_values.normalise`
    normalised: Path | None = None
    # a JSON-lines file whose last line is too long to read, copied with that line cut short
    # (`llmcost.ingest.json_values`): read instead of the file, line numbers unchanged
    lines_copy: Path | None = None

    @property
    def path_sql(self) -> str:
        if self.batch:
            return "[" + ", ".join(duckdb_path(p) for p in self.batch) + "]"
        return duckdb_path(self.sample.read_path or self.path)

    def per_file(self, name: str, value: Callable[[Path], str | None]) -> str:
        """SQL for a text value that depends on the file (e.g. the folder it sits in)."""
        if self.batch is None:
            v = value(self.path)
            return sql_str(v) if v is not None else "NULL"
        self.file_values[name] = value
        return f"__file_{name}"

    def csv_rows(self) -> str:
        """Every CSV record as VARCHAR columns plus `_pos` (1-based record number). Records the
        CSV reader cannot parse (ragged rows, bad quoting) land in DuckDB's rejects tables and are
        counted as rejected by the loader."""
        self.uses_csv_rejects = True
        reader = read_csv_sql(self.sample.read_path or self.path, self.sample.encoding, self.sample.delimiter)
        return f"(SELECT row_number() OVER () AS _pos, *{_renamed(self.sample.columns)} FROM {reader})"

    def json_lines(self, sse: bool = False, prefixed: bool = False) -> str:
        """Every non-blank line of a JSON-lines file as text `_raw` plus `_pos` (its line number);
        with `sse`, only the `data:` lines of a Server-Sent-Events dump, `_raw` being the JSON
        after `data:` (`event:` lines, comments and the closing `data: [DONE]` are not records).

        A line longer than SLIM_BYTES (a log keeping whole prompts) is parsed with every string
        value cut to its first 200 characters, and only its first KEPT_RAW characters are kept as
        `_raw`: ids, models, times and counts are short, and the full text of thousands of such
        lines would not fit in memory."""
        copy = self.normalised or self.lines_copy
        path_sql = duckdb_path(copy) if copy else self.path_sql
        encoding = "utf-8" if self.normalised else self.sample.encoding
        big = f"strlen(line) > {SLIM_BYTES}"
        raw = "ltrim(line, chr(65279))"
        keep = "trim(_raw) <> ''"
        if sse:
            raw = "trim(regexp_replace(ltrim(line, chr(65279)), '^data:', ''))"
            keep = "__data AND _raw NOT IN ('', '[DONE]')"
        elif prefixed:
            # the JSON from the line's first `{`; the time at the start of the line, if any,
            # given as `timestamp` to records that carry none (their own keys win)
            at = "strpos(line, '{')"
            when = f"replace(regexp_extract(line, {sql_str(PREFIX_TIME)}, 1), ',', '.')"
            json_part = f"substr(line, {at})"
            raw = (f"(CASE WHEN {when} <> '' AND json_valid({json_part}) THEN CAST(json_merge_patch("
                   f"json_object('timestamp', {when}), {json_part}) AS VARCHAR) ELSE {json_part} END)")
            keep = "__data"
        slim = f"regexp_replace({raw}, {sql_str(_LONG_JSON_STRING)}, '\"\\1\"', 'g')"
        # several files: the reader keeps their order, so lines are numbered per file in read order
        pos, name, many = ("row_number() OVER ()", "", "")
        if self.batch:
            pos = "row_number() OVER (PARTITION BY __filename ORDER BY __g)"
            name, many = "filename AS __filename, row_number() OVER () AS __g, ", ", filename=true"
        data = ("starts_with(ltrim(line, chr(65279)), 'data:') AS __data, " if sse
                else "strpos(line, '{') > 0 AS __data, " if prefixed else "")
        return (
            f"(SELECT * EXCLUDE (__g{', __data' if data else ''}) FROM (SELECT {pos} AS _pos, * FROM ("
            f"SELECT {name or '0 AS __g, '}{data}"
            f"CASE WHEN {big} THEN left({raw}, {KEPT_RAW}) || ' …' ELSE {raw} END AS _raw, "
            f"CASE WHEN json_valid({raw}) THEN (CASE WHEN {big} THEN CAST({slim} AS JSON) "
            f"ELSE CAST({raw} AS JSON) END) "
            # a lone surrogate escape (`"\ud83d"`, text cut mid-character by a logger) makes the
            # line invalid for DuckDB: read it with replacement characters instead
            f"WHEN json_valid({_no_surrogates(raw)}) THEN CAST({_no_surrogates(raw)} AS JSON) END AS _json "
            f"FROM read_csv({path_sql}, columns={{'line': 'VARCHAR'}}, header=false, "
            f"delim=chr(0), quote='', escape='', auto_detect=false, strict_mode=false, "
            f"hive_partitioning=false{many}"
            f"{reader_options(encoding)}))) "
            f"WHERE {keep})"
        )

    def json_values(self, layout: str) -> str:
        """Every element of a top-level JSON array (`array`), or every JSON value of a file of
        values spread over lines (`values`: pretty-printed objects, one or several), as text
        `_raw` plus `_pos` (1-based record number)."""
        fmt = "array" if layout == "array" else "unstructured"
        return (
            f"(SELECT *, {_JSON_OR_NULL} AS _json FROM "
            f"(SELECT row_number() OVER () AS _pos, CAST(json AS VARCHAR) AS _raw "
            f"FROM read_json_objects({self.path_sql}, format={sql_str(fmt)}, hive_partitioning=false, "
            f"maximum_object_size={MAX_LINE_BYTES})))"
        )

    def json_records(self) -> str:
        """The file's JSON records, whatever its layout (JSON lines, an array, pretty-printed
        values, an SSE dump), as `_pos`, `_raw` (the text) and `_json` (the parsed record, NULL
        when the text is not valid JSON: reject those with `_json IS NULL`; extract fields from
        `_json` so broken records never stop the read)."""
        layout = self.sample.layout
        if layout == "wrapped" and self.normalised is None:
            key = (self.sample.wrapper_key or "data").replace('"', '\\"')
            elements = sql_str(f'$."{key}"[*]')
            return (
                f"(SELECT *, {_JSON_OR_NULL} AS _json FROM "
                f"(SELECT row_number() OVER () AS _pos, CAST(__e AS VARCHAR) AS _raw FROM "
                f"(SELECT unnest(json_extract(json, {elements})) AS __e "
                f"FROM read_json_objects({self.path_sql}, format='unstructured', hive_partitioning=false, "
                f"maximum_object_size={WRAPPED_MAX_BYTES}))))"
            )
        if self.normalised is not None or layout == "lines":
            return self.json_lines()
        if layout == "sse":
            return self.json_lines(sse=True)
        if layout == "prefixed":
            return self.json_lines(prefixed=True)
        return self.json_values(layout)

    def parquet_rows(self) -> str:
        return (
            f"(SELECT file_row_number + 1 AS _pos, *{_renamed(self.sample.columns)} "
            f"FROM read_parquet({self.path_sql}, file_row_number=true, hive_partitioning=false))"
        )


@dataclass
class Projection:
    """How one file's records become canonical calls, as SQL over `source`.

    - `source`: a FROM-able subquery exposing `_pos` (1-based record number) and raw fields.
    - `columns`: canonical column -> SQL expression; columns left out are NULL.
    - `raw`: SQL giving a record's original text (kept for rejected records).
    - `skip`: SQL boolean, true for records that are not calls by definition (counted skipped).
    - `reason`: SQL text, a reject reason specific to the format (NULL when fine).
    - `line_offset`: added to `_pos` to give the line number shown for rejects (1 for a header).
    - `keep_order`: among records sharing a `call_id` in this file, the first by this ORDER BY
      is kept (e.g. the larger usage of a streamed message); None keeps the first in file order.
    - `variants_expected`: copies of one id with different usage are normal for this format
      (streamed transcripts) and are not reported as conflicting.
    - `notes`: assumptions made reading this file, printed beside the results.
    - `alternative`: see the field.
    - `model_optional`: a record that names no model is still a call (an API response saved
      without its model field): it loads unpriced, with no model, unless `--model` names one.
    """

    source: str
    columns: dict[str, str]
    raw: str
    skip: str = "false"
    reason: str = "NULL"
    line_offset: int = 0
    keep_order: str | None = None
    variants_expected: bool = False
    notes: list[str] = field(default_factory=list)
    model_optional: bool = False
    # another reading of the same file (e.g. input tokens excluding the cache), used instead
    # when this one rejects records for "cache tokens exceed input tokens"; its notes may hold
    # `{n}`, the number of such records
    alternative: Projection | None = None


class Adapter(Protocol):
    """One log format: `sniff` scores a file (0 = not mine), `project` maps it. An adapter whose
    logs come as many small JSON-lines files sets `batch_files = True`: the loader then reads up
    to a few hundred of them in one statement (`SourceContext.batch`), which makes a folder of
    session files as fast to load as one big file."""

    name: str
    description: str

    def sniff(self, sample: FileSample) -> int: ...

    def project(self, ctx: SourceContext) -> Projection: ...


_SSE_FIELD = re.compile(r"^(data|event|id|retry)\s*:|^:")


def json_layout(text: str) -> JsonLayout:
    """How a JSON file holds its records, from its head:
    - `array`: one top-level JSON array (pretty or compact);
    - `sse`: a Server-Sent-Events dump (`event:` / `data: {...}` lines, `data: [DONE]`);
    - `lines`: one JSON value per line (JSON lines), found when a line of the head parses alone;
    - `values`: JSON values spread over lines (`json.dump(indent=2)`, `jq .` output), one or
      several, one after the other;
    - `prefixed`: an application log whose lines carry a JSON object after a prefix
      (`2026-10-01 12:00:00,123 INFO llm_call {"model": …}`)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "array"
    lines = [ln.strip() for ln in stripped.splitlines()[:200]]
    first = next((ln for ln in lines if ln), "")
    if _SSE_FIELD.match(first):
        return "sse"
    if not stripped.startswith("{"):
        return "prefixed" if _json_after_prefix(lines) else "lines"
    complete = stripped.splitlines()[:-1] if not stripped.endswith("\n") else stripped.splitlines()
    if not complete:
        return "lines"  # the first line is longer than the head: one record per line
    for line in complete[:50]:
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                json.loads(line)
                return "lines"
            except (json.JSONDecodeError, RecursionError):
                continue
    return "values"


def _json_after_prefix(lines: list[str]) -> bool:
    """Most lines holding a `{` end in a JSON object that starts there, after some prefix."""
    found = parsed = 0
    for line in lines[:-1][:100]:  # the last line of a head may be cut
        start = line.find("{")
        if start <= 0:
            continue
        found += 1
        try:
            if isinstance(json.loads(line[start:]), dict):
                parsed += 1
        except (json.JSONDecodeError, RecursionError):
            continue
    return parsed >= 1 and parsed * 2 >= found


def prefix_json(line: str) -> str | None:
    """The JSON object of a `prefixed` log line (from its first `{`), None without one."""
    start = line.find("{")
    return line[start:] if start >= 0 else None


# the time at the start of a prefixed log line: ISO-8601 / Python logging's `2026-10-01 12:00:00,123`
PREFIX_TIME = r"^\s*\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"


# preferred names of the list that holds the records in a file that is one wrapping object
WRAPPER_KEYS = ("data", "results", "items", "records", "observations", "calls", "requests", "logs",
                "generations", "events", "rows")
WRAPPED_MAX_BYTES = 4 * 1024 * 1024 * 1024  # DuckDB reads the wrapping object whole


def find_wrapper(text: str, scan: int = 1024 * 1024) -> tuple[str, int] | None:
    """In a file that is one JSON object (`{"data": [{…}, …], "meta": …}`, as list APIs return
    them): the top-level key whose value is a list of objects, and where that list starts.
    A preferred name (`WRAPPER_KEYS`) wins over the first such key. Scans the first `scan`
    characters only, string-aware."""
    found: list[tuple[str, int]] = []
    depth = 0
    in_str = esc = False
    key_start = -1
    last_key: str | None = None
    start = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    i = start
    end = min(len(text), scan)
    while i < end:
        ch = text[i]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
                if depth == 1:
                    last_key = text[key_start + 1:i]
        elif ch == '"':
            in_str, key_start = True, i
        elif ch in "{[":
            if ch == "[" and depth == 1 and last_key is not None:
                rest = text[i + 1:i + 4096].lstrip()
                if rest.startswith("{"):
                    found.append((last_key, i))
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                break
        elif ch == "," and depth == 1:
            last_key = None
        i += 1
    if not found:
        return None
    for key, pos in found:
        if key in WRAPPER_KEYS:
            return key, pos
    return found[0]


def sse_payload(line: str) -> str | None:
    """The JSON text of an SSE `data:` line, None for any other line and for `[DONE]`."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    return None if payload == "[DONE]" or not payload else payload


def parse_json_records(text: str, limit: int = 50, layout: JsonLayout | None = None) -> list[dict[str, Any]]:
    """The first JSON objects of a file's head in any layout (lenient: broken records are
    ignored here; the loader rejects them with a reason)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    layout = layout or json_layout(text)
    records: list[dict[str, Any]] = []
    if layout in ("array", "values"):
        decoder = json.JSONDecoder()
        pos = 1 if layout == "array" else 0
        while len(records) < limit:
            while pos < len(stripped) and stripped[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(stripped) or stripped[pos] == "]":
                break
            try:
                obj, pos = decoder.raw_decode(stripped, pos)
            except (json.JSONDecodeError, RecursionError):
                break
            if isinstance(obj, dict):
                records.append(obj)
        return records
    for line in stripped.splitlines():
        if len(records) >= limit:
            break
        line = line.strip()
        if layout == "sse":
            line = sse_payload(line) or ""
        elif layout == "prefixed":
            line = prefix_json(line) or ""
        if not line:
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue  # broken, or nested deeper than Python parses: the loader decides
        if isinstance(obj, dict):
            records.append(obj)
    return records
