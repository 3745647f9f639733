"""`--format markdown` for recommend and simulate (issue 15, item 2): GitHub-flavoured tables
with the ranked levers, the stacked plan step by step, the simulate options that reproduce it and
the assumptions; outside text escaped so that it cannot break a table.

Log: tests/data/levers/mixed.csv (8 calls written by hand for tests/test_levers.py, whose header
comment works out its baseline)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MIXED = str(ROOT / "tests" / "data" / "levers" / "mixed.csv")


def run(*args: str) -> str:
    from llmcost.cli import app

    r = CliRunner().invoke(app, [*args, "--db", ":memory:"], env={"COLUMNS": "80"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.stdout


def cells(line: str) -> list[str]:
    """A GFM table row's cells: split on pipes that are not backslash-escaped."""
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def tables(md: str) -> list[list[list[str]]]:
    """Every table of the page as rows of cells (header first, the --- rule left out); each row
    has as many cells as its header, or the table is broken."""
    out: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            row = cells(line)
            if not all(re.fullmatch(r"-+:?|:?-+:?", c) for c in row):
                current.append(row)
        elif current:
            assert all(len(r) == len(current[0]) for r in current), current
            out.append(current)
            current = []
    return out


def row(md: str, first: str, second: str) -> list[str]:
    found = [r for t in tables(md) for r in t if r[:2] == [first, second]]
    assert len(found) == 1, (first, second, md)
    return found[0]


def test_simulate_markdown_stack_with_marginal_savings():
    md = run("simulate", MIXED, "--route", "classify=haiku", "--cap-output", "summarize=400",
             "-f", "markdown")
    # mixed.csv spans 10-01 09:00 → 10-03 13:00 = 52 h: a month is 30 × 24 / 52 = 13.846 periods.
    # baseline 105,816 µ$ (tests/test_levers.py) × 13.846 = $1.465 → $1.47
    # route classify to Haiku: s1..s3 save 3 × 8,100 = 24,300 µ$ × 13.846 = $0.336 → $0.34;
    #   bill after 81,516 µ$ × 13.846 = $1.129 → $1.13
    # cap summarize at 400: s5 cut by 100, s6 by 600 → 700 × 15 = 10,500 µ$ × 13.846 = $0.145 → $0.15;
    #   bill after 71,016 µ$ × 13.846 = $0.983 → $0.98; saved 34,800 / 105,816 = 32.9 %
    assert md.startswith("## What if")
    assert "**Before $1.47 / 30 days → after $0.98 / 30 days (−32.9 %)**" in md
    assert row(md, "0", "baseline")[5] == "$1.47 / 30 days"
    route = row(md, "1", "route")
    assert route[2] == "classify → claude-haiku-4-5" and route[3] == "3"
    assert route[4:6] == ["$0.34 / 30 days", "$1.13 / 30 days"]
    cap = row(md, "2", "cap output")
    assert cap[3:6] == ["2", "$0.15 / 30 days", "$0.98 / 30 days"]
    assert "50.0 % of calls cut" in cap[6]  # 2 of the 4 summarize calls
    assert "### Assumptions" in md and "- route: " in md and "tokenizer" in md


def test_recommend_markdown_plan_reproduce_and_assumptions():
    md = run("recommend", MIXED, "-f", "markdown")
    # worked in tests/test_render_widths.py::test_recommend_small_log: route classify saves
    # 24,300 µ$ × 13.846 = $0.34 a month alone; the response cache (s2 repeats s1) 12,150 µ$ → $0.17
    route = [r for t in tables(md) if t[0][0] == "#" for r in t if r[1] == "route"]
    assert len(route) == 1 and route[0][4] == "$0.34 / 30 days" and route[0][6] == "assumed"
    dedupe = [r for t in tables(md) if t[0][0] == "#" for r in t if r[1] == "response cache"]
    assert dedupe[0][3] == "1" and dedupe[0][4] == "$0.17 / 30 days"
    assert "### Stacked plan" in md and row(md, "0", "baseline")
    # the fenced simulate command gives the plan the JSON document names, option by option
    fence = md.split("```sh\n")[1].split("\n```")[0]
    words = shlex.split(fence.replace("\\\n", " "))
    from llmcost.cli import app

    doc = CliRunner().invoke(app, ["recommend", MIXED, "--db", ":memory:", "-f", "json"]).stdout
    import json

    assert words == ["llmcost", "simulate", *json.loads(doc)["plan"]["simulate_args"]]
    assert "### Assumptions" in md and "### Not evaluated" in md


def test_markdown_escapes_log_text_in_cells(tmp_path: Path):
    # a task type holding Markdown's own characters: its cell stays one cell, text as written
    log = tmp_path / "pipes.csv"
    log.write_text("call_id,ts,model,task_type,input_tokens,output_tokens\n"
                   "a,2026-10-01T09:00:00Z,claude-sonnet-4-5,sum|mary_*x*,5000,1000\n"
                   "b,2026-10-02T09:00:00Z,claude-sonnet-4-5,sum|mary_*x*,5000,100\n")
    md = run("simulate", str(log), "--cap-output", "sum|mary_*x*=400", "-f", "markdown")
    cap = row(md, "1", "cap output")
    assert cap[2] == r"sum\|mary\_\*x\*  at 400".replace("  ", " ")
