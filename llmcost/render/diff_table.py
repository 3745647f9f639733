"""`llmcost diff` in the terminal (rich): the headline, the two periods, the drivers in total,
the largest driver rows (a table while it fits the width, a block per row below that), the
realised savings, the largest features and tenants, and the method in one dim paragraph."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group, RenderableType
from rich.padding import Padding

from llmcost.render.diff_out import (
    DRIVER_LABELS,
    TOP_DRIVERS,
    TOP_KEYS,
    evidence,
    headline,
    method,
    notes,
    period_line,
    realised_line,
    scope_text,
    signed,
    usd,
)
from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems
from llmcost.render.rich_safe import hang, plain
from llmcost.report.diff import DiffResult, KeyChange


def _nb(text: str) -> str:
    """A figure and its % sign kept on one line where the text wraps (rich breaks at any space)."""
    return text.replace(" %", "%")


def _indented(r: RenderableType) -> RenderableType:
    return Padding(r, (0, 0, 0, 2), expand=False)


def _drivers(r: DiffResult) -> list[RenderableType]:
    keys = {k.key: k for k in r.by_task}
    drivers = r.drivers()
    if not drivers:
        why = ("nothing is priced in either period" if not r.a.priced_calls and not r.b.priced_calls
               else "the priced spend is the same call for call")
        return [plain(f"  No driver: {why}.", style="dim")]
    totals = r.driver_totals()
    out: list[RenderableType] = [WrappedItems([f"{DRIVER_LABELS[d]} {signed(v)}" for d, v in totals.items() if v != 0],
                                              lead="  Drivers: ", indent=4)]
    columns = [Col("Driver"), Col("Task", floor=10, most=30), Col("Change", "right"),
               Col("What moved", floor=20, most=60)]
    rows: list[list[str]] = []
    blocks: list[RenderableType] = []
    for d in drivers[:TOP_DRIVERS]:
        why = _nb(evidence(d, keys))
        rows.append([DRIVER_LABELS[d.driver], scope_text(d.scope), signed(d.usd), why])
        blocks.append(WrappedItems([signed(d.usd), why], lead=f"{DRIVER_LABELS[d.driver]} of "
                                   f"{scope_text(d.scope)}: ", indent=4))
    if len(drivers) > TOP_DRIVERS:
        rest = sum((d.usd for d in drivers[TOP_DRIVERS:]), Decimal(0))
        more = f"{len(drivers) - TOP_DRIVERS:,} more rows"
        rows.append([more, "", signed(rest), "(--format json lists them all)"])
        blocks.append(WrappedItems([signed(rest)], lead=f"{more}: ", indent=4))
    out += [plain(""), _indented(TableOrBlocks(columns, rows, blocks))]
    return out


def _keys(title: str, rows: list[KeyChange]) -> list[RenderableType]:
    if not rows or (len(rows) == 1 and rows[0].key is None):
        return []
    columns = [Col(title, floor=10, most=30), Col("A", "right"), Col("B", "right"), Col("Change", "right"),
               Col("Largest driver", floor=16, most=40)]
    table_rows: list[list[str]] = []
    blocks: list[RenderableType] = []
    for k in rows[:TOP_KEYS]:
        d, v = max(k.drivers.items(), key=lambda x: abs(x[1]))
        largest = f"{DRIVER_LABELS[d]} {signed(v)}" if v else ""
        table_rows.append([scope_text(k.key), usd(k.a_usd), usd(k.b_usd), signed(k.change_usd), largest])
        blocks.append(WrappedItems([f"{usd(k.a_usd)} → {usd(k.b_usd)}", signed(k.change_usd), largest],
                                   lead=f"{scope_text(k.key)}: ", indent=4))
    if len(rows) > TOP_KEYS:
        rest = sum((k.change_usd for k in rows[TOP_KEYS:]), Decimal(0))
        table_rows.append([f"{len(rows) - TOP_KEYS:,} more", "", "", signed(rest), ""])
        blocks.append(WrappedItems([signed(rest)], lead=f"{len(rows) - TOP_KEYS:,} more: ", indent=4))
    return [plain(""), _indented(TableOrBlocks(columns, table_rows, blocks))]


def diff_table(r: DiffResult) -> RenderableType:
    parts: list[RenderableType] = [
        WrappedItems([headline(r)], style="bold"),
        WrappedItems([period_line(r.a)], lead="  A  ", indent=5),
        WrappedItems([period_line(r.b)], lead="  B  ", indent=5),
        plain(""),
        *_drivers(r),
    ]
    if r.realised:
        parts += [plain(""), plain("  Realised savings (measured in the traffic):", style="bold")]
        parts += [hang(_nb(realised_line(x)), indent=4, marker="· ") for x in r.realised]
    parts += _keys("Feature", r.by_feature)
    parts += _keys("Tenant", r.by_tenant)
    parts.append(plain(""))
    for note in notes(r):
        parts.append(hang(note, marker="⚠ ", style="yellow"))
    parts.append(WrappedItems([method(r)], lead="  Method: ", indent=4, style="dim"))
    return Group(*parts)
