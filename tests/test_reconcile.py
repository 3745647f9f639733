"""`llmcost reconcile INVOICE` (issue 16, item 6) on logs and invoices built by hand with a known
answer.

Prices (the shipped book, from the providers' pricing pages): gpt-4o $2.50 in / $10 out per M
tokens, so a call of 1,000,000 tokens in and 100,000 out costs $2.50 + $1.00 = $3.50;
claude-sonnet-4-5 $3 in per M, so 100,000 tokens in cost $0.30 (under its 200,000-token long-context
threshold). `acme-9` is in no price book.

The invoice formats are parsed from their documented examples:
- OpenAI Costs API: the response example of `GET /v1/organization/costs` in OpenAI's API reference
  (developers.openai.com/api/reference, "Costs", Returns Examples), verbatim.
- OpenAI's cost CSV: the columns of the usage page's Export (Cost data, grouped by line item,
  1 day) as documented in Pelanor's OpenAI integration guide (docs.pelanor.io/integrations/
  services/openai), with its examples `1716153600` and `"gpt-4o-2024-08-06, input"`.
- Anthropic's cost report: the `CostReport` object of `GET /v1/organizations/cost_report` in
  Anthropic's API reference (platform.claude.com/docs/en/api/admin/cost_report), whose `amount` is
  "a decimal string in lowest currency units (e.g. cents)… "123.45" in "USD" represents $1.23"
  (exactly $1.2345).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost.errors import InputFileError
from llmcost.ingest.invoices import read_invoice
from llmcost.report.reconcile import Reconciliation

HEADER = "call_id,ts,provider,model,input_tokens,output_tokens,status,billed"
GPT4O = "1000000,100000,ok,true"  # $3.50

OPENAI_COSTS_DOC = """{
  "object": "page",
  "data": [
    {
      "object": "bucket",
      "start_time": 1730419200,
      "end_time": 1730505600,
      "results": [
        {
          "object": "organization.costs.result",
          "amount": {
            "value": 0.06,
            "currency": "usd"
          },
          "line_item": null,
          "project_id": null
        }
      ]
    }
  ],
  "has_more": false,
  "next_page": null
}"""


def anthropic_report(buckets: list[tuple[str, list[dict[str, object]]]], has_more: bool = False) -> str:
    """A cost report in the documented shape: data[] buckets {starting_at, ending_at, results[]}."""
    data = []
    for day, results in buckets:
        y, m, d = (int(x) for x in day.split("-"))
        data.append({"starting_at": f"{day}T00:00:00Z", "ending_at": date.fromordinal(date(y, m, d).toordinal() + 1)
                     .isoformat() + "T00:00:00Z", "results": results})
    return json.dumps({"data": data, "has_more": has_more, "next_page": "page_x" if has_more else None})


def sonnet_line(amount: str, tier: str = "standard", window: str = "0-200k") -> dict[str, object]:
    return {"amount": amount, "context_window": window, "cost_type": "tokens", "currency": "USD",
            "description": "Claude Sonnet 4.5 Usage - Input Tokens", "model": "claude-sonnet-4-5-20250929",
            "service_tier": tier, "token_type": "uncached_input_tokens", "workspace_id": None}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def write_log(folder: Path, rows: list[str]) -> Path:
    return write(folder, "calls.csv", "\n".join([HEADER, *rows]) + "\n")


# --- the invoice formats ---------------------------------------------------------------------


def test_openai_costs_api_documented_example(tmp_path):
    inv = read_invoice(str(write(tmp_path, "costs.json", OPENAI_COSTS_DOC)))
    assert inv.format == "openai_costs"
    # start_time 1730419200 = 20,097 days × 86,400 s after 1970-01-01 = 2024-11-01 (UTC)
    [line] = inv.lines
    assert (line.day, line.provider, line.model, line.amount) == (date(2024, 11, 1), "openai", None, Decimal("0.06"))
    assert inv.notes == []  # has_more false: complete


def test_an_export_without_models_is_compared_per_day_and_says_how_to_itemise(cli, tmp_path):
    # the documented page (line_item null) moved to 2026-10-01 (start_time 1790812800): $3.50 against
    # the day's one gpt-4o call at $3.50: difference 0, one day × provider row
    page = json.loads(OPENAI_COSTS_DOC)
    page["data"][0].update(start_time=1790812800, end_time=1790899200)
    page["data"][0]["results"][0]["amount"]["value"] = 3.5
    inv = write(tmp_path, "costs.json", json.dumps(page))
    doc = cli("reconcile", str(inv), str(write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}"])),
              "--format", "json").json()
    assert [(x["model"], x["model_named"], x["difference_usd"]) for x in doc["rows"]] == [(None, False, 0.0)]
    assert any("group_by=line_item" in n for n in doc["notes"])


def test_openai_costs_pages_and_line_items(tmp_path):
    # two pages, one a line (JSON Lines), grouped by line_item; the last still has_more
    page = json.loads(OPENAI_COSTS_DOC)
    page["data"][0]["results"] = [
        {"object": "organization.costs.result", "amount": {"value": 1.5, "currency": "usd"},
         "line_item": "gpt-4o-2024-08-06, input", "project_id": None},
        {"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
         "line_item": "gpt-4o-2024-08-06, output (batch)", "project_id": None}]
    more = dict(page, has_more=True, next_page="page_2")
    inv = read_invoice(str(write(tmp_path, "costs.jsonl", json.dumps(page) + "\n" + json.dumps(more) + "\n")))
    assert [(ln.model, ln.tier, ln.amount) for ln in inv.lines] == [
        ("gpt-4o-2024-08-06", None, Decimal("1.5")), ("gpt-4o-2024-08-06", "batch", Decimal("0.25"))] * 2
    assert inv.notes and "has_more" in inv.notes[0]


def test_openai_cost_csv_export(tmp_path):
    text = ("start_time,end_time,amount_value,amount_currency,line_item,project_id,organization_id,"
            "project_name,organization_name\n"
            '1716153600,1716240000,1.25,usd,"gpt-4o-2024-08-06, input",proj_abc,org-abc,Default project,Acme\n')
    inv = read_invoice(str(write(tmp_path, "export.csv", text)))
    assert inv.format == "openai_costs_csv"
    # 1716153600 = 19,862 × 86,400 + 76,800 s: 2024-05-19 at 21:20 UTC (day 19,862 after 1970-01-01)
    [line] = inv.lines
    assert (line.day, line.provider, line.model, line.amount) == (
        date(2024, 5, 19), "openai", "gpt-4o-2024-08-06", Decimal("1.25"))


def test_anthropic_cost_report_amounts_are_cents(tmp_path):
    text = anthropic_report([("2025-08-01", [sonnet_line("123.45"), sonnet_line("10", "batch", "200k-1M"),
                                             {"amount": "50", "currency": "USD", "description": "Web Search Usage",
                                              "cost_type": "web_search", "model": None}])])
    inv = read_invoice(str(write(tmp_path, "report.json", text)))
    assert inv.format == "anthropic_cost_report"
    # "123.45" cents = $1.2345; "10" cents = $0.10; "50" cents = $0.50
    assert [(ln.day, ln.provider, ln.model, ln.amount, ln.tier, ln.long_context) for ln in inv.lines] == [
        (date(2025, 8, 1), "anthropic", "claude-sonnet-4-5-20250929", Decimal("1.2345"), None, False),
        (date(2025, 8, 1), "anthropic", "claude-sonnet-4-5-20250929", Decimal("0.10"), "batch", True),
        (date(2025, 8, 1), "anthropic", None, Decimal("0.50"), None, False)]


def test_plain_csv_with_and_without_model(tmp_path):
    inv = read_invoice(str(write(tmp_path, "a.csv", "Date,Provider,Amount_USD\n2026-10-01,OpenAI,12.50\n")))
    assert [(ln.day, ln.provider, ln.model, ln.amount) for ln in inv.lines] == [
        (date(2026, 10, 1), "openai", None, Decimal("12.50"))]
    inv = read_invoice(str(write(tmp_path, "b.csv", "amount_usd,model,provider,date\n3.5,gpt-4o,openai,2026-10-02\n")))
    assert [(ln.day, ln.model, ln.amount) for ln in inv.lines] == [(date(2026, 10, 2), "gpt-4o", Decimal("3.5"))]


def test_the_format_is_found_by_content_not_name(tmp_path):
    assert read_invoice(str(write(tmp_path, "invoice.csv", OPENAI_COSTS_DOC))).format == "openai_costs"
    text = anthropic_report([("2025-08-01", [sonnet_line("100")])])
    assert read_invoice(str(write(tmp_path, "openai.txt", text))).format == "anthropic_cost_report"


BAD = {
    "empty.csv": ("", "empty"),
    "other.json": ('{"data": [{"day": "2026-10-01", "cost": 3}]}', "neither OpenAI"),
    "log.csv": ("timestamp,model,input_tokens\n2026-10-01,gpt-4o,10\n", "columns: timestamp, model, input_tokens"),
    "eur.csv": ("start_time,amount_value,amount_currency,line_item\n1716153600,1.0,eur,gpt-4o\n", "EUR"),
    "amount.csv": ("date,provider,amount_usd\n2026-10-01,openai,twelve\n", "'twelve' is not a number"),
    "day.csv": ("date,provider,amount_usd\nyesterday,openai,1\n", "'yesterday' is not a date"),
    "bad.json": ('{"data": [', "not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_invoice_is_one_clear_error(cli, tmp_path, name):
    text, said = BAD[name]
    path = write(tmp_path, name, text)
    with pytest.raises(InputFileError) as e:
        read_invoice(str(path))
    assert said.lower() in e.value.message.lower()
    r = cli("reconcile", str(path), str(write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}"])))
    assert r.exit_code == 1  # a file that cannot be read: InputFileError, exit 1
    assert r.stderr.count("Error:") == 1 and "Traceback" not in r.stderr and r.stdout == ""


def test_a_file_none_fits_names_the_formats_accepted(cli, tmp_path):
    r = cli("reconcile", str(write(tmp_path, "x.csv", "a,b\n1,2\n")), "--db", ":memory:")
    assert r.exit_code == 1
    for fmt in ("OpenAI's cost export", "Anthropic's cost report", "date, provider, amount_usd"):
        assert fmt in r.stderr.replace("\n  ", " ")


def test_a_usage_error_exits_2(cli, tmp_path):
    inv = write(tmp_path, "inv.csv", "date,provider,amount_usd\n2026-10-01,openai,3.50\n")
    r = cli("reconcile", str(inv), "--since", "sometime")
    assert r.exit_code == 2 and "Traceback" not in r.stderr


# --- the reconciliation ----------------------------------------------------------------------


def done_when(tmp_path: Path) -> tuple[Path, Path]:
    """Logs: gpt-4o on Oct 1, 2 and 4 (no call on Oct 3), and one call of acme-9 (unpriced) on
    Oct 1. Invoice: gpt-4o at its computed $3.50 on each day the logs have, $7.00 on Oct 3 (a day
    missing from the logs) and $5.00 for acme-9 on Oct 1."""
    log = write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               "a2,2026-10-01T10:00:00Z,openai,acme-9,5000,500,ok,true",
                               f"a3,2026-10-02T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               f"a4,2026-10-04T09:00:00Z,openai,gpt-4o,{GPT4O}"])
    inv = write(tmp_path, "invoice.csv", "date,provider,model,amount_usd\n"
                "2026-10-01,openai,gpt-4o-2024-08-06,3.50\n"  # the snapshot name: gpt-4o by its alias
                "2026-10-01,openai,acme-9,5.00\n"
                "2026-10-02,openai,gpt-4o,3.50\n"
                "2026-10-03,openai,gpt-4o,7.00\n"
                "2026-10-04,openai,gpt-4o,3.50\n")
    return log, inv


def test_an_unpriced_model_and_a_missing_day_are_named(cli, tmp_path):
    log, inv = done_when(tmp_path)
    r = cli("reconcile", str(inv), str(log), "--format", "json")
    # invoiced 3.50 + 5 + 3.50 + 7 + 3.50 = 22.50; computed 3 × 3.50 = 10.50 (acme-9 unpriced: not $0
    # computed, no price); difference 12.00 = 7.00 (Oct 3 missing) + 5.00 (acme-9 unpriced), rest 0;
    # 12.00 > the tolerance max($1, √5 × $0.005 = $0.011) = $1: no match, exit 1
    assert r.exit_code == 1, r.stderr
    doc = r.json()
    assert (doc["invoiced_usd"], doc["computed_usd"], doc["difference_usd"]) == (22.5, 10.5, 12.0)
    assert [(e["reason"], e["usd"]) for e in doc["explained"]] == [("days_missing_from_logs", 7.0),
                                                                    ("unpriced_models", 5.0)]
    missing, unpriced = doc["explained"]
    assert missing["days"] == ["2026-10-03"] and unpriced["models"] == ["acme-9"]
    assert doc["unexplained_usd"] == 0.0
    assert doc["matches"] is False and doc["tolerance_usd"] == 1.0 and doc["tolerance"]["rows"] == 5
    assert {(x["day"], x["model"]) for x in doc["rows"]} == {
        ("2026-10-01", "gpt-4o"), ("2026-10-01", "acme-9"), ("2026-10-02", "gpt-4o"), ("2026-10-03", "gpt-4o"),
        ("2026-10-04", "gpt-4o")}
    table = cli("reconcile", str(inv))  # the store holds the log now
    assert table.exit_code == 1
    text = " ".join(table.stdout.split())
    assert "days missing from the logs (gpt-4o; 2026-10-03) +$7.00" in text
    assert "unpriced models (acme-9; 2026-10-01) +$5.00" in text and "unexplained ±$0.00" in text
    md = cli("reconcile", str(inv), "--format", "markdown").stdout
    assert "| … unpriced models (acme-9; 2026-10-01) | +$5.00 |" in md


def test_the_parts_add_up_exactly(tmp_path):
    from llmcost.ingest.invoices import Invoice, InvoiceLine
    from llmcost.pricing.book import load_book
    from llmcost.report.reconcile import CallGroup, compare

    book = load_book()
    d = date(2026, 10, 1)
    # computed 1/3 of a dollar to 21 places (what DuckDB's DECIMAL(38,21) carries); invoiced $1.00
    third = Decimal("0.333333333333333333333")
    groups = [CallGroup(d, "openai", "gpt-4o", "standard", 3, 0, third, 1, Decimal("0.1")),
              CallGroup(date(2026, 10, 2), "openai", "gpt-4o", "standard", 1, 0, third, 0, Decimal(0))]
    inv = Invoice("x.csv", "plain_csv", [InvoiceLine(d, "openai", "gpt-4o", Decimal("1.00")),
                                         InvoiceLine(date(2026, 10, 2), "openai", "gpt-4o", Decimal("0.30"))])
    r = compare(inv, groups, book)
    # Oct 1: 1.00 − 0.333… = 0.666666666666666666667: billed errors take their $0.10, rest 0.566…667;
    # Oct 2: 0.30 − 0.333… = −0.033333333333333333333, nothing explains it
    assert r.difference == Decimal("1.30") - 2 * third
    assert [(e.reason, e.usd) for e in r.explained] == [("billed_errors", Decimal("0.1"))]
    assert r.unexplained == Decimal("0.633333333333333333334") - Decimal("0.1")
    assert sum((e.usd for e in r.explained), r.unexplained) == r.difference


def test_billed_errors_explain_up_to_the_gap(cli, tmp_path):
    # Oct 4: one gpt-4o call ($3.50) and one errored call the log marks not billed (1,000,000 tokens
    # in: $2.50 had it been billed). Invoiced $6.30: gap 2.80 = 2.50 billed errors + 0.30 unexplained.
    # Oct 5: the same, invoiced $4.50: gap 1.00 < 2.50, so billed errors explain 1.00 (capped), rest 0.
    log = write_log(tmp_path, [f"a1,2026-10-04T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               "a2,2026-10-04T10:00:00Z,openai,gpt-4o,1000000,0,error,false",
                               f"a3,2026-10-05T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               "a4,2026-10-05T10:00:00Z,openai,gpt-4o,1000000,0,error,false"])
    inv = write(tmp_path, "inv.csv", "date,provider,model,amount_usd\n2026-10-04,openai,gpt-4o,6.30\n"
                "2026-10-05,openai,gpt-4o,4.50\n")
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    assert doc["difference_usd"] == pytest.approx(3.80)  # 6.30 + 4.50 − 2 × 3.50
    assert [(e["reason"], e["usd"]) for e in doc["explained"]] == [("billed_errors", pytest.approx(3.50))]
    assert doc["unexplained_usd"] == pytest.approx(0.30)
    rows = {x["day"]: x for x in doc["rows"]}
    assert rows["2026-10-05"]["explained"] == [{"reason": "billed_errors", "usd": pytest.approx(1.00)}]
    assert rows["2026-10-05"]["unexplained_usd"] == 0.0


def test_a_batch_tier_on_the_invoice_against_standard_logs(cli, tmp_path):
    # the log prices one claude-sonnet-4-5 call of 100,000 tokens in at standard: $0.30; the cost
    # report charged it at batch: "15" cents = $0.15. Difference 0.15 − 0.30 = −0.15; at the batch
    # multiplier 0.5 the $0.15 stands for $0.30 at standard, so the tier explains 0.15 − 0.15 / 0.5 = −0.15.
    log = write(tmp_path, "calls.csv", "call_id,ts,model,input_tokens,output_tokens\n"
                "s1,2026-10-01T09:00:00Z,claude-sonnet-4-5,100000,0\n")
    inv = write(tmp_path, "report.json", anthropic_report([("2026-10-01", [sonnet_line("15", "batch")])]))
    r = cli("reconcile", str(inv), str(log), "--format", "json")
    doc = r.json()
    assert r.exit_code == 0  # |−0.15| ≤ $1.00
    assert (doc["invoiced_usd"], doc["computed_usd"]) == (0.15, 0.3)
    assert [(e["reason"], e["usd"]) for e in doc["explained"]] == [("tier_differences", -0.15)]
    assert doc["unexplained_usd"] == 0.0


def test_what_is_left_out_is_said(cli, tmp_path):
    # logs: gpt-4o on Oct 1 and 2 ($3.50 each), claude-sonnet-4-5 on Oct 1 ($0.30, a provider the
    # invoice does not list). Invoice: gpt-4o Oct 1 $3.50, nothing Oct 2, Oct 9 $1 (after the logs'
    # last day), deepseek Oct 1 $2 (a provider with no call). Compared: Oct 1 to Oct 2 (the logs'
    # days within the invoice's); the Oct 2 gpt-4o call is not on the invoice: −3.50, not_on_invoice.
    log = write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               f"a2,2026-10-02T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               "a3,2026-10-01T09:00:00Z,anthropic,claude-sonnet-4-5,100000,0,ok,true"])
    inv = write(tmp_path, "inv.csv", "date,provider,model,amount_usd\n2026-10-01,openai,gpt-4o,3.50\n"
                "2026-10-09,openai,gpt-4o,1.00\n2026-10-01,deepseek,deepseek-chat,2.00\n")
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    assert (doc["invoiced_usd"], doc["computed_usd"], doc["difference_usd"]) == (3.5, 7.0, -3.5)
    assert [(e["reason"], e["usd"], e["days"]) for e in doc["explained"]] == [
        ("not_on_invoice", -3.5, ["2026-10-02"])]
    left = {(x["from"], x["usd"], x["count"]) for x in doc["left_out"]}
    # deepseek's $2 line, the Oct 9 $1 line, the claude call's $0.30
    assert left == {("invoice", 2.0, 1), ("invoice", 1.0, 1), ("logs", 0.3, 1)}
    reasons = " ".join(x["reason"] for x in doc["left_out"])
    assert "deepseek" in reasons and "outside the span" in reasons and "anthropic" in reasons
    table = " ".join(cli("reconcile", str(inv)).stdout.split())
    assert "Left out of the invoice: 1 line, $2.00: lines of deepseek" in table


def test_a_provider_level_invoice_never_forces_the_rest_to_zero(cli, tmp_path):
    # a day × provider invoice (no model): Oct 1 has gpt-4o ($3.50) and acme-9 (unpriced). Invoiced
    # $8.50: difference 5.00; the unpriced call may account for part of it, but nothing says how
    # much: unexplained 5.00, and the row says 1 of 2 calls is unpriced.
    log = write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}",
                               "a2,2026-10-01T10:00:00Z,openai,acme-9,5000,500,ok,true"])
    inv = write(tmp_path, "inv.csv", "date,provider,amount_usd\n2026-10-01,openai,8.50\n")
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    assert doc["explained"] == [] and doc["unexplained_usd"] == 5.0
    [row] = doc["rows"]
    assert row["model"] is None and row["unpriced_calls"] == 1
    assert any("1 of 2 calls unpriced" in n for n in row["notes"])


def test_it_matches_within_the_tolerance(cli, tmp_path):
    # computed 3 × 3.50 = 10.50; invoiced 10.50 + 0.99 = 11.49: |0.99| ≤ max($1, √3 × $0.005) = $1
    log = write_log(tmp_path, [f"a{d},2026-10-0{d}T09:00:00Z,openai,gpt-4o,{GPT4O}" for d in (1, 2, 3)])
    inv = write(tmp_path, "inv.csv", "date,provider,amount_usd\n2026-10-01,openai,3.50\n2026-10-02,openai,3.50\n"
                "2026-10-03,openai,4.49\n")
    r = cli("reconcile", str(inv), str(log))
    assert r.exit_code == 0, r.stdout
    text = " ".join(r.stdout.split())
    assert "matches" in text and "max($1.00, √3 × $0.005 = $0.0087) = $1.00" in text


@pytest.mark.parametrize(("rows", "tolerance"), [(1, "1.00"), (40_000, "1.00"), (90_000, "1.5")])
def test_the_tolerance_grows_with_the_root_of_the_rows(rows, tolerance):
    # max($1.00, √rows × $0.005): √40,000 = 200 → $1.00; √90,000 = 300 → $1.50
    r = Reconciliation("x", "plain_csv", None, None, [], [], rows)
    assert r.tolerance == Decimal(tolerance)


@pytest.mark.parametrize("columns", [140, 80, 50])
def test_no_value_is_cut_at_any_width(tmp_path, columns):
    from typer.testing import CliRunner

    from llmcost.cli import app

    log, inv = done_when(tmp_path)
    r = CliRunner().invoke(app, ["reconcile", str(inv), str(log), "--db", ":memory:"],
                           env={"LLMCOST_DB": None, "COLUMNS": str(columns)})
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert max(len(x.rstrip()) for x in lines) <= columns
    # every row's day and model, and its figures, whole on one line each
    for day, model, invoiced in (("2026-10-03", "gpt-4o", "$7.00"), ("2026-10-01", "acme-9", "$5.00")):
        assert any(day in x and model in x for x in lines), r.stdout
        assert any(invoiced in x and "$0.00" in x for x in lines), r.stdout


def test_web_search_lines_stand_beside_the_model_lines(cli, tmp_path):
    # one claude-sonnet-4-5 call: 100,000 tokens in ($0.30) and 2 web searches ($10 per 1,000: $0.02).
    # The cost report's model line "30" cents = $0.30, its web search line (no model) "2" cents = $0.02:
    # the searches' cost is compared with the line naming no model, so both rows agree.
    log = write(tmp_path, "calls.csv", "call_id,ts,model,input_tokens,output_tokens,web_search_requests\n"
                "s1,2026-10-01T09:00:00Z,claude-sonnet-4-5,100000,0,2\n")
    search = {"amount": "2", "currency": "USD", "description": "Web Search Usage", "cost_type": "web_search",
              "model": None, "service_tier": None, "token_type": None, "context_window": None, "workspace_id": None}
    inv = write(tmp_path, "report.json", anthropic_report([("2026-10-01", [sonnet_line("30"), search])]))
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    rows = {x["model"]: (x["invoiced_usd"], x["computed_usd"], x["model_named"]) for x in doc["rows"]}
    assert rows == {"claude-sonnet-4-5": (0.3, 0.3, True), None: (0.02, 0.02, True)}
    assert doc["difference_usd"] == 0.0 and doc["explained"] == []


def test_priority_calls_are_not_in_anthropics_cost_report(cli, tmp_path):
    # Anthropic documents that the cost report leaves Priority Tier costs out. Two calls of 100,000
    # tokens in, one at priority (priced as standard: the book has no priority price), $0.30 each;
    # the report's one line "30" cents = $0.30. Difference 0.30 − 0.60 = −0.30, all of it the
    # priority call the report leaves out.
    log = write(tmp_path, "calls.csv", "call_id,ts,model,input_tokens,output_tokens,service_tier\n"
                "s1,2026-10-01T09:00:00Z,claude-sonnet-4-5,100000,0,standard\n"
                "s2,2026-10-01T10:00:00Z,claude-sonnet-4-5,100000,0,priority\n")
    inv = write(tmp_path, "report.json", anthropic_report([("2026-10-01", [sonnet_line("30")])]))
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    assert doc["difference_usd"] == pytest.approx(-0.3)
    assert [(e["reason"], e["usd"]) for e in doc["explained"]] == [("priority_not_in_report", pytest.approx(-0.3))]
    assert doc["unexplained_usd"] == 0.0


def test_an_invoice_of_other_days_is_one_clear_error(cli, tmp_path):
    log = write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}"])
    inv = write(tmp_path, "inv.csv", "date,provider,amount_usd\n2026-11-01,openai,3.50\n2026-11-02,openai,3.50\n")
    r = cli("reconcile", str(inv), str(log))
    assert r.exit_code == 1 and r.stdout == "" and "Traceback" not in r.stderr
    text = " ".join(r.stderr.split())
    assert "No invoice line to compare: its lines run 2026-11-01 to 2026-11-02 for openai" in text
    assert "the calls in scope 2026-10-01 to 2026-10-01 for openai" in text


def test_the_json_parts_add_up_to_the_digit(cli, tmp_path):
    log, inv = done_when(tmp_path)
    doc = cli("reconcile", str(inv), str(log), "--format", "json").json()
    exact = doc["exact"]
    parts = sum((Decimal(e["usd"]) for e in exact["explained"]), Decimal(exact["unexplained_usd"]))
    assert parts == Decimal(exact["difference_usd"]) == Decimal(exact["invoiced_usd"]) - Decimal(exact["computed_usd"])
    assert Decimal(exact["difference_usd"]) == Decimal("12")  # 22.50 − 10.50 (see the done-when test)
    assert abs(sum(e["usd"] for e in doc["explained"]) + doc["unexplained_usd"] - doc["difference_usd"]) < 1e-9


def test_openai_line_items_are_read_as_their_model(cli, tmp_path):
    # the documented page with start_time 1790812800 (= 20,727 × 86,400: 2026-10-01) grouped by
    # line_item: "gpt-4o-2024-08-06, input" $2.50 and "…, output" $1.00, both gpt-4o by its alias;
    # the log's one gpt-4o call costs $2.50 + $1.00 = $3.50: one row, two lines, difference 0
    page = json.loads(OPENAI_COSTS_DOC)
    page["data"][0].update(start_time=1790812800, end_time=1790899200)
    page["data"][0]["results"] = [
        {"object": "organization.costs.result", "amount": {"value": 2.5, "currency": "usd"},
         "line_item": "gpt-4o-2024-08-06, input", "project_id": None},
        {"object": "organization.costs.result", "amount": {"value": 1.0, "currency": "usd"},
         "line_item": "gpt-4o-2024-08-06, output", "project_id": None}]
    inv = write(tmp_path, "costs.json", json.dumps(page))
    r = cli("reconcile", str(inv), str(write_log(tmp_path, [f"a1,2026-10-01T09:00:00Z,openai,gpt-4o,{GPT4O}"])),
            "--format", "json")
    assert r.exit_code == 0
    doc = r.json()
    assert [(x["day"], x["model"], x["invoice_lines"], x["difference_usd"]) for x in doc["rows"]] == [
        ("2026-10-01", "gpt-4o", 2, 0.0)]
    assert doc["invoice"]["format"] == "openai_costs" and doc["tolerance"]["rows"] == 2
