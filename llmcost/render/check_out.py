"""`llmcost check` rendered: a table (one line per breach), the JSON contract (issue 16: `ok`,
`breaches[] {rule, scope, day, value, limit}`) and Markdown for a CI log or a chat message."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost.report.check import Breach, CheckResult

if TYPE_CHECKING:
    from rich.console import RenderableType


def figure(v: Decimal, unit: str, extra: int = 0) -> str:
    """A value or limit as read: dollars (four decimals under a cent), tokens, or a share in %;
    `extra` decimals more (`figures`)."""
    if unit == "usd":
        places = (4 if 0 < abs(v) < Decimal("0.01") else 2) + extra
        return f"${v:,.{places}f}"
    if unit == "tokens":
        return f"{v:,.{extra}f} tok"
    return f"{v * 100:,.{2 + extra}f} %"


def figures(b: Breach) -> tuple[str, str]:
    """The value and the limit, with as many decimals as it takes for a value above its limit
    never to read as equal to it ($0.0312 against $0.0305, not $0.03 against $0.03)."""
    for extra in (0, 2, 4, 6):
        value, limit = figure(b.value, b.unit, extra), figure(b.limit, b.unit, extra)
        if value != limit:
            break
    return value, limit


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
    from rich.text import Text

    from llmcost.render.safe_text import visible

    parts: list[Any] = [Text(headline(r), style="bold green" if r.ok else "bold red")]
    if r.breaches:
        parts.append(_BreachTable(r.breaches))
    for note in r.notes:
        parts.append(Text("Note: " + visible(note), style="dim"))
    return Group(*parts)


class _BreachTable:
    """One line per breach (rule, scope, day, value, limit); where that line is wider than the
    console, the breaches of each rule under its name, one line each (scope, day, value, limit),
    so no rule name or scope is split."""

    def __init__(self, breaches: list[Breach]) -> None:
        from llmcost.render.safe_text import visible

        self.rows = [(b.rule, visible(b.scope), b.day.isoformat(), *figures(b)) for b in breaches]

    @staticmethod
    def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> Any:
        from rich.table import Table

        t = Table(box=None, pad_edge=False, header_style="bold")
        for h in headers:
            t.add_column(h, justify="right" if h in ("Value", "Limit") else "left", overflow="fold")
        for row in rows:
            t.add_row(*row)
        return t

    def __rich_console__(self, console: Any, options: Any) -> Any:
        widths = [max(len(h), *(len(row[i]) for row in self.rows))
                  for i, h in enumerate(("Rule", "Scope", "Day", "Value", "Limit"))]
        if sum(widths) + 2 * (len(widths) - 1) <= options.max_width:
            yield self._table(("Rule", "Scope", "Day", "Value", "Limit"), self.rows)
            return
        from rich.text import Text

        rules = list(dict.fromkeys(row[0] for row in self.rows))
        for rule in rules:
            yield Text(rule, style="bold")
            yield self._table(("  Scope", "Day", "Value", "Limit"),
                              [("  " + row[1], *row[2:]) for row in self.rows if row[0] == rule])


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
        lines += [f"| {b.rule} | {md_escape(b.scope)} | {b.day} | {' | '.join(figures(b))} | "
                  f"{md_escape(b.detail)} |" for b in r.breaches]
    lines += [f"\n_{md_escape(n)}_" for n in r.notes]
    return "\n".join(lines) + "\n"
