"""How `analyze --as-of DATE` shows its repricing: the JSON keys beside the usual ones and the
Markdown line (the terminal's lines are `render.terminal.repricing_lines`); no rich here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from llmcost.render.markdown import usd  # the same money rule, without rich

    return ("+" if v > 0 else "−" if v < 0 else "±") + usd(abs(v))


def _difference(a: Analysis) -> str:
    r = a.repriced
    assert r is not None
    if r.call_time_unpriced_calls != a.totals.unpriced_calls:
        # not the same calls priced both ways: a difference would compare different sets
        return "no difference: different calls have a price each way (see the unpriced calls)"
    diff = a.totals.cost_usd - r.call_time_cost_usd
    if not diff:
        return "no difference"
    pct = f", {'−' if diff < 0 else '+'}{abs(100 * diff / r.call_time_cost_usd):.1f} %" \
        if r.call_time_cost_usd else ""
    return f"difference {_signed(diff)}{pct}"


def markdown_line(a: Analysis) -> str:
    """The Markdown headline's repricing line (the spend above is at DATE's prices)."""
    from llmcost.render.markdown import usd  # the same money rule, without rich

    r = a.repriced
    assert r is not None
    return (f"- Prices as of {as_of_text(a)}; at call-time prices {usd(r.call_time_cost_usd)} "
            f"({_difference(a)})")
