"""Provider formats, set B (Claude Code, LiteLLM, Langfuse, Helicone, Bedrock, serving traces) on
hand-written fixtures: canonical rows and token totals worked out by hand."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from llmcost.errors import UsageError
from llmcost.ingest import IngestOptions, ingest_files
from llmcost.ingest.claude_code import project_name
from llmcost.ingest.files import take_sample
from llmcost.ingest.registry import detect_adapter
from tests.conftest import DATA, token_totals

F = DATA / "formats"
CC = F / "claude_code"
CC_SESSION = CC / "-home-ana-src-shop" / "1d3c7f0e-8a2b-4c5d-9e6f-a1b2c3d4e5f6.jsonl"
CC_SUBAGENT = (CC / "-home-ana-src-shop" / "1d3c7f0e-8a2b-4c5d-9e6f-a1b2c3d4e5f6" / "subagents"
               / "agent-7f3e9a1b.jsonl")
TRACES = DATA / "traces"


def load(store, path: Path, **opts):
    return ingest_files(store, [str(path)], IngestOptions(**opts)).files


def counts(r) -> tuple[int, int, int, int, int]:
    assert r.balanced()
    return (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped)


# --- detection ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    (CC_SESSION, "claude_code"),
    (CC_SUBAGENT, "claude_code"),
    (F / "litellm.csv", "litellm"),
    (F / "litellm_spend_logs.json", "litellm"),
    (F / "langfuse.jsonl", "langfuse"),
    (F / "helicone.csv", "helicone"),
    (F / "bedrock.jsonl", "bedrock"),
    (F / "serving_trace.jsonl", "serving_trace"),
    (TRACES / "mooncake_conversation_head.jsonl", "serving_trace"),
    (TRACES / "mooncake_synthetic_head.jsonl", "serving_trace"),
    (DATA / "generic" / "azure_trace_head.csv", "generic"),
])
def test_auto_detection(path: Path, expected: str):
    con = duckdb.connect()
    sample = take_sample(path, con)
    # --model makes generic eligible everywhere: the specific formats must still win
    for model in (None, "gpt-4o"):
        assert detect_adapter(sample, model=model).name == expected


# --- Claude Code -------------------------------------------------------------------------------

def test_claude_code_session_file(store):
    (r,) = load(store, CC_SESSION)
    # 12 lines: skipped 6 = snapshot, summary, user, tool result, <synthetic>, API error without
    # usage; msg_01 on 2 streamed lines and msg_02 + its in-file sidechain copy -> 2 duplicates;
    # the half-written last line rejected; loaded msg_01, msg_02, msg_03: 3+1+2+6 = 12
    assert (r.adapter, *counts(r)) == ("claude_code", 12, 3, 1, 2, 6)
    assert r.rows_conflicting == 0  # streamed copies differ by design: not a conflict
    rows = store.query(
        "SELECT call_id, ts, model, feature, conversation_id, input_tokens, cache_read_tokens, "
        "cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, speed, status, billed, "
        "logged_cost_usd FROM calls ORDER BY source_line")
    session = "1d3c7f0e-8a2b-4c5d-9e6f-a1b2c3d4e5f6"
    assert rows == [
        # the larger streamed copy (line 5, output 310 > 12): input 4 + read 9000 + write 1200
        ("msg_01AbCdEfGhIjKlMnOpQrSt", datetime(2026, 1, 9, 12, 0, 7), "claude-sonnet-4-5-20250929",
         "-home-ana-src-shop", session, 10204, 9000, 200, 1000, 310, None, "ok", True, None),
        # no cache_creation split: all 400 written are 5-minute writes; 6 + 10200 + 400 = 10606
        ("msg_02BcDeFgHiJkLmNoPqRsTu", datetime(2026, 1, 9, 12, 0, 9), "claude-opus-4-6",
         "-home-ana-src-shop", session, 10606, 10200, 400, 0, 85, "fast", "ok", True,
         Decimal("0.0123")),
        # isApiErrorMessage with usage: kept as an error, not billed
        ("msg_03CdEfGhIjKlMnOpQrStUv", datetime(2026, 1, 9, 12, 2), "claude-sonnet-4-5-20250929",
         "-home-ana-src-shop", session, 50, 0, 0, 0, 0, None, "error", False, None),
    ]
    assert store.query("SELECT line, reason FROM rejects") == [(12, "not valid JSON")]
    assert store.query("SELECT DISTINCT provider FROM calls") == [("anthropic",)]


def test_claude_code_directory_counts_each_message_once(store):
    results = load(store, CC)
    by_name = {Path(r.file).name: r for r in results}
    sub, main = by_name["agent-7f3e9a1b.jsonl"], by_name[CC_SESSION.name]
    # the subagent folder is read first (sorted): its user line skipped, the replay of msg_01
    # (another requestId, same usage as the final parent copy) and msg_S1 loaded: 2+1 = 3
    assert counts(sub) == (3, 2, 0, 0, 1)
    # the session file then finds msg_01 already stored: both streamed copies are duplicates,
    # with the sidechain copy of msg_02: 3 duplicates; loaded msg_02, msg_03: 2+1+3+6 = 12
    assert counts(main) == (12, 2, 1, 3, 6)
    assert main.rows_conflicting == 0  # the stored copy has the same usage as the larger one
    rows = store.query("SELECT call_id, input_tokens, output_tokens FROM calls ORDER BY call_id")
    assert rows == [
        ("msg_01AbCdEfGhIjKlMnOpQrSt", 10204, 310),  # once, with the larger usage
        ("msg_02BcDeFgHiJkLmNoPqRsTu", 10606, 85),
        ("msg_03CdEfGhIjKlMnOpQrStUv", 50, 0),
        ("msg_S1EfGhIjKlMnOpQrStUvWx", 300, 40),
    ]
    # input 10204 + 10606 + 50 + 300 = 21160; read 9000 + 10200 = 19200;
    # write (1000 + 200) + 400 = 1600; output 310 + 85 + 0 + 40 = 435
    assert token_totals(store) == {"calls": 4, "input": 21160, "cache_read": 19200,
                                   "cache_write": 1600, "output": 435}
    assert store.query("SELECT DISTINCT feature FROM calls") == [("-home-ana-src-shop",)]


def _cc_folder(tmp_path: Path) -> Path:
    """The fixture project, plus a second project whose session repeats msg_02 with another
    output count (85 -> 99), then a user line, then a half-written line."""
    projects = tmp_path / "projects"
    shutil.copytree(CC, projects)
    msg_02 = CC_SESSION.read_text().splitlines()[6]
    assert '"output_tokens":85' in msg_02
    user = CC_SESSION.read_text().splitlines()[2]
    other = projects / "-home-bo-api" / "s2.jsonl"
    other.parent.mkdir()
    other.write_text(msg_02.replace('"output_tokens":85', '"output_tokens":99') + "\n" + user
                     + '\n{"type":"assistant","message":\n')
    return projects


def _stored(store) -> tuple[list, list, list]:
    return (store.query("SELECT * EXCLUDE (source_line), source_line FROM calls ORDER BY call_id"),
            store.query("SELECT * FROM rejects ORDER BY ALL"),
            store.query("SELECT * EXCLUDE (ingested_at) FROM sources ORDER BY source_file"))


def test_claude_code_folder_loads_in_one_read_like_file_by_file(store, tmp_path, monkeypatch):
    import llmcost.ingest.load as loader

    projects = _cc_folder(tmp_path)
    alone: list[Path] = []
    real_load_file = loader.load_file
    monkeypatch.setattr(loader, "load_file", lambda s, item: alone.append(item.path) or real_load_file(s, item))
    results = {Path(r.file).name: r for r in ingest_files(store, [str(projects)], IngestOptions()).files}
    assert alone == []  # the three session files were read together
    # the first two files as in the test above; then s2: msg_02 is stored already with output 85,
    # so its copy (output 99) is a duplicate that conflicts; the user line skipped; the cut line
    # rejected: 1 + 1 + 1 = 3 read
    assert counts(results["agent-7f3e9a1b.jsonl"]) == (3, 2, 0, 0, 1)
    assert counts(results[CC_SESSION.name]) == (12, 2, 1, 3, 6)
    assert counts(results["s2.jsonl"]) == (3, 0, 1, 1, 1)
    assert results["s2.jsonl"].rows_conflicting == 1
    # across files the duplicate rule keeps the copy with the larger usage, whatever the order
    # of loading (store.COPY_ORDER): s2's 99 over 85; the 85 copy stays as the session's copy
    assert store.query("SELECT output_tokens FROM calls WHERE call_id LIKE 'msg_02%'") == [(99,)]
    assert store.query("SELECT output_tokens FROM call_copies WHERE call_id LIKE 'msg_02%'") == [(85,)]
    # msg_02's kept copy is s2's, with its project as the feature
    assert store.query("SELECT DISTINCT feature FROM calls ORDER BY 1") == [
        ("-home-ana-src-shop",), ("-home-bo-api",)]
    assert store.query("SELECT source_file, line FROM rejects ORDER BY 1") == [
        (str(CC_SESSION).replace(str(CC), str(projects)), 12), (str(projects / "-home-bo-api" / "s2.jsonl"), 3)]

    # loading the files one by one stores exactly the same calls, rejects and counts
    from llmcost.store import open_store

    monkeypatch.setattr(loader, "BATCH_FILES", 1)
    with open_store(":memory:") as one_by_one:
        ingest_files(one_by_one, [str(projects)], IngestOptions())
        assert _stored(one_by_one) == _stored(store)
    assert len(alone) == 3


def test_a_folder_batch_with_an_unreadable_file_names_that_file(store, tmp_path, monkeypatch):
    """A batch is one statement: when a file in it cannot be read (here invalid UTF-8 past the
    256 KB sample that chose the encoding), the batch rolls back and its files load one by one,
    so every other file is stored and only the bad one fails, named with the reason."""
    projects = _cc_folder(tmp_path)
    bad = projects / "-home-zz" / "late.jsonl"
    bad.parent.mkdir()
    line = CC_SESSION.read_text().splitlines()[3]  # a streamed assistant line of msg_01
    bad.write_bytes((line + "\n").encode() * (300_000 // len(line) + 1) + b'{"type": "user", "x": "\xff\xfe"}\n')
    import llmcost.ingest.load as loader

    batches: list[int] = []
    real_load_batch = loader.load_batch

    def spy(s, items):
        batches.append(len(items))
        return real_load_batch(s, items)

    monkeypatch.setattr(loader, "load_batch", spy)
    result = ingest_files(store, [str(projects)], IngestOptions())
    assert batches == [4]  # tried as one batch of the four files first
    [failed] = result.failed
    assert Path(failed.file).name == "late.jsonl" and "UTF-8" in failed.reason, failed
    stored = {Path(f).name for (f,) in store.query("SELECT source_file FROM sources")}
    assert stored == {"agent-7f3e9a1b.jsonl", CC_SESSION.name, "s2.jsonl"}
    assert {Path(f.file).name for f in result.files} == stored


def test_claude_code_project_name_from_path():
    assert project_name(Path("/h/.claude/projects/-h-src-app/s1.jsonl")) == "-h-src-app"
    assert project_name(Path("/h/.claude/projects/-h-src-app/s1/subagents/a.jsonl")) == "-h-src-app"
    assert project_name(Path("/h/.claude/projects/-h-src-app/s1/x.jsonl")) == "-h-src-app"
    assert project_name(Path("/tmp/copy/-h-src-app/s1.jsonl")) == "-h-src-app"


# --- LiteLLM -----------------------------------------------------------------------------------

def test_litellm_csv(store):
    (r,) = load(store, F / "litellm.csv")
    # 7 rows: a bad metadata cell rejects its row only; the last row repeats request_id
    # chatcmpl-7a1e4b with the same numbers: 5 + 1 + 1 = 7
    assert (r.adapter, *counts(r)) == ("litellm", 7, 5, 1, 1, 0)
    assert r.rows_conflicting == 0
    rows = store.query(
        "SELECT call_id, ts, provider, model, tenant, conversation_id, input_tokens, "
        "cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, "
        "reasoning_tokens, status, billed, latency_ms, logged_cost_usd FROM calls "
        "ORDER BY source_line")
    assert rows == [
        # Anthropic via LiteLLM: prompt_tokens 4020 = 20 + 3000 read + 1000 written (400 5m +
        # 600 1h); tenant = end_user; 09:00:02.5 - 09:00:00 = 2500 ms
        ("chatcmpl-7a1e4b", datetime(2026, 10, 6, 9, 0), "anthropic", "claude-sonnet-4-5-20250929",
         "cust-42", "sess-1", 4020, 3000, 400, 600, 150, None, "ok", True, 2500.0,
         Decimal("0.0123")),
        # OpenAI: cached_tokens 1024 of 2048; reasoning 200 of 300; no end_user -> team_id
        ("chatcmpl-7a1e4c", datetime(2026, 10, 6, 9, 5), "openai", "o4-mini", "team-chat",
         "sess-2", 2048, 1024, 0, 0, 300, 200, "ok", True, 4000.0, Decimal("0.002189")),
        # no usage_object: no cache split; no provider -> inferred; no team -> user
        ("chatcmpl-7a1e4d", datetime(2026, 10, 6, 9, 10), "openai", "gpt-4o", "u-9", None,
         500, 0, 0, 0, 20, None, "ok", True, 900.0, Decimal("0.00145")),
        # status failure -> error, not billed
        ("chatcmpl-7a1e4e", datetime(2026, 10, 6, 9, 15), "openai", "gpt-4o", "cust-7", None,
         0, 0, 0, 0, 0, None, "error", False, 200.0, Decimal("0")),
        # cache_hit True: LiteLLM's response cache answered -> not billed
        ("chatcmpl-7a1e4f", datetime(2026, 10, 6, 9, 20), "openai", "o4-mini", "team-chat",
         "sess-2", 2048, 1024, 0, 0, 300, 200, "ok", False, 10.0, Decimal("0")),
    ]
    assert store.query("SELECT line, reason FROM rejects") == [
        (7, "metadata is not valid JSON: {not json")]
    # input 4020 + 2048 + 500 + 0 + 2048 = 8616; read 3000 + 1024 + 1024 = 5048;
    # write 400 + 600 = 1000; output 150 + 300 + 20 + 0 + 300 = 770
    assert token_totals(store) == {"calls": 5, "input": 8616, "cache_read": 5048,
                                   "cache_write": 1000, "output": 770}


def test_litellm_json_array(store):
    (r,) = load(store, F / "litellm_spend_logs.json")
    assert (r.adapter, *counts(r)) == ("litellm", 2, 2, 0, 0, 0)
    rows = store.query("SELECT call_id, ts, tenant, input_tokens, cache_read_tokens, "
                       "cache_write_5m_tokens, output_tokens, logged_cost_usd FROM calls "
                       "ORDER BY source_line")
    assert rows == [
        # metadata as a JSON object: read 10000, write 1500 (no TTL split: 5-minute)
        ("chatcmpl-9b2f01", datetime(2026, 10, 6, 10, 0), "cust-42", 12000, 10000, 1500, 250,
         Decimal("0.0315")),
        # metadata as JSON text inside the JSON record; end_user "" -> team_id
        ("chatcmpl-9b2f02", datetime(2026, 10, 6, 10, 0, 5), "team-search", 80, 0, 0, 0,
         Decimal("0.0000016")),
    ]


# --- Langfuse ----------------------------------------------------------------------------------

def test_langfuse_observations(store):
    (r,) = load(store, F / "langfuse.jsonl")
    # 9 lines: SPAN and EVENT skipped; a broken line and a non-numeric input rejected; 5 loaded
    assert (r.adapter, *counts(r)) == ("langfuse", 9, 5, 2, 0, 2)
    rows = store.query(
        "SELECT call_id, ts, provider, model, task_type, conversation_id, input_tokens, "
        "cache_read_tokens, cache_write_5m_tokens, output_tokens, reasoning_tokens, status, "
        "latency_ms, logged_cost_usd FROM calls ORDER BY source_line")
    assert rows == [
        # split details (total 2184 = 976 + 1024 + 120 + 64): input 976 + 1024 = 2000,
        # output 120 + 64 = 184; 08:00:01.5 - 08:00:00.25 = 1250 ms
        ("gen-1", datetime(2026, 10, 7, 8, 0, 0, 250000), "openai", "gpt-5-mini",
         "answer-question", "trace-1", 2000, 1024, 0, 184, 64, "ok", 1250.0,
         Decimal("0.0006376")),
        # Anthropic keys, no total: 12 + 8000 + 500 = 8512
        ("gen-2", datetime(2026, 10, 7, 8, 1), "anthropic", "claude-sonnet-4-5-20250929",
         "summarize", "trace-2", 8512, 8000, 500, 300, None, "ok", 4000.0, Decimal("0.0087")),
        # total 5900 = input 5000 + output 900 although input_cached_tokens 4096 is present:
        # the detail is a subset, input stays 5000
        ("gen-3", datetime(2026, 10, 7, 8, 2), "openai", "gpt-4o", "classify", "trace-2",
         5000, 4096, 0, 900, None, "ok", 600.0, Decimal("0.01634")),
        # level ERROR -> error
        ("gen-4", datetime(2026, 10, 7, 8, 3), "openai", "gpt-5-mini", "answer-question",
         "trace-3", 40, 0, 0, 0, None, "error", 30000.0, None),
        # deprecated `usage` object, no endTime; calculatedTotalCost as the logged cost
        ("gen-5", datetime(2026, 10, 7, 8, 4), "openai", "gpt-4o-mini", "legacy-chat",
         "trace-4", 300, 0, 0, 50, None, "ok", None, Decimal("0.000075")),
    ]
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (8, "not valid JSON"), (9, "usageDetails.input is not a whole number: many")]
    # input 2000 + 8512 + 5000 + 40 + 300 = 15852; read 1024 + 8000 + 4096 = 13120;
    # write 500; output 184 + 300 + 900 + 0 + 50 = 1434
    assert token_totals(store) == {"calls": 5, "input": 15852, "cache_read": 13120,
                                   "cache_write": 500, "output": 1434}


def test_langfuse_flag_forces_the_inclusive_reading(store):
    load(store, F / "langfuse.jsonl", input_excludes_cache=False)
    # read as totals, gen-1 (input 976 < 1024 cached) and gen-2 (input 12 < 8000 + 500 cache
    # tokens) claim more cache than input -> both rejected
    assert store.query("SELECT count(*) FROM rejects WHERE reason = "
                       "'cache tokens exceed input tokens'")[0][0] == 2
    assert sorted(c for (c,) in store.query("SELECT call_id FROM calls")) == [
        "gen-3", "gen-4", "gen-5"]


# --- Helicone ----------------------------------------------------------------------------------

def test_helicone_csv(store):
    (r,) = load(store, F / "helicone.csv")
    assert (r.adapter, *counts(r)) == ("helicone", 7, 6, 1, 0, 0)
    assert any("EXCLUDE cache tokens" in n for n in r.notes)
    rows = store.query(
        "SELECT call_id, ts, provider, model, tenant, input_tokens, cache_read_tokens, "
        "cache_write_5m_tokens, output_tokens, status, billed, latency_ms, logged_cost_usd "
        "FROM calls ORDER BY source_line")
    assert rows == [
        # prompt_tokens 976 without the 1024 cache reads: 976 + 1024 = 2000
        ("0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a90", datetime(2026, 10, 8, 7, 30), "openai", "gpt-4o",
         "user-17", 2000, 1024, 0, 200, "ok", True, 830.0, Decimal("0.00572")),
        # 25 + 6000 read + 1500 written = 7525
        ("1c7a4d3f-2b5e-4f9c-8d6b-3a6e9f2c4b01", datetime(2026, 10, 8, 7, 31), "anthropic",
         "claude-sonnet-4-5-20250929", "user-17", 7525, 6000, 1500, 420, "ok", True, 2410.0,
         Decimal("0.0138")),
        # response_status 429 -> error
        ("2d8b5e4a-3c6f-4a0d-9e7c-4b7f0a3d5c12", datetime(2026, 10, 8, 7, 32), "openai", "gpt-4o",
         "user-18", 0, 0, 0, 0, "error", False, 95.0, Decimal("0")),
        # Helicone cache hit (cache_reference_id set): not billed
        ("3e9c6f5b-4d7a-4b1e-8f8d-5c8a1b4e6d23", datetime(2026, 10, 8, 7, 33), "openai", "gpt-4o",
         "user-17", 2000, 1024, 0, 200, "ok", False, 12.0, Decimal("0")),
        # audio kept apart by Helicone: input 100 + 400 = 500, output 50 + 600 = 650
        ("4f0d7a6c-5e8b-4c2f-9a9e-6d9b2c5f7e34", datetime(2026, 10, 8, 7, 34), "openai",
         "gpt-4o-audio-preview", "user-19", 500, 0, 0, 650, "ok", True, 3100.0,
         Decimal("0.0151")),
        # empty model -> response_model; provider CUSTOM -> inferred
        ("6b2f9c8e-7a0d-4e4b-9c1a-8f1d4e7b9a56", datetime(2026, 10, 8, 7, 36), "openai",
         "gpt-4o-mini-2024-07-18", None, 300, 0, 0, 30, "ok", True, 410.0, Decimal("0.000063")),
    ]
    assert store.query("SELECT line, reason FROM rejects") == [
        (7, "prompt_tokens is not a whole number: n/a")]
    # input 2000 + 7525 + 0 + 2000 + 500 + 300 = 12325; read 1024 + 6000 + 1024 = 8048;
    # write 1500; output 200 + 420 + 0 + 200 + 650 + 30 = 1500
    assert token_totals(store) == {"calls": 6, "input": 12325, "cache_read": 8048,
                                   "cache_write": 1500, "output": 1500}


# --- Bedrock -----------------------------------------------------------------------------------

def test_bedrock_invocation_log(store):
    (r,) = load(store, F / "bedrock.jsonl")
    assert (r.adapter, *counts(r)) == ("bedrock", 7, 6, 1, 0, 0)
    rows = store.query(
        "SELECT call_id, ts, provider, model, feature, tenant, input_tokens, cache_read_tokens, "
        "cache_write_5m_tokens, output_tokens, status, latency_ms FROM calls ORDER BY source_line")
    assert rows == [
        # inference-profile ARN -> its id, us. prefix kept; 35 + 5000 + 1200 = 6235
        ("9d1e2f3a-4b5c-4d6e-8f7a-0b1c2d3e4f50", datetime(2026, 10, 8, 14, 3, 11), "anthropic",
         "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "checkout", "acme", 6235, 5000, 1200,
         410, "ok", 2150.0),
        # foundation-model ARN -> its id
        ("ae2f3a4b-5c6d-4e7f-9a8b-1c2d3e4f5a61", datetime(2026, 10, 8, 14, 4), "meta",
         "meta.llama3-3-70b-instruct-v1:0", None, None, 900, 0, 0, 120, "ok", None),
        ("bf304b5c-6d7e-4f80-8b9c-2d3e4f5a6b72", datetime(2026, 10, 8, 14, 5, 0, 250000),
         "anthropic", "anthropic.claude-3-5-haiku-20241022-v1:0", None, None, 1500, 0, 0, 80,
         "ok", None),
        # errorCode, no counts -> error with 0 tokens
        ("c0415c6d-7e8f-4091-9cad-3e4f5a6b7c83", datetime(2026, 10, 8, 14, 6), "amazon",
         "us.amazon.nova-pro-v1:0", None, None, 0, 0, 0, 0, "error", None),
        # embedding: no output count -> 0
        ("d1526d7e-8f90-41a2-8dbe-4f5a6b7c8d94", datetime(2026, 10, 8, 14, 7), "amazon",
         "amazon.titan-embed-text-v2:0", None, None, 64, 0, 0, 0, "ok", None),
        # application inference profile: no model in the ARN -> kept (unpriced), no provider
        ("e2637e8f-9001-42b3-9ecf-5a6b7c8d9ea5", datetime(2026, 10, 8, 14, 8), None,
         "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
         None, None, 100, 0, 0, 10, "ok", None),
    ]
    # input 6235 + 900 + 1500 + 0 + 64 + 100 = 8799; read 5000; write 1200;
    # output 410 + 120 + 80 + 0 + 0 + 10 = 620
    assert token_totals(store) == {"calls": 6, "input": 8799, "cache_read": 5000,
                                   "cache_write": 1200, "output": 620}


# --- serving traces ----------------------------------------------------------------------------

def test_serving_trace_needs_a_model(store):
    with pytest.raises(UsageError) as e:
        load(store, F / "serving_trace.jsonl")
    assert "--model" in str(e.value)
    assert store.query("SELECT count(*) FROM calls")[0][0] == 0


def test_serving_trace_default_start(store):
    (r,) = load(store, F / "serving_trace.jsonl", model="gpt-4o-mini")
    # 5 lines: hash_ids ["x"] rejected; the two identical first lines are two requests
    assert (r.adapter, *counts(r)) == ("serving_trace", 5, 4, 1, 0, 0)
    assert any("2026-01-01T00:00:00Z (default" in n for n in r.notes)
    rows = store.query("SELECT ts, model, provider, input_tokens, output_tokens, prefix_blocks, "
                       "block_tokens FROM calls ORDER BY source_line")
    assert rows == [
        (datetime(2026, 1, 1), "gpt-4o-mini", "openai", 1100, 20, [0, 1, 2], 512),
        (datetime(2026, 1, 1), "gpt-4o-mini", "openai", 1100, 20, [0, 1, 2], 512),
        (datetime(2026, 1, 1, 0, 0, 1, 500000), "gpt-4o-mini", "openai", 600, 7, [0, 3], 512),
        (datetime(2026, 1, 1, 0, 1), "gpt-4o-mini", "openai", 513, 1, [4, 5], 512),
    ]
    assert store.query("SELECT count(DISTINCT call_id) FROM calls")[0][0] == 4
    assert store.query("SELECT line, reason FROM rejects") == [
        (4, "hash_ids is not a list of block hashes")]
    # input 1100 + 1100 + 600 + 513 = 3313; output 20 + 20 + 7 + 1 = 48
    assert token_totals(store) == {"calls": 4, "input": 3313, "cache_read": 0,
                                   "cache_write": 0, "output": 48}


def test_serving_trace_start_option(store):
    load(store, F / "serving_trace.jsonl", model="gpt-4o-mini",
         start=datetime(2026, 3, 1, 12, 0))
    # --start + timestamp ms: 0, 0, 1500 ms, 60000 ms
    assert [t for (t,) in store.query("SELECT ts FROM calls ORDER BY source_line")] == [
        datetime(2026, 3, 1, 12, 0), datetime(2026, 3, 1, 12, 0),
        datetime(2026, 3, 1, 12, 0, 1, 500000), datetime(2026, 3, 1, 12, 1)]


@pytest.mark.parametrize("name", ["mooncake_conversation_head.jsonl",
                                  "mooncake_synthetic_head.jsonl"])
def test_mooncake_trace_heads(store, name: str):
    path = TRACES / name
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    expected_input = sum(rec["input_length"] for rec in lines)
    expected_output = sum(rec["output_length"] for rec in lines)
    (r,) = load(store, path, model="kimi-k2")
    assert (r.adapter, *counts(r)) == ("serving_trace", 200, 200, 0, 0, 0)
    assert token_totals(store) == {"calls": 200, "input": expected_input, "cache_read": 0,
                                   "cache_write": 0, "output": expected_output}
    first = store.query("SELECT prefix_blocks, block_tokens, ts FROM calls "
                        "WHERE source_line = 1")[0]
    assert first == (lines[0]["hash_ids"], 512, datetime(2026, 1, 1))
    last_ms = lines[-1]["timestamp"]
    assert store.query("SELECT max(ts) FROM calls")[0][0] == (
        datetime(2026, 1, 1) + timedelta(milliseconds=last_ms))
