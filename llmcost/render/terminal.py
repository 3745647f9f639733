"""Terminal renderings (rich): quiet where all is well, loud where a number rests on an
assumption. Renderers only format; every figure comes from the result objects."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from llmcost.ingest import FileResult, IngestResult
from llmcost.ingest.load import NotCallLog
from llmcost.render import words
from llmcost.render.paths import fit_path, shown_path
from llmcost.render.rich_safe import add_row, hang, plain
from llmcost.render.safe_text import visible
from llmcost.report.analysis import BREAKDOWN_KEYS, Analysis, BreakdownRow, Rest, sum_rows
from llmcost.run_rate import RUN_RATE_LABEL, span_text
from llmcost.simulate.recommend import RecommendResult
from llmcost.simulate.run import LeverResult, Simulation
from llmcost.store import ForgetResult, RejectRow, SourceRow, StoreTotals

if TYPE_CHECKING:
    from llmcost.report.time_series import TimeSeries


def n(value: int | float) -> str:
    return f"{value:,.0f}"




class Flow:
    """Lines of items laid out left to right, `sep` spaces apart; a line too long for the width
    continues on the next (indented by `indent`) between two items, never inside one: a headline
    that breaks between its figures."""

    def __init__(self, lines: list[list[Text]], sep: int = 4, indent: int = 0) -> None:
        self.lines = [items for items in ([i for i in line if i.cell_len] for line in lines) if items]
        self.sep = sep
        self.indent = indent

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        items = [i.cell_len for line in self.lines for i in line] or [0]
        longest = max((sum(i.cell_len for i in line) + self.sep * (len(line) - 1) for line in self.lines),
                      default=0)
        return Measurement(max(items) + (self.indent if len(items) > 1 else 0), longest)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for items in self.lines:
            line = Text()
            for item in items:
                if line.cell_len and line.cell_len + self.sep + item.cell_len > width:
                    yield line
                    line = plain(" " * self.indent)
                elif line.cell_len:
                    line.append(" " * self.sep)
                line.append_text(item)
            yield line


class FileLine:
    """` Ingested logs/a.csv  [format]  counts…`: the path shown whole (render.paths) unless the
    line cannot hold it, its counts wrapping between figures under a 3-space indent."""

    def __init__(self, verb: str, path: str, adapter: str, counts: list[str]) -> None:
        self.verb, self.path, self.adapter, self.counts = verb, shown_path(path), adapter, counts

    def _flow(self, width: int) -> RenderableType:
        from llmcost.render.fit_width import WrappedItems

        head = f" {self.verb} "
        name = plain(head, style="bold")
        name.append(plain(fit_path(self.path, width - len(head)), style="cyan"))
        counts = WrappedItems(self.counts, lead="   ", indent=3)
        line = Flow([[name, plain(f"[{self.adapter}]", style="dim"), plain(" · ".join(self.counts))]],
                    sep=2, indent=3)
        full = name.cell_len + 2 + len(self.adapter) + 4 + len(" · ".join(self.counts))
        return line if full <= width else Group(
            Flow([[name, plain(f"[{self.adapter}]", style="dim")]], sep=2, indent=3), counts)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._flow(10**4))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._flow(options.max_width)


def file_line(f: FileResult) -> RenderableType:
    verb = {"loaded": "Ingested", "replaced": "Re-ingested", "unchanged": "Already stored"}[f.status]
    c = f.stored or f  # stored already: the counts recorded when it was loaded, not "all duplicate"
    counts = [f"{n(c.rows_read)} rows read", f"{n(c.rows_loaded)} loaded", f"{n(c.rows_rejected)} rejected",
              f"{n(c.rows_duplicate)} duplicate"]
    if c.rows_skipped:
        counts.append(f"{n(c.rows_skipped)} skipped")
    if f.stored is not None:
        counts[-1] += " when it was loaded"
    return FileLine(verb, f.file, f.adapter, counts)


def _shown_not_logs(not_logs: list[NotCallLog]) -> list[NotCallLog]:
    """The files left alone with their paths as shown (render.paths), for grouping and naming."""
    import dataclasses

    return [dataclasses.replace(x, file=shown_path(x.file)) for x in not_logs]


def render_failed(result: IngestResult) -> list[RenderableType]:
    """The files that could not be loaded, each with why (the command exits 1)."""
    if not result.failed:
        return []
    head, lines = words.failed_files(result)
    parts: list[RenderableType] = [hang(head, indent=1, marker="✗ ", style="bold red")]
    parts += [hang(line, indent=4, marker="· ") for line in lines]
    return parts


def render_not_logs(result: IngestResult) -> list[RenderableType]:
    """Every file the run left alone, with why: grouped by reason, a few names each."""
    if not result.not_logs:
        return []
    folder, groups, hidden = words.left_alone(_shown_not_logs(result.not_logs))
    count = len(result.not_logs)
    head = f"  {count:,} file{'s' if count != 1 else ''} left alone (not read as call logs)"
    parts: list[RenderableType] = [plain(head + (f" in {folder}:" if folder else ":"))]
    for g in groups:
        parts.append(hang(f"{words.names_phrase(g)} — {g.reason}", indent=4, marker="· "))
    if hidden:
        parts.append(hang(f"… and {hidden:,} more for other reasons (--format json lists every one)",
                          indent=4, marker="· ", style="dim"))
    return parts


# more files than this: a line only for each file with something to say (rejects, notes)
FILE_LINES = 10


def render_ingest(result: IngestResult) -> RenderableType:
    from llmcost.render.fit_width import WrappedItems

    many = len(result.files) > FILE_LINES
    shown = [f for f in result.files if not many or f.rows_rejected or f.notes]
    parts: list[RenderableType] = [file_line(f) for f in shown]
    if len(result.files) > 1:
        files = [f"{len(result.files):,} files"] if many else []
        parts.append(WrappedItems(
            [*files, f"{n(result.total('rows_read'))} rows read", f"{n(result.total('rows_loaded'))} loaded",
             f"{n(result.total('rows_rejected'))} rejected", f"{n(result.total('rows_duplicate'))} duplicate",
             f"{n(result.total('rows_skipped'))} skipped"], lead=" Total: ", indent=8, style="bold"))
    for f in shown:
        for note in f.notes:
            parts.append(hang(f"{shown_path(f.file)}: {note}", marker="⚠ ", style="yellow"))
    parts += render_failed(result)
    parts += render_not_logs(result)
    if result.total("rows_rejected"):
        parts.append(plain("  See why rows were rejected: llmcost rejects", style="dim"))
    return Group(*parts)


def usd(v: Decimal | None, places: int = 2) -> str:
    if v is None:
        return "–"
    if 0 < abs(v) < Decimal("0.01") and places == 2:
        return f"${v:,.4f}"
    return f"${v:,.{places}f}"


DIM_LABELS = {"model": "model", "task_type": "task type", "feature": "feature", "tenant": "tenant",
              "day": "day", "conversation": "conversation", "provider": "provider"}


def _avg(r: BreakdownRow) -> str:
    if r.avg_input_tokens is None or r.avg_output_tokens is None:
        return "–"
    return f"{n(r.avg_input_tokens)} / {n(r.avg_output_tokens)}"


def _breakdown_table(dim: str, rows: list[BreakdownRow], limit: int = 12, errored: bool = False,
                     rest: Rest | None = None) -> RenderableType:
    """One breakdown, 2 spaces in: a table where it fits with its labels (wrapped between words,
    never cut); on a narrower terminal, or with a label too long to wrap, a block per row (the
    label, then its figures). With `errored`, a column of the errored calls (averages leave them
    out). The keys beyond `limit` rows, and those the analysis summed in `rest`, as one row."""
    from rich.padding import Padding

    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems

    label = DIM_LABELS[dim]
    avg_head = "billed avg in / out" if errored else "avg in / out tokens"
    columns = [Col(f"By {label}", floor=16, most=56), Col("calls", "right"),
               *([Col("errored", "right")] if errored else []), Col("cost", "right"), Col("share", "right"),
               Col(avg_head, "right")]
    table_rows: list[list[str]] = []
    blocks: list[RenderableType] = [plain(f"By {label}", style="bold")]

    def add(key: str, calls: int, errs: int, cost: str, share: str, avg: str) -> None:
        table_rows.append([key, n(calls), *([n(errs) if errs else ""] if errored else []), cost, share, avg])
        figures = [_calls(calls), f"{n(errs)} errored" if errored and errs else "", cost,
                   f"{share} of spend" if share != "–" else "", f"{avg_head} {avg}" if avg else ""]
        blocks.append(WrappedItems([key], indent=2))
        blocks.append(WrappedItems(figures, lead="   ", indent=3))

    for r in rows[:limit]:
        cost = "unpriced" if not r.priced else usd(r.cost_usd) + (" + unpriced" if r.unpriced_calls else "")
        add(r.key if r.key is not None else "(none)", r.calls, r.errored_calls, cost,
            f"{r.share_pct:.1f} %" if r.priced else "–", _avg(r))
    if len(rows) > limit or rest is not None:
        left = rows[limit:] + ([rest.row] if rest is not None else [])
        more = sum_rows(left)
        keys = len(rows[limit:]) + (rest.keys if rest else 0)
        add(f"{n(keys)} other {label}{'s' if keys != 1 else ''}", more.calls, more.errored_calls,
            usd(more.cost_usd) if more.priced else "unpriced",
            f"{more.share_pct:.1f} %" if more.priced else "–", _avg(more))
    return Padding(TableOrBlocks(columns, table_rows, blocks), (0, 0, 0, 2), expand=False)


def default_dims(a: Analysis) -> list[str]:
    dims = [d for d in ("task_type", "feature", "tenant")
            if len({r.key for r in a.breakdowns[BREAKDOWN_KEYS[d]]} - {None}) > 1]
    return ["model", *dims[:2]] if len({r.key for r in a.breakdowns["by_model"]}) > 1 or not dims \
        else dims[:2]


def headline(a: Analysis) -> list[list[Text]]:
    """The figures in the panel: spend, run rate, calls (errored beside), cost per billed call, and
    the unpriced calls on a line of their own; or, when nothing could be priced, that (never $0.00)."""
    t = a.totals
    calls = plain(words.calls_phrase(t.calls, t.errored_calls))
    if t.nothing_priced:
        return [[plain(words.nothing_priced(t.unpriced_calls, a.unpriced_models), style="bold yellow")],
                [calls] if t.errored_calls else []]
    monthly = a.monthly_usd
    rate = a.run_rate
    items = [plain(f"{usd(t.cost_usd)} in period", style="bold"),
             plain(f"{RUN_RATE_LABEL} {usd(monthly)}" if monthly is not None
                   else f"{RUN_RATE_LABEL} — ({rate.reason})"), calls]
    if t.cost_per_call is not None:
        items.append(plain(f"{usd(t.cost_per_call, 4)} / {'billed ' if t.errored_calls else ''}call"))
    unpriced = [plain(words.unpriced_beside(t.unpriced_calls, a.unpriced_models), style="yellow")] \
        if t.unpriced_calls else []
    stray = rate.stray_note()
    return [items, unpriced, [plain(f"⚠ {stray}", style="yellow")] if stray else []]


def render_analysis(a: Analysis, by: list[str] | None = None, series: TimeSeries | None = None) -> RenderableType:
    parts: list[RenderableType] = []
    if a.ingest and (a.ingest.files or a.ingest.not_logs or a.ingest.failed):
        parts.append(render_ingest(a.ingest))
        parts.append(plain(""))
    t = a.totals
    if not t.calls:
        parts.append(plain(" No calls in scope.", style="bold yellow"))
        hint = a.scope.describe()
        parts.append(plain(f"  Filters: {hint}" if hint else
                          "  The files given hold no call." if a.ingest else
                          "  Give log files: llmcost analyze FILES (see llmcost analyze --help)",
                          style="dim"))
        return Group(*parts)
    start = a.period.start.strftime("%Y-%m-%d") if a.period.start else "?"
    end = a.period.end.strftime("%Y-%m-%d") if a.period.end else "?"
    span = span_text((a.period.end - a.period.start).total_seconds()) if a.period.start and a.period.end else ""
    title = (f"LLM spend · {start} → {end} ({span})" if a.period.start
             else "LLM spend · no call times logged")
    if a.repriced is not None:  # analyze --as-of DATE
        from llmcost.render.reprice_out import as_of_text

        title += f" · prices as of {as_of_text(a)}"
    parts.append(Panel(Flow(headline(a)), title=plain(title), title_align="left", expand=False))
    if a.repriced is not None:
        parts += repricing_lines(a)
    if series is not None:  # a time series (--by day|week|month[,SPLIT]) in place of the breakdowns

        parts += [render_time_series(series, errored=t.errored_calls > 0), plain("")]
    for dim in [] if series is not None else by or default_dims(a):
        rows = a.breakdowns[BREAKDOWN_KEYS[dim]]
        if rows:
            parts.append(_breakdown_table(dim, rows, errored=t.errored_calls > 0,
                                          rest=a.rest.get(BREAKDOWN_KEYS[dim])))
            parts.append(plain(""))
    summary = []
    if not t.nothing_priced:
        for p in a.pareto[:1]:
            summary.append(f"{p.keys} of {p.of_keys} {DIM_LABELS[p.dimension]}s = "
                           f"{p.share_pct:.0f} % of spend")
        summary.append(f"output is {t.output_share_pct:.0f} % of spend")
    summary.append(f"cache hit rate {100 * t.cache_hit_ratio:.0f} % of input tokens")
    from llmcost.render.fit_width import WrappedItems

    parts.append(WrappedItems(summary, lead="  ", indent=2))
    c = t.costs
    if not t.nothing_priced:
        parts.append(WrappedItems([f"uncached input {usd(c.input)}", f"cache reads {usd(c.cache_read)}",
                                   f"cache writes {usd(c.cache_write)}", f"output {usd(c.output)}",
                                   f"other {usd(c.other)}" if c.other else ""],
                                  lead="  Cost by component: ", indent=4))
    if a.top_calls:
        top = a.top_calls[0]
        parts.append(hang(f"Most expensive call: {usd(top.cost_usd, 4)} ({top.detail})", style="dim"))
    if a.top_conversations:
        tc = a.top_conversations[0]
        parts.append(hang(f"Most expensive conversation: {tc.key} {usd(tc.cost_usd, 4)} "
                          f"({tc.detail})", style="dim"))
    if a.prices_used:
        used = ", ".join(f"{p.model_id} from {p.effective_from:%Y-%m-%d}" for p in a.prices_used[:4])
        more = f" and {len(a.prices_used) - 4} more" if len(a.prices_used) > 4 else ""
        checked = max((p.checked for p in a.prices_used), default="")
        parts.append(hang(f"Priced with: {used}{more} (book checked {checked})", style="dim"))
    if t.errored_calls:
        parts.append(hang(f"{n(t.errored_calls)} errored calls are counted but not billed; per-call "
                          "figures are over the billed calls", style="dim"))
    if a.unpriced_models:
        share = 100 * t.unpriced_calls / t.calls
        parts.append(hang(f"{n(t.unpriced_calls)} calls ({share:.1f} %) use models not in the "
                          "price book and are not in the totals:", marker="⚠ ", style="yellow"))
        for u in a.unpriced_models[:8]:
            parts.append(hang(f"{words.model_label(u.model)} ({n(u.calls)}): {u.reason}{words.suggested(u)}", indent=6,
                              style="yellow"))
        if len(a.unpriced_models) > 8:
            parts.append(hang(f"… and {len(a.unpriced_models) - 8} more models (--format json lists "
                              "every one)", indent=6, style="yellow"))
        parts.append(hang("→ add them with --pricing my-prices.yaml (see docs/pricing-format.md)",
                          indent=6, style="yellow"))
    for comp in a.unpriced_components:
        parts.append(hang(comp, marker="⚠ ", style="yellow"))
    r = a.reconciliation
    if r:
        style = "yellow" if any(m.disagrees for m in r.by_model) else "dim"
        parts.append(hang(f"Logged cost {usd(r.logged_cost_usd)} vs computed "
                          f"{usd(r.computed_cost_usd)} on {n(r.calls)} calls "
                          f"(difference {usd(r.difference_usd)})", style=style))
        for m in r.by_model:
            if m.disagrees:
                parts.append(hang(f"{m.model}: logged {usd(m.logged_cost_usd)}, computed "
                                  f"{usd(m.computed_cost_usd)}", indent=6, marker="⚠ ", style="yellow"))
    scope = a.scope.describe()
    if scope:
        parts.append(hang(f"Filters: {scope}", style="dim"))
    for note in a.notes:
        if note != a.run_rate.stray_note():  # in the headline
            parts.append(hang(note, marker="⚠ ", style="yellow"))
    parts.append(plain(""))
    parts.append(plain("  Next: `llmcost recommend` to see what would save the most.", style="dim"))
    return Group(*parts)


SOURCE_COUNTS = ("read", "loaded", "rejected", "duplicate", "skipped", "calls held",
                 "kept from another file")


def _source_counts(r: SourceRow) -> list[str]:
    return [n(r.rows_read), n(r.rows_loaded), n(r.rows_rejected), n(r.rows_duplicate),
            n(r.rows_skipped), n(r.calls_held), n(r.calls_kept_from_other_files)]


class SourcesLayout:
    """The stored files as a table where it fits with every path whole on one line; on a narrower
    terminal (or with a longer path) one block per file, its figures wrapping between items."""

    def __init__(self, rows: list[SourceRow]) -> None:
        self.rows = rows

    def _table(self, with_file: bool) -> Table:
        table = Table(header_style="bold", box=None)
        if with_file:
            table.add_column("file (ingested UTC · hash)", overflow="fold")
        table.add_column("format")
        for col in SOURCE_COUNTS:
            table.add_column(col, justify="right", max_width=9 if col.startswith("kept") else None)
        if not with_file:  # for measuring the other columns: one row of each column's widest cell
            columns = zip(*([r.adapter, *_source_counts(r)] for r in self.rows), strict=True)
            add_row(table, *(max(cells, key=len) for cells in columns))
            return table
        for r in self.rows:
            name = plain(shown_path(r.source_file))
            name.append("\n")
            name.append_text(plain(f"{r.ingested_at} · {r.source_hash[:12]}", style="dim"))
            add_row(table, name, r.adapter, *_source_counts(r))
        return table

    def _blocks(self) -> RenderableType:
        parts: list[RenderableType] = []
        for r in self.rows:
            counts = [plain(f"{'   ' if not i else ''}{v} {k}")
                      for i, (k, v) in enumerate(zip(SOURCE_COUNTS[:5], _source_counts(r), strict=False))]
            held = f"holds {n(r.calls_held)} call{'s' if r.calls_held != 1 else ''}"
            if r.calls_kept_from_other_files:
                held += f", {n(r.calls_kept_from_other_files)} kept from another file"
            parts.append(Flow([[plain(f" {shown_path(r.source_file)}", style="cyan"),
                                plain(f"[{r.adapter}]", style="dim"),
                                plain(f"{r.ingested_at} · {r.source_hash[:12]}", style="dim")],
                               [*counts, plain(held)]], sep=2, indent=3))
        return Group(*parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rest = Measurement.get(console, options.update(max_width=10**4), self._table(False)).maximum
        longest = max(len(shown_path(r.source_file)) for r in self.rows)
        fits = options.max_width - rest - 2 >= longest  # a table only with every path whole on its line
        yield self._table(True) if fits else self._blocks()


def render_sources(rows: list[SourceRow], totals: StoreTotals | None = None) -> RenderableType:
    """One entry per stored file: the path, when it was stored and its content hash, its row
    counts, the calls it holds and how many of those are kept as another file's copy; then the
    store's total, each call counted once however many files hold it."""
    if not rows:
        return plain(" The store holds no files yet. Load some: llmcost ingest FILES", style="yellow")
    if totals is None:
        return SourcesLayout(rows)
    line = (f"Total: {n(totals.files)} file{'s' if totals.files != 1 else ''} · "
            f"{n(totals.calls)} calls stored, each counted once")
    if totals.calls_in_several_files:
        line += f" ({n(totals.calls_in_several_files)} of them held by more than one file)"
    return Group(SourcesLayout(rows), hang(line, indent=1, style="bold"))


RAW_SHOWN = 240  # characters of a rejected record's raw text shown in the terminal


def _raw_text(raw: str | None) -> str:
    """A rejected record's raw text, its first RAW_SHOWN characters when longer (said, not cut)."""
    raw = visible(raw or "")
    if len(raw) <= RAW_SHOWN:
        return raw
    return f"{raw[:RAW_SHOWN]} [+{len(raw) - RAW_SHOWN:,} characters: --format json has the whole record]"


def _rejects_of_file(rows: list[RejectRow]) -> RenderableType:
    """A file's rejected rows: a table (line, reason, raw text folded to its column) where it fits,
    else a block per row: `line 3 · reason`, then the raw text under it."""
    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems

    columns = [Col("   line", "right"), Col("reason", floor=20, most=56),
               Col("raw text", floor=100, fold=True)]  # a raw line under 100 characters is never folded
    table_rows: list[list[str]] = []
    blocks: list[RenderableType] = []
    for r in rows:
        line = "" if r.line is None else str(r.line)
        table_rows.append([f"   {line}", r.reason, _raw_text(r.raw)])
        blocks.append(WrappedItems([f"line {line}" if line else "", r.reason], lead="   ", indent=5))
        if r.raw:
            blocks.append(hang(_raw_text(r.raw), indent=5, style="dim"))
    return TableOrBlocks(columns, table_rows, blocks)


def render_rejects(rows: list[RejectRow], total: int) -> RenderableType:
    """The rejected rows grouped by file (each path shown whole once, render.paths), with their
    line, reason and raw text."""
    if not rows:
        return plain(" No rejected rows.", style="green")
    from itertools import groupby

    parts: list[RenderableType] = []
    for i, (file, group) in enumerate(groupby(rows, key=lambda r: r.source_file)):
        mine = list(group)
        if i:
            parts.append(plain(""))
        head = plain(f" {shown_path(file)}", style="bold cyan")
        head.append(f"  {n(len(mine))} rejected row{'s' if len(mine) != 1 else ''}"
                    + (" shown" if total > len(rows) else ""), style="dim")
        parts.append(head)
        parts.append(_rejects_of_file(mine))
    if total > len(rows):
        parts.append(hang(f"{total - len(rows):,} more rejected rows not shown: --limit 0 shows all, "
                          "--format json too", indent=1, style="dim"))
    return Group(*parts)


def render_forget(results: list[ForgetResult], what: str) -> RenderableType:
    if not results:
        return plain(f" {what} is not in the store (see llmcost sources).", style="yellow")
    return Group(*[plain(f" Forgot {r.source_file}: {n(r.calls_removed)} calls and "
                        f"{n(r.rejects_removed)} rejected rows removed") for r in results])


LEVER_LABELS = {"route": "route", "trim_prompt": "trim prompt", "dedupe": "response cache",
                "cache": "prompt cache", "cap_output": "cap output", "batch": "batch API",
                "history_window": "history window", "cap_input": "cap input",
                "similar_cache": "near-duplicate cache", "deflect": "FAQ deflection"}
LEVER_LABELS["cascade"] = "cascade"  # cheap model first (llmcost.simulate.cascade)


def _breakable(scope: str) -> str:
    """A scope's comma list with a space after each comma, so a long list wraps between names."""
    return ", ".join(p.strip() for p in scope.split(","))


def _span(days: float) -> str:
    """How long the calls span: `7 s`, `3.2 hours`, `29.8 days` (a 1-hour log is not "0.0 days")."""
    return span_text(days * 86400)


def _per_month(sim: Simulation, amount: Decimal) -> str:
    """A plan figure as its 30-day run rate, or the period's figure where there is no run rate
    (the headline says which)."""
    m = sim.monthly(amount)
    return usd(m) if m is not None else usd(amount)


def _has_rate(sim: Simulation) -> bool:
    return sim.monthly(sim.baseline_usd) is not None


def _unit(sim: Simulation) -> str:
    """What plan figures are per: `/ 30 days` (the run rate) or `in period`."""
    return "/ 30 days" if _has_rate(sim) else "in period"


def _before_after(sim: Simulation) -> str:
    """`30-day run rate: before $x  →  after $y`, or `In the period: before …` without a run rate."""
    lead = f"{RUN_RATE_LABEL}:" if _has_rate(sim) else "In the period:"
    return f"{lead} before {_per_month(sim, sim.baseline_usd)}  →  after {_per_month(sim, sim.scenario_usd)}"


def _span_why(sim: Simulation) -> str:
    """`240,000 calls over 29.8 days`, with why there is no run rate when there is none."""
    rate = sim.run_rate
    head = f"{n(sim.calls)} calls over {_span(sim.days)}"
    if rate is None or _has_rate(sim):
        return head
    if not rate.strays and rate.start is not None and rate.seconds > 0:
        return f"{head}: too short for a run rate"
    return f"{head}; {rate.reason}"


def _rate_notes(sim: Simulation) -> tuple[list[RenderableType], list[str]]:
    """The stray-calls note to print under a plan's headline, and the other notes (for the end)."""
    stray = sim.run_rate.stray_note() if sim.run_rate is not None else None
    first = [n for n in sim.notes if stray and n.startswith(stray)]
    said = f"no {RUN_RATE_LABEL} ("  # the headline says why there is no run rate
    return ([hang(x, marker="⚠ ", style="yellow") for x in first],
            [x for x in sim.notes if x not in first and not x.startswith(said)])


def _lever_extra(r: LeverResult) -> str:
    bits = []
    if r.metrics.get("hit_ratio") is not None:
        bits.append(f"cache hits {100 * (r.metrics['hit_ratio'] or 0):.0f} % of input")
    if r.metrics.get("truncated_share") is not None:
        bits.append(f"{100 * (r.metrics['truncated_share'] or 0):.1f} % of calls cut")
    if r.metrics.get("history_cut_share") is not None:
        bits.append(f"{_share(r.metrics['history_cut_share'] or 0)} of turns cut")
    if r.metrics.get("summary_calls"):
        bits.append(f"+{n(int(r.metrics['summary_calls'] or 0))} summary calls")
    if r.metrics.get("capped_share") is not None:
        bits.append(f"{_share(r.metrics['capped_share'] or 0)} of calls capped")
    if r.metrics.get("escalated_share") is not None:
        bits.append(f"{100 * (r.metrics['escalated_share'] or 0):.1f} % escalate")
    if r.quality is not None and r.quality.after.value is not None and r.quality.before.value is not None:
        bits.append(f"quality {100 * r.quality.before.value:.1f} → {100 * r.quality.after.value:.1f} %")
    if r.lever == "similar_cache":
        bits.append(f"hits {100 * (r.metrics.get('hit_share') or 0):.1f} % of prompts")
        without = int(r.metrics.get("calls_without_prompt_text") or 0)
        if without:
            bits.append(f"{n(without)} call{'' if without == 1 else 's'} without prompt text")
    return " · ".join(bits)


def _share(x: float) -> str:
    """A fraction as a percentage; a few calls of many read "< 0.1 %", not "0.0 %"."""
    return "< 0.1 %" if 0 < x < 0.0005 else f"{100 * x:.1f} %"


def _nothing_priced(sim: Simulation, title: str) -> RenderableType | None:
    """The baseline when no call in scope could be priced: unknown, not $0 (nothing to save on)."""
    if not sim.calls or sim.unpriced_calls < sim.calls:
        return None
    return Group(
        plain(f" {title} · {words.nothing_priced(sim.unpriced_calls, [])}", style="bold yellow"),
        hang("No call in scope is on a model the price book knows: there is no baseline to save on. "
             "`llmcost analyze` names the models; docs/pricing-format.md shows how to price them.",
             style="dim"))


def _saves(sim: Simulation, amount: Decimal, word: str) -> str:
    """`saves $x / 30 days` in a block (the run rate); without a run rate, the period's figure."""
    m = sim.monthly(amount)
    return f"{word} {usd(m)} / 30 days" if m is not None else f"{word} {usd(amount)} in the period"


def _calls(count: int) -> str:
    return f"{n(count)} call{'' if count == 1 else 's'}"


def _simulation_levers(sim: Simulation) -> RenderableType:
    """The levers in stack order: a table where it fits, else a block each (lever · scope, then
    calls · saving · what it did)."""
    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems

    columns = [Col("  lever (stack order)"), Col("scope", floor=24, most=44), Col("calls", "right"),
               Col(f"saves {_unit(sim)}", "right"), Col("", floor=20, most=40)]
    rows: list[list[str]] = []
    blocks: list[RenderableType] = [plain("  Levers, in stack order:", style="bold")]
    for r in sim.levers:
        scope, extra = _breakable(r.scope), _lever_extra(r)
        rows.append([f"  {LEVER_LABELS[r.lever]}", scope, n(r.calls_affected),
                     _per_month(sim, r.savings_usd), extra])
        blocks.append(WrappedItems([LEVER_LABELS[r.lever], scope], lead="  ", indent=4))
        blocks.append(WrappedItems([_calls(r.calls_affected), _saves(sim, r.savings_usd, "saves"),
                                    extra], lead="     ", indent=5))
    return TableOrBlocks(columns, rows, blocks)


def _recommend_levers(res: RecommendResult) -> RenderableType:
    """The ranked levers: a table where it fits, else a block each: `1  prompt cache · all calls`,
    then indented `239,287 calls · $2,600.25 / 30 days alone · measured · risk none · effort hours`."""
    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems

    sim = res.simulation
    columns = [Col("  #", "right"), Col("lever"), Col("scope", floor=26, most=48), Col("calls", "right"),
               Col(f"alone {_unit(sim)}", "right"), Col("confidence"), Col("risk", floor=16), Col("effort")]
    rows: list[list[str]] = []
    blocks: list[RenderableType] = []
    for rec in res.recommendations:
        r = rec.result
        risk = r.risk if r.lever != "cap_output" else \
            f"{100 * (r.metrics.get('truncated_share') or 0):.1f} % cut"
        monthly = rec.savings_monthly_usd
        alone = usd(monthly) if monthly is not None else usd(r.savings_usd)
        scope = _breakable(r.scope)
        rows.append([f"  {rec.rank}", LEVER_LABELS[r.lever], scope, n(r.calls_affected), alone,
                     r.confidence, risk, r.effort])
        lead = f"  {rec.rank:<3}"
        blocks.append(WrappedItems([LEVER_LABELS[r.lever], scope], lead=lead, indent=len(lead)))
        saving = f"{alone} / 30 days alone" if monthly is not None else \
            _saves(sim, r.savings_usd, "alone:")
        blocks.append(WrappedItems([_calls(r.calls_affected), saving, r.confidence,
                                    f"risk {risk}", f"effort {r.effort}"],
                                   lead=" " * len(lead), indent=len(lead)))
    return TableOrBlocks(columns, rows, blocks)


def _plan_chain(sim: Simulation) -> RenderableType:
    """`$4,625.64 → route $3,645.88 → …`, wrapping before an arrow, under its own indent."""
    from llmcost.render.fit_width import WrappedItems

    steps = [_per_month(sim, sim.baseline_usd)]
    steps += [f"→ {LEVER_LABELS[r.lever]} {_per_month(sim, r.cost_after)}" for r in sim.levers]
    return WrappedItems(steps, lead="    ", indent=6, sep=" ")


def _simulate_line(args: list[str]) -> RenderableType:
    """The simulate command giving the same plan, wrapping between options (an option stays with
    its value), continued under its indent."""
    import shlex

    from llmcost.render.fit_width import WrappedItems

    options: list[str] = ["llmcost simulate"]
    for a in args:
        if a.startswith("--") or len(options) == 1:
            options.append(shlex.quote(a))
        else:
            options[-1] += " " + shlex.quote(a)
    return WrappedItems(options, lead="   same plan, step by step: ", indent=5, sep=" ", style="dim")


def render_simulation(sim: Simulation) -> RenderableType:
    unknown = _nothing_priced(sim, "What if")
    if unknown is not None:
        return unknown
    parts: list[RenderableType] = []
    head = Text()
    head.append(_before_after(sim), style="bold")
    head.append(f"   ({-sim.savings_pct + 0.0:+.1f} %)")
    parts.append(Panel(head, title=plain(f"What if · {_span_why(sim)}"),
                       title_align="left", expand=False))
    strays, notes = _rate_notes(sim)
    parts += strays
    parts.append(_simulation_levers(sim))
    parts.append(plain(""))
    parts.append(plain("  Assumptions:", style="bold"))
    for r in sim.levers:
        for a in r.assumptions:
            parts.append(hang(f"{LEVER_LABELS[r.lever]}: {a}", indent=3, marker="· ", style="dim"))
    for note in notes:
        parts.append(hang(note, marker="⚠ ", style="yellow"))
    return Group(*parts)


def render_recommend(res: RecommendResult) -> RenderableType:
    sim = res.simulation
    unknown = _nothing_priced(sim, "Savings plan")
    if unknown is not None:
        return unknown
    parts: list[RenderableType] = []
    base = (f"{RUN_RATE_LABEL} {_per_month(sim, sim.baseline_usd)}" if _has_rate(sim)
            else f"baseline {usd(sim.baseline_usd)} in the period")
    parts.append(hang(f"Savings plan · {base} ({_span_why(sim)})", indent=1, style="bold"))
    strays, notes = _rate_notes(sim)
    parts += strays
    parts.append(plain(""))
    if not res.recommendations:
        parts.append(plain("  Nothing to recommend: no lever saves money on this traffic.", style="yellow"))
    else:
        parts.append(_recommend_levers(res))
        parts.append(plain(""))
        parts.append(hang("Stacked plan (each step on top of the ones before, no double counting):"))
        parts.append(_plan_chain(sim))
        parts.append(hang(f"{_before_after(sim)}   ({-sim.savings_pct + 0.0:+.1f} %)", indent=2,
                          style="bold green"))
        for why in res.dropped:
            parts.append(hang(f"left out of the plan: {why}", indent=3, marker="· ", style="yellow"))
        if res.simulate_args:
            parts.append(_simulate_line(res.simulate_args))
    parts.append(plain(""))
    parts.append(plain("  Assumptions:", style="bold"))
    seen = set()
    for rec in res.recommendations:
        for a in rec.result.assumptions:
            if a not in seen:
                seen.add(a)
                parts.append(hang(f"{LEVER_LABELS[rec.result.lever]}: {a}", indent=3, marker="· ", style="dim"))
    for rule in res.rules:
        parts.append(hang(rule, indent=3, marker="· ", style="dim"))
    if res.not_evaluated:
        parts.append(plain("  Not evaluated:", style="bold"))
        for s in res.not_evaluated:
            parts.append(hang(s, indent=3, marker="· ", style="dim"))
    for note in notes:
        parts.append(hang(note, marker="⚠ ", style="yellow"))
    parts.append(plain("  Report for finance: llmcost report -o savings.html", style="dim"))
    return Group(*parts)


def render_time_series(ts: TimeSeries, errored: bool = False) -> RenderableType:
    """A table while it fits (a period per row, its split items one per line); a block per period
    on a narrow terminal. Nothing is cut."""
    from rich.console import Group
    from rich.padding import Padding

    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems
    from llmcost.render.time_series_out import HEADS, LABELS, about, cost_text, item_texts

    head = HEADS[ts.period]
    split_head = f"By {LABELS[ts.split]}" if ts.split else ""
    columns = [Col(head), Col("calls", "right"), *([Col("errored", "right")] if errored else []),
               Col("cost", "right"), *([Col(split_head, floor=16, most=48)] if ts.split else [])]
    rows: list[list[str]] = []
    blocks: list[RenderableType] = []
    for p in ts.periods:
        r = p.row
        items = item_texts(ts, p)
        rows.append([ts.label(p), f"{r.calls:,}", *([f"{r.errored_calls:,}" if r.errored_calls else ""]
                                                     if errored else []),
                     cost_text(r), *([items[0] if items else ""] if ts.split else [])])
        # the period's other split items on lines of their own below it
        rows.extend(["", "", *([""] if errored else []), "", i] for i in items[1:])
        figures = [f"{r.calls:,} call{'s' if r.calls != 1 else ''}",
                   f"{r.errored_calls:,} errored" if errored and r.errored_calls else "", cost_text(r)]
        blocks.append(WrappedItems(figures, lead=f"{ts.label(p)}: ", indent=2))
        blocks.extend(WrappedItems([i], lead="    ", indent=6) for i in items)
    title = plain(f"Spend by {ts.period}" + (f" and {LABELS[ts.split]}" if ts.split else ""), style="bold")
    return Group(Padding(Group(title, TableOrBlocks(columns, rows, blocks)), (0, 0, 0, 2), expand=False),
                 WrappedItems([about(ts)], lead="  ", indent=4, style="dim"))


def repricing_lines(a: Analysis) -> list[RenderableType]:
    """Under the headline: the call-time cost and the difference, and each model whose cost differs."""
    r = a.repriced
    if r is None:
        return []
    from rich.table import Table

    from llmcost.render.fit_width import WrappedItems
    from llmcost.render.reprice_out import _difference, _signed, as_of_text

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
