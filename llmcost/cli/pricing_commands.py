"""`llmcost pricing list | show MODEL | diff | check | import-litellm FILE`: read, compare and
extend the price book (docs/pricing-format.md, "Commands")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError

pricing_app = typer.Typer(
    name="pricing",
    help="The price book: list the models, show one, diff two dates, check it (optionally against "
    "LiteLLM), import LiteLLM's table as an overlay.",
    short_help="The price book: list, show, diff, check, import LiteLLM's.",
    epilog=common.examples("llmcost pricing list --provider openai", "llmcost pricing show gpt-4o-mini"),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(pricing_app, name="pricing")


def _when(value: str | None, option: str) -> datetime:
    from llmcost.scope import parse_time

    if value is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return parse_time(value, option)


def _markdown() -> Any:
    """The Markdown renderings (render.markdown_tables), imported only when asked for."""
    from llmcost.render import markdown_tables

    return markdown_tables


def _providers(values: list[str] | None) -> list[str]:
    from llmcost.scope import split_values

    return [p.lower() for p in split_values(values)]


@pricing_app.command("list", short_help="Every model with its prices in force now ($/MTok).",
                     epilog=common.examples(
    "llmcost pricing list --provider anthropic",
    "llmcost pricing list --at 2025-06-01 --format json",
))
@shared_options(only=("provider", "pricing", "fmt", "debug"), after={"provider": ("at",)})
def list_models(
    o: common.ScopeOptions,
    at: Annotated[str | None, typer.Option("--at", "--as-of", metavar="DATE",
                                           help="Prices in force at this date/time (UTC); default now. "
                                           "--as-of is the same option (as in analyze --as-of).",
                                           show_default=False)] = None,
) -> None:
    """Every model with its prices in force now: input, output, cache read and writes ($/MTok)."""
    from llmcost.pricing.book import load_book
    from llmcost.pricing.check import model_rows
    from llmcost.render import pricing_out

    when = _when(at, "--at")
    rows = model_rows(load_book(o.pricing), when, _providers(o.provider))
    common.emit(o.fmt, table=lambda: pricing_out.render_list(rows, when),
                json=lambda: pricing_out.list_doc(rows, when),
                markdown=lambda: _markdown().pricing_list_markdown(rows, when))


@pricing_app.command("show", short_help="Every price period of one model, with sources.",
                     epilog=common.examples(
    "llmcost pricing show claude-sonnet-4-5",
    "llmcost pricing show openai/gpt-4o --format json",
    "llmcost pricing show o3 --as-of 2025-07-01",
))
@shared_options(only=("pricing", "fmt", "debug"), after={"fmt": ("at",)})
def show_model(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A model id or any alias (claude-sonnet-4-5@20250929, "
                                         "openai/gpt-4o, a Bedrock id …).")],
    o: common.ScopeOptions,
    at: Annotated[str | None, typer.Option("--at", "--as-of", metavar="DATE",
                                           help="Also say which period is in force at this date/time (UTC).",
                                           show_default=False)] = None,
) -> None:
    """Every price period of a model: all components, long context, tiers, off-peak, sources."""
    from llmcost.pricing.book import load_book
    from llmcost.pricing.check import find_model
    from llmcost.render import pricing_out

    when = _when(at, "--at") if at is not None else None
    view = find_model(load_book(o.pricing), model)
    if when is None:
        common.emit(o.fmt, table=lambda: pricing_out.render_show(view), json=lambda: pricing_out.show_doc(view),
                    markdown=lambda: _markdown().pricing_show_markdown(view))
        return
    from rich.console import Group

    from llmcost.render.rich_safe import plain

    line = pricing_out.in_force_line(view, when)
    common.emit(o.fmt, table=lambda: Group(pricing_out.render_show(view), plain(f" {line}", style="bold")),
                json=lambda: pricing_out.show_doc(view) | pricing_out.in_force_keys(view, when),
                markdown=lambda: _markdown().pricing_show_markdown(view) + f"\n{line}\n")


@pricing_app.command("diff", short_help="Models whose prices differ between two dates.",
                     epilog=common.examples(
    "llmcost pricing diff --from 2025-06-01 --to 2026-01-01",
    "llmcost pricing diff --from 2025-01-01 --to 2026-01-01 --provider openai",
))
@shared_options(only=("provider", "pricing", "fmt", "debug"))
def diff_prices(
    date_from: Annotated[str, typer.Option("--from", metavar="DATE", help="First date (UTC), e.g. 2025-06-01.")],
    date_to: Annotated[str, typer.Option("--to", metavar="DATE", help="Second date (UTC), e.g. 2025-07-01.")],
    o: common.ScopeOptions,
) -> None:
    """Models whose prices in force differ between two dates, including models added and withdrawn."""
    from llmcost.pricing.book import load_book
    from llmcost.pricing.check import diff_book
    from llmcost.render import pricing_out

    start, end = _when(date_from, "--from"), _when(date_to, "--to")
    changes = diff_book(load_book(o.pricing), start, end, _providers(o.provider))
    common.emit(o.fmt, table=lambda: pricing_out.render_diff(changes, start, end),
                json=lambda: pricing_out.diff_doc(changes, start, end))


@pricing_app.command("check", short_help="Lint the price book, optionally against LiteLLM's.",
                     epilog=common.examples(
    "llmcost pricing check",
    "llmcost pricing check --against model_prices_and_context_window.json",
))
@shared_options(only=("pricing", "fmt", "debug"))
def check_prices(
    against: Annotated[str | None, typer.Option(
        "--against", metavar="FILE", help="Also compare with LiteLLM's model_prices_and_context_window.json "
        "(differences over 0.5 % are listed as warnings).", show_default=False)] = None,
    at: Annotated[str | None, typer.Option(
        "--at", metavar="DATE", help="Compare the prices in force at this date (default: the LiteLLM file's "
        "last_updated date).", show_default=False)] = None,
    book: Annotated[str | None, typer.Option(
        "--book", metavar="FOLDER", help="Check this price-book folder (a working copy of pricing/) instead of the "
        "shipped one.", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    *,
    o: common.ScopeOptions,
) -> None:
    """Lint the price book (and overlays): period order and overlaps, sources, aliases, cache and
    long-context rules. Exit code 1 when there is an error (or, with --strict, a warning)."""
    from llmcost.pricing.check import run_check
    from llmcost.render import pricing_out

    directory = None
    if book is not None:
        directory = Path(book).expanduser()
        if not directory.is_dir():
            raise UsageError(f"--book {book}: not a folder.", "Give the folder holding the <provider>.yaml files.")
    report = run_check(o.pricing, directory, against, _when(at, "--at") if at else None)
    common.emit(o.fmt, table=lambda: pricing_out.render_check(report, strict),
                json=lambda: pricing_out.check_doc(report, strict),
                markdown=lambda: _markdown().pricing_check_markdown(report, strict))
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)


@pricing_app.command("import-litellm", short_help="Turn LiteLLM's price table into a --pricing overlay.",
                     epilog=common.examples(
    "llmcost pricing import-litellm model_prices_and_context_window.json \\",
    "    --effective-from 2026-07-24 -o litellm.yaml",
    "llmcost analyze --pricing litellm.yaml",
))
@shared_options(only=("provider", "fmt", "debug"), after={"provider": ("checked",)})
def import_litellm_cmd(
    file: Annotated[str, typer.Argument(metavar="FILE", help="LiteLLM's model_prices_and_context_window.json.")],
    effective_from: Annotated[str, typer.Option("--effective-from", metavar="DATE", help="Date the imported prices "
                                                "apply from (UTC), e.g. 2026-07-24.")],
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="FILE", help="Write the overlay here "
                                               "(default: print the YAML).", show_default=False)] = None,
    *,
    o: common.ScopeOptions,
    checked: Annotated[str | None, typer.Option(
        "--checked", metavar="DATE", help="The `checked` date to record (default: the file's last_updated date).",
        show_default=False)] = None,
) -> None:
    """Turn LiteLLM's price table into a price overlay (YAML) for --pricing: book models become
    `overrides:` from --effective-from, the rest new models."""
    import tempfile

    if o.fmt is OutputFormat.markdown:
        raise UsageError("pricing import-litellm has no Markdown output.", "Use --format table or json.")

    from llmcost.pricing.book import load_book
    from llmcost.pricing.litellm import import_litellm, overlay_yaml, write_overlay
    from llmcost.render import pricing_out

    start = _when(effective_from, "--effective-from")
    when: date | datetime = start.date() if start.time() == datetime.min.time() else start
    if checked is not None:
        checked = _when(checked, "--checked").date().isoformat()
    book = load_book()
    doc = import_litellm(file, when, _providers(o.provider) or None, book=book, checked=checked)
    text = overlay_yaml(doc)
    if output:
        path = write_overlay(doc, output)
        loaded = len(load_book([str(path)]).models)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "overlay.yaml"
            probe.write_text(text, encoding="utf-8")
            loaded = len(load_book([str(probe)]).models)
    info = doc["imported_from"]
    if o.fmt is OutputFormat.json:
        common.emit(o.fmt, table=lambda: None, json=lambda: pricing_out.import_doc(
            info, output, loaded, None if output else doc))
        return
    if not output:
        common.print_text(text)
        common.console(stderr=True).print(pricing_out.render_import(info, None, loaded))
        return
    common.show(pricing_out.render_import(info, output, loaded))
