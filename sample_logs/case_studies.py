#!/usr/bin/env python3
"""Deterministic call logs for the case studies of articles 002, 003 and 004 (docs/case-studies.md).

    python sample_logs/case_studies.py            # write sample_logs/case_studies/*.csv.gz
    python sample_logs/case_studies.py --check    # regenerate into a temp dir; exit 1 if a file differs

Articles 000 and 001 use the bundled samples (invoice_pipeline.csv.gz, support_chatbot.csv.gz,
made by generate.py). These logs follow the same rules and columns (sample_logs/README.md):
standard library only, fixed seeds, gzip with mtime 0, "before" logs with no cache columns.

* `PUBLISHED` dicts hold an article's stated figures; do NOT tune them to reach a savings figure.
* `SHAPE` dicts hold what the article leaves open (sizes, task mix, times), chosen so the log
  matches the published traffic: where an article states a monthly bill, the token sizes are
  chosen so the baseline lands on it (a published input, not a savings figure).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as G  # the sample generator next to this file: Log, helpers

HERE = Path(__file__).resolve().parent / "case_studies"

# ===============================================================================================
# article 003: "5k-token system prompt + 1k tokens of history x 1000 conversations/day"
# ===============================================================================================

A003_CHAT_PUBLISHED: dict[str, Any] = {
    "conversations_per_day": 1_000,   # published
    "system_prompt_tokens": 5_000,    # published: a 5k-token system prompt
    "history_tokens": 1_000,          # published: 1k tokens of conversation history
    "model": "claude-sonnet-4-6",     # published: the article's caching example is on Sonnet 4.6
    "provider": "anthropic",
}
A003_CHAT_SHAPE: dict[str, Any] = {
    "seed": 20261101,
    "days": 7,
    "history_sigma": 0.5,             # history size varies (lognormal, mean as published)
    "output": (300, 0.4),             # not published (the article prices input only)
}

# ===============================================================================================
# article 003: "a SaaS doing 1M LLM calls/day", $50k a month before
# ===============================================================================================

A003_SAAS_PUBLISHED: dict[str, Any] = {
    "calls_per_day": 1_000_000,       # published
    "monthly_usd_before": 50_000,     # published: "Without these tactics: $50k/month"
    "model": "claude-sonnet-4-6",     # assumed: the article's default model (its router's else)
    "provider": "anthropic",
    # published mix of the plan: Haiku for 70 % of traffic, Sonnet 25 %, Opus 5 %; the tasks
    # below follow the article's router (classification / extraction / short summarization ->
    # Haiku, code review -> Opus, the rest -> Sonnet)
}
A003_SAAS_SHAPE: dict[str, Any] = {
    "seed": 20261102,
    "start_utc": "2026-10-01T10:00:00Z",
    "hours": 1,                       # one hour at the full rate (41,667 calls)
    # task -> share of calls, static prefix, mean tokens on top of it, mean output. Sizes are
    # chosen so the baseline lands on the published $50k a month: at $3 / $15 per MTok a call
    # may cost $50,000 / 30M = $0.00167 on average, so calls are small (~315 in / ~48 out).
    "tasks": {
        "classification": {"share": 0.25, "prefix": 150, "extra": 40, "out": 6},
        "extraction": {"share": 0.20, "prefix": 160, "extra": 140, "out": 45},
        "summarization": {"share": 0.25, "prefix": 120, "extra": 260, "out": 70},
        "chat": {"share": 0.25, "prefix": 200, "extra": 120, "out": 55},
        "code_review": {"share": 0.05, "prefix": 250, "extra": 400, "out": 120},
    },
    "sigma_in": 0.5,
    "sigma_out": 0.45,
}

# ===============================================================================================
# article 004: month 1, "$15,000" for 500K requests, GPT-4
# ===============================================================================================

A004_PUBLISHED: dict[str, Any] = {
    "requests_per_month": 500_000,    # published: month 1, 500K requests
    "cost_per_request": 0.03,         # published: $15,000 / 500K = $0.03
    "model": "gpt-4",                 # published: the bill is OpenAI's, the costly model GPT-4
    "provider": "openai",
    "prompt_template_tokens": 350,    # published: the prompt before compression (350 tokens)
    "routable_share": 0.60,           # published: "60% of our tasks" moved to GPT-3.5
}
A004_SHAPE: dict[str, Any] = {
    "seed": 20261103,
    "days": 2,                        # Oct 1-2 at the month's daily rate (16,667 a day)
    # task -> share, tokens on top of the 350-token template, mean output. The first two are the
    # routable 60 %. Sizes are chosen so a request costs about the published $0.03 on GPT-4
    # ($30 / $60 per MTok).
    "tasks": {
        "simple_classification": {"share": 0.30, "extra": 150, "out": 20},
        "extraction": {"share": 0.30, "extra": 500, "out": 150},
        "reasoning": {"share": 0.25, "extra": 400, "out": 270},
        "content_generation": {"share": 0.15, "extra": 150, "out": 300},
    },
    "sigma_in": 0.5,
    "sigma_out": 0.45,
}


# ===============================================================================================
# article 002: "a 20-turn conversation ... a 200-token summary plus the last 2-3 turns";
# "five chunks of 500 tokens each" of which one is relevant
# ===============================================================================================

A002_PUBLISHED: dict[str, Any] = {
    "turns": 20,                      # published: a 20-turn conversation
    "summary_tokens": 200,            # published: compressed to a 200-token summary ...
    "kept_turns": (2, 3),             # published: ... plus the last 2-3 turns
    "rag_chunks": 5,                  # published: five retrieved chunks ...
    "chunk_tokens": 500,              # published: ... of 500 tokens each (2,500 of context)
    "model": "claude-sonnet-4-6",     # published tier: Sonnet for standard generation and Q&A
    "provider": "anthropic",
}
A002_SHAPE: dict[str, Any] = {
    # The article has no case study: traffic and sizes are our choice (not tuned to any figure).
    "seed": 20261104,
    "days": 7,
    "conversations_per_day": 150,     # 20 calls each: 3,000 chat calls a day
    "chat_prompt_tokens": 1_500,      # system prompt (above Sonnet's 1,024-token caching minimum)
    "user_msg": (60, 0.6),            # a user message: (mean, lognormal sigma)
    "reply": (240, 0.4),              # a reply, carried into the next turns in full
    "think_time_s": (45, 0.6),        # user reading + typing between turns
    "rag_per_day": 600,               # single document-Q&A calls (no conversation)
    "rag_prompt_tokens": 600,         # instructions (static prefix)
    "question": (40, 0.5),            # the question, sent before the retrieved chunks
    "rag_out": (150, 0.4),
}

# ===============================================================================================
# article 003: "classification at $0.005/call (Sonnet) x 5M calls/month"
# ===============================================================================================

A003_FT_PUBLISHED: dict[str, Any] = {
    "calls_per_month": 5_000_000,     # published
    "cost_per_call": 0.005,           # published: $0.005 a call on Sonnet
    "model": "claude-sonnet-4-6",     # published: Sonnet (the article's default model)
    "provider": "anthropic",
    "task": "classification",         # published
}
A003_FT_SHAPE: dict[str, Any] = {
    "seed": 20261105,
    "start_utc": "2026-10-01T10:00:00Z",
    "hours": 1,                       # one hour at the month's average rate (6,944 calls)
    # sizes chosen so a call costs the published $0.005 at $3 / $15 per MTok:
    # (1,200 + 425) x $3 + 8 x $15 = $0.004875 + $0.00012 = $0.004995
    "tasks": {"classification": {"share": 1.0, "prefix": 1_200, "extra": 425, "out": 8}},
    "sigma_in": 0.5,
    "sigma_out": 0.3,
}


# ===============================================================================================
# prompt text (articles 003 and 004: a semantic cache for FAQ-shaped questions, an FAQ filter)
# ===============================================================================================

FAQ_PUBLISHED: dict[str, Any] = {
    # published (article 004): "35% of requests handled without LLM calls" by an FAQ filter and
    # rules. It is the only measured FAQ share in the five articles, so both logs use it as the
    # share of questions that are one of the FAQs below (article 003 gives none for its SaaS).
    "faq_share": 0.35,
}
FAQ_SHAPE: dict[str, Any] = {
    # Our choice: 24 FAQs asked with Zipf popularity (the k-th most asked has weight 1 / k), each
    # in 2-3 wordings (paraphrases share few word pairs, so a word-pair cache misses them), the
    # first wording most often; a greeting or a closing word now and then (surface variation).
    # Every other question is the customer's own case: a product, a problem, when, an order
    # number, so two of them are rarely alike.
    "wording_weights": (0.6, 0.3, 0.1),
    "opener": {"": 0.7, "hi ": 0.12, "hello, ": 0.08, "hey ": 0.05, "quick question: ": 0.05},
    "closer": {"?": 0.55, "": 0.25, "? thanks": 0.12, " please": 0.08},
}
FAQS: tuple[tuple[str, ...], ...] = (
    ("how do i reset my password", "i forgot my password, how can i get back into my account",
     "password reset link not working"),
    ("what is your refund policy", "can i get my money back if i am not happy with it"),
    ("how do i cancel my subscription", "i want to stop my plan, how do i do that",
     "where is the cancel button for my subscription"),
    ("how long does shipping take", "when will my order arrive if i order today"),
    ("do you ship internationally", "can you deliver to an address outside the country"),
    ("how do i change my email address", "can i update the email on my account"),
    ("what payment methods do you accept", "can i pay with paypal or a credit card"),
    ("how do i return an item", "what is the process for sending something back",
     "i need to return my order, what do i do"),
    ("where can i find my invoice", "how do i download a receipt for my payment"),
    ("how do i upgrade my plan", "can i move to a bigger plan in the middle of the month"),
    ("is there a free trial", "can i try it before i pay"),
    ("how do i delete my account", "please remove my account and all my data"),
    ("what are your support hours", "when is customer support available"),
    ("how do i contact a human agent", "can i talk to a real person"),
    ("how do i track my order", "where can i see the status of my delivery"),
    ("can i change my delivery address after ordering", "i entered the wrong address for my order"),
    ("do you offer student discounts", "is there a discount for students or teachers"),
    ("how do i enable two factor authentication", "how can i turn on 2fa for my account"),
    ("why was my card declined", "my payment failed, what should i do"),
    ("how do i add a team member", "can i invite a colleague to my workspace"),
    ("what happens when my trial ends", "will i be charged automatically after the trial"),
    ("how do i export my data", "can i download all my data as a csv"),
    ("is my data secure", "how do you protect my personal information"),
    ("how do i apply a promo code", "where do i enter a discount code at checkout"),
)
OWN_CASE: dict[str, tuple[str, ...]] = {
    "product": ("wireless headphones", "standing desk", "coffee grinder", "yoga mat", "phone case",
                "backpack", "desk lamp", "water bottle", "running shoes", "air purifier",
                "keyboard", "monitor arm", "blender", "rain jacket", "smart watch", "pro plan",
                "team workspace", "mobile app", "api key", "export feature"),
    "problem": ("stopped working", "arrived damaged", "is the wrong size", "was charged twice",
                "shows an error", "never arrived", "is missing a part", "keeps disconnecting",
                "is slower than advertised", "was billed at the wrong price", "will not turn on",
                "came in the wrong colour", "does not sync", "is stuck in processing"),
    "when": ("since yesterday", "after the last update", "two days after delivery",
             "right out of the box", "this morning", "since i moved", "after i changed my plan",
             "every time i log in"),
    "ask": ("what can you do about it", "can you send a replacement", "i would like a refund",
            "is this a known issue", "how do i fix this", "can someone look into it",
            "what are my options"),
}


def asker(seed: int) -> Callable[[], str]:
    """A customer's question per call, from its own random stream (the other columns keep theirs)."""
    rng = random.Random(seed)
    faqs, share = FAQS, float(FAQ_PUBLISHED["faq_share"])
    pop = [1 / k for k in range(1, len(faqs) + 1)]
    wordings = FAQ_SHAPE["wording_weights"]
    op, cl = FAQ_SHAPE["opener"], FAQ_SHAPE["closer"]

    def one(d: dict[str, float]) -> str:
        return rng.choices(list(d), weights=list(d.values()))[0]

    def ask() -> str:
        if rng.random() < share:
            faq = rng.choices(faqs, weights=pop)[0]
            text = rng.choices(faq, weights=wordings[:len(faq)])[0]
        else:
            c = {k: rng.choice(v) for k, v in OWN_CASE.items()}
            text = (f"my {c['product']} (order {rng.randint(1_000, 9_999)}) {c['problem']} "
                    f"{c['when']}, {c['ask']}")
        return one(op) + text + one(cl)

    return ask


class TextLog(G.Log):
    """A log with a `prompt` column: the customer's question (empty where a call has none)."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: dict[int, str] = {}

    def csv_bytes(self) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow((*G.COLUMNS, "prompt"))
        for _, i, row in sorted(self.rows, key=lambda r: (int(r[0]), r[1])):
            w.writerow((*row, self.prompts.get(i, "")))
        return buf.getvalue().encode()


def gen_a002() -> G.Log:
    pub, s = A002_PUBLISHED, A002_SHAPE
    rng = random.Random(s["seed"])
    log = G.Log()
    model, provider = str(pub["model"]), str(pub["provider"])
    days = int(s["days"])
    end = G.MONTH_START + days * G.DAY
    chat_p, rag_p = int(s["chat_prompt_tokens"]), int(s["rag_prompt_tokens"])
    chat_prefix, rag_prefix = G.h16("a002", "chat", "system_prompt"), G.h16("a002", "doc_qa", "prompt")
    context = int(pub["rag_chunks"]) * int(pub["chunk_tokens"])
    for day in range(days):
        day0 = G.MONTH_START + day * G.DAY
        for i in range(int(s["conversations_per_day"])):
            conv = "conv_" + G.h16("a002", day, i)[:12]
            t0 = day0 + G.hour_in_day(rng, G.SUPPORT_HOURLY_UTC)
            calls: list[tuple[float, int, int, str]] = []  # offset, in, out, hash
            history, t = 0, 0.0  # earlier messages and replies
            for j in range(1, int(pub["turns"]) + 1):
                msg = G.tokens(rng, s["user_msg"])
                out = G.tokens(rng, s["reply"], lo=20)
                n_in = chat_p + history + msg
                calls.append((t, n_in, out, G.h16("a002", conv, j)))
                history += msg + out
                t += G.base_latency_ms(model, n_in, out) / 1000 + G.lognormal(rng, *s["think_time_s"])
            overflow = t0 + calls[-1][0] + 120 - end
            if overflow > 0:  # the last day's late conversations end before the window closes
                t0 -= overflow
            for off, n_in, n_out, ph in calls:
                log.add(rng, t0 + off, model, provider, "chat", "chat", "", conv, n_in, n_out,
                        chat_prefix, chat_p, ph)
        for i in range(int(s["rag_per_day"])):
            t = day0 + G.hour_in_day(rng, G.SUPPORT_HOURLY_UTC)
            n_in = rag_p + G.tokens(rng, s["question"]) + context
            log.add(rng, t, model, provider, "doc_qa", "doc_qa", "", "", n_in,
                    G.tokens(rng, s["rag_out"]), rag_prefix, rag_p, G.h16("a002", "doc_qa", day, i))
    return log


def gen_a003_chat() -> G.Log:
    pub, s = A003_CHAT_PUBLISHED, A003_CHAT_SHAPE
    rng = random.Random(s["seed"])
    log = G.Log()
    big_p = int(pub["system_prompt_tokens"])
    prefix = G.h16("a003_chat", "system_prompt")
    for day in range(int(s["days"])):
        day0 = G.MONTH_START + day * G.DAY
        for i in range(int(pub["conversations_per_day"])):
            conv = "conv_" + G.h16("a003", day, i)[:12]
            t = day0 + G.hour_in_day(rng, G.SUPPORT_HOURLY_UTC)
            hist = G.tokens(rng, (float(pub["history_tokens"]), float(s["history_sigma"])))
            log.add(rng, t, str(pub["model"]), str(pub["provider"]), "chat", "chat", "", conv,
                    big_p + hist, G.tokens(rng, s["output"]), prefix, big_p, G.h16("a003", conv))
    return log


def _mixed(rng: random.Random, log: G.Log, times: Sequence[float], tasks: dict[str, dict[str, Any]],
           model: str, provider: str, feature: str, template: int | None, s: dict[str, Any],
           ask: Callable[[str], str] | None = None) -> None:
    """One call per time: task by share, prefix (the task's own or `template`) + extra, output;
    `ask(task)`, when given, writes the call's question ("" for none)."""
    names = list(tasks)
    weights = [float(tasks[n]["share"]) for n in names]
    prefixes = {n: G.h16(feature, n, "system_prompt") for n in names}
    for i, t in enumerate(times):
        task = rng.choices(names, weights=weights)[0]
        spec = tasks[task]
        p_tok = int(template if template is not None else spec["prefix"])
        n_in = p_tok + G.tokens(rng, (float(spec["extra"]), float(s["sigma_in"])))
        n_out = G.tokens(rng, (float(spec["out"]), float(s["sigma_out"])))
        log.add(rng, t, model, provider, task, feature, "", "", n_in, n_out, prefixes[task],
                p_tok, G.h16(feature, i))
        text = ask(task) if ask is not None else ""
        if text and isinstance(log, TextLog):
            log.prompts[len(log.rows) - 1] = text


def gen_a003_saas() -> G.Log:
    pub, s = A003_SAAS_PUBLISHED, A003_SAAS_SHAPE
    rng = random.Random(s["seed"])
    log = TextLog()
    start = G.MONTH_START + 10 * 3600
    assert G.iso(start) == s["start_utc"]
    n = round(int(pub["calls_per_day"]) * int(s["hours"]) / 24)
    times = sorted(start + rng.random() * 3600 * int(s["hours"]) for _ in range(n))
    ask = asker(int(s["seed"]) + 1)  # the customer's question on chat calls (the FAQ-shaped traffic)
    _mixed(rng, log, times, s["tasks"], str(pub["model"]), str(pub["provider"]), "saas", None, s,
           lambda task: ask() if task == "chat" else "")
    return log


def gen_a003_finetune() -> G.Log:
    pub, s = A003_FT_PUBLISHED, A003_FT_SHAPE
    rng = random.Random(s["seed"])
    log = G.Log()
    start = G.MONTH_START + 10 * 3600
    assert G.iso(start) == s["start_utc"]
    n = int(int(pub["calls_per_month"]) * int(s["hours"]) / (30 * 24))
    times = sorted(start + rng.random() * 3600 * int(s["hours"]) for _ in range(n))
    _mixed(rng, log, times, s["tasks"], str(pub["model"]), str(pub["provider"]), "tickets", None, s)
    return log


def gen_a004() -> G.Log:
    pub, s = A004_PUBLISHED, A004_SHAPE
    rng = random.Random(s["seed"])
    log = TextLog()
    per_day = round(int(pub["requests_per_month"]) / 30)
    times: list[float] = []
    for day in range(int(s["days"])):
        day0 = G.MONTH_START + day * G.DAY
        times += sorted(day0 + G.hour_in_day(rng, G.SUPPORT_HOURLY_UTC) for _ in range(per_day))
    ask = asker(int(s["seed"]) + 1)  # every request carries the customer's question
    _mixed(rng, log, times, s["tasks"], str(pub["model"]), str(pub["provider"]), "app",
           int(pub["prompt_template_tokens"]), s, lambda task: ask())
    return log


GENERATORS: dict[str, Callable[[], G.Log]] = {
    "a002_chat_20_turns.csv.gz": gen_a002,
    "a003_chat_5k_prompt.csv.gz": gen_a003_chat,
    "a003_saas_1m_calls.csv.gz": gen_a003_saas,
    "a003_classify_5m.csv.gz": gen_a003_finetune,
    "a004_month1.csv.gz": gen_a004,
}


def write_all(out_dir: Path, quiet: bool = False) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, gen in GENERATORS.items():
        log = gen()
        data = gzip.compress(log.csv_bytes(), compresslevel=9, mtime=0)
        (out_dir / name).write_bytes(data)
        if not quiet:
            print(f"{name}: {len(log.rows):,} rows, {len(data):,} bytes")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        write_all(Path(tmp), quiet=True)
        bad = [name for name in GENERATORS if not (HERE / name).exists()
               or gzip.decompress((HERE / name).read_bytes())
               != gzip.decompress((Path(tmp) / name).read_bytes())]
    for name in bad:
        print(f"{name}: missing or differs from a fresh run", file=sys.stderr)
    if bad:
        print("run `python sample_logs/case_studies.py` to regenerate", file=sys.stderr)
        return 1
    print("case-study logs are up to date")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and exit 1 if a committed file differs")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: case_studies/)")
    args = ap.parse_args(argv)
    if args.check:
        return check()
    write_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
