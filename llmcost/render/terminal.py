"""Terminal renderings (rich): quiet where all is well, loud where a number rests on an
assumption. Renderers only format; every figure comes from the result objects."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from llmcost.ingest import FileResult, IngestResult
from llmcost.report.analysis import BREAKDOWN_KEYS, Analysis, BreakdownRow
from llmcost.simulate.recommend import RecommendResult
from llmcost.simulate.run import LeverResult, Simulation
from llmcost.store import ForgetResult, RejectRow, SourceRow


def n(value: int | float) -> str:
    return f"{value:,.0f}"


def _short(path: str, width: int = 60) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1):]


def file_line(f: FileResult) -> Text:
    verb = {"loaded": "Ingested", "replaced": "Re-ingested", "unchanged": "Already stored"}[f.status]
    text = Text(f" {verb} ", style="bold")
    text.append(_short(f.file), style="cyan")
    text.append(f"  [{f.adapter}]  ", style="dim")
    text.append(f"{n(f.rows_read)} rows read · {n(f.rows_loaded)} loaded · "
                f"{n(f.rows_rejected)} rejected · {n(f.rows_duplicate)} duplicate")
    if f.rows_skipped:
        text.append(f" · {n(f.rows_skipped)} skipped")
    return text


def render_ingest(result: IngestResult) -> RenderableType:
    parts: list[RenderableType] = [file_line(f) for f in result.files]
    if len(result.files) > 1:
        parts.append(Text(
            f" Total: {n(result.total('rows_read'))} rows read · "
            f"{n(result.total('rows_loaded'))} loaded · {n(result.total('rows_rejected'))} rejected"
            f" · {n(result.total('rows_duplicate'))} duplicate · "
            f"{n(result.total('rows_skipped'))} skipped", style="bold"))
    for f in result.files:
        for note in f.notes:
            parts.append(Text(f"  ⚠ {_short(f.file, 40)}: {note}", style="yellow"))
    if result.not_logs:
        parts.append(Text(f"  {len(result.not_logs)} files left alone (not read as call logs):", style="dim"))
        for x in result.not_logs:
            parts.append(Text(f"    {_short(x.file)}: {x.reason}", style="dim"))
    if result.total("rows_rejected"):
        parts.append(Text("  See why rows were rejected: llmcost rejects", style="dim"))
    return Group(*parts)


def usd(v: Decimal | None, places: int = 2) -> str:
    if v is None:
        return "–"
    if 0 < abs(v) < Decimal("0.01") and places == 2:
        return f"${v:,.4f}"
    return f"${v:,.{places}f}"


DIM_LABELS = {"model": "model", "task_type": "task type", "feature": "feature", "tenant": "tenant",
              "day": "day", "conversation": "conversation", "provider": "provider"}


def _breakdown_table(dim: str, rows: list[BreakdownRow], limit: int = 12) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column(f"  By {DIM_LABELS[dim]}", no_wrap=True, max_width=36)
    for col in ("calls", "cost", "share", "avg in / out tokens"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows[:limit]:
        avg = f"{n(r.input_tokens / r.calls)} / {n(r.output_tokens / r.calls)}" if r.calls else "–"
        cost = "unpriced" if not r.priced else usd(r.cost_usd) + (" + unpriced" if r.unpriced_calls else "")
        table.add_row(f"  {r.key if r.key is not None else '(none)'}", n(r.calls), cost,
                      f"{r.share_pct:.1f} %", avg)
    if len(rows) > limit:
        rest = rows[limit:]
        table.add_row(f"  … {len(rest)} more", n(sum(r.calls for r in rest)),
                      usd(sum((r.cost_usd for r in rest), Decimal(0))),
                      f"{sum(r.share_pct for r in rest):.1f} %", "")
    return table


def default_dims(a: Analysis) -> list[str]:
    dims = [d for d in ("task_type", "feature", "tenant")
            if len({r.key for r in a.breakdowns[BREAKDOWN_KEYS[d]]} - {None}) > 1]
    return ["model", *dims[:2]] if len({r.key for r in a.breakdowns["by_model"]}) > 1 or not dims \
        else dims[:2]


def render_analysis(a: Analysis, by: list[str] | None = None) -> RenderableType:
    parts: list[RenderableType] = []
    if a.ingest and a.ingest.files:
        parts.append(render_ingest(a.ingest))
        parts.append(Text(""))
    t = a.totals
    if not t.calls:
        parts.append(Text(" No calls in scope.", style="bold yellow"))
        hint = a.scope.describe()
        parts.append(Text(f"  Filters: {hint}" if hint else
                          "  Give log files: llmcost analyze FILES (see llmcost analyze --help)",
                          style="dim"))
        return Group(*parts)
    start = a.period.start.strftime("%Y-%m-%d") if a.period.start else "?"
    end = a.period.end.strftime("%Y-%m-%d") if a.period.end else "?"
    title = f"LLM spend · {start} → {end} ({a.period.days:.1f} days)"
    head = Text()
    head.append(f"{usd(t.cost_usd)} in period", style="bold")
    monthly = a.monthly_usd
    head.append(f"    {usd(monthly)} / month" if monthly is not None else "    – / month")
    head.append(f"    {n(t.calls)} calls")
    if t.priced_calls:
        head.append(f"    {usd(t.cost_usd / t.priced_calls, 4)} / call")
    parts.append(Panel(head, title=title, title_align="left", expand=False))
    for dim in by or default_dims(a):
        rows = a.breakdowns[BREAKDOWN_KEYS[dim]]
        if rows:
            parts.append(_breakdown_table(dim, rows))
            parts.append(Text(""))
    summary = []
    for p in a.pareto[:1]:
        summary.append(f"{p.keys} of {p.of_keys} {DIM_LABELS[p.dimension]}s = "
                       f"{p.share_pct:.0f} % of spend")
    summary.append(f"output is {t.output_share_pct:.0f} % of spend")
    summary.append(f"cache hit rate {100 * t.cache_hit_ratio:.0f} % of input tokens")
    parts.append(Text("  " + " · ".join(summary)))
    c = t.costs
    parts.append(Text(f"  Cost by component: uncached input {usd(c.input)} · cache reads "
                      f"{usd(c.cache_read)} · cache writes {usd(c.cache_write)} · output "
                      f"{usd(c.output)}" + (f" · other {usd(c.other)}" if c.other else "")))
    if a.top_calls:
        top = a.top_calls[0]
        parts.append(Text(f"  Most expensive call: {usd(top.cost_usd, 4)} ({top.detail})", style="dim"))
    if a.top_conversations:
        tc = a.top_conversations[0]
        parts.append(Text(f"  Most expensive conversation: {tc.key} {usd(tc.cost_usd, 4)} "
                          f"({tc.detail})", style="dim"))
    if a.prices_used:
        used = ", ".join(f"{p.model_id} from {p.effective_from:%Y-%m-%d}" for p in a.prices_used[:4])
        more = f" and {len(a.prices_used) - 4} more" if len(a.prices_used) > 4 else ""
        checked = max((p.checked for p in a.prices_used), default="")
        parts.append(Text(f"  Priced with: {used}{more} (book checked {checked})", style="dim"))
    if a.unpriced_models:
        share = 100 * t.unpriced_calls / t.calls
        parts.append(Text(f"  ⚠ {n(t.unpriced_calls)} calls ({share:.1f} %) use models not in the "
                          "price book and are not in the totals:", style="yellow"))
        for u in a.unpriced_models[:8]:
            parts.append(Text(f"      {u.model} ({n(u.calls)}): {u.reason}", style="yellow"))
        parts.append(Text("      → add them with --pricing my-prices.yaml (see docs/pricing-format.md)",
                          style="yellow"))
    for comp in a.unpriced_components:
        parts.append(Text(f"  ⚠ {comp}", style="yellow"))
    r = a.reconciliation
    if r:
        style = "yellow" if any(m.disagrees for m in r.by_model) else "dim"
        parts.append(Text(f"  Logged cost {usd(r.logged_cost_usd)} vs computed "
                          f"{usd(r.computed_cost_usd)} on {n(r.calls)} calls "
                          f"(difference {usd(r.difference_usd)})", style=style))
        for m in r.by_model:
            if m.disagrees:
                parts.append(Text(f"      ⚠ {m.model}: logged {usd(m.logged_cost_usd)}, computed "
                                  f"{usd(m.computed_cost_usd)}", style="yellow"))
    scope = a.scope.describe()
    if scope:
        parts.append(Text(f"  Filters: {scope}", style="dim"))
    for note in a.notes:
        parts.append(Text(f"  ⚠ {note}", style="yellow"))
    parts.append(Text(""))
    parts.append(Text("  Next: `llmcost recommend` to see what would save the most.", style="dim"))
    return Group(*parts)


def render_sources(rows: list[SourceRow]) -> RenderableType:
    if not rows:
        return Text(" The store holds no files yet. Load some: llmcost ingest FILES", style="yellow")
    table = Table(header_style="bold", box=None)
    for col in ("file", "format", "ingested (UTC)", "read", "loaded", "rejected", "duplicate",
                "skipped", "calls stored", "hash"):
        table.add_column(col, justify="left" if col in ("file", "format", "ingested (UTC)", "hash")
                         else "right")
    for r in rows:
        table.add_row(_short(r.source_file), r.adapter, r.ingested_at, n(r.rows_read),
                      n(r.rows_loaded), n(r.rows_rejected), n(r.rows_duplicate),
                      n(r.rows_skipped), n(r.calls_stored), r.source_hash[:12])
    return table


def render_rejects(rows: list[RejectRow], total: int) -> RenderableType:
    if not rows:
        return Text(" No rejected rows.", style="green")
    table = Table(header_style="bold", box=None)
    table.add_column("file")
    table.add_column("line", justify="right")
    table.add_column("reason")
    table.add_column("raw text", overflow="ellipsis", no_wrap=True, max_width=60)
    for r in rows:
        table.add_row(_short(r.source_file, 40), "" if r.line is None else str(r.line),
                      Text(r.reason), Text((r.raw or "")[:200]))
    parts: list[RenderableType] = [table]
    if total > len(rows):
        parts.append(Text(f" … {total - len(rows):,} more (use --limit 0 for all, "
                          "or --format json)", style="dim"))
    return Group(*parts)


def render_forget(results: list[ForgetResult], what: str) -> RenderableType:
    if not results:
        return Text(f" {what} is not in the store (see llmcost sources).", style="yellow")
    return Group(*[Text(f" Forgot {r.source_file}: {n(r.calls_removed)} calls and "
                        f"{n(r.rejects_removed)} rejected rows removed") for r in results])


LEVER_LABELS = {"route": "route", "trim_prompt": "trim prompt", "dedupe": "response cache",
                "cache": "prompt cache", "cap_output": "cap output", "batch": "batch API"}


def _per_month(sim: Simulation, amount: Decimal) -> str:
    m = sim.monthly(amount)
    return usd(m) if m is not None else usd(amount) + " (period)"


def _lever_extra(r: LeverResult) -> str:
    bits = []
    if r.metrics.get("hit_ratio") is not None:
        bits.append(f"cache hits {100 * (r.metrics['hit_ratio'] or 0):.0f} % of input")
    if r.metrics.get("truncated_share") is not None:
        bits.append(f"{100 * (r.metrics['truncated_share'] or 0):.1f} % of calls cut")
    return " · ".join(bits)


def render_simulation(sim: Simulation) -> RenderableType:
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"Before {_per_month(sim, sim.baseline_usd)} / month  →  after "
                f"{_per_month(sim, sim.scenario_usd)} / month", style="bold")
    head.append(f"   ({-sim.savings_pct:+.1f} %)")
    parts.append(Panel(head, title=f"What if · {n(sim.calls)} calls over {sim.days:.1f} days",
                       title_align="left", expand=False))
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("  lever (stack order)", no_wrap=True)
    table.add_column("scope", max_width=44)
    table.add_column("calls", justify="right")
    table.add_column("saves / month", justify="right", no_wrap=True)
    table.add_column("", max_width=40)
    for r in sim.levers:
        table.add_row(f"  {LEVER_LABELS[r.lever]}", r.scope, n(r.calls_affected),
                      _per_month(sim, r.savings_usd), _lever_extra(r))
    parts.append(table)
    parts.append(Text(""))
    parts.append(Text("  Assumptions:", style="bold"))
    for r in sim.levers:
        for a in r.assumptions:
            parts.append(Text(f"   · {LEVER_LABELS[r.lever]}: {a}", style="dim"))
    for note in sim.notes:
        parts.append(Text(f"  ⚠ {note}", style="yellow"))
    return Group(*parts)


def render_recommend(res: RecommendResult) -> RenderableType:
    sim = res.simulation
    parts: list[RenderableType] = []
    parts.append(Text(f" Savings plan · baseline {_per_month(sim, sim.baseline_usd)} / month "
                      f"({n(sim.calls)} calls over {sim.days:.1f} days)", style="bold"))
    parts.append(Text(""))
    if not res.recommendations:
        parts.append(Text("  Nothing to recommend: no lever saves money on this traffic.", style="yellow"))
    else:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for col, just in (("  #", "right"), ("lever", "left"), ("scope", "left"), ("calls", "right"),
                          ("alone / month", "right"), ("confidence", "left"), ("risk", "left"),
                          ("effort", "left")):
            table.add_column(col, justify=just, no_wrap=col not in ("scope", "risk"),  # type: ignore[arg-type]
                             max_width=36 if col == "scope" else None)
        for rec in res.recommendations:
            r = rec.result
            risk = r.risk if r.lever != "cap_output" else \
                f"{100 * (r.metrics.get('truncated_share') or 0):.1f} % cut"
            table.add_row(f"  {rec.rank}", LEVER_LABELS[r.lever], r.scope, n(r.calls_affected),
                          usd(rec.savings_monthly_usd) if rec.savings_monthly_usd is not None
                          else usd(r.savings_usd), r.confidence, risk, r.effort)
        parts.append(table)
        parts.append(Text(""))
        parts.append(Text("  Stacked plan (each step on top of the ones before, no double counting):"))
        chain = f"    {_per_month(sim, sim.baseline_usd)}"
        for r in sim.levers:
            chain += f" → {LEVER_LABELS[r.lever]} {_per_month(sim, r.cost_after)}"
        parts.append(Text(chain))
        parts.append(Text(f"  Before {_per_month(sim, sim.baseline_usd)} / month  →  after "
                          f"{_per_month(sim, sim.scenario_usd)} / month   ({-sim.savings_pct:+.1f} %)",
                          style="bold green"))
    parts.append(Text(""))
    parts.append(Text("  Assumptions:", style="bold"))
    seen = set()
    for rec in res.recommendations:
        for a in rec.result.assumptions:
            if a not in seen:
                seen.add(a)
                parts.append(Text(f"   · {LEVER_LABELS[rec.result.lever]}: {a}", style="dim"))
    for rule in res.rules:
        parts.append(Text(f"   · {rule}", style="dim"))
    if res.not_evaluated:
        parts.append(Text("  Not evaluated:", style="bold"))
        for s in res.not_evaluated:
            parts.append(Text(f"   · {s}", style="dim"))
    for note in sim.notes:
        parts.append(Text(f"  ⚠ {note}", style="yellow"))
    parts.append(Text("  Report for finance: llmcost report -o savings.html", style="dim"))
    return Group(*parts)
