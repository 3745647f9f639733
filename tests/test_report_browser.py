"""The HTML report in a real browser: headless chromium driven over the DevTools protocol (a pipe,
see tests/cdp.py). For each sample report, on a phone (390 px) and a desktop (1400 px): no console
error, no request to anything but the file itself, nothing wider than the screen, no chart label
over another; with JavaScript off every chart still shows its figures; printed to PDF, page 1
holds the headline and the plan and no chart is split across pages.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) and
pypdf (the `test` extra) to read the printed pages back.
`LLMCOST_UPDATE_SCREENSHOT=1 pytest tests/test_report_browser.py` also refreshes the README's
pictures in docs/ (desktop, phone, JavaScript off) from the invoice sample.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cdp import CHROMIUM, Chromium
from tests.conftest import ROOT
from tests.test_report import HOSTILE, write_hostile_log

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium at /usr/bin/chromium "
                       "(apt-get install chromium) to open the HTML report in"),
]

SAMPLES = ("invoice_pipeline", "support_chatbot", "saas_multi")
DOCS = ROOT / "docs"
SCREENSHOTS = {"desktop": DOCS / "report-screenshot.png", "phone": DOCS / "report-phone.png",
               "nojs": DOCS / "report-no-javascript.png"}
WIDTHS = (390, 1400)


def _report(args: list[str]) -> None:
    from typer.testing import CliRunner

    from llmcost.cli import app

    r = CliRunner().invoke(app, ["report", *args, "--db", ":memory:"], env={"COLUMNS": "200"})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("reports")
    out = {}
    for name in SAMPLES:
        out[name] = d / f"{name}.html"
        _report([str(ROOT / "sample_logs" / f"{name}.csv.gz"), "-o", str(out[name])])
    log, overlay = write_hostile_log(d)
    out["hostile"] = d / "hostile.html"
    _report([str(log), "--pricing", str(overlay), "-o", str(out["hostile"]), "--title", HOSTILE[1]])
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Chromium(tmp_path_factory.mktemp("profile")) as c:
        yield c


def _load(browser: Any, path: Path, width: int = 1400, height: int = 900, script: bool = True) -> str:
    session = browser.page(width, height)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": width < 600}, session=session)
    if not script:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
    browser.load(session, path.resolve().as_uri())
    browser.pump(0.3)
    return session


def test_invoice_report_is_small(reports):
    # it was 4.9 MB with plotly.js inlined; the brief: under 2.5 MB
    assert reports["invoice_pipeline"].stat().st_size < 2_500_000


CHARTS_JS = """
(() => Array.from(document.querySelectorAll('.chart')).map(c => {
  const r = c.getBoundingClientRect();
  return {id: c.id, width: r.width, height: r.height, text: c.innerText,
          shapes: c.querySelectorAll('svg rect, svg polygon').length,
          visible: getComputedStyle(c).display !== 'none' && getComputedStyle(c).visibility !== 'hidden'};
}))()
"""


@pytest.mark.parametrize("name", [*SAMPLES, "hostile"])
def test_report_opens_offline_and_draws_every_chart(browser, reports, name):
    session = _load(browser, reports[name])
    charts = browser.evaluate(session, CHARTS_JS)
    assert len(charts) >= 4, charts
    for c in charts:
        assert c["id"].startswith("chart-"), c
        assert c["visible"] and c["width"] > 300 and c["height"] > 40, c
        assert c["shapes"] >= 1, c
        assert re.search(r"\$[\d,]+\.\d\d", c["text"]), c  # every chart shows its figures as text
    assert browser.evaluate(session, "document.scripts.length") == 0
    problems = browser.problems(session)
    assert problems == {"errors": [], "requests": [], "dialogs": []}


def test_hostile_labels_show_as_text(browser, reports):
    session = _load(browser, reports["hostile"])
    texts = browser.evaluate(session, "Array.from(document.querySelectorAll('.chart'))"
                                      ".map(c => c.innerText).join('\\n')")
    assert "<script>alert(1)</script>" in texts
    assert "</script><img src=x onerror=alert(1)>" in texts
    tips = browser.evaluate(session, "Array.from(document.querySelectorAll('.chart svg title'))"
                                     ".map(t => t.textContent).join('\\n')")
    assert "<script>alert(1)</script>" in tips  # hover text too, as text
    assert browser.evaluate(session, "document.querySelectorAll('img, iframe, object, embed, script').length") == 0
    assert browser.evaluate(session, "document.title") == HOSTILE[1]
    assert browser.problems(session)["dialogs"] == []


LAYOUT_JS = """
(() => {
  const W = window.innerWidth;
  document.querySelectorAll('details').forEach(d => { d.open = true; });  // the figures per day too
  const wide = Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > W + 0.5)
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  const scrolled = Array.from(document.querySelectorAll('.table-wrap, .chart'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.id || e.className);
  const labels = '.bar-label, .bar-value, .y-axis span, .x-axis span, ul.legend li, .chart-title';
  const overlaps = [];
  document.querySelectorAll('.chart').forEach(c => {
    const boxes = Array.from(c.querySelectorAll(labels)).filter(e => e.getClientRects().length)
      .map(e => [e, e.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 0.5 && y > 0.5) overlaps.push(c.id + ': ' + a.innerText + ' / ' + b.innerText);
    }
  });
  const spill = Array.from(document.querySelectorAll('.chart :is(' + labels + ')'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText);  // text past its own box
  return {scrollWidth: document.documentElement.scrollWidth, wide, scrolled, overlaps, spill,
          labels: document.querySelectorAll('.chart .bar-label, .chart .x-axis span').length};
})()
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [*SAMPLES, "hostile"])
def test_report_fits_the_screen_and_labels_never_collide(browser, reports, name, width):
    session = _load(browser, reports[name], width=width, height=900)
    got = browser.evaluate(session, LAYOUT_JS)
    assert got["scrollWidth"] <= width, got  # no sideways scrolling of the page
    assert got["wide"] == [], got  # no element reaches past the right edge
    assert got["scrolled"] == [], got  # no table or chart scrolls inside itself
    assert got["labels"] > 10, got  # the check below looked at labels
    assert got["overlaps"] == [], got
    assert got["spill"] == [], got


def test_phone_tables_reflow_into_blocks(browser, reports):
    """At 390 px the nine-column recommendations table shows one block per recommendation, each
    value beside its column's name; the breakdowns keep calls, cost and share."""
    session = _load(browser, reports["invoice_pipeline"], width=390)
    got = browser.evaluate(session, """(() => {
      const rows = Array.from(document.querySelectorAll('#plan table tbody tr'));
      const cell = rows[0].querySelectorAll('td')[2];
      return {head: getComputedStyle(document.querySelector('#plan table thead')).display,
              rows: rows.length, label: getComputedStyle(cell, '::before').content,
              cellWidth: cell.getBoundingClientRect().width,
              tokens: getComputedStyle(document.querySelector('#over-time table.compact td:nth-child(5)')).display,
              cost: getComputedStyle(document.querySelector('#over-time table.compact td:nth-child(3)')).display};
    })()""")
    assert got["head"] == "none" and got["label"] == '"Scope"'
    assert got["rows"] >= 3 and got["cellWidth"] > 300  # a row is a block as wide as the screen
    assert got["tokens"] == "none" and got["cost"] == "table-cell"


FIGURES_JS = """
(() => {
  const text = id => { const e = document.getElementById(id); return e ? e.innerText : null; };
  const fig = path => Array.from(document.querySelectorAll('[data-figure="' + path + '"]')).map(e => e.innerText);
  const chain = Array.from(document.querySelectorAll('#plan .chain [data-figure]'))
    .filter(e => !e.dataset.figure.endsWith('_pct')).map(e => e.innerText);
  const tableCosts = sel => Array.from(document.querySelectorAll(sel + ' table tbody tr'))
    .map(tr => tr.querySelectorAll('td')[2].innerText.split(' ')[0]);
  return {waterfall: text('chart-waterfall'), daily: text('chart-daily'), tasks: text('chart-by-task-type'),
          pareto: text('chart-pareto'), chain,
          modelCosts: tableCosts('#over-time > .table-wrap'),
          taskCosts: tableCosts('#by-dimension div.dim:first-of-type'),
          fallbacks: Array.from(document.querySelectorAll('.chart')).map(c => c.getBoundingClientRect().height)};
})()
"""


def test_without_javascript_every_chart_shows_its_figures(browser, reports):
    """Mail and drive previews run no script: every chart container still shows its data as text,
    the same figures the tables and the plan's chain print."""
    session = _load(browser, reports["invoice_pipeline"], script=False)
    got = browser.evaluate(session, FIGURES_JS)
    assert all(h > 40 for h in got["fallbacks"]), got
    # the waterfall: before, each of the 5 steps and after, as the chain under it prints them
    assert len(got["chain"]) == 7, got["chain"]
    for figure in got["chain"]:
        assert figure.replace(" / 30 days", "") in got["waterfall"], (figure, got["waterfall"])
    # 3 task types, 1 model: each bar's figure is the table's cost
    assert len(got["taskCosts"]) == 3 and len(got["modelCosts"]) == 1
    for cost in got["taskCosts"]:
        assert cost in got["tasks"] and cost in got["pareto"], cost
    assert got["modelCosts"][0] in got["daily"]  # the legend: the model's total in the period
    assert re.search(r"Oct 1\b", got["daily"]) and "Oct 31" in got["daily"]  # the invoice sample: Oct 1-31


def _pdf_pages(browser: Any, session: str) -> list[str]:
    import pypdf

    res = browser.send("Page.printToPDF", {"preferCSSPageSize": True}, session=session, timeout=60)
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(res["data"])))
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


@pytest.mark.parametrize("name", SAMPLES)
def test_printed_page_one_holds_the_headline_and_the_plan(browser, reports, name):
    session = _load(browser, reports[name], script=False)
    expect = browser.evaluate(session, """(() => ({
      cards: Array.from(document.querySelectorAll('.headline .big')).map(e => e.innerText.split('\\n')[0]),
      steps: Array.from(document.querySelectorAll('#chart-waterfall .bar-value')).map(e => e.innerText),
      ranks: Array.from(document.querySelectorAll('#plan table tbody tr')).map(
        tr => tr.querySelectorAll('td')[4].innerText),
      charts: Array.from(document.querySelectorAll('.chart')).map(c => [c.querySelector('.chart-title').innerText,
        Array.from(c.querySelectorAll('.bar-value, ul.legend li')).map(e => e.innerText).pop()]),
    }))()""")
    pages = _pdf_pages(browser, session)
    first = pages[0]
    assert "Spend in period" in first and "Could save" in first and "Savings plan" in first
    for figure in expect["cards"] + expect["steps"] + expect["ranks"]:
        assert figure in first, (figure, first)
    # no chart split across pages: its title and its last figure are printed on the same page
    for title, last in expect["charts"]:
        title = " ".join(title.split())[:40]
        last = " ".join(last.split())
        assert any(title in p and last in p for p in pages), (title, last)


def _shot(browser: Any, session: str, width: int, height: int, start: str = "") -> bytes:
    """A picture of the page from its top, or from the element `start` names."""
    y = browser.evaluate(session, f"document.querySelector('{start}').getBoundingClientRect().top") if start else 0
    res = browser.send("Page.captureScreenshot", {"format": "png", "clip": {
        "x": 0, "y": y, "width": width, "height": height, "scale": 1}, "captureBeyondViewport": True},
        session=session)
    return base64.b64decode(res["data"])


def test_screenshots(browser, reports, tmp_path):
    shots = {
        "desktop": _shot(browser, _load(browser, reports["invoice_pipeline"], 1100, 1500), 1100, 1500),
        "phone": _shot(browser, _load(browser, reports["invoice_pipeline"], 390, 1300), 390, 1300),
        "nojs": _shot(browser, _load(browser, reports["saas_multi"], 900, 1100, script=False), 900, 1100,
                      "#over-time"),
    }
    for kind, png in shots.items():
        assert png.startswith(b"\x89PNG")
        (tmp_path / f"{kind}.png").write_bytes(png)
        if os.environ.get("LLMCOST_UPDATE_SCREENSHOT"):
            SCREENSHOTS[kind].write_bytes(png)


def test_readme_shows_the_report():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "llmcost report sample_logs/invoice_pipeline.csv.gz -o report.html" in readme
    for path in SCREENSHOTS.values():
        assert re.search(r"!\[[^\]]*\]\(docs/" + re.escape(path.name) + r"\)", readme), path.name
        assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size < 400_000  # small pictures
    json.dumps([str(p) for p in SCREENSHOTS.values()])
