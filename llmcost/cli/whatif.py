"""`llmcost simulate` and `llmcost recommend`: what the bill would be with levers applied."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from llmcost.cli import app, common, progress
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options

EvalOpt = Annotated[str | None, typer.Option(
    "--eval", metavar="FILE", help="Quality scores (CSV or JSON Lines, per request or per task; docs/config.md); "
    "overrides llmcost.yaml's quality_eval.", show_default=False)]


@app.command(short_help="The bill with levers you choose: route, cache, batch…", epilog=common.examples(
    "llmcost simulate --route classify=haiku",
    "llmcost simulate --cache auto --cap-output 500",
    "llmcost simulate --dedupe 1h --batch auto --format json",
    "llmcost simulate logs/ --trim-prompt summarize=0.3 --route mini",
))
@shared_options(every_column=True)
def simulate(
    route: Annotated[list[str] | None, typer.Option(
        "--route", metavar="[SCOPE=]TARGET", help="Move calls to a model id or family word (haiku, mini, "
        "flash…). Without a scope, only calls that would cost less move. Repeatable.", show_default=False)] = None,
    trim_prompt: Annotated[list[str] | None, typer.Option(
        "--trim-prompt", metavar="[SCOPE=]FRACTION", help="Shrink the static prompt prefix by this fraction "
        "(an assumption), e.g. 0.3 or summarize=0.3. Repeatable.", show_default=False)] = None,
    dedupe: Annotated[str | None, typer.Option(
        "--dedupe", metavar="WINDOW", help="Answer exact repeats (prompt_hash) from a response cache kept this "
        "long, e.g. 1h.", show_default=False)] = None,
    cache: Annotated[str, typer.Option("--cache", metavar="auto|if-cheaper|off",
                                       help="auto: replay prompt caching with each provider's "
                                       "rules on every eligible prefix; if-cheaper: only the prefixes where "
                                       "caching costs less (as recommend does); off.")] = "off",
    cache_ttl: Annotated[str, typer.Option("--cache-ttl", metavar="5m|1h|auto",
                                           help="5m, 1h, or auto (the cheaper per prefix).")] = "5m",
    cacheable_tokens: Annotated[str | None, typer.Option(
        "--cacheable-tokens", metavar="N|estimate", help="Prefix size to assume for calls with no prefix id "
        "(keyed by task type): N tokens, or estimate (half of each task's smallest prompt, as recommend does).",
        show_default=False)] = None,
    cap_output: Annotated[list[str] | None, typer.Option(
        "--cap-output", metavar="[SCOPE=]N", help="Cap output tokens at N (repeatable).", show_default=False)] = None,
    batch: Annotated[str | None, typer.Option(
        "--batch", metavar="auto|SCOPE", help="auto (llmcost.yaml batchable tasks and scheduled bursts) or a SCOPE.",
        show_default=False)] = None,
    cascade: Annotated[list[str] | None, typer.Option(
        "--cascade", metavar="[SCOPE=]CHEAP", help="Try each call on the CHEAP model first, escalate to its own "
        "model when the answer fails (eval file, else --escalate-rate). Repeatable.", show_default=False)] = None,
    pass_score: Annotated[float, typer.Option(
        "--pass-score", metavar="SCORE",
        help="Cascade: a cheap answer passes when its eval score is at least this.")] = 0.5,
    escalate_rate: Annotated[float | None, typer.Option(
        "--escalate-rate", metavar="SHARE", help="Cascade: the share of calls that escalate where the eval file "
        "says nothing (an assumption).", show_default=False)] = None,
    eval_file: EvalOpt = None,
    history_window: Annotated[list[str] | None, typer.Option(
        "--history-window", metavar="[SCOPE=]N", help="Keep at most N tokens of earlier turns per conversation "
        "(conversation_id), replayed from how input grows turn by turn. Repeatable.",
        show_default=False)] = None,
    summarize: Annotated[bool, typer.Option(
        "--summarize", help="With --history-window: replace the dropped turns by a running summary and "
        "count the summary calls.")] = False,
    summary_tokens: Annotated[int | None, typer.Option(
        "--summary-tokens", metavar="N", help="Summary length with --summarize (default 200).",
        show_default=False)] = None,
    summary_model: Annotated[str | None, typer.Option(
        "--summary-model", metavar="MODEL", help="Model of the summary calls with --summarize (default: the "
        "call's own).", show_default=False)] = None,
    cap_input: Annotated[list[str] | None, typer.Option(
        "--cap-input", metavar="[SCOPE=]N", help="Cap input beyond the static prefix (prefix_tokens) at N tokens, "
        "e.g. RAG top-k instead of stuffing (assumed quality). Repeatable.", show_default=False)] = None,
    similar_cache: Annotated[float | None, typer.Option(
        "--similar-cache", metavar="THRESHOLD", help="Answer a request from an earlier one worded alike, from "
        "this Jaccard similarity (0.5–1, e.g. 0.9) of word pairs of the last user message; needs prompt text in "
        "the log. A lower bound of semantic caching; false hits possible.", show_default=False)] = None,
    similar_window: Annotated[str | None, typer.Option(
        "--similar-window", metavar="WINDOW", help="How long a --similar-cache answer is kept (e.g. 30m, 24h). "
        "[default: 1h]", show_default=False)] = None,
    deflect: Annotated[list[str] | None, typer.Option(
        "--deflect", metavar="[SCOPE=]SHARE", help="An assumed share of calls answered without an LLM call "
        "(FAQ filter, rules), e.g. 0.35. Repeatable.", show_default=False)] = None,
    *,
    o: common.ScopeOptions,
) -> None:
    """What would the bill be if… Levers stack in a fixed order: route → cascade → trim prompt → history
    window → cap input → dedupe → similar cache → deflect → cache → cap output → batch; the stacked
    scenario is priced like the baseline."""
    common.check_format(o.fmt, "simulate", *OutputFormat)
    common.check_table_option(o.table, o.db, "simulate")
    from llmcost.render import json_out, terminal
    from llmcost.simulate.lever_checks import check_lever_options
    from llmcost.simulate.options import LeverOptions, simulate_options

    levers = LeverOptions(route=route or [], trim_prompt=trim_prompt or [], dedupe=dedupe, cache=cache,
                          cache_ttl=cache_ttl, cacheable_tokens=cacheable_tokens,
                          cap_output=cap_output or [], batch=batch, history_window=history_window or [],
                          summarize=summarize, summary_tokens=summary_tokens, summary_model=summary_model,
                          cap_input=cap_input or [], cascade=cascade or [],
                          pass_score=pass_score, escalate_rate=escalate_rate, eval_file=eval_file,
                          similar_cache=similar_cache, similar_window=similar_window, deflect=deflect or [])
    check_lever_options(levers)  # before the price book is even read; the models in it below
    with progress.steps(o.fmt is OutputFormat.table) as on_step, common.priced_scope(
            o, levers=levers, on_step=on_step, before_store=lambda book: check_lever_options(levers, book)) as ctx:
        result = simulate_options(ctx.store, ctx.book, ctx.relation, ctx.config, ctx.levers or levers,
                                  on_step=on_step)
    common.emit(o.fmt, table=lambda: terminal.render_simulation(result),
                json=lambda: json_out.simulation_dict(result),
                markdown=lambda: _whatif_markdown().simulation_page(result))


@app.command(short_help="Savings levers ranked from your traffic, then the plan.", epilog=common.examples(
    "llmcost recommend",
    "llmcost recommend logs/ --config team.yaml",
    "llmcost recommend --task classify --format json",
))
@shared_options(every_column=True)
def recommend(eval_file: EvalOpt = None, *, o: common.ScopeOptions) -> None:
    """Every lever with parameters derived from your traffic, ranked by what it saves alone, then the
    stacked plan (no double counting)."""
    common.check_format(o.fmt, "recommend", *OutputFormat)
    common.check_table_option(o.table, o.db, "recommend")
    from llmcost.render import json_out, terminal
    from llmcost.simulate.recommend import recommend as run_recommend

    with progress.steps(o.fmt is OutputFormat.table) as on_step, common.priced_scope(o, on_step=on_step) as ctx:
        if eval_file:
            ctx.config.quality_eval, ctx.config.quality_eval_origin = eval_file, "--eval"
        result = run_recommend(ctx.store, ctx.book, ctx.relation, ctx.config, on_step=on_step)
    common.emit(o.fmt, table=lambda: terminal.render_recommend(result),
                json=lambda: json_out.recommend_dict(result),
                markdown=lambda: _whatif_markdown().recommend_page(result))


def _whatif_markdown() -> Any:
    """The Markdown renderer, imported only when chosen."""
    from llmcost.render import whatif_markdown

    return whatif_markdown
