"""Real files as tools write them (issue 12): every JSON layout (one pretty object, arrays,
`jq .` output, SSE dumps), streams, responses without a model, Claude Code sessions with a
300 KB first line or a GLM backend, neutral generic cache columns, and the files a run leaves
alone. Fixtures: tests/data/real/ (public real files, sources and licences in its README) and
tests/data/shapes/ (written from the formats' documentation, see its README); the expected
figures are counted by hand from those files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from llmcost.ingest import IngestOptions, ingest_files
from tests.conftest import DATA, token_totals

REAL = DATA / "real"
SHAPES = DATA / "shapes"


def load(store, *paths: Path | str, **opts):
    return ingest_files(store, [str(p) for p in paths], IngestOptions(**opts))


def counts(r) -> tuple[int, int, int, int, int]:
    """(read, loaded, rejected, duplicate, skipped), after checking the accounting identity."""
    assert r.rows_read == r.rows_loaded + r.rows_rejected + r.rows_duplicate + r.rows_skipped
    return (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped)


# (file, adapter, (read, loaded, rejected, duplicate, skipped), token totals) — see README
REAL_FILES = [
    # one chat.completion pretty-printed: prompt 1117 INCLUDES cached 0; completion 46
    ("openai_chat_pretty.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 1117, "cache_read": 0, "cache_write": 0, "output": 46}),
    # prompt 4020 includes cached 4012
    ("openai_chat_cached_pretty.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 4020, "cache_read": 4012, "cache_write": 0, "output": 4}),
    # 5 chunks (the closing `data: [DONE]` is not a record): the last carries usage 9 / 2,
    # the 4 others are skipped parts of the call
    ("openai_chat_stream.sse.txt", "openai", (5, 1, 0, 0, 4),
     {"calls": 1, "input": 9, "cache_read": 0, "cache_write": 0, "output": 2}),
    # 14 events: response.completed carries usage 53 in / 469 out (448 reasoning); 13 parts
    ("openai_responses_stream.sse.txt", "openai", (14, 1, 0, 0, 13),
     {"calls": 1, "input": 53, "cache_read": 0, "cache_write": 0, "output": 469}),
    ("openai_responses_pretty.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 4020, "cache_read": 4012, "cache_write": 0, "output": 5}),
    # Anthropic input 406 EXCLUDES cache (0 here)
    ("anthropic_message_pretty.json", "anthropic", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 406, "cache_read": 0, "cache_write": 0, "output": 50}),
    # input 3 + read 1111 + write 418 = 1532
    ("anthropic_message_cached_pretty.json", "anthropic", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 1532, "cache_read": 1111, "cache_write": 418, "output": 33}),
    # 8 events: message_start (input 25, output 1) + message_delta (output 15) = one call of
    # 25 in / 15 out; the 7 other events are parts
    ("anthropic_stream.sse.txt", "anthropic", (8, 1, 0, 0, 7),
     {"calls": 1, "input": 25, "cache_read": 0, "cache_write": 0, "output": 15}),
    # prompt 373 includes cached 204; output = candidates 89 + thoughts 167 = 256
    ("gemini_pretty.json", "gemini", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 373, "cache_read": 204, "cache_write": 0, "output": 256}),
    # 3 chunks sharing a responseId with running totals: the last (18 in, 80 + 35 thoughts out)
    # is kept, the 2 earlier copies are duplicates
    ("gemini_stream.sse.txt", "gemini", (3, 1, 0, 2, 0),
     {"calls": 1, "input": 18, "cache_read": 0, "cache_write": 0, "output": 115}),
    # the prompt count falls from 15 to 13 in the last chunk, whose output (8) is largest
    ("gemini_stream_prompt_count_changes.sse.txt", "gemini", (3, 1, 0, 2, 0),
     {"calls": 1, "input": 13, "cache_read": 0, "cache_write": 0, "output": 8}),
    # Converse: inputTokens 2 EXCLUDES the cache: 2 + 0 read + 1322 written = 1324
    ("bedrock_converse.json", "bedrock_converse", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 1324, "cache_read": 0, "cache_write": 1322, "output": 5}),
    ("bedrock_converse_cache_read.json", "bedrock_converse", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 1324, "cache_read": 1322, "cache_write": 0, "output": 5}),
    ("litellm_standard_logging_payload.json", "generic", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 10, "cache_read": 0, "cache_write": 0, "output": 20}),
    # 39 lines, 9 assistant lines of 4 messages: 4 calls, 5 duplicate copies, 30 other lines.
    # input (3+1+3+47) + read (17915+25798+18014+26504) + write (7883+208+8490+1115)
    #   = 54 + 88231 + 17696 = 105981; output 27 + 1 + 11 + 173 (the last copy, not 25) = 212
    ("claude_code_session.jsonl", "claude_code", (39, 4, 0, 5, 30),
     {"calls": 4, "input": 105981, "cache_read": 88231, "cache_write": 17696, "output": 212}),
    # system, progress records only (one embeds another file's message): no call
    ("claude_code_record_types.jsonl", "claude_code", (7, 0, 0, 0, 7),
     {"calls": 0, "input": 0, "cache_read": 0, "cache_write": 0, "output": 0}),
    # 22 + 20 = 42 in, 2 + 9 = 11 out
    ("openai_batch_output.jsonl", "openai_batch", (2, 2, 0, 0, 0),
     {"calls": 2, "input": 42, "cache_read": 0, "cache_write": 0, "output": 11}),
    ("openai_batch_errors.jsonl", "openai_batch", (2, 0, 0, 0, 2),
     {"calls": 0, "input": 0, "cache_read": 0, "cache_write": 0, "output": 0}),
    ("openrouter_response.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 17, "cache_read": 0, "cache_write": 0, "output": 2177}),
    ("groq_response.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 48, "cache_read": 0, "cache_write": 0, "output": 8}),
    # prompt 563 = 512 cache hits + 51 misses; 116 out incl. 60 reasoning
    ("deepseek_response.json", "openai", (1, 1, 0, 0, 0),
     {"calls": 1, "input": 563, "cache_read": 512, "cache_write": 0, "output": 116}),
]


@pytest.mark.parametrize(("name", "adapter", "expected", "tokens"), REAL_FILES,
                         ids=[f[0] for f in REAL_FILES])
def test_real_files_load_exactly(store, name, adapter, expected, tokens):
    r = load(store, REAL / name).files[0]
    assert r.adapter == adapter
    assert counts(r) == expected
    assert token_totals(store) == tokens


def test_the_host_that_served_a_call_is_its_provider(store):
    load(store, REAL / "openrouter_response.json", REAL / "groq_response.json",
         REAL / "anthropic_message_pretty.json")
    assert sorted(store.query("SELECT provider, model FROM calls")) == [
        ("anthropic", "claude-sonnet-4-5-20250929"),
        ("groq", "llama-3.3-70b-versatile"),  # carries an `x_groq` object
        ("openrouter", "openai/gpt-5-mini"),  # a `gen-` id and a `provider` field
    ]


# ---------------------------------------------------------------------------------------------
# JSON layouts, on one OpenAI response object

CHAT = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1790812800, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "a\nb"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                  "prompt_tokens_details": {"cached_tokens": 200}}}


def _chat(i: int) -> dict:
    return json.loads(json.dumps(CHAT).replace("chatcmpl-1", f"chatcmpl-{i}"))


@pytest.mark.parametrize(("name", "text"), [
    ("one.json", json.dumps(_chat(1), indent=2)),
    ("one.txt", json.dumps(_chat(1), indent=2)),
    ("jq.log", "".join(json.dumps(_chat(i), indent=2) + "\n" for i in (1, 2, 3))),
    ("array.json", json.dumps([_chat(i) for i in (1, 2, 3)], indent=2)),
    ("compact_array.json", json.dumps([_chat(i) for i in (1, 2, 3)])),
    ("lines.jsonl", "".join(json.dumps(_chat(i)) + "\n" for i in (1, 2, 3))),
    ("pretty_as.jsonl", "".join(json.dumps(_chat(i), indent=4) + "\n" for i in (1, 2, 3))),
    ("stream.sse", "".join(f"event: message\ndata: {json.dumps(_chat(i))}\n\n" for i in (1, 2, 3))
     + "data: [DONE]\n\n"),
])
def test_every_json_layout_loads_each_record(tmp_path, store, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = load(store, path).files[0]
    n = text.count('"chatcmpl-')
    assert r.adapter == "openai"
    assert counts(r) == (n, n, 0, 0, 0)
    # each call: 1000 in (200 cached), 100 out
    assert token_totals(store) == {"calls": n, "input": 1000 * n, "cache_read": 200 * n,
                                   "cache_write": 0, "output": 100 * n}


@pytest.mark.parametrize("layout", ["values", "array"])
def test_a_cut_off_pretty_file_keeps_its_whole_records(tmp_path, store, layout):
    if layout == "array":
        text = json.dumps([_chat(i) for i in (1, 2, 3)], indent=2)
    else:
        text = "".join(json.dumps(_chat(i), indent=2) + "\n" for i in (1, 2, 3))
    cut = text[: text.index('"chatcmpl-3"') + 60]  # the third record ends mid-way
    path = tmp_path / f"cut_{layout}.json"
    path.write_text(cut, encoding="utf-8")
    r = load(store, path).files[0]
    # 2 whole records load, the cut one is rejected (record 3), nothing else is lost
    assert counts(r) == (3, 2, 1, 0, 0)
    assert store.query("SELECT line, reason FROM rejects") == [(3, "not valid JSON")]
    assert any("read one by one" in n for n in r.notes)


def test_a_broken_record_between_pretty_records(tmp_path, store):
    good = [json.dumps(_chat(i), indent=2) for i in (1, 2)]
    path = tmp_path / "broken_middle.json"
    path.write_text(good[0] + "\n{\n  \"id\": oops,\n  \"x\": 1\n}\n" + good[1] + "\n", encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (3, 2, 1, 0, 0)  # records 1 and 3 load, record 2 is rejected
    assert store.query("SELECT line FROM rejects") == [(2,)]


# ---------------------------------------------------------------------------------------------
# streams that never say their usage, responses without a model

def test_a_chat_stream_without_usage_is_rejected_once(tmp_path, store):
    chunk = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1790812800,
             "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": "x"}}], "usage": None}
    path = tmp_path / "no_usage.sse.txt"
    path.write_text("".join(f"data: {json.dumps(chunk)}\n\n" for _ in range(3)) + "data: [DONE]\n",
                    encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (3, 0, 1, 0, 2)  # the last chunk stands for the call, rejected, saying why
    [(line, reason)] = store.query("SELECT line, reason FROM rejects")
    assert line == 5 and "stream_options.include_usage" in reason


def test_an_anthropic_stream_cut_before_message_delta_is_rejected(store, tmp_path):
    text = (REAL / "anthropic_stream.sse.txt").read_text(encoding="utf-8")
    path = tmp_path / "cut.sse.txt"
    path.write_text(text[: text.index("event: message_delta")], encoding="utf-8")
    r = load(store, path).files[0]
    # message_start, content_block_start, ping, 2 deltas, content_block_stop: the start is
    # rejected (output unknown), the 5 others are parts of the call
    assert counts(r) == (6, 0, 1, 0, 5)
    assert "ended before message_delta" in store.query("SELECT reason FROM rejects")[0][0]


def test_gemini_stream_array_only_last_chunks_carry_usage(store):
    r = load(store, SHAPES / "gemini_stream_array.json").files[0]
    # 5 chunks, 2 streams with no responseId: each ends at its finishReason chunk, the only one
    # with usageMetadata; the 3 chunks before are parts. 8 + 9 = 17 in, 7 + 3 = 10 out
    assert r.adapter == "gemini"
    assert counts(r) == (5, 2, 0, 0, 3)
    assert token_totals(store) == {"calls": 2, "input": 17, "cache_read": 0, "cache_write": 0,
                                   "output": 10}


def test_a_response_without_a_model_loads_unpriced_and_model_names_it(store, tmp_path):
    r = load(store, SHAPES / "gemini_no_model.json").files[0]
    assert counts(r) == (1, 1, 0, 0, 0)
    assert store.query("SELECT model, input_tokens, output_tokens FROM calls") == [(None, 4, 2)]
    from llmcost.store import open_store
    other = open_store(":memory:")
    try:
        load(other, SHAPES / "gemini_no_model.json", model="gemini-2.0-flash")
        assert other.query("SELECT model FROM calls") == [("gemini-2.0-flash",)]
    finally:
        other.close()


def test_gemini_grounding_is_a_priced_charge(store, tmp_path, cli):
    base = {"candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": "STOP",
                            "groundingMetadata": {"webSearchQueries": ["q1", "q2"]}}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50},
            "createTime": "2026-10-01T00:00:00Z"}
    recs = [dict(base, modelVersion="gemini-2.5-flash", responseId="g1"),
            dict(base, modelVersion="gemini-3.6-flash", responseId="g2")]
    path = tmp_path / "grounded.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    load(store, path)
    # 2.5 bills each grounded prompt (1), 3.x each search query (2)
    assert sorted(store.query("SELECT model, web_search_requests FROM calls")) == [
        ("gemini-2.5-flash", 1), ("gemini-3.6-flash", 2)]
    doc = cli("analyze", str(path), "--format", "json").json()
    # 2.5 Flash: 100 × $0.30/M + 50 × $2.50/M + 1 × $35/1000 = 0.00003 + 0.000125 + 0.035 = 0.035155
    # 3.6 Flash (introductory): 100 × $0.75/M + 50 × $3.75/M + 2 × $14/1000
    #   = 0.000075 + 0.0001875 + 0.028 = 0.0282625
    assert doc["totals"]["cost_usd"] == pytest.approx(0.035155 + 0.0282625, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Claude Code: a 300 KB first line, record types, other backends

def _session_lines(session: str, first: dict) -> list[dict]:
    call = {"type": "assistant", "sessionId": session, "uuid": "u2", "timestamp": "2026-10-01T10:00:05Z",
            "message": {"id": f"msg_{session}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                        "usage": {"input_tokens": 10, "cache_read_input_tokens": 1000,
                                  "cache_creation_input_tokens": 0, "output_tokens": 300}}}
    return [first, call]


def test_a_session_whose_first_line_is_300_kb_is_recognised_in_a_folder(tmp_path, store):
    screenshot = base64.b64encode(bytes(range(256)) * 1200).decode()  # 409,600 characters
    first = {"type": "user", "sessionId": "s1", "uuid": "u1", "timestamp": "2026-10-01T10:00:00Z",
             "message": {"role": "user", "content": [
                 {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": screenshot}},
                 {"type": "text", "text": "what is wrong here?"}]}}
    queued = {"type": "queue-operation", "operation": "enqueue", "timestamp": "2026-10-01T10:00:00Z",
              "sessionId": "s2", "content": "hi"}
    folder = tmp_path / "projects" / "-home-ana-shop"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _session_lines("s1", first)))
    (folder / "s2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _session_lines("s2", queued)))
    assert len(json.dumps(first)) > 300_000
    result = load(store, tmp_path / "projects")
    assert [(Path(f.file).name, f.adapter, counts(f)) for f in result.files] == [
        ("s1.jsonl", "claude_code", (2, 1, 0, 0, 1)), ("s2.jsonl", "claude_code", (2, 1, 0, 0, 1))]
    assert result.not_logs == []
    # each call: 10 + 1000 read = 1010 in, 300 out
    assert token_totals(store) == {"calls": 2, "input": 2020, "cache_read": 2000, "cache_write": 0,
                                   "output": 600}


def test_a_glm_backed_session_keeps_its_output_tokens(store):
    r = load(store, SHAPES / "glm_session").files[0]
    # 9 lines: snapshot, 2 progress, user (skipped: 4); one Opus call; 2 GLM messages of 2
    # copies each (the estimated first copies are duplicates: 2)
    assert counts(r) == (9, 3, 0, 2, 4)
    assert store.query(
        "SELECT call_id, provider, input_tokens, cache_read_tokens, output_tokens FROM calls "
        "ORDER BY source_line") == [
        ("msg_0167kgZUrgcT7dg7uZK7hVSg", "anthropic", 3 + 17915 + 7883, 17915, 27),
        # the copy with the most output: 4200 + 22016 read = 26216 in, 950 out (not the
        # estimated 31000 in / 0 out of the first copy)
        ("msg_glm_0001", "zhipu", 26216, 22016, 950),
        ("msg_glm_0002", "zhipu", 8800, 0, 40),
    ]


# ---------------------------------------------------------------------------------------------
# generic logs whose columns do not say the cache convention

def test_neutral_cache_columns_follow_the_data(tmp_path, store):
    path = tmp_path / "neutral.csv"
    path.write_text(
        "ts,model,input_tokens,cache_read_tokens,cache_write_tokens,output_tokens\n"
        "2026-10-01T00:00:00Z,claude-sonnet-4-5,100,5000,0,10\n"     # cache 5000 > input 100
        "2026-10-01T00:01:00Z,claude-sonnet-4-5,2000,0,1500,20\n"
        "2026-10-01T00:02:00Z,claude-sonnet-4-5,300,200,0,30\n", encoding="utf-8")
    r = load(store, path).files[0]
    # read as including the cache, row 1 would be rejected: read as excluding, all load
    assert counts(r) == (3, 3, 0, 0, 0)
    assert any("EXCLUDE cache tokens" in n and "1 rows" in n for n in r.notes)
    # input = 100+5000 + 2000+1500 + 300+200 = 9100; read 5200; write 1500; out 60
    assert token_totals(store) == {"calls": 3, "input": 9100, "cache_read": 5200, "cache_write": 1500,
                                   "output": 60}


def test_neutral_columns_that_fit_the_including_reading_keep_it(tmp_path, store):
    path = tmp_path / "neutral_ok.csv"
    path.write_text("ts,model,input_tokens,cache_read_tokens,output_tokens\n"
                    "2026-10-01T00:00:00Z,gpt-4o,1000,800,10\n", encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (1, 1, 0, 0, 0)
    assert token_totals(store)["input"] == 1000
    assert any("INCLUDE cached tokens" in n for n in r.notes)


def test_forcing_the_including_reading_rejects_as_asked(tmp_path, store):
    path = tmp_path / "neutral.csv"
    path.write_text("ts,model,input_tokens,cache_read_tokens,output_tokens\n"
                    "2026-10-01T00:00:00Z,gpt-4o,100,800,10\n", encoding="utf-8")
    r = load(store, path, input_excludes_cache=False).files[0]
    assert counts(r) == (1, 0, 1, 0, 0)


# ---------------------------------------------------------------------------------------------
# errored calls, files left alone

def test_throttled_bedrock_requests_are_errored_calls(store):
    r = load(store, SHAPES / "bedrock_throttled.jsonl").files[0]
    assert counts(r) == (29, 29, 0, 0, 0)
    assert store.query("SELECT status, billed, count(*), sum(input_tokens), sum(output_tokens) "
                       "FROM calls GROUP BY ALL ORDER BY 1") == [
        ("error", False, 23, 0, 0), ("ok", True, 6, 6000, 1200)]


def test_files_left_alone_are_named_with_the_reason(tmp_path, store):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "calls.json").write_text(json.dumps(_chat(1), indent=2), encoding="utf-8")
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    (folder / "empty.jsonl").write_text("", encoding="utf-8")
    (folder / "notes.txt").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    result = load(store, folder)
    assert [Path(f.file).name for f in result.files] == ["calls.json"]
    alone = {Path(x.file).name: x.reason for x in result.not_logs}
    assert set(alone) == {"README.md", "empty.jsonl", "notes.txt"}
    assert alone["empty.jsonl"] == "empty file"
    assert alone["README.md"].startswith("not a log file name (.md)")
    assert alone["notes.txt"].startswith("not a call log: no model / input tokens / output tokens found")


def test_a_log_that_names_no_model_says_so_and_model_prices_it(cli):
    path = str(SHAPES / "gemini_no_model.json")
    out = cli("analyze", path).stdout
    assert "unpriced: 1 call of (no model named) — name the model with --model NAME" in out
    assert "$0.00" not in out
    doc = cli("analyze", path, "--format", "json").json()
    assert doc["totals"]["cost_usd"] is None
    assert doc["unpriced_models"] == [{"model": None, "calls": 1, "reason":
                                       "the log names no model (name it with --model NAME)",
                                       "suggestion": None}]
    # a new store: --model names the model of the calls that name none, which are then priced
    # 4 in × $0.10/M + 2 out × $0.40/M = 0.0000004 + 0.0000008 = 0.0000012
    doc = cli("analyze", path, "--model", "gemini-2.0-flash", "--db", ":memory:", "--format", "json").json()
    assert doc["totals"]["cost_usd"] == pytest.approx(0.0000012, abs=1e-15)


def _observation(i: int) -> dict:
    return {"id": f"obs-{i}", "traceId": "trace-1", "type": "GENERATION", "name": "classify",
            "startTime": f"2026-10-01T00:00:0{i}Z", "model": "gpt-4o-mini",
            "usageDetails": {"input": 100, "output": 10}, "costDetails": {"total": 0.0001}}


@pytest.mark.parametrize("indent", [2, None])
def test_one_object_wrapping_its_records_in_a_list(tmp_path, store, indent):
    # the Langfuse public API's list response: {"data": [observations], "meta": {…}}
    page = {"meta": {"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1},
            "data": [_observation(i) for i in range(3)]}
    path = tmp_path / "observations.json"
    path.write_text(json.dumps(page, indent=indent), encoding="utf-8")
    r = load(store, path).files[0]
    assert r.adapter == "langfuse"
    assert counts(r) == (3, 3, 0, 0, 0)  # the list's 3 elements are the records
    assert token_totals(store) == {"calls": 3, "input": 300, "cache_read": 0, "cache_write": 0,
                                   "output": 30}


def test_a_cut_off_wrapping_object_keeps_its_whole_records(tmp_path, store):
    text = json.dumps({"data": [_observation(i) for i in range(3)], "meta": {"page": 1}}, indent=2)
    path = tmp_path / "observations_cut.json"
    path.write_text(text[: text.index('"obs-2"') + 30], encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (3, 2, 1, 0, 0)  # obs-0 and obs-1 load; the cut obs-2 is rejected


def test_an_application_log_with_json_after_a_prefix(tmp_path, store):
    path = tmp_path / "app.log"
    path.write_text(
        "2026-10-01 12:00:00,123 INFO server started on :8080\n"
        '2026-10-01 12:00:01,456 INFO llm_call {"model": "gpt-4o-mini", "task": "classify", '
        '"prompt_tokens": 1200, "completion_tokens": 8, "cached_tokens": 1024}\n'
        "2026-10-01 12:00:02,789 WARNING slow request\n"
        '2026-10-01 12:00:03,000 INFO llm_call {"model": "gpt-4o-mini", "task": "summarize", '
        '"prompt_tokens": 3000, "completion_tokens": 400, "timestamp": "2026-10-01T11:59:59Z"}\n'
        '2026-10-01 12:00:04,000 INFO llm_call {"model": "gpt-4o-mini", "prompt_tokens": 30\n',
        encoding="utf-8")
    r = load(store, path).files[0]
    # 3 lines carry JSON (the 2 others are no records); the cut last one is rejected at line 5
    assert counts(r) == (3, 2, 1, 0, 0)
    assert store.query("SELECT line, reason FROM rejects") == [(5, "not valid JSON")]
    from datetime import datetime
    # the time at the start of the line, unless the record has its own
    assert store.query("SELECT ts, task_type, input_tokens, cache_read_tokens, output_tokens "
                       "FROM calls ORDER BY source_line") == [
        (datetime(2026, 10, 1, 12, 0, 1, 456000), "classify", 1200, 1024, 8),
        (datetime(2026, 10, 1, 11, 59, 59), "summarize", 3000, 0, 400)]


def test_a_tsv_with_a_json_column_stays_a_table(tmp_path, store):
    path = tmp_path / "calls.txt"
    path.write_text("ts\tmodel\tinput_tokens\toutput_tokens\tmeta\n"
                    '2026-10-01\tgpt-4o\t100\t10\t{"a": 1}\n2026-10-01\tgpt-4o\t200\t10\t{"a": 2}\n',
                    encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (2, 2, 0, 0, 0)
    assert token_totals(store)["input"] == 300


def test_a_litellm_response_for_an_anthropic_model_keeps_its_cache_writes(tmp_path, store):
    # LiteLLM's ModelResponse (OpenAI shape, LiteLLM docs on prompt caching): prompt_tokens
    # includes the cache; Anthropic's names sit in `usage` beside OpenAI's
    resp = {"id": "chatcmpl-llm1", "object": "chat.completion", "created": 1790812800,
            "model": "claude-sonnet-4-5-20250929", "choices": [],
            "usage": {"prompt_tokens": 2106, "completion_tokens": 50, "total_tokens": 2156,
                      "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 0}}
    path = tmp_path / "litellm_response.json"
    path.write_text(json.dumps(resp, indent=2), encoding="utf-8")
    r = load(store, path).files[0]
    assert counts(r) == (1, 1, 0, 0, 0)
    assert token_totals(store) == {"calls": 1, "input": 2106, "cache_read": 0, "cache_write": 2000,
                                   "output": 50}
