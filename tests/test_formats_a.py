"""Provider formats A (OpenAI, OpenAI Batch, Anthropic, Anthropic Batch, Gemini) on hand-written
fixtures in tests/data/formats/: canonical rows and token totals worked out by hand from the
documented accounting (provider-facts.md B1–B4)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.ingest.files import take_sample
from llmcost.ingest.registry import ADAPTERS, detect_adapter
from tests.conftest import DATA, ROOT, token_totals

F = DATA / "formats"

ROW_SQL = (
    "SELECT call_id, ts, model, provider, input_tokens, cache_read_tokens, cache_write_5m_tokens, "
    "cache_write_1h_tokens, output_tokens, reasoning_tokens, service_tier, status, billed "
    "FROM calls ORDER BY source_line")


def load(store, name: str, **opts):
    return ingest_files(store, [str(F / name)], IngestOptions(**opts)).files[0]


def counts(r) -> tuple[int, int, int, int, int]:
    assert r.balanced()
    return (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped)


# ---------------------------------------------------------------------------------------------
# openai

def test_openai_rows(store):
    r = load(store, "openai.jsonl")
    assert r.adapter == "openai"
    # 12 lines: 7 calls; line 9 broken JSON and line 11 "many" rejected; line 10 repeats
    # chatcmpl-AQ1 (duplicate); line 7 an in_progress snapshot and line 8 an error body skipped.
    # 7 + 2 + 1 + 2 = 12
    assert counts(r) == (12, 7, 2, 1, 2)
    assert r.rows_conflicting == 0
    d = datetime
    assert store.query(ROW_SQL) == [
        # created 1790841600 = 20727 days * 86400 (2026-10-01) + 8 h; prompt 5000 INCLUDES the
        # 4096 cached; tier "default" -> standard
        ("chatcmpl-AQ1", d(2026, 10, 1, 8, 0), "gpt-4o-2024-08-06", "openai",
         5000, 4096, 0, 0, 900, 0, "standard", "ok", True),
        # +300 s; completion 1500 INCLUDES reasoning 1200; tier flex
        ("chatcmpl-AQ2", d(2026, 10, 1, 8, 5), "o3-2025-04-16", "openai",
         2048, 1152, 0, 0, 1500, 1200, "flex", "ok", True),
        # Responses: input_tokens 3000 includes cached 2048; output 700 includes reasoning 512
        ("resp_67ccd2bed1ec8190b14f964abc054267", d(2026, 10, 1, 8, 10), "gpt-5-mini-2025-08-07",
         "openai", 3000, 2048, 0, 0, 700, 512, "priority", "ok", True),
        # gpt-5.6 chat: cache_write_tokens 1500 -> 5m writes; 4000 read; tier "scale" -> priority
        ("chatcmpl-AQ4", d(2026, 10, 1, 8, 15), "gpt-5.6", "openai",
         6000, 4000, 1500, 0, 300, 0, "priority", "ok", True),
        # gpt-5.6 Responses, incomplete (max_output_tokens) is still a billed call;
        # input_tokens_details.cache_write_tokens 2048 -> 5m writes
        ("resp_0a5", d(2026, 10, 1, 8, 20), "gpt-5.6", "openai",
         2500, 0, 2048, 0, 120, 0, "standard", "ok", True),
        # failed response, usage null: an errored call, not billed, tokens 0
        ("resp_0a6", d(2026, 10, 1, 8, 25), "gpt-4.1-2025-04-14", "openai",
         0, 0, 0, 0, 0, None, "standard", "error", False),
        # an OpenRouter object (`gen-` id and a `provider` field): OpenRouter served and billed
        # it, so it is the provider (issue 12); no tier -> standard
        ("gen-1790843400-OR12", d(2026, 10, 1, 8, 30), "anthropic/claude-sonnet-4.5", "openrouter",
         1200, 1024, 0, 0, 80, None, "standard", "ok", True),
    ]
    # input 5000+2048+3000+6000+2500+0+1200 = 19748
    # read 4096+1152+2048+4000+0+0+1024 = 12320; write 1500+2048 = 3548
    # output 900+1500+700+300+120+0+80 = 3600
    assert token_totals(store) == {"calls": 7, "input": 19748, "cache_read": 12320,
                                   "cache_write": 3548, "output": 3600}
    # reasoning 0+1200+512+0+0 = 1712 (NULL where the usage has no details)
    assert store.query("SELECT sum(reasoning_tokens) FROM calls")[0][0] == 1712
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (9, "not valid JSON"), (11, "usage.prompt_tokens is not a whole number: many")]


def test_openai_attribution_and_web_search(store):
    load(store, "openai.jsonl")
    assert store.query(
        "SELECT feature, tenant, conversation_id, web_search_requests FROM calls "
        "WHERE call_id LIKE 'resp_67%'") == [("research", "acme", "conv_77", 1)]


def test_openai_json_array(store, tmp_path: Path):
    lines = (F / "openai.jsonl").read_text().splitlines()
    f = tmp_path / "responses.json"
    f.write_text(json.dumps([json.loads(lines[0]), json.loads(lines[2])], indent=2))
    r = ingest_files(store, [str(f)], IngestOptions()).files[0]
    assert r.adapter == "openai"
    assert counts(r) == (2, 2, 0, 0, 0)
    # input 5000+3000 = 8000; read 4096+2048 = 6144; output 900+700 = 1600
    assert token_totals(store) == {"calls": 2, "input": 8000, "cache_read": 6144,
                                   "cache_write": 0, "output": 1600}


# ---------------------------------------------------------------------------------------------
# openai_batch

def test_openai_batch_rows(store):
    r = load(store, "openai_batch.jsonl")
    assert r.adapter == "openai_batch"
    # 8 lines: 4 successes; B3 (error object), B4 (400), B7 (500) skipped; B6 broken JSON
    # 4 + 1 + 0 + 3 = 8
    assert counts(r) == (8, 4, 1, 0, 3)
    assert any("batch tier" in n for n in r.notes)
    d = datetime
    assert store.query(ROW_SQL) == [
        # body created 1790899200 = 2026-10-02T00:00Z; body says "default", the file says batch
        ("chatcmpl-B1", d(2026, 10, 2, 0, 0), "gpt-4o-mini-2024-07-18", "openai",
         1500, 1024, 0, 0, 200, 0, "batch", "ok", True),
        # Responses body: output 1200 includes reasoning 1024
        ("resp_B2", d(2026, 10, 2, 0, 1), "o4-mini-2025-04-16", "openai",
         800, 0, 0, 0, 1200, 1024, "batch", "ok", True),
        # embeddings body: no id (the batch_req id is used), no time, no output
        ("batch_req_B5", None, "text-embedding-3-small", "openai",
         8, 0, 0, 0, 0, None, "batch", "ok", True),
        # body says "flex": still batch
        ("chatcmpl-B8", d(2026, 10, 2, 0, 2), "gpt-4o-mini-2024-07-18", "openai",
         600, 0, 0, 0, 50, 0, "batch", "ok", True),
    ]
    # input 1500+800+8+600 = 2908; read 1024; output 200+1200+0+50 = 1450
    assert token_totals(store) == {"calls": 4, "input": 2908, "cache_read": 1024,
                                   "cache_write": 0, "output": 1450}
    assert store.query("SELECT line, reason FROM rejects") == [(6, "not valid JSON")]


# ---------------------------------------------------------------------------------------------
# anthropic

def test_anthropic_rows(store):
    r = load(store, "anthropic.jsonl")
    assert r.adapter == "anthropic"
    # 8 lines: msg_01, msg_02, msg_03 loaded; line 4 error body skipped; line 5 (split
    # disagrees), 6 (broken JSON), 8 ("lots") rejected; line 7 repeats msg_01 (same usage)
    # 3 + 3 + 1 + 1 = 8
    assert counts(r) == (8, 3, 3, 1, 1)
    assert r.rows_conflicting == 0
    d = datetime
    assert store.query(ROW_SQL) == [
        # input = 12 uncached + 31000 read + 2100 written = 33112; written split 100 (5m) +
        # 2000 (1h); output 480 includes thinking 300; created_at added by the logger
        ("msg_01XFDUDYJgAACzvnptvVoYEL", d(2026, 10, 3, 10, 0), "claude-sonnet-4-5-20250929",
         "anthropic", 33112, 31000, 100, 2000, 480, 300, "standard", "ok", True),
        # no split: all 4096 written are 5m; input = 1500 + 0 + 4096 = 5596; no time
        ("msg_02", None, "claude-haiku-4-5-20251001", "anthropic",
         5596, 0, 4096, 0, 200, None, "priority", "ok", True),
        # split of zeros, nothing written; input = 50 + 8000 + 0 = 8050;
        # timestamp 12:30+02:00 = 10:30 UTC
        ("msg_03", d(2026, 10, 3, 10, 30), "claude-opus-4-6", "anthropic",
         8050, 8000, 0, 0, 900, None, "standard", "ok", True),
    ]
    # input 33112+5596+8050 = 46758; read 31000+0+8000 = 39000;
    # write 100+2000+4096 = 6196; output 480+200+900 = 1580
    assert token_totals(store) == {"calls": 3, "input": 46758, "cache_read": 39000,
                                   "cache_write": 6196, "output": 1580}
    assert store.query(
        "SELECT call_id, inference_geo, speed, web_search_requests FROM calls "
        "ORDER BY source_line") == [
        ("msg_01XFDUDYJgAACzvnptvVoYEL", "us", None, 1),  # usage.inference_geo, 1 web search
        ("msg_02", None, None, None),
        ("msg_03", "global", "fast", None),                # top-level geo, usage.speed
    ]
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (5, "cache_creation split (5m 500 + 1h 600) does not add up to "
            "cache_creation_input_tokens (1000)"),
        (6, "not valid JSON"),
        (8, "usage.output_tokens is not a whole number: lots"),
    ]


# ---------------------------------------------------------------------------------------------
# anthropic_batch

def test_anthropic_batch_rows(store):
    r = load(store, "anthropic_batch.jsonl")
    assert r.adapter == "anthropic_batch"
    # 8 lines: 2 succeeded loaded; errored, canceled, expired skipped; broken JSON, an unknown
    # result type and a succeeded result without a message rejected. 2 + 3 + 0 + 3 = 8
    assert counts(r) == (8, 2, 3, 0, 3)
    assert any("no ts" in n for n in r.notes)
    assert store.query(ROW_SQL) == [
        # input 10 + 0 + 0 = 10
        ("msg_b1", None, "claude-sonnet-4-5-20250929", "anthropic",
         10, 0, 0, 0, 50, None, "batch", "ok", True),
        # input 200 + 3000 read + 1200 written (all 1h) = 4400; the message says "standard",
        # the file says batch; output 400 includes thinking 100
        ("msg_b3", None, "claude-haiku-4-5-20251001", "anthropic",
         4400, 3000, 0, 1200, 400, 100, "batch", "ok", True),
    ]
    # input 10+4400 = 4410; read 3000; write 1200; output 50+400 = 450
    assert token_totals(store) == {"calls": 2, "input": 4410, "cache_read": 3000,
                                   "cache_write": 1200, "output": 450}
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (6, "not valid JSON"), (7, "unknown result type: pending"),
        (8, "succeeded result has no message")]


# ---------------------------------------------------------------------------------------------
# gemini

def test_gemini_rows(store):
    r = load(store, "gemini.jsonl")
    assert r.adapter == "gemini"
    # 7 lines: 4 calls; line 4 an earlier chunk of stream-4 (duplicate, expected: not
    # conflicting); line 6 without usageMetadata and line 7 broken JSON rejected. 4 + 2 + 1 = 7
    assert counts(r) == (7, 4, 2, 1, 0)
    assert r.rows_conflicting == 0
    d = datetime
    assert store.query(ROW_SQL) == [
        # provider-facts B3 example: prompt 11500 INCLUDES cached 10000; output = candidates
        # 1000 + thoughts 10000 = 11000; the Gemini API sends no time
        ("mGnRaM7xCrTH1MkP6peB2Ak", None, "gemini-2.5-pro", "google",
         11500, 10000, 0, 0, 11000, 10000, "standard", "ok", True),
        # Vertex: input = prompt 3000 + toolUsePrompt 400 = 3400; output 250 (no thoughts);
        # createTime with nanoseconds read to the microsecond
        ("vtx-2", d(2026, 10, 5, 9, 15, 30, 123456), "gemini-2.5-flash", "google",
         3400, 0, 0, 0, 250, None, "standard", "ok", True),
        # SDK snake_case: output = 120 + 380 = 500; logger timestamp
        ("sdk-3", d(2026, 10, 5, 10, 0), "gemini-2.5-flash", "google",
         5000, 4096, 0, 0, 500, 380, "standard", "ok", True),
        # last chunk of the stream kept: output = 95 + 40 = 135
        ("stream-4", None, "gemini-2.5-flash", "google",
         800, 0, 0, 0, 135, 40, "standard", "ok", True),
    ]
    # input 11500+3400+5000+800 = 20700; read 10000+4096 = 14096
    # output 11000+250+500+135 = 11885
    assert token_totals(store) == {"calls": 4, "input": 20700, "cache_read": 14096,
                                   "cache_write": 0, "output": 11885}
    assert store.query("SELECT source_line FROM calls WHERE call_id = 'stream-4'") == [(5,)]
    assert store.query("SELECT line, reason FROM rejects ORDER BY line") == [
        (6, "no usageMetadata in this response (nor in any chunk of its stream): its tokens are "
            "unknown"), (7, "not valid JSON")]


# ---------------------------------------------------------------------------------------------
# detection

FIXTURES = {
    "openai.jsonl": "openai",
    "openai_batch.jsonl": "openai_batch",
    "anthropic.jsonl": "anthropic",
    "anthropic_batch.jsonl": "anthropic_batch",
    "gemini.jsonl": "gemini",
}


@pytest.mark.parametrize(("name", "adapter"), sorted(FIXTURES.items()))
def test_detection_picks_the_format(store, name: str, adapter: str):
    sample = take_sample(F / name, store.con)
    assert detect_adapter(sample).name == adapter
    scores = {a.name: a.sniff(sample) for a in ADAPTERS}
    assert scores[adapter] >= 50
    # no other adapter claims the file as strongly (no stealing), and generic stays far below
    assert all(s < scores[adapter] for n, s in scores.items() if n != adapter)
    assert scores["generic"] < 50


@pytest.mark.parametrize("name", sorted(
    p.name for p in (DATA / "generic").iterdir() if p.suffix in (".csv", ".jsonl")))
def test_generic_fixtures_stay_generic(store, name: str):
    sample = take_sample(DATA / "generic" / name, store.con)
    mine = {"openai", "openai_batch", "anthropic", "anthropic_batch", "gemini"}
    assert all(a.sniff(sample) == 0 for a in ADAPTERS if a.name in mine)
    if name != "not_a_log.csv":
        assert detect_adapter(sample).name == "generic"


def test_batch_input_file_is_not_batch_output(store, tmp_path: Path):
    f = tmp_path / "batch_input.jsonl"
    f.write_text(json.dumps({"custom_id": "req-1", "method": "POST", "url": "/v1/chat/completions",
                             "body": {"model": "gpt-4o-mini", "messages": []}}) + "\n")
    sample = take_sample(f, store.con)
    assert all(a.sniff(sample) == 0 for a in ADAPTERS)


def test_reingest_adds_nothing(store):
    load(store, "openai_batch.jsonl")
    again = load(store, "openai_batch.jsonl")
    assert again.rows_loaded == 0
    assert store.query("SELECT count(*) FROM calls")[0][0] == 4


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_sample_logs_are_detected(store, name: str):
    path = ROOT / "sample_logs" / "providers" / name
    sample = take_sample(path, store.con)
    assert detect_adapter(sample).name == FIXTURES[name]
