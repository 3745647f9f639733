"""The HTML report's script-free charts (llmcost/render/svg_charts.py): geometry, axis steps, escaping."""

from __future__ import annotations

import re

from llmcost.render.svg_charts import Bar, Series, _date_ticks, area_chart, bar_chart, nice_ticks, short_usd


def test_nice_ticks():
    # 1,234 over at most 4 steps: 1234 / 4 = 308.5 → the first round step ≥ it is 5 × 100 = 500;
    # ceil(1234 / 500) = 3 steps
    assert nice_ticks(1234) == [0, 500, 1000, 1500]
    # 11.3 / 4 = 2.825 → 5 × 1; ceil(11.3 / 5) = 3
    assert nice_ticks(11.3) == [0, 5, 10, 15]
    # exactly on a step: 200 / 4 = 50 → 5 × 10 = 50; 200 / 50 = 4 steps, no fifth
    assert nice_ticks(200) == [0, 50, 100, 150, 200]
    assert nice_ticks(0) == [0, 1]  # nothing to draw still gives an axis


def test_short_usd():
    assert [short_usd(v) for v in (0, 750, 1500, 20_000, 1_200_000, 2.5, 0.05)] == \
        ["$0", "$750", "$1.5k", "$20k", "$1.2M", "$2.5", "$0.05"]


def test_date_ticks_first_last_and_between():
    # 27 days, 5 labels: every (27 - 1) / 4 = 6.5 days → 0, 6.5, 13, 19.5, 26 rounded (half to even)
    assert _date_ticks(27) == [0, 6, 13, 20, 26]
    assert _date_ticks(3) == [0, 1, 2]


def test_bar_geometry_and_escaping():
    bars = [Bar("Before", 0, 200, "$200.00", "#000", "Before"),
            Bar("1. route <b>", 150, 200, "−$50.00", "#0f0", "route <b>x</b> & y"),
            Bar("tiny", 100, 100.1, "−$0.10", "#0f0", "tiny")]
    page = bar_chart("chart-t", "T", bars)
    rects = re.findall(r'<rect x="([\d.]+)" y="2" width="([\d.]+)"', page)
    # scale = the largest end (200): 0..200 → 0, 1000 units; 150..200 → x 750, width 250;
    # 100..100.1 → x 500, width 0.5 drawn as the 2-unit sliver
    assert rects == [("0.0", "1000.0"), ("750.0", "250.0"), ("500.0", "2.0")]
    assert "<title>route &lt;b&gt;x&lt;/b&gt; &amp; y</title>" in page  # tooltips are text
    assert page.startswith('<figure class="chart bars" id="chart-t">')


def test_area_stacks_series():
    s1 = Series("a", "a", "#111", [1.0, 2.0, 3.0], "$6.00")
    s2 = Series("b", "b", "#222", [1.0, 1.0, 1.0], "$3.00")
    page = area_chart("chart-d", "D", ["d1", "d2", "d3"], ["1", "2", "3"], [s1, s2], ["x", "y", "z"])
    # totals 2, 3, 4 → ticks 0, 1, 2, 3, 4 (4 / 4 = 1 → step 1); the plot is 300 units high, so
    # value v sits at y = 300 − 300 v / 4: series b's top edge is at 1 + 1, 2 + 1, 3 + 1 → 150, 75, 0
    polygons = re.findall(r'<polygon points="([^"]+)"', page)
    assert len(polygons) == 2
    assert polygons[1].startswith("0.0,150.0 500.0,75.0 1000.0,0.0 ")
    assert re.findall(r'<span style="bottom:([\d.]+)%">(\$\d)</span>', page) == [
        ("0.00", "$0"), ("25.00", "$1"), ("50.00", "$2"), ("75.00", "$3"), ("100.00", "$4")]
    assert "<title>y</title>" in page  # each day's column carries its tooltip
