"""The same calls priced by both engines: DuckDB (the store, the normal path) and ClickHouse
in-process (chDB), from the one pricing SQL (`pricing.engine.priced_sql`, rendered for
ClickHouse by sqlglot). Costs must agree to 1e-9 USD and counts exactly, and both must be the
hand-worked costs of tests/test_pricing.py (EXPECTED: its arithmetic is written there).

The ClickHouse side never goes through llmcost's ingest: tests/data/pricing/cases.csv is read by
ClickHouse's own CSV reader into a table with the canonical columns (calls_table_ddl).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("chdb", reason="chDB (ClickHouse in-process) is not installed: pip install -e '.[test]'")
pytest.importorskip("sqlglot", reason="sqlglot is not installed: pip install -e '.[test]'")

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing import clickhouse as ch_pricing
from llmcost.pricing import engine
from llmcost.pricing.book import load_book
from llmcost.store_clickhouse import ClickHouse
from tests.test_pricing import CASES, EPS, EXPECTED

COSTS = ("cost_input", "cost_cache_read", "cost_cache_write", "cost_output", "cost_other", "cost_usd")
PER_CALL = f"call_id, coalesce(model_id, '-'), {', '.join(COSTS)}, unpriced_reason, long_context, off_peak"


@pytest.fixture
def chdb(tmp_path: Path) -> Iterator[ClickHouse]:
    ch = ClickHouse(f"chdb://{tmp_path / 'chdb'}")
    yield ch
    ch.close()


def load_cases_into_clickhouse(ch: ClickHouse, csv: Path = CASES) -> None:
    """cases.csv through ClickHouse's own CSV reader (not llmcost's ingest): its columns carry the
    canonical names; empty fields are NULL (canonical_source reads a NULL tier as standard)."""
    ch.native(ch_pricing.calls_table_ddl("calls"))
    ch.native(f"""INSERT INTO calls (call_id, ts, model, service_tier, status, input_tokens, cache_read_tokens,
                  cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, inference_geo, speed,
                  web_search_requests, source_file, source_hash)
                  SELECT call_id, parseDateTime64BestEffortOrNull(toString(ts), 6, 'UTC'), model, service_tier,
                         status, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                         output_tokens, inference_geo, speed, web_search_requests, '{csv}', 'cases'
                  FROM file('{csv}', CSVWithNames)""")


def priced_both(store: Any, ch: ClickHouse, sql_over_priced: str, as_of: datetime | None = None
                ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One query (DuckDB SQL over the priced calls `p`) run by both engines on the same calls."""
    book = load_book()
    ingest_files(store, [str(CASES)], IngestOptions())
    engine.prepare_pricing(store.con, book, "calls")
    duck = store.query(sql_over_priced.format(p=f"({engine.priced_sql('calls', as_of)})"))
    load_cases_into_clickhouse(ch)
    source = ch_pricing.canonical_source(ch, "calls")
    ch_pricing.prepare_pricing(ch, book, source)
    click = ch.query(sql_over_priced.format(p=ch_pricing.priced_relation(source, as_of)))
    return duck, click


def by_id(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {r[0]: r[1:] for r in rows}


def test_every_hard_case_costs_the_same_in_clickhouse(store, chdb):
    # cache tiers (sonnet45-long: reads, 5m and 1h writes), long context (input incl. cache
    # 250000 > 200000; exactly 200000 is not), batch (sonnet45-batch-cache, gpt4o-batch), dated
    # periods (o3 on either side of 2025-06-10 00:00), off-peak windows (deepseek), multipliers
    # (bedrock-us, opus46-us-fast), web search, no timestamp, an errored call, an unknown model
    duck, click = priced_both(store, chdb, f"SELECT {PER_CALL} FROM {{p}} ORDER BY call_id")
    assert len(duck) == len(click) == 18
    d, c = by_id(duck), by_id(click)
    assert d.keys() == c.keys()
    for call_id in d:
        dm, *dcosts, dreason, dlc, doff = d[call_id]
        cm, *ccosts, creason, clc, coff = c[call_id]
        assert (cm, creason, clc, coff) == (dm, dreason, dlc, doff), call_id
        for name, x, y in zip(COSTS, dcosts, ccosts, strict=True):
            assert (x is None) == (y is None), (call_id, name)
            assert x is None or abs(x - y) < EPS, (call_id, name, x, y)
    # and both are the hand-worked costs
    for call_id, expected in EXPECTED.items():
        assert abs(c[call_id][6] - expected) < EPS, (call_id, c[call_id][6], expected)
    # (ClickHouse's comparisons are UInt8 1/0 where DuckDB's are booleans)
    assert c["sonnet45-long"][-2] == 1 and c["sonnet45-at-threshold"][-2] == 0
    assert c["deepseek-offpeak"][-1] == 1 and c["deepseek-peak"][-1] == 0


def test_unknown_model_is_unpriced_in_clickhouse_never_zero(store, chdb):
    _, click = priced_both(store, chdb, f"SELECT {PER_CALL} FROM {{p}} WHERE call_id = 'unknown-model'")
    (row,) = click
    assert row[2:8] == (None,) * 6  # every cost NULL, not 0
    assert row[8] == "model not in the price book"


def test_per_model_sums_and_counts_agree(store, chdb):
    sql = """SELECT coalesce(model_id, model) AS m, count(*) AS calls,
                    count(*) FILTER (WHERE cost_input IS NULL) AS unpriced,
                    sum(input_tokens), sum(cache_read_tokens), sum(cache_write_5m_tokens + cache_write_1h_tokens),
                    sum(output_tokens), sum(cost_usd)
             FROM {p} GROUP BY 1 ORDER BY 1"""
    duck, click = priced_both(store, chdb, sql)
    assert [r[:7] for r in click] == [r[:7] for r in duck]  # counts and tokens exact
    for (m, *_, dc), (_, *_, cc) in zip(duck, click, strict=True):
        assert (dc is None) == (cc is None), m
        assert dc is None or abs(dc - cc) < EPS, (m, dc, cc)
    c = {r[0]: r for r in click}
    # o3: the two calls either side of its price cut, 0.285 + 0.057 (test_pricing's arithmetic)
    assert c["o3"][1] == 2 and abs(c["o3"][7] - Decimal("0.342")) < EPS
    # the unknown model: one call, unpriced, its sum NULL (never $0)
    assert c["acme-llm-7b"][1:3] == (1, 1) and c["acme-llm-7b"][7] is None


def test_repricing_at_one_instant_agrees(store, chdb):
    # --as-of 2025-06-01: both o3 calls take the period before the cut (10 / 40 / cached 2.50):
    # 0.285 each (test_pricing: 8000*10 + 2000*2.5 + 5000*40 = 285000 µ$)
    duck, click = priced_both(store, chdb, f"SELECT {PER_CALL} FROM {{p}} WHERE model = 'o3' ORDER BY call_id",
                              as_of=datetime(2025, 6, 1))
    assert [r[7] for r in duck] == [r[7] for r in click] == [Decimal("0.285")] * 2


def test_money_stays_exact_at_scale_21(chdb):
    # a Decimal(38,21) cost is tokens Decimal(38,0) x price Decimal(18,9) x multiplier
    # Decimal(12,6) x 1e-6 Decimal(7,6): scales 0+9+6+6 = 21, 17 integer digits. One call of 10^11
    # tokens at a price with 9 decimals, x1.1: 10^11 x 0.000000001 x 1.1 / 10^6 = 0.00011 USD
    # exactly; and 10^12 tokens at 999.999999999 x 6.6: 999.999999999 x 6.6 x 10^6 = 6599999999.9934
    (small, big) = chdb.query(
        "SELECT CAST(100000000000 AS DECIMAL(38,0)) * CAST(0.000000001 AS DECIMAL(18,9)) * "
        "CAST(1.1 AS DECIMAL(12,6)) * CAST(0.000001 AS DECIMAL(7,6)) "
        "UNION ALL SELECT CAST(1000000000000 AS DECIMAL(38,0)) * CAST(999.999999999 AS DECIMAL(18,9)) * "
        "CAST(6.6 AS DECIMAL(12,6)) * CAST(0.000001 AS DECIMAL(7,6))")
    assert {small[0], big[0]} == {Decimal("0.00011"), Decimal("6599999999.9934")}


def test_a_multiplier_product_rounds_like_duckdb(chdb, store):
    # a 30 % discount on fast mode: 0.7 x 6 = 4.2 exactly, but as doubles 4.199999999999999: a
    # cast to DECIMAL truncates in ClickHouse (4.199999) and rounds in DuckDB (4.200000); the
    # pricing SQL rounds to whole millionths first, the same in both
    product = "CAST(0.7 AS DOUBLE) * CAST(6 AS DOUBLE)"
    plain = f"SELECT CAST({product} AS DECIMAL(12,6))"
    assert chdb.query(plain) == [(Decimal("4.199999"),)]  # the trap
    assert store.query(plain) == [(Decimal("4.200000"),)]
    sql = (f"SELECT CAST(CAST(round(({product}) * 1000000) AS DECIMAL(18,0)) "
           "* CAST(0.000001 AS DECIMAL(7,6)) AS DECIMAL(12,6))")
    assert chdb.query(sql) == store.query(sql) == [(Decimal("4.200000"),)]


# ---- `llmcost analyze --db chdb://PATH --table calls`: the same document as from DuckDB ----

def _same_calls_in_both(tmp_path: Path) -> tuple[str, str]:
    """cases.csv ingested into a DuckDB store, and the store's calls copied into a chDB table with
    the canonical columns (through Parquet): the same calls, provider and all, in both engines."""
    from tests.test_two_engines_commands import same_calls_in_both

    return same_calls_in_both(tmp_path, [CASES])


def test_analyze_in_clickhouse_gives_the_duckdb_document(cli, tmp_path: Path):
    import json

    db, url = _same_calls_in_both(tmp_path)
    duck = cli("analyze", "--db", db, "--format", "json")
    click = cli("analyze", "--db", url, "--table", "calls", "--format", "json")
    assert duck.exit_code == click.exit_code == 0, click.stderr
    d, c = json.loads(duck.stdout), json.loads(click.stdout)
    assert c["totals"] == d["totals"]
    assert c["by_model"] == d["by_model"] and c["by_day"] == d["by_day"]
    assert c == d  # every figure: breakdowns, top calls, unpriced models, prices used, run rate
    # the totals are the hand-worked costs of test_pricing (the unknown model left out, not $0)
    assert abs(Decimal(str(c["totals"]["cost_usd"])) - sum(EXPECTED.values())) < EPS
    assert c["totals"]["calls"] == 18 and c["totals"]["unpriced_calls"] == 1
    assert [m["model"] for m in c["unpriced_models"]] == ["acme-llm-7b"]


def test_analyze_filters_run_inside_clickhouse_too(cli, tmp_path: Path):
    import json

    db, url = _same_calls_in_both(tmp_path)
    args = ("--model", "o3,claude-sonnet-4-5", "--since", "2025-06-10", "--format", "json")
    duck = json.loads(cli("analyze", "--db", db, *args).stdout)
    click = json.loads(cli("analyze", "--db", url, "--table", "calls", *args).stdout)
    assert click == duck
    # o3 after its cut (0.057) and the four Sonnet 4.5 calls: 0.825 + 0.615 + 0.012075 + 0.0198
    assert click["totals"]["calls"] == 5
    assert abs(Decimal(str(click["totals"]["cost_usd"])) - Decimal("1.528875")) < EPS
    # a relative date counts back from the table's last call (2026-11-23 12:00), not the clock:
    # the three DeepSeek calls, 0.001353 + 0.0006765 + 0.0006765 = 0.002706
    rel = ("--since", "30d", "--format", "json")
    duck = json.loads(cli("analyze", "--db", db, *rel).stdout)
    click = json.loads(cli("analyze", "--db", url, "--table", "calls", *rel).stdout)
    assert click == duck and click["totals"]["calls"] == 3
    assert abs(Decimal(str(click["totals"]["cost_usd"])) - Decimal("0.002706")) < EPS


def test_time_series_in_clickhouse_agree(cli, tmp_path: Path):
    import json

    db, url = _same_calls_in_both(tmp_path)
    for by in (("--by", "month,model"), ("--by", "week", "--tz", "Europe/Paris"), ("--by", "day,task_type")):
        duck = json.loads(cli("analyze", "--db", db, *by, "-f", "json").stdout)
        click = json.loads(cli("analyze", "--db", url, "--table", "calls", *by, "-f", "json").stdout)
        assert click == duck, by
    # October 2026: the eleven calls of 2026-10-01 12:00-12:10 UTC (Sonnet 4.5 x4 incl. the Bedrock
    # one, gpt-4o x3 incl. the errored one, Opus, Haiku, Gemini, the unknown model); the call
    # without a time is in no month
    doc = json.loads(cli("analyze", "--db", url, "--table", "calls", "--by", "month", "-f", "json").stdout)
    months = {r["month"]: r["calls"] for r in doc["by_month"]}
    assert months == {"2025-06": 2, "2026-03": 1, "2026-10": 11, "2026-11": 3}


def test_repricing_as_of_a_date_in_clickhouse_agrees(cli, tmp_path: Path):
    import json

    db, url = _same_calls_in_both(tmp_path)
    args = ("--as-of", "2025-06-01", "--model", "o3", "-f", "json")
    duck = json.loads(cli("analyze", "--db", db, *args).stdout)
    click = json.loads(cli("analyze", "--db", url, "--table", "calls", *args).stdout)
    assert click == duck
    # both o3 calls at the prices before the 2025-06-10 cut: 0.285 x 2 (test_pricing), against
    # 0.285 + 0.057 at their own times
    assert abs(Decimal(str(click["totals"]["cost_usd"])) - Decimal("0.57")) < EPS
    assert abs(Decimal(str(click["totals"]["call_time_cost_usd"])) - Decimal("0.342")) < EPS


def test_clickhouse_options_are_checked(cli, tmp_path: Path):
    r = cli("analyze", "--db", f"chdb://{tmp_path / 'ch'}")
    assert r.exit_code == 2 and "--table" in r.stderr
    r = cli("analyze", "--table", "calls")
    assert r.exit_code == 2 and "goes with --db chdb://" in r.stderr
    r = cli("analyze", "--db", f"chdb://{tmp_path / 'ch'}", "--table", "calls; DROP TABLE x")
    assert r.exit_code == 2 and "expected a table name" in r.stderr


# ---- log layouts read where they are: Langfuse `observations`, Helicone `request_response_rmt` ----
# Tables built with the columns, types and engines of the projects' own ClickHouse migrations
# (langfuse/langfuse packages/shared/clickhouse/migrations/unclustered/0002_observations.up.sql;
# Helicone/helicone clickhouse/migrations/…request_response_replacing_merge_tree.sql and the
# ALTERs adding cache tokens, audio tokens, cache_reference_id and cost); merges stopped so that
# two versions of one row stay un-merged, as they are until ClickHouse merges the parts.

LANGFUSE_DDL = """CREATE TABLE observations (
    id String, trace_id String, project_id String, type LowCardinality(String),
    start_time DateTime64(3), end_time Nullable(DateTime64(3)), name String, level LowCardinality(String),
    provided_model_name Nullable(String), usage_details Map(LowCardinality(String), UInt64),
    cost_details Map(LowCardinality(String), Decimal64(12)), total_cost Nullable(Decimal64(12)),
    event_ts DateTime64(3), is_deleted UInt8
) ENGINE = ReplacingMergeTree(event_ts, is_deleted) ORDER BY (project_id, type, toDate(start_time), id)"""

# (id, trace, type, start, name, level, model, usage_details, total cost, event_ts, deleted)
LANGFUSE_ROWS = [
    # an Anthropic generation, first version (usage not known yet) and its final one
    ("gen-1", "t1", "GENERATION", "2026-10-01 12:00:00.000", "answer", "DEFAULT", "claude-sonnet-4-5",
     {"input": 1000, "output": 100}, "0", "2026-10-01 12:00:01.000", 0),
    ("gen-1", "t1", "GENERATION", "2026-10-01 12:00:00.000", "answer", "DEFAULT", "claude-sonnet-4-5",
     {"input": 1000, "cache_read_input_tokens": 8000, "cache_creation_input_tokens": 1000, "output": 500},
     "0.01665", "2026-10-01 12:00:05.000", 0),
    # OpenAI through a client that sent provider usage unchanged: total = input + output, the
    # cached count a subset of input
    ("gen-2", "t1", "GENERATION", "2026-10-02 09:30:00.000", "summarize", "DEFAULT", "gpt-4o-2024-08-06",
     {"input": 10000, "input_cached_tokens": 4096, "output": 1000, "total": 11000}, "0.02988",
     "2026-10-02 09:30:02.000", 0),
    ("span-1", "t1", "SPAN", "2026-10-02 09:29:59.000", "pipeline", "DEFAULT", None, {}, None,
     "2026-10-02 09:30:03.000", 0),
    ("gen-3", "t2", "GENERATION", "2026-10-02 10:00:00.000", "answer", "DEFAULT", "gpt-4o-2024-08-06",
     {"input": 500, "output": 50}, None, "2026-10-02 10:00:01.000", 0),
    ("gen-3", "t2", "GENERATION", "2026-10-02 10:00:00.000", "answer", "DEFAULT", "gpt-4o-2024-08-06",
     {"input": 500, "output": 50}, None, "2026-10-02 11:00:00.000", 1),  # deleted since
    ("gen-4", "t3", "GENERATION", "2026-10-03 08:00:00.000", "answer", "ERROR", "gpt-4o-2024-08-06",
     {"input": 700, "output": 0}, None, "2026-10-03 08:00:01.000", 0),
]


def _ch_literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, dict):
        return "map(" + ", ".join(f"'{k}', {n}" for k, n in v.items()) + ")" if v else "map()"
    return str(v) if isinstance(v, int) else f"'{v}'"


def _langfuse_table(ch: ClickHouse) -> None:
    ch.native(LANGFUSE_DDL)
    ch.native("SYSTEM STOP MERGES observations")
    for i, t, typ, start, name, level, model, usage, cost, ev, dele in LANGFUSE_ROWS:
        ch.native(f"""INSERT INTO observations (id, trace_id, project_id, type, start_time, end_time, name, level,
                      provided_model_name, usage_details, cost_details, total_cost, event_ts, is_deleted)
                      VALUES ('{i}', '{t}', 'p', '{typ}', '{start}', '{start}', '{name}', '{level}',
                      {_ch_literal(model)}, {_ch_literal(usage)}, map(), {_ch_literal(cost)}, '{ev}', {dele})""")


def _langfuse_file(path: Path) -> Path:
    """The same observations as the public API's ObservationsView objects (what the file adapter
    reads): each observation once, in its latest version, deleted ones absent."""
    import json

    latest: dict[str, tuple[Any, ...]] = {}
    for row in LANGFUSE_ROWS:
        latest[row[0]] = row
    lines = []
    for i, t, typ, start, name, level, model, usage, cost, _ev, dele in latest.values():
        if dele:
            continue
        when = start.replace(" ", "T") + "Z"
        rec = {"id": i, "traceId": t, "type": typ, "name": name, "level": level, "startTime": when,
               "endTime": when, "model": model, "usageDetails": usage}
        if cost is not None:
            rec["costDetails"] = {"total": float(cost)}
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")
    return path


def _totals_and_models(doc: dict[str, Any]) -> tuple[Any, ...]:
    return doc["totals"], doc["by_model"], doc["by_day"], doc["by_task_type"]


def test_langfuse_observations_in_clickhouse_match_the_export_through_duckdb(cli, tmp_path: Path):
    import json

    url = f"chdb://{tmp_path / 'chdb'}"
    with ClickHouse(url) as ch:
        _langfuse_table(ch)
        assert ch.native("SELECT count() FROM observations") == [(7,)]  # versions not merged
    click = json.loads(cli("analyze", "--db", url, "--table", "observations", "-f", "json").stdout)
    duck = json.loads(cli("analyze", str(_langfuse_file(tmp_path / "obs.jsonl")), "--db", ":memory:",
                          "-f", "json").stdout)
    assert _totals_and_models(click) == _totals_and_models(duck)
    t = click["totals"]
    # gen-1 (once, its final version), gen-2, gen-4 (errored); not the span, not deleted gen-3
    assert (t["calls"], t["error_calls"], t["unpriced_calls"]) == (3, 1, 0)
    # gen-1, Sonnet 4.5 3 / 15, read 0.30, 5m write 3.75: input = 1000 + 8000 + 1000 (keys with
    # `input`) -> 1000*3 + 8000*0.3 + 1000*3.75 + 500*15 = 3000 + 2400 + 3750 + 7500 = 16650 µ$
    # gen-2, gpt-4o 2.50 / 10, cached 1.25: total = input + output, so input 10000 includes the
    # 4096 cached -> 5904*2.5 + 4096*1.25 + 1000*10 = 14760 + 5120 + 10000 = 29880 µ$
    assert abs(Decimal(str(t["cost_usd"])) - Decimal("0.04653")) < EPS
    assert (t["input_tokens"], t["cache_read_tokens"], t["cache_write_tokens"], t["output_tokens"]) == \
        (10000 + 10000 + 700, 8000 + 4096, 1000, 1500)


HELICONE_DDL = """CREATE TABLE request_response_rmt (
    response_id Nullable(UUID), response_created_at Nullable(DateTime64(3)), latency Nullable(Int64),
    status Int64, completion_tokens Nullable(Int64), prompt_tokens Nullable(Int64),
    prompt_cache_write_tokens Int64 DEFAULT 0, prompt_cache_read_tokens Int64 DEFAULT 0,
    prompt_audio_tokens Nullable(Int64), completion_audio_tokens Nullable(Int64),
    cache_reference_id UUID, model LowCardinality(String), request_id UUID,
    request_created_at DateTime64(3), user_id LowCardinality(String), organization_id UUID,
    provider LowCardinality(String), cost Nullable(UInt64), updated_at DateTime64(3, 'UTC'){extra}
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (organization_id, provider, model, user_id, request_created_at, request_id)"""
ORG = "11111111-1111-1111-1111-111111111111"
ZERO = "00000000-0000-0000-0000-000000000000"

# (request id, created, model, provider, user, status, prompt, cache read, cache write,
#  completion, cost USD x 1e9, cache_reference_id, updated_at)
HELICONE_ROWS = [
    # pending (no usage yet), then complete: counted once, complete
    ("a0000000-0000-0000-0000-000000000001", "2026-10-01 12:00:00.000", "gpt-4o-2024-08-06", "OPENAI", "acme",
     200, 0, 0, 0, 0, 0, ZERO, "2026-10-01 12:00:00.500"),
    ("a0000000-0000-0000-0000-000000000001", "2026-10-01 12:00:00.000", "gpt-4o-2024-08-06", "OPENAI", "acme",
     200, 5904, 4096, 0, 1000, 29880000, ZERO, "2026-10-01 12:00:03.000"),
    ("a0000000-0000-0000-0000-000000000002", "2026-10-01 13:00:00.000", "claude-sonnet-4-5", "ANTHROPIC", "beta",
     200, 1000, 8000, 1000, 500, 16650000, ZERO, "2026-10-01 13:00:02.000"),
    ("a0000000-0000-0000-0000-000000000003", "2026-10-02 13:00:00.000", "claude-sonnet-4-5", "ANTHROPIC", "beta",
     500, 1200, 0, 0, 0, 0, ZERO, "2026-10-02 13:00:02.000"),
    # answered from Helicone's response cache: counted, not billed
    ("a0000000-0000-0000-0000-000000000004", "2026-10-02 14:00:00.000", "claude-sonnet-4-5", "ANTHROPIC", "beta",
     200, 1000, 8000, 1000, 500, 0, "a0000000-0000-0000-0000-000000000002", "2026-10-02 14:00:01.000"),
]


def _helicone_table(ch: ClickHouse, reasoning: bool = False) -> None:
    ch.native(HELICONE_DDL.format(extra=", reasoning_tokens Nullable(Int64)" if reasoning else ""))
    ch.native("SYSTEM STOP MERGES request_response_rmt")
    for rid, at, model, prov, user, status, p, cr, cw, c, cost, ref, upd in HELICONE_ROWS:
        ch.native(f"""INSERT INTO request_response_rmt (latency, status, completion_tokens, prompt_tokens,
                      prompt_cache_write_tokens, prompt_cache_read_tokens, cache_reference_id, model, request_id,
                      request_created_at, user_id, organization_id, provider, cost, updated_at)
                      VALUES (420, {status}, {c}, {p}, {cw}, {cr}, '{ref}', '{model}', '{rid}', '{at}', '{user}',
                      '{ORG}', '{prov}', {cost}, '{upd}')""")


def _helicone_file(path: Path) -> Path:
    """The same requests as a Helicone export (HeliconeRequest fields, CSV): each once, latest."""
    latest: dict[str, tuple[Any, ...]] = {}
    for row in HELICONE_ROWS:
        latest[row[0]] = row
    lines = ["request_id,request_created_at,model,provider,request_user_id,response_status,prompt_tokens,"
             "prompt_cache_read_tokens,prompt_cache_write_tokens,completion_tokens,costUSD,cache_reference_id,"
             "delay_ms"]
    for rid, at, model, prov, user, status, p, cr, cw, c, cost, ref, _upd in latest.values():
        lines.append(f"{rid},{at.replace(' ', 'T')}Z,{model},{prov},{user},{status},{p},{cr},{cw},{c},"
                     f"{Decimal(cost) / 10**9},{ref},420")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_helicone_requests_in_clickhouse_match_the_export_through_duckdb(cli, tmp_path: Path):
    import json

    url = f"chdb://{tmp_path / 'chdb'}"
    with ClickHouse(url) as ch:
        _helicone_table(ch)
        assert ch.native("SELECT count() FROM request_response_rmt") == [(5,)]
    click = json.loads(cli("analyze", "--db", url, "--table", "request_response_rmt", "-f", "json").stdout)
    duck = json.loads(cli("analyze", str(_helicone_file(tmp_path / "helicone.csv")), "--db", ":memory:",
                          "-f", "json").stdout)
    assert _totals_and_models(click) == _totals_and_models(duck)
    assert click["by_tenant"] == duck["by_tenant"]
    t = click["totals"]
    assert (t["calls"], t["error_calls"]) == (4, 1)
    # prompt_tokens excludes the cache: input = 5904 + 4096, and 1000 + 8000 + 1000 (twice:
    # the cache hit is counted) + 1200 (errored); costs as in the Langfuse test, the cache hit
    # not billed: 0.02988 + 0.01665
    assert t["input_tokens"] == 10000 + 10000 + 1200 + 10000
    assert abs(Decimal(str(t["cost_usd"])) - Decimal("0.04653")) < EPS


def test_helicone_reasoning_tokens_are_billed_as_output(cli, tmp_path: Path):
    import json

    url = f"chdb://{tmp_path / 'chdb'}"
    with ClickHouse(url) as ch:
        ch.native(HELICONE_DDL.format(extra=", reasoning_tokens Nullable(Int64)"))
        # o3 after its 2025-06-10 cut (2 / 8, cached 0.50): prompt 8000 + cache read 2000 = 10000 in;
        # completion 3000 excludes reasoning 2000: output 5000 -> 8000*2 + 2000*0.5 + 5000*8
        # = 16000 + 1000 + 40000 = 57000 µ$ (test_pricing's o3-after-cut)
        ch.native(f"""INSERT INTO request_response_rmt (status, completion_tokens, prompt_tokens,
                      prompt_cache_read_tokens, cache_reference_id, model, request_id, request_created_at, user_id,
                      organization_id, provider, cost, updated_at, reasoning_tokens, latency)
                      VALUES (200, 3000, 8000, 2000, '{ZERO}', 'o3', 'b0000000-0000-0000-0000-000000000001',
                      '2026-10-01 12:00:00.000', 'u', '{ORG}', 'OPENAI', 57000000, '2026-10-01 12:00:01.000',
                      2000, 100)""")
    doc = json.loads(cli("analyze", "--db", url, "--table", "request_response_rmt", "-f", "json").stdout)
    t = doc["totals"]
    assert (t["input_tokens"], t["output_tokens"], t["reasoning_tokens"]) == (10000, 5000, 2000)
    assert abs(Decimal(str(t["cost_usd"])) - Decimal("0.057")) < EPS


def test_clickhouse_failures_are_one_clear_paragraph(cli, tmp_path: Path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli("analyze", "--db", f"clickhouse://reader:s3cret@127.0.0.1:{port}/llm", "--table", "calls")
    assert r.exit_code == 1 and f"Cannot connect to ClickHouse at 127.0.0.1:{port}" in r.stderr
    assert "s3cret" not in r.stderr + r.stdout and "Traceback" not in r.stderr
    r = cli("analyze", "--db", f"chdb://{tmp_path / 'ch'}", "--table", "nosuch")
    assert r.exit_code == 2 and "--table nosuch: no such table" in r.stderr


# ---- inside ClickHouse, analyze prices sums of calls (pricing.grouped): every split where a
# price changes within one model and day must hold ----

SPLITS = """call_id,ts,model,status,billed,input_tokens,output_tokens
a-before-16h,2026-08-16T15:59:59Z,deepseek-v4-flash,ok,true,1000000,0
b-from-16h,2026-08-16T16:00:00Z,deepseek-v4-flash,ok,true,1000000,0
c-0059,2026-08-17T00:59:00Z,deepseek-v4-flash,ok,true,1000000,0
d-0100,2026-08-17T01:00:00Z,deepseek-v4-flash,ok,true,1000000,0
e-0359,2026-08-17T03:59:59Z,deepseek-v4-flash,ok,true,1000000,0
f-0400,2026-08-17T04:00:00Z,deepseek-v4-flash,ok,true,1000000,0
g-0600,2026-08-17T06:00:00Z,deepseek-v4-flash,ok,true,1000000,0
h-1000,2026-08-17T10:00:00Z,deepseek-v4-flash,ok,true,1000000,0
i-unbilled,2026-08-17T01:30:00Z,deepseek-v4-flash,ok,false,1000000,0
j-200k,2025-10-01T12:00:00Z,claude-sonnet-4-20250514,ok,true,200000,0
k-200k-and-1,2025-10-01T12:00:01Z,claude-sonnet-4-20250514,ok,true,200001,0
"""


def test_summed_pricing_splits_every_price_change_within_a_day(cli, tmp_path: Path):
    """Calls of one model on one day that take different price rows: a period that starts at
    16:00 UTC, DeepSeek's peak windows (01:00-04:00, 06:00-10:00 UTC, Mon-Fri; off-peak half
    price), an unbilled call, and input either side of Claude's 200k long-context threshold.
    Priced as sums inside ClickHouse, each must still cost what it costs alone (pricing/*.yaml):
      a  Sun 15:59:59, before the 2026-08-16 16:00 period: 1M × $0.14           = 0.14
      b  Sun 16:00, new period, Sunday is off-peak: 1M × $0.44 × 0.5           = 0.22
      c  Mon 00:59 off-peak 0.22 · d 01:00 peak 0.44 · e 03:59:59 peak 0.44
      f  04:00 off-peak 0.22 · g 06:00 peak 0.44 · h 10:00 off-peak 0.22        = 1.98
      i  unbilled                                                              = 0
      j  200,000 input, not over the threshold: 0.2M × $3                      = 0.60
         (j and k log Claude Sonnet 4 by its dated alias)
      k  200,001 input, long context: 0.200001M × $6                           = 1.200006
    total 0.14 + 0.22 + 1.98 + 0.60 + 1.200006 = 4.140006."""
    import json

    log = tmp_path / "splits.csv"
    log.write_text(SPLITS)
    from tests.test_two_engines_commands import same_calls_in_both

    db, url = same_calls_in_both(tmp_path, [log])
    duck = json.loads(cli("analyze", "--db", db, "--top", "0", "-f", "json").stdout)
    click = json.loads(cli("analyze", "--db", url, "--table", "calls", "--top", "0", "-f", "json").stdout)
    assert abs(Decimal(str(click["totals"]["cost_usd"])) - Decimal("4.140006")) < EPS
    assert click == duck
    by_day = {d["day"]: d["cost_usd"] for d in click["by_day"]}
    assert abs(Decimal(str(by_day["2026-08-16"])) - Decimal("0.36")) < EPS  # 0.14 + 0.22
    assert abs(Decimal(str(by_day["2026-08-17"])) - Decimal("1.98")) < EPS
    top = {t["call_id"]: t["cost_usd"] for t in click["top_calls"]}
    assert abs(Decimal(str(top["k-200k-and-1"])) - Decimal("1.200006")) < EPS
    # --model names the book id; the log names a dated alias of it: 0.60 + 1.200006
    only = ("--model", "claude-sonnet-4", "-f", "json")
    duck = json.loads(cli("analyze", "--db", db, *only).stdout)
    click = json.loads(cli("analyze", "--db", url, "--table", "calls", *only).stdout)
    assert click == duck and click["totals"]["calls"] == 2
    assert abs(Decimal(str(click["totals"]["cost_usd"])) - Decimal("1.800006")) < EPS
