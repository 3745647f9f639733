"""`llmcost reconcile INVOICE [FILES]`: a provider's cost export or invoice lines against the cost
computed from the logs; exit 1 when they do not match."""

from __future__ import annotations

from typing import Annotated

import typer

from llmcost.cli import app, common
from llmcost.cli.common import OutputFormat
from llmcost.cli.shared_options import shared_options

InvoiceArg = Annotated[str, typer.Argument(
    metavar="INVOICE", help="The invoice: OpenAI's cost export (Costs API JSON or the usage page's cost CSV), "
    "Anthropic's cost report JSON, or a CSV with date, provider, amount_usd[, model]. Found by content.",
    show_default=False)]


@app.command(short_help="Invoice or cost export against the logs: what differs and why.", epilog=common.examples(
    "llmcost reconcile invoice.csv",
    "llmcost reconcile invoice.csv calls.csv --db :memory: --format json",
    "llmcost reconcile invoice.csv --provider openai --format markdown",
))
@shared_options(without=("feature", "task", "tenant", "config", "table"))
def reconcile(invoice: InvoiceArg, o: common.ScopeOptions) -> None:
    """Compare INVOICE with the cost computed from the calls (FILES, or the whole store) per day,
    provider and model (where the invoice names models), at call-time prices. The difference
    (invoiced − computed) is split into explained parts, each on evidence (days or models missing
    from the logs, unpriced models, tier differences, priority calls Anthropic's cost report
    leaves out, errored calls billed, calls not on the invoice), and an unexplained rest. It
    matches when |difference| <= max($1.00, √rows × $0.005), rows = the invoice lines compared.
    Invoice lines and calls outside the other's days or providers are left out and listed (an
    invoice has no task, feature or tenant: those filters are not offered). Exit 0 when it
    matches, 1 when it does not (or the invoice cannot be read), 2 for a usage error."""
    common.check_format(o.fmt, "reconcile", *OutputFormat)
    from llmcost.ingest.invoices import read_invoice
    from llmcost.report.reconcile import run_reconcile

    bill = read_invoice(invoice)  # before the store opens: a bad invoice stops here
    with common.priced_scope(o, needs_config=False) as ctx:
        result = run_reconcile(ctx.store, ctx.book, ctx.relation, ctx.scope, bill)
    from llmcost.render import reconcile_out

    def table() -> object:
        from llmcost.render.reconcile_table import reconcile_table

        return reconcile_table(result)

    common.emit(o.fmt, table=table, json=lambda: reconcile_out.reconcile_dict(result),
                markdown=lambda: reconcile_out.reconcile_markdown(result))
    if not result.matches:
        raise typer.Exit(1)
