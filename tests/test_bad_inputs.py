"""The bad-input corpus (tests/data/bad, written by make_corpus.py; big and random inputs are made
here in tmp_path), run through the CLI as a user would.

Each input either fails with one clear paragraph (exit code 1, stderr `Error: …` then an indented
hint, no traceback, the store untouched) or loads, every record accounted for:
rows_read = loaded + rejected + duplicate + skipped, each reject with its line and reason.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from llmcost.store import open_store
from tests.conftest import DATA, ROOT, CliResult

BAD = DATA / "bad"
T0 = 1790848800  # 2026-10-01T10:00:00Z


def assert_clear_error(r: CliResult, *phrases: str) -> None:
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("Error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.rstrip("\n").split("\n")
    # one paragraph, then the hint on its own indented line
    assert len(lines) == 2 and lines[1].startswith("  ") and lines[1].strip(), r.stderr
    for phrase in phrases:
        assert phrase in r.stderr, (phrase, r.stderr)


def ingest_ok(cli: Any, path: Path, *extra: str) -> dict[str, Any]:
    r = cli("ingest", str(path), "--format", "json", *extra)
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.stderr
    files = r.json()["ingest"]["files"]
    assert len(files) == 1
    f = files[0]
    assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"] + f["rows_duplicate"] + f["rows_skipped"]
    return f


def store_rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with open_store(str(tmp_path / "store.duckdb")) as s:
        return s.query(sql)


def assert_store_empty(cli: Any) -> None:
    assert cli("sources", "--format", "json").json()["sources"] == []


# ---------------------------------------------------------------------------------------------
# files that cannot be read at all: one clear error, nothing stored


@pytest.mark.parametrize(("name", "phrases"), [
    ("empty.csv", ["is empty"]),
    ("blank_lines.jsonl", ["is not a call log", "--map"]),
    ("cp1252.csv", ["not UTF-8", "iconv"]),
    ("truncated.jsonl.gz", ["cannot be read", "complete gzip"]),
])
def test_unreadable_corpus_files_are_one_clear_error(cli, name: str, phrases: list[str]):
    r = cli("ingest", str(BAD / name))
    assert_clear_error(r, *phrases)
    assert_store_empty(cli)
    # analyze says the same (the error is not specific to one command)
    assert_clear_error(cli("analyze", str(BAD / name)), *phrases)


def test_binary_junk_is_one_clear_error(cli, tmp_path: Path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40 + os.urandom(4096))
    assert_clear_error(cli("ingest", str(junk)), "binary data")
    # without NUL bytes, but not text in any encoding llmcost can tell
    high = tmp_path / "junk.jsonl"
    high.write_bytes(bytes(range(0x80, 0x100)) * 30)
    assert_clear_error(cli("ingest", str(high)), "not UTF-8")
    # a gzip file that does not say so
    hidden = tmp_path / "calls.jsonl"
    hidden.write_bytes(gzip.compress((BAD / "bom.jsonl").read_bytes()))
    assert_clear_error(cli("ingest", str(hidden)), "gzip-compressed", ".gz")
    assert_store_empty(cli)


def test_truncated_big_gzip_fails_whole_and_stores_nothing(cli, tmp_path: Path):
    """Truncated after the sample: the head reads, the load fails; nothing of it is kept."""
    good = cli("ingest", str(DATA / "generic" / "tracker.csv"))
    assert good.exit_code == 0
    rows = [json.dumps({"id": f"chatcmpl-{i}", "object": "chat.completion", "created": T0,
                        "model": "gpt-4o", "usage": {"prompt_tokens": i, "completion_tokens": 1},
                        "pad": os.urandom(48).hex()}) for i in range(12000)]
    data = gzip.compress(("\n".join(rows) + "\n").encode())
    cut = tmp_path / "calls.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    assert_clear_error(cli("ingest", str(cut)), "gzip data ends early")
    sources = cli("sources", "--format", "json").json()["sources"]
    assert [s["source_file"] for s in sources] == [str(DATA / "generic" / "tracker.csv")]
    assert sources[0]["calls_stored"] == 5


# ---------------------------------------------------------------------------------------------
# files that load: every record accounted for


@dataclass
class Case:
    name: str
    adapter: str
    counts: tuple[int, int, int, int, int]  # read, loaded, rejected, duplicate, skipped
    rejects: list[tuple[int, str]]  # (line, start of the reason)
    tokens: tuple[int, int] | None = None  # input, output of the loaded calls
    conflicting: int = 0
    note: str | None = None
    extra: tuple[str, ...] = ()  # options of `ingest`


CASES = [
    Case("header_only.csv", "generic", (0, 0, 0, 0, 0), [], (0, 0), note="holds no records"),
    Case("semicolon.csv", "generic", (3, 3, 0, 0, 0), [], (6000, 600)),
    Case("tabs.tsv", "generic", (2, 2, 0, 0, 0), [], (3000, 300)),
    Case("bom.csv", "generic", (2, 2, 0, 0, 0), [], (3000, 300)),
    Case("bom.jsonl", "openai", (2, 2, 0, 0, 0), [], (3000, 300)),
    Case("bom_array.json", "openai", (2, 2, 0, 0, 0), [], (3000, 300)),
    Case("ragged.csv", "generic", (5, 3, 2, 0, 0), [
        (3, "unreadable CSV record: TOO MANY COLUMNS"),
        (5, "unreadable CSV record: MISSING COLUMNS")], (6000, 600)),
    Case("quoted_newlines.csv", "generic", (4, 3, 1, 0, 0), [
        (4, "input_tokens is not a whole number: lots")], (7000, 700)),
    Case("bad_counts.csv", "generic", (11, 2, 9, 0, 0), [
        (3, "negative input_tokens: -5"),
        (4, "input_tokens is not a whole number: NaN"),
        (5, "output_tokens is not a whole number: inf"),
        (6, "implausible input_tokens (over 1,000,000,000)"),
        (7, "input_tokens is not a whole number: 99999999999999999999999"),
        (8, "input_tokens is not a whole number: twelve"),
        (9, "input_tokens is not a whole number: 12.5"),
        (10, "no output token count"),
        (11, "no model name")], (3000, 300)),
    Case("bad_counts.jsonl", "openai", (9, 2, 7, 0, 0), [
        (3, "usage.prompt_tokens is not a whole number: true"),
        (4, "usage.prompt_tokens is not a whole number: [1000]"),
        (5, "no input token count"),
        (6, "negative usage.completion_tokens: -1"),
        (7, "usage.completion_tokens is not a whole number: 1e300"),
        (8, "usage.completion_tokens is not a whole number: 12.5"),
        (9, "cache tokens exceed input tokens")], (3000, 200)),
    # line 17 (-1) is a "no time" sentinel: the call is kept without a time (issue 13); numbers
    # that are no plausible epoch (NaN, 1e300) and times before 2000 or after 2199 are rejected
    Case("timestamps.csv", "generic", (19, 11, 8, 0, 0),
         [(12, "time is not a readable time"), (13, "time is not a readable time"),
          (14, "time is not a readable time"), (15, "time is not a readable time"),
          (16, "time is not a plausible call time"), (18, "time is not a plausible call time"),
          (19, "time is outside 2000–2199"), (20, "time is outside 2000–2199")], (11, 11)),
    Case("mixed.jsonl", "openai", (8, 3, 5, 0, 0), [
        (2, "an Anthropic message, not an OpenAI response object"),
        (3, "not valid JSON"),
        (6, "not valid JSON"),
        (7, "not a JSON object"),
        (8, "an Anthropic message, not an OpenAI response object")], (6000, 600)),
    Case("duplicates.jsonl", "openai", (4, 2, 0, 2, 0), [], (3000, 300), conflicting=1,
         note="other token counts"),
    Case("duplicates.csv", "generic", (4, 2, 0, 2, 0), [], (3000, 300), conflicting=1,
         note="other token counts"),
    Case("unknown_model.csv", "generic", (4, 4, 0, 0, 0), [], (11100, 1110)),
    Case("latin1.csv", "generic", (2, 2, 0, 0, 0), [], (3000, 300), note="latin-1"),
    Case("utf16.csv", "generic", (1, 1, 0, 0, 0), [], (1000, 100), note="utf-16"),
    Case("hostile_text.csv", "generic", (5, 5, 0, 0, 0), [], (3045, 305)),
    # issue 13's cases. UTF-16 big-endian: 1000+2000+3000 in, 100+200+300 out
    Case("utf16be.jsonl", "openai", (3, 3, 0, 0, 0), [], (6000, 600)),  # (the generic adapter notes it)
    Case("utf16be.csv", "generic", (2, 2, 0, 0, 0), [], (3000, 300), note="utf-16"),
    # lone surrogates in records 1 and 3: all three load
    Case("lone_surrogate.jsonl", "openai", (3, 3, 0, 0, 0), [], (6000, 600)),
    # input = line: lines 2, 3, 4 (sentinels), 9, 10 load: 2+3+4+9+10 = 28 in, 5 out
    Case("time_sentinels.csv", "generic", (9, 5, 4, 0, 0),
         [(5, "time is not a plausible call time"), (6, "time is not a plausible call time"),
          (7, "time is not a readable time"), (8, "time is outside 2000–2199")], (28, 5)),
    # the forged __skip / __reason / __pos / _pos columns skip and reject nothing: 100+50, 10+5
    Case("internal_columns.csv", "generic", (2, 2, 0, 0, 0), [], (150, 15)),
    # `in\` mapped to input_tokens: 40+60 in, 4+6 out
    Case("backslash_key.jsonl", "generic", (2, 2, 0, 0, 0), [], (100, 10), extra=("--map", "in\\=input_tokens")),
    # under the default cap (4 GB) the bomb's 3 MB load: one call, the blank lines are no records
    Case("bomb.jsonl.gz", "generic", (1, 1, 0, 0, 0), [], (10, 5)),
    # the file's model column (gpt-4o) wins over the folder's model=claude-opus-4-1, with a note
    Case("model=claude-opus-4-1/calls.csv", "generic", (1, 1, 0, 0, 0), [], (1000, 100),
         note="model=claude-opus-4-1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file_loads_with_every_record_accounted_for(cli, tmp_path: Path, case: Case):
    f = ingest_ok(cli, BAD / case.name, *case.extra)
    assert f["adapter"] == case.adapter
    got = (f["rows_read"], f["rows_loaded"], f["rows_rejected"], f["rows_duplicate"], f["rows_skipped"])
    assert got == case.counts
    assert f["rows_conflicting"] == case.conflicting
    if case.note:
        assert any(case.note in n for n in f["notes"]), f["notes"]
    rejects = cli("rejects", "--format", "json").json()
    assert rejects["total"] == case.counts[2]
    got_rejects = [(x["line"], x["reason"]) for x in rejects["rejects"]]
    assert len(got_rejects) == len(case.rejects)
    for (line, reason), (want_line, want_reason) in zip(got_rejects, case.rejects, strict=True):
        assert line == want_line and reason.startswith(want_reason), (line, reason)
    assert all(x["raw"] for x in rejects["rejects"])
    if case.tokens is not None:
        calls, inp, out = store_rows(tmp_path, "SELECT count(*), coalesce(sum(input_tokens), 0), "
                                               "coalesce(sum(output_tokens), 0) FROM calls")[0]
        assert (calls, inp, out) == (case.counts[1], *case.tokens)
    # loading the same file again adds nothing
    again = ingest_ok(cli, BAD / case.name, *case.extra)
    assert again["rows_loaded"] == 0 and again["status"] == "unchanged"


def test_text_survives_quotes_newlines_and_encodings(cli, tmp_path: Path):
    for name in ("semicolon.csv", "quoted_newlines.csv", "latin1.csv", "utf16.csv", "utf16be.csv"):
        ingest_ok(cli, BAD / name)
    features = {r[0] for r in store_rows(tmp_path, "SELECT feature FROM calls")}
    assert {"chat, with comma", "multi\nline\nfeature", 'say "hi", then\r\nleave', "a,b",
            "café", "naïve", "日本語", "été", "한국어"} <= features
    # lines of the loaded records point at their own records (header = line 1)
    lines = store_rows(tmp_path, "SELECT source_line FROM calls WHERE source_file LIKE '%quoted%' "
                                 "ORDER BY 1")
    assert [r[0] for r in lines] == [2, 3, 5]


def test_every_readable_time_format_lands_on_the_same_utc_instant(cli, tmp_path: Path):
    ingest_ok(cli, BAD / "timestamps.csv")
    times = store_rows(tmp_path, "SELECT DISTINCT ts FROM calls WHERE ts IS NOT NULL")
    assert times == [(datetime(2026, 10, 1, 10, 0),)]
    # the -1 sentinel: one call kept without a time
    assert store_rows(tmp_path, "SELECT count(*) FROM calls WHERE ts IS NULL") == [(1,)]


def test_time_sentinels_are_kept_without_a_time(cli, tmp_path: Path):
    ingest_ok(cli, BAD / "time_sentinels.csv")
    # lines 2-4 (0, the epoch, 0000-00-00) without a time; lines 9 and 10 at 2026-10-01T10:00Z
    assert store_rows(tmp_path, "SELECT source_line, ts FROM calls ORDER BY 1") == [
        (2, None), (3, None), (4, None), (9, datetime(2026, 10, 1, 10, 0)), (10, datetime(2026, 10, 1, 10, 0))]


def test_a_log_column_named_like_an_internal_one_forges_nothing(cli, tmp_path: Path):
    ingest_ok(cli, BAD / "internal_columns.csv")
    assert store_rows(tmp_path, "SELECT source_line, input_tokens FROM calls ORDER BY 1") == [(2, 100), (3, 50)]
    assert cli("rejects", "--format", "json").json()["total"] == 0


def test_a_hive_folder_does_not_override_the_files_model(cli):
    doc = cli("analyze", str(BAD / "model=claude-opus-4-1" / "calls.csv"), "--format", "json").json()
    # priced as the file's gpt-4o ($2.50 / $10 per MTok), not Opus: 1000 in, 100 out = $0.0035
    assert [m["model"] for m in doc["by_model"]] == ["gpt-4o"]
    assert abs(doc["totals"]["cost_usd"] - (1000 * 2.5 + 100 * 10) / 1e6) < 1e-12


def test_the_corpus_gzip_bomb_is_refused_past_the_cap(cli, monkeypatch: pytest.MonkeyPatch):
    bomb = BAD / "bomb.jsonl.gz"
    assert bomb.stat().st_size < 4096  # a few KB on disk, 3,000,060 bytes expanded
    assert_clear_error(cli("ingest", str(bomb), "--max-expanded", "1MB"),
                       "expands to more than 1 MB when decompressed", "--max-expanded")
    monkeypatch.setenv("LLMCOST_MAX_EXPANDED", "2MB")
    assert_clear_error(cli("ingest", str(bomb)), "expands to more than 2 MB", "LLMCOST_MAX_EXPANDED")
    assert_store_empty(cli)
    # 3 MB fits under a 4 MB cap: its one call loads
    assert ingest_ok(cli, bomb, "--max-expanded", "4MB")["rows_loaded"] == 1


def test_ragged_rows_keep_the_line_numbers_of_the_rows_after_them(cli, tmp_path: Path):
    ingest_ok(cli, BAD / "ragged.csv")
    lines = store_rows(tmp_path, "SELECT source_line, input_tokens FROM calls ORDER BY 1")
    assert lines == [(2, 1000), (4, 2000), (6, 3000)]


def test_unknown_models_load_unpriced_never_zero(cli):
    doc = cli("analyze", str(BAD / "unknown_model.csv"), "--format", "json").json()
    t = doc["totals"]
    assert (t["calls"], t["priced_calls"], t["unpriced_calls"]) == (4, 1, 3)
    # gpt-4o at $2.50 / $10 per MTok: 1000 in, 100 out
    assert abs(t["cost_usd"] - (1000 * 2.5 + 100 * 10) / 1e6) < 1e-12
    assert {(u["model"], u["calls"]) for u in doc["unpriced_models"]} == {
        ("acme-large-7", 2), ("totally-new-model", 1)}


# ---------------------------------------------------------------------------------------------
# long lines (made here: 10 MB is too big to commit)


def test_a_10mb_json_line_loads_and_a_10mb_garbage_line_is_rejected(cli, tmp_path: Path):
    def chat(cid: str, content: str, prompt: int) -> str:
        return json.dumps({"id": cid, "object": "chat.completion", "created": T0, "model": "gpt-4o",
                           "choices": [{"message": {"role": "assistant", "content": content}}],
                           "usage": {"prompt_tokens": prompt, "completion_tokens": 10}})

    log = tmp_path / "long.jsonl"
    log.write_text("\n".join([
        chat("chatcmpl-huge", "x" * 10_000_000, 5000),  # first: longer than the sample
        chat("chatcmpl-1", "ok", 100),
        "{" + "garbage " * 1_300_000,  # 10 MB, not JSON
        chat("chatcmpl-2", "é\\\"" * 100_000, 200),  # 300 kB of escapes and non-ASCII
    ]) + "\n")
    f = ingest_ok(cli, log)
    assert (f["adapter"], f["rows_read"], f["rows_loaded"], f["rows_rejected"]) == ("openai", 4, 3, 1)
    rejects = cli("rejects", "--format", "json").json()["rejects"]
    assert [(r["line"], r["reason"]) for r in rejects] == [(3, "not valid JSON")]
    assert len(rejects[0]["raw"]) < 5000  # only the head of a huge rejected line is kept
    assert store_rows(tmp_path, "SELECT call_id, input_tokens FROM calls ORDER BY 1") == [
        ("chatcmpl-1", 100), ("chatcmpl-2", 200), ("chatcmpl-huge", 5000)]


def test_a_10mb_csv_field_loads(cli, tmp_path: Path):
    log = tmp_path / "long.csv"
    log.write_text("timestamp,model,input_tokens,output_tokens,prompt\n"
                   f"2026-10-01T10:00:00Z,gpt-4o,100,10,{'y' * 10_000_000}\n"
                   "2026-10-01T10:01:00Z,gpt-4o,200,20,short\n")
    f = ingest_ok(cli, log)
    assert (f["rows_read"], f["rows_loaded"]) == (2, 2)


# ---------------------------------------------------------------------------------------------
# errors: one paragraph and a hint, exit 1 (2 for usage); --debug / LLMCOST_DEBUG=1 show the
# traceback

G = DATA / "generic"

ERRORS = [
    (("ingest", "no/such/file.csv"), 1, "does not exist"),
    (("ingest", str(G / "tracker.csv"), "--source", "nosuch"), 2, "no such log format"),
    (("ingest", str(G / "tracker.csv"), "--map", "amount=dollars"), 2, "not a field llmcost knows"),
    (("analyze", str(G / "not_a_log.csv")), 1, "not a call log"),
    (("analyze", "--since", "last tuesday"), 2, "not a date"),
    (("analyze", "--until", "9999-12-31"), 2, "out of range"),
    (("analyze", "--by", "colour"), 2, "not a breakdown"),
    (("analyze", "--pricing", "no/such/prices.yaml"), 1, "no such file"),
    (("simulate", "--cap-output", "-5"), 2, "0 to 1,000,000,000"),
    (("simulate", "--cache", "auto", "--cacheable-tokens", "99999999999999999999"), 2,
     "--cacheable-tokens"),
    (("simulate", "--trim-prompt", "5"), 2, "between 0 and 1"),
    (("simulate", "--route", "no-such-model"), 2, "neither a model"),
    (("recommend", "--config", "no/such/llmcost.yaml"), 2, "no such file"),
    (("pricing", "show", "no-such-model"), 1, "not in the price book"),
    (("sources", "--db", str(G / "tracker.csv")), 1, "names a log file"),
]


@pytest.mark.parametrize(("args", "code", "phrase"), ERRORS, ids=[f"{a[0]}: {p}" for a, _, p in ERRORS])
def test_failures_are_one_paragraph_with_a_hint(cli, args: tuple[str, ...], code: int, phrase: str):
    assert cli("ingest", str(G / "tracker.csv")).exit_code == 0
    r = cli(*args)
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.rstrip("\n").split("\n")
    assert len(lines) == 2 and lines[1].startswith("  "), r.stderr
    assert phrase in r.stderr


def test_a_huge_limit_is_clamped_not_a_sql_error(cli):
    assert cli("ingest", str(G / "bad_lines.csv")).exit_code == 0
    r = cli("rejects", "--limit", "99999999999999999999", "--format", "json")
    assert r.exit_code == 0 and r.json()["total"] == 6


def test_out_of_memory_is_explained(cli, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LLMCOST_MEMORY_LIMIT", "3MB")
    assert_clear_error(cli("analyze", str(G / "tracker.csv")), "ran out of memory",
                       "LLMCOST_MEMORY_LIMIT=4GB")
    monkeypatch.setenv("LLMCOST_MEMORY_LIMIT", "lots")
    assert_clear_error(cli("analyze", str(G / "tracker.csv")), "not a memory size")


def test_unexpected_failures_are_wrapped_bugs_are_not():
    import duckdb

    from llmcost.cli.common import wrap_unexpected

    assert "could not read or write" in wrap_unexpected(duckdb.IOException("IO Error: disk full")).message
    assert wrap_unexpected(duckdb.ConversionException("Conversion Error: x")).hint.startswith("This is likely a bug")
    disk = wrap_unexpected(OSError(28, "No space left on device", "/tmp/r.html"))
    assert disk is not None and "/tmp/r.html" in disk.message and "disk" in disk.hint
    interrupted = wrap_unexpected(RuntimeError("Query interrupted"))
    assert interrupted is not None and interrupted.exit_code == 130
    assert wrap_unexpected(ValueError("a bug")) is None  # a bug keeps its traceback


def _llmcost(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llmcost", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=ROOT, timeout=120)


def test_debug_flag_and_env_show_the_traceback(tmp_path: Path):
    args = ("ingest", "no/such/file.csv", "--db", str(tmp_path / "s.duckdb"))
    plain = _llmcost(*args, env={"LLMCOST_DEBUG": ""})
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("Error: ")
    for run in (_llmcost(*args, "--debug", env={"LLMCOST_DEBUG": ""}),
                _llmcost(*args, env={"LLMCOST_DEBUG": "1"})):
        assert run.returncode == 1
        assert "Traceback" in run.stderr and "InputFileError" in run.stderr
    off = _llmcost(*args, env={"LLMCOST_DEBUG": "0"})
    assert "Traceback" not in off.stderr


@pytest.mark.slow
def test_ctrl_c_mid_ingest_is_one_line_and_rolls_back(tmp_path: Path):
    """SIGINT while DuckDB reads a big file: exit 130, one paragraph (DuckDB's own "Query
    interrupted" RuntimeError used to escape as a traceback), and the store as before."""
    from llmcost.store import connect

    db, big = tmp_path / "store.duckdb", tmp_path / "big.csv"
    con = connect()
    con.execute(f"""COPY (SELECT TIMESTAMP '2026-10-01' + INTERVAL (i) SECOND AS timestamp,
                         'gpt-4o' AS model, 1000 + i % 7 AS input_tokens, 10 AS output_tokens
                  FROM range(3000000) t(i)) TO '{big}' (HEADER)""")
    con.close()
    assert _llmcost("ingest", str(G / "tracker.csv"), "--db", str(db)).returncode == 0
    # on a terminal (a pty), so that llmcost's progress display says "reading big.csv" as the
    # load begins: the signal waits for that text, never for a fixed time (a SIGINT sent after
    # 2 s on a slow machine landed while Python was still importing: a KeyboardInterrupt
    # traceback). The terminal's output is read as it comes, so it never blocks.
    from tests.pty_session import PtySession

    run = PtySession("ingest", str(big), "--db", str(db), columns=80)
    if not run.wait_for(r"reading big\.csv"):  # generous: a busy machine takes long to start Python
        run.proc.kill()
        pytest.fail(f"no 'reading big.csv' within 300 s: {run.text!r}")
    assert run.proc.poll() is None, "the ingest finished before it could be interrupted"
    run.proc.send_signal(signal.SIGINT)
    assert run.finish(timeout=120) == 130
    err = run.text
    after = err[err.rindex("reading big.csv"):]  # what follows the progress display
    assert "Error: Interrupted; the file being loaded was rolled back" in after, err
    assert "Traceback" not in err
    with open_store(str(db)) as s:
        assert [x.source_file for x in s.sources()] == [str(G / "tracker.csv")]
        assert s.query("SELECT count(*) FROM calls")[0][0] == 5
