"""The store: idempotent ingestion, forget, new file versions, crash safety, one writer at a time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llmcost.errors import StoreError, StoreInUseError
from llmcost.ingest import IngestOptions, ingest_files
from llmcost.store import open_store
from tests.conftest import DATA, ROOT, token_totals

TRACKER = DATA / "generic" / "tracker.csv"


def test_reingesting_adds_nothing(store):
    first = ingest_files(store, [str(TRACKER)], IngestOptions()).files[0]
    again = ingest_files(store, [str(TRACKER)], IngestOptions()).files[0]
    assert (first.status, first.rows_loaded) == ("loaded", 5)
    # the second time every row is read and counted as a duplicate
    assert (again.status, again.rows_read, again.rows_loaded, again.rows_duplicate) == (
        "unchanged", 5, 0, 5)
    assert again.balanced()
    assert token_totals(store)["calls"] == 5


def test_same_content_under_another_path_is_stored_once(store, tmp_path: Path):
    copy = tmp_path / "copy.csv"
    shutil.copy(TRACKER, copy)
    ingest_files(store, [str(TRACKER)], IngestOptions())
    r = ingest_files(store, [str(copy)], IngestOptions()).files[0]
    assert (r.rows_loaded, r.rows_duplicate) == (0, 5)
    assert token_totals(store)["calls"] == 5
    assert len(store.sources()) == 2


def test_a_changed_file_replaces_its_earlier_version(store, tmp_path: Path):
    log = tmp_path / "growing.csv"
    log.write_text("model,input_tokens,output_tokens\ngpt-4o,100,10\n")
    ingest_files(store, [str(log)], IngestOptions())
    log.write_text("model,input_tokens,output_tokens\ngpt-4o,100,10\ngpt-4o,200,20\n")
    r = ingest_files(store, [str(log)], IngestOptions()).files[0]
    assert r.status == "replaced"
    # the old version's one call is gone, the new version's two are in: 100+200 in, 10+20 out
    assert token_totals(store) == {"calls": 2, "input": 300, "cache_read": 0,
                                   "cache_write": 0, "output": 30}
    assert len(store.sources()) == 1


def test_forget_removes_calls_and_rejects(store):
    ingest_files(store, [str(TRACKER), str(DATA / "generic" / "bad_lines.csv")], IngestOptions())
    assert token_totals(store)["calls"] == 5 + 2
    results = store.forget(str(DATA / "generic" / "bad_lines.csv"))
    assert [(r.calls_removed, r.rejects_removed) for r in results] == [(2, 6)]
    assert token_totals(store)["calls"] == 5
    assert store.query("SELECT count(*) FROM rejects")[0][0] == 0
    assert [s.source_file for s in store.sources()] == [str(TRACKER)]


def test_schema_version_is_recorded(tmp_path: Path):
    with open_store(str(tmp_path / "s.duckdb")) as s:
        assert s.schema_version() == 3
    with open_store(str(tmp_path / "s.duckdb")) as s:  # reopening migrates nothing
        assert s.schema_version() == 3


def test_a_newer_store_is_refused(tmp_path: Path):
    db = str(tmp_path / "s.duckdb")
    with open_store(db) as s:
        s.con.execute("UPDATE llmcost_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer llmcost"):
        open_store(db)


def test_not_a_duckdb_file_is_a_clear_error(tmp_path: Path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        open_store(str(junk))


def _write_big_log(path: Path, rows: int) -> None:
    from llmcost.store import connect

    con = connect()
    con.execute(
        f"""COPY (SELECT TIMESTAMP '2026-10-01' + INTERVAL (i) SECOND AS timestamp,
                         'gpt-4o' AS model, 1000 + i % 7 AS input_tokens, 10 AS output_tokens
                  FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    con.close()


def _llmcost(*args: str) -> list[str]:
    return [sys.executable, "-m", "llmcost", *args]


@pytest.mark.slow
def test_kill_mid_file_leaves_the_store_as_before(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    big = tmp_path / "big.csv"
    _write_big_log(big, 3_000_000)
    env = {**os.environ, "LLMCOST_DB": str(db)}
    subprocess.run(_llmcost("ingest", str(TRACKER)), env=env, check=True, capture_output=True)
    proc = subprocess.Popen(_llmcost("ingest", str(big)), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert still_running, "the ingest finished before it could be killed: use a bigger file"
    with open_store(str(db)) as s:
        # exactly the tracker's 5 calls and its one source row: nothing of the big file
        assert token_totals(s) == {"calls": 5, "input": 23890, "cache_read": 0,
                                   "cache_write": 0, "output": 1472}
        assert [x.source_file for x in s.sources()] == [str(TRACKER)]
        assert s.query("SELECT count(*) FROM rejects")[0][0] == 0


@pytest.mark.slow
def test_a_second_process_gets_store_in_use(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from llmcost.store import open_store
            s = open_store({str(db)!r})
            print("open", flush=True)
            time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        r = subprocess.run(_llmcost("sources", "--db", str(db)), capture_output=True, text=True)
        assert r.returncode == 1
        assert "in use by another" in r.stderr
        assert "Traceback" not in r.stderr
        with pytest.raises(StoreInUseError):
            open_store(str(db))
    finally:
        holder.kill()
        holder.wait()


def test_python_dash_m_runs_from_the_repo():
    r = subprocess.run(_llmcost("--version"), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.startswith("llmcost ")
