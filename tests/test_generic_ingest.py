"""The generic adapter on hand-written fixtures: canonical rows and token totals worked out by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost.errors import NotACallLogError, UsageError
from llmcost.ingest import IngestOptions, ingest_files
from tests.conftest import DATA, token_totals

G = DATA / "generic"


def load(store, name: str, **opts):
    return ingest_files(store, [str(G / name)], IngestOptions(**opts)).files[0]


def test_tracker_csv_rows_and_times(store):
    r = load(store, "tracker.csv")
    assert (r.adapter, r.rows_read, r.rows_loaded, r.rows_rejected) == ("generic", 5, 5, 0)
    rows = store.query(
        "SELECT ts, provider, model, task_type, input_tokens, output_tokens, logged_cost_usd, "
        "latency_ms FROM calls ORDER BY source_line")
    assert rows == [
        # ISO with Z
        (datetime(2026, 10, 1, 9, 0), "anthropic", "claude-sonnet-4-5", "summarize", 5200, 610,
         Decimal("0.0247"), 1830.0),
        # 09:05 at +02:00 is 07:05 UTC
        (datetime(2026, 10, 1, 7, 5), "anthropic", "claude-sonnet-4-5", "extract", 4880, 240,
         Decimal("0.01824"), 950.0),
        # naive: taken as UTC
        (datetime(2026, 10, 1, 10, 0), "openai", "gpt-4o-mini", "classify", 4410, 12,
         Decimal("0.00067"), 310.0),
        # epoch seconds 1790931600 = 2026-10-02T09:00:00Z
        (datetime(2026, 10, 2, 9, 0), "openai", "gpt-4o-mini", "classify", 4400, 10,
         Decimal("0.000666"), 305.0),
        # epoch milliseconds 1790931600500 = 2026-10-02T09:00:00.5Z
        (datetime(2026, 10, 2, 9, 0, 0, 500000), "anthropic", "claude-sonnet-4-5", "summarize",
         5000, 600, Decimal("0.024"), 1700.0),
    ]
    # input 5200+4880+4410+4400+5000 = 23890; output 610+240+12+10+600 = 1472; no cache columns
    assert token_totals(store) == {"calls": 5, "input": 23890, "cache_read": 0,
                                   "cache_write": 0, "output": 1472}


def test_llm_calls_table_shape(store):
    r = load(store, "llm_calls.csv")
    assert (r.rows_read, r.rows_loaded) == (4, 4)
    rows = store.query("SELECT feature, tenant, model, logged_cost_usd FROM calls "
                       "ORDER BY source_line")
    assert rows == [("search", "cust_1", "gpt-4o", Decimal("0.006")),
                    ("search", "cust_2", "gpt-4o", Decimal("0.00525")),
                    ("chat", "cust_1", "claude-sonnet-4-5", Decimal("0.021")),
                    ("chat", None, "claude-sonnet-4-5", Decimal("0.018"))]
    # input 1200+1100+3000+2500 = 7800; output 300+250+800+700 = 2050
    assert token_totals(store) == {"calls": 4, "input": 7800, "cache_read": 0,
                                   "cache_write": 0, "output": 2050}


def test_llm_calls_as_parquet(store, tmp_path: Path):
    parquet = tmp_path / "llm_calls.parquet"
    store.con.execute(
        f"COPY (SELECT * FROM read_csv('{G / 'llm_calls.csv'}')) TO '{parquet}' (FORMAT parquet)")
    r = ingest_files(store, [str(parquet)], IngestOptions()).files[0]
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (4, 4, 0)
    assert token_totals(store) == {"calls": 4, "input": 7800, "cache_read": 0,
                                   "cache_write": 0, "output": 2050}
    assert store.query("SELECT min(ts), max(ts) FROM calls")[0] == (
        datetime(2026, 10, 2, 8, 0), datetime(2026, 10, 3, 10, 0))


def test_anthropic_names_exclude_cache_from_input(store):
    r = load(store, "anthropic_usage.csv")
    # 4 records, msg_02 twice: 3 loaded, 1 duplicate (same tokens: not conflicting)
    assert (r.rows_read, r.rows_loaded, r.rows_duplicate, r.rows_conflicting) == (4, 3, 1, 0)
    assert any("EXCLUDE cache tokens" in n for n in r.notes)
    rows = store.query("SELECT call_id, input_tokens, cache_read_tokens, cache_write_5m_tokens, "
                       "cache_write_1h_tokens, output_tokens FROM calls ORDER BY call_id")
    assert rows == [
        ("msg_01", 120 + 2000 + 0, 0, 2000, 0, 300),   # input = uncached + write + read
        ("msg_02", 80 + 0 + 2000, 2000, 0, 0, 250),
        ("msg_03", 50, 0, 0, 0, 40),
    ]
    # input 2120+2080+50 = 4250; read 2000; write 2000; output 300+250+40 = 590
    assert token_totals(store) == {"calls": 3, "input": 4250, "cache_read": 2000,
                                   "cache_write": 2000, "output": 590}


def test_anthropic_names_with_flag_flipped(store):
    load(store, "anthropic_usage.csv", input_excludes_cache=False)
    # taken as including the cache: msg_01 (120 < 2000 written) and both copies of msg_02
    # (80 < 2000 read) claim more cache than input -> 3 rejected, msg_03 loaded
    assert store.query("SELECT count(*) FROM rejects WHERE reason = "
                       "'cache tokens exceed input tokens'")[0][0] == 3
    assert store.query("SELECT call_id FROM calls") == [("msg_03",)]


def test_openai_names_include_cache(store):
    r = load(store, "openai_usage.jsonl")
    assert (r.rows_read, r.rows_loaded) == (3, 3)
    assert any("INCLUDE cached tokens" in n for n in r.notes)
    rows = store.query("SELECT call_id, ts, input_tokens, cache_read_tokens, output_tokens, "
                       "reasoning_tokens, feature, tenant FROM calls ORDER BY call_id")
    assert rows == [
        ("chatcmpl-1", datetime(2026, 10, 4, 8, 0), 5000, 4096, 900, None, "search", "acme"),
        # epoch 1791102600 = 2026-10-04T08:30:00Z
        ("chatcmpl-2", datetime(2026, 10, 4, 8, 30), 1200, 0, 80, None, "tagging", "globex"),
        ("chatcmpl-3", datetime(2026, 10, 4, 9, 0, 0, 250000), 2048, 1152, 1500, 1200,
         "search", "acme"),
    ]
    # input 5000+1200+2048 = 8248 (cached included); read 4096+0+1152 = 5248; output 2480
    assert token_totals(store) == {"calls": 3, "input": 8248, "cache_read": 5248,
                                   "cache_write": 0, "output": 2480}


def test_bad_csv_lines_are_accounted_for(store):
    r = load(store, "bad_lines.csv")
    assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped) == (
        8, 2, 6, 0, 0)
    assert r.balanced()
    rejects = store.query("SELECT line, reason, raw FROM rejects ORDER BY line")
    assert [(line, reason.split(":")[0]) for line, reason, _ in rejects] == [
        (3, "input_tokens is not a whole number"),
        (4, "no model name"),
        (5, "time is not a readable time"),
        (6, "negative output_tokens"),
        (7, "cache tokens exceed input tokens"),
        (8, "unreadable CSV record"),
    ]
    assert rejects[0][1] == "input_tokens is not a whole number: lots"
    assert rejects[5][2] == "2026-10-05T00:06:00Z,gpt-4o,1000,100,0,oops"
    # loaded: lines 2 and 9: input 1000+2000, read 0+1024, output 100+50
    assert token_totals(store) == {"calls": 2, "input": 3000, "cache_read": 1024,
                                   "cache_write": 0, "output": 150}


def test_bad_jsonl_lines_are_accounted_for(store):
    r = load(store, "bad_lines.jsonl")
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (5, 2, 3)
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (2, "not valid JSON"), (3, "not a JSON object"), (5, "no input token count")]
    assert store.query("SELECT raw FROM rejects WHERE line = 2")[0][0] == "{not json"
    # a token count written as the string "12" is still a count: 10+12 in, 5+6 out
    assert token_totals(store) == {"calls": 2, "input": 22, "cache_read": 0,
                                   "cache_write": 0, "output": 11}


def test_identical_records_in_one_file_stay_distinct(store, tmp_path: Path):
    f = tmp_path / "same.csv"
    f.write_text("model,input_tokens,output_tokens\ngpt-4o,10,1\ngpt-4o,10,1\ngpt-4o,10,1\n")
    r = ingest_files(store, [str(f)], IngestOptions()).files[0]
    assert (r.rows_read, r.rows_loaded, r.rows_duplicate) == (3, 3, 0)
    assert store.query("SELECT count(DISTINCT call_id), count(*) FILTER (WHERE ts IS NULL) "
                       "FROM calls")[0] == (3, 3)


def test_map_reads_the_azure_trace(store):
    r = load(store, "azure_trace_head.csv",
             column_map={"ContextTokens": "input_tokens", "GeneratedTokens": "output_tokens"},
             model="gpt-4o")
    assert (r.rows_read, r.rows_loaded) == (3, 3)
    # 4808+3180+110 = 8098 in, 10+8+27 = 45 out; 7 fractional digits are read (to microseconds)
    assert token_totals(store) == {"calls": 3, "input": 8098, "cache_read": 0,
                                   "cache_write": 0, "output": 45}
    assert store.query("SELECT min(ts) FROM calls")[0][0] == datetime(2023, 11, 16, 18, 17, 3,
                                                                      979960)


def test_azure_trace_is_found_by_aliases_with_a_model(store):
    # ContextTokens / GeneratedTokens are known aliases; only the model is missing
    r = load(store, "azure_trace_head.csv", model="gpt-4o")
    assert r.rows_loaded == 3


def test_not_a_call_log_names_what_it_found(store):
    with pytest.raises(NotACallLogError) as e:
        load(store, "not_a_log.csv")
    assert "date, user, amount" in e.value.message
    assert "model" in e.value.message and "--map" in (e.value.hint or "")


def test_unknown_map_field_is_a_usage_error(store):
    with pytest.raises(UsageError):
        load(store, "tracker.csv", column_map={"cost": "dollars"})


def test_hive_partitioned_parquet_directory(store, tmp_path: Path):
    """A directory written by `COPY … (PARTITION_BY tenant)`: the partition key comes back as a
    column from the paths (tenant=cust_1/…), and every file loads."""
    out = tmp_path / "calls"
    store.con.execute(
        f"COPY (SELECT ts, feature, customer_id AS tenant, model, input_tokens, output_tokens "
        f"FROM read_csv('{G / 'llm_calls.csv'}') WHERE customer_id IS NOT NULL) "
        f"TO '{out}' (FORMAT parquet, PARTITION_BY (tenant))")
    r = ingest_files(store, [str(out)], IngestOptions())
    assert sum(f.rows_loaded for f in r.files) == 3
    # cust_1: 1200 + 3000 in; cust_2: 1100 in
    assert store.query("SELECT tenant, sum(input_tokens) FROM calls GROUP BY 1 ORDER BY 1") == [
        ("cust_1", 4200), ("cust_2", 1100)]
