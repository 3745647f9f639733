"""`llmcost breakeven [FILES]`: fine-tuning and self-hosting against the API, per task type."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options


@app.command(short_help="Fine-tuning or self-hosting against the API, per task type.",
             epilog=common.examples(
    "llmcost breakeven",
    "llmcost breakeven --task classify --format json",
    "llmcost breakeven --gpu-hourly 2.5 --gpu-sizing average --horizon-months 12",
))
@shared_options(without=("config", "quiet", "table"))
def breakeven(
    ft_model: Annotated[str | None, typer.Option(
        "--ft-model", metavar="MODEL", help="The model to fine-tune: one with a training price in "
        "pricing/breakeven/breakeven.yaml, where the default and every other default below are, with "
        "their sources.", show_default=False)] = None,
    ft_examples: Annotated[int | None, typer.Option(
        "--ft-examples", metavar="N", help="Training examples per task.", show_default=False)] = None,
    ft_epochs: Annotated[int | None, typer.Option(
        "--ft-epochs", metavar="N", help="Training epochs.", show_default=False)] = None,
    ft_training_tokens: Annotated[int | None, typer.Option(
        "--ft-training-tokens", metavar="N", help="Training tokens in all (tokens in the file × epochs), instead of "
        "examples × the task's tokens per call × epochs.", show_default=False)] = None,
    ft_training_price: Annotated[float | None, typer.Option(
        "--ft-training-price", metavar="USD", help="USD per million training tokens (default: the provider's).",
        show_default=False)] = None,
    gpu_hourly: Annotated[float | None, typer.Option(
        "--gpu-hourly", metavar="USD",
        help="USD per GPU-hour (default: an on-demand H100).", show_default=False)] = None,
    gpu_tokens_per_second: Annotated[float | None, typer.Option(
        "--gpu-tokens-per-second", metavar="N", help="Input + output tokens per second one GPU serves flat out "
        "(default: a vLLM benchmark of an 8B model on one H100).", show_default=False)] = None,
    gpu_utilisation: Annotated[float | None, typer.Option(
        "--gpu-utilisation", "--gpu-utilization", metavar="SHARE",
        help="Share of that throughput a GPU is planned to carry, "
        "a fraction from 0 to 1.", show_default=False)] = None,
    gpus: Annotated[int | None, typer.Option(
        "--gpus", metavar="N", help="A fixed number of GPUs per task, instead of counting them from the traffic.",
        show_default=False)] = None,
    gpu_sizing: Annotated[str | None, typer.Option(
        "--gpu-sizing", metavar="peak|average",
        help="Count GPUs for the busiest hour (peak, default) or the average rate.",
        show_default=False)] = None,
    gpu_overhead: Annotated[float | None, typer.Option(
        "--gpu-overhead", metavar="SHARE", help="Storage, egress and management as a fraction of the GPU rent.",
        show_default=False)] = None,
    ops_monthly: Annotated[float | None, typer.Option(
        "--ops-monthly", metavar="USD",
        help="USD a month of people's time to run the service (not counted by default).",
        show_default=False)] = None,
    selfhost_setup: Annotated[float | None, typer.Option(
        "--selfhost-setup", metavar="USD", help="One-time USD to set up self-hosting (default: article 003's).",
        show_default=False)] = None,
    horizon_months: Annotated[float | None, typer.Option(
        "--horizon-months", metavar="N", help="Months over which one-time costs are spread to judge break-even.",
        show_default=False)] = None,
    *,
    o: common.ScopeOptions,
) -> None:
    """Would fine-tuning a small model, or serving an open model on rented GPUs, cost less than the
    API? Per task type: the monthly cost of each, the payback in days of its one-time cost, the
    volume from which it breaks even, and every figure it rests on (docs/breakeven.md)."""
    common.check_format(o.fmt, "breakeven", *OutputFormat)
    from llmcost.pricing.breakeven_defaults import load_breakeven_defaults
    from llmcost.render import breakeven as render
    from llmcost.simulate.breakeven import BreakevenOptions, check_options
    from llmcost.simulate.breakeven import breakeven as run_breakeven

    options = BreakevenOptions(ft_model, ft_examples, ft_epochs, ft_training_tokens, ft_training_price, gpu_hourly,
                               gpu_tokens_per_second, gpu_utilisation, gpus, gpu_sizing, gpu_overhead, ops_monthly,
                               selfhost_setup, horizon_months)
    defaults = load_breakeven_defaults()
    check_options(defaults, options)  # a bad figure stops before any file is read
    with common.priced_scope(o, needs_config=False) as ctx:
        result = run_breakeven(ctx.store, ctx.book, ctx.relation, defaults, options, ctx.scope.describe())
    common.emit(o.fmt, table=lambda: render.breakeven_table(result),
                json=lambda: render.breakeven_dict(result),
                markdown=lambda: render.breakeven_markdown(result))
