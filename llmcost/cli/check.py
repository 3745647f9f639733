"""`llmcost check [FILES]`: hold the calls to llmcost.yaml's `check:` rules; exit 1 on a breach."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

import typer

from llmcost.cli import app, common
from llmcost.cli.shared_options import shared_options
from llmcost.errors import UsageError

NO_RULES_HINT = ("Add a check: block to llmcost.yaml (docs/config.md), e.g.\n"
                 "check:\n  budgets:\n    - {scope: total, per: day, usd: 100}\n  spikes:\n"
                 "    - {metric: input_tokens_per_call, scope: \"task:*\", above_pct: 50, baseline_days: 7}")


@app.command(short_help="Budgets and spike alerts from llmcost.yaml: exit 1 on a breach.", epilog=common.examples(
    "llmcost check --config budgets.yaml",
    "llmcost check --config budgets.yaml --since yesterday --format json",
    "llmcost check logs/ --db :memory: --config budgets.yaml --format markdown",
))
@shared_options()
def check(o: common.ScopeOptions) -> None:
    """Check the calls (FILES, or the whole store) against the rules of llmcost.yaml's check:
    block: budgets per day or month, spikes over a trailing median, the unpriced and rejected
    shares. Exit 0 when every rule holds, 1 with every breach listed, 2 for a usage or
    configuration error. --since checks only the days from then on (the days before still make
    the baselines and the month's spend)."""
    common.check_format(o.fmt, "check", *common.OutputFormat)
    common.check_table_option(o.table, o.db, "check")
    from llmcost.config import load_config
    from llmcost.report.check import run_check
    from llmcost.scope import parse_bound

    since = o.since  # the days checked: the scope keeps the days before (the baselines, the month)
    if since:  # checked before the store opens; a relative date counts back from the last call later
        parse_bound(since, "--since", False, datetime(2000, 1, 1))
    cfg = load_config(o.config)
    if cfg.check is None or not cfg.check.count():
        where = cfg.path or "./llmcost.yaml (none found)"
        raise UsageError(f"{where}: no check rules to hold the calls to.", NO_RULES_HINT)
    rules = cfg.check
    with common.priced_scope(replace(o, since=None)) as ctx:
        calls, rejected_unknown = "calls", None
        if o.table is not None:  # inside ClickHouse: the table's calls; no record of rejected records there
            from llmcost.store_clickhouse import ClickHouse

            calls = cast(ClickHouse, ctx.store).calls_source or o.table
            rejected_unknown = f"ClickHouse table {o.table}"
        result = run_check(ctx.store, ctx.book, ctx.relation, rules, source_hashes=ctx.scope.source_hashes,
                           since=since, config_name=cfg.path or "llmcost.yaml", calls=calls,
                           rejected_unknown=rejected_unknown)
    from llmcost.render import check_out

    common.emit(o.fmt, table=lambda: check_out.check_table(result), json=lambda: check_out.check_dict(result),
                markdown=lambda: check_out.check_markdown(result))
    if not result.ok:
        raise typer.Exit(1)
