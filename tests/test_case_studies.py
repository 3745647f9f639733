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
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "case-studies.md"
INVOICE = "sample_logs/invoice_pipeline.csv.gz"
SUPPORT = "sample_logs/support_chatbot.csv.gz"
CHAT_5K = "sample_logs/case_studies/a003_chat_5k_prompt.csv.gz"
CHAT_20 = "sample_logs/case_studies/a002_chat_20_turns.csv.gz"
CLASSIFY_5M = "sample_logs/case_studies/a003_classify_5m.csv.gz"
SAAS_1M = "sample_logs/case_studies/a003_saas_1m_calls.csv.gz"
MONTH1 = "sample_logs/case_studies/a004_month1.csv.gz"

# --- the page's commands --------------------------------------------------------------------------


@dataclass
class Shown:
    command: str
    lines: list[str] = field(default_factory=list)


def shown_commands() -> list[Shown]:
    """Each `$ llmcost …` (simulate, recommend, breakeven) in a ```console block of the page, with
    the lines shown under it (the block's indentation removed, `\\` continuations joined)."""
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
    # the 30-day run rate; from a log shorter than a day (no run rate) the log's own figures
    m = re.search(r"(?:30-day run rate|In the period): before \$([\d,.]+)  →  after \$([\d,.]+)", output)
    assert m, output
    return float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))


def test_the_page_runs_the_plans_of_five_articles():
    logs = {shlex.split(s.command)[2] for s in SHOWN}
    assert logs == {INVOICE, SUPPORT, CHAT_20, CHAT_5K, SAAS_1M, CLASSIFY_5M, MONTH1}
    commands = {shlex.split(s.command)[1] for s in SHOWN}
    assert commands == {"simulate", "recommend", "breakeven"}
    assert len(SHOWN) >= 25 and all(s.lines for s in SHOWN)
    # every lever of this release has its section; only the one still to come is marked so
    assert "coming in this release" not in PAGE


def test_the_case_study_logs_are_what_the_generator_writes():
    r = subprocess.run([sys.executable, str(ROOT / "sample_logs" / "case_studies.py"), "--check"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


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
    # OpenAI's fine-tuned gpt-4o-mini, per token (its caching is not replayed here)
    "ft:gpt-4o-mini-2024-07-18": (0.30, 1.20, 0.0, 0.0, 0.0, None),
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
           cap: dict[str, int] | None = None, batch: tuple[str, ...] = (), out_factor: float = 1.0,
           tasks: tuple[str, ...] | None = None, cascade: tuple[tuple[str, ...], str, Fraction] | None = None,
           window: int | None = None, summary: int = 0, summary_model: str | None = None,
           cap_input: int | None = None, skip: frozenset[int] = frozenset()) -> Replay:
    """Each call in log order (only `tasks`, when given, as `--task` does): route by task type;
    cascade (task types, cheap model, escalation rate): the call is first made on the cheap model,
    and the i-th answered call of its task type also on its own model when
    floor(i x rate) > floor((i - 1) x rate); trim floor(prefix x trim) tokens off the prefix;
    history window: the conversation's first call is its base, the rest of the input is history,
    kept at `window` (+ `summary`) tokens, each cut call adding a summary call that reads what was
    dropped since the previous call (+ the previous summary) and writes `summary` tokens; cap the
    input beyond the prefix; cache the prefix per (model, prefix) when it reaches the model's
    minimum, a read when the previous call with that prefix (any status) is at most `ttl_s` ago,
    else a write; cap the output; halve the price of batched calls; `out_factor` scales the
    output (0: input only); `skip`: data-row numbers answered without a model call (not billed)."""
    route, cap = route or {}, cap or {}
    last: dict[tuple[str, str], float] = {}
    conv: dict[str, tuple[int, int, bool]] = {}  # conversation -> base, previous drop, previous cut
    escalations: dict[str, int] = {}  # task type -> answered calls so far in the cascade
    r = Replay(0.0, 0.0)
    first = t = 0.0
    n = 0
    with gzip.open(ROOT / path, "rt", newline="") as f:
        for line, row in enumerate(csv.DictReader(f)):
            task = row["task_type"]
            if tasks is not None and task not in tasks:
                continue
            t = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).timestamp()
            first = t if n == 0 else first
            n += 1
            ok = row["status"] == "ok" and line not in skip
            model = route.get(task, row["model"])
            n_in, n_out, prefix = int(row["input_tokens"]), int(row["output_tokens"]), int(row["prefix_tokens"])
            cut = math.floor(prefix * trim)
            n_in, prefix = n_in - cut, prefix - cut
            attempts = [model]
            if cascade is not None and ok and task in cascade[0]:
                i = escalations[task] = escalations.get(task, 0) + 1
                rate = cascade[2]
                attempts = [cascade[1]] + ([model] if math.floor(i * rate) > math.floor((i - 1) * rate) else [])
            if window is not None and row["conversation_id"]:
                base, p_drop, p_cut = conv.setdefault(row["conversation_id"], (max(prefix, n_in), 0, False))
                is_cut = n_in - base > window + summary
                drop = n_in - base - window if is_cut else 0
                if is_cut:
                    n_in = base + window + summary
                    if summary and ok:
                        s_in = max(drop - p_drop, 0) + (summary if p_cut else 0)
                        s_price = PRICE[summary_model or model]
                        r.cost += (s_in * s_price[0] + summary * s_price[1]) / 1e6
                conv[row["conversation_id"]] = (base, drop, is_cut)
            if cap_input is not None:
                n_in = min(n_in, prefix + cap_input)
            n_out = min(n_out, cap.get(task, n_out))
            for m in attempts:
                p_in, p_out, p_read, p_w5, p_w1, minimum = PRICE[m]
                read = write = 0
                if ttl_s is not None and minimum is not None:
                    key = (m, row["prefix_hash"])
                    if ok and prefix >= minimum:
                        if key in last and t - last[key] <= ttl_s:
                            read, r.reads = prefix, r.reads + 1
                        else:
                            write, r.writes = prefix, r.writes + 1
                    last[key] = t
                if not ok:
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
    # one hour: too short for a run rate, so llmcost prints the hour's figures (the page × 720)
    assert printed("--batch summarization") == (cents(base.cost), cents(after.cost))
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


def csv_rows(path: str) -> list[dict[str, str]]:
    with gzip.open(ROOT / path, "rt", newline="") as f:
        return list(csv.DictReader(f))


def shown_output(command: str) -> str:
    """The output of the page's command that is exactly `command`."""
    [shown] = [s for s in SHOWN if s.command == command]
    return run(shown.command)


def test_article_002_history_window():
    # By hand, one conversation at the log's mean sizes (1,500-token prompt, 60-token messages,
    # 240-token replies carried in full, 20 turns): 20 x 1,560 + 300 x (0 + 1 + ... + 19) =
    # 88,200 input and 4,800 output tokens: $0.2646 + $0.0720 = $0.3366.
    chat = ("chat",)
    base = replay(CHAT_20, tasks=chat)
    assert abs(base.cost / 1_050 - 0.3366) / 0.3366 < 0.01
    # Dropping history beyond 900 tokens: turns 1-4 keep 0 + 300 + 600 + 900, turns 5-20 keep 900:
    # 16,200 instead of 57,000, 40,800 x $3 = $0.1224 saved, 36.4 % of $0.3366.
    drop = replay(CHAT_20, tasks=chat, window=900)
    assert abs((1 - drop.cost / base.cost) - 0.1224 / 0.3366) < 0.005
    assert printed("--task chat --history-window 900") == (cents(base.monthly), cents(drop.monthly))
    # With the 200-token summary: 1,800 + 16 x 1,100 = 19,400 kept, 37,600 x $3 = $0.1128 saved;
    # 16 summary calls read 300 + 15 x 500 = 7,800 and write 16 x 200 = 3,200 tokens:
    # 7,800 x $3 + 3,200 x $15 = $0.0714, net $0.0414 (12.3 %); on Haiku 4.5, 7,800 x $1 +
    # 3,200 x $5 = $0.0238, net $0.0890 (26.4 %).
    summ = replay(CHAT_20, tasks=chat, window=900, summary=200)
    assert abs((1 - summ.cost / base.cost) - 0.0414 / 0.3366) < 0.005
    assert printed("--history-window 900 --summarize") == (cents(base.monthly), cents(summ.monthly))
    haiku = replay(CHAT_20, tasks=chat, window=900, summary=200, summary_model=HAIKU)
    assert abs((1 - haiku.cost / base.cost) - 0.0890 / 0.3366) < 0.005
    assert printed("--summary-model claude-haiku-4-5") == (cents(base.monthly), cents(haiku.monthly))
    # The article's 80 %: the 20th turn's history, 19 x 300 = 5,700 tokens, becomes 200 + 900
    by_conv: dict[str, list[int]] = {}
    for row in csv_rows(CHAT_20):
        if row["task_type"] == "chat":
            by_conv.setdefault(row["conversation_id"], []).append(int(row["input_tokens"]))
    assert len(by_conv) == 1_050 and {len(v) for v in by_conv.values()} == {20}
    h20 = sum(v[19] - v[0] for v in by_conv.values()) / len(by_conv)
    assert abs(h20 - 5_700) / 5_700 < 0.01 and f"({h20:,.0f} on the log)" in PAGE
    assert round(100 * (1 - 1_100 / 5_700)) == 81 and round(100 * (1 - 19_400 / 57_000)) == 66
    # recommend's window: what the 3rd turn carries (two exchanges, ~600), median rounded up to 100
    h3 = sorted(v[2] - v[0] for v in by_conv.values())
    window = math.ceil((h3[524] + h3[525]) / 2 / 100) * 100
    everything = replay(CHAT_20)
    alone = everything.monthly - replay(CHAT_20, window=window).monthly
    rec = shown_output(f"llmcost recommend {CHAT_20}")
    # at 100 columns a block per lever: `1  history window · chat: last 600 tokens`, then its figures
    assert re.search(rf"1  history window · chat: last {window} tokens\n +[\d,]+ calls · "
                     rf"\${alone:,.2f} / 30 days alone · estimated", rec), rec


def test_recommend_plan_on_the_page_is_reproduced_by_its_simulate_line():
    # the plan's last line names the simulate options that give the same bill, to the cent
    from typer.testing import CliRunner

    from llmcost.cli import app

    rec = shown_output(f"llmcost recommend {CHAT_20}")
    _, after = before_after(rec)
    m = re.search(r"same plan, step by step: (llmcost simulate .*?)\n\s*\n", rec, re.S)
    assert m, rec
    args = shlex.split(" ".join(m.group(1).split()))
    db = _stores[-1] / (Path(CHAT_20).name + ".duckdb")  # the store the recommend run filled
    r = CliRunner().invoke(app, [*args[1:], "--db", str(db)], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.stdout
    assert before_after(r.stdout)[1] == after


def test_article_002_rag_top_k():
    # By hand: a ~40-token question and 5 x 500 chunks after the prompt, capped at 550:
    # 1,990 fewer tokens x $3 = $0.00597 a call, x 600 a day x 30 = $107.46 a month.
    rag = ("doc_qa",)
    base, capped = replay(CHAT_20, tasks=rag), replay(CHAT_20, tasks=rag, cap_input=550)
    assert printed("--task doc_qa --cap-input 550") == (cents(base.monthly), cents(capped.monthly))
    assert abs((base.monthly - capped.monthly) - 107.46) / 107.46 < 0.01


def test_article_003_fine_tuning():
    # By hand: 5M calls a month x $0.005 = $25,000 on Sonnet (sizes chosen for it:
    # 1,625 x $3 + 8 x $15 = $0.004995 a call).
    api = replay(CLASSIFY_5M)
    assert abs(api.monthly - 25_000) / 25_000 < 0.01
    out = shown_output(f"llmcost breakeven {CLASSIFY_5M}")
    # one hour is too short for a 30-day run rate: breakeven sizes the GPU and the training but makes
    # no monthly comparison; the page works the month by hand (the hour's figures × 720)
    assert "no 30-day run rate (calls span 60 min: too short for a run rate)" in " ".join(out.split())
    # One H100 rented all month: $2.79 x 720 h x (1 + 30 % overhead) = $2,611.44; the $200 setup
    # pays back in 200 / (saving / 30) days.
    gpu = 2.79 * 720 * 1.3
    saving = api.monthly - gpu
    assert f"${gpu:,.2f}" in out and f"${saving:,.2f}" in PAGE
    assert f"{200 / (saving / 30) * 24:.1f} hours" in PAGE
    # the load: the answered calls' tokens over the log's span, all inside one clock hour
    rows = csv_rows(CLASSIFY_5M)
    times = [datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")).timestamp() for r in rows]
    tokens = sum(int(r["input_tokens"]) + int(r["output_tokens"]) for r in rows if r["status"] == "ok")
    tps = tokens / (times[-1] - times[0])
    assert f"{tps:,.0f} tokens a second" in PAGE and f"{7_132 / tps:.2f} × the average" in PAGE
    # a hosted fine-tune (gpt-4o-mini, $0.30 / $1.20) on the same calls
    ft = replay(CLASSIFY_5M, route={"classification": "ft:gpt-4o-mini-2024-07-18"})
    assert f"${ft.monthly:,.2f}" in PAGE
    # routing to Haiku 4.5 costs a third ($1 / $5 against $3 / $15), no training, no GPU
    haiku = replay(CLASSIFY_5M, route={"classification": HAIKU})
    assert abs(haiku.cost / api.cost - 1 / 3) < 1e-9
    assert printed(f"{CLASSIFY_5M} --route claude-haiku-4-5") == (cents(api.cost), cents(haiku.cost))
    assert f"**${haiku.monthly - gpu:,.0f} a month**" in PAGE


def test_article_004_cascade_fine_tuning_self_hosting():
    gpt35 = "gpt-3.5-turbo"
    everything = ("simple_classification", "extraction", "reasoning", "content_generation")
    base = replay(MONTH1)
    # Cascade: every request tried on GPT-3.5, 30 % also sent to GPT-4. By hand on the average
    # request: $0.00058 + 0.30 x $0.0299 = $0.00955, -68 % against $0.0299.
    casc = replay(MONTH1, cascade=(everything, gpt35, Fraction(3, 10)))
    assert printed("--cascade gpt-3.5-turbo --escalate-rate 0.3") == (cents(base.monthly), cents(casc.monthly))
    assert abs((1 - casc.cost / base.cost) - (1 - 0.00955 / 0.0299)) < 0.01
    # after the route, on the two task types left on GPT-4, with the prompt trimmed and capped
    plan = replay(MONTH1, route={"simple_classification": gpt35, "extraction": gpt35},
                  cascade=(("reasoning", "content_generation"), gpt35, Fraction(3, 10)), trim=0.77,
                  cap=dict.fromkeys(everything, 200))
    assert printed("--escalate-rate 0.3 --trim-prompt 0.77 --cap-output 200") == (cents(base.monthly),
                                                                                   cents(plan.monthly))
    # month 2 has 600K requests instead of 500K
    assert f"1.2 × ${plan.monthly:,.2f} = **${1.2 * plan.monthly:,.2f}**" in PAGE
    # Fine-tuning the classification: the same calls on fine-tuned gpt-4o-mini ($0.30 / $1.20);
    # the article's $400 per 1M requests is 667 x $0.30 + 164 x $1.20 = $397.
    cls = ("simple_classification",)
    api, ft = replay(MONTH1, tasks=cls), replay(MONTH1, tasks=cls, route={cls[0]: "ft:gpt-4o-mini-2024-07-18"})
    out = shown_output(f"llmcost breakeven {MONTH1} --task simple_classification")
    assert f"${api.monthly:,.2f}" in out and f"${ft.monthly:,.2f}" in out
    assert f"${ft.monthly:,.2f} against ${api.monthly:,.2f} is −{100 * (1 - ft.cost / api.cost):.1f} %" in PAGE
    # Self-hosting on one H100 ($2,611.44 a month + $200 setup over 12 months): it pays from
    # (2,611.44 + 200 / 12) / (the API's cost a request) requests a month.
    fixed = 2.79 * 720 * 1.3 + 200 / 12
    per_day = {}
    for task in everything:
        t = replay(MONTH1, tasks=(task,))
        billed = sum(1 for r in csv_rows(MONTH1) if r["task_type"] == task and r["status"] == "ok")
        per_day[task] = fixed / (t.cost / billed) / 30
    assert (round(min(per_day.values()), -2), round(max(per_day.values()), -2)) == (2_300, 5_400)
    assert "from 2,300 to 5,400 requests a day" in PAGE
    # the whole month-1 traffic: $14,883.23 / 500K = $0.02977 a request; two GPUs double the fixed cost
    whole = base.monthly / 500_000
    assert f"**{round(fixed / whole / 30, -1):,.0f} a day**" in PAGE
    assert f"{round((fixed + 2.79 * 720 * 1.3) / whole / 30, -1):,.0f} a day" in PAGE


# --- the near-duplicate cache and FAQ deflection (articles 003 and 004) -----------------------------


def word_pairs(text: str) -> frozenset[str]:
    """The prompt's words (lower case, split at anything but letters and digits), as 2-word pairs."""
    words = re.findall(r"[^\W_]+", text.lower())
    return frozenset(words if len(words) < 2 else [f"{a} {b}" for a, b in pairwise(words)])


def near_duplicates(path: str, threshold: Fraction = Fraction(9, 10), window_s: int = 3600) -> frozenset[int]:
    """Data-row numbers a near-duplicate cache answers, replayed by brute force: per task type (one
    model per task, the system prompt fixed), in time order, a billed call with prompt text is a
    hit when an entry made at most `window_s` before it shares >= `threshold` of the word pairs
    (Jaccard); a miss becomes an entry, a hit does not. Candidates are found exactly: B with
    J(A, B) >= t holds at least ceil(t |A|) of A's pairs, so it holds one of any
    |A| - ceil(t |A|) + 1 of them (A's rarest are looked up)."""
    rows = [(i, r) for i, r in enumerate(csv_rows(path)) if r["status"] == "ok" and r.get("prompt")]
    pairs = {i: word_pairs(r["prompt"]) for i, r in rows}
    freq: dict[str, int] = {}
    for p in pairs.values():
        for w in p:
            freq[w] = freq.get(w, 0) + 1
    hits: set[int] = set()
    by_task: dict[str, list[tuple[float, int]]] = {}
    for i, r in rows:
        t = datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")).timestamp()
        by_task.setdefault(r["task_type"], []).append((t, i))
    for calls in by_task.values():
        live: dict[int, float] = {}  # entry -> time made (insertion order = time order)
        postings: dict[str, set[int]] = {}
        for t, i in sorted(calls):
            for e in [e for e, te in live.items() if te < t - window_s]:
                del live[e]
                for w in pairs[e]:
                    postings[w].discard(e)
            mine = pairs[i]
            k = len(mine) - math.ceil(threshold * len(mine)) + 1
            cands = set().union(*(postings.get(w, set()) for w in sorted(mine, key=lambda w: (freq[w], w))[:k]))
            if any(len(mine & pairs[c]) / len(mine | pairs[c]) >= threshold for c in cands):
                hits.add(i)
            else:
                live[i] = t
                for w in mine:
                    postings.setdefault(w, set()).add(i)
    return frozenset(hits)


def deflected(path: str, share: Fraction) -> frozenset[int]:
    """Data-row numbers FAQ deflection answers: per task type, the answered calls in time order
    (file order on ties), call r picked when floor(r x share) > floor((r - 1) x share)."""
    by_task: dict[str, list[int]] = {}
    for i, r in enumerate(csv_rows(path)):
        if r["status"] == "ok":
            by_task.setdefault(r["task_type"], []).append(i)  # the log is in time order
    return frozenset(i for calls in by_task.values() for r, i in enumerate(calls, 1)
                     if math.floor(r * share) > math.floor((r - 1) * share))


def test_article_003_semantic_cache_on_the_saas_stack():
    rows = csv_rows(SAAS_1M)
    chat = [r for r in rows if r["task_type"] == "chat" and r["status"] == "ok"]
    assert all(r["prompt"] for r in chat) and not any(r["prompt"] for r in rows if r["task_type"] != "chat")
    faq = [r for r in chat if "(order " not in r["prompt"]]  # own-case questions carry an order number
    assert (len(chat), len(faq)) == (10_328, 3_647)
    assert abs(len(faq) / len(chat) - 0.35) < 0.01  # article 004's 35 %, as the page says
    hits = near_duplicates(SAAS_1M)
    assert all("(order " not in rows[i]["prompt"] for i in hits)  # order numbers differ: never >= 0.9
    # one hour at 1M calls a day: 3,647 FAQ questions over 51 wordings (x greetings), so nearly
    # every question after the first of its wording is a hit
    assert len(hits) == 3_245 and 0.85 < len(hits) / len(faq) < 0.95
    assert f"{len(hits):,} of them ({100 * len(hits) / len(faq):.0f} %)" in PAGE
    plan = dict(route={"classification": HAIKU, "extraction": HAIKU, "summarization": HAIKU,
                       "code_review": "claude-opus-4-7"},
                ttl_s=300, cap=dict.fromkeys(("classification", "extraction", "summarization", "chat"), 300),
                batch=("summarization",))
    before, after = replay(SAAS_1M, **plan), replay(SAAS_1M, **plan, skip=hits)
    assert printed("--batch summarization --similar-cache 0.9") == (cents(replay(SAAS_1M).cost),
                                                                   cents(after.cost))
    # by hand: a chat call is ~320 in / ~55 out on Sonnet, (320 x $3 + 55 x $15) / 1M = $0.001785;
    # x 3,245 hits x 720 hours = $4,171 a month
    assert abs((before.monthly - after.monthly) - 3_245 * 0.001785 * 720) / 4_171 < 0.01
    # the ceiling: chat is all the cache can reach; without it the plan is still above $10k
    chat_m = replay(SAAS_1M, tasks=("chat",)).monthly
    assert printed("--task chat --similar-cache 0.9")[0] == cents(replay(SAAS_1M, tasks=("chat",)).cost)
    assert before.monthly - chat_m > 10_000
    assert f"${before.monthly:,.2f} − ${chat_m:,.2f} = **${before.monthly - chat_m:,.2f}**" in PAGE
    assert f"**${after.monthly:,.2f} (−{100 * (1 - after.monthly / replay(SAAS_1M).monthly):.1f} %)**" in PAGE


def test_article_004_faq_deflection_and_near_duplicates():
    rows = csv_rows(MONTH1)
    ok = [r for r in rows if r["status"] == "ok"]
    faq = [r for r in ok if "(order " not in r["prompt"]]
    assert all(r["prompt"] for r in rows) and (len(ok), len(faq)) == (33_214, 11_495)
    base = replay(MONTH1)
    # --deflect 0.35 = 7/20: per task type, calls 3, 6, 9, 12, 15, 18, 20 of every 20 answered
    picked = deflected(MONTH1, Fraction(7, 20))
    assert len(picked) == 11_624  # sum over the 4 task types of floor(n x 7 / 20): 35 % of 33,214
    alone = replay(MONTH1, skip=picked)
    assert printed("a004_month1.csv.gz --deflect 0.35") == (cents(base.monthly), cents(alone.monthly))
    # by hand: 0.35 x $14,883.23 = $5,209; the article's "~$4K" needs 4,000 / 5,209 = 0.77 of it
    assert abs((base.monthly - alone.monthly) - 0.35 * base.monthly) / base.monthly < 0.005
    assert round(4_000 / (0.35 * base.monthly), 2) == 0.77
    # on top of the plan: ~0.65 x $4,672.59 = $3,037.18; x 1.2 for month 2 stays above $3,200
    gpt35 = "gpt-3.5-turbo"
    plan = dict(route={"simple_classification": gpt35, "extraction": gpt35}, trim=0.77,
                cap=dict.fromkeys(("simple_classification", "extraction", "reasoning", "content_generation"), 200))
    stacked = replay(MONTH1, **plan, skip=picked)
    assert printed("--cap-output 200 --deflect 0.35") == (cents(base.monthly), cents(stacked.monthly))
    assert abs(stacked.monthly - 0.65 * replay(MONTH1, **plan).monthly) / stacked.monthly < 0.005
    assert 1.2 * stacked.monthly > 3_200 and f"**${1.2 * cents(stacked.monthly):,.2f}**" in PAGE
    # a word-pair cache: ~60 FAQ questions per task type and hour (11,495 / (2 days x 24 h x 4)),
    # over 51 wordings, so most are a first ask in their hour: 42.8 % of the FAQs hit, not all
    hits = near_duplicates(MONTH1)
    assert len(hits) == 4_924 and all("(order " not in rows[i]["prompt"] for i in hits)
    assert round(100 * len(hits) / len(faq), 1) == 42.8 and round(100 * len(hits) / len(ok), 1) == 14.8
    cached = replay(MONTH1, skip=hits)
    assert printed("a004_month1.csv.gz --similar-cache 0.9") == (cents(base.monthly), cents(cached.monthly))
    # by hand: 14.8 % of the bill, 0.148 x $14,883.23 = $2,206 (the hit calls cost about the average)
    assert abs((base.monthly - cached.monthly) - len(hits) / len(ok) * base.monthly) / 2_206 < 0.03
