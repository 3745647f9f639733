"""`llmcost breakeven`: fine-tuning and self-hosting against the API, worked by hand.

The log is the article-000 tracker CSV (timestamp, model, task_type, input_tokens, output_tokens),
written here: 1,000 classify calls on gpt-4o over exactly 10 days, each 1,000 tokens in and 100
out. Every expected figure below is worked out in the comments from published prices:
gpt-4o $2.50 / $10 per M tokens; fine-tuned gpt-4o-mini $0.30 / $1.20 per M, training $3.00 per M
(OpenAI's pricing page); the defaults of pricing/breakeven/breakeven.yaml (1,000 examples,
3 epochs, H100 $2.79 / GPU-hour, 14,264 tokens/s, 50 % utilisation, +30 % overhead, $200 setup,
12-month horizon, 720 hours a month).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmcost.errors import PricingError, UsageError

HEADER = "timestamp,model,task_type,input_tokens,output_tokens"
T0 = datetime(2026, 1, 1)


def classify_log(folder: Path, model: str = "gpt-4o", task: str = "classify") -> Path:
    """1,000 calls over exactly 10 days (2026-01-01 00:00 → 2026-01-11 00:00):
    days 0-8: 90 calls every 15 min from 00:00 to 22:15, and 10 every 5 min from 23:00 to 23:45;
    day 9: the same with 9 burst calls (23:00-23:40); and one call at day 10 00:00.
    9 × 100 + 99 + 1 = 1,000 calls. Busiest clock hour: 23:00 of days 0-8, 10 calls."""
    times = []
    for day in range(10):
        base = T0 + timedelta(days=day)
        times += [base + timedelta(minutes=15 * j) for j in range(90)]
        times += [base + timedelta(hours=23, minutes=5 * j) for j in range(10 if day < 9 else 9)]
    times.append(T0 + timedelta(days=10))
    assert len(times) == 1000
    rows = [HEADER] + [f"{t:%Y-%m-%dT%H:%M:%SZ},{model},{task},1000,100" for t in times]
    path = folder / f"{task}_{model}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def close(a: float | Decimal | None, b: float) -> bool:
    return a is not None and abs(float(a) - b) <= 1e-9 * max(1.0, abs(b))


# --- the hand-worked log, end to end ---------------------------------------------------------------

def test_hand_worked_breakeven(cli, tmp_path):
    r = cli("breakeven", str(classify_log(tmp_path)), "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["command"] == "breakeven"
    assert doc["period"]["days"] == 10.0
    (t,) = doc["tasks"]
    assert t["task_type"] == "classify" and t["calls"] == 1000 and t["models"] == ["gpt-4o"]
    # API: 1,000 × (1,000 × $2.50 + 100 × $10) / 1M = 1,000 × $0.0035 = $3.50 in 10 days;
    # a month = × 30 / 10 = $10.50; 3,000 calls, 3,000,000 input and 300,000 output tokens a month
    assert close(t["api"]["cost_usd"], 3.50)
    assert close(t["api"]["monthly_usd"], 10.50)
    assert close(t["calls_monthly"], 3000)
    assert close(t["api"]["input_tokens_monthly"], 3_000_000)
    assert close(t["api"]["output_tokens_monthly"], 300_000)
    ft = t["fine_tuning"]
    assert ft["model"] == "gpt-4o-mini" and ft["fine_tuned_model"] == "ft:gpt-4o-mini-2024-07-18"
    # training: 1,000 examples × 1,100 tokens × 3 epochs = 3,300,000 tokens × $3.00 / M = $9.90
    assert ft["training_tokens"] == 3_300_000
    assert close(ft["training_usd"], 9.90)
    # fine-tuned calls: 1,000 × (1,000 × $0.30 + 100 × $1.20) / 1M = $0.42 in 10 days = $1.26 a month
    assert close(ft["cost_usd"], 0.42)
    assert close(ft["monthly_usd"], 1.26)
    # saves $10.50 - $1.26 = $9.24 a month = $0.308 a day: $9.90 / $0.308 = 32.142857… days
    assert close(ft["savings_monthly_usd"], 9.24)
    assert close(ft["payback_days"], 9.90 / (9.24 / 30))
    # cheaper: $1.26 + $9.90 / 12 = $2.085 < $10.50; it breaks even where the saving pays the
    # training back over 12 months: k = 9.90 / (12 × 9.24) = 0.0892857…, × 3,000 = 267.857… calls
    assert ft["cheaper"] is True and ft["verdict"] == "cheaper"
    assert close(ft["break_even_calls_monthly"], 9.90 / (12 * 9.24) * 3000)
    sh = t["self_hosting"]
    # busiest hour: 10 calls × 1,100 tokens = 11,000 tokens / 3,600 s = 3.0556 tokens/s;
    # average 1,100,000 tokens / 864,000 s = 1.2731 tokens/s; one GPU carries 14,264 × 0.5 = 7,132
    assert close(sh["peak_tokens_per_second"], 11_000 / 3600)
    assert close(sh["average_tokens_per_second"], 1_100_000 / 864_000)
    assert close(sh["capacity_tokens_per_second_per_gpu"], 7132)
    assert sh["gpus_needed"] == 1 and sh["gpus"] == 1
    # 1 GPU × $2.79 × 720 h × 1.30 = $2,611.44 a month: $2,600.94 more than the API, never paid back
    assert close(sh["monthly_usd"], 2611.44)
    assert close(sh["savings_monthly_usd"], 10.50 - 2611.44)
    assert sh["payback_days"] is None and sh["cheaper"] is False and sh["verdict"] == "not_cheaper"
    # break-even: the API month of the traffic one GPU carries = $10.50 × 7,132 / 3.0556 = $24,508 >
    # $2,611.44, so one GPU pays at k = ($2,611.44 + $200 / 12) / $10.50 = 250.2959× today's volume
    # (its busiest hour then 765 tokens/s, within one GPU): 250.2959 × 3,000 = 750,887.6 calls
    assert close(sh["break_even_calls_monthly"], (2611.44 + 200 / 12) / 10.50 * 3000)
    names = {a["name"]: a for a in doc["assumptions"]}
    for key, value in (("gpu_hourly_usd", 2.79), ("gpu_tokens_per_second", 14264), ("gpu_utilisation", 0.5),
                       ("ft_examples", 1000), ("ft_epochs", 3), ("ft_training_price_per_mtok", 3.0),
                       ("selfhost_setup_usd", 200), ("horizon_months", 12), ("gpu_overhead", 0.3)):
        assert names[key]["value"] == value, key
        assert names[key]["source"] and names[key]["overridden"] is False
    assert names["gpu_tokens_per_second"]["source"].startswith("https://github.com/LambdaLabsML/vllm-benchmark")
    assert names["selfhost_setup_usd"]["source"] == "article 003"


def test_every_figure_can_be_overridden(cli, tmp_path):
    r = cli("breakeven", str(classify_log(tmp_path)), "--format", "json",
            "--ft-model", "gpt-4.1-nano", "--ft-examples", "200", "--ft-epochs", "2",
            "--gpu-hourly", "2", "--gpu-tokens-per-second", "1", "--gpu-utilisation", "0.5",
            "--gpu-overhead", "0", "--ops-monthly", "100", "--selfhost-setup", "0", "--horizon-months", "6")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    (t,) = doc["tasks"]
    ft = t["fine_tuning"]
    # gpt-4.1-nano: training $1.50 / M; 200 × 1,100 × 2 = 440,000 tokens = $0.66
    assert ft["fine_tuned_model"] == "ft:gpt-4.1-nano-2025-04-14"
    assert ft["training_tokens"] == 440_000 and close(ft["training_usd"], 0.66)
    # fine-tuned nano $0.20 / $0.80: 1,000 × (200 + 80) / 1M = $0.28 in 10 days = $0.84 a month
    assert close(ft["monthly_usd"], 0.84)
    sh = t["self_hosting"]
    # one GPU carries 1 × 0.5 = 0.5 tokens/s; the busiest hour needs 3.0556: ⌈6.11⌉ = 7 GPUs,
    # 7 × $2 × 720 h = $10,080 + $100 operations = $10,180 a month
    assert sh["gpus_needed"] == 7 and sh["gpus"] == 7
    assert close(sh["monthly_usd"], 10_180)
    # the API month one GPU carries: $10.50 × 0.5 / 3.0556 = $1.718 < $1,440 a GPU: never
    assert sh["verdict"] == "never" and sh["break_even_calls_monthly"] is None
    given = {a["name"] for a in doc["assumptions"] if a["overridden"]}
    assert given >= {"ft_model", "ft_examples", "ft_epochs", "gpu_hourly_usd", "gpu_tokens_per_second",
                     "gpu_utilisation", "gpu_overhead", "ops_monthly_usd", "selfhost_setup_usd", "horizon_months"}
    # --ft-training-tokens and --ft-training-price replace the rule and the price: 1M × $4 = $4
    r = cli("breakeven", "--format", "json", "--ft-training-tokens", "1000000", "--ft-training-price", "4",
            "--gpus", "2", "--gpu-sizing", "average")
    (t,) = r.json()["tasks"]
    assert t["fine_tuning"]["training_tokens"] == 1_000_000 and close(t["fine_tuning"]["training_usd"], 4.0)
    # a fixed fleet of 2: 2 × $2,611.44 = $5,222.88; sized on the average rate
    assert t["self_hosting"]["gpus"] == 2 and close(t["self_hosting"]["monthly_usd"], 5222.88)
    assert t["self_hosting"]["sizing"] == "average"


# --- the arithmetic alone, at a volume where self-hosting pays ------------------------------------

def params(**changes):
    from llmcost.pricing.book import load_book
    from llmcost.pricing.breakeven_defaults import load_breakeven_defaults
    from llmcost.simulate.breakeven import BreakevenOptions, resolve_parameters

    p, _ = resolve_parameters(load_breakeven_defaults(), load_book(), BreakevenOptions(**changes))
    return p


def test_self_hosting_pays_at_article_003_volume():
    """Article 003: classification at 5M calls a month, $25,000 a month on the API. Say 1,000 tokens a
    call: 5e9 tokens / 2,592,000 s = 1,929 tokens/s on average; a busiest hour 3× that, 5,787."""
    from llmcost.simulate.breakeven import self_host_case

    peak, avg = Decimal(5_000_000_000) / 2_592_000 * 3, Decimal(5_000_000_000) / 2_592_000
    case = self_host_case(Decimal(25_000), Decimal(5_000_000), peak, avg, params())
    # 5,787 < 7,132 a GPU: 1 GPU, $2,611.44 a month; saves $22,388.56; the $200 setup pays back in
    # 200 / (22,388.56 / 30) = 0.268 days
    assert case.gpus == 1 and close(case.monthly_usd, 2611.44)
    assert case.cheaper is True and case.verdict == "cheaper"
    assert close(case.savings_monthly_usd, 22_388.56)
    assert close(case.payback_days, 200 / (22_388.56 / 30))
    # it broke even already at ($2,611.44 + $200 / 12) / $25,000 = 0.10512× today = 525,621 calls
    assert close(case.break_even_calls_monthly, (2611.44 + 200 / 12) / 25_000 * 5_000_000)


def test_self_hosting_break_even_needs_two_gpus_when_fixed_costs_are_high():
    """With $40,000 a month of operations one GPU's worth of traffic never pays: the API month of one
    GPU's traffic is $25,000 × 7,132 / 5,787 = $30,810, $28,199 above the GPU; the fixed $40,016.67
    (operations + setup / 12) needs ⌈40,016.67 / 28,199⌉ = 2 GPUs' worth: k = max(1 × 7,132 / 5,787,
    (2 × 2,611.44 + 40,016.67) / 25,000) = max(1.2324, 1.8096) = 1.8096."""
    from llmcost.simulate.breakeven import self_host_case

    peak, avg = Decimal(5_000_000_000) / 2_592_000 * 3, Decimal(5_000_000_000) / 2_592_000
    case = self_host_case(Decimal(25_000), Decimal(5_000_000), peak, avg, params(ops_monthly=40_000))
    assert case.cheaper is False and case.verdict == "not_cheaper"
    k = (2 * 2611.44 + 40_000 + 200 / 12) / 25_000
    assert close(case.break_even_calls_monthly, k * 5_000_000)


def test_fine_tuning_never_pays_when_the_fine_tuned_model_costs_more():
    """A task already on gpt-4o-mini ($0.15 / $0.60) costs half of the fine-tuned one ($0.30 / $1.20)."""
    from llmcost.simulate.breakeven import fine_tune_case

    case = fine_tune_case(Decimal("10"), Decimal("20"), Decimal(1000), Decimal(1100), params())
    assert case.verdict == "never" and case.cheaper is False
    assert case.payback_days is None and case.break_even_calls_monthly is None
    assert case.savings_monthly_usd == Decimal(-10)


def test_a_task_on_gpt_4o_mini_never_pays_to_fine_tune(cli, tmp_path):
    r = cli("breakeven", str(classify_log(tmp_path, model="gpt-4o-mini")), "--format", "json")
    (t,) = r.json()["tasks"]
    # API 1,000 × (1,000 × 0.15 + 100 × 0.60) / 1M = $0.21 → $0.63 a month; fine-tuned $1.26
    assert close(t["api"]["monthly_usd"], 0.63) and close(t["fine_tuning"]["monthly_usd"], 1.26)
    assert t["fine_tuning"]["verdict"] == "never"


# --- unpriced calls are never $0 ------------------------------------------------------------------

def test_unpriced_task_is_not_compared(cli, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    classify_log(folder)
    classify_log(folder, model="acme-llm-7b", task="chat")
    r = cli("breakeven", str(folder), "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["unpriced_calls"] == 1000 and doc["calls"] == 2000
    chat = next(t for t in doc["tasks"] if t["task_type"] == "chat")
    assert chat["unpriced_calls"] == 1000 and chat["calls"] == 0
    assert chat["fine_tuning"]["verdict"] == "unknown" and chat["self_hosting"]["verdict"] == "unknown"
    assert chat["fine_tuning"]["savings_monthly_usd"] is None
    assert "no call of this task is on a priced model" in chat["fine_tuning"]["verdict_text"]
    assert chat["self_hosting"]["monthly_usd"] is None  # nothing to compare: not a figure


def test_calls_before_the_fine_tuned_model_existed_use_its_latest_price(cli, tmp_path):
    """gpt-4o in May 2024, before gpt-4o-mini fine-tuning opened (2024-07-23): priced at today's
    fine-tuned price, and said so."""
    path = tmp_path / "old.csv"
    path.write_text(f"{HEADER}\n2024-06-01T00:00:00Z,gpt-4o,classify,1000,100\n"
                    "2024-06-02T00:00:00Z,gpt-4o,classify,1000,100\n")
    r = cli("breakeven", str(path), "--format", "json")
    (t,) = r.json()["tasks"]
    # 2 × (1,000 × 0.30 + 100 × 1.20) / 1M = $0.00084 in one day
    assert close(t["fine_tuning"]["cost_usd"], 0.00084)
    assert any("2 calls logged before ft:gpt-4o-mini-2024-07-18 existed" in a
               for a in t["fine_tuning"]["assumptions"])


def test_one_call_has_no_rate(cli, tmp_path):
    """One call spans no time: no monthly figure, no verdict, and a note saying why (not $0)."""
    path = tmp_path / "one.csv"
    path.write_text(f"{HEADER}\n2026-01-01T00:00:00Z,gpt-4o,classify,1000,100\n")
    doc = cli("breakeven", str(path), "--format", "json").json()
    (t,) = doc["tasks"]
    assert close(t["api"]["cost_usd"], 0.0035) and t["api"]["monthly_usd"] is None
    assert t["fine_tuning"]["verdict"] == "unknown" and t["self_hosting"]["verdict"] == "unknown"
    assert t["self_hosting"]["monthly_usd"] is None and t["fine_tuning"]["payback_days"] is None
    assert any("a single call time: too short for a run rate" in n for n in doc["notes"])
    out = cli("breakeven").stdout
    assert "1 call on gpt-4o" in out and "no monthly figures" in out


# --- bad options: one paragraph, exit 2 -----------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--gpu-utilisation", "0"], "--gpu-utilisation 0: expected a fraction above 0"),
    (["--gpu-utilisation", "-0.5"], "expected a fraction above 0"),
    (["--gpu-utilisation", "60"], "For example --gpu-utilisation 0.6 (60 % of the throughput)"),
    (["--gpu-utilisation", "1.5"], "at most 1"),
    (["--gpu-hourly", "-2"], "--gpu-hourly -2: expected a price in USD per GPU-hour above 0"),
    (["--gpu-hourly", "0"], "above 0"),
    (["--gpu-hourly", "nan"], "--gpu-hourly nan"),
    (["--gpu-tokens-per-second", "0"], "above 0"),
    (["--ft-examples", "0"], "--ft-examples 0: expected a whole number of examples at least 1"),
    (["--ft-epochs", "-1"], "--ft-epochs -1"),
    (["--ft-training-tokens", "0"], "--ft-training-tokens 0"),
    (["--ft-training-price", "-3"], "--ft-training-price -3"),
    (["--gpus", "0"], "--gpus 0: expected a whole number of GPUs"),
    (["--gpu-overhead", "-0.1"], "--gpu-overhead -0.1"),
    (["--ops-monthly", "-5"], "--ops-monthly -5"),
    (["--selfhost-setup", "-1"], "--selfhost-setup -1"),
    (["--horizon-months", "0"], "--horizon-months 0"),
    (["--gpu-sizing", "median"], "--gpu-sizing median: expected peak or average"),
    (["--ft-model", "claude-haiku-4-5"], "--ft-model claude-haiku-4-5: no fine-tuning price"),
])
def test_bad_options_are_usage_errors(cli, tmp_path, args, words):
    r = cli("breakeven", str(classify_log(tmp_path)), *args)
    assert r.exit_code == 2, r.stdout
    assert words in r.stderr
    assert "Traceback" not in r.stderr
    assert any(hint in r.stderr for hint in ("For example", "Choose one of", "peak counts GPUs"))


def test_bad_options_stop_before_any_file_is_read(tmp_path):
    from llmcost.pricing.breakeven_defaults import load_breakeven_defaults
    from llmcost.simulate.breakeven import BreakevenOptions, check_options

    with pytest.raises(UsageError):
        check_options(load_breakeven_defaults(), BreakevenOptions(gpu_utilisation=0))


# --- what a person sees -----------------------------------------------------------------------

@pytest.mark.parametrize("columns", [80, 140])
def test_terminal_reads_well(tmp_path, columns):
    from llmcost.cli import app

    log = classify_log(tmp_path)
    r = CliRunner().invoke(app, ["breakeven", str(log)], env={"LLMCOST_DB": str(tmp_path / "s.duckdb"),
                                                              "COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    out = r.stdout
    for line in out.splitlines():
        assert len(line.rstrip()) <= columns, line
    assert "…" not in out  # nothing cut: a long URL folds onto the next line
    flat = " ".join(out.split())
    # the figures worked out above, as rounded for people
    for text in ("$10.50", "$1.26", "$9.90", "$9.24", "32 days", "$2,611.44", "-$2,600.94",
                 "3,000 calls a month on gpt-4o", "3.0M input + 300k output tokens a month",
                 "1,000 examples × 1,100 tokens × 3 epochs = 3,300,000 training tokens",
                 "3,300,000 × $3.00 per M = $9.90 once",
                 "one GPU carries 14,264 × 50 % = 7,132 tokens/s → 1 GPU needed",
                 "1 × $2.79/h × 720 h × (1 + 30 % overhead) = $2,611.44 a month",
                 "breaks even from 750,888 calls a month (×250 today)",
                 "cheaper: saves $9.24 a month; the training pays back in 32 days"):
        assert text in flat, text
    # every assumption printed with its source
    assert "GPU price: $2.79 per GPU-hour" in flat and "techplained.aptechsolutions.io" in flat.replace(" ", "")
    assert "self-hosting setup: $200.00 once — article 003" in flat


def test_markdown(cli, tmp_path):
    r = cli("breakeven", str(classify_log(tmp_path)), "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    md = r.stdout
    assert "| task | calls a month | API a month |" in md
    assert "| classify | 3,000 | $10.50 | $1.26 | $9.90 | 32 days | $2,611.44 | 1 | $200.00 | never |" in md
    assert "### Assumptions" in md and "| GPU price | $2.79 per GPU-hour" in md


def test_no_calls(cli):
    r = cli("breakeven")  # an empty store: nothing to compare, a data problem (issue 15)
    assert r.exit_code == 1
    assert "holds no calls yet" in r.stderr


# --- the data: every default has a source, the fine-tuned models are in the book ------------------

def test_defaults_are_sourced_data():
    from llmcost.pricing.book import load_book
    from llmcost.pricing.breakeven_defaults import load_breakeven_defaults

    d = load_breakeven_defaults()
    book = load_book()
    for fig in (d.ft_examples, d.ft_epochs, d.gpu_hourly, d.tokens_per_second, d.utilisation, d.overhead,
                d.ops_monthly, d.setup, d.hours_per_month, d.horizon_months):
        assert fig.source
    for m in d.ft_models:
        assert m.model in book.models and m.fine_tuned_model in book.models
        assert book.models[m.fine_tuned_model].family == "fine-tuned"
        assert all(p.source.startswith("https://") and p.checked for p in m.periods)
    prices = {m.model: m.latest.per_mtok for m in d.ft_models}
    assert prices == {"gpt-4o-mini": Decimal("3.00"), "gpt-4o": Decimal("25.00"), "gpt-4.1": Decimal("25.00"),
                      "gpt-4.1-mini": Decimal("5.00"), "gpt-4.1-nano": Decimal("1.50")}


def test_a_broken_defaults_file_names_the_key(tmp_path):
    from llmcost.pricing.breakeven_defaults import defaults_path, load_breakeven_defaults

    text = defaults_path().read_text().replace("    value: 0.5\n", "    value: 1.5\n", 1)
    bad = tmp_path / "breakeven.yaml"
    bad.write_text(text)
    with pytest.raises(PricingError, match=r"self_hosting\.utilisation\.value: expected a fraction"):
        load_breakeven_defaults(bad)


def test_fine_tuned_models_are_never_route_targets():
    from llmcost.pricing.book import load_book
    from llmcost.simulate.levers import route_targets

    book = load_book()
    for word in ("mini", "nano", "small", "gpt"):
        assert not any(t.startswith("ft:") for t in route_targets(book, word).values()), word
