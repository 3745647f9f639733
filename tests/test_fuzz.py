"""Property-based tests of ingestion (hypothesis): random valid logs keep their tokens, cost is
additive over files, random broken records are rejected with a reason and never crash a load.

Every generator returns records in a provider's own shape together with the canonical counts the
provider's accounting rule gives (DESIGN §3): OpenAI and Gemini prompt counts include cached
tokens, Anthropic's and Claude Code's exclude cache reads and writes, Gemini thoughts and tool-use
prompt tokens sit outside candidates / prompt. The test recomputes the expected totals from those
numbers, never from llmcost.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, localcontext
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.ingest.load import FileResult
from llmcost.pricing.book import PriceBook, load_book
from llmcost.pricing.engine import cost_total_sql, load_model_map, load_price_tables, priced_sql
from llmcost.store import Store, connect, open_store
from tests.conftest import token_totals

# LLMCOST_FUZZ=10 runs ten times the examples (a longer hunt; the default keeps the file ~30 s)
SCALE = float(os.environ.get("LLMCOST_FUZZ", "1"))


def fuzz(examples: int) -> settings:
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------------------------------------
# shared pieces


@cache
def book() -> PriceBook:
    return load_book()


@dataclass
class Expected:
    """What a set of records should become: canonical totals and the row accounting."""

    calls: int = 0
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    rejected: int = 0
    duplicate: int = 0
    skipped: int = 0
    times: list[datetime] = field(default_factory=list)  # UTC call times of loaded calls
    labels: list[str] = field(default_factory=list)  # feature labels stored exactly as written

    def add_call(self, inp: int, read: int, write: int, out: int, ts: datetime | None = None) -> None:
        self.calls += 1
        self.input += inp
        self.cache_read += read
        self.cache_write += write
        self.output += out
        if ts is not None:
            self.times.append(ts)

    def __add__(self, other: Expected) -> Expected:
        return Expected(*(getattr(self, k) + getattr(other, k) for k in (
            "calls", "input", "cache_read", "cache_write", "output", "rejected", "duplicate",
            "skipped")), times=self.times + other.times, labels=self.labels + other.labels)

    @property
    def rows(self) -> int:
        return self.calls + self.rejected + self.duplicate + self.skipped

    def totals(self) -> dict[str, int]:
        return {"calls": self.calls, "input": self.input, "cache_read": self.cache_read,
                "cache_write": self.cache_write, "output": self.output}


@dataclass
class Log:
    """A generated log file: its text and what it should load as."""

    name: str  # file name (the suffix picks the reader)
    text: str
    expected: Expected


def load(tmp: Path, log: Log, source: str | None = None,
         store: Store | None = None) -> tuple[Store, FileResult]:
    path = tmp / log.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(log.text, encoding="utf-8")
    s = store or open_store(":memory:")
    result = ingest_files(s, [str(path)], IngestOptions(source=source)).files[0]
    return s, result


def check_accounting(result: FileResult, exp: Expected) -> None:
    got = (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_duplicate,
           result.rows_skipped)
    assert got == (exp.rows, exp.calls, exp.rejected, exp.duplicate, exp.skipped), result
    assert result.rows_read == (result.rows_loaded + result.rows_rejected + result.rows_duplicate
                                + result.rows_skipped)


def check_loaded(store: Store, result: FileResult, exp: Expected) -> None:
    check_accounting(result, exp)
    assert token_totals(store) == exp.totals()
    if exp.times:
        stored = sorted(r[0] for r in store.query("SELECT ts FROM calls WHERE ts IS NOT NULL"))
        assert stored == sorted(t.astimezone(UTC).replace(tzinfo=None) for t in exp.times)
    if exp.labels:  # text from the log comes back byte for byte (quotes, commas, newlines…)
        stored_labels = Counter(r[0] for r in store.query("SELECT feature FROM calls"))
        assert not Counter(exp.labels) - stored_labels, (exp.labels, stored_labels)
    rejects = store.query("SELECT reason FROM rejects")
    assert len(rejects) == exp.rejected
    assert all(r[0] and r[0].strip() for r in rejects)


@cache
def pricer() -> duckdb.DuckDBPyConnection:
    """One connection holding the price tables (building them takes ~0.3 s: once per run)."""
    con = connect()
    load_price_tables(con, book())
    return con


def priced_totals(paths: list[Path]) -> list[Decimal]:
    """sum(cost) of every call of each store file, through the one pricing function
    (`priced_sql`, `cost_total_sql`); unpriced calls are NULL and add nothing."""
    con = pricer()
    names = [f"s{i}" for i in range(len(paths))]
    for name, path in zip(names, paths, strict=True):
        con.execute(f"ATTACH '{path}' AS {name} (READ_ONLY)")
    try:
        union = " UNION ALL ".join(f"SELECT model FROM {n}.calls" for n in names)
        load_model_map(con, book(), f"({union})")
        out = []
        for name in names:
            value = con.execute(
                f"SELECT sum({cost_total_sql()}) FROM ({priced_sql(name + '.calls')})").fetchall()[0][0]
            out.append(Decimal(0) if value is None else Decimal(value))
        return out
    finally:
        for name in names:
            con.execute(f"DETACH {name}")


# ---------------------------------------------------------------------------------------------
# strategies for the pieces of a record

ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)),
         timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]

instants = st.datetimes(min_value=datetime(2026, 1, 2), max_value=datetime(2026, 11, 28),
                        timezones=st.sampled_from(ZONES)).map(lambda d: d.replace(microsecond=0))


def time_text(d: datetime, style: str) -> str | int:
    """A call time written one of the ways logs write it."""
    utc = d.astimezone(UTC)
    if style == "iso_offset":
        return d.isoformat()
    if style == "iso_z":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive_utc":
        return utc.strftime("%Y-%m-%d %H:%M:%S")
    if style == "epoch_s":
        return int(utc.timestamp())
    assert style == "epoch_ms"
    return int(utc.timestamp()) * 1000


time_styles = st.sampled_from(["iso_offset", "iso_z", "naive_utc", "epoch_s", "epoch_ms"])

small = st.integers(0, 5_000)
# most counts small, some up to the loader's plausibility limit (1e9 per column)
counts = st.one_of(small, small, st.integers(0, 300_000_000))
# free text labels: any unicode, quotes, commas, backslashes, tabs and newlines (quoted in CSV)
labels = st.one_of(st.none(), st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\r\t"),
                                               max_size=12))


@st.composite
def part_of(draw: st.DrawFn, total: int) -> int:
    return draw(st.integers(0, total))


# ---------------------------------------------------------------------------------------------
# valid records per format: (record, expected counts)


@st.composite
def generic_calls(draw: st.DrawFn, convention: str, tag: str, n: int) -> tuple[list[dict[str, Any]], Expected]:
    models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro",
              "my-private-model"]
    rows: list[dict[str, Any]] = []
    exp = Expected()
    for i in range(n):
        when = draw(instants)
        row: dict[str, Any] = {"timestamp": time_text(when, draw(time_styles)),
                               "model": draw(st.sampled_from(models)),
                               "feature": draw(labels), "request_id": f"{tag}-{i}"}
        out = draw(counts)
        if convention == "openai":  # prompt count includes cached tokens
            prompt = draw(counts)
            cached = draw(part_of(prompt))
            row |= {"prompt_tokens": prompt, "completion_tokens": out, "cached_tokens": cached}
            exp.add_call(prompt, cached, 0, out, when)
        else:  # Anthropic's names: input_tokens excludes cache reads and writes
            inp, read, write = draw(counts), draw(counts), draw(counts)
            row |= {"input_tokens": inp, "cache_read_input_tokens": read,
                    "cache_creation_input_tokens": write, "output_tokens": out}
            exp.add_call(inp + read + write, read, write, out, when)
        rows.append(row)
        label = row["feature"]
        if label and label == label.strip() and label.strip(" \t\r\n"):
            exp.labels.append(label)
    return rows, exp


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    # CRLF line ends make the writer quote a field holding a lone \r too (with "\n" it does not,
    # and a bare \r is a line break to CSV readers)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r[c] for c in columns])
    return buf.getvalue()


def jsonl_text(rows: list[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                   for r in rows)


def openai_call(draw: st.DrawFn, i: int, tag: str, exp: Expected) -> dict[str, Any]:
    when = draw(instants)
    prompt, out = draw(counts), draw(counts)
    cached, reasoning = draw(part_of(prompt)), draw(part_of(out))
    model = draw(st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini",
                                  "gpt-4o-2024-08-06", "ft:gpt-4o-mini:acme::x1", "local-llm"]))
    exp.add_call(prompt, cached, 0, out, when)
    epoch = int(when.timestamp())
    if draw(st.booleans()):
        return {"id": f"chatcmpl-{tag}{i}", "object": "chat.completion", "created": epoch,
                "model": model, "choices": [],
                "usage": {"prompt_tokens": prompt, "completion_tokens": out,
                          "total_tokens": prompt + out,
                          "prompt_tokens_details": {"cached_tokens": cached},
                          "completion_tokens_details": {"reasoning_tokens": reasoning}},
                "service_tier": "default"}
    return {"id": f"resp_{tag}{i}", "object": "response", "created_at": epoch,
            "status": draw(st.sampled_from(["completed", "incomplete"])), "model": model,
            "output": [], "usage": {"input_tokens": prompt, "output_tokens": out,
                                    "input_tokens_details": {"cached_tokens": cached},
                                    "output_tokens_details": {"reasoning_tokens": reasoning}}}


def anthropic_call(draw: st.DrawFn, i: int, tag: str, exp: Expected) -> dict[str, Any]:
    when = draw(instants)
    inp, read, write, out = draw(counts), draw(counts), draw(counts), draw(counts)
    usage: dict[str, Any] = {"input_tokens": inp, "cache_read_input_tokens": read,
                             "cache_creation_input_tokens": write, "output_tokens": out}
    if draw(st.booleans()):  # the TTL split, adding up to the total
        w1h = draw(part_of(write))
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": write - w1h,
                                   "ephemeral_1h_input_tokens": w1h}
    exp.add_call(inp + read + write, read, write, out, when)
    model = draw(st.sampled_from(["claude-sonnet-4-5", "claude-haiku-4-5",
                                  "claude-sonnet-4-5-20250929", "claude-unknown-9"]))
    return {"id": f"msg_{tag}{i}", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": "end_turn", "usage": usage,
            "created_at": time_text(when, draw(time_styles))}


@st.composite
def openai_log(draw: st.DrawFn, tag: str) -> tuple[list[Any], Expected]:
    exp = Expected()
    records: list[Any] = [openai_call(draw, i, tag, exp) for i in range(draw(st.integers(1, 12)))]
    if draw(st.booleans()):  # an error body is not a call: skipped
        records.insert(draw(st.integers(0, len(records))),
                       {"error": {"message": "Rate limit", "type": "requests", "code": "429"}})
        exp.skipped += 1
    return records, exp


@st.composite
def anthropic_log(draw: st.DrawFn, tag: str) -> tuple[list[Any], Expected]:
    exp = Expected()
    records: list[Any] = [anthropic_call(draw, i, tag, exp) for i in range(draw(st.integers(1, 12)))]
    if draw(st.booleans()):
        records.insert(draw(st.integers(0, len(records))),
                       {"type": "error", "error": {"type": "overloaded_error", "message": "x"}})
        exp.skipped += 1
    return records, exp


@st.composite
def gemini_log(draw: st.DrawFn, tag: str) -> tuple[list[Any], Expected]:
    """Responses, some streamed as several chunks sharing a responseId with growing usage: the
    largest is the call, the other chunks are duplicates."""
    exp = Expected()
    records: list[Any] = []
    snake = draw(st.booleans())
    for i in range(draw(st.integers(1, 10))):
        when = draw(instants)
        prompt, tool, thoughts = draw(counts), draw(st.one_of(st.just(0), small)), draw(counts)
        cached = draw(part_of(prompt))
        chunks = sorted(draw(st.lists(counts, min_size=1, max_size=3)))
        model = draw(st.sampled_from(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite",
                                      "gemini-9-ultra"]))
        for cand in chunks:
            meta = {"promptTokenCount": prompt}
            # proto3 omits zero counts
            for key, value in (("cachedContentTokenCount", cached), ("candidatesTokenCount", cand),
                               ("thoughtsTokenCount", thoughts), ("toolUsePromptTokenCount", tool)):
                if value:
                    meta[key] = value
            if snake:
                rec = {"usage_metadata": {_snake(k): v for k, v in meta.items()},
                       "model_version": model, "response_id": f"{tag}{i}",
                       "create_time": when.astimezone(UTC).isoformat()}
            else:
                rec = {"candidates": [], "usageMetadata": meta, "modelVersion": model,
                       "responseId": f"{tag}{i}", "createTime": time_text(when, "iso_z")}
            records.append(rec)
        exp.add_call(prompt + tool, cached, 0, chunks[-1] + thoughts, when)
        exp.duplicate += len(chunks) - 1
    return records, exp


def _snake(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


@st.composite
def claude_code_log(draw: st.DrawFn, tag: str) -> tuple[list[Any], Expected]:
    """A transcript: user lines, summaries and `<synthetic>` lines are skipped; an assistant
    message streamed over several lines is one call (the copy with the largest usage)."""
    exp = Expected()
    lines: list[Any] = []
    session = f"sess-{tag}"
    for i in range(draw(st.integers(1, 8))):
        ts = time_text(draw(instants), "iso_z")
        lines.append({"type": "user", "sessionId": session, "uuid": f"u{tag}{i}", "timestamp": ts,
                      "message": {"role": "user", "content": "hello"}})
        exp.skipped += 1
        inp, read, write = draw(counts), draw(counts), draw(counts)
        w1h = draw(part_of(write))
        outs = sorted(draw(st.lists(counts, min_size=1, max_size=3)))
        model = draw(st.sampled_from(["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001",
                                      "claude-opus-4-1-20250805"]))
        for out in outs:
            usage = {"input_tokens": inp, "cache_read_input_tokens": read,
                     "cache_creation_input_tokens": write, "output_tokens": out,
                     "cache_creation": {"ephemeral_5m_input_tokens": write - w1h,
                                        "ephemeral_1h_input_tokens": w1h}}
            lines.append({"type": "assistant", "sessionId": session, "uuid": f"a{tag}{i}-{out}",
                          "timestamp": ts, "requestId": f"req_{tag}{i}",
                          "message": {"id": f"msg_{tag}{i}", "role": "assistant", "model": model,
                                      "usage": usage}})
        exp.add_call(inp + read + write, read, write, outs[-1])
        exp.duplicate += len(outs) - 1
        if draw(st.booleans()):
            lines.append({"type": "assistant", "sessionId": session, "uuid": f"s{tag}{i}",
                          "timestamp": ts, "isApiErrorMessage": True,
                          "message": {"id": f"syn_{tag}{i}", "model": "<synthetic>",
                                      "usage": {"input_tokens": 0, "output_tokens": 0}}})
            exp.skipped += 1
    if draw(st.booleans()):
        lines.insert(0, {"type": "summary", "summary": "Fixing the build", "leafUuid": "leaf-1"})
        exp.skipped += 1
    return lines, exp


# A format: how to draw one log of it (with a tag keeping call ids apart), and how to write
# records (or, for the CSV case, the union of two logs) as one file.
JsonLog = Callable[[str], st.SearchStrategy[tuple[list[Any], Expected]]]
JSON_FORMATS: dict[str, tuple[JsonLog, str]] = {
    "openai": (openai_log, "openai.jsonl"),
    "anthropic": (anthropic_log, "anthropic.jsonl"),
    "gemini": (gemini_log, "gemini.jsonl"),
    "claude_code": (claude_code_log, "projects/-home-dev-app/session.jsonl"),
}

GENERIC_COLUMNS = {
    "openai": ["timestamp", "model", "feature", "request_id", "prompt_tokens", "completion_tokens",
               "cached_tokens"],
    "anthropic": ["timestamp", "model", "feature", "request_id", "input_tokens",
                  "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens"],
}


@st.composite
def generic_pair(draw: st.DrawFn, kind: str) -> tuple[Log, Log, Log]:
    """Two generic logs A and B (CSV or JSONL, one column convention) and their union."""
    convention = draw(st.sampled_from(["openai", "anthropic"]))
    a_rows, a_exp = draw(generic_calls(convention, "a", draw(st.integers(1, 12))))
    b_rows, b_exp = draw(generic_calls(convention, "b", draw(st.integers(1, 12))))
    if kind == "csv":
        cols = GENERIC_COLUMNS[convention]

        def text(rows: list[dict[str, Any]]) -> str:
            return csv_text(rows, cols)
    else:
        def text(rows: list[dict[str, Any]]) -> str:
            return jsonl_text(rows)
    return (Log(f"a.{kind}", text(a_rows), a_exp), Log(f"b.{kind}", text(b_rows), b_exp),
            Log(f"ab.{kind}", text(a_rows + b_rows), a_exp + b_exp))


@st.composite
def json_pair(draw: st.DrawFn, fmt: str) -> tuple[Log, Log, Log]:
    make, name = JSON_FORMATS[fmt]
    a, a_exp = draw(make("a"))
    b, b_exp = draw(make("b"))
    folder = Path(name).parent

    def named(prefix: str) -> str:
        return str(folder / f"{prefix}-{Path(name).name}")
    return (Log(named("a"), jsonl_text(a), a_exp), Log(named("b"), jsonl_text(b), b_exp),
            Log(named("ab"), jsonl_text(a + b), a_exp + b_exp))


def pairs() -> st.SearchStrategy[tuple[str, tuple[Log, Log, Log]]]:
    return st.one_of(
        *[generic_pair(k).map(lambda p, k=k: (f"generic {k}", p)) for k in ("csv", "jsonl")],
        *[json_pair(f).map(lambda p, f=f: (f, p)) for f in JSON_FORMATS],
    )


# ---------------------------------------------------------------------------------------------
# 1. valid logs: totals survive ingestion, and cost is additive


def _expected_adapter(label: str) -> str:
    return "generic" if label.startswith("generic") else label


@fuzz(12)
@given(case=pairs())
def test_valid_logs_keep_their_totals_and_cost_is_additive(case: tuple[str, tuple[Log, Log, Log]]):
    label, (a, b, ab) = case
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        dbs = []
        for log in (a, b, ab):
            db = tmp / f"{Path(log.name).stem}.duckdb"
            store, result = load(tmp, log, store=open_store(str(db)))
            try:
                assert result.adapter == _expected_adapter(label), (label, result)
                check_loaded(store, result, log.expected)
            finally:
                store.close()
            dbs.append(db)
        total_a, total_b, total_ab = priced_totals(dbs)
    with localcontext() as ctx:
        ctx.prec = 80  # exact: DECIMAL(38,21) sums never round here
        assert total_a + total_b == total_ab, (label, total_a, total_b, total_ab)
        assert total_ab >= 0


@fuzz(8)
@given(case=pairs())
def test_reingesting_and_overlapping_files_add_nothing(case: tuple[str, tuple[Log, Log, Log]]):
    """A, then B, then A∪B into one store: the union's calls are all duplicates of A's and B's
    (same call ids), so the totals stay those of A + B; re-reading A adds nothing at all."""
    label, (a, b, ab) = case
    if label.startswith("generic"):
        return  # without provider ids a generic record's id is its file position: not comparable
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store, _ = load(tmp, a)
        try:
            load(tmp, b, store=store)
            _, again = load(tmp, a, store=store)
            assert (again.status, again.rows_loaded) == ("unchanged", 0)
            _, union = load(tmp, ab, store=store)
            assert union.rows_loaded == 0 and union.rows_conflicting == 0
            assert union.balanced()
            assert token_totals(store) == ab.expected.totals()
        finally:
            store.close()


# ---------------------------------------------------------------------------------------------
# 2. broken records: rejected with a reason, never a crash, never a call

BAD_COUNTS: list[Any] = [-1, -5000, "-3", "NaN", "nan", "inf", "-Infinity", 12.5, "0.4",
                         10**12, 10**30, "99999999999999999999999", "lots", "12 tokens", "1,000",
                         "true", "0x", [], {}]
BAD_TIMES: list[Any] = ["not-a-time", "2026-13-45T00:00:00Z", "yesterday", "nan", "inf", "1e400",
                        -1e18, 1e20, "99999-01-01", "1969-12-31T23:59:59Z", "2300-01-01", 20261001, 2026,
                        "2026-10-01T10:00:00+25:00",
                        "10/03/2026", "Tue, 1 Oct 2026 10:00:00 GMT", "2026-10-01T25:61:00"]
garbage_lines = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
                        ).filter(lambda s: s.strip() != "")


def _spoil(draw: st.DrawFn, rec: dict[str, Any], counts_at: list[str], time_at: str | None,
           model_at: str | None) -> dict[str, Any] | str:
    """One way to break a record: a bad count, a bad time, no model (where a model is required:
    an API response without one is still a call, issue 12), or broken JSON text."""
    ways = ["count", "time", "model", "truncate", "garbage"]
    ways = [w for w in ways if (w != "time" or time_at) and (w != "model" or model_at)]
    how = draw(st.sampled_from(ways))
    rec = json.loads(json.dumps(rec))
    if how == "count":
        _set(rec, draw(st.sampled_from(counts_at)), draw(st.sampled_from(BAD_COUNTS)))
    elif how == "time" and time_at:
        _set(rec, time_at, draw(st.sampled_from(BAD_TIMES)))
    elif how == "model":
        _set(rec, model_at, draw(st.sampled_from([None, "", "   ", "DELETE"])))
        if _get(rec, model_at) == "DELETE":
            _delete(rec, model_at)
    elif how == "truncate":
        text = json.dumps(rec)
        return text[: draw(st.integers(1, len(text) - 1))]
    else:
        return draw(garbage_lines)
    return rec


def _set(rec: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for p in parents:
        rec = rec[p]
    rec[last] = value


def _get(rec: dict[str, Any], path: str) -> Any:
    node: Any = rec
    for p in path.split("."):
        node = node.get(p) if isinstance(node, dict) else None
    return node


def _delete(rec: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    for p in parents:
        rec = rec[p]
    rec.pop(last, None)


# per format: one valid call (record, expected counts), and where to break it (count paths,
# time path, model path)
def _openai_one(draw: st.DrawFn, i: int) -> tuple[dict[str, Any], Expected]:
    exp = Expected()
    rec = openai_call(draw, i, "x", exp)
    return rec, exp


def _anthropic_one(draw: st.DrawFn, i: int) -> tuple[dict[str, Any], Expected]:
    exp = Expected()
    return anthropic_call(draw, i, "x", exp), exp


def _generic_one(draw: st.DrawFn, i: int) -> tuple[dict[str, Any], Expected]:
    rows, exp = draw(generic_calls("openai", "x", 1))
    rows[0]["request_id"] = f"x-{i}"
    return rows[0], exp


BROKEN_FORMATS: dict[str, tuple[Callable[[st.DrawFn, int], tuple[dict[str, Any], Expected]],
                                Callable[[dict[str, Any]], tuple[list[str], str | None, str | None]]]] = {
    "openai": (_openai_one, lambda r: (
        ["usage.prompt_tokens", "usage.completion_tokens"] if "prompt_tokens" in r["usage"]
        else ["usage.input_tokens", "usage.output_tokens"],
        "created" if "created" in r else "created_at", None)),
    "anthropic": (_anthropic_one, lambda r: (
        ["usage.input_tokens", "usage.output_tokens", "usage.cache_read_input_tokens",
         "usage.cache_creation_input_tokens"], "created_at", None)),
    "generic": (_generic_one, lambda r: (
        ["prompt_tokens", "completion_tokens", "cached_tokens"], "timestamp", "model")),
}


@st.composite
def broken_log(draw: st.DrawFn, fmt: str, kind: str) -> tuple[Log, set[int]]:
    """Valid and broken records mixed; returns the log and the line numbers of the broken ones."""
    make, paths = BROKEN_FORMATS[fmt]
    records: list[dict[str, Any] | str] = []
    exp = Expected()
    bad_lines: set[int] = set()
    n = draw(st.integers(2, 14))
    for i in range(n):
        rec, one = make(draw, i)
        if i > 0 and draw(st.booleans()):
            count_paths, time_path, model_path = paths(rec)
            # CSV cells are text: no truncated JSON, but the same bad values and ragged rows
            spoiled = (_spoil_csv(draw, rec) if kind == "csv"
                       else _spoil(draw, rec, count_paths, time_path, model_path))
            records.append(spoiled)
            exp.rejected += 1
            bad_lines.add(len(records) + (1 if kind == "csv" else 0))
        else:
            records.append(rec)
            exp = exp + one
    if kind == "csv":
        cols = GENERIC_COLUMNS["openai"]
        # spoiled CSV rows are a dict with a bad value, or a raw ragged line
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols)
        for r in records:
            if isinstance(r, str):
                buf.write(r + "\r\n")
            else:
                w.writerow(["" if r.get(c) is None else _cell(r[c]) for c in cols])
        text = buf.getvalue()
    else:
        text = jsonl_text(records)
    return Log(f"broken.{kind}", text, exp), bad_lines


def _cell(v: Any) -> str:
    return json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def _spoil_csv(draw: st.DrawFn, rec: dict[str, Any]) -> dict[str, Any] | str:
    rec = dict(rec)
    how = draw(st.sampled_from(["count", "time", "model", "ragged"]))
    if how == "count":
        rec[draw(st.sampled_from(["prompt_tokens", "completion_tokens", "cached_tokens"]))] = draw(
            st.sampled_from([c for c in BAD_COUNTS if c not in ([], {})]))
    elif how == "time":
        rec["timestamp"] = draw(st.sampled_from(BAD_TIMES))
    elif how == "model":
        rec["model"] = draw(st.sampled_from(["", "   "]))
    else:  # a row with a column too many
        cols = GENERIC_COLUMNS["openai"]
        cells = ["" if rec.get(c) is None else str(rec[c]) for c in cols]
        cells = [c.replace('"', "").replace(",", " ").replace("\n", " ").replace("\r", " ") for c in cells]
        return ",".join([*cells, "extra"])
    return rec


@fuzz(25)
@given(data=st.data(), case=st.sampled_from([("generic", "csv"), ("generic", "jsonl"),
                                              ("openai", "jsonl"), ("anthropic", "jsonl")]))
def test_broken_records_are_rejected_with_a_reason(data: st.DataObject, case: tuple[str, str]):
    fmt, kind = case
    log, bad_lines = data.draw(broken_log(fmt, kind))
    with tempfile.TemporaryDirectory() as d:
        store, result = load(Path(d), log, source=fmt)
        try:
            check_loaded(store, result, log.expected)
            rejects = store.query("SELECT line, reason, raw FROM rejects ORDER BY line")
            assert {r[0] for r in rejects} == bad_lines, (rejects, log.text)
            assert all(r[2] for r in rejects), "the raw text of every reject is kept"
            assert store.query("SELECT count(*) FROM calls WHERE source_line IN ("
                               + ",".join(str(x) for x in bad_lines) + ")")[0][0] == 0
        finally:
            store.close()


@fuzz(15)
@given(lines=st.lists(st.one_of(garbage_lines.map(lambda t: t.encode()),
                                st.binary(min_size=1, max_size=30)), min_size=1, max_size=20))
def test_any_bytes_never_crash_the_loader(lines: list[bytes]):
    """Whatever the lines (any text, any bytes, invalid UTF-8 included), a JSON-lines file read
    by any JSON adapter is either refused as a whole with an LlmcostError, or balances its
    accounting; never an unexplained exception."""
    from llmcost.errors import LlmcostError

    data = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines) + b"\n"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "junk.jsonl"
        path.write_bytes(data)
        for source in ("generic", "openai", "anthropic", "gemini", "claude_code"):
            with open_store(":memory:") as store:
                try:
                    result = ingest_files(store, [str(path)], IngestOptions(source=source)).files[0]
                except LlmcostError as e:
                    assert e.message and e.hint
                    continue
                assert result.balanced()
                assert result.rows_loaded == token_totals(store)["calls"]
