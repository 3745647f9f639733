"""The mistakes caught before pricing (`llmcost.scope_check`) are caught inside ClickHouse too
(issue 17): a filter value, a date range or a lever scope that matches no call of `--table`, the
filters together matching nothing, an llmcost.yaml task no call has, and an empty table. The same
options through DuckDB and through chDB give the same exit code and the same message, the store
named "the table calls" instead.

The calls are those of tests/test_scope_check.py (tests/data/levers/mixed.csv and
tests/data/generic/llm_calls.csv, see their READMEs): 12 calls; tasks classify (s1, s2, s3 on
claude-sonnet-4-5, m1 on gpt-4o-mini) and summarize; features inbox, search (2 × gpt-4o) and chat
(2 × claude-sonnet-4-5); tenants cust_1, cust_2; 2026-10-01 09:00 to 2026-10-03 13:00 UTC.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("chdb", reason="chDB (ClickHouse in-process) is not installed: pip install -e '.[test]'")
pytest.importorskip("sqlglot", reason="sqlglot is not installed: pip install -e '.[test]'")

from llmcost.pricing import clickhouse as ch_pricing
from llmcost.store_clickhouse import ClickHouse
from tests.test_check import SPIKE, write_config
from tests.test_scope_check import CALLS, MIXED
from tests.test_two_engines_commands import same_calls_in_both


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[list[str], list[str]]:
    """The --db options of the DuckDB store and of the chDB table holding the same 12 calls."""
    db, url = same_calls_in_both(tmp_path_factory.mktemp("checks"), [Path(MIXED), Path(CALLS)])
    return ["--db", db], ["--db", url, "--table", "calls"]


def same_error(cli, both, *args: str, code: int = 2) -> str:
    """Run `args` through both engines: the same exit code, and the same message once DuckDB's
    "in the store" reads "in the table calls". Returns the chDB message."""
    duck_db, click_db = both
    duck, click = cli(*args, *duck_db), cli(*args, *click_db)
    assert duck.exit_code == code, (duck.exit_code, duck.stderr)
    assert click.exit_code == code, (click.exit_code, click.stderr)
    assert click.stderr.startswith("Error: ") and "Traceback" not in click.stderr and click.stdout == ""
    assert click.stderr == duck.stderr.replace("in the store", "in the table calls")
    return click.stderr


def test_a_filter_value_that_matches_no_call_of_the_table(cli, both):
    err = same_error(cli, both, "analyze", "--task", "Clasify")
    assert "--task Clasify matches no call in the table calls; did you mean classify?" in err
    assert "Task types in the table calls: classify, summarize." in err
    assert "did you mean gpt-4o" in same_error(cli, both, "analyze", "--model", "gpt4o")
    assert "Features in the table calls: chat, inbox, search." in same_error(cli, both, "analyze", "--feature", "serch")
    assert "did you mean cust_1" in same_error(cli, both, "analyze", "--tenant", "cust1")
    assert "did you mean anthropic?" in same_error(cli, both, "analyze", "--provider", "antropic")
    assert "did you mean classify?" in same_error(cli, both, "recommend", "--task", "Clasify")
    assert "did you mean gpt-4o" in same_error(cli, both, "simulate", "--cache", "auto", "--model", "gpt4o")



def test_check_stops_on_a_filter_value_as_the_others_do(cli, both, tmp_path: Path):
    cfg = write_config(tmp_path, SPIKE)
    assert "did you mean classify?" in same_error(cli, both, "check", "--config", str(cfg), "--task", "Clasify")


def test_filters_that_each_match_but_not_together(cli, both):
    err = same_error(cli, both, "analyze", "--task", "summarize", "--model", "gpt-4o-mini")
    assert "No call in the table calls matches the filters together (model gpt-4o-mini; task summarize)" in err


def test_a_date_range_outside_the_table(cli, both):
    err = same_error(cli, both, "report", "--since", "2027-01")
    assert "the calls in the table calls run from 2026-10-01 09:00 to 2026-10-03 13:00 UTC." in err


def test_a_lever_scope_that_matches_no_call_of_the_table(cli, both):
    err = same_error(cli, both, "simulate", "--route", "nosuchtask=haiku")
    assert "--route nosuchtask=haiku: nosuchtask matches no call in the table calls." in err
    assert "did you mean classify?" in same_error(cli, both, "simulate", "--route", "clasify=haiku")
    assert "did you mean summarize?" in same_error(cli, both, "simulate", "--batch", "Sumarize")
    assert "did you mean gpt-4o" in same_error(cli, both, "simulate", "--cap-output", "model:gpt4o=100")
    assert "did you mean search?" in same_error(cli, both, "simulate", "--trim-prompt", "feature:serch=0.3")
    assert "did you mean gpt-4o-mini" in same_error(cli, both, "simulate", "--cascade", "classify=gpt4omini")
    # known to the table, but outside the filters
    err = same_error(cli, both, "simulate", "--task", "classify", "--route", "summarize=haiku")
    assert "--route summarize=haiku: no call in scope is in that lever scope (task classify)." in err


def test_values_in_another_case_work_on_the_stored_spelling(cli, both):
    for db in both:
        r = cli("analyze", "--task", "CLASSIFY", "-f", "json", *db)
        assert r.exit_code == 0, r.stderr
        assert r.json()["totals"]["calls"] == 4  # s1, s2, s3, m1
        # a price-book id matches the logged names it prices: s1–s6 + 2 chat calls = 8
        assert cli("analyze", "--model", "Claude-Sonnet-4-5", "-f", "json", *db).json()["totals"]["calls"] == 8
        r = cli("simulate", "--route", "Classify=haiku", "-f", "json", *db)
        assert r.exit_code == 0, r.stderr
        route = r.json()["levers"][0]
        # s1, s2, s3 move (m1 is on gpt-4o-mini, cheaper than haiku: calls that would cost more stay)
        assert route["scope"] == "classify → claude-haiku-4-5" and route["calls_affected"] == 3


def test_a_config_task_no_call_of_the_table_has(cli, both, tmp_path: Path):
    cfg = tmp_path / "llmcost.yaml"
    cfg.write_text("tasks:\n  clasify: {batchable: true}\n")
    err = same_error(cli, both, "recommend", "--config", str(cfg))
    assert "task clasify is not the task type of any call in the table calls; did you mean classify?" in err


def test_an_empty_table(cli, tmp_path: Path):
    url = f"chdb://{tmp_path / 'chdb'}"
    with ClickHouse(url) as ch:
        ch.native(ch_pricing.calls_table_ddl("calls"))
    out = tmp_path / "report.html"
    for args in (("recommend",), ("simulate", "--cache", "auto"), ("report", "-o", str(out)), ("analyze",)):
        r = cli(*args, "--db", url, "--table", "calls")
        assert r.exit_code == 1, (args, r.stderr)  # as an empty DuckDB store (tests/test_scope_check.py)
        assert "The table calls holds no calls." in r.stderr and "--table" in r.stderr, r.stderr
    assert not out.exists()
