"""Exact pricing: every component and rule, against costs worked out by hand.

Prices below are the book's, in USD per million tokens (pricing/*.yaml, with their sources);
"µ$" = micro-dollars = tokens × $/MTok. A call's cost is µ$ / 1e6.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from llmcost.errors import PricingError
from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing.book import load_book
from llmcost.pricing.engine import cost_total_sql, prepare_pricing, priced_sql
from llmcost.report.analysis import analyze_calls
from llmcost.scope import Scope
from tests.conftest import DATA

CASES = DATA / "pricing" / "cases.csv"
EPS = Decimal("1e-9")


def priced(store, book=None, files=(CASES,)) -> dict[str, tuple[Decimal | None, str | None]]:
    book = book or load_book()
    ingest_files(store, [str(f) for f in files], IngestOptions())
    prepare_pricing(store.con, book, "calls")
    rows = store.query(f"SELECT call_id, {cost_total_sql()}, model_id FROM ({priced_sql('calls')})")
    return {r[0]: (r[1], r[2]) for r in rows}


# call_id -> expected USD, with the arithmetic
EXPECTED = {
    # o3 before its 2025-06-10 cut: in 10 / out 40 / cached 2.50
    # uncached 8000*10 = 80000; read 2000*2.5 = 5000; out 5000*40 = 200000 -> 285000 µ$
    "o3-before-cut": Decimal("0.285"),
    # after the cut: in 2 / out 8 / cached 0.50: 8000*2 + 2000*0.5 + 5000*8 = 16000+1000+40000
    "o3-after-cut": Decimal("0.057"),
    # Sonnet 4.5, input incl. cache 250000 > 200000: the WHOLE request at 6 / 22.50 / read 0.60 /
    # 5m write 7.50 / 1h write 12: uncached 70000*6 = 420000; read 150000*0.6 = 90000;
    # w5 20000*7.5 = 150000; w1h 10000*12 = 120000; out 2000*22.5 = 45000 -> 825000 µ$
    "sonnet45-long": Decimal("0.825"),
    # exactly 200000 is not greater than the threshold: 200000*3 + 1000*15 = 615000
    "sonnet45-at-threshold": Decimal("0.615"),
    # batch = 0.5 x every component, cache prices included (stacks multiplicatively):
    # uncached 1000*1.5 = 1500; read 8000*0.15 = 1200; w5 1000*1.875 = 1875; out 1000*7.5 = 7500
    "sonnet45-batch-cache": Decimal("0.012075"),
    # gpt-4o batch: explicit 1.25 / 5; cached not listed -> standard 1.25 x batch 0.5 = 0.625
    # uncached 5904*1.25 = 7380; read 4096*0.625 = 2560; out 1000*5 = 5000 -> 14940
    "gpt4o-batch": Decimal("0.01494"),
    # the 2024-05-13 snapshot keeps its own 5 / 15: 1000*5 + 1000*15 = 20000
    "gpt4o-0513": Decimal("0.02"),
    # Bedrock cross-region profile: +10 % on 3 / 15: (3000 + 15000) * 1.1 = 19800
    "bedrock-us": Decimal("0.0198"),
    # Opus 4.6 5 / 25, inference_geo us x1.1, fast mode x6: (5000 + 2500) * 1.1 * 6 = 49500
    "opus46-us-fast": Decimal("0.0495"),
    # DeepSeek V4 Flash from 2026-09-10 peak prices 0.30 / 1.20 / hit 0.006; Monday 02:00 UTC is
    # peak: uncached 500*0.3 = 150; hit 500*0.006 = 3; out 1000*1.2 = 1200 -> 1353
    "deepseek-peak": Decimal("0.001353"),
    # Monday 12:00 UTC is off-peak: half -> 676.5
    "deepseek-offpeak": Decimal("0.0006765"),
    # Sunday is off-peak all day, even at 02:00
    "deepseek-weekend": Decimal("0.0006765"),
    # Haiku 4.5 1 / 5 plus web search $10 per 1,000: 1000 + 500 = 1500 µ$ + 3 * 0.01 = 0.03
    "haiku-web-search": Decimal("0.0315"),
    # no timestamp: the latest Sonnet 4.6 period (flat 1M context from 2026-03-13):
    # 300000*3 + 1000*15 = 915000
    "sonnet46-no-time": Decimal("0.915"),
    # before 2026-03-13 Sonnet 4.6 had the >200k premium: 300000*6 + 1000*22.5 = 1822500
    "sonnet46-long-before-ga": Decimal("1.8225"),
    # Gemini 2.5 Pro above 200k: 2.50 / 15: 250000*2.5 + 2000*15 = 655000
    "gemini25pro-long": Decimal("0.655"),
    # an errored call is not billed
    "errored-not-billed": Decimal("0"),
}


def test_each_rule_prices_exactly(store):
    got = priced(store)
    for call_id, expected in EXPECTED.items():
        cost, _ = got[call_id]
        assert cost is not None, call_id
        assert abs(cost - expected) < EPS, (call_id, cost, expected)


def test_unknown_model_is_unpriced_never_zero(store):
    got = priced(store)
    assert got["unknown-model"] == (None, None)


def test_aliases_resolve():
    book = load_book()
    cases = {
        "claude-sonnet-4-5-20250929": ("claude-sonnet-4-5", Decimal(1)),
        "anthropic/claude-sonnet-4-5": ("claude-sonnet-4-5", Decimal(1)),
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0": ("claude-sonnet-4-5", Decimal("1.1")),
        "claude-sonnet-4-5@20250929": ("claude-sonnet-4-5", Decimal(1)),
        "openai/gpt-4o": ("gpt-4o", Decimal(1)),
        "gpt-4o-2024-08-06": ("gpt-4o", Decimal(1)),
        "gpt-4o-2024-05-13": ("gpt-4o-2024-05-13", Decimal(1)),
    }
    for name, (mid, mult) in cases.items():
        resolved = book.resolve(name)
        assert resolved is not None, name
        assert (resolved[0], resolved[1]) == (mid, mult), name
    assert book.resolve("acme-llm-7b") is None


def test_required_models_are_in_the_book():
    book = load_book()
    for name in ["claude-3-5-haiku", "claude-opus-5", "claude-sonnet-5", "gpt-3.5-turbo", "gpt-4",
                 "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3",
                 "o4-mini", "gpt-5", "gpt-5.1", "gpt-5.2", "gpt-5.4", "gpt-5.5", "gpt-5.6",
                 "gemini-1.5-pro", "gemini-2.0-flash", "gemini-2.5-pro", "gemini-2.5-flash",
                 "deepseek-chat", "deepseek-reasoner", "deepseek-v4-flash", "deepseek-v4-pro",
                 "mistral-large-latest", "meta.llama3-3-70b-instruct-v1:0",
                 "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"]:
        assert book.resolve(name) is not None, name
    assert any(m.provider == "zhipu" for m in book.models.values())
    for m in book.models.values():
        for p in m.periods:
            if p.overlay is None:
                assert p.source.startswith("http") and p.checked, (m.id, p.effective_from)


def test_analysis_totals_leave_unpriced_out(store):
    ingest = ingest_files(store, [str(CASES)], IngestOptions())
    a = analyze_calls(store, load_book(), Scope(source_hashes=tuple(ingest.hashes)), ingest)
    assert a.totals.calls == 18
    assert (a.totals.priced_calls, a.totals.unpriced_calls) == (17, 1)
    assert abs(a.totals.cost_usd - sum(EXPECTED.values())) < EPS
    assert [(u.model, u.calls) for u in a.unpriced_models] == [("acme-llm-7b", 1)]
    assert any("no timestamp" in n for n in a.notes)


def test_overlay_adds_models_overrides_and_discounts(store, tmp_path: Path):
    overlay = tmp_path / "prices.yaml"
    overlay.write_text(
        "discounts: [{provider: anthropic, percent: 20, from: 2026-10-01}]\n"
        "models:\n"
        "  - {id: acme-llm-7b, provider: acme, periods: [{effective_from: 2026-01-01, input: 0.5,"
        " output: 1.0}]}\n"
        "overrides:\n"
        "  - {model: gpt-4o, effective_from: 2026-09-01, input: 2.0, output: 8.0}\n")
    got = priced(store, load_book([str(overlay)]))
    # acme: 1000*0.5 + 1000*1 = 1500 µ$
    assert abs(got["unknown-model"][0] - Decimal("0.0015")) < EPS
    # 20 % off Anthropic from 2026-10-01: Bedrock us. 19800 * 0.8 = 15840
    assert abs(got["bedrock-us"][0] - Decimal("0.01584")) < EPS
    # the override is a new gpt-4o period: batch has no explicit price in it, so 0.5 x 2 / 8,
    # cached = input (no cached price given) x 0.5 = 1: 5904*1 + 4096*1 + 1000*4 = 14000
    assert abs(got["gpt4o-batch"][0] - Decimal("0.014")) < EPS
    # o3 untouched
    assert abs(got["o3-after-cut"][0] - Decimal("0.057")) < EPS


def test_broken_overlay_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - {id: x, provider: acme, periods: [{effective_from: 2026-01-01, input: -1,"
                   " output: 1}]}\n")
    with pytest.raises(PricingError, match="≥ 0"):
        load_book([str(bad)])
    bad.write_text("models: [ {id: x\n")
    with pytest.raises(PricingError, match="not valid YAML"):
        load_book([str(bad)])


def test_batch_result_files_price_at_the_batch_tier(store):
    """Every call of an OpenAI or Anthropic batch output file costs half its standard price."""
    fmt = DATA / "formats"
    ingest_files(store, [str(fmt / "openai_batch.jsonl"), str(fmt / "anthropic_batch.jsonl")], IngestOptions())
    prepare_pricing(store.con, load_book(), "calls")
    cost = cost_total_sql()
    rows = store.query(f"""
        SELECT b.call_id, b.service_tier, b._c, s._c
        FROM (SELECT call_id, service_tier, {cost} AS _c FROM ({priced_sql('calls')})) b
        JOIN (SELECT call_id, {cost} AS _c
              FROM ({priced_sql("(SELECT * REPLACE ('standard' AS service_tier) FROM calls)")})) s
          USING (call_id)""")
    assert len(rows) >= 4
    for call_id, tier, batch_cost, standard_cost in rows:
        assert tier == "batch", call_id
        if standard_cost is None:  # a model the book does not price (an embeddings model): unpriced both ways
            assert batch_cost is None, call_id
            continue
        assert batch_cost is not None and abs(batch_cost * 2 - standard_cost) < EPS, call_id
    # by hand, Anthropic msg_b1 (Sonnet 4.5, 10 in / 50 out) at batch: 10*1.5 + 50*7.5 = 390 µ$
    assert abs(dict((r[0], r[2]) for r in rows)["msg_b1"] - Decimal("0.00039")) < EPS


def test_gemini_thoughts_are_billed_as_output(store):
    """Gemini's thoughts sit outside candidatesTokenCount; the adapter adds them to output, so
    they are priced at the output rate (2.5 Flash: 0.30 in / 2.50 out / cached 0.03)."""
    f = DATA / "pricing" / "gemini_thoughts.jsonl"
    got = priced(store, files=(f,))
    # prompt 11500 incl. 10000 cached: 1500*0.30 + 10000*0.03 = 750; output 1000 + 10000 thoughts
    # = 11000 * 2.50 = 27500 -> 28250 µ$
    assert abs(got["gem-1"][0] - Decimal("0.02825")) < EPS


def test_unpriced_model_rows_have_no_cost_in_json(cli):
    doc = cli("analyze", str(CASES), "--format", "json").json()
    row = next(r for r in doc["by_model"] if r["model"] == "acme-llm-7b")
    assert row["cost_usd"] is None and row["unpriced_calls"] == 1
    assert doc["unpriced_models"] == [{"model": "acme-llm-7b", "calls": 1, "reason": "model not in the price book",
                                     "suggestion": None}]
