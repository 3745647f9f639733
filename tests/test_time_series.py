"""Spend over time (issue 16, item 1): `analyze --by day|week|month[,SPLIT]`, `--tz`, `--top`.

Fixture: tests/data/time_series/calls.csv (8 calls written by hand around midnight UTC).
Prices from the shipped book (`llmcost pricing show`): claude-sonnet-4-5 $3 / MTok input and
$15 / MTok output (3 and 15 µ$ a token); gpt-4o-mini $0.15 and $0.60 (0.15 and 0.6 µ$ a token);
my-llm-x is not in the book (unpriced).
  a1 2026-09-30 22:30Z sonnet summarize acme    1,000 / 100:  3,000 + 1,500 = 4,500 µ$
  a2 2026-09-30 23:30Z mini   chat      acme   10,000 / 1,000: 1,500 +   600 = 2,100 µ$
  a3 2026-10-01 00:30Z sonnet chat      globex  2,000 / 200:  6,000 + 3,000 = 9,000 µ$
  a4 2026-10-01 01:00Z mini   summarize globex 20,000 / 2,000: 3,000 + 1,200 = 4,200 µ$
  a5 2026-10-01 02:00Z sonnet chat      globex  errored, no tokens: counted, not billed
  a6 2026-10-05 12:00Z my-llm-x chat    acme    unpriced
  a7 2026-10-05 13:00Z mini   chat      acme    1,000 / 100:    150 +    60 =   210 µ$
  a8 2026-10-06 09:00Z my-llm-x chat    acme    unpriced
Days (UTC): 09-30 4,500 + 2,100 = 6,600 µ$; 10-01 9,000 + 4,200 = 13,200 µ$ (3 calls, 1 errored);
10-05 210 µ$ + 1 unpriced call; 10-06 only an unpriced call (cost unknown, null).
2026-09-28 is a Monday, 2026-10-05 the next one. Paris is UTC+2 (summer time until 25 Oct), New
York UTC-4: a1 and a2 fall on 1 Oct in Paris, a3-a5 on 30 Sep in New York.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

CALLS = str(Path(__file__).resolve().parent / "data" / "time_series" / "calls.csv")


def cli(*args: str, columns: int = 100) -> Any:
    from llmcost.cli import app

    r = CliRunner().invoke(app, ["analyze", CALLS, "--db", ":memory:", *args], env={"COLUMNS": str(columns)})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def doc(*args: str) -> dict[str, Any]:
    r = cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def µ(usd: float | None) -> float | None:
    return None if usd is None else round(usd * 1e6, 6)


def test_days_split_by_model_add_up_to_each_day():
    d = doc("--by", "day,model")
    assert d["time_series"] == {"period": "day", "split": "model", "tz": "UTC", "week_starts": "monday",
                                "top": 5, "calls_without_time": 0}
    days = d["by_day"]
    assert [(r["day"], r["calls"], r["errored_calls"], r["unpriced_calls"], µ(r["cost_usd"])) for r in days] == [
        ("2026-09-30", 2, 0, 0, 6600), ("2026-10-01", 3, 1, 0, 13200),
        ("2026-10-05", 2, 0, 1, 210), ("2026-10-06", 1, 0, 1, None)]
    assert [[(i["model"], i["calls"], µ(i["cost_usd"])) for i in r["by_model"]] for r in days] == [
        [("claude-sonnet-4-5", 1, 4500), ("gpt-4o-mini", 1, 2100)],
        [("claude-sonnet-4-5", 2, 9000), ("gpt-4o-mini", 1, 4200)],  # a5 errored: counted, 0 billed
        [("gpt-4o-mini", 1, 210), ("my-llm-x", 1, None)],  # unpriced: null, never 0
        [("my-llm-x", 1, None)]]
    for r in days:  # the split adds up to the day
        assert sum(i["calls"] for i in r["by_model"]) == r["calls"]
        assert sum(i["input_tokens"] for i in r["by_model"]) == r["input_tokens"]
        if r["cost_usd"] is not None:
            assert sum(i["cost_usd"] or 0 for i in r["by_model"]) == pytest.approx(r["cost_usd"], abs=1e-12)
    # 6,600 + 13,200 + 210 = 20,010 µ$: the days add up to the total
    assert µ(d["totals"]["cost_usd"]) == 20010
    # a day row keeps every key of today's by_day rows (those of a plain analyze)
    plain = doc("--by", "model")["by_day"][0]
    assert set(plain) <= set(days[0]) and days[1]["start"] == days[1]["end"] == "2026-10-01"


def test_weeks_by_task_and_months_by_tenant():
    weeks = doc("--by", "week,task")["by_week"]
    # week of Mon 28 Sep: a1-a5, 19,800 µ$; chat a2 + a3 (+ a5) = 11,100, summarize a1 + a4 = 8,700
    assert [(w["week"], w["start"], w["end"], w["calls"], µ(w["cost_usd"])) for w in weeks] == [
        ("2026-09-28", "2026-09-28", "2026-10-04", 5, 19800), ("2026-10-05", "2026-10-05", "2026-10-11", 3, 210)]
    assert [(i["task_type"], i["calls"], µ(i["cost_usd"])) for i in weeks[0]["by_task_type"]] == [
        ("chat", 3, 11100), ("summarize", 2, 8700)]
    months = doc("--by", "month,tenant")["by_month"]
    # September: a1 + a2 (acme) 6,600; October: globex a3-a5 13,200, acme a6-a8 210 + 2 unpriced
    assert [(m["month"], m["start"], m["end"], m["calls"], µ(m["cost_usd"])) for m in months] == [
        ("2026-09", "2026-09-01", "2026-09-30", 2, 6600), ("2026-10", "2026-10-01", "2026-10-31", 6, 13410)]
    assert [(i["tenant"], i["calls"], i["unpriced_calls"], µ(i["cost_usd"])) for i in months[1]["by_tenant"]] == [
        ("globex", 3, 0, 13200), ("acme", 3, 2, 210)]
    # a month alone: no split list
    assert "by_model" not in doc("--by", "month")["by_month"][0]


def test_tz_moves_calls_across_the_day_boundary():
    paris = doc("--by", "day", "--tz", "europe/paris")
    assert paris["time_series"]["tz"] == "Europe/Paris"
    # a1, a2 (22:30Z, 23:30Z) are 00:30 and 01:30 on 1 Oct in Paris: 4,500 + 2,100 + 13,200 = 19,800
    assert [(r["day"], r["calls"], µ(r["cost_usd"])) for r in paris["by_day"]][:1] == [("2026-10-01", 5, 19800)]
    assert [r["month"] for r in doc("--by", "month", "--tz", "Europe/Paris")["by_month"]] == ["2026-10"]
    # a3-a5 (00:30Z-02:00Z 1 Oct) are the evening of 30 Sep in New York: 6,600 + 13,200
    ny = doc("--by", "day", "--tz", "America/New_York")["by_day"]
    assert [(r["day"], r["calls"], µ(r["cost_usd"])) for r in ny][:1] == [("2026-09-30", 5, 19800)]


def test_top_shows_a_single_leftover_item_as_itself():
    """--top 1 on days of two models each: the second is shown by name, never as "1 other"."""
    days = doc("--by", "day,model", "--top", "1")["by_day"]
    first, third = days[0]["by_model"], days[2]["by_model"]
    assert [(i["model"], i["other"], µ(i["cost_usd"])) for i in first] == [
        ("claude-sonnet-4-5", False, 4500), ("gpt-4o-mini", False, 2100)]
    # 10-05: the priced mini call ranks first; the unpriced model is shown with a null cost, not 0
    assert [(i["model"], i["other"], µ(i["cost_usd"])) for i in third] == [
        ("gpt-4o-mini", False, 210), ("my-llm-x", False, None)]
    out = cli("--by", "day,model", "--top", "1").stdout
    assert "1 other" not in out and "gpt-4o-mini $0.0021" in out


def test_top_sums_the_other_items_per_period(tmp_path: Path):
    """Two days of three models each, --top 1:
      10-01: sonnet 1,000 / 100 = 4,500 µ$; gpt-4o ($2.50 / $10 per MTok) 1,000 / 100 = 2,500 +
             1,000 = 3,500 µ$; mini 10,000 / 1,000 = 2,100 µ$ -> sonnet, then 2 others 5,600 µ$
      10-02: mini 1,000 / 100 = 210 µ$; my-llm-x and my-llm-y unpriced -> mini, then 2 others
             whose cost is unknown (null, not 0)"""
    log = tmp_path / "three.csv"
    log.write_text("call_id,ts,model,input_tokens,output_tokens\n"
                   "b1,2026-10-01T10:00:00Z,claude-sonnet-4-5,1000,100\n"
                   "b2,2026-10-01T11:00:00Z,gpt-4o,1000,100\n"
                   "b3,2026-10-01T12:00:00Z,gpt-4o-mini,10000,1000\n"
                   "b4,2026-10-02T10:00:00Z,gpt-4o-mini,1000,100\n"
                   "b5,2026-10-02T11:00:00Z,my-llm-x,1000,100\n"
                   "b6,2026-10-02T12:00:00Z,my-llm-y,1000,100\n", encoding="utf-8")
    from llmcost.cli import app

    r = CliRunner().invoke(app, ["analyze", str(log), "--db", ":memory:", "--by", "day,model", "--top", "1",
                                 "--format", "json"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.stdout + r.stderr
    days = json.loads(r.stdout)["by_day"]
    first, second = days[0]["by_model"], days[1]["by_model"]
    assert [(i["model"], i["other"], µ(i["cost_usd"])) for i in first] == [
        ("claude-sonnet-4-5", False, 4500), (None, True, 5600)]
    assert first[1]["keys"] == 2 and first[1]["calls"] == 2
    assert [(i["model"], i["other"], µ(i["cost_usd"])) for i in second] == [
        ("gpt-4o-mini", False, 210), (None, True, None)]
    assert second[1]["unpriced_calls"] == 2
    for d in days:  # with the other item, the split still adds up to the day
        assert sum(i["calls"] for i in d["by_model"]) == d["calls"]
    out = CliRunner().invoke(app, ["analyze", str(log), "--db", ":memory:", "--by", "day,model", "--top", "1"],
                             env={"COLUMNS": "100"}).stdout
    assert "2 other models $0.0056" in out and "top 1 model per period" in out


@pytest.mark.parametrize(("args", "words"), [
    (("--by", "day", "--tz", "Europe/Pari"), "Did you mean Europe/Paris"),
    (("--by", "model", "--tz", "UTC"), "boundaries of a time series"),
    (("--by", "model,week"), "week only starts a list"),
    (("--by", "day,model,task"), "splits by one dimension"),
    (("--by", "week,conversation"), "cannot be split by conversation"),
])
def test_usage_errors_before_the_store_opens(tmp_path: Path, args: tuple[str, ...], words: str):
    from llmcost.cli import app

    db = tmp_path / "store.duckdb"
    r = CliRunner().invoke(app, ["analyze", CALLS, "--db", str(db), *args])
    assert r.exit_code == 2, r.stdout + r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr
    assert not db.exists()  # checked before the store opened


@pytest.mark.parametrize("by", ["day,model", "week,task", "month,feature", "day", "day,tenant"])
def test_terminal_fits_80_columns_without_cutting(by: str):
    r = cli("--by", by, "--top", "1", columns=80)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "Spend by" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "…" not in r.stdout
    # 40 columns: a block per period, every one still there (the ingest line above shortens the
    # file's path on its own)
    narrow = cli("--by", by, columns=40).stdout.split("Spend by", 1)[1]
    last = {"day": "2026-10-06", "week": "2026-10-05", "month": "2026-10"}[by.split(",")[0]]
    assert f"{last}: " in narrow and "…" not in narrow


def test_terminal_and_markdown_show_the_periods():
    out = cli("--by", "day,model").stdout
    # 2026-10-01: 3 calls, 1 errored, $0.0132 shown to the cent as elsewhere; its models below it
    assert "2026-10-01      3        1" in out and "claude-sonnet-4-5 $0.0090" in out
    assert "2026-10-06      1                     unpriced  my-llm-x unpriced" in out
    md = cli("--by", "week,task", "--format", "markdown").stdout
    assert "| 2026-09-28 | 5 | 1 | $0.02 | chat $0.01 · summarize $0.0087 |" in md
    assert "weeks start on Monday" in md
