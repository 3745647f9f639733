"""`check`, `simulate`, `recommend` and `report` run inside ClickHouse (chDB, `--db chdb://PATH
--table calls`) give what they give through DuckDB on the same calls (issue 17, items 1-2).

The same calls in both engines: a log ingested into a DuckDB store, and the store's `calls`
copied into a chDB table with the canonical columns through Parquet (ClickHouse's own reader).
Money must agree to 1e-9 USD and counts exactly; each test also checks a figure worked out by
hand, so that both engines being wrong the same way fails too.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("chdb", reason="chDB (ClickHouse in-process) is not installed: pip install -e '.[test]'")
pytest.importorskip("sqlglot", reason="sqlglot is not installed: pip install -e '.[test]'")

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing import clickhouse as ch_pricing
from llmcost.store_clickhouse import ClickHouse
from tests.conftest import DATA
from tests.test_check import SPIKE, write_config, write_log
from tests.test_pricing import EPS


def same_calls_in_both(tmp_path: Path, files: list[Path], options: IngestOptions | None = None) -> tuple[str, str]:
    """`files` ingested into a DuckDB store, and its calls copied into a chDB table `calls`."""
    from llmcost.store import open_store

    tmp_path.mkdir(parents=True, exist_ok=True)
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


# ---- simulate: every lever that runs as SQL ----

LV = DATA / "levers"


def simulate_both(cli, db: str, url: str, *levers: str) -> dict:
    """`simulate` with `levers` through DuckDB and inside chDB: the same JSON document (every
    saving to the last digit, every count); that document."""
    duck = cli("simulate", "--db", db, *levers, "-f", "json")
    click = cli("simulate", "--db", url, "--table", "calls", *levers, "-f", "json")
    assert duck.exit_code == click.exit_code == 0, click.stderr
    d, c = duck.json(), click.json()
    assert [(x["lever"], x["calls_affected"]) for x in c["levers"]] == [
        (x["lever"], x["calls_affected"]) for x in d["levers"]]
    for x, y in zip(c["levers"], d["levers"], strict=True):
        assert abs(Decimal(str(x["savings_usd"])) - Decimal(str(y["savings_usd"]))) < EPS, x["lever"]
    assert c == d, levers
    return c


def saving(doc: dict, lever: str) -> Decimal:
    return Decimal(str(next(x for x in doc["levers"] if x["lever"] == lever)["savings_usd"]))


def test_simulate_levers_in_clickhouse_agree_on_mixed(cli, tmp_path: Path):
    # tests/test_levers.py's mixed.csv and its hand-worked savings (µ$ = tokens × $/MTok)
    db, url = same_calls_in_both(tmp_path, [LV / "mixed.csv"])
    d = simulate_both(cli, db, url, "--route", "classify=haiku")
    assert saving(d, "route") == Decimal("0.0243")  # s1..s3 on Haiku: 3 × 8,100 µ$
    d = simulate_both(cli, db, url, "--route", "haiku")  # only the calls that cost less move
    assert saving(d, "route") == Decimal("0.0703") and d["levers"][0]["calls_affected"] == 6
    d = simulate_both(cli, db, url, "--trim-prompt", "0.25")
    assert saving(d, "trim_prompt") == Decimal("0.009")  # 6 × 500 tokens × $3
    d = simulate_both(cli, db, url, "--dedupe", "1h")
    assert saving(d, "dedupe") == Decimal("0.01215")  # s2 within the hour of s1
    d = simulate_both(cli, db, url, "--deflect", "summarize=0.5")
    assert d["levers"][0]["calls_affected"] >= 1
    # route 24,300; cap (still Sonnet) (100 + 600) × 15 = 10,500; batch after the cap: 16,500/2 +
    # 2 × (15,000 + 400 × 15)/2 = 29,250
    d = simulate_both(cli, db, url, "--batch", "summarize", "--cap-output", "summarize=400",
                      "--route", "classify=haiku")
    assert [saving(d, x) for x in ("route", "cap_output", "batch")] == [
        Decimal("0.0243"), Decimal("0.0105"), Decimal("0.02925")]
    assert [x["calls_affected"] for x in d["levers"]] == [3, 2, 3]


def test_cache_replay_in_clickhouse_agrees(cli, tmp_path: Path):
    # tests/test_levers.py's cache_replay.csv: 5 min -10,950 µ$; 1 h -6,600; TTL per prefix
    # -13,350; if-cheaper (recommend's choice): A on 1 h -15,600, C's write never pays: not cached
    db, url = same_calls_in_both(tmp_path, [LV / "cache_replay.csv"])
    expected = {"5m": Decimal("0.01095"), "1h": Decimal("0.0066"), "auto": Decimal("0.01335")}
    for ttl, usd in expected.items():
        d = simulate_both(cli, db, url, "--cache", "auto", "--cache-ttl", ttl)
        assert saving(d, "cache") == usd, ttl
    d = simulate_both(cli, db, url, "--cache", "if-cheaper", "--cache-ttl", "auto")
    assert saving(d, "cache") == Decimal("0.0156") and d["levers"][0]["calls_affected"] == 5


def test_block_replay_and_a_mooncake_slice_in_clickhouse_agree(cli, tmp_path: Path):
    from llmcost.cli.common import ingest_options

    blocks = ingest_options(None, None, ["gpt-4o-mini"], "2026-10-01T00:00:00Z", None)
    db, url = same_calls_in_both(tmp_path / "blocks", [LV / "blocks.jsonl"], blocks)
    # r2 shares blocks 1, 2 with r1 (1,024 tokens); at 1 h r3 shares 1, 2, 3 (1,536); 0.075 µ$ each
    assert saving(simulate_both(cli, db, url, "--cache", "auto", "--cache-ttl", "5m"), "cache") == \
        Decimal(1024) * Decimal("0.075e-6")
    assert saving(simulate_both(cli, db, url, "--cache", "auto", "--cache-ttl", "1h"), "cache") == \
        Decimal(1024 + 1536) * Decimal("0.075e-6")
    # the first 200 requests of Mooncake's conversation trace (tests/data/traces/README.md), on
    # Opus 5, every block of every request replayed in both engines
    trace = ingest_options(None, None, ["claude-opus-5"], "2026-10-01T00:00:00Z", None)
    db, url = same_calls_in_both(tmp_path / "mooncake", [DATA / "traces" / "mooncake_conversation_head.jsonl"],
                                 trace)
    for ttl in ("5m", "1h"):
        d = simulate_both(cli, db, url, "--cache", "auto", "--cache-ttl", ttl)
        assert d["calls"] == 200
        assert abs(d["levers"][0]["hit_ratio"] - mooncake_cached_share(ttl)) < 1e-12
    simulate_both(cli, db, url, "--cache", "if-cheaper", "--cache-ttl", "auto", "--cap-output", "200",
                  "--batch", "all")


def mooncake_cached_share(ttl: str) -> float:
    """An independent replay of the trace head: in time order, a request reads from the cache the
    leading blocks whose hash was last used at most the TTL ago (a hash covers its block and all
    before it; each use refreshes it), 512 tokens a block, at most its input; the share of all
    input tokens (164,864 of 2,782,179 at either TTL: the 200 requests span under 5 min)."""
    import json

    seconds = {"5m": 300, "1h": 3600}[ttl]
    rows = [json.loads(line) for line in (DATA / "traces" / "mooncake_conversation_head.jsonl").open()]
    last: dict[int, float] = {}
    cached = total = 0
    for r in sorted(rows, key=lambda r: r["timestamp"]):
        t, hits = r["timestamp"] / 1000, 0
        for h in r["hash_ids"]:
            if h not in last or t - last[h] > seconds:
                break
            hits += 1
        cached += min(hits * 512, r["input_length"])
        total += r["input_length"]
        last.update((h, t) for h in r["hash_ids"])
    return cached / total


def test_context_levers_and_cascade_in_clickhouse_agree(cli, tmp_path: Path):
    from llmcost.cli.common import ingest_options

    db, url = same_calls_in_both(tmp_path, [DATA / "context" / "conversations.csv"],
                                 ingest_options(None, None, None, None, False))  # --input-includes-cache
    # tests/test_context_levers.py's hand-worked figures: the window of 1,000 tokens saves 2,500 +
    # 600 - 300 = 2,800 µ$; the input cap of 500 on chat 30,475 µ$ on 7 calls
    assert saving(simulate_both(cli, db, url, "--history-window", "1000"), "history_window") == Decimal("0.0028")
    d = simulate_both(cli, db, url, "--cap-input", "chat=500")
    assert saving(d, "cap_input") == Decimal("0.030475") and d["levers"][0]["calls_affected"] == 7
    simulate_both(cli, db, url, "--history-window", "chat=500", "--summarize")
    simulate_both(cli, db, url, "--cap-input", "chat=500", "--history-window", "1000",
                  "--route", "support=claude-haiku-4-5")
    simulate_both(cli, db, url, "--cascade", "gpt-4o-mini", "--escalate-rate", "0.3")


def test_what_does_not_run_inside_clickhouse_says_so(cli, tmp_path: Path):
    _db, url = same_calls_in_both(tmp_path, [LV / "similar.csv"])
    r = cli("simulate", "--db", url, "--table", "calls", "--similar-cache", "0.9")
    assert r.exit_code == 2 and "--similar-cache does not run inside ClickHouse" in r.stderr
    evals = tmp_path / "eval.csv"
    evals.write_text("task_type,model,score\nclassify,claude-haiku-4-5,0.9\n")
    r = cli("simulate", "--db", url, "--table", "calls", "--route", "haiku", "--eval", str(evals))
    assert r.exit_code == 2 and "eval file" in r.stderr and "Traceback" not in r.stderr
    r = cli("simulate", "--table", "calls", "--route", "haiku")
    assert r.exit_code == 2 and "goes with --db chdb://" in r.stderr


# ---- recommend and report ----

TEAM = """tasks:
  summarize:
    batchable: true
  classify:
    routes: [haiku]
    trim_prompt: 0.3
"""


def test_recommend_in_clickhouse_gives_the_duckdb_document(cli, tmp_path: Path):
    db, url = same_calls_in_both(tmp_path, [LV / "mixed.csv"])
    cfg = write_config(tmp_path, TEAM)
    duck = cli("recommend", "--db", db, "--config", str(cfg), "-f", "json")
    click = cli("recommend", "--db", url, "--table", "calls", "--config", str(cfg), "-f", "json")
    assert duck.exit_code == click.exit_code == 0, click.stderr
    assert click.json() == duck.json()
    recs = {r["lever"]: Decimal(str(r["savings_usd"])) for r in click.json()["recommendations"]}
    # alone, each on the baseline (tests/test_levers.py): batch summarize 69,000 / 2 = 34,500 µ$;
    # dedupe 1 h 12,150 µ$ (s2 within the hour of s1)
    assert recs["batch"] == Decimal("0.0345") and recs["dedupe"] == Decimal("0.01215")
    # the cache replay: A on 1 h saves 15,600 µ$, C's write never pays (tests/test_levers.py)
    db, url = same_calls_in_both(tmp_path / "cache", [LV / "cache_replay.csv"])
    duck = cli("recommend", "--db", db, "-f", "json")
    click = cli("recommend", "--db", url, "--table", "calls", "-f", "json")
    assert click.json() == duck.json()
    assert [(r["lever"], str(r["savings_usd"])) for r in click.json()["recommendations"]] == [("cache", "0.0156")]


def test_report_figures_in_clickhouse_agree(cli, tmp_path: Path):
    import json

    db, url = same_calls_in_both(tmp_path, [LV / "mixed.csv"])
    cfg = write_config(tmp_path, TEAM)
    duck = cli("report", "--db", db, "--config", str(cfg), "-o", str(tmp_path / "duck.json"))
    click = cli("report", "--db", url, "--table", "calls", "--config", str(cfg), "-o", str(tmp_path / "ch.json"))
    assert duck.exit_code == click.exit_code == 0, click.stderr
    d, c = (json.loads((tmp_path / f).read_text()) for f in ("duck.json", "ch.json"))
    # what differs by nature: when and how each was made, and the files llmcost loaded (a
    # ClickHouse table has no load record: none listed, rather than made up)
    assert "--table calls" in c["command_line"] and c["files"] == []
    for k in ("generated_at", "command_line", "files"):
        d.pop(k), c.pop(k)
    assert c == d
    assert Decimal(str(c["headline"]["spend_usd"])) == Decimal("0.105816")  # mixed.csv's baseline, by hand
