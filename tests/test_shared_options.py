"""The options the commands share are declared once (llmcost/cli/shared_options.py) and reach
each command as one ScopeOptions: the same filters select the same calls in two commands, and
two commands' --help word every shared option alike.

The log is article 000's tracker CSV shape (timestamp, model, task_type, input_tokens,
output_tokens), written here. Every call is claude-sonnet-4-5 ($3 / $15 per M tokens,
Anthropic's pricing page), 1,000 tokens in and 100 out: 1,000 × 3 / 1M + 100 × 15 / 1M =
$0.003 + $0.0015 = $0.0045 a call.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import typer
from typer.testing import CliRunner

from llmcost.cli import common  # at module level: the probe command's annotations name it
from llmcost.cli.shared_options import shared_options

CALL = Decimal("0.0045")
# Oct 1: 2 classify, 1 summarize; Oct 2: 3 classify, 1 summarize; Oct 3: 1 classify, 2 summarize
LOG = """timestamp,model,task_type,input_tokens,output_tokens
2026-10-01T09:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-01T10:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-01T11:00:00Z,claude-sonnet-4-5,summarize,1000,100
2026-10-02T09:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-02T10:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-02T11:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-02T12:00:00Z,claude-sonnet-4-5,summarize,1000,100
2026-10-03T09:00:00Z,claude-sonnet-4-5,classify,1000,100
2026-10-03T10:00:00Z,claude-sonnet-4-5,summarize,1000,100
2026-10-03T11:00:00Z,claude-sonnet-4-5,summarize,1000,100
"""
# any day with a call breaches it, so check lists every day's spend in scope
BUDGET = "check:\n  budgets:\n    - {scope: total, per: day, usd: 0.001}\n"


def usd(value: float) -> Decimal:
    return Decimal(str(value))


def test_since_and_task_select_the_same_calls_in_check_and_analyze(cli, tmp_path: Path):
    log = tmp_path / "calls.csv"
    log.write_text(LOG)
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text(BUDGET)
    filters = ("--since", "2026-10-02", "--task", "classify")

    doc = cli("analyze", str(log), *filters, "--format", "json").json()
    # classify from Oct 2: 3 calls on Oct 2 + 1 on Oct 3 = 4 calls, 4 × $0.0045 = $0.018
    assert doc["totals"]["calls"] == 4
    assert usd(doc["totals"]["cost_usd"]) == 4 * CALL
    assert [(d["day"], d["calls"]) for d in doc["by_day"]] == [("2026-10-02", 3), ("2026-10-03", 1)]
    assert [t["task_type"] for t in doc["by_task_type"]] == ["classify"]

    r = cli("check", "--config", str(cfg), *filters, "--format", "json")  # the store holds the log now
    assert r.exit_code == 1, r.stderr
    # the same calls, day by day: Oct 2 3 × $0.0045 = $0.0135, Oct 3 1 × $0.0045 = $0.0045; Oct 1
    # is before --since; summarize's calls are not counted
    breaches = [(b["day"], usd(b["value"])) for b in r.json()["breaches"]]
    assert breaches == [("2026-10-02", 3 * CALL), ("2026-10-03", 1 * CALL)]

    # without the filters both see all 10 calls: Oct 1 3 calls, Oct 2 4, Oct 3 3
    assert cli("analyze", "--format", "json").json()["totals"]["calls"] == 10
    every_day = cli("check", "--config", str(cfg), "--format", "json").json()["breaches"]
    assert [(b["day"], usd(b["value"])) for b in every_day] == [
        ("2026-10-01", 3 * CALL), ("2026-10-02", 4 * CALL), ("2026-10-03", 3 * CALL)]


SHARED = ["--db", "--format", "--since", "--until", "--model", "--provider", "--feature", "--task", "--tenant",
          "--source", "--map", "--start", "--input-excludes-cache", "--pricing", "--config", "--quiet", "--table",
          "--debug"]


def help_entries(*args: str) -> dict[str, str]:
    """The Options section of `llmcost ARGS --help`: each option's long name → its entry (names,
    metavar, help, default) with the whitespace of the wrapping collapsed."""
    from llmcost.cli import app

    r = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    section = r.output.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    entries: dict[str, str] = {}
    for block in re.split(r"\n(?=  -)", section):
        names = re.findall(r"--[a-z][a-z-]*", block.split("  ", 2)[1])
        entries[names[0]] = " ".join(block.split())
    return entries


def test_two_commands_word_the_shared_options_alike():
    check, simulate = help_entries("check"), help_entries("simulate")
    assert [o for o in check if o != "--help"] == SHARED  # check takes every shared option, in this order
    assert [o for o in simulate if o in SHARED] == SHARED
    for option in SHARED:
        assert check[option] == simulate[option], option
    assert check["--since"].startswith("--since DATE From this date (2026-10-15), month (2026-10)")
    # a command takes only the shared options it names, worded the same: diff has no --since,
    # --until, --config or --table
    diff = help_entries("diff")
    assert [o for o in diff if o in SHARED] == [o for o in SHARED
                                                if o not in ("--since", "--until", "--config", "--table")]
    for option in diff:
        if option in SHARED:
            assert diff[option] == check[option], option


def test_a_command_gets_one_scope_options_in_the_declared_order():
    seen: list[common.ScopeOptions] = []
    app = typer.Typer(add_completion=False)

    @app.command()
    @shared_options(only=("files", "db", "mapping", "input_excludes_cache", "pricing"), after={"db": ("top",)},
                    every_column=True)
    def probe(first: str, *, o: common.ScopeOptions, top: int = 3, last: bool = False) -> None:
        seen.append(o)
        print(first, top, last)

    cmd = typer.main.get_command(app)
    assert [p.name for p in cmd.params] == ["first", "files", "db", "top", "mapping", "input_excludes_cache",
                                            "pricing", "last"]
    r = CliRunner().invoke(app, ["x", "a.csv", "b.csv", "--map", "In=input_tokens", "--input-includes-cache",
                                 "--top", "5", "--db", ":memory:"])
    assert r.exit_code == 0, r.output
    assert r.output == "x 5 False\n"
    assert seen == [common.ScopeOptions(files=["a.csv", "b.csv"], db=":memory:", mapping=["In=input_tokens"],
                                        excludes=False, every_column=True)]
