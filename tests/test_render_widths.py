"""recommend and simulate read at 80 columns and stay a table at 120 (issue 15, item 1): no cell
cut to `…`, no line wider than the terminal, every lever's name, scope (a route's target named in
full) and monthly figure printed whole. Rich's width is pinned through COLUMNS, as a terminal
sets it.

Logs: sample_logs/invoice_pipeline.csv.gz (the project's sample) and tests/data/levers/mixed.csv
(8 calls written by hand for tests/test_levers.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
INVOICE = str(ROOT / "sample_logs" / "invoice_pipeline.csv.gz")
MIXED = str(ROOT / "tests" / "data" / "levers" / "mixed.csv")
INVOICE_PLAN = ["--route", "extract=claude-haiku-4-5", "--dedupe", "1h", "--cache", "if-cheaper",
                "--cache-ttl", "auto", "--cap-output", "classify=16", "--cap-output", "extract=375",
                "--cap-output", "summarize=940", "--batch", "summarize"]


@cache
def run(columns: int, *args: str) -> str:
    from llmcost.cli import app

    env = {"COLUMNS": str(columns), "LLMCOST_DB": ":memory:"}
    r = CliRunner().invoke(app, [*args, "--db", ":memory:"], env=env)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.stdout


def levers_part(out: str) -> str:
    """The output down to its assumptions (their text may hold a literal `…`, as in `Flash-Lite …`)."""
    return out.split("  Assumptions:")[0]


def readable(out: str, columns: int) -> list[str]:
    lines = out.splitlines()
    too_long = [line for line in lines if len(line.rstrip()) > columns]
    assert not too_long, "\n".join(too_long)
    assert "…" not in levers_part(out), levers_part(out)
    return [line.rstrip() for line in lines]


def on_one_line(lines: list[str], *values: str) -> None:
    for value in values:
        assert any(value in line for line in lines), f"{value!r} not whole on a line:\n" + "\n".join(lines)


def words_in_order(lines: list[str], value: str) -> None:
    """Each word of `value` printed whole, in order (a table cell may wrap between words)."""
    text = " ".join(" ".join(lines).split())
    at = 0
    for word in value.split():
        at = text.find(word, at)
        assert at >= 0, f"{word!r} of {value!r} missing"
        at += len(word)


def scope_shown(scope: str) -> str:
    return ", ".join(p.strip() for p in scope.split(","))  # a comma list is printed `a, b`


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_recommend_invoice(columns: int):
    out = run(columns, "recommend", INVOICE)
    lines = readable(out, columns)
    d = json.loads(run(200, "recommend", INVOICE, "--format", "json"))
    labels = {"cache": "prompt cache", "batch": "batch API", "route": "route", "dedupe": "response cache",
              "cap_output": "cap output"}
    assert [r["lever"] for r in d["recommendations"]] == list(labels)  # the ranking the page shows
    for r in d["recommendations"]:
        on_one_line(lines, labels[r["lever"]], f"${r['savings_monthly_usd']:,.2f}", r["effort"])
        words_in_order(lines, scope_shown(r["scope"]))
        if columns == 80:  # a block each: the scope whole after the lever's name
            on_one_line(lines, f"{r['rank']}  {labels[r['lever']]} · {scope_shown(r['scope'])}")
    on_one_line(lines, "extract → claude-haiku-4-5", "$2,600.25", "$4,625.64", "$1,354.84   (-70.7 %)")
    if columns == 80:
        # before: `sc…`, `ri…` and one word a line; now each lever is a block of two lines
        on_one_line(lines, "  1  prompt cache · all calls",
                    "     239,287 calls · $2,600.25 / 30 days alone · measured · risk none")
        on_one_line(lines, "  3  route · extract → claude-haiku-4-5")
    else:
        on_one_line(lines, "  #  lever ")  # still the table
    # the chain wraps before an arrow, under its indent; the simulate line between options
    chain = [line for line in lines if line.startswith("    $4,625.64")]
    assert chain
    i = lines.index(chain[0])
    cont = [line for line in lines[i + 1:i + 3] if line.startswith("      → ")]
    assert " ".join(" ".join([chain[0], *cont]).split()) == \
        ("$4,625.64 → route $3,645.88 → response cache $3,628.70 → prompt cache $1,903.14 "
         "→ cap output $1,894.14 → batch API $1,354.84")
    start = next(i for i, line in enumerate(lines) if "same plan, step by step:" in line)
    command = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("     --"):
            break
        command.append(line)
    assert " ".join(" ".join(command).split("step by step: ")[1].split()) == \
        "llmcost simulate " + " ".join(INVOICE_PLAN)
    for line in command[1:]:  # an option never parted from its value
        assert line.split()[0].startswith("--") and not line.rstrip().endswith(tuple(
            f" {o}" for o in ("--route", "--dedupe", "--cache", "--cache-ttl", "--cap-output", "--batch")))


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_recommend_small_log(columns: int):
    # mixed.csv, Sonnet 4.5 $3 / $15 per MTok, Haiku 4.5 $1 / $5; calls from 10-01 09:00 to
    # 10-03 13:00 = 52 h, a month = 30 × 24 / 52 = 13.846 periods.
    # route classify: s1..s3 4,000 in + 10 out: 3 × (12,000 + 150) = 36,450 µ$ on Sonnet,
    #   3 × (4,000 + 50) = 12,150 µ$ on Haiku: saves 24,300 µ$ × 13.846 = $0.3365 → $0.34
    # response cache: s2 repeats s1 10 minutes later: 12,150 µ$ × 13.846 = $0.1682 → $0.17
    out = run(columns, "recommend", MIXED)
    lines = readable(out, columns)
    on_one_line(lines, "classify, provider:anthropic → claude-haiku-4-5" if columns < 120 else "route",
                "$0.34", "$0.17", "exact repeats", "response cache")
    words_in_order(lines, "classify, provider:anthropic → claude-haiku-4-5")
    if columns < 120:
        on_one_line(lines, "3 calls · $0.34 / 30 days alone · assumed", "1 call · $0.17 / 30 days alone")


@pytest.mark.parametrize("columns", [80, 120])
def test_simulate_invoice(columns: int):
    out = run(columns, "simulate", INVOICE, *INVOICE_PLAN)
    lines = readable(out, columns)
    d = json.loads(run(200, "simulate", INVOICE, *INVOICE_PLAN, "--format", "json"))
    labels = {"route": "route", "dedupe": "response cache", "cache": "prompt cache", "cap_output": "cap output",
              "batch": "batch API"}
    levers = d["levers"]
    assert [r["lever"] for r in levers] == list(labels)  # the stack order
    for r in levers:
        on_one_line(lines, labels[r["lever"]], f"${r['savings_monthly_usd']:,.2f}")
        words_in_order(lines, scope_shown(r["scope"]))
    on_one_line(lines, "extract → claude-haiku-4-5", "cache hits 53 % of input", "4.8 % of calls cut")
    if columns == 80:
        # before: `extract →` / `claude-haiku-4-` / `5` and `4.8 % of calls` / `cut` in a table
        on_one_line(lines, "  route · extract → claude-haiku-4-5", "     80,000 calls · saves $979.75 / 30 days",
                    "  cap output · classify at 16, extract at 375, summarize at 940",
                    "     158,794 calls · saves $1,725.56 / 30 days · cache hits 53 % of input")
    else:
        on_one_line(lines, "  lever (stack order)  scope")


@pytest.mark.parametrize("columns", [80, 120])
def test_simulate_small_log(columns: int):
    # route Sonnet's classify calls to Haiku: $0.34 a month (worked in test_recommend_small_log);
    # at 80 columns the table still fits with its scope wrapped between words
    out = run(columns, "simulate", MIXED, "--route", "classify,provider:anthropic=claude-haiku-4-5")
    lines = readable(out, columns)
    on_one_line(lines, "  lever (stack order)  scope", "$0.34")
    words_in_order(lines, "route classify, provider:anthropic → claude-haiku-4-5")
