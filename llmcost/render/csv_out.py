"""CSV renderings: the report's spend by day × model × token class, and a writer that is safe to
open in a spreadsheet.

Formula injection: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
(after any leading spaces) is read as a formula by Excel, LibreOffice and Google Sheets; such cells
get a single quote in front, so the text shows as text (OWASP "CSV injection"). Numbers are written
as numbers (a negative amount keeps its minus sign); only text is neutralized.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from llmcost.report.model import TOKEN_CLASS_LABELS, Report, to_plain

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    if text[:1] in FORMULA_TRIGGERS or text.lstrip(" ")[:1] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def cell(value: Any) -> str:
    """One CSV cell: text neutralized, numbers and dates as plain text, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return safe_text(value)
    return str(to_plain(value))


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (RFC 4180, CRLF line ends, every cell through `cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([cell(h) for h in header])
    for row in rows:
        w.writerow([cell(v) for v in row])
    return buf.getvalue()


REPORT_CSV_COLUMNS = ("day", "provider", "model", "token_class", "description", "priced", "calls", "quantity",
                      "unit", "cost_usd", "list_cost_usd", "unit_price_usd", "pricing_unit")


def report_csv(report: Report) -> str:
    """Spend by day × provider × model × token class; unpriced lines with their quantities and an
    empty cost (they are in no total)."""
    header = list(REPORT_CSV_COLUMNS)
    cur = report.currency
    if cur:
        header.append(f"cost_{cur.code.lower()}")
    rows = []
    for ln in report.spend_lines:
        row: list[Any] = [ln.day, ln.provider, ln.model, ln.token_class, TOKEN_CLASS_LABELS[ln.token_class],
                          ln.priced, ln.calls, ln.quantity, ln.consumed_unit.lower(), ln.billed_cost_usd,
                          ln.list_cost_usd, ln.contracted_unit_price, ln.pricing_unit]
        if cur:
            row.append(cur.convert(ln.billed_cost_usd))
        rows.append(row)
    return write_csv(header, rows)
