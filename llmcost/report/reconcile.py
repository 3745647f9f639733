"""`llmcost reconcile INVOICE`: a provider's cost export or invoice lines against the cost
computed from the logs, per day × provider × model (issue 16, item 6).

One DuckDB aggregate brings back the priced calls per day, provider, model and service tier
(calls, unpriced calls, call-time cost, calls the logs mark not billed and what they would have
cost billed); `compare` is pure given those rows and the invoice lines.

- A row is a day × provider × model: the model where the invoice names models for that provider
  (a line item such as `gpt-4o-2024-08-06, input` is read as its model by the price book's names
  and aliases), else day × provider. `difference_usd` = invoiced − computed, per row and in
  total.
- The difference is split into explained parts, each only on evidence, and the unexplained rest,
  so that explained + unexplained = difference exactly (Decimal arithmetic):
  * `days_missing_from_logs`: invoice lines on a day with no call of that provider in the logs
    (the whole line is explained: nothing was computed for it);
  * `models_missing_from_logs`: invoice lines for a model with no call that day, on a day with
    other calls of the provider;
  * `unpriced_models`: the invoice's amount on rows whose every call is on a model the price book
    cannot price (computed $0 there, never a guess);
  * `tier_differences`: invoice lines charged at batch, flex or priority where the logs' calls of
    the row are all at another tier: the line's amount at the tier's price ratio m to standard
    (the model's own tier prices that day, else the provider's tier multiplier) stands for
    amount / m at the logs' price, so the tier accounts for amount − amount / m (estimated; a
    tier the book has no ratio for is not estimated, and the row says so);
  * `billed_errors`: calls the logs mark not billed (errors, priced $0) on a row the invoice
    charges more than computed, by more than its rounding (half a cent a line): up to what they
    would cost billed, at most the row's remaining positive gap;
  * `priority_not_in_report`: calls at the priority tier against Anthropic's cost report, which
    Anthropic documents as leaving Priority Tier costs out: their computed cost, negative;
  * `not_on_invoice`: calls on rows the invoice has no line for (inside its span and providers);
  * the rest is `unexplained_usd`, never forced to zero.
- It "matches" when |difference| ≤ max($1.00, √rows × $0.005), rows = the invoice lines compared
  (FOCUS's tolerance for a currency with a cent subunit).
- Invoice lines of providers with no call in the logs, or on days outside the logs' span, and the
  calls outside the invoice's span or providers, are left out of the comparison and said so.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.errors import InputFileError, LlmcostError
from llmcost.ingest.invoices import FORMATS_HINT, Invoice, InvoiceLine

if TYPE_CHECKING:
    from llmcost.pricing.book import PriceBook
    from llmcost.scope import Scope
    from llmcost.store import Store

REASONS = ("days_missing_from_logs", "models_missing_from_logs", "unpriced_models", "tier_differences",
           "priority_not_in_report", "billed_errors", "not_on_invoice")
TOLERANCE_FLOOR = Decimal("1.00")
TOLERANCE_PER_ROOT_ROW = Decimal("0.005")
_EXACT = decimal.Context(prec=80)  # sums of DECIMAL(38,21) costs without rounding


@dataclass(frozen=True)
class CallGroup:
    """The calls of one day × provider × model × service tier."""

    day: date
    provider: str | None
    model: str  # price-book id where resolved, else the logged name
    tier: str
    calls: int
    unpriced: int
    cost: Decimal  # the priced calls' call-time cost
    unbilled: int  # calls the logs mark not billed
    unbilled_cost: Decimal  # what those would cost billed (priced ones)
    other: Decimal = Decimal(0)  # of `cost`, the non-token charges (web search)


@dataclass
class Part:
    reason: str
    usd: Decimal


@dataclass
class Row:
    day: date
    provider: str
    model: str | None  # None: the day × provider row, or the lines naming no model (`itemised`)
    itemised: bool = False  # the invoice names models for this provider
    invoiced: Decimal = Decimal(0)
    computed: Decimal = Decimal(0)
    lines: int = 0
    calls: int = 0
    unpriced: int = 0
    unbilled: int = 0
    unbilled_cost: Decimal = Decimal(0)
    invoice_tiers: dict[str, Decimal] = field(default_factory=dict)  # tier -> amount on the invoice
    call_tiers: set[str] = field(default_factory=set)
    excluded: Decimal = Decimal(0)  # computed cost of calls the export leaves out (Anthropic's priority)
    excluded_calls: int = 0
    descriptions: list[str] = field(default_factory=list)
    explained: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return _EXACT.subtract(self.invoiced, self.computed)

    @property
    def unexplained(self) -> Decimal:
        return _EXACT.subtract(self.difference, _sum(p.usd for p in self.explained))


@dataclass
class Explanation:
    """One reason over all rows: its amount, the models and days it names, and how it was found."""

    reason: str
    usd: Decimal
    models: list[str]
    days: list[date]
    rows: int
    detail: str


@dataclass
class LeftOut:
    what: str  # "invoice" or "logs"
    reason: str
    usd: Decimal
    count: int  # invoice lines, or calls


@dataclass
class Reconciliation:
    invoice_path: str
    invoice_format: str
    first_day: date | None  # the days compared
    last_day: date | None
    rows: list[Row]
    explained: list[Explanation]
    lines_compared: int
    left_out: list[LeftOut] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def invoiced(self) -> Decimal:
        return _sum(r.invoiced for r in self.rows)

    @property
    def computed(self) -> Decimal:
        return _sum(r.computed for r in self.rows)

    @property
    def difference(self) -> Decimal:
        return _EXACT.subtract(self.invoiced, self.computed)

    @property
    def unexplained(self) -> Decimal:
        return _sum(r.unexplained for r in self.rows)

    @property
    def tolerance_by_rows(self) -> Decimal:
        return Decimal(self.lines_compared).sqrt() * TOLERANCE_PER_ROOT_ROW

    @property
    def tolerance(self) -> Decimal:
        return max(TOLERANCE_FLOOR, self.tolerance_by_rows)

    @property
    def matches(self) -> bool:
        return abs(self.difference) <= self.tolerance


def _sum(values: object) -> Decimal:
    total = Decimal(0)
    for v in values:  # type: ignore[attr-defined]
        total = _EXACT.add(total, v)
    return total


def call_groups(store: Store, book: PriceBook, relation: str, scope: Scope) -> list[CallGroup]:
    """The priced calls of `relation` per day × provider × model × tier, with what the calls the
    logs mark not billed would cost billed (priced once more with `billed` true, the same join)."""
    from llmcost.pricing.engine import prepare_pricing, priced_sql

    rows = store.query(f"""
        SELECT CAST(ts AS DATE), lower(provider), coalesce(model_id, model, '(no model)'),
               coalesce(lower(service_tier), 'standard'), count(*),
               count(*) FILTER (WHERE cost_input IS NULL), coalesce(sum(cost_usd), 0),
               count(*) FILTER (WHERE billed IS NOT NULL AND NOT billed), coalesce(sum(cost_other), 0)
        FROM {relation} WHERE ts IS NOT NULL GROUP BY ALL""")
    unbilled: dict[tuple[object, ...], Decimal] = {}
    if any(r[7] for r in rows):
        prepare_pricing(store.con, book, "calls")
        flipped = "(SELECT * REPLACE (true AS billed) FROM calls WHERE billed IS NOT NULL AND NOT billed)"
        for d, p, m, t, cost in store.query(f"""
                SELECT CAST(ts AS DATE), lower(provider), coalesce(model_id, model, '(no model)'),
                       coalesce(lower(service_tier), 'standard'), coalesce(sum(cost_usd), 0)
                FROM ({priced_sql(flipped)}) WHERE ts IS NOT NULL AND {scope.where_literal()}
                GROUP BY ALL"""):
            unbilled[(d, p, m, t)] = Decimal(cost)
    return [CallGroup(d, p, m, t, int(n), int(u), Decimal(c), int(e), unbilled.get((d, p, m, t), Decimal(0)),
                      Decimal(o)) for d, p, m, t, n, u, c, e, o in rows]


def _model_key(book: PriceBook, name: str | None) -> str | None:
    if name is None:
        return None
    found = book.resolve(name)
    return found[0] if found else name


def _days_text(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days[:8]) + (f" and {len(days) - 8} more" if len(days) > 8 else "")


def compare(invoice: Invoice, groups: list[CallGroup], book: PriceBook, providers: tuple[str, ...] = (),
            models: tuple[str, ...] = ()) -> Reconciliation:
    """The reconciliation of the invoice lines against the call groups (pure). `providers` and
    `models` are the command's filters: invoice lines outside them are left out, said so."""
    if not invoice.lines:
        raise InputFileError(f"{invoice.path}: the invoice holds no line to compare.", FORMATS_HINT)
    left_out: list[LeftOut] = []
    notes = list(invoice.notes)

    def leave(what: str, reason: str, usd: Decimal, count: int) -> None:
        for lo in left_out:
            if lo.what == what and lo.reason == reason:
                lo.usd, lo.count = _EXACT.add(lo.usd, usd), lo.count + count
                return
        left_out.append(LeftOut(what, reason, usd, count))

    model_provider = {m.id: m.provider for m in book.models.values()}
    # an invoice line's model by the price book's names; its provider as written
    lines: list[tuple[InvoiceLine, str | None, str | None]] = []
    for ln in invoice.lines:
        key = _model_key(book, ln.model)
        provider = (ln.provider or (model_provider.get(key or "") if key else None) or "").lower() or None
        lines.append((ln, provider, key))
    wanted_models = {(_model_key(book, m) or m).lower() for m in models}
    wanted_providers = {p.lower() for p in providers}
    # a call whose provider the log leaves out: the price book's, else an invoice line's for its model
    line_provider_of_model = {k.lower(): p for _, p, k in lines if k and p}
    calls: list[CallGroup] = []
    for g in groups:
        provider = g.provider or model_provider.get(g.model) or line_provider_of_model.get(g.model.lower())
        if provider is None:
            leave("logs", "calls whose provider neither the log nor the price book names", g.cost, g.calls)
            continue
        calls.append(CallGroup(g.day, provider, g.model, g.tier, g.calls, g.unpriced, g.cost, g.unbilled,
                               g.unbilled_cost, g.other))
    if not calls:
        raise InputFileError("No call in scope has a time and a provider to compare with the invoice.",
                             "Check the filters, or load the logs of the invoice's days.")
    kept = []
    for ln, provider, key in lines:
        if provider is None:
            leave("invoice", "lines naming no provider", ln.amount, 1)
        elif wanted_providers and provider not in wanted_providers:
            leave("invoice", f"lines of other providers than --provider ({provider})", ln.amount, 1)
        elif wanted_models and (key is None or key.lower() not in wanted_models):
            leave("invoice", "lines of other models than --model", ln.amount, 1)
        else:
            kept.append((ln, provider, key))
    log_providers = {c.provider for c in calls}
    first, last = min(c.day for c in calls), max(c.day for c in calls)
    inv_days = [ln.day for ln, _, _ in kept]
    if inv_days:
        first, last = max(first, min(inv_days)), min(last, max(inv_days))
    compared = []
    for ln, provider, key in kept:
        if provider not in log_providers:
            leave("invoice", f"lines of {provider}, a provider with no call in the logs", ln.amount, 1)
        elif not first <= ln.day <= last:
            leave("invoice", "lines on days outside the span compared (the logs' and the invoice's days)",
                  ln.amount, 1)
        else:
            compared.append((ln, provider, key))
    if not compared:
        inv_span = (f"{min(ln.day for ln, _, _ in lines)} to {max(ln.day for ln, _, _ in lines)} for "
                    f"{', '.join(sorted({p or '(no provider)' for _, p, _ in lines}))}")
        log_span = (f"{min(c.day for c in calls)} to {max(c.day for c in calls)} for "
                    f"{', '.join(sorted({c.provider or '' for c in calls}))}")
        raise LlmcostError(f"No invoice line to compare: its lines run {inv_span}, the calls in scope "
                           f"{log_span}.", "Load the logs of the invoice's days (FILES), or give the "
                           "invoice of the logs' days; --provider and --model leave out the lines of others.")
    inv_providers = {p for _, p, _ in compared}
    by_model = {p for _, p, k in compared if k is not None}  # providers the invoice itemises by model
    grouping = {"openai_costs": "group_by=line_item", "openai_costs_csv": "Group by: Line Item",
                "anthropic_cost_report": "group_by[]=description"}.get(invoice.format)
    if grouping and not by_model:
        notes.append(f"The export names no model: compared per day and provider. Exported with {grouping}, "
                     "it is compared per model too.")
    rows: dict[tuple[date, str, str | None], Row] = {}

    def row(day: date, provider: str, model: str | None) -> Row:
        k = (day, provider, model.lower() if model else None)
        if k not in rows:
            rows[k] = Row(day, provider, model, itemised=provider in by_model)
        return rows[k]

    for ln, provider, key in compared:
        r = row(ln.day, provider, key if provider in by_model else None)
        r.invoiced = _EXACT.add(r.invoiced, ln.amount)
        r.lines += 1
        tier = ln.tier or "standard"
        r.invoice_tiers[tier] = _EXACT.add(r.invoice_tiers.get(tier, Decimal(0)), ln.amount)
        if ln.long_context and not any(n.startswith("long-context lines") for n in r.notes):
            r.notes.append("long-context lines (input over 200k tokens): the logs price them so only when a "
                           "call's input is over the model's threshold")
        if ln.description and ln.description not in r.descriptions:
            r.descriptions.append(ln.description)
    # the days whose lines naming no model (web search, code execution) stand beside the model
    # lines: the calls' non-token charges are compared with those, not with the model's tokens
    unnamed = {(d, p) for d, p, m in rows if m is None and p in by_model}
    provider_days: set[tuple[date, str]] = set()
    for c in calls:
        if c.provider not in inv_providers:
            leave("logs", f"calls of {c.provider}, a provider the invoice does not list", c.cost, c.calls)
            continue
        if not first <= c.day <= last:
            leave("logs", "calls on days outside the span compared", c.cost, c.calls)
            continue
        assert c.provider is not None
        provider_days.add((c.day, c.provider))
        r = row(c.day, c.provider, c.model if c.provider in by_model else None)
        cost = c.cost
        if c.other and (c.day, c.provider) in unnamed:
            u = row(c.day, c.provider, None)
            u.computed = _EXACT.add(u.computed, c.other)
            cost = _EXACT.subtract(cost, c.other)
        r.computed = _EXACT.add(r.computed, cost)
        r.calls += c.calls
        r.unpriced += c.unpriced
        r.unbilled += c.unbilled
        r.unbilled_cost = _EXACT.add(r.unbilled_cost, c.unbilled_cost)
        r.call_tiers.add(c.tier)
        if c.tier == "priority" and invoice.format == "anthropic_cost_report":
            r.excluded = _EXACT.add(r.excluded, c.cost)
            r.excluded_calls += c.calls
    for r in rows.values():
        _explain(r, book, (r.day, r.provider) in provider_days)
    ordered = sorted(rows.values(), key=lambda r: (r.day, r.provider, r.model or ""))
    return Reconciliation(invoice.path, invoice.format, first, last, ordered, _gather(ordered),
                          sum(r.lines for r in ordered), left_out, notes)


def _explain(r: Row, book: PriceBook, provider_has_calls: bool) -> None:
    """The row's explained parts, each on evidence; what is left is its unexplained rest."""
    diff = r.difference
    if not diff:
        return
    if r.excluded:  # calls the export leaves out by its own documentation
        r.explained.append(Part("priority_not_in_report", _EXACT.minus(r.excluded)))
        diff = _EXACT.add(diff, r.excluded)
        if not diff:
            return
    if r.lines and not r.calls:
        if not provider_has_calls:
            r.explained.append(Part("days_missing_from_logs", diff))
        elif r.model is not None:
            r.explained.append(Part("models_missing_from_logs", diff))
        else:  # a line naming no model (web search, a total) on a day the logs itemise by model
            r.notes.append("invoice lines naming no model: " + "; ".join(r.descriptions[:3]))
        return
    if r.calls and not r.lines:
        r.explained.append(Part("not_on_invoice", diff))
        return
    if r.unpriced == r.calls:  # every call unpriced: computed $0, the invoice's amount is theirs
        r.explained.append(Part("unpriced_models", diff))
        return
    if r.calls == r.excluded_calls:  # only calls the export leaves out, and a line: no evidence for the rest
        return
    rest = diff
    tier_part = Decimal(0)
    for tier, amount in sorted(r.invoice_tiers.items()):
        if tier == "standard" or tier in r.call_tiers:
            continue
        m = tier_multiplier(book, r.provider, r.model, tier, r.day)
        if m:  # the line at m × the logs' price: at the logs' price it reads amount / m
            tier_part = _EXACT.add(tier_part, _EXACT.subtract(amount, _EXACT.divide(amount, m)))
        else:
            r.notes.append(f"{tier} lines ${amount:,.2f}: the price book has no {tier} multiplier for "
                           f"{r.provider}, so the tier's share is not estimated")
    if tier_part:
        r.explained.append(Part("tier_differences", tier_part))
        rest = _EXACT.subtract(rest, tier_part)
    # a gap within the invoice's rounding (half a cent a line) is no evidence of billed errors
    if rest > TOLERANCE_PER_ROOT_ROW * r.lines and r.unbilled and r.unbilled_cost > 0:
        part = min(rest, r.unbilled_cost)
        r.explained.append(Part("billed_errors", part))
        rest = _EXACT.subtract(rest, part)
    if rest and r.unpriced:
        r.notes.append(f"{r.unpriced:,} of {r.calls:,} calls unpriced: part of the rest may be theirs")


def tier_multiplier(book: PriceBook, provider: str, model: str | None, tier: str, day: date) -> Decimal | None:
    """The tier's price over the standard price: the model's own tier prices on `day` where the
    book lists them and input and output scale alike, else the provider's tier multiplier; None
    when the book has neither."""
    from datetime import datetime

    m = book.models.get(model) if model else None
    at = datetime(day.year, day.month, day.day)
    period = next((p for p in (m.periods if m else []) if p.effective_from <= at
                   and (p.effective_to is None or at < p.effective_to)), None)
    if period is not None and tier in period.tiers:
        ratios = {period.tiers[tier][k] / period.prices[k] for k in ("input", "output")
                  if period.tiers[tier].get(k) and period.prices.get(k)}
        if len(ratios) == 1:
            return ratios.pop()
    p = book.providers.get(provider)
    return p.service_tiers.get(tier) if p else None


_DETAIL = {
    "days_missing_from_logs": "invoice lines on days with no call of that provider in the logs",
    "models_missing_from_logs": "invoice lines for models with no call that day in the logs",
    "unpriced_models": "the invoice's amount on models the price book cannot price (computed $0)",
    "tier_differences": "lines charged at batch/flex/priority while the logs priced the calls at another tier "
                        "(estimated: amount − amount ÷ the tier's price ratio to standard)",
    "priority_not_in_report": "calls at Anthropic's Priority Tier, whose costs Anthropic's cost report "
                              "leaves out (as documented)",
    "billed_errors": "calls the logs mark not billed (errors, priced $0), up to what they cost billed",
    "not_on_invoice": "calls in the logs on days or models the invoice has no line for",
}


def _gather(rows: list[Row]) -> list[Explanation]:
    usd: dict[str, Decimal] = defaultdict(Decimal)
    models: dict[str, set[str]] = defaultdict(set)
    days: dict[str, set[date]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        for p in r.explained:
            usd[p.reason] = _EXACT.add(usd[p.reason], p.usd)
            if r.model is not None:
                models[p.reason].add(r.model)
            days[p.reason].add(r.day)
            count[p.reason] += 1
    out = []
    for reason in REASONS:
        if reason in usd:
            detail = _DETAIL[reason]
            if reason == "billed_errors":
                n = sum(r.unbilled for r in rows if any(p.reason == reason for p in r.explained))
                detail += f" ({n:,} call{'s' * (n != 1)})"
            out.append(Explanation(reason, usd[reason], sorted(models[reason]), sorted(days[reason]),
                                   count[reason], detail))
    return out


def run_reconcile(store: Store, book: PriceBook, relation: str, scope: Scope, invoice: Invoice) -> Reconciliation:
    """Reconcile `invoice` against the priced calls in `relation` (the calls in `scope`)."""
    groups = call_groups(store, book, relation, scope)
    result = compare(invoice, groups, book, tuple(scope.providers), tuple(scope.models))
    undated = store.query(f"SELECT count(*) FROM {relation} WHERE ts IS NULL")[0][0]
    if undated:
        result.notes.append(f"{undated:,} call{'s' * (undated != 1)} without a time: in no day's figures.")
    return result


def days_text(days: list[date]) -> str:
    return _days_text(days)
