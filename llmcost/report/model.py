"""The report for finance: one versioned `Report` object that every report renderer formats
(HTML, Markdown, JSON, CSV, FOCUS). Renderers only format; every figure is computed here or in
the objects this holds (`Analysis`, `RecommendResult`), so all the outputs agree to the cent.

`build_report` runs `analyze` first, then `recommend`, on the same priced relation (the TEMP
table of `prepare_priced_scope`): `recommend` replaces the scenario and pricing TEMP tables, so
whatever reads the priced relation through them (the spend lines) runs before it.

Spend lines are the bill's grain: one row per day × provider × model × token class (uncached
input, cache reads, cache writes, output, web search requests), aggregated in DuckDB in one
grouped pass. A unit price is given only where one price applied to the whole line (a line mixing
long-context, batch or off-peak prices has none); list prices are the book's before negotiated
discounts (an overlay's `discounts:`), contracted prices after them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmcost import __version__
from llmcost.config import Config
from llmcost.errors import UsageError
from llmcost.ingest import IngestResult
from llmcost.ingest.load import FailedFile, NotCallLog
from llmcost.pricing.book import PriceBook
from llmcost.pricing.engine import PERIODS
from llmcost.report.analysis import Analysis, analyze_calls
from llmcost.report.paths import shared_path, shown_in_text
from llmcost.scope import Scope
from llmcost.simulate.recommend import RecommendResult, recommend
from llmcost.store import Store

REPORT_VERSION = 1
ZERO = Decimal(0)

LEVER_LABELS = {"route": "route", "trim_prompt": "trim prompt", "dedupe": "response cache",
                "cache": "prompt cache", "cap_output": "cap output", "batch": "batch API",
                "history_window": "history window", "cap_input": "cap input",
                "similar_cache": "near-duplicate cache", "deflect": "FAQ deflection"}
LEVER_LABELS["cascade"] = "cascade"  # cheap model first (llmcost.simulate.cascade)
TOKEN_CLASSES = ("input", "cache_read", "cache_write", "output", "web_search")
TOKEN_CLASS_LABELS = {"input": "uncached input tokens", "cache_read": "cache read tokens",
                      "cache_write": "cache write tokens", "output": "output tokens",
                      "web_search": "web search requests"}
CONFIDENCE_WORDS = {
    "measured": "replayed from the log",
    "estimated": "modelled from the log with stated assumptions",
    "assumed": "a user-set or published rule",
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Currency:
    """A second currency shown beside USD (the base): `rate` units of `code` per US dollar."""

    code: str
    rate: Decimal

    def convert(self, usd: Decimal | None) -> Decimal | None:
        return None if usd is None else usd * self.rate


def make_currency(code: str | None, rate: str | float | Decimal | None) -> Currency | None:
    """`--currency CODE --rate R`: both or neither; an ISO 4217 code and a positive rate."""
    if code is None and rate is None:
        return None
    if code is None or rate is None:
        raise UsageError("--currency and --rate go together.",
                         "For example --currency EUR --rate 0.92 (euros per US dollar).")
    c = code.strip().upper()
    if not _CURRENCY.match(c):
        raise UsageError(f"--currency {code}: not a three-letter currency code.", "For example EUR, GBP, JPY.")
    if c == "USD":
        raise UsageError("--currency USD: USD is the report's base currency already.",
                         "Give another currency, e.g. --currency EUR --rate 0.92.")
    try:
        r = Decimal(str(rate).strip())
    except ArithmeticError as e:
        raise UsageError(f"--rate {rate}: not a number.", f"Give {c} per US dollar, e.g. --rate 0.92.") from e
    if not r.is_finite() or r <= 0:
        raise UsageError(f"--rate {rate}: must be a positive number.", f"Give {c} per US dollar, e.g. --rate 0.92.")
    return Currency(c, r)


@dataclass
class SpendLine:
    """Spend of one day × provider × model × token class. Money in USD, exact."""

    day: date | None  # None: calls without a timestamp
    provider: str | None  # as logged (lower case)
    provider_name: str  # display name: the book's, else as logged
    publisher_name: str  # who makes the model (the book's provider of the model)
    model: str | None  # price-book id where resolved, else the logged name
    priced: bool
    token_class: str
    calls: int  # calls with a non-zero quantity of this class
    quantity: int  # tokens (web search: requests)
    billed_cost_usd: Decimal | None  # None when unpriced
    list_cost_usd: Decimal | None
    contracted_unit_price: Decimal | None  # USD per pricing unit, where one price applied
    list_unit_price: Decimal | None

    @property
    def consumed_unit(self) -> str:
        return "Requests" if self.token_class == "web_search" else "Tokens"

    @property
    def pricing_unit(self) -> str:
        return "1000 Requests" if self.token_class == "web_search" else "1000000 Tokens"

    @property
    def pricing_quantity(self) -> Decimal:
        return Decimal(self.quantity) / (1000 if self.token_class == "web_search" else 1_000_000)


@dataclass
class DayModelCost:
    day: date
    model: str | None
    cost_usd: Decimal


@dataclass
class SourceFile:
    """A file behind the calls in scope, with its load accounting."""

    file: str
    adapter: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int
    rows_skipped: int
    notes: list[str] = field(default_factory=list)
    stored_earlier: bool = False  # given to this run but stored already: the counts recorded then


@dataclass
class Report:
    version: int
    title: str
    generated_at: datetime  # UTC
    llmcost_version: str
    command_line: str
    price_book_files: list[str]  # the files whose prices priced the calls in scope
    price_book_checked: str | None  # latest `checked` date of the prices used
    currency: Currency | None
    scope_description: str
    analysis: Analysis
    recommend: RecommendResult
    spend_lines: list[SpendLine]
    daily_by_model: list[DayModelCost]
    files: list[SourceFile]
    files_from_this_run: bool  # False: the store's record of the files (no FILES given)
    files_left_alone: list[NotCallLog] = field(default_factory=list)  # found by this run, not call logs
    files_failed: list[FailedFile] = field(default_factory=list)  # this run could not load them (exit 1)

    # --- headline figures: the same objects the analyze / recommend JSON print -----------------
    @property
    def spend_usd(self) -> Decimal:
        """The priced spend (see `nothing_priced`: with no call priced it is unknown, not $0)."""
        return self.analysis.totals.cost_usd

    @property
    def nothing_priced(self) -> bool:
        return self.analysis.totals.nothing_priced

    @property
    def monthly_usd(self) -> Decimal | None:
        return self.analysis.monthly_usd

    @property
    def savings_monthly_usd(self) -> Decimal | None:
        sim = self.recommend.simulation
        return sim.monthly(sim.savings_usd)

    @property
    def savings_usd(self) -> Decimal:
        return self.recommend.simulation.savings_usd

    @property
    def savings_pct(self) -> float:
        return self.recommend.simulation.savings_pct

    def monthly(self, amount: Decimal) -> Decimal | None:
        """A period amount of the plan as a monthly figure (None when the calls span no time)."""
        return self.recommend.simulation.monthly(amount)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def notes(self) -> list[str]:
        out = list(self.analysis.notes)
        out += [n for f in self.files for n in f.notes]
        out += [n for n in self.recommend.simulation.notes if n not in out]
        return out


def build_report(store: Store, book: PriceBook, relation: str, cfg: Config, ingest: IngestResult | None,
                 title: str, command_line: str, currency: str | None = None,
                 rate: str | float | Decimal | None = None, scope: Scope | None = None,
                 generated_at: datetime | None = None,
                 on_step: Callable[[str], None] | None = None) -> Report:
    """The report of the priced calls in `relation` (made by `prepare_priced_scope`); `on_step`,
    when given, is told each step as it starts."""
    cur = make_currency(currency, rate)
    scope = scope or Scope()
    now = generated_at or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    ingest = _shown_ingest(store, ingest)  # paths relative to where the command ran
    if on_step:
        on_step("summarising spend…")
    analysis = analyze_calls(store, book, scope, ingest, relation=relation)
    lines = spend_lines(store, book, relation)
    files, from_run = _files(store, scope, ingest)
    # last: recommend replaces the pricing and scenario TEMP tables
    rec = recommend(store, book, relation, cfg, on_step=on_step)
    used_files: set[str] = set()
    for p in analysis.prices_used:
        m = book.models.get(p.model_id)
        used_files.add(p.overlay or (m.file if m else ""))
    used_files.discard("")
    checked = max((p.checked for p in analysis.prices_used if p.checked), default=None)
    return Report(
        version=REPORT_VERSION, title=title, generated_at=now.astimezone(UTC), llmcost_version=__version__,
        command_line=command_line, price_book_files=sorted(shared_path(f) for f in used_files),
        price_book_checked=checked,
        currency=cur, scope_description=scope.describe(), analysis=analysis, recommend=rec,
        spend_lines=lines, daily_by_model=_daily_by_model(lines), files=files, files_from_this_run=from_run,
        files_left_alone=list(ingest.not_logs) if ingest is not None else [],
        files_failed=list(ingest.failed) if ingest is not None else [])


def _class_sql() -> dict[str, tuple[str, str, str, str]]:
    """token class -> (quantity, cost, contracted unit price, list unit price) SQL over a priced
    call `c` joined to its period `per`. Unit prices are USD per pricing unit (1M tokens, 1000
    requests), NULL where a call mixes two prices in one class (5-minute and 1-hour writes)."""
    charge = "(CASE WHEN c.billed THEN 1 ELSE 0 END)"
    mult = f"c.price_multiplier * {charge}"
    disc = "coalesce(per.discount, 1)"

    def token(qty: str, cost: str, price: str) -> tuple[str, str, str, str]:
        # the price widened first: DECIMAL(18,9) x DECIMAL(12,6) stays 64-bit in ClickHouse
        # (3 integer digits at scale 15), whose division by the discount then overflows (issue 17)
        contracted = f"CAST({price} AS DECIMAL(38,9)) * {mult}"
        listed = (f"CASE WHEN {disc} = 1 THEN {contracted} WHEN {disc} = 0 THEN NULL "
                  f"ELSE CAST({contracted} / {disc} AS DECIMAL(38,15)) END")
        return qty, cost, contracted, listed

    return {
        "input": token("c.input_tokens - c.cache_read_tokens - c.cache_write_5m_tokens - c.cache_write_1h_tokens",
                       "c.cost_input", "c.p_input"),
        "cache_read": token("c.cache_read_tokens", "c.cost_cache_read", "c.p_cache_read"),
        "cache_write": token("c.cache_write_5m_tokens + c.cache_write_1h_tokens", "c.cost_cache_write",
                             "CASE WHEN c.cache_write_1h_tokens = 0 THEN c.p_cache_write_5m "
                             "WHEN c.cache_write_5m_tokens = 0 THEN c.p_cache_write_1h END"),
        "output": token("c.output_tokens", "c.cost_output", "c.p_output"),
        # web search is not discounted (the engine applies no multiplier to it)
        "web_search": ("CASE WHEN c.web_search_per_1k IS NULL THEN 0 ELSE coalesce(c.web_search_requests, 0) END",
                       "c.cost_other", f"c.web_search_per_1k * {charge}", f"c.web_search_per_1k * {charge}"),
    }


def spend_lines(store: Store, book: PriceBook, relation: str) -> list[SpendLine]:
    """Spend by day × provider × model × token class, in one grouped pass over the priced calls."""
    classes = _class_sql()
    aggs: list[str] = []
    for q_sql, c_sql, cup, lup in classes.values():
        has = f"({q_sql}) > 0"
        disc = "coalesce(per.discount, 1)"
        aggs += [
            f"sum({q_sql})",
            f"count(*) FILTER (WHERE {has})",
            f"sum({c_sql})",
            # both branches one type: ClickHouse refuses a CASE of two decimal scales (web search's)
            f"sum(CASE WHEN {disc} = 1 OR {disc} = 0 THEN CAST({c_sql} AS DECIMAL(38,21)) "
            f"ELSE CAST({c_sql} / {disc} AS DECIMAL(38,21)) END)",
            f"min({cup}) FILTER (WHERE {has})", f"max({cup}) FILTER (WHERE {has})",
            f"count(*) FILTER (WHERE {has} AND ({cup}) IS NULL)",
            f"min({lup}) FILTER (WHERE {has})", f"max({lup}) FILTER (WHERE {has})",
            f"count(*) FILTER (WHERE {has} AND ({lup}) IS NULL)",
        ]
    rows = store.query(f"""
        SELECT CAST(c.ts AS DATE) AS day, c.provider, coalesce(c.model_id, c.model) AS model,
               c.cost_input IS NOT NULL AS priced, {", ".join(aggs)}
        FROM {relation} c LEFT JOIN {PERIODS} per USING (period_key)
        GROUP BY ALL
        ORDER BY day NULLS LAST, c.provider NULLS LAST, model NULLS LAST, priced DESC""")
    per = 10
    out: list[SpendLine] = []
    for row in rows:
        day, provider, model, priced = row[:4]
        model_id = model if model in book.models else None
        prov = book.providers.get(provider or "")
        provider_name = prov.name if prov else (provider or "unknown")
        pub_key = book.models[model_id].provider if model_id else None
        pub = book.providers.get(pub_key or "")
        publisher_name = pub.name if pub else provider_name
        for i, cls in enumerate(classes):
            qty, n, cost, list_cost, cmin, cmax, cnull, lmin, lmax, lnull = row[4 + i * per: 4 + (i + 1) * per]
            qty = int(qty or 0)
            cost = Decimal(cost) if cost is not None and priced else None
            if qty == 0 and not cost:
                continue
            list_cost = Decimal(list_cost) if list_cost is not None and priced else None
            uniform_c = priced and cmin is not None and cmin == cmax and not cnull
            uniform_l = priced and lmin is not None and lmin == lmax and not lnull
            out.append(SpendLine(
                day, provider, provider_name, publisher_name, model, bool(priced), cls, int(n or 0), qty,
                cost, list_cost, Decimal(cmin) if uniform_c else None,
                Decimal(lmin) if uniform_l else None))
    return out


def _daily_by_model(lines: list[SpendLine]) -> list[DayModelCost]:
    acc: dict[tuple[date, str | None], Decimal] = {}
    for ln in lines:
        if ln.day is None or ln.billed_cost_usd is None:
            continue
        key = (ln.day, ln.model)
        acc[key] = acc.get(key, ZERO) + ln.billed_cost_usd
    return [DayModelCost(d, m, c) for (d, m), c in sorted(acc.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]


def _files(store: Store, scope: Scope, ingest: IngestResult | None) -> tuple[list[SourceFile], bool]:
    """The files behind the calls in scope: this run's load figures (for a file stored already,
    the store's, as recorded when it was loaded: this run read none of it), or the store's record."""
    if ingest is not None:
        out = []
        for f in ingest.files:
            if f.stored is not None:
                c = f.stored
                out.append(SourceFile(f.file, f.adapter, c.rows_read, c.rows_loaded, c.rows_rejected,
                                      c.rows_duplicate, c.rows_skipped, list(f.notes), stored_earlier=True))
            else:
                out.append(SourceFile(f.file, f.adapter, f.rows_read, f.rows_loaded, f.rows_rejected,
                                      f.rows_duplicate, f.rows_skipped, list(f.notes)))
        return out, True
    hashes = set(scope.source_hashes) if scope.source_hashes is not None else None
    return [SourceFile(shared_path(s.source_file), s.adapter, s.rows_read, s.rows_loaded, s.rows_rejected,
                       s.rows_duplicate, s.rows_skipped)
            for s in store.sources() if hashes is None or s.source_hash in hashes], False


def _shown_ingest(store: Store, ingest: IngestResult | None) -> IngestResult | None:
    """This run's files with their paths relative to where the command ran (in notes too, which
    may name another stored file)."""
    if ingest is None:
        return None
    from dataclasses import replace

    known = [f.file for f in ingest.files] + [f.file for f in ingest.not_logs]
    known += [p for (p,) in store.query("SELECT DISTINCT source_file FROM sources")]
    return replace(
        ingest,
        files=[replace(f, file=shared_path(f.file), notes=[shown_in_text(n, known) for n in f.notes])
               for f in ingest.files],
        not_logs=[replace(x, file=shared_path(x.file), reason=shown_in_text(x.reason, known))
                  for x in ingest.not_logs],
        failed=[replace(x, file=shared_path(x.file), reason=shown_in_text(x.reason, known))
                for x in ingest.failed])


def default_title(files: list[str] | None) -> str:
    if not files:
        return "LLM spend report"
    names = [Path(f).name for f in files[:3]]
    for suffix in (".gz", ".csv", ".jsonl", ".json", ".parquet"):
        names = [n[: -len(suffix)] if n.endswith(suffix) and len(n) > len(suffix) else n for n in names]
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return "LLM spend report · " + ", ".join(names) + more


def to_plain(v: Any) -> Any:
    """Decimal -> str (exact), dates -> ISO text; for the CSV writers."""
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, date):
        return v.isoformat()
    return v
