"""Markdown renderings (`--format markdown`): for pasting into a ticket or a wiki page.
Text from logs is escaped so that it cannot break the table or inject markup."""

from __future__ import annotations

from decimal import Decimal

from llmcost.render.json_out import iso
from llmcost.report.analysis import Analysis, BreakdownRow


def md_escape(text: object) -> str:
    s = "(none)" if text is None else str(text)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ").replace("\r", " ")


def usd(v: Decimal | None) -> str:
    return "–" if v is None else f"${v:,.2f}"


def _table(title: str, key: str, rows: list[BreakdownRow]) -> list[str]:
    out = [f"### {title}", "", f"| {key} | calls | cost | share | input tokens | output tokens |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {md_escape(r.key)} | {r.calls:,} | {usd(r.cost_usd)} | {r.share_pct:.1f} % | "
                   f"{r.input_tokens:,} | {r.output_tokens:,} |")
    return [*out, ""]


def analysis_markdown(a: Analysis) -> str:
    t = a.totals
    lines = ["## LLM spend", "",
             f"Period: {iso(a.period.start)} → {iso(a.period.end)} ({a.period.days:.1f} days)", "",
             f"- Spend in period: **{usd(t.cost_usd)}**; monthly run rate: **{usd(a.monthly_usd)}**",
             f"- Calls: {t.calls:,} ({t.priced_calls:,} priced, {t.unpriced_calls:,} unpriced, "
             f"{t.error_calls:,} errored)",
             f"- Cost by component: uncached input {usd(t.costs.input)}, cache reads "
             f"{usd(t.costs.cache_read)}, cache writes {usd(t.costs.cache_write)}, output "
             f"{usd(t.costs.output)}, other {usd(t.costs.other)}",
             f"- Input tokens: {t.input_tokens:,} (cache reads {t.cache_read_tokens:,}, "
             f"cache writes {t.cache_write_tokens:,}); output tokens: {t.output_tokens:,}", ""]
    for key, title, name in (("by_model", "By model", "model"),
                             ("by_task_type", "By task type", "task type"),
                             ("by_feature", "By feature", "feature"),
                             ("by_tenant", "By tenant", "tenant")):
        rows = a.breakdowns[key]
        if key == "by_model" or any(r.key is not None for r in rows):
            lines += _table(title, name, rows)
    for u in a.unpriced_models:
        lines.append(f"> ⚠ unpriced: {md_escape(u.model)} ({u.calls:,} calls): {md_escape(u.reason)}")
    if a.reconciliation:
        r = a.reconciliation
        lines.append(f"> Logged cost {usd(r.logged_cost_usd)} vs computed {usd(r.computed_cost_usd)} "
                     f"(difference {usd(r.difference_usd)})")
    for note in a.notes:
        lines.append(f"> ⚠ {md_escape(note)}")
    return "\n".join(lines)
