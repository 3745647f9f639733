"""`llmcost reconcile` rendered without rich: the JSON contract (issue 16: `computed_usd`,
`invoiced_usd`, `difference_usd`, `explained[] {reason, usd}`, `unexplained_usd`), Markdown for a
chat message or a pull request, and the words both share with the terminal table
(`render.reconcile_table`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmcost.report.reconcile import (
    TOLERANCE_FLOOR,
    TOLERANCE_PER_ROOT_ROW,
    Reconciliation,
    Row,
    days_text,
)

REASON_LABELS = {
    "days_missing_from_logs": "days missing from the logs",
    "models_missing_from_logs": "models missing from the logs",
    "unpriced_models": "unpriced models",
    "tier_differences": "tier differences",
    "priority_not_in_report": "priority calls the cost report leaves out",
    "billed_errors": "errored calls billed",
    "not_on_invoice": "calls not on the invoice",
}
ROWS_SHOWN = 12  # rows with a difference in the table and Markdown (all of them in JSON)


def usd(v: Decimal) -> str:
    """Dollars and cents; under a cent in four decimals."""
    return f"${v:,.4f}" if 0 < abs(v) < Decimal("0.01") else f"${v:,.2f}"


def signed(v: Decimal) -> str:
    return ("+" if v > 0 else "−" if v < 0 else "±") + usd(abs(v))


def tolerance_text(r: Reconciliation) -> str:
    by_rows = r.tolerance_by_rows
    return (f"max({usd(TOLERANCE_FLOOR)}, √{r.lines_compared:,} × ${TOLERANCE_PER_ROOT_ROW} = "
            f"${by_rows:,.4f}) = {usd(r.tolerance)}")


def span_text(r: Reconciliation) -> str:
    if r.first_day is None:
        return "no day"
    return f"{r.first_day}" if r.first_day == r.last_day else f"{r.first_day} to {r.last_day}"


def headline(r: Reconciliation) -> str:
    verdict = "matches" if r.matches else "does not match"
    return (f"The invoice {verdict} the logs ({span_text(r)}): invoiced {usd(r.invoiced)}, computed "
            f"{usd(r.computed)}, difference {signed(r.difference)}.")


def explanation_text(reason: str, models: list[str], days: list[Any]) -> str:
    label = REASON_LABELS[reason]
    named = []
    if models:
        named.append(", ".join(models[:6]) + (f" and {len(models) - 6} more" if len(models) > 6 else ""))
    if days and reason in ("days_missing_from_logs", "not_on_invoice", "billed_errors", "unpriced_models",
                           "models_missing_from_logs"):
        named.append(days_text(days))
    return label + (f" ({'; '.join(named)})" if named else "")


def left_out_lines(r: Reconciliation) -> list[str]:
    out = []
    for lo in r.left_out:
        unit = "line" if lo.what == "invoice" else "call"
        out.append(f"Left out of the {'invoice' if lo.what == 'invoice' else 'logs'}: {lo.count:,} {unit}"
                   f"{'s' * (lo.count != 1)}, {usd(lo.usd)}: {lo.reason}.")
    return out


def shown_rows(r: Reconciliation) -> list[Row]:
    """The rows with a difference, the largest unexplained first, then the largest difference."""
    rows = [x for x in r.rows if x.difference]
    rows.sort(key=lambda x: (-abs(x.unexplained), -abs(x.difference), x.day, x.provider, x.model or ""))
    return rows[:ROWS_SHOWN]


def model_label(x: Row) -> str:
    """The row's model; `(all)` for a day × provider row, `(no model)` for the lines naming none
    (web search, code execution) beside an invoice's model lines."""
    return x.model if x.model is not None else "(no model)" if x.itemised else "(all)"


def row_dict(x: Row) -> dict[str, Any]:
    return {"day": x.day.isoformat(), "provider": x.provider, "model": x.model, "invoiced_usd": x.invoiced,
            "computed_usd": x.computed, "difference_usd": x.difference,
            "explained": [{"reason": p.reason, "usd": p.usd} for p in x.explained],
            "unexplained_usd": x.unexplained, "invoice_lines": x.lines, "calls": x.calls,
            "unpriced_calls": x.unpriced, "unbilled_calls": x.unbilled,
            "invoice_tiers": dict(sorted(x.invoice_tiers.items())), "descriptions": x.descriptions,
            "model_named": x.itemised,
            "notes": x.notes}


def reconcile_dict(r: Reconciliation) -> dict[str, Any]:
    return {
        "invoice": {"file": r.invoice_path, "format": r.invoice_format},
        "period": {"start": r.first_day.isoformat() if r.first_day else None,
                   "end": r.last_day.isoformat() if r.last_day else None},
        "computed_usd": r.computed, "invoiced_usd": r.invoiced, "difference_usd": r.difference,
        "explained": [{"reason": e.reason, "usd": e.usd, "models": e.models,
                       "days": [d.isoformat() for d in e.days], "rows": e.rows, "detail": e.detail}
                      for e in r.explained],
        "unexplained_usd": r.unexplained,
        "matches": r.matches, "tolerance_usd": r.tolerance,
        "tolerance": {"rows": r.lines_compared, "floor_usd": TOLERANCE_FLOOR,
                      "per_root_row_usd": TOLERANCE_PER_ROOT_ROW, "by_rows_usd": r.tolerance_by_rows,
                      "rule": "max($1.00, sqrt(rows) x $0.005), rows = the invoice lines compared (FOCUS)"},
        # the same figures as exact decimal strings (JSON numbers are floats: these add up to the digit)
        "exact": {"computed_usd": str(r.computed), "invoiced_usd": str(r.invoiced),
                  "difference_usd": str(r.difference), "unexplained_usd": str(r.unexplained),
                  "explained": [{"reason": e.reason, "usd": str(e.usd)} for e in r.explained]},
        "rows": [row_dict(x) for x in r.rows],
        "left_out": [{"from": lo.what, "reason": lo.reason, "usd": lo.usd, "count": lo.count} for lo in r.left_out],
        "notes": r.notes,
    }


def reconcile_markdown(r: Reconciliation) -> str:
    from llmcost.render.markdown import md_escape

    lines = [f"**llmcost reconcile** {md_escape(r.invoice_path)}: {md_escape(headline(r))}", "",
             "| | USD |", "|---|---:|",
             f"| Invoiced | {usd(r.invoiced)} |", f"| Computed from the logs | {usd(r.computed)} |",
             f"| Difference (invoiced − computed) | {signed(r.difference)} |"]
    lines += [f"| … {md_escape(explanation_text(e.reason, e.models, e.days))} | {signed(e.usd)} |"
              for e in r.explained]
    lines += [f"| … unexplained | {signed(r.unexplained)} |", "",
              f"Tolerance {md_escape(tolerance_text(r))}: "
              f"{'within it' if r.matches else 'the difference is beyond it'}."]
    rows = shown_rows(r)
    if rows:
        lines += ["", "| Day | Provider | Model | Invoiced | Computed | Difference | Unexplained |",
                  "|---|---|---|---:|---:|---:|---:|"]
        lines += [f"| {x.day} | {md_escape(x.provider)} | {md_escape(model_label(x))} | {usd(x.invoiced)} | "
                  f"{usd(x.computed)} | {signed(x.difference)} | {signed(x.unexplained)} |" for x in rows]
        more = sum(1 for x in r.rows if x.difference) - len(rows)
        if more > 0:
            lines.append(f"\n_{more} more rows with a difference: --format json lists every row._")
    lines += [f"\n_{md_escape(t)}_" for t in left_out_lines(r) + r.notes]
    return "\n".join(lines) + "\n"
