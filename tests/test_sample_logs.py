"""The sample logs in sample_logs/ are up to date and match the figures they stand for.

The expectations below are written by hand from the published figures (sample_logs/README.md),
NOT imported from the generator: if someone tunes the generator, these tests notice.
"""

from __future__ import annotations

import csv
import gzip
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from statistics import mean
from typing import NamedTuple

import pytest

ROOT = Path(__file__).parents[1]
SAMPLES = ROOT / "sample_logs"

COLUMNS = ["timestamp", "model", "provider", "task_type", "feature", "tenant", "conversation_id",
           "input_tokens", "output_tokens", "prefix_hash", "prefix_tokens", "prompt_hash",
           "latency_ms", "status"]
TS = re.compile(r"^2026-10-(\d\d)T(\d\d):(\d\d):(\d\d)Z$")

# --- published figures (hand-written; see sample_logs/README.md) ------------------------------

# (a) support chatbot (article 001): 5,000 conversations a day, ~3,000 in / ~800 out per
# CONVERSATION (all its calls together), Claude Sonnet 4.6, 70 % of conversations simple
# (routable); 7 days generated. By design: 1-3 answer calls (P .45/.35/.20, so
# 1*.45 + 2*.35 + 3*.20 = 1.75 calls a conversation), a 1,100-token system prompt, one intent
# (task_type) per conversation. Each turn carries the previous turns: turn j+1 grows by a
# follow-up message (~45) + the previous reply (~800 / 1.75 = ~457), about 500 tokens a turn.
SUPPORT = {"conversations_per_day": 5_000, "days": 7, "conv_input": 3_000, "conv_output": 800,
           "system_prompt": 1_100, "calls_per_conversation": 1 * .45 + 2 * .35 + 3 * .20,
           "simple": {"order_status", "shipping", "account_access", "returns"},
           "complex": {"billing_dispute", "technical_issue", "complaint"}, "simple_share": 0.70}
# (b) invoice pipeline: 80,000 documents a month, extract -> classify -> summarize (3 calls
# each), 4,000-token system prompt (one per stage), document ~900 tokens, extracted JSON ~240,
# classify ~12 out, summary ~600 out, summaries nightly 02:00-02:20 UTC.
INVOICE = {"documents": 80_000, "system_prompt": 4_000, "document": 900,
           "out": {"extract": 240, "classify": 12, "summarize": 600}}
INVOICE["in"] = {"extract": 4_000 + 900, "classify": 4_000 + 900, "summarize": 4_000 + 900 + 240}
# (c) multi-feature SaaS (our design): task -> (model, provider, prefix tokens, mean input
# tokens, mean output tokens); chat_answer input depends on the conversation history (None).
SAAS_TASKS = {
    ("autocomplete", "complete"): ("gpt-4o-mini", "openai", 450, 450 + 180, 18),
    ("search", "query_rewrite"): ("gpt-4o-mini", "openai", 700, 700 + 60, 35),
    ("search", "answer"): ("gemini-2.5-flash", "google", 1_200, 1_200 + 3_000, 260),
    ("chat", "chat_answer"): ("claude-sonnet-4-5-20250929", "anthropic", 1_800, None, 380),
    ("chat", "chat_title"): ("claude-haiku-4-5", "anthropic", 250, 250 + 70 + 380, 10),
    ("report_gen", "report_outline"): ("gpt-4o-2024-08-06", "openai", 2_500, 2_500 + 6_000, 450),
    ("report_gen", "report_section"): ("gpt-4o-2024-08-06", "openai", 2_500,
                                       2_500 + 6_000 + 450, 1_100),
    ("tagging", "tag"): ("claude-haiku-4-5", "anthropic", 1_500, 1_500 + 400, 40),
}
SAAS = {"tenants": 25, "rows": (100_000, 150_000)}

AVG_TOL = 0.02      # per-file averages of the published figures: within 2%
TASK_TOL = 0.05     # per-task means (smaller samples, long tails): within 5%
ERROR_RATE = (0.001, 0.006)  # ~0.3% errors


class Call(NamedTuple):
    day: int
    hour: int
    minute: int
    ts: str
    model: str
    provider: str
    task_type: str
    feature: str
    tenant: str
    conversation_id: str
    input_tokens: int
    output_tokens: int
    prefix_hash: str
    prefix_tokens: int
    prompt_hash: str
    latency_ms: int
    status: str


_cache: dict[str, list[Call]] = {}


def load(name: str) -> list[Call]:
    if name not in _cache:
        _cache.clear()  # one file in memory at a time
        calls = []
        with gzip.open(SAMPLES / name, "rt", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == COLUMNS
            for r in reader:
                m = TS.match(r[0])
                assert m, r[0]
                day, hour, minute, _ = (int(x) for x in m.groups())
                si = sys.intern
                calls.append(Call(day, hour, minute, r[0], si(r[1]), si(r[2]), si(r[3]),
                                  si(r[4]), si(r[5]), r[6], int(r[7]), int(r[8]), si(r[9]),
                                  int(r[10]), r[11], int(r[12]), si(r[13])))
        _cache[name] = calls
    return _cache[name]


def close(actual: float, expected: float, tol: float) -> bool:
    return abs(actual - expected) <= tol * expected


@pytest.mark.slow
def test_generate_check_passes():
    r = subprocess.run([sys.executable, "sample_logs/generate.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", ["support_chatbot.csv.gz", "invoice_pipeline.csv.gz",
                                  "saas_multi.csv.gz"])
def test_common_shape(name: str):
    assert (SAMPLES / name).stat().st_size < 6_000_000
    calls = load(name)
    assert all(1 <= c.day <= 31 for c in calls)  # October 2026 (the regex pins the month)
    assert [c.ts for c in calls] == sorted(c.ts for c in calls)
    assert all(0 < c.prefix_tokens <= c.input_tokens for c in calls)
    prefix_sizes = defaultdict(set)
    for c in calls:
        prefix_sizes[c.prefix_hash].add(c.prefix_tokens)
    assert all(len(v) == 1 for v in prefix_sizes.values()), "a prefix_hash has two sizes"
    status = Counter(c.status for c in calls)
    assert set(status) == {"ok", "error"}
    assert ERROR_RATE[0] < status["error"] / len(calls) < ERROR_RATE[1]
    assert all(c.output_tokens == 0 for c in calls if c.status == "error")
    assert all(c.output_tokens > 0 and c.latency_ms > 0 for c in calls if c.status == "ok")
    # exact repeats share the prompt_hash, so they share the request size
    size = {}
    for c in calls:
        assert size.setdefault(c.prompt_hash, c.input_tokens) == c.input_tokens


def test_support_chatbot_matches_published_figures():
    calls = load("support_chatbot.csv.gz")
    n_conv = SUPPORT["conversations_per_day"] * SUPPORT["days"]  # 35,000
    assert close(len(calls), n_conv * SUPPORT["calls_per_conversation"], 0.015)  # ~61,250
    assert {c.prefix_tokens for c in calls} == {SUPPORT["system_prompt"]}
    assert len({c.prefix_hash for c in calls}) == 1
    assert {(c.model, c.provider, c.feature, c.tenant) for c in calls} == {
        ("claude-sonnet-4-6", "anthropic", "support_chat", "")}
    assert {c.task_type for c in calls} == SUPPORT["simple"] | SUPPORT["complex"]
    assert all(c.day <= SUPPORT["days"] for c in calls)

    conversations = defaultdict(list)
    for c in calls:
        conversations[c.conversation_id].append(c)
    assert len(conversations) == n_conv
    # the published averages are per conversation, not per call
    assert close(mean(sum(c.input_tokens for c in conv) for conv in conversations.values()),
                 SUPPORT["conv_input"], AVG_TOL)
    assert close(mean(sum(c.output_tokens for c in conv) for conv in conversations.values()),
                 SUPPORT["conv_output"], AVG_TOL)
    # so a call averages 3,000 / 1.75 = ~1,714 in and 800 / 1.75 = ~457 out
    assert close(mean(c.input_tokens for c in calls), 3_000 / 1.75, AVG_TOL)
    started = Counter(conv[0].day for conv in conversations.values())
    assert started == dict.fromkeys(range(1, 8), SUPPORT["conversations_per_day"])
    assert all(len({c.task_type for c in conv}) == 1 for conv in conversations.values())
    assert {len(conv) for conv in conversations.values()} == {1, 2, 3}
    simple = sum(conv[0].task_type in SUPPORT["simple"] for conv in conversations.values())
    assert abs(simple / n_conv - SUPPORT["simple_share"]) < 0.01  # binomial sd ~0.25 %
    by_turn = defaultdict(list)
    for conv in conversations.values():
        for i, c in enumerate(conv):
            by_turn[i].append(c.input_tokens)
    growth = [mean(by_turn[i]) for i in sorted(by_turn)]
    assert all(400 < b - a < 600 for a, b in pairwise(growth))  # ~500 a turn

    per_hour = Counter(c.hour for c in calls)
    business = mean(per_hour[h] for h in range(12, 19))
    night = mean(per_hour[h] for h in range(1, 6))
    assert business > 3 * night


def test_invoice_pipeline_matches_published_figures():
    calls = load("invoice_pipeline.csv.gz")
    assert len(calls) == 3 * INVOICE["documents"]
    docs = defaultdict(list)
    for c in calls:
        docs[c.conversation_id].append(c)
    assert len(docs) == INVOICE["documents"]
    assert all(sorted(c.task_type for c in d) == ["classify", "extract", "summarize"]
               for d in docs.values())
    assert {c.prefix_tokens for c in calls} == {INVOICE["system_prompt"]}
    assert {(c.model, c.provider, c.feature, c.tenant) for c in calls} == {
        ("claude-sonnet-4-5-20250929", "anthropic", "invoices", "")}
    for stage in ("extract", "classify", "summarize"):
        sc = [c for c in calls if c.task_type == stage]
        assert len({c.prefix_hash for c in sc}) == 1  # one system prompt per stage
        assert close(mean(c.input_tokens for c in sc), INVOICE["in"][stage], AVG_TOL), stage
        ok = [c.output_tokens for c in sc if c.status == "ok"]
        assert close(mean(ok), INVOICE["out"][stage], 0.03), stage
    assert len({c.prefix_hash for c in calls}) == 3
    # the whole pipeline: published per-call averages follow from the per-stage sizes
    assert close(mean(c.input_tokens for c in calls), mean(INVOICE["in"].values()), AVG_TOL)


def test_invoice_summaries_run_in_the_nightly_window():
    calls = load("invoice_pipeline.csv.gz")
    extract_day = {c.conversation_id: c.day for c in calls if c.task_type == "extract"}
    for c in calls:
        weekday = date(2026, 10, c.day).weekday()
        if c.task_type == "summarize":
            # 02:00:00-02:19:59 UTC, the night after the document arrived
            assert c.hour == 2 and c.minute < 20, c.ts
            assert date(2026, 10, c.day) == (date(2026, 10, extract_day[c.conversation_id])
                                             + timedelta(days=1)), c
        else:  # extract and classify: Mon-Fri business hours as documents arrive
            assert weekday < 5 and 7 <= c.hour < 18, c.ts


def test_saas_multi_matches_design():
    calls = load("saas_multi.csv.gz")
    assert SAAS["rows"][0] <= len(calls) <= SAAS["rows"][1]
    assert {c.day for c in calls} == set(range(1, 32))
    by_task = defaultdict(list)
    for c in calls:
        by_task[(c.feature, c.task_type)].append(c)
    assert set(by_task) == set(SAAS_TASKS)
    for key, (model, provider, prefix, n_in, n_out) in SAAS_TASKS.items():
        tc = by_task[key]
        assert {(c.model, c.provider) for c in tc} == {(model, provider)}, key
        if key == ("chat", "chat_answer"):  # base prompt + the tenant's custom instructions
            sizes = {c.prefix_tokens for c in tc}
            assert min(sizes) == prefix and max(sizes) <= prefix + 700 and len(sizes) > 3
            assert mean(c.input_tokens for c in tc) > prefix + 300
        else:
            assert {c.prefix_tokens for c in tc} == {prefix}, key
            assert close(mean(c.input_tokens for c in tc), n_in, TASK_TOL), key
        ok = [c.output_tokens for c in tc if c.status == "ok"]
        assert close(mean(ok), n_out, TASK_TOL), key

    tenants = Counter(c.tenant for c in calls)
    assert len(tenants) == SAAS["tenants"] and "" not in tenants
    shares = sorted((n / len(calls) for n in tenants.values()), reverse=True)
    assert shares[0] > 0.10 and sum(shares[:5]) > 0.45 and shares[-1] < 0.02  # Zipf-like

    # exact repeats of autocomplete / search requests within minutes
    for key, floor in ((("autocomplete", "complete"), 0.10), (("search", "answer"), 0.05)):
        seen: dict[str, int] = {}
        repeats = 0
        for c in by_task[key]:
            t = (c.day * 24 + c.hour) * 60 + c.minute
            if c.prompt_hash in seen and t - seen[c.prompt_hash] <= 15:
                repeats += 1
            seen[c.prompt_hash] = t
        assert repeats / len(by_task[key]) > floor, key
