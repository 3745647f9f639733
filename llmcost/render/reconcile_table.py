"""`llmcost reconcile` on a terminal (rich): the totals with the difference split into its
explained parts and the unexplained rest, the tolerance, the rows that differ, what was left out.
The words are `render.reconcile_out`'s, shared with JSON and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmcost.render.reconcile_out import (
    explanation_text,
    headline,
    left_out_lines,
    model_label,
    shown_rows,
    signed,
    tolerance_text,
    usd,
)
from llmcost.render.rich_safe import hang, plain
from llmcost.render.safe_text import visible
from llmcost.report.reconcile import Reconciliation, Row

_FIGURES = ("Invoiced", "Computed", "Difference", "Unexplained")


def reconcile_table(r: Reconciliation) -> RenderableType:
    parts: list[Any] = [plain(headline(r), style="bold green" if r.matches else "bold red"), Text("")]
    totals = [("Invoiced", usd(r.invoiced), ""), ("Computed from the logs (call-time prices)", usd(r.computed), ""),
              ("Difference (invoiced − computed)", signed(r.difference), "bold")]
    totals += [("  explained: " + explanation_text(e.reason, e.models, e.days), signed(e.usd), "")
               for e in r.explained]
    totals.append(("  unexplained", signed(r.unexplained), ""))
    parts += [_Totals(totals), Text(""),
              plain(f"Tolerance {tolerance_text(r)}: "
                    f"{'the difference is within it' if r.matches else 'the difference is beyond it'}.")]
    rows = shown_rows(r)
    if rows:
        parts += [Text(""), Text("Rows that differ (day × provider × model), largest unexplained first:"),
                  _Rows(rows)]
        more = sum(1 for x in r.rows if x.difference) - len(rows)
        if more > 0:
            parts.append(Text(f"{more} more rows with a difference: --format json lists every row.", style="dim"))
    for note in left_out_lines(r) + r.notes:
        parts.append(hang(note, indent=0, marker="Note: ", style="dim"))
    return Group(*parts)


class _Totals:
    """Label and amount per line; a label wider than the console wraps under itself, the amount
    stays whole on the right."""

    def __init__(self, lines: list[tuple[str, str, str]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Any, options: Any) -> Any:
        t = Table.grid(padding=(0, 2))
        t.add_column(overflow="fold")
        t.add_column(justify="right", no_wrap=True)
        for label, amount, style in self.lines:
            indent = len(label) - len(label.lstrip(" "))
            shown = hang(label.lstrip(" "), indent=indent, style=style) if indent else plain(label, style=style)
            t.add_row(shown, Text(amount, style=style))
        yield t


class _Rows:
    """One line per row (day, provider, model and the four figures) where it fits; the provider
    column left out when every row has the same one (named above it); else each row's day,
    provider and model on a line of their own and its figures under them, so no value is cut."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.keys = [(x.day.isoformat(), visible(x.provider), visible(model_label(x))) for x in rows]
        self.figures = [(usd(x.invoiced), usd(x.computed), signed(x.difference), signed(x.unexplained))
                        for x in rows]

    @staticmethod
    def _width(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> int:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        return sum(widths) + 2 * (len(widths) - 1)

    @staticmethod
    def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> Table:
        t = Table(box=None, pad_edge=False, header_style="bold")
        for h in headers:
            t.add_column(h, justify="right" if h.strip() in _FIGURES else "left", no_wrap=True)
        for row in rows:
            t.add_row(*(plain(c) for c in row))
        return t

    def __rich_console__(self, console: Any, options: Any) -> Any:
        full = [(*k, *f) for k, f in zip(self.keys, self.figures, strict=True)]
        headers = ("Day", "Provider", "Model", *_FIGURES)
        if self._width(headers, full) <= options.max_width:
            yield self._table(headers, full)
            return
        providers = {k[1] for k in self.keys}
        if len(providers) == 1:
            slim = [(k[0], k[2], *f) for k, f in zip(self.keys, self.figures, strict=True)]
            slim_headers = ("Day", "Model", *_FIGURES)
            if self._width(slim_headers, slim) <= options.max_width:
                yield Text(f"Provider: {next(iter(providers))}")
                yield self._table(slim_headers, slim)
                return
        # stacked: each row's day, provider and model on a line (wrapping whole at the edge), its
        # figures on the next, in columns as wide as their widest value
        widths = [max(len(h), *(len(f[i]) for f in self.figures)) for i, h in enumerate(_FIGURES)]

        def line(cells: tuple[str, ...], style: str = "") -> Text:
            return Text("  " + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)), style=style)

        yield Text("Day · provider · model", style="bold")
        yield line(_FIGURES, "bold")
        for k, f in zip(self.keys, self.figures, strict=True):
            yield plain(" · ".join(k))
            yield line(f)
