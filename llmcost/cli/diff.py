"""`llmcost diff A B [FILES]`: what changed in the spend between two periods, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options

PeriodA = Annotated[str, typer.Argument(metavar="A", help="The period before: a day (2026-10-05), a month "
                                        "(2026-10), a range (2026-10-01..2026-10-15), or counted back from "
                                        "the last call: 7d-1 (the 7 days before the last 7), yesterday.",
                                        show_default=False)]
PeriodB = Annotated[str, typer.Argument(metavar="B", help="The period after, written the same way: 7d (the "
                                        "last 7 days up to the last call), today, 2026-11.", show_default=False)]


@app.command(short_help="What changed in the spend between two periods, and why.", epilog=common.examples(
    "llmcost diff 2026-10-01 2026-10-02",
    "llmcost diff 4d-1 4d -f markdown   # the last 4 days against the 4 before",
    "llmcost diff 2026-10-01 2026-10-02..2026-10-05 --task classify --format json",
))
@shared_options(without=("since", "until", "config", "table"))
def diff(a: PeriodA, b: PeriodB, o: common.ScopeOptions) -> None:
    """The change in the priced spend from period A to period B (FILES, or the whole store),
    split into drivers that add up exactly to it: volume (calls), mix (tasks, models, service
    tiers), input and output tokens per call, cache hit rate, prices; per task, and by feature
    and by tenant beside it, largest first; and the savings that show in the traffic (a higher
    cache hit rate, calls moved to a cheaper model, more batch), measured. Periods are UTC and
    must not overlap; relative ones count back from the last call in scope, never the clock."""
    common.check_format(o.fmt, "diff", *OutputFormat)
    from llmcost.report.diff import check_period_syntax, run_diff

    check_period_syntax(a, b)
    with common.priced_scope(o, needs_config=False) as ctx:
        result = run_diff(ctx.store, ctx.book, ctx.relation, ctx.scope, a, b)
    from llmcost.render import diff_out

    def table() -> object:
        from llmcost.render.diff_table import diff_table

        return diff_table(result)

    common.emit(o.fmt, table=table, json=lambda: diff_out.diff_dict(result),
                markdown=lambda: diff_out.diff_markdown(result))
