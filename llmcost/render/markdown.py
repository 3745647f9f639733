"""Markdown renderings (`--format markdown`): for pasting into a ticket or a wiki page.
Text from logs is escaped so that it cannot break the table or inject markup."""

from __future__ import annotations

from decimal import Decimal

from llmcost.render.json_out import iso
from llmcost.report.analysis import Analysis, BreakdownRow
from llmcost.report.model import CONFIDENCE_WORDS, LEVER_LABELS, Report
from llmcost.simulate.recommend import RecommendResult


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
        cost = usd(r.cost_usd) if r.priced else "unpriced"
        out.append(f"| {md_escape(r.key)} | {r.calls:,} | {cost} | {r.share_pct:.1f} % | "
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


def recommend_markdown(res: RecommendResult) -> str:
    """The ranked recommendations and the stacked plan."""
    sim = res.simulation

    def per_month(v: Decimal) -> str:
        m = sim.monthly(v)
        return f"{usd(m)} / month" if m is not None else f"{usd(v)} in the period"

    lines = ["## Savings plan", ""]
    if not res.recommendations:
        return "\n".join([*lines, "Nothing to recommend: no lever saves money on this traffic.", ""])
    lines += ["| # | lever | scope | calls affected | saves alone | % of spend | confidence | risk | effort |",
              "|---:|---|---|---:|---:|---:|---|---|---|"]
    for rec in res.recommendations:
        r = rec.result
        saving = per_month(r.savings_usd)
        lines.append(f"| {rec.rank} | {md_escape(LEVER_LABELS.get(r.lever, r.lever))} | {md_escape(r.scope)} | "
                     f"{r.calls_affected:,} | {saving} | {rec.savings_pct:.1f} % | {md_escape(r.confidence)} | "
                     f"{md_escape(r.risk)} | {md_escape(r.effort)} |")
    chain = [per_month(sim.baseline_usd)]
    chain += [f"{md_escape(LEVER_LABELS.get(r.lever, r.lever))} −{per_month(r.savings_usd)}" for r in sim.levers]
    lines += ["", "Stacked plan (each step on top of the ones before, no double counting): " + " → ".join(chain),
              "", f"**Before {per_month(sim.baseline_usd)} → after {per_month(sim.scenario_usd)} "
              f"(−{sim.savings_pct:.1f} %)**", ""]
    return "\n".join(lines)


def report_markdown(r: Report) -> str:
    """`llmcost report -o report.md`: the whole report as one Markdown page."""
    a = r.analysis
    res = r.recommend
    cur = r.currency

    def both(v: Decimal | None) -> str:
        if cur is None or v is None:
            return usd(v)
        return f"{usd(v)} (≈ {cur.code} {cur.convert(v):,.2f})"

    lines = [f"# {md_escape(r.title)}", "",
             f"Generated {r.generated_at:%Y-%m-%d %H:%M} UTC by llmcost {r.llmcost_version} "
             f"(report format {r.version}) · price book checked {r.price_book_checked or '–'}"
             + (f" ({md_escape(', '.join(r.price_book_files))})" if r.price_book_files else ""), ""]
    if r.scope_description:
        lines += [f"Filters: {md_escape(r.scope_description)}", ""]
    monthly_sav = r.savings_monthly_usd
    lines += ["| spend in period | monthly run rate | savings available | saved |", "|---:|---:|---:|---:|",
              f"| {both(r.spend_usd)} | {both(r.monthly_usd)} | "
              f"{both(monthly_sav) + ' / month' if monthly_sav is not None else both(r.savings_usd)} | "
              f"{r.savings_pct:.1f} % |", ""]
    lines.append(recommend_markdown(res))
    lines.append(analysis_markdown(a))
    lines += ["", "## Data quality", ""]
    if r.files:
        lines += ["| file | format | rows read | loaded | rejected | duplicate | skipped |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {md_escape(f.file)} | {md_escape(f.adapter)} | {f.rows_read:,} | {f.rows_loaded:,} | "
                  f"{f.rows_rejected:,} | {f.rows_duplicate:,} | {f.rows_skipped:,} |" for f in r.files]
        lines.append("")
    lines.append(f"- {r.rows_rejected:,} rows rejected; {a.totals.unpriced_calls:,} calls unpriced "
                 "(in no total)")
    lines += [f"- unpriced component: {md_escape(c)}" for c in a.unpriced_components]
    lines += ["", "## Methodology", ""]
    if a.prices_used:
        lines += ["| model | effective from | source | checked | calls |", "|---|---|---|---|---:|"]
        lines += [f"| {md_escape(p.model_id)} | {p.effective_from:%Y-%m-%d} | {md_escape(p.source)} | "
                  f"{md_escape(p.checked)} | {p.calls:,} |" for p in a.prices_used]
        lines.append("")
    seen = set()
    for rec in res.recommendations:
        for text in rec.result.assumptions:
            if (rec.result.lever, text) not in seen:
                seen.add((rec.result.lever, text))
                lines.append(f"- {md_escape(LEVER_LABELS.get(rec.result.lever, rec.result.lever))}: "
                             f"{md_escape(text)}")
    lines += [f"- {md_escape(x)}" for x in res.rules]
    lines += [f"- not evaluated: {md_escape(x)}" for x in res.not_evaluated]
    lines += [f"- confidence *{k}*: {v}" for k, v in CONFIDENCE_WORDS.items()]
    lines += ["", "Reproduce:", "", "```", r.command_line.replace("```", "` ` `"), "```", ""]
    return "\n".join(lines)
