"""Loading a log without call ids straight into `calls` (issue 17, item 4): records counted
without parsing values, reasons counted only when fewer calls were inserted than records
counted, and the append done without keeping the statement's row order, so that the rows fill
whole row groups (no merge, i.e. no rewrite of part of the table, at the next checkpoint).

The logs are written here by hand; every expected count and line is worked out in the test."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from llmcost.errors import InputFileError
from llmcost.ingest import IngestOptions, ingest_files
from llmcost.store import open_store

HEADER = "timestamp,model,input_tokens,output_tokens\n"
ROW_GROUP = 122_880  # DuckDB's rows per row group (its default, which llmcost keeps)


def test_rejected_records_are_counted_once_with_their_lines(tmp_path: Path):
    log = tmp_path / "calls.csv"
    log.write_text(HEADER
                   + "2026-10-01T10:00:00Z,gpt-4o,1000,100\n"   # line 2: loaded
                   + "2026-10-01T10:01:00Z,gpt-4o,1001,100\n"   # line 3: loaded
                   + "2026-10-01T10:02:00Z,gpt-4o,abc,100\n"    # line 4: input not a number
                   + "2026-10-01T10:03:00Z,gpt-4o,1003,100\n"   # line 5: loaded
                   + "2026-10-01T10:04:00Z,gpt-4o,1004,-5\n")   # line 6: negative output
    with open_store(":memory:") as store:
        r = ingest_files(store, [str(log)], IngestOptions()).files[0]
        # 5 records = 3 loaded + 2 rejected
        assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.rows_skipped) == (5, 3, 2, 0, 0)
        rejects = store.query("SELECT line, reason FROM rejects ORDER BY line")
        assert [line for line, _ in rejects] == [4, 6]
        assert rejects[0][1].startswith("input_tokens is not a whole number: abc")
        assert rejects[1][1].startswith("negative output_tokens")
        # 1000 + 1001 + 1003 = 3004 input tokens loaded, lines 2, 3 and 5
        assert store.query("SELECT sum(input_tokens), list(source_line ORDER BY source_line) FROM calls")[0] == (
            3004, [2, 3, 5])


def test_a_big_load_fills_whole_row_groups(tmp_path: Path):
    # 300,000 records of ~250 bytes (a long feature name): 75 MB, which DuckDB's reader takes in
    # 32 MB buffers, 3 of them. Kept in the statement's order, each buffer's rows were appended
    # as row groups of their own, the last of each partial (5 groups); now the rows fill
    # 122,880-row groups in turn: ceil(300,000 / 122,880) = 3
    rows = 300_000
    log = tmp_path / "big.csv"
    feature = "f" * 200
    with log.open("w") as f:
        f.write("timestamp,model,feature,input_tokens,output_tokens\n")
        for i in range(rows):
            f.write(f"2026-10-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z,gpt-4o,{feature},{1000 + i},100\n")
    with open_store(str(tmp_path / "s.duckdb")) as store:
        r = ingest_files(store, [str(log)], IngestOptions()).files[0]
        assert (r.rows_read, r.rows_loaded) == (rows, rows)
        groups = store.query("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('calls')")[0][0]
        assert groups == math.ceil(rows / ROW_GROUP) == 3
        # every record numbered by its own line, whatever the order the rows were stored in:
        # record i (0-based) is on line i + 2 and has 1000 + i input tokens
        assert store.query("SELECT count(*) FROM calls WHERE input_tokens <> 1000 + source_line - 2")[0][0] == 0


class _FailingAppend:
    """A connection whose append to `calls` fails inside DuckDB (as a full disk does), which
    aborts the transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        if sql.startswith("INSERT INTO calls"):
            self._con.execute("SELECT CAST('not a number' AS INTEGER)")
        return self._con.execute(sql, *args)


def test_a_failed_append_leaves_duckdbs_row_order_kept(tmp_path: Path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "2026-10-01T10:00:00Z,gpt-4o,1000,100\n")
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "2026-10-01T11:00:00Z,gpt-4o,2000,200\n")
    with open_store(str(tmp_path / "s.duckdb")) as store:
        real = store.con
        store.con = _FailingAppend(real)  # type: ignore[assignment]
        with pytest.raises(InputFileError, match="could not be read"):
            ingest_files(store, [str(good)], IngestOptions())
        store.con = real
        # the failed file left nothing behind, and the setting is back: the next load and every
        # later query run with DuckDB's default (insertion order kept)
        assert store.query("SELECT current_setting('preserve_insertion_order')")[0][0] is True
        assert store.query("SELECT count(*) FROM calls")[0][0] == 0
        r = ingest_files(store, [str(other)], IngestOptions()).files[0]
        assert (r.rows_read, r.rows_loaded) == (1, 1)
        assert store.query("SELECT current_setting('preserve_insertion_order')")[0][0] is True
