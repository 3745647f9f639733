"""The HTML report in a real browser: headless chromium driven over the DevTools protocol (a pipe,
see tests/cdp.py). For each sample report: no console error or exception, no request to anything
but the file itself, every chart drawn, no page wider than a phone, and it prints to PDF.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it).
`LLMCOST_UPDATE_SCREENSHOT=1 pytest tests/test_report_browser.py` also refreshes
docs/report-screenshot.png (the README's picture) from the invoice sample.
"""

from __future__ import annotations

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
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"


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


CHARTS_JS = """
(() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return {
    divs: document.querySelectorAll('.chart').length,
    figures: Object.keys(JSON.parse(document.getElementById('llmcost-charts').textContent)).length,
    plots: plots.length,
    svgs: plots.map(p => p.querySelectorAll('.main-svg').length),
    traces: plots.map(p => p.querySelectorAll('.main-svg .trace').length),
    marks: plots.map(p => p.querySelectorAll(
      '.main-svg .point, .main-svg path.js-fill, .main-svg path.js-line').length),
  };
})()
"""


def _load(browser: Any, path: Path, width: int = 1280, height: int = 900) -> str:
    session = browser.page(width, height)
    browser.load(session, path.resolve().as_uri())
    browser.pump(1.0)  # let plotly finish drawing, collect late events
    return session


@pytest.mark.parametrize("name", [*SAMPLES, "hostile"])
def test_report_opens_offline_and_draws_every_chart(browser, reports, name):
    session = _load(browser, reports[name])
    charts = browser.evaluate(session, CHARTS_JS)
    assert charts["figures"] >= 4
    assert charts["divs"] == charts["figures"] == charts["plots"], charts
    assert all(n >= 1 for n in charts["svgs"]), charts
    assert all(n >= 1 for n in charts["traces"]), charts  # every chart drew its data
    assert all(n >= 1 for n in charts["marks"]), charts
    problems = browser.problems(session)
    assert problems == {"errors": [], "requests": [], "dialogs": []}
    assert browser.pdf(session).startswith(b"%PDF")
    browser.pump(0.2)
    assert browser.problems(session)["requests"] == []


def test_hostile_labels_show_as_text(browser, reports):
    session = _load(browser, reports["hostile"])
    texts = browser.evaluate(session, "Array.from(document.querySelectorAll('.js-plotly-plot text'))"
                                      ".map(t => t.textContent).join('\\n')")
    assert "<script>alert(1)</script>" in texts
    assert "</script><img src=x onerror=alert(1)>" in texts
    assert browser.evaluate(session, "document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate(session, "document.querySelectorAll('script').length") == 3
    assert browser.evaluate(session, "document.title") == HOSTILE[1]
    assert browser.problems(session)["dialogs"] == []


@pytest.mark.parametrize("name", ["support_chatbot", "saas_multi"])
def test_report_fits_a_phone(browser, reports, name):
    session = browser.page(390, 844)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2,
                                                         "mobile": True}, session=session)
    browser.load(session, reports[name].resolve().as_uri())
    browser.pump(1.0)
    width = browser.evaluate(session, "document.documentElement.scrollWidth")
    assert width <= 390, width
    plot_widths = browser.evaluate(session, "Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                            ".map(p => p.getBoundingClientRect().width)")
    assert plot_widths and max(plot_widths) <= 390


def test_screenshot(browser, reports, tmp_path):
    session = _load(browser, reports["invoice_pipeline"], width=1100, height=1500)
    png = browser.screenshot(session, 1100, 1500)
    assert png.startswith(b"\x89PNG")
    (tmp_path / "report.png").write_bytes(png)
    if os.environ.get("LLMCOST_UPDATE_SCREENSHOT"):
        SCREENSHOT.write_bytes(png)


def test_readme_shows_the_report():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "llmcost report sample_logs/invoice_pipeline.csv.gz -o report.html" in readme
    assert re.search(r"!\[[^\]]*\]\(docs/report-screenshot\.png\)", readme)
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")
    json.dumps(str(SCREENSHOT))
