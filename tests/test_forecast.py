"""`llmcost forecast` (issue 16, item 4): the month-end and next month's spend from the last 14
full days, each day ahead priced at the prices in force on it, with a stated 80 % range.

The logs are built by hand (the tracker CSV columns of article 000: timestamp, model, task_type,
input_tokens, output_tokens). Most use `acme-7b`, a model of a `--pricing` overlay written here
(docs/pricing-format.md, "Overlay examples"), so every price is known: $1.00 per million input
tokens, $2.00 per million output tokens; one call of 1,000,000 input tokens costs $1.00.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest

HEADER = "timestamp,model,task_type,input_tokens,output_tokens\n"
ACME = ("models:\n  - id: acme-7b\n    provider: acme\n    periods:\n"
        "      - {effective_from: 2026-01-01, input: 1.0, output: 2.0}\n")
# the same model with a price cut announced for 2026-10-20: input $0.50 from then
ACME_CUT = ACME + "      - {effective_from: 2026-10-20, input: 0.5, output: 1.0}\n"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def daily_log(folder: Path, first: date, last: date, inputs: dict[date, int] | None = None,
              model: str = "acme-7b", extra: str = "", name: str = "calls.csv") -> Path:
    """One call a day at 12:00 UTC of 1,000,000 input tokens ($1.00 for acme-7b), or `inputs[day]`."""
    rows = [f"{d}T12:00:00Z,{model},summarize,{(inputs or {}).get(d, 1_000_000)},0\n" for d in days(first, last)]
    path = folder / name
    path.write_text(HEADER + "".join(rows) + extra)
    return path


def overlay(folder: Path, text: str = ACME) -> str:
    path = folder / "prices.yaml"
    path.write_text(text)
    return str(path)


def forecast(cli, *args: str):
    r = cli("forecast", *args, "--db", ":memory:", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_flat_daily_spend_projects_so_far_plus_days_left_times_the_day(cli, tmp_path):
    # $1.00 a day from 2026-09-01 to 2026-10-09 at 12:00; the last day, 2026-10-10, has one
    # call at 06:00 of a quarter of the tokens ($0.25): a partial day, not in the mean.
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 9),
                    extra="2026-10-10T06:00:00Z,acme-7b,summarize,250000,0\n")
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path))
    # window: the 14 full days before 2026-10-10: 2026-09-26 .. 2026-10-09, $1.00 each
    assert doc["window"] == {"start": "2026-09-26", "end": "2026-10-09", "days": 14, "calls": 14,
                             "days_without_calls": 0}
    assert doc["daily_usd"] == pytest.approx(1.0, abs=1e-12)
    # so far in October: 9 days × $1.00 + $0.25 = $9.25
    assert doc["spent_so_far_usd"] == pytest.approx(9.25, abs=1e-12)
    # left: from 2026-10-10 06:00 to 2026-11-01 = 21.75 days × $1.00 = $21.75; month end $31.00
    assert doc["rest_of_month_days"] == pytest.approx(21.75)
    assert doc["month"] == "2026-10" and doc["next_month"] == "2026-11"
    assert doc["month_end_usd"] == pytest.approx(31.00, abs=1e-12)
    # November: 30 days × $1.00
    assert doc["next_month_usd"] == pytest.approx(30.00, abs=1e-12)
    # every day alike: no spread, so the range is the point itself
    assert doc["low_usd"] == doc["high_usd"] == pytest.approx(31.00)
    assert doc["price_changes"] == [] and doc["unpriced"] == []
    assert "14 full days 2026-09-26 to 2026-10-09" in doc["method"] and "80 %" in doc["method"]


def test_a_forecast_spanning_a_price_change_uses_both_periods(cli, tmp_path):
    # the overlay cuts acme-7b's input price from $1.00 to $0.50 on 2026-10-20; the log ends
    # 2026-10-10 12:00 with $1.00 a day.
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10))
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path, ACME_CUT))
    # so far: 10 days × $1.00 = $10.00
    assert doc["spent_so_far_usd"] == pytest.approx(10.0, abs=1e-12)
    # old price from 10-10 12:00 to 10-20: 9.5 days × $1.00 = $9.50;
    # new price from 10-20 to 11-01: 12 days × $0.50 = $6.00; month end 10 + 9.5 + 6 = $25.50
    assert doc["rest_of_month_usd"] == pytest.approx(15.50, abs=1e-12)
    assert doc["month_end_usd"] == pytest.approx(25.50, abs=1e-12)
    # November all at the new price: 30 × $0.50 = $15.00
    assert doc["next_month_usd"] == pytest.approx(15.00, abs=1e-12)
    (change,) = doc["price_changes"]
    assert (change["model"], change["effective_from"]) == ("acme-7b", "2026-10-20")
    assert (change["input_per_mtok_before"], change["input_per_mtok_after"]) == (1.0, 0.5)
    assert (change["daily_usd_before"], change["daily_usd_after"]) == (pytest.approx(1.0), pytest.approx(0.5))
    assert [(r["start"], r["days"], r["daily_usd"]) for r in doc["regimes"]] == [
        ("2026-10-10T12:00:00Z", 9.5, 1.0), ("2026-10-20T00:00:00Z", 12.0, 0.5),
        ("2026-11-01T00:00:00Z", 30.0, 0.5)]


def test_o3_store_ending_before_its_cut_uses_the_old_price_until_then(cli, tmp_path):
    # The shipped book: o3 $10 / $40 per M tokens until 2025-06-10, $2 / $8 from then (OpenAI's
    # 80 % cut). One call a day at 12:00 from 2025-05-16 to 2025-06-05: 1,000,000 in, 100,000 out
    # = $10 + $4 = $14.00 at the old price, $2 + $0.80 = $2.80 at the new one.
    log = daily_log(tmp_path, date(2025, 5, 16), date(2025, 6, 5), model="o3",
                    inputs=None).read_text().replace(",1000000,0\n", ",1000000,100000\n")
    path = tmp_path / "o3.csv"
    path.write_text(log)
    doc = forecast(cli, str(path))
    # so far in June: 5 × $14 = $70; rest: 06-05 12:00 → 06-10 = 4.5 days × $14 = $63, then
    # 21 days × $2.80 = $58.80; month end 70 + 63 + 58.8 = $191.80; July 31 × $2.80 = $86.80
    assert doc["month_end_usd"] == pytest.approx(191.80, abs=1e-9)
    assert doc["next_month_usd"] == pytest.approx(86.80, abs=1e-9)
    assert [(c["model"], c["effective_from"]) for c in doc["price_changes"]] == [("o3", "2025-06-10")]


def test_a_discount_and_the_end_of_a_price_are_price_changes_too(cli, tmp_path):
    # acme-7b's price ends on 2026-11-10 (effective_to), and a negotiated 50 % discount for
    # the provider starts on 2026-10-25 (docs/pricing-format.md, discounts:); $1.00 a day to 10-10 12:00
    prices = ("models:\n  - id: acme-7b\n    provider: acme\n    periods:\n"
              "      - {effective_from: 2026-01-01, effective_to: 2026-11-10, input: 1.0, output: 2.0}\n"
              "discounts: [{provider: acme, percent: 50, from: 2026-10-25}]\n")
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10))
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path, prices))
    # October: 10 × $1 so far; 10-10 12:00 → 10-25 = 14.5 days × $1 + 7 days × $0.50 = $18.00
    assert doc["month_end_usd"] == pytest.approx(28.0, abs=1e-12)
    # November: 9 days × $0.50 to 11-10 = $4.50; after that no price: left out, not $0 a day
    assert doc["next_month_usd"] == pytest.approx(4.5, abs=1e-12)
    assert [(c["model"], c["effective_from"], c["kind"], c["daily_usd_after"]) for c in doc["price_changes"]] == [
        ("acme-7b", "2026-10-25", "discount", pytest.approx(0.5)), ("acme-7b", "2026-11-10", "price_ends", None)]
    assert [(u["model"], u["where"], u["from"]) for u in doc["unpriced"]] == [
        ("acme-7b", "ahead", "2026-11-10T00:00:00Z")]


def test_as_of_selects_the_month_and_leaves_later_calls_out(cli, tmp_path):
    # the same $1.00 a day through 2026-10-10 with the cut of 2026-10-20; as of 2026-09-30:
    # September is the month, it is over (nothing left), October the next month.
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10))
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path, ACME_CUT), "--as-of", "2026-09-30")
    assert (doc["month"], doc["next_month"], doc["as_of"]) == ("2026-09", "2026-10", "2026-09-30")
    # the window ends with the as-of day, which is full: 09-17 .. 09-30
    assert (doc["window"]["start"], doc["window"]["end"]) == ("2026-09-17", "2026-09-30")
    # September: 30 × $1.00 spent, 0 days left
    assert doc["month_end_usd"] == pytest.approx(30.0, abs=1e-12)
    assert doc["rest_of_month_days"] == 0
    # October: 19 days × $1.00 (to 10-20) + 12 days × $0.50 = $25.00
    assert doc["next_month_usd"] == pytest.approx(25.0, abs=1e-12)
    assert [(c["model"], c["effective_from"]) for c in doc["price_changes"]] == [("acme-7b", "2026-10-20")]
    assert any("10 calls after 2026-09-30 left out" in n for n in doc["notes"])
    # the store does not reach October's last day: no back-test for it
    assert doc["actual_month_usd"] == pytest.approx(30.0) and doc["actual_next_month_usd"] is None


def test_as_of_mid_month_back_test_against_the_calls_after_it(cli, tmp_path):
    # $1.00 a day through 2026-11-30, the cut to $0.50 on 2026-10-20; as of 2026-10-15:
    # so far 15 × $1; left 10-16 .. 10-19 = 4 days × $1 + 12 days × $0.50 = $10; month end $25.
    # The calls after it, at their own prices: 19 × $1 + 12 × $0.50 = $25 (flat spend: the same);
    # November 30 × $0.50 = $15 both ways.
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 11, 30))
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path, ACME_CUT), "--as-of", "2026-10-15")
    assert doc["month_end_usd"] == pytest.approx(25.0) == doc["actual_month_usd"]
    assert doc["next_month_usd"] == pytest.approx(15.0) == doc["actual_next_month_usd"]


def test_band_is_the_stated_rule_and_contains_the_point(cli, tmp_path):
    # days alternate $1.00 and $3.00 (1,000,000 / 3,000,000 input tokens); the last day 10-10.
    spend = {d: 1_000_000 if d.day % 2 else 3_000_000 for d in days(date(2026, 9, 1), date(2026, 10, 10))}
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10), inputs=spend)
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path))
    # window 09-26 .. 10-09: 7 days of $1 and 7 of $3: mean $2.00; sample σ² = 14 × 1² / 13
    sigma = math.sqrt(14 / 13)
    assert doc["daily_usd"] == pytest.approx(2.0) and doc["daily_sd_usd"] == pytest.approx(sigma)
    # so far: 10-01 .. 10-10: odd days $1 (5), even days $3 (5) = $20; rest 21.5 days × $2 = $43
    assert doc["month_end_usd"] == pytest.approx(63.0)
    # range: ±1.2816 × σ × √(k + k²/n), k = 21.5 days ahead, n = 14 window days
    k, n = 21.5, 14
    half = 1.2816 * sigma * math.sqrt(k + k * k / n)
    assert doc["low_usd"] == pytest.approx(63.0 - half) and doc["high_usd"] == pytest.approx(63.0 + half)
    assert doc["low_usd"] < doc["month_end_usd"] < doc["high_usd"]
    assert doc["next_month_low_usd"] < doc["next_month_usd"] < doc["next_month_high_usd"]


def test_unpriced_model_is_listed_and_left_out(cli, tmp_path):
    # the flat $1.00 a day of acme-7b, plus one call a day of a model no price book knows
    extra = "".join(f"{d}T13:00:00Z,mystery-llm-9,summarize,500000,0\n"
                    for d in days(date(2026, 9, 1), date(2026, 10, 10)))
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10), extra=extra)
    doc = forecast(cli, str(log), "--pricing", overlay(tmp_path))
    # acme-7b alone: so far 10 × $1; rest 10-10 13:00 (the last call) → 11-01 = 21 11/24 days
    rest = 21 + 11 / 24
    assert doc["month_end_usd"] == pytest.approx(10 + rest)
    assert doc["next_month_usd"] == pytest.approx(30.0)
    listed = {(u["model"], u["where"], u["calls"]) for u in doc["unpriced"]}
    # 14 calls in the window; 10 this month so far
    assert listed == {("mystery-llm-9", "ahead", 14), ("mystery-llm-9", "so_far", 10)}
    assert any("mystery-llm-9" in n and "Left out" in n for n in doc["notes"])
    out = " ".join(cli("forecast", str(log), "--db", ":memory:", "--pricing", overlay(tmp_path)).stdout.split())
    assert "projected; 1 model without a price left out" in out and "mystery-llm-9 unpriced unpriced" in out
    mystery = next(m for m in doc["by_model"] if m["model"] == "mystery-llm-9")
    # unknown, never $0
    assert (mystery["spent_so_far_usd"], mystery["daily_usd"], mystery["next_month_usd"]) == (None, None, None)
    assert doc["so_far_unpriced_calls"] == 10


def test_short_store_says_so_and_too_short_a_store_is_a_usage_error(cli, tmp_path):
    # 2026-10-01 .. 2026-10-05: the full days are 10-02 .. 10-04 (the first and last may be partial)
    doc = forecast(cli, str(daily_log(tmp_path, date(2026, 10, 1), date(2026, 10, 5))), "--pricing",
                   overlay(tmp_path))
    assert doc["window"]["days"] == 3 and "only 3 full days, not 14" in doc["method"]
    # two days: no full day between them
    r = cli("forecast", str(daily_log(tmp_path, date(2026, 10, 1), date(2026, 10, 2), name="two.csv")),
            "--db", ":memory:", "--pricing", overlay(tmp_path))
    assert r.exit_code == 2 and "at least 2 full days" in r.stderr and "Traceback" not in r.stderr


def test_a_window_with_no_priced_call_is_an_error_not_a_zero_forecast(cli, tmp_path):
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10), model="mystery-llm-9")
    r = cli("forecast", str(log), "--db", ":memory:")
    assert r.exit_code == 2 and "None of the 14 calls" in r.stderr and "not $0" in r.stderr, r.stderr


@pytest.mark.parametrize(("as_of", "says"), [
    ("2026-08-01", "before the first call"),
    ("2026-11-01", "after the last call"),
    ("yesterday", "not a date"),
])
def test_bad_as_of_is_a_usage_error(cli, tmp_path, as_of, says):
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10))
    r = cli("forecast", str(log), "--db", ":memory:", "--pricing", overlay(tmp_path), "--as-of", as_of)
    assert r.exit_code == 2 and says in r.stderr, r.stderr


def test_terminal_and_markdown_show_the_figures(cli, tmp_path):
    log = daily_log(tmp_path, date(2026, 9, 1), date(2026, 10, 10))
    args = (str(log), "--db", ":memory:", "--pricing", overlay(tmp_path, ACME_CUT))
    out = " ".join(cli("forecast", *args).stdout.split())
    assert "October 2026 at month end $25.50" in out and "November 2026 (30 days) $15.00" in out
    assert "acme-7b from 2026-10-20" in out and "$1.00 in / $2.00 out → $0.50 in / $1.00 out" in out
    md = cli("forecast", *args, "--format", "markdown").stdout
    assert "| **October 2026 at month end** | **$25.50** |" in md
    assert "| acme-7b | 2026-10-20 |" in md


def test_the_rest_of_a_month_under_a_day_reads_in_hours_or_minutes():
    from decimal import Decimal

    from llmcost.render.forecast_out import days_text

    # 0.0052662 days × 86,400 s = 455 s ≈ 8 min (it read "0.01 days"); 0.9 days = 21.6 hours
    assert days_text(Decimal("0.0052662037")) == "8 min"
    assert days_text(Decimal("0.9")) == "21.6 hours"
    assert days_text(Decimal(16)) == "16 days" and days_text(Decimal("2.5")) == "2.5 days"
    assert days_text(Decimal(1)) == "1 day"
