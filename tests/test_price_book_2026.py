"""The 2026-11 corrections and additions to the price book (issue 12, item 6), each priced at a
call date on EACH side of its change, with the cost worked out by hand beside it.

Prices are the book's, in USD per million tokens ($/M); a call's cost is tokens × $/M / 1e6.
Generic CSV logs: `input_tokens` includes the cache reads (uncached = input - cache_read).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost.ingest import IngestOptions, ingest_files
from llmcost.pricing.book import load_book, name_candidates
from llmcost.pricing.check import check_book, compare_with_litellm
from llmcost.pricing.engine import cost_total_sql, prepare_pricing, priced_sql

EPS = Decimal("1e-12")
M = 1_000_000
HEADER = ("call_id,ts,provider,model,service_tier,status,input_tokens,cache_read_tokens,"
          "cache_write_5m_tokens,cache_write_1h_tokens,output_tokens,web_search_requests\n")


def price_calls(store, tmp_path: Path, rows: list[tuple]) -> dict[str, tuple[Decimal | None, str | None]]:
    """Price CSV rows (call_id, ts, provider, model, tier, input, cache_read, output[, cw5m,
    web_search]) with the shipped book: call_id -> (cost, model_id)."""
    lines = []
    for r in rows:
        call_id, ts, provider, model, tier, inp, cr, out, *rest = r
        cw5 = rest[0] if rest else 0
        ws = rest[1] if len(rest) > 1 else ""
        lines.append(f"{call_id},{ts},{provider},{model},{tier},ok,{inp},{cr},{cw5},0,{out},{ws}\n")
    f = tmp_path / "calls.csv"
    f.write_text(HEADER + "".join(lines))
    ingest_files(store, [str(f)], IngestOptions())
    prepare_pricing(store.con, load_book(), "calls")
    got = store.query(f"SELECT call_id, {cost_total_sql()}, model_id FROM ({priced_sql('calls')})")
    return {r[0]: (r[1], r[2]) for r in got}


def assert_costs(got: dict, expected: dict[str, tuple[str, str]]) -> None:
    for call_id, (model_id, usd) in expected.items():
        cost, mid = got[call_id]
        assert mid == model_id, (call_id, mid)
        assert cost is not None, call_id
        assert abs(cost - Decimal(usd)) < EPS, (call_id, cost, usd)


# ---------------------------------------------------------------- wrong today, corrected

def test_gemini_36_flash_introductory_price_and_its_end(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("g36-launch", "2026-08-12T23:59:59Z", "google", "gemini-3.6-flash", "", 1_000_000, 0, 200_000),
        ("g36-intro-first", "2026-08-13T00:00:00Z", "google", "gemini-3.6-flash", "", 1_000_000, 0, 200_000),
        ("g36-intro-last", "2026-12-31T23:59:59Z", "google", "gemini-3.6-flash", "", 1_000_000, 0, 200_000),
        ("g36-2027", "2027-01-01T00:00:00Z", "google", "gemini-3.6-flash", "", 1_000_000, 0, 200_000),
        ("g36-cache-intro", "2026-12-31T12:00:00Z", "google", "gemini-3.6-flash", "", 1_000_000, 800_000, 0),
        ("g36-cache-2027", "2027-01-01T12:00:00Z", "google", "gemini-3.6-flash", "", 1_000_000, 800_000, 0),
        ("g36-prio-intro", "2026-12-31T12:00:00Z", "google", "gemini-3.6-flash", "priority", 1_000_000, 0, 200_000),
        ("g36-prio-2027", "2027-01-01T12:00:00Z", "google", "gemini-3.6-flash", "priority", 1_000_000, 0, 200_000),
        ("g36-batch-intro", "2026-12-31T12:00:00Z", "google", "gemini-3.6-flash", "batch", 1_000_000, 0, 200_000),
    ])
    assert_costs(got, {
        # launch price before the cut: 1,000,000 × $1.50/M + 200,000 × $7.50/M = $1.50 + $1.50 = $3.00
        "g36-launch": ("gemini-3.6-flash", "3.00"),
        # 1,000,000 in × $0.75/M + 200,000 out × $3.75/M = $0.75 + $0.75 = $1.50
        "g36-intro-first": ("gemini-3.6-flash", "1.50"),
        "g36-intro-last": ("gemini-3.6-flash", "1.50"),
        # from 2027-01-01 back to $1.50 / $7.50: $1.50 + $1.50 = $3.00
        "g36-2027": ("gemini-3.6-flash", "3.00"),
        # cache: 200,000 uncached × $0.75/M + 800,000 read × $0.075/M = $0.15 + $0.06 = $0.21
        "g36-cache-intro": ("gemini-3.6-flash", "0.21"),
        # 2027: 200,000 × $1.50/M + 800,000 × $0.15/M = $0.30 + $0.12 = $0.42
        "g36-cache-2027": ("gemini-3.6-flash", "0.42"),
        # priority (1.8x) during the intro: 1,000,000 × $1.35/M + 200,000 × $6.75/M = $1.35 + $1.35 = $2.70
        "g36-prio-intro": ("gemini-3.6-flash", "2.70"),
        # priority in 2027: 1,000,000 × $2.70/M + 200,000 × $13.50/M = $2.70 + $2.70 = $5.40
        "g36-prio-2027": ("gemini-3.6-flash", "5.40"),
        # batch = 0.5 × intro: 1,000,000 × $0.375/M + 200,000 × $1.875/M = $0.375 + $0.375 = $0.75
        "g36-batch-intro": ("gemini-3.6-flash", "0.75"),
    })


def test_bedrock_llama_price_cuts(store, tmp_path):
    rows = []
    for name, model in [("l70", "meta.llama3-1-70b-instruct-v1:0"), ("l405", "us.meta.llama3-1-405b-instruct-v1:0"),
                        ("l11", "meta.llama3-2-11b-instruct-v1:0"), ("l90", "us.meta.llama3-2-90b-instruct-v1:0")]:
        rows.append((f"{name}-before", "2024-12-16T23:59:59Z", "bedrock", model, "", 1_000_000, 0, 1_000_000))
        rows.append((f"{name}-after", "2024-12-17T00:00:00Z", "bedrock", model, "", 1_000_000, 0, 1_000_000))
    rows.append(("l70-batch", "2025-06-01T00:00:00Z", "bedrock", "meta.llama3-1-70b-instruct-v1:0", "batch",
                 1_000_000, 0, 1_000_000))
    got = price_calls(store, tmp_path, rows)
    assert_costs(got, {
        # 3.1 70B: 1M in × $0.99/M + 1M out × $0.99/M = $1.98; after the cut 1M × $0.72 + 1M × $0.72 = $1.44
        "l70-before": ("llama-3.1-70b-instruct-bedrock", "1.98"),
        "l70-after": ("llama-3.1-70b-instruct-bedrock", "1.44"),
        # 3.1 405B: $5.32 + $16.00 = $21.32; after: $2.40 + $2.40 = $4.80
        "l405-before": ("llama-3.1-405b-instruct-bedrock", "21.32"),
        "l405-after": ("llama-3.1-405b-instruct-bedrock", "4.80"),
        # 3.2 11B: $0.35 + $0.35 = $0.70; after: $0.16 + $0.16 = $0.32
        "l11-before": ("llama-3.2-11b-instruct-bedrock", "0.70"),
        "l11-after": ("llama-3.2-11b-instruct-bedrock", "0.32"),
        # 3.2 90B: $2.00 + $2.00 = $4.00; after: $0.72 + $0.72 = $1.44
        "l90-before": ("llama-3.2-90b-instruct-bedrock", "4.00"),
        "l90-after": ("llama-3.2-90b-instruct-bedrock", "1.44"),
        # batch 50 %: 1M × $0.36/M + 1M × $0.36/M = $0.72
        "l70-batch": ("llama-3.1-70b-instruct-bedrock", "0.72"),
    })


def test_gpt56_priority_after_the_cuts(store, tmp_path):
    # inputs stay under the 272k long-context threshold
    got = price_calls(store, tmp_path, [
        ("terra-before", "2026-07-29T23:59:59Z", "openai", "gpt-5.6-terra", "priority", 200_000, 0, 100_000),
        ("terra-after", "2026-07-30T00:00:00Z", "openai", "gpt-5.6-terra", "priority", 200_000, 0, 100_000),
        ("luna-before", "2026-07-29T23:59:59Z", "openai", "gpt-5.6-luna", "priority", 200_000, 0, 100_000),
        ("luna-after", "2026-07-30T00:00:00Z", "openai", "gpt-5.6-luna", "priority", 200_000, 0, 100_000),
        ("sol-before", "2026-08-20T23:59:59Z", "openai", "gpt-5.6", "priority", 200_000, 50_000, 100_000),
        ("sol-after", "2026-08-21T00:00:00Z", "openai", "gpt-5.6", "priority", 200_000, 50_000, 100_000),
        ("sol-standard-after", "2026-08-21T00:00:00Z", "openai", "gpt-5.6", "", 200_000, 50_000, 100_000),
    ])
    assert_costs(got, {
        # Terra launch priority $5/$30: 200k × $5/M + 100k × $30/M = $1 + $3 = $4.00
        "terra-before": ("gpt-5.6-terra", "4.00"),
        # after the 2026-07-30 cut, priority = 2 × ($2/$12) = $4/$24: $0.80 + $2.40 = $3.20
        "terra-after": ("gpt-5.6-terra", "3.20"),
        # Luna launch priority $2/$12: $0.40 + $1.20 = $1.60
        "luna-before": ("gpt-5.6-luna", "1.60"),
        # after: 2 × ($0.20/$1.20) = $0.40/$2.40: $0.08 + $0.24 = $0.32
        "luna-after": ("gpt-5.6-luna", "0.32"),
        # Sol launch priority $10/$60, cached $1: 150k × $10/M + 50k × $1/M + 100k × $60/M
        # = $1.50 + $0.05 + $6.00 = $7.55
        "sol-before": ("gpt-5.6", "7.55"),
        # after the 2026-08-21 cut, 2 × ($4/$20, cached $0.40): 150k × $8 + 50k × $0.80 + 100k × $40
        # = $1.20 + $0.04 + $4.00 = $5.24
        "sol-after": ("gpt-5.6", "5.24"),
        # standard after the cut: 150k × $4 + 50k × $0.40 + 100k × $20 = $0.60 + $0.02 + $2.00 = $2.62
        "sol-standard-after": ("gpt-5.6", "2.62"),
    })


def test_dated_snapshots_keep_their_own_price(store, tmp_path):
    got = price_calls(store, tmp_path, [
        # the bare name was re-pointed to 0125 ($0.50/$1.50) on 2024-02-16; 0613 stayed $1.50/$2
        ("t35-0613-before", "2024-02-15T12:00:00Z", "openai", "gpt-3.5-turbo-0613", "", 1_000_000, 0, 1_000_000),
        ("t35-0613-after", "2024-02-16T12:00:00Z", "openai", "gpt-3.5-turbo-0613", "", 1_000_000, 0, 1_000_000),
        ("t35-bare-before", "2024-02-15T12:00:00Z", "openai", "gpt-3.5-turbo", "", 1_000_000, 0, 1_000_000),
        ("t35-bare-after", "2024-02-16T12:00:00Z", "openai", "gpt-3.5-turbo", "", 1_000_000, 0, 1_000_000),
        ("t35-0125-before", "2024-02-15T12:00:00Z", "openai", "gpt-3.5-turbo-0125", "", 1_000_000, 0, 1_000_000),
        ("t35-0125-after", "2024-02-16T12:00:00Z", "openai", "openai/gpt-3.5-turbo-0125", "", 1_000_000, 0, 1_000_000),
        ("t35-1106", "2024-03-01T00:00:00Z", "openai", "gpt-3.5-turbo-1106", "", 1_000_000, 0, 1_000_000),
        ("g4-0613", "2024-03-01T00:00:00Z", "openai", "gpt-4-0613", "", 100_000, 0, 100_000),
        ("g4-0314", "2023-05-01T00:00:00Z", "openai", "gpt-4-0314", "", 100_000, 0, 100_000),
        ("g4-1106", "2024-03-01T00:00:00Z", "openai", "gpt-4-1106-preview", "", 100_000, 0, 100_000),
        ("g4o-0513", "2025-01-01T00:00:00Z", "openai", "gpt-4o-2024-05-13", "", 100_000, 0, 100_000),
        ("g4o-bare", "2025-01-01T00:00:00Z", "openai", "gpt-4o", "", 100_000, 0, 100_000),
    ])
    assert_costs(got, {
        # 0613 keeps $1.50/$2 on both sides of the re-point: 1M × $1.50 + 1M × $2 = $3.50
        "t35-0613-before": ("gpt-3.5-turbo-0613", "3.50"),
        "t35-0613-after": ("gpt-3.5-turbo-0613", "3.50"),
        # the bare name: 1106's $1/$2 = $3.00 before, 0125's $0.50/$1.50 = $2.00 after
        "t35-bare-before": ("gpt-3.5-turbo", "3.00"),
        "t35-bare-after": ("gpt-3.5-turbo", "2.00"),
        # 0125 is $0.50/$1.50 on both sides (it was $1/$2 as an alias of the bare name before)
        "t35-0125-before": ("gpt-3.5-turbo-0125", "2.00"),
        "t35-0125-after": ("gpt-3.5-turbo-0125", "2.00"),
        "t35-1106": ("gpt-3.5-turbo-1106", "3.00"),
        # gpt-4 snapshots $30/$60: 100k × $30/M + 100k × $60/M = $3 + $6 = $9.00
        "g4-0613": ("gpt-4-0613", "9.00"),
        "g4-0314": ("gpt-4-0314", "9.00"),
        # gpt-4-1106-preview $10/$30: $1 + $3 = $4.00
        "g4-1106": ("gpt-4-1106-preview", "4.00"),
        # gpt-4o-2024-05-13 keeps $5/$15: $0.50 + $1.50 = $2.00; bare gpt-4o then $2.50/$10: $0.25 + $1 = $1.25
        "g4o-0513": ("gpt-4o-2024-05-13", "2.00"),
        "g4o-bare": ("gpt-4o", "1.25"),
    })


def test_exact_ids_win_over_the_stripped_family():
    book = load_book()
    # a snapshot with its own entry is never read as its family after a suffix is stripped
    assert book.resolve("gpt-4o-2024-05-13")[0] == "gpt-4o-2024-05-13"
    assert book.resolve("openai/gpt-4o-2024-05-13")[0] == "gpt-4o-2024-05-13"
    assert book.resolve("gpt-3.5-turbo-0613")[0] == "gpt-3.5-turbo-0613"
    # an unknown dated snapshot falls back to its family
    assert book.resolve("gpt-4o-2099-01-01")[0] == "gpt-4o"
    # candidates keep the exact name first
    assert name_candidates("gpt-4o-2024-05-13") == ["gpt-4o-2024-05-13", "gpt-4o"]


def test_mistral_cache_and_small_latest(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("large-before", "2026-05-13T23:59:59Z", "mistral", "mistral-large-latest", "", 1_000_000, 500_000, 100_000),
        ("large-after", "2026-05-14T00:00:00Z", "mistral", "mistral-large-latest", "", 1_000_000, 500_000, 100_000),
        ("small-latest-before", "2026-03-15T23:59:59Z", "mistral", "mistral-small-latest", "", 1_000_000, 0, 1_000_000),
        ("small-latest-after", "2026-03-16T00:00:00Z", "mistral", "mistral-small-latest", "", 1_000_000, 0, 1_000_000),
        ("small32", "2026-06-01T00:00:00Z", "mistral", "mistral-small-2506", "", 1_000_000, 0, 1_000_000),
        ("small4-cache", "2026-06-01T00:00:00Z", "mistral", "mistral-small-2603", "", 1_000_000, 500_000, 0),
    ])
    assert_costs(got, {
        # before cache billing is recorded, reads bill as input: 1M × $0.50/M + 100k × $1.50/M = $0.50 + $0.15
        "large-before": ("mistral-large-latest", "0.65"),
        # from 2026-05-14 reads at 10 %: 500k × $0.50 + 500k × $0.05 + 100k × $1.50 = $0.25 + $0.025 + $0.15
        "large-after": ("mistral-large-latest", "0.425"),
        # -latest -> Small 3.2 at $0.06/$0.18: 1M × $0.06 + 1M × $0.18 = $0.24
        "small-latest-before": ("mistral-small-latest", "0.24"),
        # -latest -> Small 4 at $0.15/$0.60: $0.15 + $0.60 = $0.75
        "small-latest-after": ("mistral-small-latest", "0.75"),
        # the 2506 snapshot keeps Small 3.2's price: $0.24
        "small32": ("mistral-small-3-2", "0.24"),
        # Small 4 cache: 500k × $0.15/M + 500k × $0.015/M = $0.075 + $0.0075 = $0.0825
        "small4-cache": ("mistral-small-4", "0.0825"),
    })


# ---------------------------------------------------------------- missing, added

def test_amazon_nova_and_titan(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("nova-lite", "2025-03-01T00:00:00Z", "bedrock", "amazon.nova-lite-v1:0", "", 1_000_000, 0, 1_000_000),
        ("nova-lite-us", "2025-03-01T00:00:00Z", "bedrock", "us.amazon.nova-lite-v1:0", "", 1_000_000, 0, 1_000_000),
        ("nova-micro", "2025-03-01T00:00:00Z", "bedrock", "amazon.nova-micro-v1:0", "", 1_000_000, 0, 1_000_000),
        ("nova-pro-cache", "2025-03-01T00:00:00Z", "bedrock", "amazon.nova-pro-v1:0", "", 1_000_000, 600_000, 100_000),
        ("nova-pro-batch", "2025-03-01T00:00:00Z", "bedrock", "amazon.nova-pro-v1:0", "batch", 1_000_000, 0, 1_000_000),
        ("nova-premier-before", "2025-04-29T23:59:59Z", "bedrock", "us.amazon.nova-premier-v1:0", "", 1_000_000, 0, 0),
        ("nova-premier-after", "2025-04-30T00:00:00Z", "bedrock", "us.amazon.nova-premier-v1:0", "", M, 0, M),
        ("nova2-us", "2026-01-10T00:00:00Z", "bedrock", "us.amazon.nova-2-lite-v1:0", "", 1_000_000, 0, 1_000_000),
        ("titan-before", "2025-12-25T23:59:59Z", "bedrock", "amazon.titan-text-express-v1", "", M, 0, M),
        ("titan-after", "2025-12-26T00:00:00Z", "bedrock", "amazon.titan-text-express-v1", "", 1_000_000, 0, 1_000_000),
    ])
    assert_costs(got, {
        # Nova Lite $0.06/$0.24: 1M × $0.06 + 1M × $0.24 = $0.30; the us. profile costs the same
        "nova-lite": ("amazon.nova-lite-v1:0", "0.30"),
        "nova-lite-us": ("amazon.nova-lite-v1:0", "0.30"),
        # Nova Micro $0.035/$0.14: $0.175
        "nova-micro": ("amazon.nova-micro-v1:0", "0.175"),
        # Nova Pro cache read 75 % off: 400k × $0.80 + 600k × $0.20 + 100k × $3.20 = $0.32 + $0.12 + $0.32
        "nova-pro-cache": ("amazon.nova-pro-v1:0", "0.76"),
        # batch 50 %: 1M × $0.40 + 1M × $1.60 = $2.00
        "nova-pro-batch": ("amazon.nova-pro-v1:0", "2.00"),
        # Premier from 2025-04-30, $2.50/$12.50: $15.00
        "nova-premier-after": ("amazon.nova-premier-v1:0", "15.00"),
        # Nova 2 Lite us. geo profile +10 %: (1M × $0.30 + 1M × $2.50) × 1.1 = $3.08
        "nova2-us": ("amazon.nova-2-lite-v1:0", "3.08"),
        # Titan Text Express $0.20/$0.60 from its first dated record: $0.80
        "titan-after": ("amazon.titan-text-express-v1", "0.80"),
    })
    # before the first sourced period: unpriced (never $0)
    assert got["nova-premier-before"] == (None, "amazon.nova-premier-v1:0")
    assert got["titan-before"] == (None, "amazon.titan-text-express-v1")


def test_open_models_priced_by_their_host(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("groq", "2026-09-01T00:00:00Z", "groq", "llama-3.3-70b-versatile", "", 1_000_000, 0, 1_000_000),
        ("groq-litellm", "2026-09-01T00:00:00Z", "groq", "groq/llama-3.3-70b-versatile", "", 1_000_000, 0, 1_000_000),
        ("groq-no-provider", "2026-09-01T00:00:00Z", "", "llama-3.3-70b-versatile", "", 1_000_000, 0, 1_000_000),
        ("groq-oss", "2026-09-01T00:00:00Z", "groq", "groq/openai/gpt-oss-120b", "", 1_000_000, 400_000, 1_000_000),
        ("together", "2026-09-01T00:00:00Z", "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "",
         1_000_000, 0, 1_000_000),
        ("together-litellm", "2026-09-01T00:00:00Z", "together", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
         "", 1_000_000, 0, 1_000_000),
        ("fireworks", "2026-09-01T00:00:00Z", "fireworks", "accounts/fireworks/models/llama-v3p3-70b-instruct", "",
         1_000_000, 0, 1_000_000),
        ("fireworks-litellm", "2026-09-01T00:00:00Z", "fireworks",
         "fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct", "", 1_000_000, 0, 1_000_000),
        ("openrouter-before", "2026-08-20T23:59:59Z", "openrouter", "meta-llama/llama-3.3-70b-instruct", "",
         1_000_000, 0, 1_000_000),
        ("openrouter", "2026-08-21T00:00:00Z", "openrouter", "meta-llama/llama-3.3-70b-instruct", "",
         1_000_000, 0, 1_000_000),
        ("openrouter-litellm", "2026-09-01T00:00:00Z", "openrouter", "openrouter/meta-llama/llama-3.3-70b-instruct",
         "", 1_000_000, 0, 1_000_000),
    ])
    assert_costs(got, {
        # Groq $0.59/$0.79: 1M + 1M = $1.38, with or without LiteLLM's prefix or a provider column
        "groq": ("llama-3.3-70b-versatile", "1.38"),
        "groq-litellm": ("llama-3.3-70b-versatile", "1.38"),
        "groq-no-provider": ("llama-3.3-70b-versatile", "1.38"),
        # Groq gpt-oss-120b $0.15/$0.60, cached $0.075: 600k × $0.15 + 400k × $0.075 + 1M × $0.60
        # = $0.09 + $0.03 + $0.60 = $0.72
        "groq-oss": ("gpt-oss-120b-groq", "0.72"),
        # Together $0.88/$0.88: $1.76
        "together": ("llama-3.3-70b-instruct-turbo-together", "1.76"),
        "together-litellm": ("llama-3.3-70b-instruct-turbo-together", "1.76"),
        # Fireworks $0.90/$0.90: $1.80
        "fireworks": ("llama-v3p3-70b-instruct-fireworks", "1.80"),
        "fireworks-litellm": ("llama-v3p3-70b-instruct-fireworks", "1.80"),
        # OpenRouter $0.13/$0.40 from 2026-08-21: $0.53
        "openrouter": ("llama-3.3-70b-instruct-openrouter", "0.53"),
        "openrouter-litellm": ("llama-3.3-70b-instruct-openrouter", "0.53"),
    })
    assert got["openrouter-before"] == (None, "llama-3.3-70b-instruct-openrouter")
    book = load_book()
    for mid, provider in [("llama-3.3-70b-versatile", "groq"), ("llama-3.3-70b-instruct-turbo-together", "together"),
                          ("llama-v3p3-70b-instruct-fireworks", "fireworks"),
                          ("llama-3.3-70b-instruct-openrouter", "openrouter")]:
        assert book.models[mid].provider == provider
    # the shared id openai/gpt-oss-120b names no host: unpriced rather than guessed
    assert book.resolve("openai/gpt-oss-120b") is None


def test_openrouter_dotted_ids_resolve_to_the_providers_models(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("or-sonnet", "2026-09-01T00:00:00Z", "openrouter", "anthropic/claude-sonnet-4.5", "", 100_000, 0, 10_000),
        ("or-sonnet-pref", "2026-09-01T00:00:00Z", "openrouter", "openrouter/anthropic/claude-sonnet-4.5", "",
         100_000, 0, 10_000),
        ("or-4o", "2026-09-01T00:00:00Z", "openrouter", "openai/gpt-4o", "", 100_000, 0, 10_000),
        ("or-flash", "2026-09-01T00:00:00Z", "openrouter", "google/gemini-2.5-flash", "", 100_000, 0, 10_000),
        ("or-opus41", "2026-09-01T00:00:00Z", "openrouter", "anthropic/claude-opus-4.1", "", 100_000, 0, 10_000),
    ])
    assert_costs(got, {
        # Sonnet 4.5 $3/$15: 100k × $3/M + 10k × $15/M = $0.30 + $0.15 = $0.45
        "or-sonnet": ("claude-sonnet-4-5", "0.45"),
        "or-sonnet-pref": ("claude-sonnet-4-5", "0.45"),
        # gpt-4o $2.50/$10: $0.25 + $0.10 = $0.35
        "or-4o": ("gpt-4o", "0.35"),
        # Gemini 2.5 Flash $0.30/$2.50: $0.03 + $0.025 = $0.055
        "or-flash": ("gemini-2.5-flash", "0.055"),
        # Opus 4.1 $15/$75: $1.50 + $0.75 = $2.25
        "or-opus41": ("claude-opus-4-1", "2.25"),
    })


def test_legacy_models(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("davinci", "2023-06-01T00:00:00Z", "openai", "text-davinci-003", "", 100_000, 0, 50_000),
        ("davinci-retired", "2024-01-04T00:00:00Z", "openai", "text-davinci-003", "", 100_000, 0, 50_000),
        ("instruct", "2024-06-01T00:00:00Z", "openai", "gpt-3.5-turbo-instruct", "", 1_000_000, 0, 1_000_000),
        ("gpt45", "2025-03-01T00:00:00Z", "openai", "gpt-4.5-preview", "", 100_000, 50_000, 10_000),
        ("claude2-before", "2023-11-20T23:59:59Z", "anthropic", "claude-2.0", "", 100_000, 0, 10_000),
        ("claude2-after", "2023-11-21T00:00:00Z", "anthropic", "claude-2.0", "", 100_000, 0, 10_000),
        ("claude21", "2024-01-10T00:00:00Z", "anthropic", "claude-2.1", "", 100_000, 0, 10_000),
        ("claude21-bedrock", "2024-01-10T00:00:00Z", "bedrock", "anthropic.claude-v2:1", "", 100_000, 0, 10_000),
        ("sonnet3", "2024-05-01T00:00:00Z", "anthropic", "claude-3-sonnet-20240229", "", 100_000, 0, 10_000),
        ("instant", "2024-01-10T00:00:00Z", "bedrock", "anthropic.claude-instant-v1", "", 1_000_000, 0, 1_000_000),
    ])
    assert_costs(got, {
        # text-davinci-003 $20/$20: 100k × $20/M + 50k × $20/M = $2 + $1 = $3.00
        "davinci": ("text-davinci-003", "3.00"),
        # gpt-3.5-turbo-instruct $1.50/$2: $3.50
        "instruct": ("gpt-3.5-turbo-instruct", "3.50"),
        # gpt-4.5-preview $75/$150, cached $37.50: 50k × $75 + 50k × $37.50 + 10k × $150
        # = $3.75 + $1.875 + $1.50 = $7.125
        "gpt45": ("gpt-4.5-preview", "7.125"),
        # Claude 2.0/2.1 $8/$24: 100k × $8/M + 10k × $24/M = $0.80 + $0.24 = $1.04
        "claude2-after": ("claude-2.0", "1.04"),
        "claude21": ("claude-2.1", "1.04"),
        "claude21-bedrock": ("claude-2.1", "1.04"),
        # Claude Sonnet 3 $3/$15: $0.30 + $0.15 = $0.45
        "sonnet3": ("claude-3-sonnet", "0.45"),
        # Claude Instant $0.80/$2.40: $3.20
        "instant": ("claude-instant-1.2", "3.20"),
    })
    # text-davinci-003 was shut down on 2024-01-04; Claude 2.0's launch price is not sourced
    assert got["davinci-retired"] == (None, "text-davinci-003")
    assert got["claude2-before"] == (None, "claude-2.0")
    # gemini-1.0-pro has no sourced price: unpriced, listed in SOURCES.md
    assert load_book().resolve("gemini-1.0-pro") is None


def test_newer_models(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("g37-intro", "2026-12-31T23:59:59Z", "google", "gemini-3.7-flash", "", 1_000_000, 0, 200_000),
        ("g37-2027", "2027-01-01T00:00:00Z", "google", "gemini-3.7-flash", "", 1_000_000, 0, 200_000),
        ("g37-before-launch", "2026-08-12T00:00:00Z", "google", "gemini-3.7-flash", "", 1_000_000, 0, 200_000),
        ("g38-intro", "2026-12-31T23:59:59Z", "google", "gemini-3.8-flash", "", 1_000_000, 500_000, 200_000),
        ("g38-2027", "2027-01-01T00:00:00Z", "google", "gemini-3.8-flash", "", 1_000_000, 500_000, 200_000),
        ("glm5t", "2026-06-01T00:00:00Z", "zhipu", "glm-5-turbo", "", 1_000_000, 500_000, 100_000),
        ("glm5vt", "2026-06-01T00:00:00Z", "zhipu", "glm-5v-turbo", "", 1_000_000, 0, 100_000),
        ("glm5vt-before", "2026-03-31T23:59:59Z", "zhipu", "glm-5v-turbo", "", 1_000_000, 0, 100_000),
    ])
    assert_costs(got, {
        # 3.7 Flash intro $0.75/$3.75: $0.75 + 200k × $3.75/M = $0.75 + $0.75 = $1.50; 2027: $1.50 + $1.50 = $3.00
        "g37-intro": ("gemini-3.7-flash", "1.50"),
        "g37-2027": ("gemini-3.7-flash", "3.00"),
        # 3.8 Flash intro: 500k × $0.75 + 500k × $0.075 + 200k × $3.75 = $0.375 + $0.0375 + $0.75 = $1.1625
        "g38-intro": ("gemini-3.8-flash", "1.1625"),
        # 2027: 500k × $1.50 + 500k × $0.15 + 200k × $7.50 = $0.75 + $0.075 + $1.50 = $2.325
        "g38-2027": ("gemini-3.8-flash", "2.325"),
        # GLM-5-Turbo $1.20/$4, cached $0.24: 500k × $1.20 + 500k × $0.24 + 100k × $4 = $0.60 + $0.12 + $0.40
        "glm5t": ("glm-5-turbo", "1.12"),
        # GLM-5V-Turbo $1.20/$4: $1.20 + $0.40 = $1.60
        "glm5vt": ("glm-5v-turbo", "1.60"),
    })
    assert got["g37-before-launch"] == (None, "gemini-3.7-flash")
    assert got["glm5vt-before"] == (None, "glm-5v-turbo")


def test_embeddings_bill_input_only(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("e3s", "2025-01-01T00:00:00Z", "openai", "text-embedding-3-small", "", 10_000_000, 0, 0),
        ("e3l", "2025-01-01T00:00:00Z", "openai", "text-embedding-3-large", "", 10_000_000, 0, 0),
        ("ada", "2025-01-01T00:00:00Z", "openai", "text-embedding-ada-002", "", 10_000_000, 0, 0),
        ("e3s-batch", "2025-01-01T00:00:00Z", "openai", "text-embedding-3-small", "batch", 10_000_000, 0, 0),
        ("gem", "2025-09-01T00:00:00Z", "google", "gemini-embedding-001", "", 10_000_000, 0, 0),
        ("titan", "2025-01-01T00:00:00Z", "bedrock", "amazon.titan-embed-text-v2:0", "", 10_000_000, 0, 0),
    ])
    assert_costs(got, {
        # 10M × $0.02/M = $0.20; × $0.13 = $1.30; × $0.10 = $1.00; batch half of $0.20 = $0.10
        "e3s": ("text-embedding-3-small", "0.20"),
        "e3l": ("text-embedding-3-large", "1.30"),
        "ada": ("text-embedding-ada-002", "1.00"),
        "e3s-batch": ("text-embedding-3-small", "0.10"),
        # Gemini embedding $0.15: $1.50; Titan v2 $0.02: $0.20
        "gem": ("gemini-embedding-001", "1.50"),
        "titan": ("amazon.titan-embed-text-v2:0", "0.20"),
    })


def test_gemini_grounding_is_a_priced_request_charge(store, tmp_path):
    got = price_calls(store, tmp_path, [
        ("g25-ground", "2026-01-01T00:00:00Z", "google", "gemini-2.5-flash", "", 100_000, 0, 10_000, 0, 2),
        ("g36-ground", "2026-12-31T00:00:00Z", "google", "gemini-3.6-flash", "", 100_000, 0, 10_000, 0, 3),
        ("g36-ground-2027", "2027-01-01T00:00:00Z", "google", "gemini-3.6-flash", "", 100_000, 0, 10_000, 0, 3),
    ])
    assert_costs(got, {
        # 2.5 Flash $0.30/$2.50: 100k × $0.30/M + 10k × $2.50/M = $0.03 + $0.025; plus 2 grounded prompts
        # × $35/1,000 = $0.07 -> $0.125
        "g25-ground": ("gemini-2.5-flash", "0.125"),
        # 3.6 Flash intro: $0.075 + $0.0375 = $0.1125; plus 3 search queries × $14/1,000 = $0.042 -> $0.1545
        "g36-ground": ("gemini-3.6-flash", "0.1545"),
        # 2027: $0.15 + $0.075 = $0.225; + $0.042 -> $0.267
        "g36-ground-2027": ("gemini-3.6-flash", "0.267"),
    })


# ---------------------------------------------------------------- the book's own consistency

def test_shipped_book_passes_check_strict(cli):
    r = cli("pricing", "check", "--strict", "--format", "json")
    assert r.exit_code == 0, r.stdout
    doc = r.json()
    assert doc["ok"] is True and doc["errors"] == 0 and doc["warnings"] == 0
    assert not check_book(load_book())


def test_against_reports_tier_disagreements_without_failing(cli, tmp_path):
    outside = {
        "last_updated": "2026-10-01T00:00:00Z",
        # batch and priority against the book's gpt-5.4 (batch 1.25/7.5, priority 5/30, long context 5/22.5)
        "gpt-5.4": {"litellm_provider": "openai", "mode": "chat",
                    "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1.5e-05,
                    "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 7.5e-06,
                    "input_cost_per_token_priority": 5e-06, "output_cost_per_token_priority": 3.5e-05,
                    "input_cost_per_token_above_272k_tokens": 5e-06,
                    "output_cost_per_token_above_272k_tokens": 2.5e-05},
        # flex: the book bills it by the provider multiplier 0.5 (gpt-5: 0.625 / 5 explicit)
        "gpt-5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.25e-06,
                  "output_cost_per_token": 1e-05, "input_cost_per_token_flex": 6.25e-07,
                  "output_cost_per_token_flex": 6e-06},
        # a long-context band the book does not have
        "gemini/gemini-2.5-flash": {"litellm_provider": "gemini", "mode": "chat",
                                    "input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06,
                                    "input_cost_per_token_above_200k_tokens": 6e-07,
                                    "output_cost_per_token_above_200k_tokens": 5e-06},
    }
    path = tmp_path / "outside.json"
    path.write_text(json.dumps(outside))
    r = cli("pricing", "check", "--against", str(path), "--strict", "--format", "json")
    assert r.exit_code == 0, r.stdout  # reported, not a failure
    doc = r.json()
    got = {(f["model"], f["tier"], f["long_context"], f["component"]):
           (f.get("book_usd_per_mtok"), f.get("litellm_usd_per_mtok")) for f in doc["findings"]
           if f["code"] == "litellm"}
    assert got == {
        # batch input: book 1.25 vs 1.50
        ("gpt-5.4", "batch", False, "input"): (1.25, 1.5),
        # priority output: book 30 vs 35
        ("gpt-5.4", "priority", False, "output"): (30.0, 35.0),
        # long-context output: book 22.50 vs 25
        ("gpt-5.4", "standard", True, "output"): (22.5, 25.0),
        # flex output: book 5 vs 6
        ("gpt-5", "flex", False, "output"): (5.0, 6.0),
        # the outside table bills Gemini 2.5 Flash above 200k; the book has no such band
        ("gemini-2.5-flash", "standard", True, "threshold"): (None, None),
    }
    assert doc["litellm_disagreements"] == 5 and doc["warnings"] == 0


def test_compare_uses_the_billed_tier_price():
    """A tier the book bills by a provider multiplier is compared at that price (gpt-5 batch
    = 0.5 × $1.25/$10), so an outside table agreeing with it raises nothing."""
    outside = {"gpt-5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.25e-06,
                         "output_cost_per_token": 1e-05, "input_cost_per_token_batches": 6.25e-07,
                         "output_cost_per_token_batches": 5e-06}}
    assert compare_with_litellm(load_book(), outside, at=date(2026, 1, 1)) == []


@pytest.mark.parametrize("name,expected", [
    ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("openrouter/openai/gpt-4o", "gpt-4o"),
    ("google/gemini-2.5-flash", "gemini-2.5-flash"),
    ("groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama-3.3-70b-instruct-turbo-together"),
    ("fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct", "llama-v3p3-70b-instruct-fireworks"),
    ("openrouter/meta-llama/llama-3.3-70b-instruct", "llama-3.3-70b-instruct-openrouter"),
    ("us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
    ("bedrock/amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0"),
])
def test_logged_names_resolve(name, expected):
    resolved = load_book().resolve(name)
    assert resolved is not None and resolved[0] == expected
