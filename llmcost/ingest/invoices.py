"""Invoice files for `llmcost reconcile`: what a provider charged, per day (and model where the
file says), read into `InvoiceLine`s. The format is found from the content, never the file name.

Three formats, one reader each:

- **OpenAI cost export**, the Costs API's JSON (`GET /v1/organization/costs`): a page
  `{"object": "page", "data": [buckets], "has_more", "next_page"}`, each bucket
  `{"start_time", "end_time", "results": [{"amount": {"value", "currency"}, "line_item",
  "project_id"}]}`. Quirks: times are Unix seconds (UTC), one bucket per day (`bucket_width` 1d is
  the only width); `amount.value` is a number in dollars; `line_item` is null unless the request
  grouped by it, else names the model and the charge (`"gpt-4o-2024-08-06, input"`, `"…, cached
  input"`, `"…, output"`; a line naming batch, flex or priority is charged at that tier); the
  currency is lower case (`usd`). Several pages may be given as a JSON array of pages or one page
  a line (JSON Lines). `has_more: true` on the last page given means the export is incomplete:
  said in a note.
- **OpenAI cost CSV**, the usage dashboard's Export (Cost data, grouped by line item, 1 day):
  `start_time, end_time, amount_value, amount_currency, line_item, project_id, organization_id,
  project_name, organization_name`; `start_time` in Unix seconds (an ISO time is accepted too).
- **Anthropic cost report** (`GET /v1/organizations/cost_report`): `{"data": [{"starting_at",
  "ending_at", "results": [{"amount", "currency", "description", "cost_type", "model",
  "service_tier", "token_type", "context_window", "workspace_id"}]}], "has_more", "next_page"}`.
  Quirks: `amount` is a decimal STRING in the currency's lowest unit — cents: `"123.45"` is
  $1.2345; `model`, `service_tier` (standard or batch), `context_window` (`0-200k`, `200k-1M`) are
  null unless grouped by description; non-token charges (web search, code execution) name no
  model. Anthropic documents that the report leaves out Priority Tier costs.
- **Plain CSV**: `date, provider[, model], amount_usd` (header names in any case and order;
  other columns ignored): one line per day and provider, or per day, provider and model.

Only USD amounts are read: another currency is an error (llmcost prices in USD).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from llmcost.errors import InputFileError

FORMATS_HINT = ("llmcost reconcile reads: OpenAI's cost export (the Costs API JSON of "
                "/v1/organization/costs, or the usage page's cost CSV with start_time, amount_value, "
                "line_item), Anthropic's cost report JSON (/v1/organizations/cost_report), or a CSV "
                "with the columns date, provider, amount_usd and optionally model.")

FORMAT_NAMES = {"openai_costs": "OpenAI Costs API (JSON)", "openai_costs_csv": "OpenAI cost export (CSV)",
                "anthropic_cost_report": "Anthropic cost report (JSON)", "plain_csv": "CSV (date, provider, amount)"}
_TIERS = ("batch", "flex", "priority")


@dataclass(frozen=True)
class InvoiceLine:
    """One charge: its day (UTC), provider, model as written (None: the line names none), USD
    amount, the tier it was charged at when the line says (batch, flex, priority), whether it
    is a long-context charge, and its text as on the invoice."""

    day: date
    provider: str | None
    model: str | None
    amount: Decimal
    tier: str | None = None
    long_context: bool = False
    description: str = ""
    where: str = ""  # line or bucket in the file


@dataclass
class Invoice:
    path: str
    format: str  # a key of FORMAT_NAMES
    lines: list[InvoiceLine]
    notes: list[str] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]


def _fail(path: str, problem: str) -> InputFileError:
    return InputFileError(f"{path}: {problem}", FORMATS_HINT)


def _usd(value: Any, currency: Any, path: str, where: str, cents: bool = False) -> Decimal:
    if currency is not None and str(currency).strip().lower() not in ("usd", ""):
        raise InputFileError(f"{path}: {where}: amount in {currency}; llmcost reconciles USD amounts only.",
                             "Export the costs in USD.")
    try:
        text = str(value).strip().replace(",", "").removeprefix("$")
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InputFileError(f"{path}: {where}: the amount {value!r} is not a number.", FORMATS_HINT) from None
    if not amount.is_finite():
        raise InputFileError(f"{path}: {where}: the amount {value!r} is not a number.", FORMATS_HINT)
    return amount / 100 if cents else amount


def _day(value: Any, path: str, where: str) -> date:
    """A day from Unix seconds or an ISO date or time (UTC)."""
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
            return datetime.fromtimestamp(int(value), UTC).date()
        text = str(value).strip().replace("Z", "+00:00")
        dt = datetime.fromisoformat(text)
        return dt.astimezone(UTC).date() if dt.tzinfo is not None else dt.date()
    except (ValueError, OverflowError, OSError):
        raise InputFileError(f"{path}: {where}: {value!r} is not a date or time.",
                             "Dates are written 2026-10-05 (or an ISO time, or Unix seconds).") from None


def _openai_line_item(text: str | None) -> tuple[str | None, str | None]:
    """(model, tier) of a Costs API line item: `"gpt-4o-2024-08-06, input"` names gpt-4o-2024-08-06;
    a part naming batch, flex or priority gives the tier."""
    if not text or not text.strip():
        return None, None
    head, _, rest = text.partition(",")
    words = rest.lower().replace("(", " ").replace(")", " ").split()
    tier = next((t for t in _TIERS if t in words), None)
    model = head.strip()
    return (model or None), tier


def _pages(doc: Any) -> list[Any]:
    return doc if isinstance(doc, list) else [doc]


def _buckets(pages: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in pages:
        if isinstance(p, dict) and isinstance(p.get("data"), list):
            out += [b for b in p["data"] if isinstance(b, dict)]
    return out


def _results(bucket: dict[str, Any]) -> list[Any]:
    r = bucket.get("results", bucket.get("result"))
    return r if isinstance(r, list) else []


def _json_kind(pages: list[Any]) -> str | None:
    buckets = _buckets(pages)
    if not buckets or not any(isinstance(p, dict) and "data" in p for p in pages):
        return None
    if all("start_time" in b for b in buckets) and all(
            isinstance(r, dict) and isinstance(r.get("amount"), dict) for b in buckets for r in _results(b)):
        return "openai_costs"
    if all("starting_at" in b for b in buckets) and all(
            isinstance(r, dict) and "amount" in r and not isinstance(r["amount"], dict)
            for b in buckets for r in _results(b)):
        return "anthropic_cost_report"
    return None


def _more_note(pages: list[Any], kind: str) -> list[str]:
    last = pages[-1] if pages else None
    if isinstance(last, dict) and last.get("has_more") is True:
        nxt = "next_page" if kind == "openai_costs" else "page"
        return ["The export says has_more: true: it is not complete. Fetch the next pages (the "
                f"{nxt} token) and give them all in one file (a JSON array of pages, or one page a line)."]
    return []


def read_openai_costs(path: str, pages: list[Any]) -> Invoice:
    lines: list[InvoiceLine] = []
    for i, b in enumerate(_buckets(pages), 1):
        where = f"bucket {i}"
        day = _day(b.get("start_time"), path, where)
        for r in _results(b):
            amount = r.get("amount") or {}
            model, tier = _openai_line_item(r.get("line_item"))
            lines.append(InvoiceLine(day, "openai", model, _usd(amount.get("value"), amount.get("currency"), path,
                                                                 where), tier, False, r.get("line_item") or "", where))
    return Invoice(path, "openai_costs", lines, _more_note(pages, "openai_costs"))


def read_anthropic_cost_report(path: str, pages: list[Any]) -> Invoice:
    lines: list[InvoiceLine] = []
    for i, b in enumerate(_buckets(pages), 1):
        where = f"bucket {i}"
        day = _day(b.get("starting_at"), path, where)
        for r in _results(b):
            tier = str(r.get("service_tier") or "").lower() or None
            description = r.get("description") or r.get("cost_type") or ""
            lines.append(InvoiceLine(day, "anthropic", r.get("model") or None,
                                     _usd(r.get("amount"), r.get("currency"), path, where, cents=True),
                                     tier if tier in _TIERS else None, r.get("context_window") == "200k-1M",
                                     str(description), where))
    return Invoice(path, "anthropic_cost_report", lines, _more_note(pages, "anthropic_cost_report"))


def _csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    rows = [{(k or "").strip().lower(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
            for row in reader]
    return header, rows


def read_openai_costs_csv(path: str, rows: list[dict[str, str]]) -> Invoice:
    lines = []
    for n, row in enumerate(rows, 2):
        where = f"line {n}"
        model, tier = _openai_line_item(row.get("line_item"))
        lines.append(InvoiceLine(_day(row.get("start_time"), path, where), "openai", model,
                                 _usd(row.get("amount_value"), row.get("amount_currency"), path, where),
                                 tier, False, row.get("line_item") or "", where))
    return Invoice(path, "openai_costs_csv", lines)


def read_plain_csv(path: str, rows: list[dict[str, str]]) -> Invoice:
    lines = []
    for n, row in enumerate(rows, 2):
        where = f"line {n}"
        if not any(row.values()):
            continue
        provider = row.get("provider", "").strip().lower() or None
        model = row.get("model", "").strip() or None
        lines.append(InvoiceLine(_day(row.get("date"), path, where), provider, model,
                                 _usd(row.get("amount_usd"), None, path, where), None, False,
                                 " ".join(x for x in (provider, model) if x), where))
    return Invoice(path, "plain_csv", lines)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    pages = []
    for line in text.splitlines():  # JSON Lines: one page a line
        if line.strip():
            try:
                pages.append(json.loads(line))
            except ValueError:
                return None
    return pages or None


def read_invoice(path: str) -> Invoice:
    """The invoice in `path`, whichever of the formats it is; an `InputFileError` naming the
    formats accepted when it is none of them."""
    p = Path(path)
    if p.is_dir():
        raise InputFileError(f"{path}: a folder; reconcile reads one invoice file.", FORMATS_HINT)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file.", "Give the path of the cost export or invoice CSV.") from None
    except OSError as e:
        raise InputFileError(f"{path}: cannot be read ({e.strerror}).", "Check the path and its permissions.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(path, "not a text file.") from None
    if not text.strip():
        raise _fail(path, "the file is empty.")
    if text.lstrip()[:1] in "[{":
        doc = _parse_json(text)
        if doc is None:
            raise _fail(path, "not valid JSON.")
        pages = _pages(doc)
        kind = _json_kind(pages)
        if kind == "openai_costs":
            return read_openai_costs(path, pages)
        if kind == "anthropic_cost_report":
            return read_anthropic_cost_report(path, pages)
        if any(isinstance(pg, dict) and pg.get("data") == [] for pg in pages):
            raise _fail(path, "the export holds no day (data is empty).")
        raise _fail(path, "JSON, but neither OpenAI's Costs API page (data[] buckets with start_time and "
                          "results[].amount.value) nor Anthropic's cost report (data[] buckets with "
                          "starting_at and results[].amount).")
    header, rows = _csv_rows(text)
    cols = set(header)
    if {"start_time", "amount_value"} <= cols:
        return read_openai_costs_csv(path, rows)
    if {"date", "provider", "amount_usd"} <= cols:
        return read_plain_csv(path, rows)
    shown = ", ".join(h for h in header[:8] if h) or "none"
    raise _fail(path, f"not an invoice llmcost can read (its first line names the columns: {shown}).")
