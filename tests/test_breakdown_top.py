"""`analyze --by conversation` over every conversation (issue 15, item 3): the top N keys with
their tokens, and every other key summed in one rest row (summed in DuckDB), in the table, in
Markdown and in JSON (`by_<dim>_rest`, null when nothing is left out).

Fixture: tests/data/breakdowns/conversations.csv (8 calls written by hand). Claude Sonnet 4.5:
$3 / MTok input, $15 / MTok output, so a call costs 3 µ$ per input and 15 µ$ per output token:
  c1: k1, k2  1,000 in / 100 out each = 3,000 + 1,500 = 4,500 µ$ each → 9,000 µ$, 2 calls
  c2: k3      2,000 / 200 = 6,000 + 3,000                          → 9,000 µ$, 1 call
  c3: k4        500 / 50  = 1,500 + 750                            → 2,250 µ$
  c4: k5        400 / 40  = 1,200 + 600 = 1,800 µ$; k6 errored, no tokens, not billed → 1,800 µ$
  c5: k7        100 / 10  =   300 + 150                            →   450 µ$
  k8: no conversation, no tenant: 10,000 / 0                       → 30,000 µ$
  total 9,000 + 9,000 + 2,250 + 1,800 + 450 + 30,000 = 52,500 µ$
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

CONV = str(Path(__file__).resolve().parent / "data" / "breakdowns" / "conversations.csv")


def run(*args: str) -> str:
    from llmcost.cli import app

    r = CliRunner().invoke(app, ["analyze", CONV, *args, "--db", ":memory:"], env={"COLUMNS": "100"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.stdout


def test_json_top_conversations_and_the_rest_summed():
    import json

    d = json.loads(run("--by", "conversation", "--top", "2", "-f", "json"))
    rows = d["by_conversation"]
    # c1 and c2 both cost 9,000 µ$: c1 first, with more calls
    assert [(r["conversation"], r["calls"], r["input_tokens"], r["output_tokens"]) for r in rows] == \
        [("c1", 2, 2000, 200), ("c2", 1, 2000, 200)]
    assert rows[0]["cost_usd"] == pytest.approx(0.009) and rows[0]["avg_input_tokens"] == 1000
    rest = d["by_conversation_rest"]
    # c3, c4, c5: 4 calls (1 errored), 2,250 + 1,800 + 450 = 4,500 µ$ = 8.571 % of 52,500;
    # input 500 + 400 + 0 + 100 = 1,000, output 50 + 40 + 0 + 10 = 100; 3 billed calls
    assert rest["keys"] == 3 and rest["calls"] == 4 and rest["errored_calls"] == 1
    assert rest["cost_usd"] == pytest.approx(0.0045)
    assert rest["share_pct"] == pytest.approx(100 * 4500 / 52500)
    assert (rest["input_tokens"], rest["output_tokens"], rest["billed_calls"]) == (1000, 100, 3)
    assert rest["avg_input_tokens"] == pytest.approx(1000 / 3)
    # the call without a conversation is in no conversation row
    assert sum(r["calls"] for r in rows) + rest["calls"] == 7
    # tenants: (none) 30,000 µ$, t1 18,000 µ$; t2 2,250 and t3 1,800 + 450 summed: 2 keys, 4,500 µ$
    assert [r["tenant"] for r in d["by_tenant"]] == [None, "t1"]
    assert d["by_tenant_rest"]["keys"] == 2 and d["by_tenant_rest"]["cost_usd"] == pytest.approx(0.0045)
    # task types (a few keys, cut by --top as well): z 34,500, x 9,000 (2 calls), y 9,000 (1 call) left
    assert [r["task_type"] for r in d["by_task_type"]] == ["z", "x"]
    assert (d["by_task_type_rest"]["keys"], d["by_task_type_rest"]["input_tokens"]) == (1, 2000)
    assert d["by_model_rest"] is None  # one model: nothing left out
    # Pareto over every task type, whatever --top shows: z + x = 43,500 of 52,500 µ$ = 82.9 % ≥ 80 %
    assert {"dimension": "task_type", "keys": 2, "of_keys": 3,
            "share_pct": pytest.approx(100 * 43500 / 52500)} in d["pareto"]


def test_default_lists_up_to_ten_conversations():
    import json

    d = json.loads(run("-f", "json"))
    assert [r["conversation"] for r in d["by_conversation"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert d["by_conversation_rest"] is None
    assert d["by_conversation"][3]["errored_calls"] == 1  # c4


def test_table_and_markdown_rest_row():
    out = run("--by", "conversation", "--top", "2")
    rest = next(line for line in out.splitlines() if "3 other conversations" in line).split()
    # 3 other conversations | 4 calls | 1 errored | $0.0045 | 8.6 % |
    # 1,000 / 3 = 333 in, 100 / 3 = 33 out per billed call
    assert rest[3:] == ["4", "1", "$0.0045", "8.6", "%", "333", "/", "33"]
    md = run("--by", "conversation", "--top", "2", "-f", "markdown")
    assert "### By conversation" in md and "### By model" not in md  # --by honoured
    assert "| 3 other conversations | 4 | 1 | $0.0045 | 8.6 % | 1,000 | 100 | 333 / 33 |" in md
