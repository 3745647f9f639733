"""Issue 13, the ingest side: each attack an adversarial run found, reproduced first — paths
read as globs, streams and odd files, unreadable subfolders, names that are not UTF-8, forged
internal columns, Hive-style folders, implausible times, UTF-16 big-endian files, lone
surrogates, deep nesting, wide records and keys ending in a backslash."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from llmcost.errors import InputFileError
from llmcost.ingest import IngestOptions, ingest_files
from tests.conftest import token_totals

HEADER = "ts,model,input_tokens,output_tokens\n"


def load(store, *paths, **opts):
    return ingest_files(store, [str(p) for p in paths], IngestOptions(**opts))


def counts(r) -> tuple[int, int, int, int, int]:
    assert r.rows_read == r.rows_loaded + r.rows_rejected + r.rows_duplicate + r.rows_skipped
    return (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped)


# ---------------------------------------------------------------------------------------------
# paths

@pytest.mark.parametrize("name", ["calls[1].csv", "x?.csv", "*.csv"])
def test_a_file_name_is_never_a_pattern(tmp_path, store, name):
    # neighbours a pattern would match: calls1.csv for calls[1], xa/xb for x?, all for *
    for other, tokens in (("calls1.csv", 1000), ("xa.csv", 2000), ("xb.csv", 3000)):
        (tmp_path / other).write_text(HEADER + f"2026-10-01,gpt-4o,{tokens},1\n")
    target = tmp_path / name
    target.write_text(HEADER + "2026-10-01,gpt-4o,7,1\n")
    r = load(store, target).files
    assert [Path(f.file).name for f in r] == [name]
    assert token_totals(store) == {"calls": 1, "input": 7, "cache_read": 0, "cache_write": 0, "output": 1}


def test_only_a_name_that_matches_nothing_is_a_glob(tmp_path, store):
    for name in ("a1.csv", "a2.csv"):
        (tmp_path / name).write_text(HEADER + "2026-10-01,gpt-4o,5,1\n")
    r = load(store, tmp_path / "a?.csv")
    assert sorted(Path(f.file).name for f in r.files) == ["a1.csv", "a2.csv"]


@pytest.mark.parametrize("what", ["stdin", "fifo", "device"])
def test_streams_and_devices_are_refused_with_the_reason(tmp_path, store, what):
    if what == "stdin":
        arg, expected = "-", "not standard input"
    elif what == "fifo":
        arg, expected = str(tmp_path / "pipe"), "not a regular file"
        os.mkfifo(arg)
    else:
        arg, expected = "/dev/zero", "not a regular file"
    with pytest.raises(InputFileError) as e:
        load(store, arg)
    assert expected in str(e.value) and "does not exist" not in str(e.value)


def test_an_empty_folder_says_so(tmp_path, store):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="holds no files"):
        load(store, tmp_path / "empty")


def test_an_unreadable_subfolder_is_named(tmp_path, store, monkeypatch):
    logs = tmp_path / "logs"
    (logs / "locked").mkdir(parents=True)
    (logs / "a.csv").write_text(HEADER + "2026-10-01,gpt-4o,5,1\n")
    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # the tests run as root: refuse the folder by hand
        for root, dirs, files in real_walk(top, onerror=onerror, **kw):
            if Path(root).name == "locked":
                onerror(PermissionError(13, "Permission denied", root))
                continue
            yield root, dirs, files

    monkeypatch.setattr(os, "walk", walk)
    r = load(store, logs)
    assert [Path(f.file).name for f in r.files] == ["a.csv"]
    # its logs could not be loaded: a failure (exit code 1), not a file left alone
    assert r.not_logs == []
    [failed] = r.failed
    assert failed.file.endswith("locked") and "cannot read (Permission denied)" in failed.reason


def test_a_file_name_that_is_not_utf8_is_left_alone_not_fatal(tmp_path, store):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "good.csv").write_text(HEADER + "2026-10-01,gpt-4o,5,1\n")
    bad = os.fsencode(folder) + b"/caf\xe9.csv"
    with open(bad, "wb") as f:
        f.write((HEADER + "2026-10-01,gpt-4o,9,1\n").encode())
    r = load(store, folder)
    assert [Path(f.file).name for f in r.files] == ["good.csv"]
    assert [x.reason for x in r.not_logs] == ["its name is not valid UTF-8: rename it to load it"]


# ---------------------------------------------------------------------------------------------
# columns and folders that could forge what llmcost reads

def test_a_log_column_named_like_an_internal_one_changes_nothing(tmp_path, store):
    path = tmp_path / "forged.csv"
    path.write_text("__skip,__reason,__pos,_pos,ts,model,input_tokens,output_tokens\n"
                    "true,forged reason,9,9,2026-10-01,gpt-4o,100,10\n"
                    "false,,1,1,2026-10-02,gpt-4o,50,5\n")
    r = load(store, path).files[0]
    assert counts(r) == (2, 2, 0, 0, 0)  # nothing skipped or rejected by the forged columns
    assert store.query("SELECT source_line, input_tokens FROM calls ORDER BY 1") == [(2, 100), (3, 50)]


def test_a_hive_folder_fills_only_what_the_file_lacks(tmp_path, store):
    # the file's own model column wins over model=claude-opus-4-1/, with a note
    opus = tmp_path / "model=claude-opus-4-1"
    opus.mkdir()
    (opus / "calls.csv").write_text(HEADER + "2026-10-01,gpt-4o,100,10\n")
    # a file without a tenant column gets it from tenant=cust_9/
    tenant = tmp_path / "tenant=cust_9"
    tenant.mkdir()
    (tenant / "calls.csv").write_text(HEADER + "2026-10-01,gpt-4o,200,10\n")
    r = load(store, opus / "calls.csv", tenant / "calls.csv")
    assert any("model=claude-opus-4-1" in n and "file's values are used" in n for n in r.files[0].notes)
    assert store.query("SELECT model, tenant, input_tokens FROM calls ORDER BY input_tokens") == [
        ("gpt-4o", None, 100), ("gpt-4o", "cust_9", 200)]


def test_a_json_key_ending_in_a_backslash_maps(tmp_path, store):
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"ts": "2026-10-01T00:00:00Z", "model": "gpt-4o", "in\\": 40,
                                "output_tokens": 4}) + "\n")
    r = load(store, path, column_map={"in\\": "input_tokens"}).files[0]
    assert counts(r) == (1, 1, 0, 0, 0)
    assert token_totals(store)["input"] == 40


# ---------------------------------------------------------------------------------------------
# times

def test_implausible_times_are_rejected_and_sentinels_kept_without_a_time(tmp_path, store):
    path = tmp_path / "times.csv"
    path.write_text(HEADER + "".join(f"{t},gpt-4o,1,1\n" for t in (
        "0",                          # line 2: the "no time" sentinel: kept, no time
        "20261001",                   # 3: a date written as a number: as epoch seconds, 1970
        "2026",                       # 4: a year: 1970-01-01T00:33:46 as epoch seconds
        "2026-10-01T10:00:00+25:00",  # 5: no place is 25 hours from UTC
        "2026-10-01T10:00:00+02:00",  # 6: fine: 08:00 UTC
        "1790812800",                 # 7: fine: epoch seconds of 2026-10-01T00:00:00Z
    )))
    r = load(store, path).files[0]
    assert counts(r) == (6, 3, 3, 0, 0)
    reasons = store.query("SELECT line, reason FROM rejects ORDER BY line")
    assert [line for line, _ in reasons] == [3, 4, 5]
    assert reasons[0][1].startswith("time is not a plausible call time")
    assert reasons[2][1] == "time is not a readable time: 2026-10-01T10:00:00+25:00"
    assert store.query("SELECT source_line, ts FROM calls ORDER BY 1") == [
        (2, None), (6, datetime(2026, 10, 1, 8, 0)), (7, datetime(2026, 10, 1, 0, 0))]


# ---------------------------------------------------------------------------------------------
# encodings and JSON oddities

CALL = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1790812800, "model": "gpt-4o",
        "usage": {"prompt_tokens": 10, "completion_tokens": 2}}


@pytest.mark.parametrize("bom,codec", [(b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le")])
def test_utf16_files_of_either_byte_order(tmp_path, store, bom, codec):
    lines = "".join(json.dumps(dict(CALL, id=f"chatcmpl-{i}")) + "\n" for i in range(3))
    (tmp_path / "calls.jsonl").write_bytes(bom + lines.encode(codec))
    (tmp_path / "calls.csv").write_bytes(bom + (HEADER + "2026-10-01,gpt-4o,100,10\n").encode(codec))
    r = load(store, tmp_path / "calls.jsonl", tmp_path / "calls.csv").files
    assert [(f.adapter, counts(f)) for f in r] == [("openai", (3, 3, 0, 0, 0)), ("generic", (1, 1, 0, 0, 0))]
    # 3 × 10 + 100 in; 3 × 2 + 10 out
    assert token_totals(store) == {"calls": 4, "input": 130, "cache_read": 0, "cache_write": 0, "output": 16}


def test_a_lone_surrogate_keeps_the_call(tmp_path, store):
    rec = dict(CALL, choices=[{"message": {"content": "PLACEHOLDER"}}])
    line = json.dumps(rec).replace('"PLACEHOLDER"', '"cut mid-emoji \\ud83d"')
    path = tmp_path / "surrogate.jsonl"
    path.write_text(line + "\n")
    r = load(store, path).files[0]
    assert counts(r) == (1, 1, 0, 0, 0)
    assert token_totals(store)["input"] == 10


def test_deep_nesting_in_the_head_is_no_traceback(tmp_path, store):
    deep = '{"nest": ' + "[" * 3000 + "]" * 3000 + "}"
    path = tmp_path / "deep.jsonl"
    path.write_text(deep + "\n" + json.dumps(CALL) + "\n")
    r = load(store, path).files[0]
    assert r.adapter == "openai"
    assert counts(r) == (2, 1, 1, 0, 0)  # the deep record carries no usage: rejected, saying so


def test_a_record_with_100000_keys_is_sampled(tmp_path, store):
    wide = {f"k{i}": i for i in range(100_000)} | CALL
    path = tmp_path / "wide.jsonl"
    path.write_text(json.dumps(wide) + "\n")
    r = load(store, path).files[0]
    assert counts(r) == (1, 1, 0, 0, 0)


def test_an_oversized_last_line_without_a_line_end_is_rejected_not_lost(tmp_path, store, monkeypatch):
    # DuckDB's line reader dropped such a line without a word (3 read of 4); the limit is made
    # 1 MB here so the test stays small (it is 32 MB)
    import llmcost.ingest.base as base
    import llmcost.ingest.json_values as json_values
    monkeypatch.setattr(base, "MAX_LINE_BYTES", 1024 * 1024)
    monkeypatch.setattr(json_values, "MAX_LINE_BYTES", 1024 * 1024)
    path = tmp_path / "big_last.jsonl"
    big = dict(CALL, id="chatcmpl-big", choices=[{"message": {"content": "x" * (2 * 1024 * 1024)}}])
    path.write_text("".join(json.dumps(dict(CALL, id=f"chatcmpl-{i}")) + "\n" for i in range(3))
                    + json.dumps(big))  # no line end after the last record
    r = load(store, path).files[0]
    assert counts(r) == (4, 3, 1, 0, 0)
    [(line, reason, raw)] = store.query("SELECT line, reason, raw FROM rejects")
    assert line == 4 and reason == "not valid JSON" and "longer than the 1 MB llmcost reads" in raw


# ---------------------------------------------------------------------------------------------
# a gzip bomb: a cap on the expanded size, not on the compression ratio

def _bomb(path: Path, newlines: int) -> Path:
    import gzip

    with gzip.open(path, "wb", compresslevel=9) as g:
        g.write(b'{"model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}\n')
        g.write(b"\n" * newlines)
    return path


def test_a_compressed_file_past_the_expanded_cap_is_refused_before_loading(tmp_path, store):
    # 3,000,000 newlines gzip to a few KB: 3 MB expanded against a 1 MB cap
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", 3_000_000)
    assert bomb.stat().st_size < 20_000
    with pytest.raises(InputFileError, match=r"expands to more than 1 MB when decompressed") as e:
        load(store, bomb, max_expanded=1_000_000)
    assert "--max-expanded" in e.value.hint and "LLMCOST_MAX_EXPANDED" in e.value.hint
    assert token_totals(store)["calls"] == 0
    # found in a folder: refused (a failed file, with the reason), the other file still loads
    ok = tmp_path / "ok.jsonl"
    ok.write_text('{"model": "gpt-4o", "input_tokens": 7, "output_tokens": 1}\n')
    r = load(store, tmp_path, max_expanded=1_000_000)
    assert [Path(f.file).name for f in r.files] == ["ok.jsonl"]
    assert r.not_logs == []
    assert [(Path(n.file).name, "expands to more than 1 MB" in n.reason) for n in r.failed] == [
        ("bomb.jsonl.gz", True)]
    # lifted (None), it loads: its one call, the blank lines are no records
    r = load(store, bomb, max_expanded=None)
    assert counts(r.files[0]) == (1, 1, 0, 0, 0)
    # a JSON log compresses well too, and a ratio is no test: 2.9 MB of records under a 4 MB cap
    rec = b'{"model": "gpt-4o", "input_tokens": 3, "output_tokens": 2}\n'  # 59 bytes
    import gzip

    big = tmp_path / "big" / "calls.jsonl.gz"
    big.parent.mkdir()
    with gzip.open(big, "wb") as g:
        g.write(rec * 50_000)  # 50,000 x 59 = 2,950,000 bytes
    r = load(store, big, max_expanded=4_000_000)
    assert counts(r.files[0]) == (50_000, 50_000, 0, 0, 0)


def test_max_expanded_option_and_environment(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from llmcost.cli import app

    bomb = _bomb(tmp_path / "bomb.jsonl.gz", 3_000_000)
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    monkeypatch.setenv("LLMCOST_MAX_EXPANDED", "2MB")
    r = runner.invoke(app, ["ingest", str(bomb), "--db", db])
    assert r.exit_code == 1 and "expands to more than 2 MB" in r.output
    r = runner.invoke(app, ["ingest", str(bomb), "--db", db, "--max-expanded", "5x"])
    assert r.exit_code == 2 and "not a size" in r.output
    r = runner.invoke(app, ["ingest", str(bomb), "--db", db, "--max-expanded", "3.5MB"])
    assert r.exit_code == 0, r.output
    # stored now: a later run does not decompress it again to check (the environment cap is 2 MB)
    r = runner.invoke(app, ["analyze", str(bomb), "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ingest"]["files"][0]["status"] == "unchanged"


# ---------------------------------------------------------------------------------------------
# many small files: the statements a load runs do not grow with the number of files

class _CountingConnection:
    """A DuckDB connection that counts the statements run through it."""

    def __init__(self, con):
        self.con = con
        self.statements = 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.con.execute(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.con, name)


def _statements(tmp_path: Path, files: int) -> tuple[int, int]:
    """Statements run to load a folder of `files` small files (3 calls each), then to load it
    again (every file unchanged)."""
    from llmcost.store import open_store

    folder = tmp_path / f"logs-{files}"
    folder.mkdir()
    for i in range(files):
        (folder / f"log-{i:03d}.jsonl").write_text("".join(json.dumps({
            "request_id": f"r{i}-{j}", "timestamp": "2026-10-01T10:00:00Z", "model": "gpt-4o",
            "input_tokens": 100 + j, "output_tokens": 10}) + "\n" for j in range(3)))
    counts = []
    with open_store(str(tmp_path / f"s{files}.duckdb")) as s:
        for _ in range(2):
            s.con = counting = _CountingConnection(s.con)  # type: ignore[assignment]
            r = load(s, folder)
            assert len(r.files) == files
            counts.append(counting.statements)
            s.con = counting.con
        assert token_totals(s)["calls"] == 3 * files
    return counts[0], counts[1]


def test_many_small_files_run_no_statement_per_file(tmp_path):
    # before: each file of a batch ran its own `sources` lookup and insert (2 more statements per
    # file), and each unchanged file two lookups on a second run (20,000 files: minutes)
    first_20, again_20 = _statements(tmp_path, 20)
    first_60, again_60 = _statements(tmp_path, 60)
    assert (first_60, again_60) == (first_20, again_20)
