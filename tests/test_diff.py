"""`llmcost diff A B` (issue 16, items 2 and 7) on logs built by hand with a known answer.

The logs are article 000's tracker CSV (timestamp, model, task_type, input_tokens,
output_tokens), with feature, tenant, cache_read_tokens and service_tier columns where a test
needs them. Prices (the providers' pricing pages, as in the book):
- claude-sonnet-4-5: $3 input, $0.30 cache read, $15 output per M tokens; batch half price.
  1,000 in + 100 out = 0.003 + 0.0015 = $0.0045; 2,000 in + 100 out = 0.006 + 0.0015 = $0.0075.
- claude-haiku-4-5: $1 input, $5 output: 1,000 in + 100 out = 0.001 + 0.0005 = $0.0015.
- o3: $10 / $40 until 2025-06-10, then $2 / $8 (OpenAI's 80 % cut).
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

NOT_IN_BOOK = "model not in the price book"  # the pricing's unpriced_reason
HEADER = "timestamp,model,task_type,feature,tenant,input_tokens,cache_read_tokens,output_tokens,service_tier"


def row(ts: str, model: str, task: str, inp: int, out: int = 100, cache: int = 0, tier: str = "standard",
        feature: str = "app", tenant: str = "t1") -> str:
    return f"{ts},{model},{task},{feature},{tenant},{inp},{cache},{out},{tier}"


def write(folder: Path, rows: list[str], name: str = "calls.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def diff(cli, log: Path, a: str, b: str, *extra: str, fmt: str = "json"):
    # input_tokens counts every prompt token, cache reads included (OpenAI's convention)
    return cli("diff", a, b, str(log), "--db", ":memory:", "--input-includes-cache", "--format", fmt, *extra)


def doubled_log(folder: Path, days: int = 9, doubled_day: int = 9) -> Path:
    """Oct 1..`days`: each day two classify and two summarize calls on claude-sonnet-4-5, 1,000
    tokens in and 100 out; on `doubled_day` the classify calls read 2,000 tokens in."""
    rows = []
    for d in range(1, days + 1):
        for h in ("00", "12"):
            rows.append(row(f"2026-10-{d:02d}T{h}:00:00Z", "claude-sonnet-4-5", "classify",
                            2000 if d == doubled_day else 1000))
            rows.append(row(f"2026-10-{d:02d}T{h}:30:00Z", "claude-sonnet-4-5", "summarize", 1000))
    return write(folder, rows)


def drivers_of(doc: dict) -> list[tuple[str, str, float]]:
    return [(d["driver"], d["scope"], d["usd"]) for d in doc["drivers"]]


def test_a_doubled_prompt_is_input_tokens_per_call_of_its_task(cli, tmp_path):
    log = doubled_log(tmp_path)
    r = diff(cli, log, "2026-10-08", "2026-10-09")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    # A (Oct 8): 4 calls × $0.0045 = $0.018; B (Oct 9): 2 × $0.0075 + 2 × $0.0045 = $0.024; +$0.006.
    # Same calls, same mix: classify's 2 calls read 1,000 more tokens each: 2 × 1,000 × $3 / M = $0.006.
    assert doc["a"]["cost_usd"] == pytest.approx(0.018, abs=1e-12)
    assert doc["b"]["cost_usd"] == pytest.approx(0.024, abs=1e-12)
    assert doc["change_usd"] == pytest.approx(0.006, abs=1e-12)
    assert drivers_of(doc) == [("input_tokens_per_call", "classify", pytest.approx(0.006, abs=1e-12))]
    (classify,) = [t for t in doc["by_task"] if t["task"] == "classify"]
    assert classify["input_tokens_per_call"] == {"a": 1000.0, "b": 2000.0}
    (summarize,) = [t for t in doc["by_task"] if t["task"] == "summarize"]
    assert summarize["change_usd"] == 0 and summarize["drivers"] == []


def test_the_period_before_against_the_one_including_the_day(cli, tmp_path):
    log = doubled_log(tmp_path)
    doc = diff(cli, log, "2026-10-01..2026-10-04", "2026-10-06..2026-10-09").json()
    # 16 calls each. classify in B: (6 × 1,000 + 2 × 2,000) / 8 = 1,250 tokens per call against
    # 1,000: 8 calls × 250 × $3 / M = $0.006, the whole change (B: 6 × 0.0045 + 2 × 0.0075 = $0.042
    # for classify against A's 8 × 0.0045 = $0.036); summarize and every other driver nothing.
    assert doc["change_usd"] == pytest.approx(0.006, abs=1e-12)
    assert drivers_of(doc) == [("input_tokens_per_call", "classify", pytest.approx(0.006, abs=1e-12))]
    assert (doc["a"]["start"], doc["a"]["end"]) == ("2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")
    assert (doc["b"]["start"], doc["b"]["end"]) == ("2026-10-06T00:00:00Z", "2026-10-10T00:00:00Z")


def test_relative_periods_count_back_from_the_last_call(cli, tmp_path):
    log = doubled_log(tmp_path)  # the last call: 2026-10-09 12:30
    doc = diff(cli, log, "1d-1", "1d").json()
    # 1d = Oct 9 (the last call's day), 1d-1 = Oct 8: the first test's answer
    assert (doc["a"]["start"], doc["a"]["end"]) == ("2026-10-08T00:00:00Z", "2026-10-09T00:00:00Z")
    assert (doc["b"]["start"], doc["b"]["end"]) == ("2026-10-09T00:00:00Z", "2026-10-10T00:00:00Z")
    assert drivers_of(doc) == [("input_tokens_per_call", "classify", pytest.approx(0.006, abs=1e-12))]
    doc = diff(cli, log, "4d-1", "4d").json()
    # 4d = Oct 6..9; 4d-1 = the 4 days before: Oct 2..5
    assert (doc["a"]["start"], doc["b"]["start"], doc["b"]["end"]) == (
        "2026-10-02T00:00:00Z", "2026-10-06T00:00:00Z", "2026-10-10T00:00:00Z")
    # yesterday / today: Oct 8 and Oct 9 again
    doc = diff(cli, log, "yesterday", "today").json()
    assert (doc["a"]["start"], doc["b"]["start"]) == ("2026-10-08T00:00:00Z", "2026-10-09T00:00:00Z")


def test_twice_the_same_calls_is_all_volume(cli, tmp_path):
    rows = [row("2026-10-01T10:00:00Z", "claude-sonnet-4-5", "classify", 1000),
            row("2026-10-01T11:00:00Z", "claude-sonnet-4-5", "summarize", 1000, 200)]
    rows += [r.replace("2026-10-01T1", f"2026-10-02T{h}") for r in rows for h in ("0", "2")]
    doc = diff(cli, write(tmp_path, rows), "2026-10-01", "2026-10-02").json()
    # classify $0.0045, summarize 1,000 × 3 / M + 200 × 15 / M = $0.006; A $0.0105, B twice: $0.021.
    # volume: each task's A spend × (4 / 2 − 1): +$0.0045 and +$0.006; nothing else.
    assert doc["change_usd"] == pytest.approx(0.0105, abs=1e-12)
    assert sorted(drivers_of(doc)) == [("volume", "classify", pytest.approx(0.0045, abs=1e-12)),
                                       ("volume", "summarize", pytest.approx(0.006, abs=1e-12))]


def test_a_price_cut_is_prices(cli, tmp_path):
    rows = [row("2025-06-05T10:00:00Z", "o3", "summarize", 1_000_000, 100_000),
            row("2025-06-12T10:00:00Z", "o3", "summarize", 1_000_000, 100_000)]
    doc = diff(cli, write(tmp_path, rows), "2025-06-01..2025-06-09", "2025-06-10..2025-06-18").json()
    # A: 1 × $10 + 0.1 × $40 = $14.00; B after the cut: 1 × $2 + 0.1 × $8 = $2.80; −$11.20, all prices
    assert doc["a"]["cost_usd"] == pytest.approx(14.0, abs=1e-12)
    assert doc["b"]["cost_usd"] == pytest.approx(2.8, abs=1e-12)
    assert drivers_of(doc) == [("prices", "summarize", pytest.approx(-11.2, abs=1e-12))]
    assert doc["realised"] == []


def test_a_new_model_enters_at_the_prices_of_a_and_its_cut_since_is_prices(cli, tmp_path):
    rows = [row("2025-06-05T10:00:00Z", "gpt-4o", "summarize", 1_000_000, 100_000),
            row("2025-06-12T10:00:00Z", "o3", "summarize", 1_000_000, 100_000)]
    doc = diff(cli, write(tmp_path, rows), "2025-06-01..2025-06-09", "2025-06-10..2025-06-18").json()
    # A: gpt-4o ($2.50 / $10): 1 × 2.50 + 0.1 × 10 = $3.50. B: o3 after its cut: $2.80. Change −$0.70.
    # o3 is new in B: it enters the mix at the prices in force in the middle of A (Jun 1-9: 2025-06-05
    # 12:00, before the cut: 1 × $10 + 0.1 × $40 = $14.00): mix = 14.00 − 3.50 = +$10.50; the cut
    # since is prices: 2.80 − 14.00 = −$11.20. 10.50 − 11.20 = −0.70.
    assert doc["change_usd"] == pytest.approx(-0.70, abs=1e-12)
    assert drivers_of(doc) == [("prices", "summarize", pytest.approx(-11.2, abs=1e-12)),
                               ("mix", "summarize", pytest.approx(10.5, abs=1e-12))]
    assert doc["realised"] == []  # the model part of the mix cost more: no saving claimed
    assert "2025-06-05 12:00 UTC (the middle of A)" in doc["method"]


def test_a_higher_cache_hit_rate_is_cache_and_a_realised_saving(cli, tmp_path):
    rows = [row(f"2026-10-01T1{i}:00:00Z", "claude-sonnet-4-5", "chat", 10_000) for i in range(2)]
    rows += [row(f"2026-10-02T1{i}:00:00Z", "claude-sonnet-4-5", "chat", 10_000, cache=8_000) for i in range(2)]
    doc = diff(cli, write(tmp_path, rows), "2026-10-01", "2026-10-02").json()
    # A per call: 10,000 × $3 / M + 100 × $15 / M = $0.03 + $0.0015 = $0.0315.
    # B per call: 2,000 × $3 / M + 8,000 × $0.30 / M + $0.0015 = $0.006 + $0.0024 + $0.0015 = $0.0099.
    # 2 calls each: change 2 × (0.0099 − 0.0315) = −$0.0432, all cache hit rate (A has no cache reads:
    # their price is the book's in the middle of A, the same $0.30, so prices add nothing).
    assert doc["change_usd"] == pytest.approx(-0.0432, abs=1e-12)
    assert drivers_of(doc) == [("cache_hit_rate", "chat", pytest.approx(-0.0432, abs=1e-12))]
    assert doc["realised"] == [{"lever": "cache", "scope": "chat",
                                "evidence": "cache hit rate 0 % → 80 % of prompt tokens",
                                "saving_usd": pytest.approx(0.0432, abs=1e-12), "confidence": "measured"}]


def test_calls_moved_to_a_cheaper_model_and_to_batch_are_realised(cli, tmp_path):
    rows = [row(f"2026-10-01T1{i}:00:00Z", "claude-sonnet-4-5", "classify", 1000) for i in range(4)]
    rows += [row(f"2026-10-01T1{i}:30:00Z", "claude-sonnet-4-5", "summarize", 1000) for i in range(2)]
    rows += [row(f"2026-10-02T1{i}:00:00Z", "claude-sonnet-4-5", "classify", 1000) for i in range(2)]
    rows += [row(f"2026-10-02T1{i}:10:00Z", "claude-haiku-4-5", "classify", 1000) for i in range(2)]
    rows += [row(f"2026-10-02T1{i}:30:00Z", "claude-sonnet-4-5", "summarize", 1000, tier="batch") for i in range(2)]
    doc = diff(cli, write(tmp_path, rows), "2026-10-01", "2026-10-02").json()
    # classify: 2 of 4 calls moved from sonnet ($0.0045) to haiku ($0.0015): 2 × −$0.003 = −$0.006.
    # summarize: 2 calls to batch at half price, $0.00225 each: 2 × −$0.00225 = −$0.0045.
    # Both are mix (haiku and batch are new cells, priced by the book in the middle of A: the same
    # prices as in B, so prices add nothing); total −$0.0105.
    assert doc["change_usd"] == pytest.approx(-0.0105, abs=1e-12)
    assert drivers_of(doc) == [("mix", "classify", pytest.approx(-0.006, abs=1e-12)),
                               ("mix", "summarize", pytest.approx(-0.0045, abs=1e-12))]
    by_task = {t["task"]: t for t in doc["by_task"]}
    assert by_task["classify"]["mix_parts"] == {"share": 0, "model": pytest.approx(-0.006, abs=1e-12),
                                                "service_tier": 0}
    assert doc["realised"] == [
        {"lever": "route", "scope": "classify",
         "evidence": "50 % of calls moved from claude-sonnet-4-5 (100 % → 50 %) to claude-haiku-4-5 "
                     "(0 % → 50 %) (shares of the task's calls)",
         "saving_usd": pytest.approx(0.006, abs=1e-12), "confidence": "measured"},
        {"lever": "batch", "scope": "summarize", "evidence": "batch share 0 % → 100 % of the calls",
         "saving_usd": pytest.approx(0.0045, abs=1e-12), "confidence": "measured"}]


def messy_log(folder: Path) -> Path:
    """Two weeks of calls drawn with a fixed seed: four tasks, three features, five tenants,
    sonnet, haiku and gpt-4o-mini, cache reads, batch calls, an unpriced in-house model in both
    periods, and gpt-4.1 only in the second week."""
    rng = random.Random(16)
    models = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o-mini", "in-house-7b"]
    rows = []
    for d in range(1, 15):
        for i in range(rng.randint(20, 40)):
            model = rng.choice(models + (["gpt-4.1"] if d > 7 else []))
            inp = rng.randint(200, 20_000)
            rows.append(row(f"2026-10-{d:02d}T{i % 24:02d}:{rng.randint(0, 59):02d}:00Z", model,
                            rng.choice(["classify", "summarize", "chat", "extract"]), inp, rng.randint(5, 2_000),
                            cache=rng.choice([0, 0, inp // 2, inp * 9 // 10]),
                            tier=rng.choice(["standard", "standard", "batch"]),
                            feature=rng.choice(["search", "support", "reports"]),
                            tenant=f"t{rng.randint(1, 5)}"))
    return write(folder, rows)


def test_drivers_add_up_to_the_change_on_a_messy_log(cli, tmp_path):
    log = messy_log(tmp_path)
    doc = diff(cli, log, "2026-10-01..2026-10-07", "2026-10-08..2026-10-14").json()
    change = doc["change_usd"]
    assert change == pytest.approx(doc["b"]["cost_usd"] - doc["a"]["cost_usd"], abs=1e-9)
    assert sum(d["usd"] for d in doc["drivers"]) == pytest.approx(change, abs=1e-9)
    for view, key in (("by_task", "task"), ("by_feature", "feature"), ("by_tenant", "tenant")):
        rows = doc[view]
        assert sum(r["change_usd"] for r in rows) == pytest.approx(change, abs=1e-9), view
        for r in rows:
            assert sum(d["usd"] for d in r["drivers"]) == pytest.approx(r["change_usd"], abs=1e-9), (view, r[key])
    assert {d["driver"] for d in doc["drivers"]} <= {"volume", "mix", "input_tokens_per_call",
                                                      "output_tokens_per_call", "cache_hit_rate", "prices"}
    # the in-house model is unpriced: counted and listed in both periods, never $0
    text = log.read_text().splitlines()
    for p, days in (("a", range(1, 8)), ("b", range(8, 15))):
        n = sum(1 for line in text if ",in-house-7b," in line and int(line[8:10]) in days)
        assert doc[p]["unpriced_models"] == [{"model": "in-house-7b", "calls": n, "reason": NOT_IN_BOOK}]
        assert doc[p]["unpriced_calls"] == n and doc[p]["calls"] == sum(1 for line in text[1:]
                                                                         if int(line[8:10]) in days)
    # |usd| never grows down the list
    sizes = [abs(d["usd"]) for d in doc["drivers"]]
    assert sizes == sorted(sizes, reverse=True)


def test_the_drivers_add_up_exactly_in_decimal(tmp_path):
    """The same log through the core: the Decimal drivers sum to the change with no rounding."""
    from llmcost.cli.common import ScopeOptions, priced_scope
    from llmcost.report.diff import run_diff

    log = messy_log(tmp_path)
    with priced_scope(ScopeOptions(files=[str(log)], db=":memory:", excludes=False), needs_config=False) as ctx:
        r = run_diff(ctx.store, ctx.book, ctx.relation, ctx.scope, "7d-1", "7d")
    assert sum((d.usd for d in r.drivers()), Decimal(0)) == r.change_usd != 0
    for view in (r.by_task, r.by_feature, r.by_tenant):
        assert sum((k.change_usd for k in view), Decimal(0)) == r.change_usd
        for k in view:
            assert sum(k.drivers.values(), Decimal(0)) == k.change_usd
            assert sum(k.mix_parts.values(), Decimal(0)) == k.drivers["mix"]


@pytest.mark.parametrize(("a", "b", "said"), [
    ("2026-10-01..2026-10-05", "2026-10-05..2026-10-09", "overlap"),
    ("2026-10", "7d", "overlap"),
    ("2026-09", "2026-10-09", "holds no call"),
    ("2026-10-05..2026-10-01", "2026-10-09", "ends before it starts"),
    ("last week", "7d", "not a period"),
    ("12h", "7d", "whole days"),
])
def test_bad_periods_are_refused_with_a_hint(cli, tmp_path, a, b, said):
    r = diff(cli, doubled_log(tmp_path), a, b)
    assert r.exit_code == 2, r.stdout
    assert said in r.stderr and "Traceback" not in r.stderr
    assert "e.g." in r.stderr or "For example" in r.stderr or "2026-10" in r.stderr


def test_table_and_markdown_read_well(cli, tmp_path):
    log = doubled_log(tmp_path)
    md = diff(cli, log, "2026-10-08", "2026-10-09", fmt="markdown")
    assert md.exit_code == 0, md.stderr
    # infracost style: the headline first, then the largest drivers
    assert md.stdout.splitlines()[0] == "**llmcost diff**: Spend +$0.0060 (+33.3 %) from 2026-10-08 to 2026-10-09"
    assert "| input tokens per call | classify | +$0.0060 | 1,000 → 2,000 tokens per call |" in md.stdout
    for columns in ("80", "140"):
        r = cli_width(tmp_path, log, columns)
        lines = r.splitlines()
        assert lines[0].startswith("Spend +$0.0060 (+33.3 %) from 2026-10-08 to 2026-10-09")
        assert all(len(line) <= int(columns) for line in lines), r
        assert "classify" in r and "+$0.0060" in r and "…" not in r


def cli_width(tmp_path: Path, log: Path, columns: str) -> str:
    from typer.testing import CliRunner

    from llmcost.cli import app

    r = CliRunner().invoke(app, ["diff", "2026-10-08", "2026-10-09", str(log), "--db", ":memory:"],
                           env={"COLUMNS": columns, "LLMCOST_DB": str(tmp_path / "w.duckdb")})
    assert r.exit_code == 0, r.stdout
    return r.stdout


def test_json_keys_of_the_contract(cli, tmp_path):
    doc = diff(cli, doubled_log(tmp_path), "2026-10-08", "2026-10-09").json()
    assert {"a", "b", "change_usd", "drivers", "by_feature", "by_tenant"} <= set(doc)
    for p in ("a", "b"):
        assert {"start", "end", "cost_usd", "calls"} <= set(doc[p])
    assert set(doc["drivers"][0]) >= {"driver", "scope", "usd"}
    assert doc["by_feature"][0]["feature"] == "app" and doc["by_tenant"][0]["tenant"] == "t1"
    json.dumps(doc)


def test_unpriced_calls_are_listed_never_zero_dollars(cli, tmp_path):
    rows = [row("2026-10-01T10:00:00Z", "in-house-7b", "chat", 1000),
            row("2026-10-02T10:00:00Z", "in-house-7b", "chat", 1000),
            row("2026-10-02T11:00:00Z", "claude-sonnet-4-5", "chat", 1000)]
    log = write(tmp_path, rows)
    doc = diff(cli, log, "2026-10-01", "2026-10-02").json()
    # A has one call, unpriced: its spend is unknown (null), not $0; B's priced call is $0.0045
    assert doc["a"]["cost_usd"] is None and doc["a"]["calls"] == 1 and doc["a"]["unpriced_calls"] == 1
    assert doc["b"]["cost_usd"] == pytest.approx(0.0045, abs=1e-12) and doc["b"]["unpriced_calls"] == 1
    assert doc["a"]["unpriced_models"] == [{"model": "in-house-7b", "calls": 1, "reason": NOT_IN_BOOK}]
    table = diff(cli, log, "2026-10-01", "2026-10-02", fmt="table").stdout
    assert "nothing priced, 1 call, 1 of them unpriced" in table
    assert "in-house-7b 1 (model not in the price book)" in table


def test_check_flags_the_day_and_diff_explains_it_on_the_same_store(cli, tmp_path):
    """Issue 16's done-when, end to end on one store: the doubled-prompt day is flagged by `check`
    (exit 1) and `diff` of the day before against it names input tokens per call of that task."""
    log, db = doubled_log(tmp_path), str(tmp_path / "loop.duckdb")
    cfg = tmp_path / "rules.yaml"
    cfg.write_text("check:\n  spikes:\n    - {metric: input_tokens_per_call, scope: \"task:*\", above_pct: 50, "
                   "baseline_days: 7}\n", encoding="utf-8")
    r = cli("check", str(log), "--db", db, "--input-includes-cache", "--config", str(cfg), "--format", "json")
    # classify on Oct 2-8: 1,000 tokens per call each day (median 1,000, limit 1,500); Oct 9: 2,000
    assert r.exit_code == 1, r.stderr
    assert [(b["scope"], b["day"], b["value"], b["limit"]) for b in r.json()["breaches"]] == [
        ("task:classify", "2026-10-09", 2000.0, 1500.0)]
    r = cli("diff", "1d-1", "1d", "--db", db, "--format", "json")  # the last day against the one before
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert (doc["a"]["start"][:10], doc["b"]["start"][:10]) == ("2026-10-08", "2026-10-09")
    # 2 classify calls × 1,000 more tokens × $3 / M = $0.006, all of the change
    assert drivers_of(doc) == [("input_tokens_per_call", "classify", pytest.approx(0.006, abs=1e-12))]
