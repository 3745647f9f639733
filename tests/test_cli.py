"""The commands as a user runs them (typer's CliRunner, in-process)."""

from __future__ import annotations

from tests.conftest import DATA

G = DATA / "generic"


def test_analyze_json_contract(cli):
    r = cli("analyze", str(G / "tracker.csv"), str(G / "anthropic_usage.csv"), "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    # tracker: 5 calls, 23890 in, 1472 out; anthropic_usage: 3 calls, 4250 in (cache included),
    # 2000 read, 2000 written, 590 out
    assert doc["totals"]["calls"] == 8
    assert doc["totals"]["input_tokens"] == 23890 + 4250
    assert doc["totals"]["output_tokens"] == 1472 + 590
    assert doc["totals"]["cache_read_tokens"] == 2000
    assert doc["totals"]["cache_write_tokens"] == 2000
    # 4 + 5 rows read; 5 + 3 loaded; msg_02 once duplicate
    assert doc["ingest"]["rows_read"] == 9
    assert doc["ingest"]["rows_loaded"] == 8
    assert doc["ingest"]["rows_duplicate"] == 1
    assert doc["ingest"]["rows_rejected"] == 0
    assert doc["ingest"]["rows_skipped"] == 0
    # first call 2026-10-01T07:05Z (09:05+02:00), last 2026-10-03T12:02Z
    assert doc["period"]["start"] == "2026-10-01T07:05:00Z"
    assert doc["period"]["end"] == "2026-10-03T12:02:00Z"
    # 2 days 4h57m = 2 + 297/1440 days
    assert abs(doc["period"]["days"] - (2 + 297 / 1440)) < 1e-9
    # model ids resolved through the price book's aliases
    by_model = {row["model"]: row["calls"] for row in doc["by_model"]}
    assert by_model == {"claude-sonnet-4-5": 5, "gpt-4o-mini": 2, "claude-haiku-4-5": 1}
    # costs by hand, $/MTok: Sonnet 4.5 in 3 / out 15 / read 0.30 / 5m write 3.75;
    # gpt-4o-mini 0.15 / 0.60; Haiku 4.5 1 / 5.  In micro-dollars:
    # tracker: 5200*3+610*15 = 24750; 4880*3+240*15 = 18240; 4410*0.15+12*0.6 = 668.7;
    #          4400*0.15+10*0.6 = 666; 5000*3+600*15 = 24000            -> 68324.7
    # anthropic_usage: msg_01 120*3 + 2000*3.75 + 300*15 = 12360;
    #          msg_02 80*3 + 2000*0.30 + 250*15 = 4590; msg_03 50*1 + 40*5 = 250 -> 17200
    assert abs(doc["totals"]["cost_usd"] - (68324.7 + 17200) / 1e6) < 1e-12
    assert doc["totals"]["priced_calls"] == 8 and doc["totals"]["unpriced_calls"] == 0
    # the tracker logs its own cost: 0.0247+0.01824+0.00067+0.000666+0.024 = 0.068276
    rec = doc["reconciliation"]
    assert abs(rec["logged_cost_usd"] - 0.068276) < 1e-12
    assert abs(rec["computed_cost_usd"] - 0.0683247) < 1e-12
    # monthly = cost * 30 / days
    assert abs(doc["totals"]["monthly_usd"] - doc["totals"]["cost_usd"] * 30 / doc["period"]["days"]) < 1e-12
    by_task = {row["task_type"]: row["calls"] for row in doc["by_task_type"]}
    assert by_task == {"summarize": 2, "extract": 1, "classify": 2, None: 3}
    assert {row["day"]: row["calls"] for row in doc["by_day"]} == {
        "2026-10-01": 3, "2026-10-02": 2, "2026-10-03": 3}
    for key in ("by_feature", "by_tenant"):
        assert isinstance(doc[key], list)


def test_scope_is_the_files_given_and_filters_narrow_it(cli):
    assert cli("ingest", str(G / "llm_calls.csv")).exit_code == 0
    r = cli("analyze", str(G / "tracker.csv"), "--format", "json")
    assert r.json()["totals"]["calls"] == 5  # only the tracker's calls, not llm_calls'
    whole = cli("analyze", "--format", "json").json()
    assert whole["totals"]["calls"] == 5 + 4
    assert whole["ingest"]["rows_read"] == 0
    only = cli("analyze", "--format", "json", "--model", "gpt-4o", "--feature", "search").json()
    assert only["totals"]["calls"] == 2
    # --until a date includes that whole day: tracker has 3 calls on 2026-10-01
    day1 = cli("analyze", "--format", "json", "--until", "2026-10-01").json()
    assert day1["totals"]["calls"] == 3
    since = cli("analyze", "--format", "json", "--since", "2026-10-03").json()
    assert since["totals"]["calls"] == 1  # llm_calls' 2026-10-03T10:00 row
    assert cli("analyze", "--format", "json", "--tenant", "cust_1").json()["totals"]["calls"] == 2


def test_analyze_table_and_markdown_render(cli):
    r = cli("analyze", str(G / "tracker.csv"))
    assert r.exit_code == 0
    assert "5 rows read" in r.stdout and "By model" in r.stdout
    md = cli("analyze", "--format", "markdown")
    assert md.exit_code == 0 and "| claude-sonnet-4-5 | 3 | $0.07 |" in md.stdout.replace("\\-", "-")


def test_not_a_call_log_is_one_paragraph_exit_1(cli):
    r = cli("analyze", str(G / "not_a_log.csv"))
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: ")
    assert "date, user, amount" in r.stderr and "--map" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_missing_file_and_bad_options(cli):
    r = cli("analyze", "no/such/file.csv")
    assert r.exit_code == 1 and "does not exist" in r.stderr
    r = cli("analyze", str(G / "tracker.csv"), "--map", "nonsense")
    assert r.exit_code == 2 and "COLUMN=FIELD" in r.stderr
    r = cli("analyze", str(G / "tracker.csv"), "--since", "last tuesday")
    assert r.exit_code == 2 and "not a date" in r.stderr
    r = cli("analyze", "--format", "yaml")
    assert r.exit_code == 2  # typer's own usage error


def test_rejects_sources_forget(cli):
    r = cli("ingest", str(G / "bad_lines.csv"), "--format", "json")
    assert r.json()["ingest"]["rows_rejected"] == 6
    rej = cli("rejects", "--format", "json").json()
    assert rej["total"] == 6
    assert [x["line"] for x in rej["rejects"]] == [3, 4, 5, 6, 7, 8]
    table = cli("rejects")
    assert "not a whole number" in table.stdout
    src = cli("sources", "--format", "json").json()["sources"]
    assert [(s["rows_read"], s["rows_loaded"], s["calls_stored"]) for s in src] == [(8, 2, 2)]
    gone = cli("forget", str(G / "bad_lines.csv"))
    assert gone.exit_code == 0 and "2 calls" in gone.stdout
    assert cli("sources", "--format", "json").json()["sources"] == []
    empty = cli("analyze", "--format", "json")  # the store holds nothing now: a data problem
    assert empty.exit_code == 1 and "holds no calls yet" in empty.stderr and empty.stdout == ""


def test_ingest_needs_files(cli):
    r = cli("ingest")
    assert r.exit_code == 2 and "at least one file" in r.stderr


def test_debug_shows_the_traceback(cli):
    import pytest

    from llmcost.errors import NotACallLogError

    with pytest.raises(NotACallLogError):
        cli("analyze", str(G / "not_a_log.csv"), "--debug")
