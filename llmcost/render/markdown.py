"""Markdown renderings (`--format markdown`): for pasting into a ticket or a wiki page.
Text from logs is escaped so that it cannot break the table or inject markup."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.render import words
from llmcost.render.json_out import iso
from llmcost.render.safe_text import visible
from llmcost.report.analysis import BREAKDOWN_KEYS, Analysis, BreakdownRow, Rest
from llmcost.report.model import CONFIDENCE_WORDS, LEVER_LABELS, Report
from llmcost.report.paths import shared_path
from llmcost.run_rate import RUN_RATE_LABEL, span_text
from llmcost.simulate.recommend import RecommendResult

if TYPE_CHECKING:
    from llmcost.ingest import IngestResult
    from llmcost.ingest.load import NotCallLog
    from llmcost.report.time_series import TimeSeries


def md_escape(text: object) -> str:
    """Outside text in a Markdown line or table cell: Markdown's own characters (pipes, backticks,
    emphasis, links, HTML) backslash-escaped, line breaks as spaces, and any other control
    character made visible (`visible`: the terminal rule, as the page is often read in one)."""
    s = "(none)" if text is None else str(text)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        s = s.replace(ch, "\\" + ch)
    return visible(s.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def usd(v: Decimal | None) -> str:
    """Dollars and cents; an amount under a cent in four decimals (never "$0.00" for a cost)."""
    if v is None:
        return "–"
    return f"${v:,.4f}" if 0 < abs(v) < Decimal("0.01") else f"${v:,.2f}"


def usd4(v: Decimal) -> str:
    """A per-call figure: four decimals below a cent."""
    return f"${v:,.4f}" if abs(v) < Decimal("0.01") else f"${v:,.2f}"


def _avg(r: BreakdownRow) -> str:
    if r.avg_input_tokens is None or r.avg_output_tokens is None:
        return "–"
    return f"{r.avg_input_tokens:,.0f} / {r.avg_output_tokens:,.0f}"


def _table(title: str, key: str, rows: list[BreakdownRow], errored: bool = False,
           rest: Rest | None = None) -> list[str]:
    """A breakdown; with `errored`, a column of errored calls (the averages leave them out); the
    keys left out of its rows (`rest`) summed in a last row."""
    err_head, err_rule = (" errored |", "---:|") if errored else ("", "")
    avg = "billed avg in / out" if errored else "avg in / out tokens"
    out = [f"### {title}", "",
           f"| {key} | calls |{err_head} cost | share | input tokens | output tokens | {avg} |",
           f"|---|---:|{err_rule}---:|---:|---:|---:|---:|"]
    for r in [*rows, *([rest.row] if rest else [])]:
        cost = usd(r.cost_usd) if r.priced else "unpriced"
        share = f"{r.share_pct:.1f} %" if r.priced else "–"
        err = f" {r.errored_calls:,} |" if errored else ""
        label = (f"{rest.keys:,} other {key}{'s' if rest.keys != 1 else ''}" if rest and r is rest.row
                 else md_escape(r.key))
        out.append(f"| {label} | {r.calls:,} |{err} {cost} | {share} | "
                   f"{r.input_tokens:,} | {r.output_tokens:,} | {_avg(r)} |")
    return [*out, ""]


def ingest_markdown(result: IngestResult) -> list[str]:
    """The files of this run with their accounting, then every file left alone and why."""
    lines: list[str] = []
    if result.files:
        lines += ["### Files read", "", "| file | format | rows read | loaded | rejected | duplicate | skipped |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for f in result.files:  # stored already: the counts recorded when it was loaded
            c = f.stored or f
            name = md_escape(shared_path(f.file)) + (" (already stored; counts as loaded then)" if f.stored else "")
            lines.append(f"| {name} | {md_escape(f.adapter)} | {c.rows_read:,} | {c.rows_loaded:,} | "
                         f"{c.rows_rejected:,} | {c.rows_duplicate:,} | {c.rows_skipped:,} |")
        lines.append("")
    lines += failed_markdown(result)
    lines += not_logs_markdown(result.not_logs)
    return lines


def failed_markdown(result: IngestResult) -> list[str]:
    """The files that could not be loaded, each with why (`words.failed_files`)."""
    if not result.failed:
        return []
    head, names = words.failed_files(result)
    return [md_escape(head), "", *[f"- {md_escape(line)}" for line in names], ""]


def not_logs_markdown(not_logs: list[NotCallLog]) -> list[str]:
    """Every file a run left alone, grouped by why."""
    if not not_logs:
        return []
    import dataclasses

    folder, groups, hidden = words.left_alone([dataclasses.replace(x, file=shared_path(x.file)) for x in not_logs])
    count = len(not_logs)
    lines = [f"{count:,} file{'s' if count != 1 else ''} left alone (not read as call logs)"
             + (f" in {md_escape(shared_path(folder))}:" if folder else ":"), ""]
    lines += [f"- {md_escape(words.names_phrase(g))} — {md_escape(g.reason)}" for g in groups]
    if hidden:
        lines.append(f"- … and {hidden:,} more for other reasons (`--format json` lists every one)")
    return [*lines, ""]


BY_TITLES = {"model": ("By model", "model"), "task_type": ("By task type", "task type"),
             "feature": ("By feature", "feature"), "tenant": ("By tenant", "tenant"),
             "day": ("By day", "day"), "conversation": ("By conversation", "conversation"),
             "provider": ("By provider", "provider")}


def analysis_markdown(a: Analysis, with_ingest: bool = True, by: list[str] | None = None,
                      series: TimeSeries | None = None) -> str:
    """The analysis; `by`: the breakdowns asked for (--by), else model, task type, feature and
    tenant (those the log labels)."""
    t = a.totals
    lines = ["## LLM spend", "",
             (f"Period: {iso(a.period.start)} → {iso(a.period.end)} "
              f"({span_text(a.period.days * 86400)})"
              if a.period.start else "Period: no call times logged"), ""]
    if t.nothing_priced:
        lines.append(f"- Spend: **{md_escape(words.nothing_priced(t.unpriced_calls, a.unpriced_models))}**")
    else:
        beside = (f"; {md_escape(words.unpriced_beside(t.unpriced_calls, a.unpriced_models))}"
                  if t.unpriced_calls else "")
        rate = f"**{usd(a.monthly_usd)}**" if a.monthly_usd is not None else \
            f"— ({md_escape(a.run_rate.reason)})"
        lines.append(f"- Spend in period: **{usd(t.cost_usd)}**; {RUN_RATE_LABEL}: {rate}" + beside)
        if a.run_rate.strays:
            lines.append(f"- ⚠ {md_escape(a.run_rate.stray_note())}")
        if a.repriced is not None:  # analyze --as-of DATE
            from llmcost.render.reprice_out import markdown_line

            lines.append(markdown_line(a))
    lines.append(f"- Calls: {words.calls_phrase(t.calls, t.errored_calls)}; {t.priced_calls:,} priced, "
                 f"{t.unpriced_calls:,} unpriced")
    per_call = []
    if t.cost_per_call is not None:
        per_call.append(f"{usd4(t.cost_per_call)}")
    if t.avg_input_tokens is not None and t.avg_output_tokens is not None:
        per_call.append(f"avg in / out tokens {t.avg_input_tokens:,.0f} / {t.avg_output_tokens:,.0f}")
    if per_call:
        lines.append(f"- Per {'billed ' if t.errored_calls else ''}call: " + "; ".join(per_call))
    if not t.nothing_priced:
        lines.append(f"- Cost by component: uncached input {usd(t.costs.input)}, cache reads "
                     f"{usd(t.costs.cache_read)}, cache writes {usd(t.costs.cache_write)}, output "
                     f"{usd(t.costs.output)}, other {usd(t.costs.other)}")
    lines += [f"- Input tokens: {t.input_tokens:,} (cache reads {t.cache_read_tokens:,}, "
              f"cache writes {t.cache_write_tokens:,}); output tokens: {t.output_tokens:,}", ""]
    if series is not None:  # a time series (--by day|week|month[,SPLIT]) in place of the breakdowns
        from llmcost.render.time_series_out import time_series_markdown

        lines += time_series_markdown(series, md_escape)
    for dim in () if series is not None else by or ("model", "task_type", "feature", "tenant"):
        key, (title, name) = BREAKDOWN_KEYS[dim], BY_TITLES[dim]
        rows = a.breakdowns[key]
        if by or key == "by_model" or any(r.key is not None for r in rows):
            lines += _table(title, name, rows, errored=t.errored_calls > 0, rest=a.rest.get(key))
    for u in a.unpriced_models:
        lines.append(f"> ⚠ unpriced: {md_escape(words.model_label(u.model))} ({u.calls:,} calls): "
                     f"{md_escape(u.reason + words.suggested(u))}")
    if a.reconciliation:
        r = a.reconciliation
        lines.append(f"> Logged cost {usd(r.logged_cost_usd)} vs computed {usd(r.computed_cost_usd)} "
                     f"(difference {usd(r.difference_usd)})")
    for note in a.notes:
        if note != a.run_rate.stray_note():  # beside the spend
            lines.append(f"> ⚠ {md_escape(note)}")
    if with_ingest and a.ingest is not None and (a.ingest.files or a.ingest.not_logs or a.ingest.failed):
        lines += ["", *ingest_markdown(a.ingest)]
    return "\n".join(lines)


def recommend_markdown(res: RecommendResult) -> str:
    """The ranked recommendations and the stacked plan."""
    sim = res.simulation

    def per_month(v: Decimal) -> str:
        m = sim.monthly(v)
        return f"{usd(m)} / 30 days" if m is not None else f"{usd(v)} in the period"

    lines = ["## Savings plan", ""]
    rate = sim.run_rate
    if rate is not None and sim.monthly(sim.baseline_usd) is None and rate.reason:
        lines += [f"No {RUN_RATE_LABEL} ({md_escape(rate.reason)}): every figure is for the period.", ""]
    elif sim.monthly(sim.baseline_usd) is not None:
        lines += [f"Figures per 30 days are the {RUN_RATE_LABEL}: the period's figure × 30 / "
                  f"{span_text(rate.seconds if rate else sim.days * 86400)}"
                  + (f" ({md_escape(rate.stray_note())})" if rate and rate.strays else "") + ".", ""]
    if sim.calls and sim.unpriced_calls >= sim.calls:
        return "\n".join([*lines, f"No call could be priced, so there is nothing to plan: {words.ADD_PRICES}.", ""])
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
    t = a.totals
    if r.nothing_priced:  # the spend is unknown, not $0, and there is nothing to save on
        spend, monthly, saving, saved = "unpriced", "unpriced", "–", "–"
    else:
        spend = both(r.spend_usd)
        monthly = both(r.monthly_usd) if r.monthly_usd is not None else f"— ({md_escape(a.run_rate.reason)})"
        saving = both(monthly_sav) + " / 30 days" if monthly_sav is not None else both(r.savings_usd) + " in period"
        saved = f"{r.savings_pct:.1f} %"
    lines += [f"| spend in period | {RUN_RATE_LABEL} | calls | savings available | could save |",
              "|---:|---:|---:|---:|---:|",
              f"| {spend} | {monthly} | {words.calls_phrase(t.calls, t.errored_calls)} | {saving} | {saved} |", ""]
    if r.nothing_priced:
        lines += [f"**{md_escape(words.nothing_priced(t.unpriced_calls, a.unpriced_models))}**", ""]
    elif t.unpriced_calls:
        lines += [md_escape(words.unpriced_beside(t.unpriced_calls, a.unpriced_models)), ""]
    lines.append(recommend_markdown(res))
    lines.append(analysis_markdown(a, with_ingest=False))
    lines += ["", "## Data quality", ""]
    if r.files:
        lines += ["| file | format | rows read | loaded | rejected | duplicate | skipped |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {md_escape(f.file)}{' (stored earlier: counts as loaded then)' if f.stored_earlier else ''} | "
                  f"{md_escape(f.adapter)} | {f.rows_read:,} | {f.rows_loaded:,} | "
                  f"{f.rows_rejected:,} | {f.rows_duplicate:,} | {f.rows_skipped:,} |" for f in r.files]
        lines.append("")
    if r.files_failed:
        lines += [f"{len(r.files_failed):,} file{'s' if len(r.files_failed) != 1 else ''} this run could not "
                  "load (their calls are not in these figures):", ""]
        lines += [f"- {md_escape(x.file)} — {md_escape(x.reason)}" for x in r.files_failed]
        lines.append("")
    lines += not_logs_markdown(r.files_left_alone)
    lines.append(f"- {r.rows_rejected:,} rows rejected; {a.totals.unpriced_calls:,} calls unpriced "
                 f"(in no total); {a.totals.errored_calls:,} calls errored (counted, not billed)")
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
    lines += ["", "Reproduce:", "", "```", visible(r.command_line).replace("```", "` ` `"), "```", ""]
    return "\n".join(lines)
