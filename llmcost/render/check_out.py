"""`llmcost check` rendered: a table (one line per breach), the JSON contract (issue 16: `ok`,
`breaches[] {rule, scope, day, value, limit}`) and Markdown for a CI log or a chat message."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost.report.check import Breach, CheckResult

if TYPE_CHECKING:
    from rich.console import RenderableType


def figure(v: Decimal, unit: str) -> str:
    """A value or limit as read: dollars (four decimals under a cent), tokens, or a share in %."""
    if unit == "usd":
        return f"${v:,.4f}" if 0 < abs(v) < Decimal("0.01") else f"${v:,.2f}"
    if unit == "tokens":
        return f"{v:,.0f} tok"
    return f"{v * 100:,.2f} %"


def headline(r: CheckResult) -> str:
    days = ("no day with calls" if r.first_day is None else
            f"{r.first_day}" if r.first_day == r.last_day else f"{r.first_day} to {r.last_day}")
    rules = f"{r.rules} rule{'s' * (r.rules != 1)}"
    if r.ok:
        return f"OK: all {rules} hold ({days})."
    n = len(r.breaches)
    return f"{n} breach{'es' * (n != 1)} of {rules} ({days}):"


def check_table(r: CheckResult) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from llmcost.render.safe_text import visible

    parts: list[Any] = [Text(headline(r), style="bold green" if r.ok else "bold red")]
    if r.breaches:
        t = Table(box=None, pad_edge=False, header_style="bold")
        t.add_column("Rule", overflow="fold")
        t.add_column("Scope", overflow="fold")
        t.add_column("Day", no_wrap=True)
        t.add_column("Value", justify="right", no_wrap=True)
        t.add_column("Limit", justify="right", no_wrap=True)
        for b in r.breaches:
            t.add_row(b.rule, visible(b.scope), b.day.isoformat(), figure(b.value, b.unit), figure(b.limit, b.unit))
        parts.append(t)
    for note in r.notes:
        parts.append(Text("Note: " + visible(note), style="dim"))
    return Group(*parts)


def breach_dict(b: Breach) -> dict[str, Any]:
    return {"rule": b.rule, "scope": b.scope, "day": b.day.isoformat(), "value": float(b.value),
            "limit": float(b.limit), "unit": b.unit, "detail": b.detail,
            "baseline": None if b.baseline is None else float(b.baseline)}


def check_dict(r: CheckResult) -> dict[str, Any]:
    return {"ok": r.ok, "breaches": [breach_dict(b) for b in r.breaches], "rules": r.rules,
            "days": {"first": r.first_day.isoformat() if r.first_day else None,
                     "last": r.last_day.isoformat() if r.last_day else None},
            "notes": r.notes}


def check_markdown(r: CheckResult) -> str:
    from llmcost.render.markdown import md_escape

    lines = [f"**llmcost check**: {md_escape(headline(r))}"]
    if r.breaches:
        lines += ["", "| Rule | Scope | Day | Value | Limit | Why |", "|---|---|---|---:|---:|---|"]
        lines += [f"| {b.rule} | {md_escape(b.scope)} | {b.day} | {figure(b.value, b.unit)} | "
                  f"{figure(b.limit, b.unit)} | {md_escape(b.detail)} |" for b in r.breaches]
    lines += [f"\n_{md_escape(n)}_" for n in r.notes]
    return "\n".join(lines) + "\n"
