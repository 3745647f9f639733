"""Read-only questions about a price book, for `llmcost pricing …`: lint it (`check_book`), what
changed between two dates (`diff_book`), where it disagrees with LiteLLM (`compare_with_litellm`),
and the listings behind `pricing list` / `pricing show`. Pure functions: they return findings and
rows, never print.

Schema problems (a missing price, a negative or absurd number, an unknown key, two periods
starting on one day, an alias naming two models) already stop `load_book` with a `PricingError`
naming the key (`book.price_file_schema`), which `run_check` reports as one `schema` finding;
`check_book` looks for what loads but is wrong:
- periods out of order, overlapping, empty, or with a gap between them; periods written out of
  order in a file (the loader sorts them silently);
- a period without `source`/`checked` (overlays: a warning when `checked` is missing);
- ids and aliases naming two models;
- cache prices against the provider's rules (provider-facts A2): Anthropic 5m write = 1.25 ×
  input, 1h write = 2 × input, read = 0.1 × input; OpenAI, Google and DeepSeek read < input and no
  write above input (OpenAI gpt-5.6 and later have a write premium). A period or model `note`
  containing "exception" whitelists the period; a note that only talks about the cache price makes
  it a warning instead of an error;
- long context: threshold > 0 and its prices ≥ the standard ones; explicit service tiers that
  look upside down (priority cheaper than standard, batch/flex dearer) and odd off-peak terms are
  warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from llmcost.errors import PricingError
from llmcost.pricing.book import TOKEN_PRICES, Model, Period, PriceBook, load_book, to_datetime

ERROR = "error"
WARNING = "warning"
TOLERANCE = Decimal("0.005")  # 0.5 %: prices agreeing within it are the same
LITELLM_SNAPSHOT = datetime(2026, 7, 24)  # the date of the LiteLLM table in shared/reference

ANTHROPIC_CACHE = {"cache_write_5m": Decimal("1.25"), "cache_write_1h": Decimal(2),
                   "cache_read": Decimal("0.1")}
READ_BELOW_INPUT = ("openai", "google", "deepseek")
_CACHE_WORDS = re.compile(r"cache|hit|write|read", re.IGNORECASE)
_GPT_VERSION = re.compile(r"^gpt-(\d+)(?:\.(\d+))?")


@dataclass
class Finding:
    severity: str  # "error" | "warning"
    model: str | None
    message: str
    code: str = ""  # the rule: period-order, overlap, provenance, alias, cache-rule, long-context, …
    period: datetime | None = None  # effective_from of the period concerned
    data: dict[str, Any] = field(default_factory=dict)  # numbers behind the message (JSON output)


@dataclass
class PriceChange:
    model: str
    provider: str
    kind: str  # "changed" | "added" | "withdrawn"
    before: dict[str, Decimal]  # $/MTok paid at date_from (write/read prices filled as billed)
    after: dict[str, Decimal]
    before_from: datetime | None  # effective_from of the period in force at date_from
    after_from: datetime | None
    other_changes: list[str] = field(default_factory=list)  # long context, tiers, off-peak, discount

    @property
    def changed_components(self) -> list[str]:
        return [k for k in TOKEN_PRICES if self.before.get(k) != self.after.get(k)]


# ---------------------------------------------------------------- periods in force, price sets

def as_datetime(when: date | datetime) -> datetime:
    return when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)


def period_at(model: Model, when: date | datetime) -> Period | None:
    """The period in force at `when` (`effective_from <= when < effective_to`)."""
    t = as_datetime(when)
    for p in model.periods:
        if p.effective_from <= t and (p.effective_to is None or t < p.effective_to):
            return p
    return None


def filled(prices: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The five components as billed: no read price = input; no write premium = input; no 1h
    write = the 5m write (the engine's rule)."""
    p = {k: v for k, v in prices.items() if k in TOKEN_PRICES}
    if "input" not in p:
        return p
    p.setdefault("cache_read", p["input"])
    p.setdefault("cache_write_5m", p["input"])
    p.setdefault("cache_write_1h", p["cache_write_5m"])
    return p


def discount_factor(book: PriceBook, model: Model, when: date | datetime) -> Decimal:
    """The product of the negotiated discounts applying to `model` at `when` (1 = none)."""
    t = as_datetime(when)
    factor = Decimal(1)
    for d in book.discounts:
        applies = d.model in (model.id, *model.aliases) if d.model else d.provider == model.provider
        if applies and (d.effective_from is None or d.effective_from <= t) and (
                d.effective_to is None or t < d.effective_to):
            factor *= 1 - d.percent / 100
    return factor


# ---------------------------------------------------------------- check_book

def _model_notes(book: PriceBook) -> tuple[dict[str, str], list[Finding]]:
    """Model-level `note`s (not kept by the loader) and periods written out of order, read from
    the book's files again."""
    import yaml

    notes: dict[str, str] = {}
    findings: list[Finding] = []
    for file in book.files:
        try:
            with Path(file).open(encoding="utf-8") as f:
                doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(doc, dict):
            continue
        for raw in doc.get("models") or []:
            if not isinstance(raw, dict) or not raw.get("id"):
                continue
            mid = str(raw["id"])
            if raw.get("note"):
                notes[mid] = (notes.get(mid, "") + " " + str(raw["note"])).strip()
            starts: list[datetime] = []
            for p in raw.get("periods") or []:
                try:
                    starts.append(to_datetime(p.get("effective_from"), "effective_from", file))
                except (PricingError, AttributeError):
                    starts = []
                    break
            if any(b < a for a, b in pairwise(starts)):
                findings.append(Finding(
                    WARNING, mid, f"periods are written out of order in {Path(file).name} (the loader "
                    "sorts them; keep them in date order so the history reads top to bottom)", "period-order"))
    return notes, findings


def _check_periods(m: Model) -> list[Finding]:
    out: list[Finding] = []
    for p in m.periods:
        if p.effective_to is not None and p.effective_to <= p.effective_from:
            out.append(Finding(ERROR, m.id, f"period from {p.effective_from:%Y-%m-%d} ends "
                               f"{p.effective_to:%Y-%m-%d}, before it starts", "overlap", p.effective_from))
    for a, b in pairwise(m.periods):
        if b.effective_from <= a.effective_from:
            out.append(Finding(ERROR, m.id, f"periods out of order: {b.effective_from:%Y-%m-%d} comes "
                               f"after {a.effective_from:%Y-%m-%d}", "period-order", b.effective_from))
        elif a.effective_to is None or a.effective_to > b.effective_from:
            out.append(Finding(ERROR, m.id, f"periods overlap: the one from {a.effective_from:%Y-%m-%d} "
                               f"is still in force when the one from {b.effective_from:%Y-%m-%d} starts",
                               "overlap", b.effective_from))
        elif a.effective_to < b.effective_from:
            out.append(Finding(WARNING, m.id, f"no price between {a.effective_to:%Y-%m-%d %H:%M} and "
                               f"{b.effective_from:%Y-%m-%d %H:%M}: calls then are unpriced", "gap",
                               b.effective_from))
    return out


def _check_provenance(m: Model, p: Period) -> list[Finding]:
    out: list[Finding] = []
    when = f"period from {p.effective_from:%Y-%m-%d}"
    if p.overlay is None:
        if not p.source or not p.source.startswith(("http://", "https://")):
            out.append(Finding(ERROR, m.id, f"{when} has no `source` URL", "provenance", p.effective_from))
        if not p.checked:
            out.append(Finding(ERROR, m.id, f"{when} has no `checked` date", "provenance", p.effective_from))
    elif not p.checked:
        out.append(Finding(WARNING, m.id, f"{when} (overlay {Path(p.overlay).name}) has no `checked` "
                           "date", "provenance", p.effective_from))
    if p.checked:
        try:
            to_datetime(p.checked, "checked", m.file)
        except PricingError:
            out.append(Finding(ERROR if p.overlay is None else WARNING, m.id,
                               f"{when}: checked {p.checked!r} is not a date", "provenance", p.effective_from))
    return out


def _check_aliases(book: PriceBook) -> list[Finding]:
    seen: dict[str, str] = {}
    out: list[Finding] = []
    for m in book.models.values():
        for n in [m.id, *m.aliases, *[str(pa.get("id")) for pa in m.platform_aliases]]:
            key = n.lower()
            if key in seen and seen[key] != m.id:
                out.append(Finding(ERROR, m.id, f"{n} also names {seen[key]}", "alias"))
            seen.setdefault(key, m.id)
    return out


def _gpt_at_least(model_id: str, major: int, minor: int) -> bool:
    m = _GPT_VERSION.match(model_id.lower())
    return m is not None and (int(m.group(1)), int(m.group(2) or 0)) >= (major, minor)


def _usd(v: Decimal) -> str:
    s = format(v.normalize(), "f")
    if "." not in s:
        s += ".00"
    elif len(s.split(".")[1]) < 2:
        s += "0"
    return "$" + s


def _cache_findings(m: Model, p: Period, model_note: str) -> list[Finding]:
    note = f"{p.note or ''} {model_note}"
    if "exception" in note.lower():
        return []
    severity = WARNING if _CACHE_WORDS.search(note) else ERROR
    sets: list[tuple[str, dict[str, Decimal]]] = [("", p.prices)]
    if p.long_context:
        sets.append(("long-context ", p.long_context))
    if m.provider in READ_BELOW_INPUT:
        sets += [(f"{t} tier ", prices) for t, prices in p.tiers.items()]
    out: list[Finding] = []
    when = f"period from {p.effective_from:%Y-%m-%d}"
    documented = " (the note mentions it but does not mark it an exception)" if severity == WARNING else ""

    def add(message: str, comp: str, value: Decimal | None, expected: Decimal | None) -> None:
        out.append(Finding(severity, m.id, f"{when}: {message}{documented}", "cache-rule", p.effective_from,
                           {"component": comp, "price_usd_per_mtok": value, "expected_usd_per_mtok": expected}))

    for label, prices in sets:
        base = prices.get("input")
        if base is None or base == 0:
            continue
        if m.provider == "anthropic":
            for comp, factor in ANTHROPIC_CACHE.items():
                expected = base * factor
                value = prices.get(comp)
                if value is None:
                    if not label:  # long-context components left out scale from the standard ones
                        add(f"no {comp} price (Anthropic: {factor} × input = {_usd(expected)})",
                            comp, None, expected)
                elif abs(value - expected) > expected * TOLERANCE:
                    add(f"{label}{comp} {_usd(value)} is {value / base:.4g} × input {_usd(base)}; "
                        f"Anthropic's rule is {factor} × = {_usd(expected)}", comp, value, expected)
        elif m.provider in READ_BELOW_INPUT:
            read = prices.get("cache_read")
            if read is not None and read >= base:
                add(f"{label}cache_read {_usd(read)} is not below input {_usd(base)}", "cache_read",
                    read, None)
            allowed = m.provider == "openai" and _gpt_at_least(m.id, 5, 6)
            for comp in ("cache_write_5m", "cache_write_1h"):
                value = prices.get(comp)
                if value is not None and value > base and not allowed:
                    add(f"{label}{comp} {_usd(value)} is above input {_usd(base)} "
                        f"({m.provider} has no cache-write premium before gpt-5.6)", comp, value, base)
    return out


def _long_context_findings(m: Model, p: Period) -> list[Finding]:
    out: list[Finding] = []
    when = f"period from {p.effective_from:%Y-%m-%d}"
    if p.long_context_threshold is None:
        return out
    if p.long_context_threshold <= 0:
        out.append(Finding(ERROR, m.id, f"{when}: long_context threshold {p.long_context_threshold} "
                           "must be > 0", "long-context", p.effective_from))
    if not p.long_context and not p.long_context_tiers:
        out.append(Finding(WARNING, m.id, f"{when}: long_context has a threshold but no prices",
                           "long-context", p.effective_from))
    std = filled(p.prices)
    for comp, value in p.long_context.items():
        if comp in std and value < std[comp]:
            out.append(Finding(ERROR, m.id, f"{when}: long-context {comp} {_usd(value)} is below the "
                               f"standard {_usd(std[comp])}", "long-context", p.effective_from,
                               {"component": comp, "price_usd_per_mtok": value,
                                "standard_usd_per_mtok": std[comp]}))
    return out


def _tier_findings(m: Model, p: Period) -> list[Finding]:
    out: list[Finding] = []
    when = f"period from {p.effective_from:%Y-%m-%d}"
    for tier, prices in p.tiers.items():
        for comp, value in prices.items():
            std = p.prices.get(comp)
            if std is None:
                continue
            if (tier == "priority" and value < std) or (tier in ("batch", "flex") and value > std):
                word = "below" if tier == "priority" else "above"
                out.append(Finding(WARNING, m.id, f"{when}: {tier} {comp} {_usd(value)} is {word} the "
                                   f"standard {_usd(std)}", "tier", p.effective_from))
    op = p.off_peak
    if op is not None:
        if op.multiplier is not None and op.multiplier > 1:
            out.append(Finding(WARNING, m.id, f"{when}: off-peak multiplier {op.multiplier} makes "
                               "off-peak dearer", "off-peak", p.effective_from))
        if not op.windows:
            out.append(Finding(WARNING, m.id, f"{when}: off_peak has no time windows", "off-peak",
                               p.effective_from))
    return out


def check_book(book: PriceBook) -> list[Finding]:
    """Everything that loads but looks wrong (rules in the module docstring), errors first."""
    notes, findings = _model_notes(book)
    findings += _check_aliases(book)
    for m in sorted(book.models.values(), key=lambda m: (m.provider, m.id)):
        findings += _check_periods(m)
        for p in m.periods:
            findings += _check_provenance(m, p)
            findings += _cache_findings(m, p, notes.get(m.id, ""))
            findings += _long_context_findings(m, p)
            findings += _tier_findings(m, p)
    return sorted(findings, key=lambda f: (f.severity != ERROR,))


# ---------------------------------------------------------------- diff_book

def _terms(p: Period) -> dict[str, Any]:
    op = p.off_peak
    return {
        "long context": (p.long_context_threshold, sorted(p.long_context.items()),
                         sorted((t, sorted(v.items())) for t, v in p.long_context_tiers.items())),
        "service tiers": sorted((t, sorted(v.items())) for t, v in p.tiers.items()),
        "off-peak": None if op is None else (op.mode, op.windows, op.weekdays, op.multiplier,
                                             sorted(op.prices.items())),
        "other charges": sorted(p.other.items()),
    }


def diff_book(book: PriceBook, date_from: date | datetime, date_to: date | datetime,
              providers: Iterable[str] | None = None) -> list[PriceChange]:
    """Models whose prices in force differ between the two dates, with models added (no price at
    `date_from`) and withdrawn (no price at `date_to`). Negotiated discounts count."""
    wanted = {p.lower() for p in providers or []}
    out: list[PriceChange] = []
    for m in sorted(book.models.values(), key=lambda m: (m.provider, m.id)):
        if wanted and m.provider not in wanted:
            continue
        a, b = period_at(m, date_from), period_at(m, date_to)
        if a is None and b is None:
            continue
        fa, fb = discount_factor(book, m, date_from), discount_factor(book, m, date_to)
        before = {k: v * fa for k, v in filled(a.prices).items()} if a else {}
        after = {k: v * fb for k, v in filled(b.prices).items()} if b else {}
        if a is None or b is None:
            out.append(PriceChange(m.id, m.provider, "added" if a is None else "withdrawn", before, after,
                                   a.effective_from if a else None, b.effective_from if b else None))
            continue
        ta, tb = _terms(a), _terms(b)
        other = [name for name in ta if ta[name] != tb[name]]
        if fa != fb:
            other.append("discount")
        if before != after or other:
            out.append(PriceChange(m.id, m.provider, "changed", before, after, a.effective_from,
                                   b.effective_from, other))
    return out


# ---------------------------------------------------------------- compare_with_litellm

def _litellm_match(m: Model, index: Mapping[str, tuple[str, Mapping[str, Any]]]
                   ) -> tuple[str, Mapping[str, Any]] | None:
    """The LiteLLM key for a book model: its id or an alias, bare or with a provider prefix
    (`gemini/`, `deepseek/`, `bedrock/` …), preferring the provider's own platform."""
    from llmcost.pricing.litellm import KEY_PREFIXES, SAME_PRICE_PLATFORMS

    platforms = SAME_PRICE_PLATFORMS.get(m.provider, (m.provider,))
    best: tuple[tuple[int, int, int], tuple[str, Mapping[str, Any]]] | None = None
    for i, name in enumerate([m.id, *m.aliases]):
        for j, prefix in enumerate(KEY_PREFIXES):
            hit = index.get((prefix + name).lower())
            if hit is None:
                continue
            lp = str(hit[1].get("litellm_provider") or "").lower()
            rank = (platforms.index(lp) if lp in platforms else len(platforms), i, j)
            if best is None or rank < best[0]:
                best = (rank, hit)
    return best[1] if best else None


def compare_with_litellm(book: PriceBook, litellm_json: str | Path | Mapping[str, Any],
                         at: date | datetime | None = None) -> list[Finding]:
    """Where the book's period in force at `at` (default: the LiteLLM file's `last_updated`
    date, else 2026-07-24, the snapshot in shared/reference) disagrees with LiteLLM by more than
    0.5 %, on every price LiteLLM lists: the standard input, output, cache read and 5m/1h cache
    writes; the batch, flex and priority tiers (`*_batches`, `*_flex`, `*_priority`); the long
    context threshold and the prices above it (`*_above_{N}k_tokens`, and their priority tier).
    The book's side is what the engine bills (`engine.price_set`: explicit tier prices, else the
    standard price × the provider's tier multiplier), so a tier the book prices by a multiplier is
    compared too; a tier or long-context band LiteLLM lists and the book does not bill is reported
    as such. A component LiteLLM does not list (nor a write price of 0, LiteLLM's "no separate
    write charge") is not compared. Findings are warnings with code `litellm`: LiteLLM has known
    data bugs, the book's notes say where it departs on purpose, and they never fail a check."""
    from llmcost.pricing.litellm import is_priced_text_model, read_litellm, snapshot_date

    doc = read_litellm(litellm_json)
    if at is None:
        stamp = snapshot_date(doc, None)
        at = datetime.fromisoformat(stamp) if stamp else LITELLM_SNAPSHOT
    index = {str(k).lower(): (str(k), v) for k, v in doc.items() if is_priced_text_model(str(k), v) is None}
    out: list[Finding] = []
    for m in sorted(book.models.values(), key=lambda m: (m.provider, m.id)):
        p = period_at(m, at)
        match = _litellm_match(m, index)
        if p is None or match is None:
            continue
        out += _compare_entry(book, m, p, at, *match)
    return out


def _litellm_bands(entry: Mapping[str, Any]) -> list[tuple[str, bool, dict[str, Decimal], int | None]]:
    """LiteLLM's prices of one key by (tier, above-threshold): [(tier, long_context, prices,
    threshold)], the standard band first."""
    from llmcost.pricing.litellm import _ABOVE, _with_suffix, mtok, standard_prices

    bands: list[tuple[str, bool, dict[str, Decimal], int | None]] = [("standard", False, standard_prices(entry), None)]
    for tier, suffix in (("batch", "_batches"), ("flex", "_flex"), ("priority", "_priority")):
        prices = _with_suffix(entry, "", suffix)
        if prices:
            bands.append((tier, False, prices, None))
    thresholds = sorted({int(g.group(1)) for k in entry if (g := _ABOVE.match(str(k)))})
    usable = [t for t in thresholds if mtok(entry.get(f"input_cost_per_token_above_{t}k_tokens")) is not None]
    if usable:
        t = usable[0]
        for tier, suffix in (("standard", ""), ("batch", "_batches"), ("flex", "_flex"), ("priority", "_priority")):
            prices = _with_suffix(entry, f"_above_{t}k_tokens", suffix)
            if tier != "standard":
                prices.pop("cache_write_1h", None)
            if prices:
                bands.append((tier, True, prices, t * 1000))
    return bands


def _compare_entry(book: PriceBook, m: Model, p: Period, at: date | datetime, key: str,
                   entry: Mapping[str, Any]) -> list[Finding]:
    from llmcost.pricing.engine import Segment, price_set

    out: list[Finding] = []
    seg = Segment(m, p, p.effective_from, p.effective_to, Decimal(1), latest=False)

    def band_name(tier: str, lc: bool) -> str:
        words = ([] if tier == "standard" else [tier]) + (["long-context"] if lc else [])
        return " ".join(words)

    for tier, lc, theirs, threshold in _litellm_bands(entry):
        name = band_name(tier, lc)
        label = f"{name} " if name else ""
        base = {"tier": tier, "long_context": lc, "litellm_key": key}
        if lc:
            if p.long_context_threshold is None:
                out.append(Finding(WARNING, m.id, f"{label}prices: the book has no long-context tier; LiteLLM "
                                   f"bills above {threshold:,} tokens at input {_usd(theirs.get('input', Decimal(0)))} "
                                   f"[{key}]", "litellm", p.effective_from, {**base, "component": "threshold",
                                                                             "litellm_threshold": threshold}))
                break  # one finding for the whole missing band
            if tier == "standard" and threshold != p.long_context_threshold:
                out.append(Finding(WARNING, m.id, f"long-context threshold: book {p.long_context_threshold:,} vs "
                                   f"LiteLLM {threshold:,} tokens [{key}]", "litellm", p.effective_from,
                                   {**base, "component": "threshold", "book_threshold": p.long_context_threshold,
                                    "litellm_threshold": threshold}))
        ours, tier_ok = price_set(book, seg, tier, lc, False)
        if not tier_ok:
            out.append(Finding(WARNING, m.id, f"{label}tier: the book has no {tier} price (calls bill as "
                               f"standard); LiteLLM lists input {_usd(theirs.get('input', Decimal(0)))} [{key}]",
                               "litellm", p.effective_from, {**base, "component": "tier"}))
            continue
        explicit = p.prices if (tier == "standard" and not lc) else None
        for comp in TOKEN_PRICES:
            if comp not in theirs or comp not in ours:
                continue
            mine, other = ours[comp], theirs[comp]
            if (mine == 0 and other != 0) or (mine != 0 and abs(mine - other) / mine > TOLERANCE):
                pct = None if mine == 0 else float((other - mine) / mine * 100)
                shown = "" if pct is None else f" ({pct:+.1f} %)"
                note = ""
                if explicit is not None and comp not in explicit:
                    note = " (not in the book: billed as input)" if comp != "cache_write_1h" \
                        else " (not in the book: billed as the 5m write)"
                out.append(Finding(
                    WARNING, m.id, f"{label}{comp}: book {_usd(mine)}{note} vs LiteLLM {_usd(other)}{shown} "
                    f"[{key}]", "litellm", p.effective_from,
                    {**base, "component": comp, "book_usd_per_mtok": mine, "litellm_usd_per_mtok": other,
                     "difference_pct": pct}))
    return out


# ---------------------------------------------------------------- listings

@dataclass
class ModelRow:
    model: Model
    period: Period | None  # in force at the date asked, else the nearest one
    status: str  # "current" | "upcoming" | "withdrawn"


def model_rows(book: PriceBook, at: date | datetime, providers: Iterable[str] | None = None) -> list[ModelRow]:
    """One row per model with the period in force at `at` (`pricing list`)."""
    wanted = {p.lower() for p in providers or []}
    t = as_datetime(at)
    rows = []
    for m in sorted(book.models.values(), key=lambda m: (m.provider, m.family, m.released or date.min, m.id)):
        if wanted and m.provider not in wanted:
            continue
        p = period_at(m, t)
        if p is not None:
            rows.append(ModelRow(m, p, "current"))
        elif m.periods[0].effective_from > t:
            rows.append(ModelRow(m, m.periods[0], "upcoming"))
        else:
            rows.append(ModelRow(m, m.periods[-1], "withdrawn"))
    return rows


@dataclass
class ModelView:
    model: Model
    query: str
    multiplier: Decimal  # a platform alias prices every component × this
    platform: str | None
    service_tiers: dict[str, Decimal | None]
    discounts: list[Any]


def find_model(book: PriceBook, name: str) -> ModelView:
    """The model any id or alias names (`pricing show`); a PricingError with close names else."""
    resolved = book.resolve(name)
    if resolved is None:
        import difflib

        names = sorted({n for m in book.models.values() for n in (m.id, *m.aliases)})
        close = difflib.get_close_matches(name, names, n=4, cutoff=0.6)
        raise PricingError(f"{name} is not in the price book.",
                           ("Did you mean: " + ", ".join(close) + "? " if close else "")
                           + "`llmcost pricing list` shows the models; add one with --pricing (see "
                           "docs/pricing-format.md).")
    m = book.models[resolved[0]]
    provider = book.providers.get(m.provider)
    discounts = [d for d in book.discounts
                 if (d.model in (m.id, *m.aliases) if d.model else d.provider == m.provider)]
    return ModelView(m, name, resolved[1], resolved[2],
                     dict(provider.service_tiers) if provider else {}, discounts)


@dataclass
class CheckReport:
    findings: list[Finding]
    models_checked: int
    files: list[str]
    against: str | None
    compared_at: datetime | None

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        """Warnings about the book itself: disagreements with an outside table (`--against`,
        code `litellm`) are reported, never counted here, so `--strict` does not fail on them."""
        return sum(f.severity == WARNING and f.code != "litellm" for f in self.findings)


def run_check(overlays: list[str] | None = None, directory: Path | None = None,
              against: str | Path | None = None, at: date | datetime | None = None) -> CheckReport:
    """`llmcost pricing check`: load the book (a schema problem becomes an error finding rather
    than a crash), lint it, and compare it with a LiteLLM table when one is given."""
    try:
        book = load_book(overlays, directory)
    except PricingError as e:
        return CheckReport([Finding(ERROR, None, e.message + (f" {e.hint}" if e.hint else ""), "schema")],
                           0, [], str(against) if against else None, None)
    findings = check_book(book)
    compared_at = None
    if against is not None:
        from llmcost.pricing.litellm import read_litellm, snapshot_date

        doc = read_litellm(against)
        stamp = snapshot_date(doc, against)
        compared_at = as_datetime(at) if at else datetime.fromisoformat(stamp) if stamp else LITELLM_SNAPSHOT
        findings += compare_with_litellm(book, doc, compared_at)
    return CheckReport(findings, len(book.models), book.files, str(against) if against else None, compared_at)
