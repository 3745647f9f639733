"""Quality evidence: an eval file loaded into DuckDB, and the quality arithmetic of the route and
cascade levers (before and after, a 95 % interval from the sample size, and how sure we are).

An eval file (`quality_eval:` in llmcost.yaml, or `--eval FILE`) is CSV (a header line first) or
JSON Lines, in one of two shapes:
- per request: `prompt_hash` (or `call_id`), `model`, `score` from 0 to 1, optionally
  `output_tokens` (the answer's length on that model) and `task_type`. A row scores one request
  on one model; it meets a logged call with the same prompt_hash (or call_id). A file with both
  key columns is keyed by `call_id`.
- per task: `task_type`, `model`, `score` from 0 to 1 and `n`, the number of examples the score
  was measured on (without `n` there is no interval). The score is read as the share of the
  task's examples the model got right (a pass rate).
A score may be written `true` / `false` (1 / 0). Repeated rows for the same request (or task) and
model are averaged (per task: weighted by `n`).

Evidence and the `confidence` it earns:
- `measured`: every call in scope has a per-request score on every model the figure needs;
- `estimated`: some calls take their task type's sample (per-task rows; per-request rows of the
  task, placed in a task by their own `task_type` or by the logged call they meet; the log's
  `quality` column of the task's calls on that model);
- `assumed`: a call in scope has no evidence at all; the quality figures are then null.

95 % intervals:
- a mean of per-request scores that are all 0 or 1, and a task's pass rate over `n` examples:
  the Wilson score interval for a proportion (for graded scores in [0, 1], whose variance is at
  most p(1 − p), it is conservative);
- a mean of graded per-request scores: the normal approximation with the sample standard
  deviation (mean ± 1.96 s / √n);
- a figure made of several samples (measured calls and task estimates, or several task types):
  the normal approximation stratified by sample, var = Σ (share of calls)² × var(sample mean).

The tables are TEMP (`EVAL_RAW`, `EVAL_REQUESTS`, `EVAL_TASKS`); reading the file is a tokenizer
pass in Python (exact line numbers for errors), every check and aggregate is SQL.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcost.errors import ConfigError, InputFileError, LlmcostError
from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import MODEL_MAP
from llmcost.sql_quoting import sql_str
from llmcost.store import Store
from llmcost.yaml_schema import decode_text

EVAL_RAW = "llmcost_eval_raw"
EVAL_REQUESTS = "llmcost_eval_requests"  # key, model_key, score, output_tokens, task_type
EVAL_TASKS = "llmcost_eval_tasks"  # task_type, model_key, mean, n, var, is_binary, source
Z95 = 1.959963984540054
COLUMNS = ("call_id", "prompt_hash", "task_type", "model", "score", "n", "output_tokens")
SHAPES_HINT = ("An eval file is CSV (with a header) or JSON Lines with, per request, prompt_hash (or "
               "call_id), model, score (0–1) and optionally output_tokens, task_type; or, per task, "
               "task_type, model, score (0–1) and n (the examples scored). See docs/config.md.")
MAX_TOKENS = 1_000_000_000
ORDER = {"measured": 0, "estimated": 1, "assumed": 2}


def weakest(*labels: str) -> str:
    """The least sure of some confidence labels."""
    return max(labels, key=lambda x: ORDER[x]) if labels else "assumed"


# ---------------------------------------------------------------------------------------- loading

@dataclass
class Sample:
    """A task type's evidence on one model: mean score, examples (None: not given), variance of
    one score (None: unknown), whether every score is 0 or 1, and where it came from."""

    mean: float
    n: int | None
    var: float | None
    binary: bool | None
    source: str


@dataclass
class Evidence:
    """The quality evidence in scope, loaded into the TEMP tables."""

    shown: str | None  # how messages name the eval file (None: the log's quality column only)
    kind: str | None  # "request" | "task" | None (no eval file)
    key: str | None  # the log column a per-request row meets: "call_id" | "prompt_hash"
    rows: int = 0
    samples: dict[tuple[str, str], Sample] = field(default_factory=dict)  # (task, model key)
    request_models: set[str] = field(default_factory=set)  # model keys with per-request scores

    @property
    def has_requests(self) -> bool:
        return self.kind == "request"

    def describe(self) -> str:
        if self.shown is None:
            return "the log's quality column"
        return f"{self.shown} ({'per request, by ' + str(self.key) if self.has_requests else 'per task'})"

    def sample(self, task: str | None, model_key: str) -> Sample | None:
        return self.samples.get((task or "", model_key))


def _error(origin: str) -> type[LlmcostError]:
    return ConfigError if origin != "--eval" else InputFileError


def _read_rows(path: Path, shown: str, err: type[LlmcostError]) -> tuple[list[str], list[dict[str, Any]]]:
    """(header names, rows as {column: text, "_line": n}): CSV or JSON Lines, by the file name's
    ending, else by the first character ({ means JSON Lines)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise err(f"{shown} cannot be read: {e.strerror}.", SHAPES_HINT) from None
    text = decode_text(data, shown, err, SHAPES_HINT)
    suffix = path.suffix.lower()
    head = text.lstrip()[:1]
    if suffix in (".jsonl", ".ndjson", ".json") or (suffix != ".csv" and head in ("{", "[")):
        return _read_jsonl(text, shown, err)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    if suffix != ".csv" and "," not in first:
        raise err(f"{shown} is neither CSV (a header line with commas) nor JSON Lines (one object a "
                  f"line): it starts {first[:60]!r}.", SHAPES_HINT)
    return _read_csv(text, shown, err)


def _read_csv(text: str, shown: str, err: type[LlmcostError]) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        start = 1
        for rec in reader:
            line, start = start, reader.line_num + 1
            if not rec or all(not v.strip() for v in rec):
                continue
            if not header:
                header = [h.strip().lower() for h in rec]
                continue
            if len(rec) > len(header):
                raise err(f"{shown} line {line}: {len(rec)} fields, but the header has {len(header)} "
                          f"({', '.join(header)}).", SHAPES_HINT)
            row: dict[str, Any] = dict(zip(header, rec, strict=False))
            row["_line"] = line
            rows.append(row)
    except csv.Error as e:
        raise err(f"{shown} line {reader.line_num}: not readable as CSV: {e}.", SHAPES_HINT) from None
    return header, rows


def _read_jsonl(text: str, shown: str, err: type[LlmcostError]) -> tuple[list[str], list[dict[str, Any]]]:
    header: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as e:
            raise err(f"{shown} line {i}: not a JSON object ({e}).",
                      "JSON Lines: one object a line, e.g. {\"prompt_hash\": \"a1\", \"model\": "
                      "\"gpt-4o-mini\", \"score\": 1}. " + SHAPES_HINT) from None
        if not isinstance(obj, dict):
            raise err(f"{shown} line {i}: expected a JSON object, found {type(obj).__name__}.", SHAPES_HINT)
        row: dict[str, Any] = {"_line": i}
        for k, v in obj.items():
            name = str(k).strip().lower()
            header.setdefault(name, None)
            if isinstance(v, dict | list):
                raise err(f"{shown} line {i}: `{k}` holds a {type(v).__name__}, not a value.", SHAPES_HINT)
            row[name] = None if v is None else ("true" if v is True else "false" if v is False else str(v))
        rows.append(row)
    return list(header), rows


def load_evidence(store: Store, book: PriceBook, path: str | None, origin: str, base: str) -> Evidence | None:
    """Load the eval file at `path` (named in messages as `origin`: "--eval", or the config's
    key) into the TEMP tables, and the task samples of the log's quality column of `base`. None
    when there is neither."""
    con = store.con
    ev: Evidence | None = None
    for t in (EVAL_RAW, EVAL_REQUESTS, EVAL_TASKS):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    if path:
        ev = _load_file(store, book, Path(path).expanduser(), origin, base)
    has_log_quality = store.query(f"SELECT count(*) FILTER (WHERE quality IS NOT NULL) FROM {base}")[0][0]
    if ev is None and not has_log_quality:
        return None
    if ev is None:
        ev = Evidence(None, None, None)
        con.execute(f"""CREATE TEMP TABLE {EVAL_TASKS} (task_type VARCHAR, model_key VARCHAR, mean DOUBLE,
                        n BIGINT, var DOUBLE, is_binary BOOLEAN, source VARCHAR)""")
    if has_log_quality:
        # the log's quality column: task samples of the logged model, where the eval file has none
        con.execute(f"""
            INSERT INTO {EVAL_TASKS}
            SELECT * FROM (
                SELECT b.task_type, coalesce(mm.model_id, b.model) AS model_key, avg(b.quality), count(*),
                       var_samp(b.quality), bool_and(b.quality IN (0, 1)), 'the log''s quality column'
                FROM {base} b LEFT JOIN {MODEL_MAP} mm ON mm.model = b.model
                WHERE b.quality IS NOT NULL AND b.task_type IS NOT NULL AND b.model IS NOT NULL
                  AND b.quality BETWEEN 0 AND 1
                GROUP BY 1, 2) q
            WHERE NOT EXISTS (SELECT 1 FROM {EVAL_TASKS} e WHERE e.task_type = q.task_type
                              AND e.model_key = q.model_key)""")
    for t, mk, mean, n, var, binary, source in store.query(f"SELECT * FROM {EVAL_TASKS}"):
        ev.samples[(t, mk)] = Sample(float(mean), int(n) if n is not None else None,
                                     float(var) if var is not None else None, binary, source)
    return ev


def _load_file(store: Store, book: PriceBook, path: Path, origin: str, base: str) -> Evidence:
    err = _error(origin)
    shown = f"{origin} {path}" if origin == "--eval" else f"{origin}: {path}"
    if not path.is_file():
        raise err(f"{shown}: no such file.", SHAPES_HINT)
    header, rows = _read_rows(path, shown, err)
    key = "call_id" if "call_id" in header else "prompt_hash" if "prompt_hash" in header else None
    missing = [c for c in ("model", "score") if c not in header]
    if key is None and "task_type" not in header:
        missing.insert(0, "prompt_hash (or call_id, or task_type for per-task rows)")
    if missing:
        raise err(f"{shown}: no column {', '.join(missing)} in the header "
                  f"({', '.join(header) or 'the file is empty'}).", SHAPES_HINT)
    if not rows:
        raise err(f"{shown}: a header and no rows: nothing scored.", SHAPES_HINT)
    kind = "request" if key else "task"
    import pyarrow as pa

    cols = {"line": pa.array([r["_line"] for r in rows], pa.int64())}
    for c in ("model", "score", "n", "output_tokens", "task_type"):
        cols[c] = pa.array([r.get(c) for r in rows], pa.string())
    cols["key"] = pa.array([r.get(key) for r in rows] if key else [None] * len(rows), pa.string())
    upload = pa.table(cols)
    con = store.con
    con.register("llmcost_eval_upload", upload)
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {EVAL_RAW} AS
            SELECT line, nullif(trim(key), '') AS key, nullif(trim(model), '') AS model,
                   nullif(trim(task_type), '') AS task_type, score AS score_text, n AS n_text,
                   output_tokens AS out_text,
                   CASE lower(trim(score)) WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0
                        ELSE TRY_CAST(trim(score) AS DOUBLE) END AS score,
                   TRY_CAST(trim(n) AS DOUBLE) AS n,
                   TRY_CAST(trim(output_tokens) AS DOUBLE) AS output_tokens
            FROM llmcost_eval_upload""")
    finally:
        con.unregister("llmcost_eval_upload")
    _check_rows(store, shown, kind, key, err)
    keys = _model_keys(store, book)
    if kind == "request":
        # a request's task: its own task_type, else the task of the logged calls it meets
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {EVAL_REQUESTS} AS
            WITH logged AS (SELECT {key} AS key, mode(task_type) AS t FROM {base}
                            WHERE {key} IS NOT NULL AND task_type IS NOT NULL GROUP BY 1)
            SELECT r.key, r.model_key, r.score, r.output_tokens, coalesce(r.task_type, l.t) AS task_type
            FROM (SELECT r.key, k.model_key, avg(r.score) AS score,
                         CAST(round(avg(r.output_tokens)) AS BIGINT) AS output_tokens,
                         any_value(r.task_type) AS task_type
                  FROM {EVAL_RAW} r JOIN ({keys}) k USING (model) GROUP BY 1, 2) r
            LEFT JOIN logged l USING (key)""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {EVAL_TASKS} AS
            SELECT task_type, model_key, avg(score) AS mean, count(*) AS n, var_samp(score) AS var,
                   bool_and(score IN (0, 1)) AS is_binary, 'eval file, per request' AS source
            FROM {EVAL_REQUESTS} WHERE task_type IS NOT NULL GROUP BY 1, 2""")
        models = {m for (m,) in store.query(f"SELECT DISTINCT model_key FROM {EVAL_REQUESTS}")}
    else:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {EVAL_TASKS} AS
            SELECT r.task_type, k.model_key,
                   CASE WHEN count(r.n) = count(*) THEN sum(r.score * r.n) / sum(r.n) ELSE avg(r.score) END AS mean,
                   CASE WHEN count(r.n) = count(*) THEN CAST(sum(r.n) AS BIGINT) END AS n,
                   CAST(NULL AS DOUBLE) AS var, CAST(NULL AS BOOLEAN) AS is_binary,
                   'eval file, per task' AS source
            FROM {EVAL_RAW} r JOIN ({keys}) k USING (model) GROUP BY 1, 2""")
        models = set()
    return Evidence(shown, kind, key, len(rows), request_models=models)


def _check_rows(store: Store, shown: str, kind: str, key: str | None, err: type[LlmcostError]) -> None:
    """The first line that breaks the shape, as one error naming it."""
    need = ("key IS NULL", f"no {key}") if kind == "request" else ("task_type IS NULL", "no task_type")
    bad = store.query(f"""
        SELECT line, CASE
            WHEN {need[0]} THEN {sql_str(need[1])}
            WHEN model IS NULL THEN 'no model'
            WHEN score IS NULL OR isnan(score) OR score < 0 OR score > 1 THEN
                 'the score ' || coalesce('''' || score_text || '''', '(empty)') || ' is not a number from 0 to 1'
            WHEN nullif(trim(n_text), '') IS NOT NULL AND (n IS NULL OR isnan(n) OR n < 1 OR n <> floor(n)
                 OR n > {MAX_TOKENS}) THEN 'n ''' || n_text || ''' is not a whole number of examples (1 or more)'
            WHEN nullif(trim(out_text), '') IS NOT NULL AND (output_tokens IS NULL OR isnan(output_tokens)
                 OR output_tokens < 0 OR output_tokens <> floor(output_tokens) OR output_tokens > {MAX_TOKENS})
                 THEN 'output_tokens ''' || out_text || ''' is not a whole number of tokens'
            END AS problem
        FROM {EVAL_RAW} WHERE problem IS NOT NULL ORDER BY line LIMIT 1""")
    if bad:
        line, problem = bad[0]
        raise err(f"{shown} line {line}: {problem}.", SHAPES_HINT)


def _model_keys(store: Store, book: PriceBook) -> str:
    """SQL: each model name of the eval file -> its price-book id (any alias resolves), else
    the name as written. A handful of names, resolved once each."""
    names = [m for (m,) in store.query(f"SELECT DISTINCT model FROM {EVAL_RAW}")]
    rows = []
    for name in names:
        resolved = book.resolve(name)
        rows.append(f"({sql_str(name)}, {sql_str(resolved[0] if resolved else name)})")
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS t(model, model_key)"


# -------------------------------------------------------------------------------- the arithmetic

def wilson(p: float, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion p seen on n examples."""
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def normal(mean: float, var_of_mean: float) -> tuple[float, float]:
    half = Z95 * math.sqrt(max(var_of_mean, 0.0))
    return max(0.0, mean - half), min(1.0, mean + half)


@dataclass
class Part:
    """Calls of one figure with one kind of evidence: `measured` calls with their scores summed
    (`total`, `squares`: the mean and sample variance come from them), or `estimated` calls that
    take a sample's mean (`mean`, over `n` examples, `var` of one score when known)."""

    calls: int
    kind: str  # measured | estimated
    mean: float
    n: int | None
    var: float | None  # variance of ONE score (None: unknown; a proportion's p(1-p) is used)
    binary: bool


def measured_part(calls: int, total: float, squares: float, binary: bool) -> Part:
    mean = total / calls
    var = (squares - calls * mean * mean) / (calls - 1) if calls > 1 else None
    return Part(calls, "measured", mean, calls, max(var, 0.0) if var is not None else None, binary)


@dataclass
class Figure:
    """One quality figure (before or after) with its 95 % interval and how it was made."""

    value: float | None
    ci: tuple[float, float] | None
    method: str | None
    n: int | None  # examples behind it (the sample of a single part; None when stratified)


def combine(parts: list[Part]) -> Figure:
    """The call-weighted mean of the parts and its 95 % interval (see the module docstring)."""
    parts = [p for p in parts if p.calls > 0]
    calls = sum(p.calls for p in parts)
    if not calls:
        return Figure(None, None, None, None)
    value = sum(p.calls * p.mean for p in parts) / calls
    if len(parts) == 1:
        p = parts[0]
        if p.n is None:
            return Figure(value, None, "no interval: the eval file gives no sample size n", None)
        if p.binary or (p.kind == "estimated" and p.var is None):
            return Figure(value, wilson(p.mean, p.n), f"95 % Wilson interval, n = {p.n:,}", p.n)
        if p.var is None:
            return Figure(value, None, "no interval: a single graded score", p.n)
        return Figure(value, normal(p.mean, p.var / p.n),
                      f"95 % normal interval (mean ± 1.96 s/√n), n = {p.n:,}", p.n)
    var = 0.0
    for p in parts:
        if p.n is None:
            return Figure(value, None, "no interval: a task sample in the eval file gives no size n", None)
        one = p.var if p.var is not None and not p.binary else p.mean * (1 - p.mean)
        var += (p.calls / calls) ** 2 * one / p.n
    return Figure(value, normal(value, var),
                  f"95 % normal interval stratified over {len(parts)} samples "
                  f"({', '.join(f'n = {p.n:,}' for p in parts[:4])}{', …' if len(parts) > 4 else ''})", None)


@dataclass
class Quality:
    """A lever's quality before and after, over the calls it changes, and by task type."""

    before: Figure
    after: Figure
    confidence: str  # measured | estimated | assumed (then the figures are None)
    calls: int
    missing: list[str] = field(default_factory=list)  # what lacks evidence, in words
    by_task: dict[str, dict[str, Any]] = field(default_factory=dict)
    what: str = "score"  # what a score means, for the sentence

    def lines(self, lever: str) -> list[str]:
        """The assumption lines that print the figures beside the saving."""
        if self.confidence == "assumed" or self.before.value is None or self.after.value is None:
            if not self.calls:
                return []
            gaps = "; ".join(self.missing[:4]) + (" …" if len(self.missing) > 4 else "")
            return [f"quality not known for {self.calls:,} calls: no eval score for {gaps}"]

        def show(f: Figure) -> str:
            ci = f" [{100 * f.ci[0]:.1f}–{100 * f.ci[1]:.1f} %]" if f.ci else ""
            return f"{100 * (f.value or 0):.1f} %{ci}"

        method = self.after.method or self.before.method or ""
        return [f"quality ({self.confidence}, mean {self.what} 0–1 over {self.calls:,} calls): "
                f"{show(self.before)} before → {show(self.after)} with the {lever}"
                + (f"; {method}" if method else "")]

    def as_dict(self) -> dict[str, Any]:
        known = self.confidence != "assumed"
        return {
            "quality_before": self.before.value if known else None,
            "quality_after": self.after.value if known else None,
            "quality_before_ci95": list(self.before.ci) if known and self.before.ci else None,
            "quality_after_ci95": list(self.after.ci) if known and self.after.ci else None,
            "quality_interval": (self.after.method or self.before.method) if known else None,
            "quality_confidence": self.confidence,
            "quality_calls": self.calls,
            "quality_by_task_type": self.by_task,
        }


@dataclass
class _Side:
    """The parts of one figure set (all calls, or one task type's)."""

    before: list[Part] = field(default_factory=list)
    after: list[Part] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def add(self, kind: str, before: Part | None = None, after: Part | None = None) -> None:
        self.kinds.append(kind)
        if before is not None and after is not None:
            self.before.append(before)
            self.after.append(after)


def summarise(groups: list[dict[str, Any]], estimate: Any) -> Quality:
    """Per group of calls (task type and the models before/after), `measured` calls come with
    their score sums; the rest take `estimate(group) -> (before Sample, after Sample) | None`."""
    everything = _Side()
    tasks: dict[str, _Side] = {}
    missing: list[str] = []
    calls = 0
    for g in groups:
        calls += g["calls"]
        t = g["task_type"] or "(no task type)"
        sides = (everything, tasks.setdefault(t, _Side()))
        m = g["measured"]
        if m:
            pb = measured_part(m, g["b_sum"], g["b_sq"], bool(g["binary"]))
            pa = measured_part(m, g["a_sum"], g["a_sq"], bool(g["binary"]))
            for side in sides:
                side.add("measured", pb, pa)
        rest = g["calls"] - m
        if not rest:
            continue
        est = estimate(g)
        if est is None:
            for side in sides:
                side.add("assumed")
            missing.append(g.get("gap") or t)
            continue
        sb, sa = est
        eb = Part(rest, "estimated", sb.mean, sb.n, sb.var, bool(sb.binary))
        ea = Part(rest, "estimated", sa.mean, sa.n, sa.var, bool(sa.binary))
        for side in sides:
            side.add("estimated", eb, ea)
    by_task = {}
    for t, side in sorted(tasks.items()):
        c = weakest(*side.kinds)
        known = c != "assumed"
        by_task[t] = {"quality_before": combine(side.before).value if known else None,
                      "quality_after": combine(side.after).value if known else None,
                      "quality_confidence": c}
    confidence = weakest(*everything.kinds)
    if confidence == "assumed":
        none = Figure(None, None, None, None)
        return Quality(none, none, "assumed", calls, sorted(set(missing)), by_task)
    return Quality(combine(everything.before), combine(everything.after), confidence, calls, [], by_task)


def floor_check(ev: Evidence | None, task: str, model_key: str, floor: float | None) -> str | None:
    """Why routing `task` to `model_key` breaks the task's quality floor (its sample mean is
    below it), or None (no floor, no evidence, or at or above it)."""
    if ev is None or floor is None:
        return None
    s = ev.sample(task, model_key)
    if s is None or s.mean >= floor:
        return None
    size = f", n = {s.n:,}" if s.n else ""
    return f"{task}: {model_key} scores {s.mean:.2f} ({s.source}{size}), below its quality_floor {floor:g}"


def samples_note(ev: Evidence, tasks: list[str]) -> str | None:
    """The task samples of `tasks`, in one sentence (for the route's assumptions)."""
    notes = []
    for t in tasks:
        found = sorted((mk, s) for (tt, mk), s in ev.samples.items() if tt == t)
        if found:
            notes.append(f"{t}: " + ", ".join(f"{mk} {s.mean:.2f}" + (f" (n = {s.n:,})" if s.n else "")
                                               for mk, s in found))
    if not notes:
        return None
    return f"quality evidence (mean score 0–1, from {ev.describe()}): " + "; ".join(notes)


# ------------------------------------------------------------------------------------ route quality

def score_joins(ev: Evidence, alias: str, row: str, model_sql: str) -> tuple[str, str]:
    """(LEFT JOIN, score column SQL): the per-request score of the call `row` on the model whose
    key is `model_sql`; NULL without per-request evidence."""
    if not ev.has_requests:
        return "", "CAST(NULL AS DOUBLE)"
    return (f"LEFT JOIN {EVAL_REQUESTS} {alias} ON {alias}.key = {row}.{ev.key} "
            f"AND {alias}.model_key = {model_sql}", f"{alias}.score")


@dataclass
class QualitySpec:
    """What the runner needs to put quality figures on a lever's result: a grouped query over
    the lever's input `{prev}` and output `{rel}` relations, and how to read its rows."""

    sql: str
    evidence: Evidence | None
    lever: str
    estimate_kind: str  # "route" | "cascade"
    extra: dict[str, Any] = field(default_factory=dict)

    def figures(self, groups: list[dict[str, Any]]) -> Quality:
        if self.estimate_kind == "route":
            return summarise(groups, self._route_estimate)
        return summarise(groups, self.extra["estimate"])

    def _route_estimate(self, g: dict[str, Any]) -> tuple[Sample, Sample] | None:
        ev = self.evidence
        sb = ev.sample(g["task_type"], g["m_from"]) if ev else None
        sa = ev.sample(g["task_type"], g["m_to"]) if ev else None
        if sb is None or sa is None:
            g["gap"] = f"{g['task_type'] or '(no task type)'} on " + " and ".join(
                m for m, s in ((g["m_from"], sb), (g["m_to"], sa)) if s is None)
            return None
        return sb, sa


GROUP_COLUMNS = ["task_type", "m_from", "m_to", "calls", "measured", "b_sum", "b_sq", "a_sum", "a_sq", "binary"]


def route_quality(ev: Evidence) -> QualitySpec:
    """Quality of the calls a route moved: their score on the model they left and on the one
    they moved to."""
    jb, sb = score_joins(ev, "qb", "p", "coalesce(mb.model_id, p.model)")
    ja, sa = score_joins(ev, "qa", "r", "coalesce(ma.model_id, r.model)")
    sql = f"""
        WITH moved AS (
            SELECT p.task_type, coalesce(mb.model_id, p.model) AS m_from, coalesce(ma.model_id, r.model) AS m_to,
                   {sb} AS _b, {sa} AS _a
            FROM {{rel}} r JOIN {{prev}} p ON p.call_id = r.call_id
            LEFT JOIN {MODEL_MAP} mb ON mb.model = p.model
            LEFT JOIN {MODEL_MAP} ma ON ma.model = r.model
            {jb} {ja}
            WHERE r.t_route)
        SELECT {_group_select('_b', '_a')} FROM moved GROUP BY ALL ORDER BY ALL"""
    return QualitySpec(sql, ev, "route", "route")


def _group_select(b: str, a: str) -> str:
    both = f"{b} IS NOT NULL AND {a} IS NOT NULL"
    return (f"task_type, m_from, m_to, count(*) AS calls, count(*) FILTER (WHERE {both}) AS measured, "
            f"sum({b}) FILTER (WHERE {both}) AS b_sum, sum({b} * {b}) FILTER (WHERE {both}) AS b_sq, "
            f"sum({a}) FILTER (WHERE {both}) AS a_sum, sum({a} * {a}) FILTER (WHERE {both}) AS a_sq, "
            f"coalesce(bool_and({b} IN (0, 1) AND {a} IN (0, 1)) FILTER (WHERE {both}), false) AS binary")


def apply_quality(store: Store, spec: QualitySpec, prev: str, rel: str, result: Any) -> None:
    """Put the quality figures on a step's result (the runner calls this after pricing the step):
    run the spec's grouped query on the step's input and output, print the figures among the
    assumptions, and — for a route, whose saving is certain once tokens carry over — let the
    quality evidence set the confidence. A cascade also gets its `escalated_share`."""
    names = GROUP_COLUMNS + spec.extra.get("columns", [])
    rows = store.query(spec.sql.replace("{prev}", prev).replace("{rel}", rel))
    groups = [dict(zip(names, r, strict=True)) for r in rows]
    q = spec.figures(groups)
    result.quality = q
    kept = result.assumptions
    if q.confidence != "assumed":  # the route's "quality NOT measured" warning gives way to the figures
        kept = [a for a in kept if not a.startswith("answer quality on the cheaper model is NOT measured")]
    result.assumptions = [*kept, *q.lines(spec.lever)]
    if spec.lever == "route" and q.calls:
        result.confidence = q.confidence
    if spec.lever == "cascade":
        calls = sum(g["calls"] for g in groups)
        esc = sum(g["escalated"] for g in groups)
        result.metrics = {**result.metrics, "escalated_share": esc / calls if calls else None}
        result.metrics["escalated_calls"] = esc
        # what each call's escalation rests on: its own score, its task's rate, the assumed rate
        for k, name in (("by_score", "calls_by_request_score"), ("by_task_rate", "calls_by_task_rate"),
                        ("by_assumed_rate", "calls_by_assumed_rate")):
            result.metrics[name] = sum(g[k] for g in groups)
