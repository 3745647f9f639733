"""FOCUS export (`llmcost report -o spend.focus.csv`, or `--focus`): the report's spend lines as a
FinOps Open Cost and Usage Specification (FOCUS) 1.2 Cost and Usage dataset, so LLM API spend can
sit beside cloud bills in FinOps tools.

One row per day × provider × model × token class (uncached input, cache read, cache write, output,
web search requests), priced lines only (FOCUS costs may not be null; unpriced calls are listed in
the report's data quality instead). Every column of FOCUS 1.2 is present, in the specification's
(alphabetical) order; columns that do not apply to API usage are null (empty):

- BilledCost = EffectiveCost = ContractedCost: the priced cost, negotiated discounts (overlay
  `discounts:`) included; ListCost: the same at the book's list prices. USD (BillingCurrency).
- PricingQuantity in `1000000 Tokens` (web search: `1000 Requests`), the unit the prices are
  quoted in; ConsumedQuantity in Tokens / Requests. ListUnitPrice and ContractedUnitPrice are
  given where one price applied to the whole row (a row mixing long-context, batch or off-peak
  prices has none), so that unit price × PricingQuantity = cost.
- ChargePeriod: the UTC day; BillingPeriod: its calendar month. ChargeCategory `Usage`,
  ChargeClass null (no corrections), ChargeFrequency `Usage-Based`, PricingCategory `Standard`,
  ServiceCategory `AI and Machine Learning`, ServiceSubcategory `Generative AI`.
- ProviderName and InvoiceIssuerName: the provider as logged (its price-book name);
  PublisherName: the maker of the model; SkuId: the price-book model id; SkuMeter: the token class.
- BillingAccountId is not in call logs: `<provider>:not-in-log`.
- Tags: JSON of llmcost's labels for the row. Text cells go through the CSV-safe writer.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from llmcost.render.csv_out import write_csv
from llmcost.report.model import TOKEN_CLASS_LABELS, Report, SpendLine

FOCUS_VERSION = "1.2"
FOCUS_SPEC_URL = "https://focus.finops.org/focus-specification/v1-2/"

# FOCUS 1.2 Cost and Usage columns, in the specification's order (alphabetical), as listed at
# https://focus.finops.org/focus-specification/v1-2/ (source: github.com/FinOps-Open-Cost-and-
# Usage-Spec/FOCUS_Spec, release 1.2, specification/columns). 57 columns.
FOCUS_COLUMNS: tuple[str, ...] = (
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
)

# FOCUS 1.2 feature level Mandatory; those that may not be null are in FOCUS_NOT_NULL.
FOCUS_MANDATORY: tuple[str, ...] = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)
FOCUS_NOT_NULL: tuple[str, ...] = (
    "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
    "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)

METERS = {"input": "Input Tokens", "cache_read": "Cache Read Tokens", "cache_write": "Cache Write Tokens",
          "output": "Output Tokens", "web_search": "Web Search Requests"}


def _ts(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def _month(d: date) -> tuple[datetime, datetime]:
    start = date(d.year, d.month, 1)
    end = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return _ts(start), _ts(end)


def _charge_period(report: Report, ln: SpendLine) -> tuple[date, date]:
    if ln.day is not None:
        return ln.day, ln.day + timedelta(days=1)
    # calls without a timestamp: the whole period of the report
    p = report.analysis.period
    if p.start and p.end:
        return p.start.date(), p.end.date() + timedelta(days=1)
    d = report.generated_at.date()
    return d, d + timedelta(days=1)


def focus_row(report: Report, ln: SpendLine) -> dict[str, Any]:
    start, end = _charge_period(report, ln)
    bp_start, bp_end = _month(start)
    what = TOKEN_CLASS_LABELS[ln.token_class]
    tags = {"llmcost/model": ln.model, "llmcost/token_class": ln.token_class, "llmcost/calls": str(ln.calls)}
    if ln.provider is not None:
        tags["llmcost/provider"] = ln.provider
    row: dict[str, Any] = dict.fromkeys(FOCUS_COLUMNS)
    row.update({
        "BilledCost": ln.billed_cost_usd,
        "BillingAccountId": f"{ln.provider or 'unknown'}:not-in-log",
        "BillingCurrency": "USD",
        "BillingPeriodEnd": bp_end,
        "BillingPeriodStart": bp_start,
        "ChargeCategory": "Usage",
        "ChargeDescription": f"{ln.model} {what} (priced from call logs by llmcost)",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": _ts(end),
        "ChargePeriodStart": _ts(start),
        "ConsumedQuantity": ln.quantity,
        "ConsumedUnit": ln.consumed_unit,
        "ContractedCost": ln.billed_cost_usd,
        "ContractedUnitPrice": ln.contracted_unit_price,
        "EffectiveCost": ln.billed_cost_usd,
        "InvoiceIssuerName": ln.provider_name,
        "ListCost": ln.list_cost_usd if ln.list_cost_usd is not None else ln.billed_cost_usd,
        "ListUnitPrice": ln.list_unit_price,
        "PricingCategory": "Standard",
        "PricingQuantity": ln.pricing_quantity,
        "PricingUnit": ln.pricing_unit,
        "ProviderName": ln.provider_name,
        "PublisherName": ln.publisher_name,
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": f"{ln.provider_name} API",
        "ServiceSubcategory": "Generative AI",
        "SkuId": ln.model,
        "SkuMeter": METERS[ln.token_class],
        "SkuPriceId": f"{ln.model}/{ln.token_class}" if ln.contracted_unit_price is not None else None,
        "Tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
    })
    return row


def focus_rows(report: Report) -> list[dict[str, Any]]:
    return [focus_row(report, ln) for ln in report.spend_lines if ln.priced and ln.billed_cost_usd is not None]


def focus_csv(report: Report) -> str:
    rows = focus_rows(report)
    return write_csv(FOCUS_COLUMNS, ([r[c] for c in FOCUS_COLUMNS] for r in rows))
