#!/usr/bin/env python3
"""Deterministic generator of the sample call logs in this folder (see README.md).

    python sample_logs/generate.py            # rewrite the three .csv.gz files next to this script
    python sample_logs/generate.py --check    # regenerate into a temp dir; exit 1 if a file differs
    python sample_logs/generate.py --out DIR  # write the files into DIR instead

Standard library only. Every random draw comes from a `random.Random` with a fixed seed and the
gzip header carries mtime 0 and no file name, so a run produces byte-identical files. `--check`
compares the decompressed CSV text (the compressed bytes could differ between zlib builds with
identical content; that case is reported but does not fail).

The logs are "before" logs: one row per API call, no prompt caching yet, so there are no cache
columns. `input_tokens` counts ALL prompt tokens; `prefix_hash` / `prefix_tokens` describe the
static system-prompt (+ tools) prefix of the request; `prompt_hash` hashes the full request, so
exact repeats share it.

How the figures are used
------------------------
* `SUPPORT_CHATBOT` and `INVOICE_PIPELINE` hold the PUBLISHED figures of the two case studies.
  `SAAS_MULTI` holds the documented design of the third sample (there is no published source).
* The `*_SHAPE` dicts hold modelling choices the case studies do not state (turns per
  conversation, message sizes, traffic curves, ...). Where a published figure is an average
  (e.g. ~3,000 input tokens a conversation) the generator SOLVES the one free quantity (e.g. the size of
  the retrieved context) from the published figure and the shape, in closed form
  (`derive_support`), so the average holds by construction.
* DO NOT TUNE ANY OF THESE to make an analysis reach a savings figure. The published figures stay
  as published; if an analysis of these logs disagrees with a published savings claim, that is a
  finding, not a reason to change the data. Changing a shape choice needs a reason about
  realism, a note in README.md, and a regenerated set of files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import math
import random
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# ===============================================================================================
# PARAMETERS: the published figures (do NOT tune them to hit a savings figure; see docstring)
# ===============================================================================================

# (a) Support chatbot case study (article 001, "Real-World Case Study").
SUPPORT_CHATBOT: dict[str, Any] = {
    "conversations_per_day": 5_000,   # published: 5,000 support conversations a day
    "avg_input_tokens": 3_000,        # published: about 3,000 input tokens per CONVERSATION
                                      # (all its calls together), not per call
    "avg_output_tokens": 800,         # published: about 800 output tokens per conversation
    "model": "claude-sonnet-4-6",     # published: all traffic on Claude Sonnet 4.6
    "provider": "anthropic",
    "simple_share": 0.70,             # published: the article's plan sends 70% of the traffic
                                      # to Haiku, 30% stays on Sonnet (the simple intents below)
}

# (b) Invoice pipeline case study.
INVOICE_PIPELINE: dict[str, Any] = {
    "documents_per_month": 80_000,    # published: 80,000 documents a month
    "stages": ("extract", "classify", "summarize"),  # published: extract -> classify -> summarize,
                                                    # one call each (3 calls per document)
    "system_prompt_tokens": 4_000,    # published: a 4,000-token system prompt
    "summaries_nightly": True,        # published: the summaries run nightly, in one burst
    "model": "claude-sonnet-4-5-20250929",  # published: all stages on Claude Sonnet (version not
                                            # stated; 4.5 and 4.6 have the same prices)
    "provider": "anthropic",
}

# (c) Multi-feature SaaS. NOT a published case study: this is our documented design (README.md),
# held to the same rule: do not tune it to reach a savings figure.
SAAS_MULTI: dict[str, Any] = {
    "tenants": 25,                    # design: 25 customer tenants
    "tenant_zipf_exponent": 1.1,      # design: tenant weight ~ 1 / rank^1.1 (x a per-feature
                                      # affinity): top tenant ~18% of calls, top five ~58%
    "weekend_factor": 0.4,            # design: weekend traffic is 40% of a weekday's
    "error_rate": 0.003,              # design: ~0.3% of calls fail (status error, output 0)
    # feature/task_type -> model, static prefix, request size on top of it, output, volume.
    # `extra_in` = mean prompt tokens on top of the prefix; `out` = mean output tokens;
    # `per_weekday` = weekday count of the unit (request, session or report) that task belongs to.
    "tasks": {
        "autocomplete/complete": {"model": "gpt-4o-mini", "provider": "openai",
                                  "prefix": 450, "extra_in": 180, "out": 18,
                                  "per_weekday": 2_000, "repeat_p": 0.20},
        "search/query_rewrite": {"model": "gpt-4o-mini", "provider": "openai",
                                 "prefix": 700, "extra_in": 60, "out": 35,
                                 "per_weekday": 450, "repeat_p": 0.12},
        "search/answer": {"model": "gemini-2.5-flash", "provider": "google",
                          "prefix": 1_200, "extra_in": 3_000, "out": 260},
        "chat/chat_answer": {"model": "claude-sonnet-4-5-20250929", "provider": "anthropic",
                             "prefix": 1_800, "user_msg": 70, "out": 380,
                             "per_weekday": 180},
        "chat/chat_title": {"model": "claude-haiku-4-5", "provider": "anthropic",
                            "prefix": 250, "out": 10},
        "report_gen/report_outline": {"model": "gpt-4o-2024-08-06", "provider": "openai",
                                      "prefix": 2_500, "extra_in": 6_000, "out": 450,
                                      "per_weekday": 12},
        "report_gen/report_section": {"model": "gpt-4o-2024-08-06", "provider": "openai",
                                      "prefix": 2_500, "out": 1_100},
        "tagging/tag": {"model": "claude-haiku-4-5", "provider": "anthropic",
                        "prefix": 1_500, "extra_in": 400, "out": 40, "per_weekday": 500},
    },
}

# ===============================================================================================
# SHAPE: modelling choices the case studies do not state (documented in README.md)
# ===============================================================================================

YEAR, MONTH = 2026, 10
MONTH_DAYS = 31
ERROR_RATE = 0.003  # ~0.3% of calls fail: status `error`, output_tokens 0, input as sent

# UTC hour weights for a support desk serving Europe and the Americas (busy 08:00-21:00 UTC).
SUPPORT_HOURLY_UTC = (0.9, 0.7, 0.5, 0.4, 0.4, 0.5, 0.8, 1.2, 1.8, 2.4, 2.8, 3.0,
                      3.2, 3.6, 4.0, 4.2, 4.1, 3.8, 3.3, 2.8, 2.3, 1.9, 1.5, 1.2)

SUPPORT_SHAPE: dict[str, Any] = {
    "seed": 20261001,
    "days": 7,                         # generated days (2026-10-01..07) at full daily volume
    # The system prompt size is not published. 3,000 input tokens per conversation over 1.75
    # calls leave room for about 1,100; that is also above Sonnet 4.6's 1,024-token caching
    # minimum, which the article's plan ("90% cache hit rate on system prompt") needs.
    "system_prompt_tokens": 1_100,
    # answer turns per conversation (user message -> answer), P(k); mean 1.75
    "answer_turns": {1: 0.45, 2: 0.35, 3: 0.20},
    # Each conversation has one intent (the help desk's category), logged as its task_type.
    # Relative weights within the simple group (together SUPPORT_CHATBOT["simple_share"]) and
    # within the complex group (the rest).
    "simple_intents": {"order_status": 3.0, "shipping": 1.5, "account_access": 1.5,
                       "returns": 1.0},
    "complex_intents": {"billing_dispute": 2.0, "technical_issue": 2.0, "complaint": 1.0},
    "first_msg": (60, 0.6),            # first user message tokens: (mean, lognormal sigma)
    "followup_msg": (45, 0.6),         # later user messages
    "customer_context": (100, 0.3),    # account / recent-orders block, per conversation
    "answer_out_sigma": 0.45,          # replies are plain text (no extended thinking): the
                                       # whole output is carried into the next turn's history
    "retrieval_chunks": 2,             # help-centre snippets retrieved per turn (not carried)
    "think_time_s": (45, 0.6),         # user reading + typing between turns
}

INVOICE_SHAPE: dict[str, Any] = {
    "seed": 20261002,
    # One system prompt PER STAGE (extract / classify / summarize each have their own
    # instructions and output schema), each 4,000 tokens: three prefix_hash values.
    "document_tokens": (900, 0.45),    # invoice text, 1-3 pages
    "extract_out": (240, 0.30),        # extracted fields as JSON
    "classify_out": (12, 0.20),        # category label
    "summarize_out": (600, 0.30),      # summary for the AP ledger
    # classify sees the document text; summarize sees the document text + the extracted JSON.
    "business_hours_utc": (7, 18),     # extract/classify run Mon-Fri 07:00-18:00 UTC
    "hourly": (0.6, 1.0, 1.3, 1.3, 1.2, 1.0, 1.1, 1.1, 1.0, 0.8, 0.5),  # 07..17 UTC
    "monday_factor": 1.15,             # weekend backlog
    "month_end_factor": 1.30,          # last 3 business days
    "nightly_window_utc": ((2, 0), (2, 20)),  # summarize burst, 02:00-02:20 UTC next night
    "duplicate_p": 0.015,              # the same invoice submitted again (exact repeat requests)
}

SAAS_SHAPE: dict[str, Any] = {
    "seed": 20261003,
    "tenant_names": ("northwind", "acme", "globex", "initech", "umbrella", "hooli", "stark",
                     "wayne", "wonka", "tyrell", "cyberdyne", "soylent", "massive", "vandelay",
                     "pied-piper", "gringotts", "oscorp", "aperture", "monarch", "dunder",
                     "bluth", "prestige", "sterling", "nakatomi", "weyland"),
    "regions": ("us", "eu", "us", "eu", "apac"),  # cycled over tenants by rank
    "utc_offset": {"us": -5, "eu": 1, "apac": 8},
    # local-time weights of an office app
    "local_hourly": (0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.6, 2.4, 2.6, 2.5,
                     2.0, 2.3, 2.5, 2.4, 2.1, 1.6, 1.0, 0.8, 0.7, 0.5, 0.3, 0.2),
    "daily_noise": 0.08,
    "enabled": {"chat": 0.8, "tagging": 0.6, "report_gen": 0.4},  # share of tenants using it
    "chat_custom_prompt_p": 0.6,       # tenants with custom chat instructions (own prefix)
    "chat_custom_prompt_tokens": (100, 700),
    "chat_turns": {1: 0.35, 2: 0.25, 3: 0.18, 4: 0.10, 5: 0.07, 6: 0.05},
    "sigma_in": 0.5,
    "sigma_out": 0.45,
    "report_sections": (3, 6),
    "autocomplete_repeat_s": (5, 180),
    "search_repeat_s": (30, 600),
}

# model -> (time to first token ms, extra ms per 1k input tokens, output tokens per second)
MODEL_SPEED: dict[str, tuple[float, float, float]] = {
    "claude-sonnet-4-6": (600, 90, 65),
    "gpt-4": (800, 100, 35),
    "claude-sonnet-4-5-20250929": (600, 90, 65),
    "claude-haiku-4-5": (350, 40, 150),
    "gpt-4o-2024-08-06": (450, 60, 90),
    "gpt-4o-mini": (300, 30, 120),
    "gemini-2.5-flash": (350, 25, 220),
}

COLUMNS = ("timestamp", "model", "provider", "task_type", "feature", "tenant", "conversation_id",
           "input_tokens", "output_tokens", "prefix_hash", "prefix_tokens", "prompt_hash",
           "latency_ms", "status")

HERE = Path(__file__).resolve().parent
FILES = ("support_chatbot.csv.gz", "invoice_pipeline.csv.gz", "saas_multi.csv.gz")

# ===============================================================================================
# helpers
# ===============================================================================================

MONTH_START = int(datetime(YEAR, MONTH, 1, tzinfo=UTC).timestamp())
MONTH_END = MONTH_START + MONTH_DAYS * 86_400
DAY = 86_400


def h16(*parts: object) -> str:
    """A 16-hex-digit id derived from the parts (stable across runs and platforms)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]


def lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw with the given MEAN (not median)."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def tokens(rng: random.Random, spec: tuple[float, float], lo: int = 1) -> int:
    return max(lo, round(lognormal(rng, spec[0], spec[1])))


def iso(t: float) -> str:
    return datetime.fromtimestamp(int(t), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_latency_ms(model: str, n_in: int, n_out: int) -> float:
    """Typical latency of a call: time to first token + generation time."""
    ttft, per_k_in, tps = MODEL_SPEED[model]
    return ttft + per_k_in * n_in / 1000 + 1000 * n_out / tps


def latency_ms(rng: random.Random, model: str, n_in: int, n_out: int) -> int:
    return max(50, round(base_latency_ms(model, n_in, n_out) * lognormal(rng, 1.0, 0.15)))


def error_latency_ms(rng: random.Random) -> int:
    if rng.random() < 0.7:  # overloaded / rate limited: fails fast
        return round(rng.uniform(150, 1500))
    return round(rng.uniform(5_000, 30_000))  # server error after a while


def pick(rng: random.Random, weights: dict[int, float]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def hour_in_day(rng: random.Random, hourly: Sequence[float]) -> float:
    """Seconds after midnight, hour drawn by weight, uniform within the hour."""
    h = rng.choices(range(len(hourly)), weights=hourly)[0]
    return h * 3600 + rng.random() * 3600


class Log:
    """Collects rows; written sorted by time (generation order breaks ties)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, int, tuple[object, ...]]] = []

    def add(self, rng: random.Random, t: float, model: str, provider: str, task: str,
            feature: str, tenant: str, conv: str, n_in: int, n_out: int, prefix_hash: str,
            prefix_tokens: int, prompt_hash: str, error_rate: float = ERROR_RATE) -> int:
        """Add one call; returns its latency in ms (the caller schedules what follows)."""
        assert prefix_tokens <= n_in, (task, prefix_tokens, n_in)
        if rng.random() < error_rate:
            lat, status, n_out = error_latency_ms(rng), "error", 0
        else:
            lat, status = latency_ms(rng, model, n_in, n_out), "ok"
        self.rows.append((t, len(self.rows), (
            iso(t), model, provider, task, feature, tenant, conv, n_in, n_out, prefix_hash,
            prefix_tokens, prompt_hash, lat, status)))
        return lat

    def last_ok(self) -> bool:
        return self.rows[-1][2][13] == "ok"

    def csv_bytes(self) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for _, _, row in sorted(self.rows, key=lambda r: (int(r[0]), r[1])):
            w.writerow(row)
        return buf.getvalue().encode()


# ===============================================================================================
# (a) support chatbot
# ===============================================================================================

def derive_support() -> dict[str, float]:
    """Solve the answer output mean and the retrieved-context size from the published averages.

    A conversation is K answer calls (no other call). Answer j (1-based) sends: prefix P +
    customer context C + retrieved snippets R + first message U1 + (j-1) follow-up messages U +
    (j-1) earlier replies A (the history is carried in full). Both published averages are per
    conversation (errors' zero output included), so
        output: E[K] A (1 - error rate)                    = OUT
        input:  E[K] (P + C + U1 + R) + (U + A) E[K(K-1)]/2 = IN
    the first gives A, the second R.
    """
    pub, s = SUPPORT_CHATBOT, SUPPORT_SHAPE
    turns: dict[int, float] = s["answer_turns"]
    assert abs(sum(turns.values()) - 1) < 1e-9
    ek = sum(k * w for k, w in turns.items())
    ek2 = sum(k * k * w for k, w in turns.items())
    a = float(pub["avg_output_tokens"]) / (ek * (1 - ERROR_RATE))
    fixed = (float(s["system_prompt_tokens"]) + s["customer_context"][0] + s["first_msg"][0])
    history = (s["followup_msg"][0] + a) * (ek2 - ek) / 2
    r = (float(pub["avg_input_tokens"]) - history) / ek - fixed
    assert r > 0, "the shape leaves no room for retrieved context"
    return {"answer_out": a, "retrieval": r, "calls_per_conversation": ek}


def support_intents() -> dict[str, float]:
    """intent -> share of conversations (the simple group sums to the published share)."""
    simple = float(SUPPORT_CHATBOT["simple_share"])
    out: dict[str, float] = {}
    for group, share in (("simple_intents", simple), ("complex_intents", 1 - simple)):
        w: dict[str, float] = SUPPORT_SHAPE[group]
        out.update({k: share * v / sum(w.values()) for k, v in w.items()})
    return out


def gen_support() -> Log:
    pub, s = SUPPORT_CHATBOT, SUPPORT_SHAPE
    d = derive_support()
    rng = random.Random(s["seed"])
    log = Log()
    model, provider = str(pub["model"]), str(pub["provider"])
    big_p = int(s["system_prompt_tokens"])
    prefix = h16("support_chatbot", "system_prompt", "v8")
    k_chunks = int(s["retrieval_chunks"])
    chunk = d["retrieval"] / k_chunks
    intents = support_intents()
    days = int(s["days"])
    end = MONTH_START + days * DAY

    for day in range(days):
        day0 = MONTH_START + day * DAY
        for i in range(int(pub["conversations_per_day"])):
            conv = "conv_" + h16("support", day, i)[:12]
            t0 = day0 + hour_in_day(rng, SUPPORT_HOURLY_UTC)
            intent = rng.choices(list(intents), weights=list(intents.values()))[0]
            k = pick(rng, s["answer_turns"])
            ctx = tokens(rng, s["customer_context"])
            calls: list[tuple[float, int, int, str]] = []  # offset, in, out, hash
            history = tokens(rng, s["first_msg"])  # user messages + replies so far
            t = 0.0
            for j in range(1, k + 1):
                if j > 1:
                    history += tokens(rng, s["followup_msg"])
                r = sum(round(rng.uniform(0.7, 1.3) * chunk) for _ in range(k_chunks))
                out = max(20, round(lognormal(rng, d["answer_out"], s["answer_out_sigma"])))
                n_in = big_p + ctx + r + history
                calls.append((t, n_in, out, h16("support", "answer", conv, j)))
                history += out
                # next request: this answer's latency (typical) + the user reading and typing
                t += base_latency_ms(model, n_in, out) / 1000 + lognormal(rng, *s["think_time_s"])
            overflow = t0 + calls[-1][0] + 120 - end
            if overflow > 0:  # the last day's late conversations end before the window closes
                t0 -= overflow
            for off, n_in, n_out, ph in calls:
                log.add(rng, t0 + off, model, provider, intent, "support_chat", "", conv,
                        n_in, n_out, prefix, big_p, ph)
    return log


# ===============================================================================================
# (b) invoice pipeline
# ===============================================================================================

def business_days() -> list[int]:
    """Day indexes (0 = Oct 1) of the weekdays in the month."""
    return [d for d in range(MONTH_DAYS)
            if datetime.fromtimestamp(MONTH_START + d * DAY, tz=UTC).weekday() < 5]


def split_exact(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder split of `total` in proportion to `weights` (sums to total exactly)."""
    raw = [total * w / sum(weights) for w in weights]
    out = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def gen_invoices() -> Log:
    pub, s = INVOICE_PIPELINE, INVOICE_SHAPE
    rng = random.Random(s["seed"])
    log = Log()
    model, provider = str(pub["model"]), str(pub["provider"])
    big_p = int(pub["system_prompt_tokens"])
    stages: Sequence[str] = pub["stages"]
    prefixes = {st: h16("invoices", st, "system_prompt", "v3") for st in stages}
    days = business_days()
    # documents arriving on the last weekday are summarized the next night; every summary must be
    # inside the month, so arrivals stop on the last weekday before the month's final day
    days = [d for d in days if d + 1 < MONTH_DAYS]
    weights = []
    for i, d in enumerate(days):
        w = 1.0
        if datetime.fromtimestamp(MONTH_START + d * DAY, tz=UTC).weekday() == 0:
            w *= float(s["monday_factor"])
        if i >= len(days) - 3:
            w *= float(s["month_end_factor"])
        weights.append(w)
    per_day = split_exact(int(pub["documents_per_month"]), weights)
    open_h, close_h = s["business_hours_utc"]
    (w0h, w0m), (w1h, w1m) = s["nightly_window_utc"]
    win_start, win_len = w0h * 3600 + w0m * 60, (w1h - w0h) * 3600 + (w1m - w0m) * 60

    content: list[tuple[int, int, int, int]] = []  # doc tokens, extract/classify/summary out
    doc_no = 0
    for d, n in zip(days, per_day, strict=True):
        day0 = MONTH_START + d * DAY
        arrivals = sorted(open_h * 3600 + hour_in_day(rng, s["hourly"])
                          for _ in range(n))
        today: list[tuple[str, int, tuple[int, int, int, int]]] = []
        for arr in arrivals:
            doc_no += 1
            doc = f"doc-{doc_no:06d}"
            if content and rng.random() < float(s["duplicate_p"]):
                key = max(0, len(content) - 1 - rng.randrange(4_000))  # re-sent invoice
            else:
                key = len(content)
                content.append((tokens(rng, s["document_tokens"], 150),
                                tokens(rng, s["extract_out"], 40),
                                tokens(rng, s["classify_out"], 3),
                                tokens(rng, s["summarize_out"], 80)))
            doc_t, ex_out, cl_out, su_out = content[key]
            t = day0 + arr + rng.uniform(1, 20)  # queue delay
            t_cl = t + base_latency_ms(model, big_p + doc_t, ex_out) / 1000 + rng.uniform(1, 6)
            late = t_cl + 30 - (day0 + close_h * 3600)
            if late > 0:
                t, t_cl = t - late, t_cl - late
            log.add(rng, t, model, provider, "extract", "invoices", "", doc, big_p + doc_t,
                    ex_out, prefixes["extract"], big_p, h16("invoices", "extract", key))
            log.add(rng, t_cl, model, provider, "classify", "invoices", "", doc, big_p + doc_t,
                    cl_out, prefixes["classify"], big_p, h16("invoices", "classify", key))
            today.append((doc, key, content[key]))
        # the nightly summarize burst over the day's documents, in arrival order
        night0 = day0 + DAY + win_start
        slot = win_len / len(today)
        for i, (doc, key, (doc_t, ex_out, _, su_out)) in enumerate(today):
            log.add(rng, night0 + (i + rng.random()) * slot, model, provider, "summarize",
                    "invoices", "", doc, big_p + doc_t + ex_out, su_out, prefixes["summarize"],
                    big_p, h16("invoices", "summarize", key))
    assert doc_no == pub["documents_per_month"]
    return log


# ===============================================================================================
# (c) multi-feature SaaS
# ===============================================================================================

def gen_saas() -> Log:
    pub, s = SAAS_MULTI, SAAS_SHAPE
    rng = random.Random(s["seed"])
    log = Log()
    tasks: dict[str, dict[str, Any]] = pub["tasks"]
    names: Sequence[str] = s["tenant_names"]
    n_ten = int(pub["tenants"])
    assert len(names) == n_ten
    zipf = [1 / (r + 1) ** float(pub["tenant_zipf_exponent"])
            for r in range(n_ten)]
    regions: Sequence[str] = s["regions"]
    region = [regions[r % len(regions)] for r in range(n_ten)]
    offsets: dict[str, int] = s["utc_offset"]
    local: Sequence[float] = s["local_hourly"]
    hourly_utc = {reg: [local[(h + off) % 24] for h in range(24)] for reg, off in offsets.items()}
    enabled: dict[str, float] = s["enabled"]
    features = ("autocomplete", "search", "chat", "report_gen", "tagging")
    tenant_w: dict[str, list[float]] = {}
    for f in features:
        ws = []
        for r in range(n_ten):
            on = r < 3 or rng.random() < enabled.get(f, 1.0)  # the 3 largest use everything
            ws.append(zipf[r] * rng.gammavariate(2.0, 0.5) if on else 0.0)
        tenant_w[f] = ws
    # chat system prompt: base prompt + the tenant's custom instructions (own prefix if any)
    lo_c, hi_c = s["chat_custom_prompt_tokens"]
    chat_prefix: list[tuple[str, int]] = []
    for r in range(n_ten):
        base = int(tasks["chat/chat_answer"]["prefix"])
        if rng.random() < float(s["chat_custom_prompt_p"]):
            chat_prefix.append((h16("saas", "chat_prompt", names[r]), base + rng.randint(lo_c, hi_c)))
        else:
            chat_prefix.append((h16("saas", "chat_prompt", "base"), base))
    prefix = {k: h16("saas", k, "system_prompt") for k in tasks}
    sig_in, sig_out = float(s["sigma_in"]), float(s["sigma_out"])

    def spec(key: str) -> tuple[str, str, str, str, int]:
        feature, task = key.split("/")
        t = tasks[key]
        return feature, task, str(t["model"]), str(t["provider"]), int(t["prefix"])

    def out_tokens(key: str) -> int:
        return tokens(rng, (float(tasks[key]["out"]), sig_out))

    def extra_in(key: str) -> int:
        return tokens(rng, (float(tasks[key]["extra_in"]), sig_in))

    def add(t: float, key: str, tenant: str, conv: str, n_in: int, n_out: int, ph: str,
            pfx: tuple[str, int] | None = None) -> int:
        feature, task, model, provider, p_tok = spec(key)
        p_hash, p_tok = pfx if pfx else (prefix[key], p_tok)
        return log.add(rng, t, model, provider, task, feature, tenant, conv, n_in, n_out,
                       p_hash, p_tok, ph, float(pub["error_rate"]))

    def fit(t0: float, span: float) -> float:
        """Shift a group of calls starting at t0 and lasting `span` s back inside the month."""
        return t0 - max(0.0, t0 + span + 60 - MONTH_END)

    # what one unit (request, session, report, tagged item) of each feature produces
    def autocomplete(t: float, r: int, n: int) -> None:
        key = "autocomplete/complete"
        n_in = int(tasks[key]["prefix"]) + extra_in(key)
        n_out, ph = out_tokens(key), h16("saas", key, names[r], n)
        add(t, key, names[r], "", n_in, n_out, ph)
        if rng.random() < float(tasks[key]["repeat_p"]):
            for _ in range(rng.randint(1, 2)):  # the same completion requested again
                t2 = t + rng.uniform(*s["autocomplete_repeat_s"])
                if t2 < MONTH_END:
                    add(t2, key, names[r], "", n_in, n_out, ph)

    def search(t: float, r: int, n: int) -> None:
        k1, k2 = "search/query_rewrite", "search/answer"
        in1 = int(tasks[k1]["prefix"]) + extra_in(k1)
        in2 = int(tasks[k2]["prefix"]) + extra_in(k2)
        o1, o2 = out_tokens(k1), out_tokens(k2)
        h1, h2 = h16("saas", k1, names[r], n), h16("saas", k2, names[r], n)
        starts = [t]
        if rng.random() < float(tasks[k1]["repeat_p"]):
            # a popular query asked again by other users of the tenant: both calls repeat
            starts += [t + rng.uniform(*s["search_repeat_s"])
                       for _ in range(rng.randint(1, 3))]
        for i, ts in enumerate(starts):
            if ts + 60 > MONTH_END:
                continue
            conv = "srch_" + h16("saas", "search", names[r], n, i)[:12]
            lat = add(ts, k1, names[r], conv, in1, o1, h1)
            add(ts + lat / 1000 + rng.uniform(0.2, 0.6), k2, names[r], conv, in2, o2, h2)

    def chat(t: float, r: int, n: int) -> None:
        key = "chat/chat_answer"
        conv = "chat_" + h16("saas", "chat", names[r], n)[:12]
        k = pick(rng, s["chat_turns"])
        msg = float(tasks[key]["user_msg"])
        pfx = chat_prefix[r]
        model = str(tasks[key]["model"])
        history, off, calls = 0, 0.0, []
        for j in range(1, k + 1):
            history += tokens(rng, (msg, 0.6))  # the user's message (history carried in full)
            out = out_tokens(key)
            n_in = pfx[1] + history
            calls.append((off, key, n_in, out, h16("saas", key, conv, j), pfx))
            done = off + base_latency_ms(model, n_in, out) / 1000
            history += out
            if j == 1:  # a title for the session from the first exchange, on a small model
                calls.append((done + rng.uniform(0.1, 0.5), "chat/chat_title",
                              int(tasks["chat/chat_title"]["prefix"]) + history,
                              out_tokens("chat/chat_title"), h16("saas", "title", conv), None))
            off = done + lognormal(rng, 40, 0.6)  # reading + typing
        t = fit(t, off)
        for o, kk, n_in, n_out, ph, pf in calls:
            add(t + o, kk, names[r], conv, n_in, n_out, ph, pf)

    def report(t: float, r: int, n: int) -> None:
        k1, k2 = "report_gen/report_outline", "report_gen/report_section"
        conv = "rpt_" + h16("saas", "report", names[r], n)[:12]
        data = extra_in(k1)
        p_tok = int(tasks[k1]["prefix"])
        outline = out_tokens(k1)
        calls = [(k1, p_tok + data, outline, h16("saas", k1, conv))]
        for i in range(rng.randint(*s["report_sections"])):
            calls.append((k2, p_tok + data + outline, out_tokens(k2), h16("saas", k2, conv, i)))
        t = fit(t, 40.0 * len(calls))
        for kk, n_in, n_out, ph in calls:
            lat = add(t, kk, names[r], conv, n_in, n_out, ph)
            t += lat / 1000 + rng.uniform(0.1, 0.5)

    def tag(t: float, r: int, n: int) -> None:
        key = "tagging/tag"
        # items are tagged by an hourly batch job at :05 of the next hour
        tb = (int(t) // 3600 + 1) * 3600 + 300 + rng.uniform(0, 180)
        if tb < MONTH_END:
            add(tb, key, names[r], "", int(tasks[key]["prefix"]) + extra_in(key),
                out_tokens(key), h16("saas", key, names[r], n))

    units: list[tuple[str, str, Callable[[float, int, int], None]]] = [
        ("autocomplete", "autocomplete/complete", autocomplete),
        ("search", "search/query_rewrite", search),
        ("chat", "chat/chat_answer", chat),
        ("report_gen", "report_gen/report_outline", report),
        ("tagging", "tagging/tag", tag),
    ]
    noise = float(s["daily_noise"])
    weekend = float(pub["weekend_factor"])
    n = 0
    for d in range(MONTH_DAYS):
        day0 = MONTH_START + d * DAY
        factor = weekend if datetime.fromtimestamp(day0, tz=UTC).weekday() >= 5 else 1.0
        for feature, key, fn in units:
            count = round(float(tasks[key]["per_weekday"]) * factor
                          * max(0.5, rng.gauss(1.0, noise)))
            for _ in range(count):
                n += 1
                r = rng.choices(range(n_ten), weights=tenant_w[feature])[0]
                fn(day0 + hour_in_day(rng, hourly_utc[region[r]]), r, n)
    return log


# ===============================================================================================
# main
# ===============================================================================================

GENERATORS: dict[str, Callable[[], Log]] = {
    "support_chatbot.csv.gz": gen_support,
    "invoice_pipeline.csv.gz": gen_invoices,
    "saas_multi.csv.gz": gen_saas,
}


def write_all(out_dir: Path, quiet: bool = False) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, gen in GENERATORS.items():
        log = gen()
        data = gzip.compress(log.csv_bytes(), compresslevel=9, mtime=0)
        (out_dir / name).write_bytes(data)
        if not quiet:
            print(f"{name}: {len(log.rows):,} rows, {len(data):,} bytes")


def check(names: Iterable[str] = FILES) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        write_all(Path(tmp), quiet=True)
        bad = []
        for name in names:
            committed, fresh = HERE / name, Path(tmp) / name
            if not committed.exists():
                bad.append(f"{name}: missing")
                continue
            a, b = committed.read_bytes(), fresh.read_bytes()
            if a == b:
                continue
            if gzip.decompress(a) == gzip.decompress(b):
                print(f"note: {name}: same content, different gzip bytes (zlib build?)")
                continue
            bad.append(f"{name}: content differs from a fresh run")
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print("run `python sample_logs/generate.py` to regenerate", file=sys.stderr)
        return 1
    print("sample logs are up to date")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and exit 1 if a committed file differs")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = ap.parse_args(argv)
    if args.check:
        return check()
    write_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
