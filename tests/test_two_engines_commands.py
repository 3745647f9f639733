"""`check`, `simulate`, `recommend` and `report` run inside ClickHouse (chDB, `--db chdb://PATH
--table calls`) give what they give through DuckDB on the same calls (issue 17, items 1-2).

The same calls in both engines: a log ingested into a DuckDB store, and the store's `calls`
copied into a chDB table with the canonical columns through Parquet (ClickHouse's own reader).
Money must agree to 1e-9 USD and counts exactly; each test also checks a figure worked out by
hand, so that both engines being wrong the same way fails too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("chdb", reason="chDB (ClickHouse in-process) is not installed: pip install -e '.[test]'")
pytest.importorskip("sqlglot", reason="sqlglot is not installed: pip install -e '.[test]'")

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing import clickhouse as ch_pricing
from llmcost.store_clickhouse import ClickHouse
from tests.test_check import SPIKE, write_config, write_log


def same_calls_in_both(tmp_path: Path, files: list[Path], options: IngestOptions | None = None) -> tuple[str, str]:
    """`files` ingested into a DuckDB store, and its calls copied into a chDB table `calls`."""
    from llmcost.store import open_store

    db = tmp_path / "store.duckdb"
    with open_store(str(db)) as store:
        ingest_files(store, [str(f) for f in files], options or IngestOptions())
        store.con.execute(f"COPY calls TO '{tmp_path / 'calls.parquet'}' (FORMAT parquet)")
    url = f"chdb://{tmp_path / 'chdb'}"
    with ClickHouse(url) as ch:
        ch.native(ch_pricing.calls_table_ddl("calls"))
        ch.native(f"INSERT INTO calls SELECT * FROM file('{tmp_path / 'calls.parquet'}', Parquet)")
    return str(db), url


# ---- check ----

def test_check_in_clickhouse_finds_the_doubled_prompt_as_duckdb_does(cli, tmp_path: Path):
    log = write_log(tmp_path)
    cfg = write_config(tmp_path, SPIKE + "  budgets:\n    - {scope: total, per: day, usd: 0.019}\n"
                       "    - {scope: \"model:claude-sonnet-4-5\", per: month, usd: 0.1}\n")
    db, url = same_calls_in_both(tmp_path, [log])
    duck = cli("check", "--db", db, "--config", str(cfg), "-f", "json")
    click = cli("check", "--db", url, "--table", "calls", "--config", str(cfg), "-f", "json")
    assert duck.exit_code == click.exit_code == 1, click.stderr
    assert click.json() == duck.json()
    breaches = click.json()["breaches"]
    # Oct 9: classify 2,000 tokens per call >= 1,000 x 1.5 (tests/test_check); the day's spend
    # 2 x 0.0075 + 2 x 0.0045 = 0.024 > 0.019 (other days 4 x 0.0045 = 0.018); the month went
    # over 0.1 on Oct 6 (6 x 0.018 = 0.108), reported on that day with the month to date:
    # 8 x 0.018 + 0.024 = 0.168
    got = [(b["rule"], b["scope"], b["day"], str(b["value"])) for b in breaches]
    assert got == [("budget_per_month", "model:claude-sonnet-4-5", "2026-10-06", "0.168"),
                   ("budget_per_day", "total", "2026-10-09", "0.024"),
                   ("spike_input_tokens_per_call", "task:classify", "2026-10-09", "2000.0")]


def test_check_in_clickhouse_says_the_rejected_share_is_not_available(cli, tmp_path: Path):
    log = write_log(tmp_path, doubled_day=None, extra=["2026-10-09T13:00:00Z,,classify,1000,100"])
    cfg = write_config(tmp_path, "check:\n  max_rejected_share: 0.01\n")
    db, url = same_calls_in_both(tmp_path, [log])
    duck = cli("check", "--db", db, "--config", str(cfg), "-f", "json")
    assert duck.exit_code == 1 and duck.json()["breaches"][0]["rule"] == "max_rejected_share"
    click = cli("check", "--db", url, "--table", "calls", "--config", str(cfg), "-f", "json")
    # no record of rejected records in a ClickHouse table: not checked, said so (never a 0 share)
    assert click.exit_code == 0, click.stderr
    doc = click.json()
    assert doc["breaches"] == [] and any("max_rejected_share: not checked" in n for n in doc["notes"])


def test_table_without_a_clickhouse_db_is_a_usage_error(cli, tmp_path: Path):
    cfg = write_config(tmp_path, SPIKE)
    r = cli("check", "--table", "calls", "--config", str(cfg))
    assert r.exit_code == 2 and "goes with --db chdb://" in r.stderr
