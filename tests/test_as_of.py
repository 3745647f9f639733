"""`analyze --as-of DATE` (issue 16, item 5): every call priced at the book's prices on DATE,
beside its call-time cost.

o3's two periods in the book (OpenAI's pricing page; the 80 % cut of 2025-06-10): until
2025-06-10 $10 input / $40 output per M tokens, from then $2 / $8. The log (article 000's tracker
CSV columns) has two o3 calls, both before the cut:
- 2025-05-20: 1,000,000 in, 100,000 out. Call time: 1 × $10 + 0.1 × $40 = $14.00;
  at the new prices: 1 × $2 + 0.1 × $8 = $2.80.
- 2025-06-01: 200,000 in, 50,000 out. Call time: 0.2 × $10 + 0.05 × $40 = $2 + $2 = $4.00;
  at the new prices: 0.2 × $2 + 0.05 × $8 = $0.40 + $0.40 = $0.80.
Totals: call time $14 + $4 = $18.00; as of 2025-07-01 $2.80 + $0.80 = $3.60 (−$14.40, −80 %).
"""

from __future__ import annotations

from pathlib import Path

import pytest

LOG = ("timestamp,model,task_type,input_tokens,output_tokens\n"
       "2025-05-20T10:00:00Z,o3,summarize,1000000,100000\n"
       "2025-06-01T10:00:00Z,o3,summarize,200000,50000\n")


def write_log(folder: Path) -> Path:
    path = folder / "calls.csv"
    path.write_text(LOG)
    return path


@pytest.mark.parametrize("db", ["store", ":memory:"])
def test_as_of_reprices_o3_across_its_price_cut(cli, tmp_path, db):
    store = str(tmp_path / "s.duckdb") if db == "store" else db
    r = cli("analyze", str(write_log(tmp_path)), "--db", store, "--as-of", "2025-07-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    totals = r.json()["totals"]
    assert totals["cost_usd"] == pytest.approx(3.60, abs=1e-12)
    assert totals["call_time_cost_usd"] == pytest.approx(18.00, abs=1e-12)
    assert totals["as_of"] == "2025-07-01T00:00:00"
    (o3,) = r.json()["by_model"]
    assert (o3["model"], o3["cost_usd"], o3["call_time_cost_usd"]) == ("o3", pytest.approx(3.60),
                                                                       pytest.approx(18.00))


def test_without_as_of_calls_keep_their_own_prices(cli, tmp_path):
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--format", "json")
    assert r.exit_code == 0, r.stderr
    totals = r.json()["totals"]
    assert totals["cost_usd"] == pytest.approx(18.00, abs=1e-12)
    assert "call_time_cost_usd" not in totals


def test_as_of_inside_the_old_period_keeps_the_old_price(cli, tmp_path):
    # 2025-06-09T23:00Z is still before the cut: both calls at $10 / $40, $18.00 either way
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-06-09T23:00:00Z",
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    totals = r.json()["totals"]
    assert totals["cost_usd"] == pytest.approx(18.00) == totals["call_time_cost_usd"]
    # the same prices both ways: said as no difference, not "±$0.00, +0.0 %"
    out = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-06-09T23:00:00Z").stdout
    assert "no difference" in out and "±" not in out


def test_as_of_before_the_model_existed_leaves_calls_unpriced(cli, tmp_path):
    # o3's first period starts 2025-04-16: on 2025-01-01 neither call has a price (unknown, not $0)
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-01-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    totals = r.json()["totals"]
    assert (totals["unpriced_calls"], totals["cost_usd"], totals["call_time_unpriced_calls"]) == (2, None, 0)


def test_terminal_says_the_date_and_the_difference(cli, tmp_path):
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-07-01")
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "prices as of 2025-07-01" in out
    assert "$18.00 at call-time prices · difference −$14.40, −80.0 %" in out
    assert "$3.60" in out


@pytest.mark.parametrize("bad", ["2025-13-01", "7d", "July 1st"])
def test_a_bad_date_is_a_usage_error(cli, tmp_path, bad):
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", bad)
    assert r.exit_code == 2
    assert "--as-of 2025-07-01" in " ".join(r.stderr.split())


def test_pricing_list_takes_as_of_like_at(cli):
    # o3 on 2025-07-01: the new $2 / $8 period, the same answer as --at
    a = cli("pricing", "list", "--provider", "openai", "--as-of", "2025-07-01", "--format", "json")
    b = cli("pricing", "list", "--provider", "openai", "--at", "2025-07-01", "--format", "json")
    assert a.exit_code == 0, a.stderr
    assert a.json() == b.json()
    assert "2025-07-01" in a.stdout


def test_markdown_says_the_date_and_the_call_time_cost(cli, tmp_path):
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-07-01", "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    assert "**$3.60**" in r.stdout
    assert "Prices as of 2025-07-01; at call-time prices $18.00 (difference −$14.40, −80.0 %)" in r.stdout


def test_pricing_show_names_the_period_in_force(cli):
    # o3's periods: 1 from 2025-04-16 ($10 / $40), 2 from 2025-06-10 ($2 / $8); none before launch
    for flag, day, period in (("--as-of", "2025-07-01", 2), ("--at", "2025-06-09T23:59:59Z", 1),
                              ("--as-of", "2025-01-01", None)):
        r = cli("pricing", "show", "o3", flag, day, "--format", "json")
        assert r.exit_code == 0, r.stderr
        assert r.json()["in_force_period"] == period
    r = cli("pricing", "show", "o3", "--as-of", "2025-07-01")
    assert "In force on 2025-07-01: period 2." in r.stdout


def test_no_price_on_the_date_is_not_a_saving(cli, tmp_path):
    # on 2025-01-01 o3 has no price: the repriced spend is unknown, not $0, and no difference is
    # claimed against the $18.00 call-time cost
    r = cli("analyze", str(write_log(tmp_path)), "--db", ":memory:", "--as-of", "2025-01-01")
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "no call has a price on 2025-01-01" in out and "$18.00 at call-time prices" in out
    assert "−$18.00" not in out and "$0.00" not in out
