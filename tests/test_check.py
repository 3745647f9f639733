"""`llmcost check` (issue 16, item 3) on logs built by hand with a known answer.

The logs are article 000's tracker CSV (timestamp, model, task_type, input_tokens,
output_tokens). Every call is claude-sonnet-4-5 ($3 / $15 per M tokens, Anthropic's pricing
page): 1,000 tokens in and 100 out cost 1,000 × 3 / 1M + 100 × 15 / 1M = $0.003 + $0.0015 =
$0.0045; 2,000 in and 100 out cost $0.006 + $0.0015 = $0.0075.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

HEADER = "timestamp,model,task_type,input_tokens,output_tokens"
CALL = Decimal("0.0045")
DOUBLED = Decimal("0.0075")


def write_log(folder: Path, days: int = 9, doubled_day: int | None = 9, extra: list[str] | None = None) -> Path:
    """Oct 1..`days`: each day two classify calls (00:00, 12:00) and two summarize calls (00:30,
    12:30), 1,000 tokens in and 100 out; on `doubled_day` the classify calls read 2,000 tokens in
    (a prompt change that doubled the context)."""
    rows = [HEADER]
    for d in range(1, days + 1):
        inp = 2000 if d == doubled_day else 1000
        for h in ("00", "12"):
            rows.append(f"2026-10-{d:02d}T{h}:00:00Z,claude-sonnet-4-5,classify,{inp},100")
            rows.append(f"2026-10-{d:02d}T{h}:30:00Z,claude-sonnet-4-5,summarize,1000,100")
    path = folder / "calls.csv"
    path.write_text("\n".join(rows + (extra or [])) + "\n")
    return path


def write_config(folder: Path, body: str) -> Path:
    path = folder / "llmcost.yaml"
    path.write_text(body)
    return path


def check(cli, log: Path, config: Path, *extra: str):
    return cli("check", str(log), "--config", str(config), "--format", "json", *extra)


SPIKE = """check:
  spikes:
    - {metric: input_tokens_per_call, scope: "task:*", above_pct: 50, baseline_days: 7}
"""


def test_a_doubled_prompt_is_flagged_on_its_day(cli, tmp_path):
    log, cfg = write_log(tmp_path), write_config(tmp_path, SPIKE)
    r = check(cli, log, cfg)
    assert r.exit_code == 1, r.stderr
    doc = r.json()
    # classify's input tokens per call on Oct 2-8 (the 7 days before Oct 9): 1,000 each day, median
    # 1,000; limit 1,000 × (1 + 50 / 100) = 1,500; Oct 9: (2,000 + 2,000) / 2 calls = 2,000 ≥ 1,500.
    # summarize stays at 1,000 = its median: no breach; Oct 1 has no earlier day, Oct 2-4 fewer
    # than half of the 7 baseline days (4 needed): not compared.
    assert doc["ok"] is False
    assert doc["breaches"] == [{"rule": "spike_input_tokens_per_call", "scope": "task:classify",
                                "day": "2026-10-09", "value": 2000.0, "limit": 1500.0, "unit": "tokens",
                                "detail": doc["breaches"][0]["detail"], "baseline": 1000.0}]
    table = cli("check", "--config", str(cfg))  # the store now holds the log
    assert table.exit_code == 1
    assert "task:classify" in table.stdout and "2026-10-09" in table.stdout and "1,500 tok" in table.stdout


def test_the_contract_keys(cli, tmp_path):
    doc = check(cli, write_log(tmp_path), write_config(tmp_path, SPIKE)).json()
    assert set(doc) >= {"ok", "breaches"} and isinstance(doc["ok"], bool)
    b = doc["breaches"][0]
    assert set(b) >= {"rule", "scope", "day", "value", "limit"}
    assert date.fromisoformat(b["day"]) == date(2026, 10, 9)


def test_a_spike_below_the_threshold_holds(cli, tmp_path):
    # 2,000 tokens is +100 %: a rule asking for +150 % (limit 1,000 × 2.5 = 2,500) holds -> exit 0
    cfg = write_config(tmp_path, SPIKE.replace("above_pct: 50", "above_pct: 150"))
    r = check(cli, write_log(tmp_path), cfg)
    assert r.exit_code == 0, r.stdout
    assert r.json()["ok"] is True and r.json()["breaches"] == []


def test_budgets_per_day_and_per_month(cli, tmp_path):
    cfg = write_config(tmp_path, """check:
  budgets:
    - {scope: "task:classify", per: day, usd: 0.01}
    - {scope: total, per: month, usd: 0.15}
""")
    doc = check(cli, write_log(tmp_path), cfg).json()
    # classify per day: Oct 1-8 2 × $0.0045 = $0.009 ≤ $0.01; Oct 9 2 × $0.0075 = $0.015 > $0.01.
    # the month: Oct 1-8 4 calls × $0.0045 = $0.018 a day, 8 × 0.018 = $0.144 ≤ $0.15; Oct 9 adds
    # $0.015 + 2 × $0.0045 = $0.024 -> $0.168 > $0.15, over from Oct 9.
    got = [(b["rule"], b["scope"], b["day"], b["value"], b["limit"]) for b in doc["breaches"]]
    assert got == [("budget_per_day", "task:classify", "2026-10-09", pytest.approx(0.015, abs=1e-12), 0.01),
                   ("budget_per_month", "total", "2026-10-09", pytest.approx(0.168, abs=1e-12), 0.15)]


def test_a_month_budget_names_the_day_it_went_over(cli, tmp_path):
    cfg = write_config(tmp_path, "check:\n  budgets:\n    - {scope: total, per: month, usd: 0.1}\n")
    doc = check(cli, write_log(tmp_path), cfg).json()
    # $0.018 a day: $0.090 after Oct 5, $0.108 after Oct 6 > $0.10; the month's $0.168 reported on Oct 6
    assert [(b["day"], b["value"]) for b in doc["breaches"]] == [("2026-10-06", pytest.approx(0.168, abs=1e-12))]


def test_since_checks_only_recent_days(cli, tmp_path):
    cfg = write_config(tmp_path, "check:\n  budgets:\n    - {scope: \"task:summarize\", per: day, usd: 0.005}\n")
    log = write_log(tmp_path)
    # summarize spends 2 × $0.0045 = $0.009 > $0.005 every day; --since 2d: Oct 8 and 9 only
    doc = check(cli, log, cfg, "--since", "2d").json()
    assert [b["day"] for b in doc["breaches"]] == ["2026-10-08", "2026-10-09"]
    assert doc["days"] == {"first": "2026-10-08", "last": "2026-10-09"}


def test_since_keeps_the_baseline_before_it(cli, tmp_path):
    # the spike on Oct 9 is still found with --since yesterday: its baseline (Oct 2-8) is before it
    doc = check(cli, write_log(tmp_path), write_config(tmp_path, SPIKE), "--since", "today").json()
    assert [(b["scope"], b["day"]) for b in doc["breaches"]] == [("task:classify", "2026-10-09")]


def test_unpriced_share(cli, tmp_path):
    # Oct 9 gets one more call, on a model no price book knows: 1 of its 5 calls = 20 % > 1 %
    log = write_log(tmp_path, doubled_day=None, extra=["2026-10-09T13:00:00Z,acme-private-7b,classify,1000,100"])
    cfg = write_config(tmp_path, "check:\n  max_unpriced_share: 0.01\n")
    r = check(cli, log, cfg)
    assert r.exit_code == 1
    assert [(b["rule"], b["scope"], b["day"], b["value"], b["limit"]) for b in r.json()["breaches"]] == [
        ("max_unpriced_share", "total", "2026-10-09", pytest.approx(0.2), 0.01)]


def test_rejected_share(cli, tmp_path):
    # one record without a model is rejected: 1 of 37 records read (36 calls + 1) ≈ 2.7 % > 1 %
    log = write_log(tmp_path, doubled_day=None, extra=["2026-10-09T13:00:00Z,,classify,1000,100"])
    cfg = write_config(tmp_path, "check:\n  max_rejected_share: 0.01\n")
    doc = check(cli, log, cfg).json()
    read = 9 * 4 + 1
    assert [(b["rule"], b["day"], b["value"]) for b in doc["breaches"]] == [
        ("max_rejected_share", "2026-10-09", pytest.approx(1 / read))]


def test_all_rules_hold(cli, tmp_path):
    cfg = write_config(tmp_path, """check:
  budgets:
    - {scope: total, per: month, usd: 5000}
    - {scope: "task:summarize", per: day, usd: 50}
  spikes:
    - {metric: cost, scope: "task:*", above_pct: 50, baseline_days: 7}
    - {metric: input_tokens_per_call, scope: "task:*", above_pct: 50, baseline_days: 7}
  max_unpriced_share: 0.01
  max_rejected_share: 0.01
""")
    for fmt in ("json", "table", "markdown"):
        r = cli("check", str(write_log(tmp_path, doubled_day=None)), "--config", str(cfg), "--format", fmt)
        assert r.exit_code == 0, (fmt, r.stdout, r.stderr)
    assert "OK: all 6 rules hold (2026-10-01 to 2026-10-09)." in r.stdout


@pytest.mark.parametrize(("body", "phrases"), [
    ("check:\n  budgets:\n    - {scope: total, per: week, usd: 5}\n",
     ("(line 3)", "check.budgets[0].per", "one of day, month", "'week'")),
    ("check:\n  spikes:\n    - metric: cost\n      scope: total\n      above_pct: 50\n      baselin_days: 7\n",
     ("(line 6)", "check.spikes[0].baselin_days", "unknown key", "Did you mean `baseline_days`?")),
    ("check:\n  max_unpriced_share: 5\n", ("(line 2)", "check.max_unpriced_share", "≤ 1")),
    ("check:\n  budgets:\n    - {scope: everything, per: day, usd: 5}\n", ("(line 3)", "check.budgets[0].scope")),
    ("check:\n  budgets:\n    - {scope: total, per: day}\n", ("check.budgets[0].usd", "missing")),
])
def test_an_invalid_check_block_is_a_configuration_error(cli, tmp_path, body, phrases):
    r = check(cli, write_log(tmp_path), write_config(tmp_path, body))
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    for phrase in phrases:
        assert phrase in r.stderr, (phrase, r.stderr)


def test_a_scope_naming_an_unknown_task_is_a_usage_error(cli, tmp_path):
    cfg = write_config(tmp_path, "check:\n  budgets:\n    - {scope: \"task:sumarize\", per: day, usd: 5}\n")
    r = check(cli, write_log(tmp_path), cfg)
    assert r.exit_code == 2
    assert "task:sumarize matches no call" in r.stderr and "did you mean summarize?" in r.stderr


def test_no_check_block_is_a_usage_error(cli, tmp_path):
    r = check(cli, write_log(tmp_path), write_config(tmp_path, "tasks:\n  classify: {batchable: true}\n"))
    assert r.exit_code == 2 and "no check rules" in r.stderr


def test_a_month_over_before_since_is_reported_on_the_first_day_checked(cli, tmp_path):
    cfg = write_config(tmp_path, "check:\n  budgets:\n    - {scope: total, per: month, usd: 0.1}\n")
    doc = check(cli, write_log(tmp_path), cfg, "--since", "3d").json()
    # over from Oct 6 ($0.108 > $0.10, as above); --since 3d checks Oct 7-9: the month, still over, on Oct 7
    assert [(b["day"], b["value"]) for b in doc["breaches"]] == [("2026-10-07", pytest.approx(0.168, abs=1e-12))]
    assert "over the budget from 2026-10-06" in doc["breaches"][0]["detail"]


def test_scopes_by_model_and_task_in_any_case(cli, tmp_path):
    cfg = write_config(tmp_path, """check:
  budgets:
    - {scope: "model:claude-sonnet-4-5", per: day, usd: 0.02}
    - {scope: "task:Classify", per: day, usd: 0.01}
""")
    doc = check(cli, write_log(tmp_path), cfg).json()
    # the model carries every call: $0.018 a day Oct 1-8 ≤ $0.02, Oct 9 $0.024 > $0.02;
    # classify (written Classify) Oct 9: $0.015 > $0.01
    assert [(b["rule"], b["scope"], b["day"]) for b in doc["breaches"]] == [
        ("budget_per_day", "model:claude-sonnet-4-5", "2026-10-09"),
        ("budget_per_day", "task:classify", "2026-10-09")]


def test_the_table_fits_80_columns(tmp_path):
    from typer.testing import CliRunner

    from llmcost.cli import app

    log = write_log(tmp_path)
    cfg = write_config(tmp_path, SPIKE + "  budgets:\n    - {scope: total, per: month, usd: 0.1}\n")
    r = CliRunner().invoke(app, ["check", str(log), "--config", str(cfg), "--db", ":memory:"],
                           env={"COLUMNS": "80"})
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), r.stdout
    # one line per breach, each value whole: the spike (2,000 tokens, limit 1,500) and the month ($0.168 -> $0.17)
    assert any("spike_input_tokens_per_call" in x and "2026-10-09" in x and "2,000 tok" in x and "1,500 tok" in x
               for x in lines), r.stdout
    assert any("budget_per_month" in x and "2026-10-06" in x and "$0.17" in x and "$0.10" in x for x in lines)


def test_a_narrow_console_groups_the_breaches_by_rule(tmp_path):
    from typer.testing import CliRunner

    from llmcost.cli import app

    # a task name long enough that rule, scope, day, value and limit no longer fit in 80 columns
    # (27 + 36 + 10 + 9 + 9 characters and 4 gaps of 2: 99)
    log = tmp_path / "calls.csv"
    rows = [HEADER] + [f"2026-10-{d:02d}T00:00:00Z,claude-sonnet-4-5,summarize_the_quarterly_reports,"
                       f"{2000 if d == 9 else 1000},100" for d in range(1, 10)]
    log.write_text("\n".join(rows) + "\n")
    cfg = write_config(tmp_path, SPIKE)
    r = CliRunner().invoke(app, ["check", str(log), "--config", str(cfg), "--db", ":memory:"], env={"COLUMNS": "80"})
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), r.stdout
    # the rule on a line of its own, then the breach whole on one line: 2,000 tokens against 1,500
    assert "spike_input_tokens_per_call" in lines
    assert any("task:summarize_the_quarterly_reports" in x and "2026-10-09" in x and "2,000 tok" in x
               and "1,500 tok" in x for x in lines), r.stdout


def test_a_value_above_its_limit_never_reads_as_equal():
    from llmcost.render.check_out import figures
    from llmcost.report.check import Breach

    # $0.0312 against $0.0305: both "$0.03" at two decimals; four decimals tell them apart
    b = Breach("spike_cost", "tenant:a", date(2026, 10, 5), Decimal("0.0312"), Decimal("0.0305"), "usd", "")
    assert figures(b) == ("$0.0312", "$0.0305")
