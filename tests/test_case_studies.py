"""docs/case-studies.md cannot go stale silently.

1. Every `llmcost simulate` command on the page is run, and every output line the page shows must
   be a line of the real output (at COLUMNS=100, as the page says).
2. The key figures are recomputed by an independent replay written here (plain Python over the
   CSV, prices typed in from the providers' pricing pages), not by llmcost, and must match the
   figures the tool prints and the page states. Each case says, in a comment, how the figure
   follows from the article's traffic by hand.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "case-studies.md"
INVOICE = "sample_logs/invoice_pipeline.csv.gz"
SUPPORT = "sample_logs/support_chatbot.csv.gz"
CHAT_5K = "sample_logs/case_studies/a003_chat_5k_prompt.csv.gz"
SAAS_1M = "sample_logs/case_studies/a003_saas_1m_calls.csv.gz"
MONTH1 = "sample_logs/case_studies/a004_month1.csv.gz"

# --- the page's commands --------------------------------------------------------------------------


@dataclass
class Shown:
    command: str
    lines: list[str] = field(default_factory=list)


def shown_commands() -> list[Shown]:
    """Each `$ llmcost simulate …` in a ```console block of the page, with the lines shown under it
    (the block's indentation removed, `\\` continuations joined)."""
    out: list[Shown] = []
    text = DOC.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(text):
        m = re.match(r"^(\s*)```console\s*$", text[i])
        i += 1
        if not m:
            continue
        indent = len(m.group(1))
        block: list[str] = []
        while not text[i].strip().startswith("```"):
            block.append(text[i][indent:])
            i += 1
        cur: Shown | None = None
        j = 0
        while j < len(block):
            line = block[j]
            if line.startswith("$ "):
                cmd = line[2:]
                while cmd.endswith("\\"):
                    j += 1
                    cmd = cmd[:-1].rstrip() + " " + block[j].strip()
                cur = Shown(cmd)
                out.append(cur)
            elif cur is not None and line.strip():
                cur.lines.append(line.rstrip())
            j += 1
    return out


SHOWN = shown_commands()
_outputs: dict[str, str] = {}
_stores: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One store per log for the module: each log is ingested once, not once per command."""
    _stores.append(tmp_path_factory.mktemp("case_studies"))


def run(command: str) -> str:
    """The command's terminal output at COLUMNS=100, run once per test session."""
    if command not in _outputs:
        from typer.testing import CliRunner

        from llmcost.cli import app

        args = shlex.split(command)
        assert args[0] == "llmcost", command
        db = _stores[-1] / (Path(args[2]).name + ".duckdb")
        r = CliRunner().invoke(app, [*args[1:], "--db", str(db)], env={"COLUMNS": "100"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        assert r.exit_code == 0, r.stdout + r.stderr
        _outputs[command] = r.stdout
    return _outputs[command]


def before_after(output: str) -> tuple[float, float]:
    m = re.search(r"Before \$([\d,.]+) / month  →  after \$([\d,.]+) / month", output)
    assert m, output
    return float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))


def test_the_page_runs_the_plans_of_four_articles():
    logs = {shlex.split(s.command)[2] for s in SHOWN}
    assert logs == {INVOICE, SUPPORT, CHAT_5K, SAAS_1M, MONTH1}
    assert len(SHOWN) >= 15 and all(s.lines for s in SHOWN)


@pytest.mark.parametrize("shown", SHOWN, ids=[f"{i}" for i in range(len(SHOWN))])
def test_every_line_the_page_shows_is_printed(shown: Shown):
    printed = {line.rstrip() for line in run(shown.command).splitlines()}
    missing = [line for line in shown.lines if line not in printed]
    assert not missing, f"{shown.command}\n  not printed any more: {missing}\n" + run(shown.command)


# --- an independent replay ------------------------------------------------------------------------

# $/MTok from the providers' pricing pages: input, output, cache read (0.1x), cache write 5 min
# (1.25x), cache write 1 h (2x); the caching minimum in tokens. OpenAI's GPT-4 and GPT-3.5 Turbo
# have no prompt caching.
PRICE = {
    "claude-sonnet-4-6": (3.0, 15.0, 0.30, 3.75, 6.0, 1024),
    "claude-sonnet-4-5-20250929": (3.0, 15.0, 0.30, 3.75, 6.0, 1024),
    "claude-haiku-4-5": (1.0, 5.0, 0.10, 1.25, 2.0, 4096),
    "claude-3-5-haiku": (0.80, 4.0, 0.08, 1.0, 1.6, 2048),
    "claude-opus-4-7": (5.0, 25.0, 0.50, 6.25, 10.0, 2048),
    "gpt-4": (30.0, 60.0, 0.0, 0.0, 0.0, None),
    "gpt-3.5-turbo": (0.50, 1.50, 0.0, 0.0, 0.0, None),
}


@dataclass
class Replay:
    cost: float  # USD over the log, billed (status ok) calls only
    days: float  # first to last call
    reads: int = 0  # calls that read their prefix from the cache
    writes: int = 0  # calls that wrote it

    @property
    def monthly(self) -> float:
        return self.cost * 30 / self.days


def replay(path: str, route: dict[str, str] | None = None, trim: float = 0.0, ttl_s: int | None = None,
           cap: dict[str, int] | None = None, batch: tuple[str, ...] = (), out_factor: float = 1.0) -> Replay:
    """Each call in log order: route by task type; trim floor(prefix x trim) tokens off the prefix;
    cache the prefix per (model, prefix) when it reaches the model's minimum, a read when the
    previous call with that prefix (any status) is at most `ttl_s` ago, else a write; cap the
    output; halve the price of batched calls; `out_factor` scales the output (0: input only)."""
    route, cap = route or {}, cap or {}
    last: dict[tuple[str, str], float] = {}
    r = Replay(0.0, 0.0)
    first = t = 0.0
    with gzip.open(ROOT / path, "rt", newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            t = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).timestamp()
            first = t if n == 0 else first
            task = row["task_type"]
            model = route.get(task, row["model"])
            n_in, n_out, prefix = int(row["input_tokens"]), int(row["output_tokens"]), int(row["prefix_tokens"])
            cut = math.floor(prefix * trim)
            n_in, prefix = n_in - cut, prefix - cut
            p_in, p_out, p_read, p_w5, p_w1, minimum = PRICE[model]
            read = write = 0
            if ttl_s is not None and minimum is not None:
                key = (model, row["prefix_hash"])
                if row["status"] == "ok" and prefix >= minimum:
                    if key in last and t - last[key] <= ttl_s:
                        read, r.reads = prefix, r.reads + 1
                    else:
                        write, r.writes = prefix, r.writes + 1
                last[key] = t
            n_out = min(n_out, cap.get(task, n_out))
            if row["status"] != "ok":
                continue
            p_write = p_w5 if ttl_s == 300 else p_w1
            usd = ((n_in - read - write) * p_in + read * p_read + write * p_write
                   + n_out * p_out * out_factor) / 1e6
            r.cost += usd * (0.5 if task in batch else 1.0)
    r.days = (t - first) / 86_400
    return r


def printed(command_part: str) -> tuple[float, float]:
    """Before / after per month that the page's command containing `command_part` prints."""
    [shown] = [s for s in SHOWN if s.command.endswith(command_part)]
    return before_after(run(shown.command))


def cents(x: float) -> float:
    return round(x + 1e-9, 2)


PAGE = DOC.read_text(encoding="utf-8")
HAIKU = "claude-haiku-4-5"


def test_article_000_invoice_pipeline():
    # By hand, one document before: 3 x 4,000 prompt + 3 x 900 document + 240 extracted fields =
    # 14,940 in x $3 + (240 + 12 + 600) out x $15 = $0.04482 + $0.01278 = $0.0576; x 80,000 = $4,608.
    base = replay(INVOICE)
    assert abs(base.cost - 80_000 * 0.0576) / base.cost < 0.01
    # After (Haiku 4.5 for extract and classify: its 4,096 minimum is above the 1,800-token prompt,
    # so no caching there; summaries on Sonnet, batch, the cached prompt read at $3 x 0.1 x 0.5):
    # extract 2,700 x $1 + 240 x $5 = $0.0039; classify 2,700 x $1 + 12 x $5 = $0.00276;
    # summarize 1,800 x $0.15 + 1,140 x $1.50 + 600 x $7.50 = $0.00648 -> $0.01314 x 80,000 = $1,051.
    plan = dict(route={"extract": HAIKU, "classify": HAIKU}, trim=0.55, ttl_s=300, batch=("summarize",))
    after = replay(INVOICE, **plan)
    assert abs(after.cost - 80_000 * 0.01314) / after.cost < 0.01
    assert printed("--route extract,classify=claude-haiku-4-5 --trim-prompt 0.55 --cache auto "
                   "--batch summarize") == (cents(base.monthly), cents(after.monthly))
    assert after.reads + after.writes == 79_753  # only the summaries cache (all of them billed)
    # with Haiku 3.5's $0.80 / $4 (the article's table) the plan reaches the article's -79 %
    h35 = replay(INVOICE, **{**plan, "route": {"extract": "claude-3-5-haiku", "classify": "claude-3-5-haiku"}})
    assert printed("--route extract,classify=claude-3-5-haiku --trim-prompt 0.55 --cache auto "
                   "--batch summarize")[1] == cents(h35.monthly)
    assert round(100 * (1 - h35.cost / base.cost), 1) == 79.5
    assert round(100 * (1 - after.cost / base.cost), 1) == 77.2
    assert f"${after.cost:,.2f} for October" in PAGE


def test_article_001_support_chatbot():
    # By hand: 5,000 x (3,000 x $3 + 800 x $15) / 1M = $105.00 a day; the log's conversations
    # average 2,996.7 / 797.9 tokens, so within 1 %.
    base = replay(SUPPORT)
    assert abs(base.cost / base.days - 105.0) / 105.0 < 0.01
    assert f"${base.cost / base.days:,.2f} a day" in PAGE
    simple = ("order_status", "shipping", "account_access", "returns")
    routed = dict(route=dict.fromkeys(simple, HAIKU), ttl_s=300)
    rc = replay(SUPPORT, **routed)
    assert printed("--route order_status,shipping,account_access,returns=claude-haiku-4-5 --cache auto") == (
        cents(base.monthly), cents(rc.monthly))
    # Sonnet's 1,100-token prompt is read on almost every call (the article assumes 90 %); Haiku's
    # calls never cache (1,100 < 4,096), so every read or write is a Sonnet call
    assert (rc.reads, rc.writes) == (17_936, 186)
    assert f"{rc.reads:,} of its {rc.reads + rc.writes:,} billed calls" in PAGE
    # The article's third step, answers half as long, by hand on that run: its output halved.
    half = replay(SUPPORT, **routed, out_factor=0.5)
    # Upper bound from the article's own figures: $27.85 a day (-73.5 %); the log lands below it.
    assert 105 * (1 - 0.735) < half.cost / half.days < 105 * (1 - 0.66)
    assert f"**${half.cost / half.days:,.2f} a day, ${half.monthly:,.2f} a month, " \
           f"−{100 * (1 - half.cost / base.cost):.1f} %**" in PAGE


def test_article_003_cached_5k_prompt():
    # By hand: input 1,000 x 6,000 x $3 / 1M = $18.00 a day before; with every 5,000-token prompt
    # read from the cache, 1,000 x (5,000 x $0.30 + 1,000 x $3) / 1M = $4.50 a day.
    before = replay(CHAT_5K, out_factor=0)
    cached_1h = replay(CHAT_5K, ttl_s=3600, out_factor=0)
    cached_5m = replay(CHAT_5K, ttl_s=300, out_factor=0)
    assert abs(before.cost / before.days - 18.0) / 18.0 < 0.01
    assert abs(cached_1h.cost / cached_1h.days - 4.50) / 4.50 < 0.02
    assert cached_1h.writes == 1 and cached_5m.writes == 341  # 1 h never lapses; 5 min does at night
    for r in (before, cached_5m, cached_1h):
        assert f"${r.cost / r.days:,.2f} a day" in PAGE
    full = replay(CHAT_5K, ttl_s=3600)  # --cache-ttl auto picks the 1-hour TTL for the prompt
    assert printed("--cache auto --cache-ttl auto")[1] == cents(full.monthly)


def test_article_003_saas_stack():
    # $50,000 / 30M calls = $0.00167 a call: on Sonnet that is under 556 input tokens, below every
    # Anthropic caching minimum, so the cache step is $0 and only routing and batch move the bill.
    base = replay(SAAS_1M)
    assert abs(base.monthly - 50_000) / 50_000 < 0.02
    plan = dict(route={"classification": HAIKU, "extraction": HAIKU, "summarization": HAIKU,
                       "code_review": "claude-opus-4-7"},
                ttl_s=300, cap=dict.fromkeys(("classification", "extraction", "summarization", "chat"), 300),
                batch=("summarization",))
    after = replay(SAAS_1M, **plan)
    assert after.reads + after.writes == 0
    assert printed("--batch summarization") == (cents(base.monthly), cents(after.monthly))
    # to reach $10k a month a semantic cache would have to take 1 - 10,000 / after of what is left
    assert f"{100 * (1 - 10_000 / after.monthly):.1f} %" in PAGE


def test_article_004_month_one_to_two():
    # By hand, month 1: 500K requests x ~$0.03 = ~$15,000 (sizes chosen for it).
    base = replay(MONTH1)
    assert abs(base.monthly - 15_000) / 15_000 < 0.01
    gpt35 = "gpt-3.5-turbo"
    after = replay(MONTH1, route={"simple_classification": gpt35, "extraction": gpt35}, trim=0.77,
                   ttl_s=300, cap=dict.fromkeys(("simple_classification", "extraction", "reasoning",
                                                 "content_generation"), 200))
    assert after.reads + after.writes == 0  # GPT-4 / GPT-3.5 have no prompt caching at OpenAI
    assert printed("--trim-prompt 0.77 --cache auto --cap-output 200") == (cents(base.monthly),
                                                                           cents(after.monthly))
    # the stated savings compound: 1 - 0.70 x 0.55 x 0.85 x 0.90 = 70.5 %, month 2 = $5,301
    assert "**70.5 %**" in PAGE and "**$5,301**" in PAGE
    # the FAQ pre-filter by hand on the plan: 0.65 x plan, and x 1.2 for month 2's 600K requests
    assert f"0.65 × ${after.monthly:,.2f} = ${0.65 * after.monthly:,.2f}" in PAGE
    assert f"${0.65 * after.monthly * 1.2:,.2f} at month 2's 600K" in PAGE
