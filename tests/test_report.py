"""`llmcost report`: one Report object, five renderings that agree to the cent, safe with hostile logs."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, ROOT

G = DATA / "generic"
HOSTILE = ['<script>alert(1)</script>', '</script><img src=x onerror=alert(1)>', '=HYPERLINK("http://x")',
           "+cmd|' /C calc'!A0", "@SUM(1)"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The first 8,000 calls of the invoice sample (every lever has something to say) and a log
    that records its own cost (for the reconciliation)."""
    d = tmp_path_factory.mktemp("sample")
    head = d / "invoice_head.csv"
    with gzip.open(ROOT / "sample_logs" / "invoice_pipeline.csv.gz", "rt") as f, head.open("w") as out:
        for i, line in enumerate(f):
            if i > 8000:
                break
            out.write(line)
    return [str(head), str(G / "tracker.csv")]


def _run(cli: Any, *args: str) -> Any:
    r = cli(*args)
    assert r.exit_code == 0, r.stderr + r.stdout
    return r


@pytest.fixture(scope="module")
def outputs(sample: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """analyze and recommend JSON, and the report in every format, each from a fresh store."""
    from typer.testing import CliRunner

    from llmcost.cli import app

    d = tmp_path_factory.mktemp("out")

    def cli(*args: str) -> Any:
        r = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        assert r.exit_code == 0, r.stdout + r.stderr
        return r

    out: dict[str, Any] = {
        "analyze": json.loads(cli("analyze", *sample, "--db", ":memory:", "--format", "json").stdout),
        "recommend": json.loads(cli("recommend", *sample, "--db", ":memory:", "--format", "json").stdout),
    }
    for name in ("report.html", "report.md", "report.json", "report.csv", "report.focus.csv"):
        r = cli("report", *sample, "--db", ":memory:", "-o", str(d / name), "--title", "Invoices <Q4> & co")
        out[name] = (d / name).read_text(encoding="utf-8")
        out[name + ":stdout"] = r.stdout
    return out


def resolve(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def money(v: float) -> str:
    """Two decimals; four under a cent (a non-zero figure never reads $0.00)."""
    d = Decimal(repr(v))
    places = 4 if 0 < abs(d) < Decimal("0.01") else 2
    return f"-${-d:,.{places}f}" if d < 0 else f"${d:,.{places}f}"


def test_html_figures_match_analyze_and_recommend_json_to_the_cent(outputs):
    page = outputs["report.html"]
    docs = {"analyze": outputs["analyze"], "recommend": outputs["recommend"]}
    figures = re.findall(r'data-figure="([^"]+)">([^<]+)<', page)
    paths = {p for p, _ in figures}
    # the headline, the plan, every recommendation and every model are tagged
    for must in ("analyze.totals.cost_usd", "analyze.totals.monthly_usd", "recommend.plan.savings_monthly_usd",
                 "recommend.plan.savings_pct", "recommend.plan.monthly_usd", "recommend.baseline.monthly_usd",
                 "analyze.reconciliation.logged_cost_usd", "analyze.by_model.0.cost_usd",
                 "analyze.by_task_type.0.cost_usd"):
        assert must in paths, must
    recs = outputs["recommend"]["recommendations"]
    assert len(recs) >= 3
    for i in range(len(recs)):
        assert f"recommend.recommendations.{i}.savings_monthly_usd" in paths
    for i in range(len(outputs["recommend"]["plan"]["steps"])):
        assert f"recommend.plan.steps.{i}.savings_monthly_usd" in paths
    assert len(figures) > 20
    for path, shown in figures:
        value = resolve(docs, path)
        expected = f"{value:.1f} %" if path.endswith("_pct") else money(value)
        assert shown == expected, (path, shown, expected)


def test_report_json_is_analyze_and_recommend_plus_metadata(outputs):
    from llmcost.report.model import REPORT_VERSION

    doc = json.loads(outputs["report.json"])
    assert doc["report_version"] == REPORT_VERSION
    assert doc["title"] == "Invoices <Q4> & co"
    assert doc["generated_at"].endswith("Z")
    assert doc["command_line"].startswith("llmcost report ")
    assert "--title 'Invoices <Q4> & co'" in doc["command_line"]
    assert doc["price_book"]["checked"] and "anthropic.yaml" in doc["price_book"]["files"]
    a, r = outputs["analyze"], outputs["recommend"]
    for key in ("totals", "period", "by_model", "by_task_type", "by_day", "reconciliation", "prices_used"):
        assert doc["analyze"][key] == a[key], key
    for key in ("baseline", "recommendations", "plan", "rules", "not_evaluated"):
        assert doc["recommend"][key] == r[key], key
    assert doc["headline"]["spend_usd"] == a["totals"]["cost_usd"]
    assert doc["headline"]["savings_monthly_usd"] == r["plan"]["savings_monthly_usd"]
    priced = sum(ln["cost_usd"] for ln in doc["spend_lines"] if ln["priced"])
    assert priced == pytest.approx(a["totals"]["cost_usd"], abs=1e-9)


def test_markdown_report(outputs):
    md = outputs["report.md"]
    a, r = outputs["analyze"], outputs["recommend"]
    assert md.startswith("# Invoices \\<Q4\\> & co")
    assert money(a["totals"]["cost_usd"]) in md
    assert money(r["plan"]["savings_monthly_usd"]) in md
    assert "## Savings plan" in md and "## Data quality" in md and "## Methodology" in md
    assert "llmcost report " in md


def test_report_csv_spend_by_model_day_token_class(outputs):
    rows = list(csv.DictReader(io.StringIO(outputs["report.csv"])))
    from llmcost.render.csv_out import REPORT_CSV_COLUMNS

    assert tuple(rows[0].keys()) == REPORT_CSV_COLUMNS
    assert {r["token_class"] for r in rows} >= {"input", "output"}
    total = sum(Decimal(r["cost_usd"]) for r in rows if r["priced"] == "true")
    assert float(total) == pytest.approx(outputs["analyze"]["totals"]["cost_usd"], abs=1e-9)
    keys = [(r["day"], r["provider"], r["model"], r["token_class"], r["priced"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_focus_csv_has_the_spec_columns_and_sums_to_the_total(outputs):
    from llmcost.render.focus import FOCUS_COLUMNS, FOCUS_MANDATORY, FOCUS_NOT_NULL

    text = outputs["report.focus.csv"]
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == FOCUS_COLUMNS
    assert len(FOCUS_COLUMNS) == 57 and set(FOCUS_MANDATORY) <= set(FOCUS_COLUMNS)
    rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert rows
    billed = sum(Decimal(r["BilledCost"]) for r in rows)
    assert float(billed) == pytest.approx(outputs["analyze"]["totals"]["cost_usd"], abs=1e-9)
    for r in rows:
        for col in FOCUS_NOT_NULL:
            assert r[col] != "", col
        assert r["BillingCurrency"] == "USD" and r["ChargeCategory"] == "Usage" and r["ChargeClass"] == ""
        assert r["ChargePeriodStart"].endswith("T00:00:00Z") and r["ChargePeriodStart"] < r["ChargePeriodEnd"]
        assert r["BillingPeriodStart"] <= r["ChargePeriodStart"] < r["BillingPeriodEnd"]
        assert Decimal(r["EffectiveCost"]) == Decimal(r["BilledCost"]) == Decimal(r["ContractedCost"])
        if r["ListUnitPrice"]:
            assert Decimal(r["ListUnitPrice"]) * Decimal(r["PricingQuantity"]) == pytest.approx(
                Decimal(r["ListCost"]), abs=Decimal("1e-12"))
        json.loads(r["Tags"])
    per_class = {r["SkuMeter"] for r in rows}
    assert {"Input Tokens", "Output Tokens"} <= per_class


def test_stdout_says_what_was_written(outputs):
    line = outputs["report.html:stdout"].strip()
    assert "\n" not in line
    assert line.startswith("Wrote ") and "report.html" in line and "HTML report" in line
    assert money(outputs["analyze"]["totals"]["cost_usd"]) in line


def test_html_is_self_contained(outputs):
    page = outputs["report.html"]
    assert "<script" not in page.lower()  # no script at all: it reads the same in a mail preview
    assert "script-src 'none'" in page  # and the page's policy forbids any
    assert not re.search(r'<(?:link|img|iframe|object|embed)\b', page)
    assert not re.search(r'\bsrc=', page)  # nothing is fetched
    # links go to the page's own sections or to the price book's sources (only when clicked)
    assert all(h.startswith(("#", "https://")) for h in re.findall(r'href="([^"]*)"', page))
    assert "@import" not in page and "url(" not in page
    assert '<meta name="viewport"' in page and "@media print" in page and "Content-Security-Policy" in page
    assert "page-break-inside: avoid" in page
    assert "Invoices &lt;Q4&gt; &amp; co" in page
    for section in ("Savings plan", "Spend over time by model", "Spend by task type", "Pareto of cost drivers",
                    "Data quality", "Methodology", "Reproduce"):
        assert section in page, section
    # every chart is a container with class "chart" and an id starting chart-
    charts = re.findall(r'<figure class="chart[^"]*" id="(chart-[a-z-]+)"', page)
    assert {"chart-waterfall", "chart-daily", "chart-by-task-type", "chart-pareto"} <= set(charts), charts
    assert len(page.encode()) < 2_500_000


def test_html_words_do_not_claim_a_saving(outputs):
    """The plan is a possibility: the card says "Could save", and "errored" is explained."""
    page = outputs["report.html"]
    assert ">Saved<" not in page and ">Could save<" in page
    assert '<a href="#errored">errored</a>' in page
    explained = re.search(r'<p id="errored">(.*?)</p>', page, re.S)
    assert explained and "not billed" in explained.group(1) and "counted" in explained.group(1)


# --- hostile logs -----------------------------------------------------------------------------------

def write_hostile_log(d: Path) -> tuple[Path, Path]:
    """A log whose every label is an attack, and an overlay that prices four of its models (so they
    reach the FOCUS rows); the fifth stays unpriced."""
    log = d / "hostile.csv"
    with log.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "model", "provider", "task_type", "feature", "tenant", "conversation_id",
                    "input_tokens", "output_tokens"])
        for i in range(40):
            s = HOSTILE
            w.writerow([f"2026-10-{1 + i % 5:02d}T{8 + i % 9:02d}:00:00Z", s[i % 5], "-evil", s[(i + 1) % 5],
                        s[(i + 2) % 5], s[(i + 3) % 5], s[(i + 4) % 5], 1000 + 37 * i, 100 + i])
    overlay = d / "hostile.yaml"
    models = "".join(
        f"  - id: {json.dumps(m)}\n    periods:\n      - effective_from: 2026-01-01\n        input: 3\n"
        f"        output: 15\n" for m in HOSTILE[:4])
    overlay.write_text(f'provider: "-evil"\nname: "=EVIL()"\nmodels:\n{models}', encoding="utf-8")
    return log, overlay


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from typer.testing import CliRunner

    from llmcost.cli import app

    d = tmp_path_factory.mktemp("hostile")
    log, overlay = write_hostile_log(d)
    out: dict[str, Any] = {}
    for name in ("h.html", "h.csv", "h.focus.csv", "h.md", "h.json"):
        r = CliRunner().invoke(app, ["report", str(log), "--db", ":memory:", "--pricing", str(overlay),
                                     "-o", str(d / name), "--title", HOSTILE[0]], env={"COLUMNS": "200"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        assert r.exit_code == 0, r.stdout + r.stderr
        out[name] = (d / name).read_text(encoding="utf-8")
    out["dir"] = d
    return out


def test_hostile_labels_are_escaped_in_the_html(hostile):
    page = hostile["h.html"]
    assert "<script" not in page.lower()
    assert "<img" not in page and "alert(1)</" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "=HYPERLINK(&quot;http://x&quot;)" in page
    # in the charts too: labels are HTML text, tooltips SVG <title> text, both escaped
    charts = "".join(re.findall(r'<figure class="chart.*?</figure>', page, re.S))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in charts
    assert re.search(r"<title>[^<]*&lt;script&gt;alert\(1\)&lt;/script&gt;", charts)


def _csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("name", ["h.csv", "h.focus.csv"])
def test_hostile_labels_are_neutralized_in_csv(hostile, name):
    rows = _csv_cells(hostile[name])
    cells = [c for row in rows for c in row]
    assert cells
    for c in cells:
        assert c[:1] not in TRIGGERS and c.lstrip(" ")[:1] not in TRIGGERS, c
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells
    if name == "h.focus.csv":
        header = rows[0]
        assert "'=EVIL()" in [r[header.index("ProviderName")] for r in rows[1:]]
        assert "'-evil:not-in-log" in [r[header.index("BillingAccountId")] for r in rows[1:]]
    else:
        assert "'-evil" in cells
        assert "'@SUM(1)" in cells  # the unpriced model: listed, with no cost


def test_hostile_markdown_and_json(hostile):
    md = hostile["h.md"]
    prose = re.sub(r"```.*?```", "", md, flags=re.S)  # the reproduce command is code, shown verbatim
    assert not re.search(r"(?<!\\)<", prose)  # every < from a log is backslash-escaped
    assert "\\<script\\>" in prose
    doc = json.loads(hostile["h.json"])
    assert doc["title"] == HOSTILE[0]
    assert {u["model"] for u in doc["analyze"]["unpriced_models"]} == {"@SUM(1)"}


def test_safe_text():
    from llmcost.render.csv_out import cell, safe_text

    for s in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "  =1"):
        assert safe_text(s) == "'" + s
    for s in ("claude", "1-2", "a=b", "", "'=1"):
        assert safe_text(s) == s
    assert cell(Decimal("-1.50")) == "-1.5"  # numbers keep their sign
    assert cell(None) == "" and cell(True) == "true"


# --- options ------------------------------------------------------------------------------------------

def test_currency_beside_usd(cli, tmp_path):
    out = tmp_path / "r.html"
    _run(cli, "report", str(G / "tracker.csv"), "-o", str(out), "--currency", "eur", "--rate", "0.5")
    page = out.read_text(encoding="utf-8")
    a = _run(cli, "analyze", str(G / "tracker.csv"), "--format", "json").json()
    cost = Decimal(repr(a["totals"]["cost_usd"]))
    assert f'data-figure="analyze.totals.cost_usd">{money(a["totals"]["cost_usd"])}<' in page
    assert f"≈ EUR {cost * Decimal('0.5'):,.2f}" in page
    js = tmp_path / "r.json"
    _run(cli, "report", str(G / "tracker.csv"), "-o", str(js), "--currency", "EUR", "--rate", "0.5")
    doc = json.loads(js.read_text())
    assert doc["currency"] == {"code": "EUR", "rate_per_usd": 0.5}
    assert doc["headline_converted"]["spend"] == pytest.approx(a["totals"]["cost_usd"] * 0.5)
    csv_out = tmp_path / "r.csv"
    _run(cli, "report", str(G / "tracker.csv"), "-o", str(csv_out), "--currency", "EUR", "--rate", "0.5")
    assert "cost_eur" in csv_out.read_text().splitlines()[0]


@pytest.mark.parametrize("args", [
    ["-o", "r.txt"],
    ["-o", "r.html", "--focus"],
    ["-o", "r.html", "--currency", "EUR"],
    ["-o", "r.html", "--rate", "0.9"],
    ["-o", "r.html", "--currency", "EURO", "--rate", "0.9"],
    ["-o", "r.html", "--currency", "EUR", "--rate", "-1"],
    ["-o", "r.html", "--currency", "EUR", "--rate", "abc"],
])
def test_usage_errors(cli, tmp_path, args):
    args = [a if a != "r.html" and a != "r.txt" else str(tmp_path / a) for a in args]
    r = cli("report", str(G / "tracker.csv"), *args)
    assert r.exit_code == 2, r.stdout
    assert "Error:" in r.stderr
    assert not list(tmp_path.glob("r.*"))


def test_pdf_output_explains_how_to_print(cli, tmp_path):
    """llmcost writes no PDF: `-o report.pdf` says how to get one from the HTML, before loading."""
    r = cli("report", str(G / "tracker.csv"), "-o", str(tmp_path / "q4.pdf"))
    assert r.exit_code == 2, r.stdout
    err = " ".join(r.stderr.split())
    assert "writes no PDF" in err and "print it to PDF" in err
    assert f"-o {tmp_path / 'q4.html'}" in err
    assert f"chromium --headless --print-to-pdf={tmp_path / 'q4.pdf'} {tmp_path / 'q4.html'}" in err
    assert not list(tmp_path.iterdir())


def test_focus_flag_and_filters(cli, tmp_path):
    out = tmp_path / "spend.csv"
    _run(cli, "report", str(G / "tracker.csv"), str(G / "anthropic_usage.csv"), "-o", str(out), "--focus",
         "--model", "gpt-4o-mini")
    from llmcost.render.focus import FOCUS_COLUMNS

    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0].keys()) == FOCUS_COLUMNS
    assert {r["SkuId"] for r in rows} == {"gpt-4o-mini"}
    assert {r["PublisherName"] for r in rows} == {"OpenAI"}


def test_report_on_the_whole_store_and_an_empty_scope(cli, tmp_path):
    _run(cli, "ingest", str(G / "tracker.csv"))
    out = tmp_path / "store.html"
    r = _run(cli, "report", "-o", str(out))
    assert "Wrote" in r.stdout
    page = out.read_text(encoding="utf-8")
    assert "Files behind these calls (as stored)" in page and "tracker.csv" in page
    # a date range after the last call: a usage error naming the calls' span, and no file (issue 15)
    empty = tmp_path / "empty.html"
    r = cli("report", "-o", str(empty), "--since", "2030-01-01")
    assert r.exit_code == 2 and "--since 2030-01-01 matches no call" in r.stderr
    assert not empty.exists()


def test_reproduce_line_quotes_everything():
    from llmcost.cli.report import reproduce_line

    line = reproduce_line(["a b.csv"], "out.html", title="x'y", focus=False, model=["m1", "m2"], db=None,
                          input_excludes_cache=True)
    assert line == "llmcost report 'a b.csv' -o out.html --title 'x'\"'\"'y' --model m1 --model m2 " \
                   "--input-excludes-cache"


def test_report_layer_needs_no_renderer():
    """Renderers get only the Report; the report model imports no renderer."""
    src = (ROOT / "llmcost" / "report" / "model.py").read_text()
    assert "llmcost.render" not in src and "plotly" not in src


def test_focus_list_and_contracted_prices_under_a_negotiated_discount(cli, tmp_path):
    overlay = tmp_path / "discount.yaml"
    overlay.write_text("discounts:\n  - provider: anthropic\n    percent: 20\n", encoding="utf-8")
    out = tmp_path / "d.focus.csv"
    _run(cli, "report", str(G / "tracker.csv"), "--pricing", str(overlay), "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    sonnet_in = [r for r in rows if r["SkuId"] == "claude-sonnet-4-5" and r["SkuMeter"] == "Input Tokens"]
    assert sonnet_in
    for r in sonnet_in:
        assert Decimal(r["ListUnitPrice"]) == 3 and Decimal(r["ContractedUnitPrice"]) == Decimal("2.4")
        assert Decimal(r["ListCost"]) * Decimal("0.8") == pytest.approx(Decimal(r["BilledCost"]))
        assert Decimal(r["ContractedUnitPrice"]) * Decimal(r["PricingQuantity"]) == pytest.approx(
            Decimal(r["ContractedCost"]))
    mini = [r for r in rows if r["SkuId"] == "gpt-4o-mini"]
    assert mini and all(r["ListCost"] == r["BilledCost"] for r in mini)


def test_html_money_under_a_cent_is_not_zero():
    """$0.0045 (one Sonnet 4.5 call of 1,000 in / 100 out: 1,000 × $3 + 100 × $15 per million =
    $0.0045) reads $0.0045 in the report, never $0.00; a cent and more keeps two decimals."""
    from decimal import Decimal

    from llmcost.render.html import usd

    assert usd(Decimal("0.0045")) == "$0.0045"
    assert usd(Decimal("-0.0045")) == "-$0.0045"
    assert usd(Decimal("0")) == "$0.00"
    assert usd(Decimal("1234.567")) == "$1,234.57"
