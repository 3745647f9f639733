"""How `analyze --as-of DATE` shows its repricing: the JSON keys beside the usual ones, and the
terminal lines under the headline (the call-time cost, the difference, per model where it differs)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

    from llmcost.report.analysis import Analysis


def as_of_text(a: Analysis) -> str:
    r = a.repriced
    if r is None:
        return ""
    return r.as_of.strftime("%Y-%m-%d") if r.as_of.time() == r.as_of.min.time() else \
        r.as_of.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def totals_keys(a: Analysis) -> dict[str, Any]:
    """`totals.as_of`, `totals.call_time_cost_usd`, `totals.call_time_unpriced_calls` (none without --as-of)."""
    r = a.repriced
    if r is None:
        return {}
    return {"as_of": r.as_of.isoformat(), "call_time_cost_usd": float(r.call_time_cost_usd),
            "call_time_unpriced_calls": r.call_time_unpriced_calls}


def model_row_keys(a: Analysis, model: str | None) -> dict[str, Any]:
    """`by_model[].call_time_cost_usd` (null when no call of the model is priced at its own time)."""
    r = a.repriced
    if r is None:
        return {}
    cost = r.call_time_by_model.get(model)
    return {"call_time_cost_usd": None if cost is None else float(cost)}


def _signed(v: Decimal) -> str:
    from llmcost.render.terminal import usd

    return ("+" if v > 0 else "−" if v < 0 else "±") + usd(abs(v))


def _difference(a: Analysis) -> str:
    r = a.repriced
    assert r is not None
    if r.call_time_unpriced_calls != a.totals.unpriced_calls:
        # not the same calls priced both ways: a difference would compare different sets
        return "no difference: different calls have a price each way (see the unpriced calls)"
    diff = a.totals.cost_usd - r.call_time_cost_usd
    pct = f", {'−' if diff < 0 else '+'}{abs(100 * diff / r.call_time_cost_usd):.1f} %" \
        if r.call_time_cost_usd else ""
    return f"difference {_signed(diff)}{pct}"


def markdown_line(a: Analysis) -> str:
    """The Markdown headline's repricing line (the spend above is at DATE's prices)."""
    from llmcost.render.terminal import usd

    r = a.repriced
    assert r is not None
    return (f"- Prices as of {as_of_text(a)}; at call-time prices {usd(r.call_time_cost_usd)} "
            f"({_difference(a)})")


def terminal_lines(a: Analysis) -> list[RenderableType]:
    """Under the headline: the call-time cost and the difference, and each model whose cost differs."""
    r = a.repriced
    if r is None:
        return []
    from rich.table import Table

    from llmcost.render.fit_width import WrappedItems
    from llmcost.render.rich_safe import add_row, plain
    from llmcost.render.terminal import usd

    now = a.totals.cost_usd
    lines: list[RenderableType] = [WrappedItems(
        [f"{usd(now)} at the prices in force on {as_of_text(a)}" if not a.totals.nothing_priced
         else f"no call has a price on {as_of_text(a)}",
         f"{usd(r.call_time_cost_usd)} at call-time prices", _difference(a)],
        lead="  Repriced: ", indent=4)]
    if r.call_time_unpriced_calls != a.totals.unpriced_calls:
        lines.append(plain(f"  Unpriced calls: {r.call_time_unpriced_calls:,} at call time, "
                           f"{a.totals.unpriced_calls:,} on {as_of_text(a)} (neither in the costs).",
                           style="yellow"))
    table = Table()
    for col in ("model", "call time", as_of_text(a), "difference"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for row in a.breakdowns["by_model"]:
        before = r.call_time_by_model.get(row.key)
        after = row.cost_usd if row.priced else None
        if before == after:
            continue
        add_row(table, str(row.key), usd(before) if before is not None else "unpriced",
                      usd(after) if after is not None else "unpriced",
                      _signed(after - before) if before is not None and after is not None else "—")
    if table.row_count:
        lines += [plain(f"  Models whose cost differs (call time → {as_of_text(a)}):"), table]
    lines.append(plain(""))
    return lines
