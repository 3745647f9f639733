"""Headlines that cannot mislead: the 30-day run rate, stray calls, and scopes nothing prices.

The logs are article 000's tracker CSV (timestamp, model, task_type, input_tokens, output_tokens),
written here with known times. Every call is claude-sonnet-4-5, 1,000 tokens in and 100 out:
$3 / $15 per M tokens (Anthropic's pricing page) -> 1,000 × 3 / 1M + 100 × 15 / 1M = $0.0045 a
call. Routed to claude-haiku-4-5 ($1 / $5 per M): 0.001 + 0.0005 = $0.0015 a call.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HEADER = "timestamp,model,task_type,input_tokens,output_tokens"
CALL = 0.0045
HAIKU = 0.0015
SHORT = "calls span 7 s: too short for a run rate"


def close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-9


def write(folder: Path, name: str, times: list[str], model: str = "claude-sonnet-4-5") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER] + [f"{t},{model},classify,1000,100" for t in times]) + "\n")
    return path


def short_log(folder: Path, model: str = "claude-sonnet-4-5") -> Path:
    """3 calls in 7 seconds (the issue's case: this read "$32,021.61 / month" on a busier log)."""
    return write(folder, "short.csv", ["2026-10-01T09:00:00Z", "2026-10-01T09:00:03Z",
                                       "2026-10-01T09:00:07Z"], model)


def october(with_strays: int = 3) -> list[str]:
    """61 calls over exactly 30 days (2026-10-01 00:00 → 2026-10-31 00:00: 00:00 and 12:00 on
    Oct 1-30, then Oct 31 00:00), and `with_strays` calls on 2026-01-03 10:00, 10:01, …"""
    times = [f"2026-10-{d:02d}T{h:02d}:00:00Z" for d in range(1, 31) for h in (0, 12)]
    times.append("2026-10-31T00:00:00Z")
    return times + [f"2026-01-03T10:{m:02d}:00Z" for m in range(with_strays)]


def monthly_figures(doc: object, path: str = "") -> dict[str, object]:
    """Every `monthly_*` / `*_monthly_*` figure of a JSON document, by its path."""
    out: dict[str, object] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = f"{path}.{k}"
            if "monthly" in k and not isinstance(v, (dict, list)):
                out[p] = v
            out |= monthly_figures(v, p)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out |= monthly_figures(v, f"{path}.{i}")
    return out


# --- 1. no run rate from less than a day ---------------------------------------------------------

def test_three_calls_in_seven_seconds_have_no_run_rate(cli, tmp_path):
    log = short_log(tmp_path)
    out = cli("analyze", str(log)).stdout
    # the spend is 3 × $0.0045 = $0.0135 ("$0.01"); no month is made of 7 seconds
    assert "$0.01 in period" in out and f"30-day run rate — ({SHORT})" in out, out
    assert "/ month" not in out and "(7 s)" in out  # the title's span: not "0.0 days"
    doc = cli("analyze", "--format", "json").json()
    assert close(doc["totals"]["cost_usd"], 3 * CALL) and doc["period"]["days"] == pytest.approx(7 / 86400)
    rate = doc["period"]["run_rate"]
    assert rate["available"] is False and rate["reason"] == SHORT and rate["label"] == "30-day run rate"
    figures = monthly_figures(doc)
    assert figures and all(v is None for v in figures.values()), figures
    assert ".totals.monthly_usd" in figures and ".by_model.0.monthly_usd" in figures
    md = cli("analyze", "--format", "markdown").stdout
    assert f"30-day run rate: — ({SHORT})" in md and "monthly" not in md.lower()


def test_plans_over_seven_seconds_are_for_the_period(cli, tmp_path):
    log = short_log(tmp_path)
    cli("ingest", str(log))
    # routing the 3 calls to Haiku: 3 × 0.0015 = $0.0045 after, 0.0135 - 0.0045 = $0.009 saved
    sim = cli("simulate", "--route", "classify=claude-haiku-4-5", "--format", "json").json()
    assert close(sim["baseline"]["cost_usd"], 3 * CALL) and close(sim["scenario"]["cost_usd"], 3 * HAIKU)
    assert close(sim["savings"]["usd"], 3 * (CALL - HAIKU))
    figures = monthly_figures(sim)
    assert {".baseline.monthly_usd", ".scenario.monthly_usd", ".savings.monthly_usd",
            ".levers.0.savings_monthly_usd"} <= set(figures)
    assert all(v is None for v in figures.values()), figures
    assert sim["period"]["run_rate"]["reason"] == SHORT
    out = cli("simulate", "--route", "classify=claude-haiku-4-5").stdout
    assert "What if · 3 calls over 7 s: too short for a run rate" in out, out
    assert "In the period: before $0.01  →  after $0.0045" in out and "saves in period" in out
    assert "/ month" not in out and "30 days" not in out

    rec = cli("recommend", "--format", "json").json()
    figures = monthly_figures(rec)
    assert ".plan.savings_monthly_usd" in figures and ".recommendations.0.savings_monthly_usd" in figures
    assert all(v is None for v in figures.values()), figures
    out = cli("recommend").stdout
    assert "Savings plan · baseline $0.01 in the period (3 calls over 7 s: too short for a run rate)" in out
    assert "/ month" not in out and "/ 30 days" not in out

    be = cli("breakeven", "--format", "json").json()
    (task,) = be["tasks"]
    assert close(task["api"]["cost_usd"], 3 * CALL) and task["api"]["monthly_usd"] is None
    # (a GPU's monthly rent is a price, $/h × 720 h, not a figure of the calls)
    assert all(v is None for k, v in monthly_figures(be).items() if not k.endswith("gpu_monthly_usd"))
    assert any(SHORT in n for n in be["notes"])

    report = tmp_path / "r.json"
    assert cli("report", "-o", str(report)).exit_code == 0
    import json

    doc = json.loads(report.read_text())
    assert doc["headline"]["monthly_usd"] is None and doc["headline"]["savings_monthly_usd"] is None
    assert close(doc["headline"]["spend_usd"], 3 * CALL) and doc["headline"]["run_rate"]["reason"] == SHORT
    assert all(v is None for v in monthly_figures(doc).values())
    md = tmp_path / "r.md"
    cli("report", "-o", str(md))
    # $0.0135 spent, to the cent $0.01; $0.009 saved: below a cent, so to four decimals
    assert f"| $0.01 | — ({SHORT}) | 3 calls | $0.0090 in period |" in md.read_text()


def test_a_run_rate_from_one_day(cli, tmp_path):
    # 2 calls exactly a day apart: 2 × 0.0045 = $0.009 a day → × 30 / 1 = $0.27 over 30 days
    write(tmp_path, "day.csv", ["2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"])
    doc = cli("analyze", str(tmp_path / "day.csv"), "--format", "json").json()
    assert close(doc["totals"]["monthly_usd"], 2 * CALL * 30) and doc["period"]["run_rate"]["available"]
    # one second less than a day: no run rate
    other = tmp_path / "other"
    other.mkdir()
    write(other, "day.csv", ["2026-10-01T00:00:01Z", "2026-10-02T00:00:00Z"])
    doc = cli("analyze", str(other / "day.csv"), "--format", "json").json()
    assert doc["totals"]["monthly_usd"] is None
    assert doc["period"]["run_rate"]["reason"] == "calls span 24.0 hours: too short for a run rate"


# --- 2. stray calls far outside the main period ---------------------------------------------------

STRAY_NOTE = ("3 calls on 2026-01-03 lie 9 months before the rest; the run rate uses 2026-10-01 → "
              "2026-10-31; --since 2026-10-01 to leave them out")


def test_stray_calls_are_named_and_left_out_of_the_run_rate(cli, tmp_path):
    # 3 of 64 calls (4.7 % ≤ 5 %) on 2026-01-03; the gap from its last call (10:02) to 2026-10-01
    # 00:00 is 271 days - 10 h 02 min = 270.58 days (Jan 3 → Oct 3 is 273 days) ≥ 7 and
    # longer than the 30 days the other 61 span: a stray tail. Averaged in, the run rate would be
    # 64 × 0.0045 × 30 / 300.58 days = $0.0287, 10× low; over the main period it is
    # 61 × 0.0045 × 30 / 30 = $0.2745.
    log = write(tmp_path, "store.csv", october())
    doc = cli("analyze", str(log), "--format", "json").json()
    assert close(doc["totals"]["cost_usd"], 64 * CALL)  # the strays stay in the period's spend
    assert close(doc["totals"]["monthly_usd"], 61 * CALL)
    assert close(doc["by_model"][0]["monthly_usd"], 61 * CALL)
    rate = doc["period"]["run_rate"]
    assert rate["note"] == STRAY_NOTE and rate["calls"] == 61 and rate["days"] == 30.0
    assert rate["stray_calls"] == 3 and close(rate["stray_cost_usd"], 3 * CALL)
    assert rate["strays"] == [{"side": "before", "first": "2026-01-03T10:00:00Z", "last": "2026-01-03T10:02:00Z",
                               "calls": 3, "gap_days": pytest.approx((271 * 86400 - 10 * 3600 - 120) / 86400)}]
    out = cli("analyze").stdout
    assert "30-day run rate $0.27" in out
    assert re.sub(r"\s*│\s*", " ", out).count(STRAY_NOTE) == 1, out  # in the headline, once
    assert STRAY_NOTE.replace("_", "\\_") in cli("analyze", "--format", "markdown").stdout

    # the plan's 30-day figures: each period figure × the main period's share of the baseline
    # (61 / 64) × 30 / 30 days: baseline $0.2745; routed to Haiku 61 × 0.0015 = $0.0915
    sim = cli("simulate", "--route", "classify=claude-haiku-4-5", "--format", "json").json()
    assert close(sim["baseline"]["monthly_usd"], 61 * CALL) and close(sim["scenario"]["monthly_usd"], 61 * HAIKU)
    assert close(sim["savings"]["monthly_usd"], 61 * (CALL - HAIKU))
    assert close(sim["baseline"]["cost_usd"], 64 * CALL)
    assert any(n.startswith(STRAY_NOTE) and "95.31 %" in n for n in sim["notes"])  # 61 / 64
    out = cli("simulate", "--route", "classify=claude-haiku-4-5").stdout
    assert "30-day run rate: before $0.27  →  after $0.09" in out and "saves / 30 days" in out
    rec = cli("recommend", "--format", "json").json()
    assert close(rec["baseline"]["monthly_usd"], 61 * CALL)

    # break-even works on the main period only: 61 calls over 30 days = 61 calls a month
    be = cli("breakeven", "--format", "json").json()
    (task,) = be["tasks"]
    assert close(task["api"]["monthly_usd"], 61 * CALL) and close(task["calls_monthly"], 61)
    assert be["period"]["start"] == "2026-10-01T00:00:00Z"

    # --since as the note says: the same run rate, no strays
    doc = cli("analyze", "--since", "2026-10-01", "--format", "json").json()
    assert close(doc["totals"]["monthly_usd"], 61 * CALL) and doc["period"]["run_rate"]["strays"] == []


def test_a_stray_tail_after_the_main_period(cli, tmp_path):
    # October as above (61 calls) and 2 calls on 2026-12-31: 2 / 63 = 3.2 %, 61 days after
    times = [*october(0), "2026-12-31T08:00:00Z", "2026-12-31T09:00:00Z"]
    doc = cli("analyze", str(write(tmp_path, "late.csv", times)), "--format", "json").json()
    assert doc["period"]["run_rate"]["note"] == (
        "2 calls on 2026-12-31 lie 2 months after the rest; the run rate uses 2026-10-01 → 2026-10-31; "
        "--until 2026-10-31 to leave them out")
    assert close(doc["totals"]["monthly_usd"], 61 * CALL)


@pytest.mark.parametrize("times, why", [
    # 4 of 65 calls = 6.2 %: more than 5 % of the calls is not a stray tail
    (october(4), "share"),
    # 3 calls on 2026-09-20: 10.6 days before, shorter than the 30 days of the rest
    (october(0) + ["2026-09-20T10:00:00Z"] * 3, "gap shorter than the rest's span"),
    # weekly batches, 10 calls each Monday for 5 weeks: every gap is 7 days, the rest spans more
    ([f"2026-10-{d:02d}T0{h}:00:00Z" for d in (5, 12, 19, 26) for h in range(10)]
     + [f"2026-11-02T0{h}:00:00Z" for h in range(10)], "regular gaps"),
])
def test_what_is_not_a_stray_tail(cli, tmp_path, times, why):
    doc = cli("analyze", str(write(tmp_path, "log.csv", times)), "--format", "json").json()
    rate = doc["period"]["run_rate"]
    assert rate["strays"] == [] and rate["note"] is None, why
    # the run rate is then over the whole span: cost × 30 / days
    assert close(doc["totals"]["monthly_usd"], doc["totals"]["cost_usd"] * 30 / doc["period"]["days"])


# --- 3. nothing priced: "unpriced", never $0.00 ---------------------------------------------------

def test_a_scope_nothing_prices_is_unpriced_everywhere(cli, tmp_path):
    log = write(tmp_path, "qwen.csv", ["2026-10-01T00:00:00Z", "2026-10-03T00:00:00Z"], model="acme-llm-7b")
    cli("ingest", str(log))
    out = cli("analyze").stdout + cli("recommend").stdout + cli("simulate", "--cache", "auto").stdout
    assert "$0.00" not in out and out.count("unpriced") >= 3, out
    be = cli("breakeven").stdout
    # the API's cost is unknown, and so is the training size (no priced call's tokens); the only
    # $0.00 left is the default operations cost, an assumption of self-hosting
    assert re.search(r"API today +unpriced", be) and "classify · 2 calls, unpriced" in be, be
    assert re.search(r"fine-tuned +– +– ", be) and be.count("$0.00") == 1 and "operations: $0.00 a month" in be
    sim = cli("simulate", "--cache", "auto", "--format", "json").json()
    assert sim["baseline"]["cost_usd"] is None and sim["savings"]["usd"] is None
    assert sim["savings"]["pct"] is None and all(v is None for v in monthly_figures(sim).values())
    rec = cli("recommend", "--format", "json").json()
    assert rec["plan"]["savings_usd"] is None and rec["plan"]["savings_pct"] is None
    be = cli("breakeven", "--format", "json").json()
    assert be["tasks"][0]["api"]["monthly_usd"] is None
    report = tmp_path / "r.json"
    cli("report", "-o", str(report))
    import json

    head = json.loads(report.read_text())["headline"]
    assert head["spend_usd"] is None and head["savings_usd"] is None and head["savings_monthly_usd"] is None
    md = tmp_path / "r.md"
    cli("report", "-o", str(md))
    assert "| unpriced | unpriced | 2 calls | – | – |" in md.read_text()
