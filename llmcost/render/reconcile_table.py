"""`llmcost reconcile` on a terminal (rich): the totals with the difference split into its
explained parts and the unexplained rest, the tolerance, the rows that differ, what was left out.
The words are `render.reconcile_out`'s, shared with JSON and Markdown."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmcost.render.reconcile_out import (
    explanation_text,
    headline,
    left_out_lines,
    shown_rows,
    signed,
    tolerance_text,
    usd,
)
from llmcost.render.safe_text import visible
from llmcost.report.reconcile import Reconciliation


def reconcile_table(r: Reconciliation) -> RenderableType:
    parts: list[Any] = [Text(visible(headline(r)), style="bold green" if r.matches else "bold red")]
    totals = Table(box=None, pad_edge=False, show_header=False)
    totals.add_column("What", overflow="fold")
    totals.add_column("USD", justify="right", no_wrap=True)
    totals.add_row("Invoiced", usd(r.invoiced))
    totals.add_row("Computed from the logs (call-time prices)", usd(r.computed))
    totals.add_row(Text("Difference (invoiced − computed)", style="bold"), Text(signed(r.difference), style="bold"))
    for e in r.explained:
        totals.add_row("  explained: " + visible(explanation_text(e.reason, e.models, e.days)), signed(e.usd))
    totals.add_row("  unexplained", signed(r.unexplained))
    parts += [Text(""), totals, Text(""),
              Text(f"Tolerance {tolerance_text(r)}: "
                   f"{'the difference is within it' if r.matches else 'the difference is beyond it'}.")]
    rows = shown_rows(r)
    if rows:
        t = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
        for h in ("Day", "Provider", "Model", "Invoiced", "Computed", "Difference", "Unexplained"):
            right = h in ("Invoiced", "Computed", "Difference", "Unexplained")
            t.add_column(h, justify="right" if right else "left", no_wrap=h != "Model",
                         overflow="fold", min_width=8 if h == "Model" else None)
        for x in rows:
            t.add_row(x.day.isoformat(), visible(x.provider), visible(x.model or "(all)"), usd(x.invoiced),
                      usd(x.computed), signed(x.difference), signed(x.unexplained))
        parts += [Text(""), Text("Rows that differ (day × provider × model), largest unexplained first:"), t]
        more = sum(1 for x in r.rows if x.difference) - len(rows)
        if more > 0:
            parts.append(Text(f"{more} more rows with a difference: --format json lists every row.", style="dim"))
    for note in left_out_lines(r) + r.notes:
        parts.append(Text("Note: " + visible(note), style="dim"))
    return Group(*parts)
