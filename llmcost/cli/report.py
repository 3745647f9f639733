"""`llmcost report [FILES] -o report.html`: the report for finance, in the format its name says."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmcost.cli import app, common, progress
from llmcost.cli.shared_options import shared_options
from llmcost.errors import LlmcostError, UsageError

if TYPE_CHECKING:
    from llmcost.report.model import Report

KINDS = {"html": "HTML report", "markdown": "Markdown report", "json": "JSON report", "csv": "CSV of spend",
         "focus": "FOCUS 1.2 CSV"}


def output_kind(output: str, focus: bool) -> str:
    """What to write, from the output's name: .html/.htm, .md, .json, .csv, .focus.csv (or --focus)."""
    name = Path(output).name.lower()
    if name.endswith(".focus.csv") or (focus and name.endswith(".csv")):
        return "focus"
    if focus:
        raise UsageError(f"--focus writes a CSV file, not {Path(output).name}.",
                         "Name the output spend.focus.csv (or spend.csv with --focus).")
    for suffixes, kind in (((".html", ".htm"), "html"), ((".md", ".markdown"), "markdown"),
                           ((".json",), "json"), ((".csv",), "csv")):
        if name.endswith(suffixes):
            return kind
    if name.endswith(".pdf"):
        html_name = str(Path(output).with_suffix(".html"))
        raise UsageError(
            f"-o {output}: llmcost writes no PDF itself; the HTML report prints to one, with the "
            "headline and the plan on page 1.",
            f"Write llmcost report -o {html_name}, open it in a browser and print it to PDF (Ctrl+P / Cmd+P), "
            f"or without a window: chromium --headless --print-to-pdf={output} {html_name}")
    raise UsageError(f"-o {output}: the name says no format llmcost writes.",
                     "End it in .html, .md, .json, .csv or .focus.csv (FOCUS 1.2).")


def reproduce_line(files: list[str] | None, output: str, **options: object) -> str:
    """The command line that makes this report again (options in a fixed order)."""
    args = ["llmcost", "report", *(files or []), "-o", output]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, list):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    from llmcost.report.paths import shared_path

    return shlex.join(shared_path(a) for a in args)  # no absolute path in a shared report


def render(report: Report, kind: str) -> str:
    if kind == "html":
        from llmcost.render.html import render_html

        return render_html(report)
    if kind == "markdown":
        from llmcost.render.markdown import report_markdown

        return report_markdown(report)
    if kind == "json":
        from llmcost.render.json_out import dumps, report_dict

        return dumps(report_dict(report)) + "\n"
    if kind == "focus":
        from llmcost.render.focus import focus_csv

        return focus_csv(report)
    from llmcost.render.csv_out import report_csv

    return report_csv(report)


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written report."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise LlmcostError(f"-o {path}: the folder {directory} does not exist.", "Create it, or write elsewhere.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _size(nbytes: int) -> str:
    if nbytes >= 1_000_000:
        return f"{nbytes / 1_000_000:.1f} MB"
    return f"{nbytes / 1000:.0f} kB" if nbytes >= 1000 else f"{nbytes} bytes"


def summary_line(report: Report, output: str, kind: str, nbytes: int) -> str:
    from llmcost.render import words
    from llmcost.render.html import pct, usd

    a = report.analysis
    t = a.totals
    if report.nothing_priced:
        return (f"Wrote {output} ({KINDS[kind]}, {_size(nbytes)}): "
                f"{words.nothing_priced(t.unpriced_calls, a.unpriced_models)}" + _left_alone(report))
    line = f"Wrote {output} ({KINDS[kind]}, {_size(nbytes)}): {usd(report.spend_usd)} in period"
    monthly = report.savings_monthly_usd
    if report.recommend.recommendations:
        saving = f"{usd(monthly)} / 30 days" if monthly is not None else f"{usd(report.savings_usd)} in period"
        line += f" · {saving} savings available (−{pct(report.savings_pct)})"
    if t.errored_calls:
        line += f" · {words.calls_phrase(t.calls, t.errored_calls)}"
    if t.unpriced_calls:
        line += f" · {words.unpriced_beside(t.unpriced_calls, a.unpriced_models)}"
    return line + _left_alone(report)


def _left_alone(report: Report) -> str:
    k = len(report.files_left_alone)
    return f" · {k:,} file{'s' if k != 1 else ''} left alone (listed in the report)" if k else ""


@app.command(short_help="Write the report for finance: HTML, Markdown, JSON or CSV.", epilog=common.examples(
    "llmcost report",
    "llmcost report logs/ -o report.html --title 'October spend'",
    "llmcost report -o report.md --currency EUR --rate 0.92",
    "llmcost report -o spend.focus.csv --since 2026-10-01",
))
@shared_options(without=("fmt",), every_column=True)
def report(
    output: Annotated[str, typer.Option(
        "--output", "-o", metavar="FILE",
        help="The file to write; its name picks the format: .html (for finance: charts, "
        "one self-contained file), .md, .json, .csv (spend by day × model × token class), .focus.csv "
        "(FOCUS 1.2).", show_default=False)] = "report.html",
    title: Annotated[str | None, typer.Option("--title", metavar="TEXT",
                                              help="The report's title.", show_default=False)] = None,
    focus: Annotated[bool, typer.Option("--focus", help="Write the .csv as a FOCUS 1.2 dataset.")] = False,
    currency: Annotated[str | None, typer.Option(
        "--currency", metavar="CODE",
        help="A second currency shown beside USD (USD stays the base), e.g. EUR; needs --rate.",
        show_default=False)] = None,
    rate: Annotated[str | None, typer.Option(
        "--rate", metavar="RATE", help="Units of --currency per US dollar, e.g. 0.92.", show_default=False)] = None,
    *,
    o: common.ScopeOptions,
) -> None:
    """The report for finance: spend, run rate, the savings plan with its assumptions, data quality and
    how every figure was made. Writes -o FILE (HTML by default) and prints one line."""
    from llmcost.report.model import build_report, default_title, make_currency

    common.check_table_option(o.table, o.db, "report on")
    kind = output_kind(output, focus)
    make_currency(currency, rate)  # check before any loading
    line = reproduce_line(
        o.files, output, title=title, focus=focus, currency=currency, rate=rate, since=o.since, until=o.until,
        model=o.model, provider=o.provider, feature=o.feature, task=o.task, tenant=o.tenant, source=o.source,
        map=o.mapping, start=o.start, input_excludes_cache=o.excludes is True,
        input_includes_cache=o.excludes is False, pricing=o.pricing, config=o.config, db=o.db, table=o.table)
    title = title or default_title(o.files)
    with progress.steps() as on_step:
        with common.priced_scope(o, on_step=on_step) as ctx:
            result = build_report(ctx.store, ctx.book, ctx.relation, ctx.config, ctx.ingest, title, line,
                                  currency=currency, rate=rate, scope=ctx.scope, on_step=on_step)
        if on_step:
            on_step(f"writing {KINDS[kind]}…")
        text = render(result, kind)
        path = Path(output).expanduser()
        write_atomically(path, text)
    common.print_text(summary_line(result, output, kind, len(text.encode("utf-8"))))
