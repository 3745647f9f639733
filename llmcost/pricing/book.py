"""The price book: dated prices read from `pricing/<provider>.yaml` (shipped inside the wheel as
`llmcost/_data/pricing/`), plus user overlays (`--pricing FILE`). Format: docs/pricing-format.md.

Prices are data, never code: a change is a new period, and a call is priced by the period in force
at its time. This module only reads, checks and resolves; `llmcost.pricing.engine` turns the book
into DuckDB tables and prices calls in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from llmcost.errors import PricingError
from llmcost.yaml_schema import (
    Anything,
    Bool,
    Date,
    Dict,
    Enum,
    List,
    Map,
    Num,
    Spec,
    Str,
    as_number,
    parse_date,
    read_yaml,
    validate,
)

TOKEN_PRICES = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
TIERS = ("standard", "batch", "flex", "priority")
DOCS = "docs/pricing-format.md"

# ---------------------------------------------------------------- the schema of a price file
# Checked by `llmcost.yaml_schema.validate` before anything is read (docs/pricing-format.md). The
# bounds keep every price far inside the engine's DECIMAL(18,9) after tier and geo multipliers.

MAX_PRICE = 1_000_000  # USD per million tokens ($1 a token): no real price comes near it
MAX_MULTIPLIER = 100
MAX_TOKENS = 1_000_000_000
MULTIPLIER_COLUMNS = ("inference_geo", "speed")

_PRICE = Num("a price in USD per million tokens", 0, MAX_PRICE)
_MULT = Num("a multiplier", 0, MAX_MULTIPLIER)
_PRICES: dict[str, Spec] = dict.fromkeys(TOKEN_PRICES, _PRICE)
_TIER_PRICES = Dict(Map(_PRICES, what="a mapping of prices (input, output, cache_read, …)"),
                    what="a mapping of service tiers (batch, flex, priority) to prices",
                    keys=("batch", "flex", "priority"))
_HHMM = r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00"
_WINDOWS = List(Str("a window 'HH:MM-HH:MM' in UTC", pattern=f"(?:{_HHMM})-(?:{_HHMM})"),
                what="a list of windows 'HH:MM-HH:MM' in UTC")
_LONG_CONTEXT = Map({"threshold": Num("a whole number of input tokens", 1, MAX_TOKENS, integer=True),
                     **_PRICES, "tiers": _TIER_PRICES},
                    what="a mapping with a threshold and prices", required=("threshold",))
_OFF_PEAK = Map({"multiplier": _MULT, **_PRICES, "windows_utc": _WINDOWS, "peak_windows_utc": _WINDOWS,
                 "weekdays": List(Num("a weekday (1 = Monday)", 1, 7, integer=True),
                                  what="a list of weekdays (1 = Monday … 7 = Sunday)"),
                 "weekdays_only": Bool(), "peak_excludes_holidays": Str()},
                what="a mapping with windows and a multiplier or prices",
                at_least_one=(("windows_utc", "peak_windows_utc"), ("multiplier", *TOKEN_PRICES)))
_PERIOD = Map({"effective_from": Date(), "effective_to": Date(), **_PRICES,
               "long_context": _LONG_CONTEXT, "tiers": _TIER_PRICES, "off_peak": _OFF_PEAK,
               "other": Dict(Num("a charge in USD per unit", 0, MAX_PRICE),
                             what="a mapping of non-token charges (web_search_per_1k: USD)"),
               "source": Str("text (the URL the price came from)"), "checked": Date(),
               "note": Str(nonempty=False)},
              what="a mapping (a price period)", required=("effective_from", "input", "output"))
_COLUMN_MULTIPLIERS = Dict(Dict(_MULT, what="a mapping of column values to multipliers"),
                           what="a mapping of columns (inference_geo, speed) to multipliers",
                           keys=MULTIPLIER_COLUMNS)
_MODEL = Map({"id": Str("a model id"), "provider": Str("a provider key"), "name": Str(), "family": Str(),
              "released": Date(), "note": Str(nonempty=False),
              "retired": Date(), "reasoning": Bool(),
              "aliases": List(Str("a model name"), what="a list of model names"),
              "platform_aliases": List(Map({"id": Str("a model name"), "platform": Str(), "multiplier": _MULT,
                                            "note": Str(nonempty=False)},
                                           what="a mapping with id, platform, multiplier", required=("id",)),
                                       what="a list of platform aliases", label="id"),
              "min_cacheable_tokens": Num("a whole number of tokens", 0, MAX_TOKENS, integer=True),
              "cache": Map({"mode": Enum(choices=("explicit", "automatic", "implicit")),
                            "step": Num("a whole number of tokens", 1, MAX_TOKENS, integer=True)},
                           what="a mapping with mode and step"),
              "multipliers": List(Enum(choices=MULTIPLIER_COLUMNS), what="a list of columns (inference_geo, speed)"),
              "model_multipliers": _COLUMN_MULTIPLIERS,
              "periods": List(_PERIOD, what="a list of price periods", min_len=1)},
             what="a mapping (a model)", required=("id", "periods"))
_OVERRIDE = _PERIOD.extend({"model": Str("a model id of the price book")}, what="a mapping (an override)",
                           required=("model", "effective_from", "input", "output"))
_DISCOUNT = Map({"percent": Num("a percentage", 0, 100), "provider": Str("a provider key"),
                 "model": Str("a model id or alias"), "from": Date(), "to": Date()},
                what="a mapping (a discount)", required=("percent",), at_least_one=(("provider", "model"),))


def price_file_schema(overlay: bool) -> Map:
    """The schema of one price file: a book file (`pricing/*.yaml`) needs `family` and `released`
    on every model and `source` and `checked` on every period; an overlay does not."""
    period = _PERIOD if overlay else _PERIOD.extend(
        required=("effective_from", "input", "output", "source", "checked"))
    model = _MODEL.extend({"periods": List(period, what="a list of price periods", min_len=1)},
                          required=_MODEL.required if overlay else ("id", "family", "released", "periods"))
    return Map({"provider": Str("a provider key"), "name": Str(),
                "service_tiers": Dict(_MULT, what="a mapping of service tiers (batch, flex, priority) to "
                                      "multipliers", keys=("batch", "flex", "priority"), nullable=True),
                "multipliers": _COLUMN_MULTIPLIERS,
                "models": List(model, what="a list of models", label="id"),
                "overrides": List(_OVERRIDE, what="a list of overrides", label="model"),
                "discounts": List(_DISCOUNT, what="a list of discounts"),
                "imported_from": Anything()},
               what="a mapping with models:, overrides: or discounts:")


_SCHEMAS = {False: price_file_schema(False), True: price_file_schema(True)}


def book_dir() -> Path:
    """Where the shipped price book lives: inside the installed package, else the source tree."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "pricing"
    if packaged.is_dir():
        return packaged
    return here.parent / "pricing"


@dataclass
class OffPeak:
    """A cheaper time window. `mode` `offpeak` lists the cheap windows; `peak` lists the dear
    ones (on `weekdays`, ISO 1=Mon), every other time being off-peak."""

    mode: str
    windows: list[tuple[int, int]]  # minutes of the UTC day, [start, end), may wrap midnight
    weekdays: list[int] | None
    multiplier: Decimal | None
    prices: dict[str, Decimal]


@dataclass
class Period:
    effective_from: datetime
    effective_to: datetime | None
    prices: dict[str, Decimal]  # $/MTok: input, output, cache_read, cache_write_5m/1h
    long_context_threshold: int | None
    long_context: dict[str, Decimal]
    long_context_tiers: dict[str, dict[str, Decimal]]
    tiers: dict[str, dict[str, Decimal]]
    off_peak: OffPeak | None
    other: dict[str, Decimal]
    source: str
    checked: str
    note: str | None = None
    overlay: str | None = None  # file of the overlay that made this period, if any


@dataclass
class Model:
    id: str
    provider: str
    name: str
    family: str
    released: date | None
    aliases: list[str]
    platform_aliases: list[dict[str, Any]]
    min_cacheable_tokens: int | None
    cache_mode: str | None
    cache_step: int | None
    multiplier_columns: list[str]
    model_multipliers: dict[str, dict[str, Decimal]]
    periods: list[Period]
    file: str
    # the provider's retirement date (requests fail from then on): never a route target
    retired: date | None = None
    # a reasoning model (thinking tokens billed as output): not a route target for a task that
    # does not reason, unless llmcost.yaml names it
    reasoning: bool = False


@dataclass
class Provider:
    key: str
    name: str
    service_tiers: dict[str, Decimal | None]
    multipliers: dict[str, dict[str, Decimal]]
    file: str


@dataclass
class Discount:
    """A negotiated discount: `percent` off every token price from a date, for a provider or a
    model (an overlay's `discounts:`)."""

    percent: Decimal
    provider: str | None
    model: str | None
    effective_from: datetime | None
    effective_to: datetime | None
    file: str


@dataclass
class PriceBook:
    providers: dict[str, Provider] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    discounts: list[Discount] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    overlays: list[str] = field(default_factory=list)  # the --pricing files among `files`

    def alias_index(self) -> dict[str, tuple[str, Decimal, str | None]]:
        """lower-case id -> (model id, price multiplier, platform note)."""
        index: dict[str, tuple[str, Decimal, str | None]] = {}
        for m in self.models.values():
            index[m.id.lower()] = (m.id, Decimal(1), None)
            for a in m.aliases:
                index[str(a).lower()] = (m.id, Decimal(1), None)
            for pa in m.platform_aliases:
                multiplier = pa.get("multiplier")
                index[str(pa["id"]).lower()] = (
                    m.id, dec(1 if multiplier is None else multiplier, "multiplier", m.file),
                    pa.get("note") or pa.get("platform"))
        return index

    def resolve(self, name: str | None) -> tuple[str, Decimal, str | None] | None:
        """The model a logged name means: exact id or alias first (a dated snapshot with its own
        price keeps it), then with provider prefixes (`openai/`), date suffixes (`-20250929`,
        `-2024-08-06`, `@20250929`), Bedrock version tails (`-v1:0`) and `-latest` taken off."""
        if not name:
            return None
        index = self.alias_index()
        for candidate in name_candidates(name):
            if candidate in index:
                return index[candidate]
        return None

    def latest_in_family(self, provider: str, family: str) -> Model | None:
        found = [m for m in self.models.values() if m.provider == provider and m.family == family]
        if not found:
            return None
        return max(found, key=lambda m: (m.released or date.min, m.id))


_DATE_SUFFIX = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2}|@\d{8}|@\d{4}-\d{2}-\d{2}|@latest|-latest)$")
_BEDROCK_TAIL = re.compile(r"-v\d+(:\d+)?$")
# prefixes gateways and LiteLLM put before a model id (`openrouter/…`, `groq/…`, `together_ai/…`);
# the rest may itself be a host's id with a slash (`meta-llama/Llama-3.3-70B-Instruct-Turbo`)
_GATEWAY_PREFIX = re.compile(
    r"^(openrouter|together_ai|together|groq|fireworks_ai|fireworks|litellm_proxy|openai|anthropic|"
    r"gemini|vertex_ai|bedrock|bedrock_converse|azure|azure_ai|mistral|deepseek|zai|meta_llama)/")
_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")


def name_candidates(name: str) -> list[str]:
    """The names to look up for a logged model name, most specific first: the name itself, then
    without a gateway prefix (`openrouter/`, `groq/` …), then its last path segment, then without
    a Bedrock version tail and date suffixes; last, the same names with dotted versions written
    with hyphens (OpenRouter's `anthropic/claude-sonnet-4.5` is `claude-sonnet-4-5`). An exact id
    or alias therefore always wins over a stripped family name."""
    s = name.strip().lower()
    out = [s]
    while (t := _GATEWAY_PREFIX.sub("", s, count=1)) != s:
        out.append(t)
        s = t
    if "/" in s:
        s = s.rsplit("/", 1)[1]
        out.append(s)
    t = _BEDROCK_TAIL.sub("", s)
    if t != s:
        out.append(t)
        s = t
    for _ in range(2):
        t = _DATE_SUFFIX.sub("", s)
        if t != s:
            out.append(t)
            s = t
    dotted = [_DOTTED_VERSION.sub("-", c) for c in out if _DOTTED_VERSION.search(c)]
    out += [c for c in dotted if c not in out]
    return list(dict.fromkeys(out))


def dec(value: Any, what: str, where: str) -> Decimal:
    """A checked number as an exact Decimal (a PricingError for anything else, for callers that
    hold values the schema has not seen)."""
    d = as_number(value)
    if d is None or d < 0:
        raise PricingError(f"{where}: {what} must be a finite number ≥ 0, found {value!r}.",
                           "Prices are plain numbers in USD per million tokens.")
    return d


def to_datetime(value: Any, what: str, where: str) -> datetime:
    dt = parse_date(value)
    if dt is None:
        raise PricingError(f"{where}: {what} must be a date (2026-03-13) or time, found {value!r}.",
                           "Write dates as YYYY-MM-DD or ISO times with Z.")
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _windows(items: list[str] | None) -> list[tuple[int, int]]:
    """Checked 'HH:MM-HH:MM' windows as minutes of the UTC day."""
    def minutes(hhmm: str) -> int:
        h, m = hhmm.strip().split(":")
        return int(h) * 60 + int(m)

    return [(minutes(w.split("-", 1)[0]), minutes(w.split("-", 1)[1])) for w in items or []]


def _price_map(raw: dict[str, Any] | None, where: str) -> dict[str, Decimal]:
    return {k: dec(raw[k], k, where) for k in TOKEN_PRICES if raw.get(k) is not None} if raw else {}


def _period(raw: dict[str, Any], where: str, overlay: str | None) -> Period:
    """One price period (already checked against the schema)."""
    lc = raw.get("long_context")
    threshold = None
    lc_prices: dict[str, Decimal] = {}
    lc_tiers: dict[str, dict[str, Decimal]] = {}
    if lc:
        threshold = int(dec(lc["threshold"], "threshold", where))
        lc_prices = _price_map(lc, where + " long_context")
        lc_tiers = {t: _price_map(v, f"{where} long_context.tiers.{t}") for t, v in (lc.get("tiers") or {}).items()}
    op = raw.get("off_peak")
    off_peak = None
    if op:
        multiplier = dec(op["multiplier"], "multiplier", where) if op.get("multiplier") is not None else None
        if op.get("peak_windows_utc"):
            off_peak = OffPeak("peak", _windows(op["peak_windows_utc"]),
                               [int(d) for d in op.get("weekdays") or [1, 2, 3, 4, 5, 6, 7]],
                               multiplier, _price_map(op, where + " off_peak"))
        else:
            off_peak = OffPeak("offpeak", _windows(op.get("windows_utc")),
                               [1, 2, 3, 4, 5] if op.get("weekdays_only") else None,
                               multiplier, _price_map(op, where + " off_peak"))
    return Period(
        effective_from=to_datetime(raw["effective_from"], "effective_from", where),
        effective_to=to_datetime(raw["effective_to"], "effective_to", where)
        if raw.get("effective_to") is not None else None,
        prices=_price_map(raw, where),
        long_context_threshold=threshold,
        long_context=lc_prices,
        long_context_tiers=lc_tiers,
        tiers={t: _price_map(v, f"{where} tiers.{t}") for t, v in (raw.get("tiers") or {}).items()},
        off_peak=off_peak,
        other={str(k): dec(v, str(k), where) for k, v in (raw.get("other") or {}).items() if v is not None},
        source=str(raw.get("source") or f"overlay {overlay}"),
        checked=_date_text(raw.get("checked")),
        note=raw.get("note"),
        overlay=overlay,
    )


def _date_text(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value or "")


def _model(raw: dict[str, Any], provider: str, file: str, overlay: str | None) -> Model:
    """One model (already checked against the schema); its periods sorted and chained."""
    where = f"{file}: model {raw['id']}"
    periods = [_period(p, f"{where} period {i + 1}", overlay) for i, p in enumerate(raw["periods"])]
    periods.sort(key=lambda p: p.effective_from)
    # a period ends where the next begins
    for a, b in pairwise(periods):
        if a.effective_to is not None and a.effective_to > b.effective_from:
            raise PricingError(f"{where}: periods overlap ({a.effective_from:%Y-%m-%d} ends after "
                               f"{b.effective_from:%Y-%m-%d} starts).", "Periods must not overlap.")
        if a.effective_from == b.effective_from:
            raise PricingError(f"{where}: two periods start on {a.effective_from:%Y-%m-%d}.",
                               "Each period needs its own effective_from.")
        if a.effective_to is None:
            a.effective_to = b.effective_from
    cache = raw.get("cache") or {}
    released = raw.get("released")
    return Model(
        id=str(raw["id"]),
        provider=provider,
        name=str(raw.get("name") or raw["id"]),
        family=str(raw.get("family") or raw["id"]),
        released=to_datetime(released, "released", where).date() if released is not None else None,
        aliases=[str(a) for a in raw.get("aliases") or []],
        platform_aliases=[dict(pa) for pa in raw.get("platform_aliases") or []],
        min_cacheable_tokens=int(raw["min_cacheable_tokens"]) if raw.get("min_cacheable_tokens") else None,
        cache_mode=cache.get("mode"),
        cache_step=int(cache["step"]) if cache.get("step") else None,
        multiplier_columns=[str(c) for c in raw.get("multipliers") or []],
        model_multipliers=_column_multipliers(raw.get("model_multipliers"), where),
        periods=periods,
        file=file,
        retired=to_datetime(raw["retired"], "retired", where).date() if raw.get("retired") is not None else None,
        reasoning=bool(raw.get("reasoning")),
    )


def _column_multipliers(raw: dict[str, Any] | None, where: str) -> dict[str, dict[str, Decimal]]:
    return {str(k): {str(kk).lower(): dec(vv, str(k), where) for kk, vv in (v or {}).items()}
            for k, v in (raw or {}).items()}


def _add_file(book: PriceBook, path: Path, overlay: bool) -> None:
    """One price file: read safely, checked against the schema (one clear error naming the key),
    then added to the book."""
    shown = str(path) if overlay else path.name
    doc = read_yaml(path, shown, PricingError, DOCS, "Check the path given to --pricing.", _SCHEMAS[overlay])
    if doc is None:
        raise PricingError(f"{shown} is empty: it holds no price book mapping.", f"See {DOCS}.")
    validate(doc, _SCHEMAS[overlay], shown, PricingError, DOCS)
    name = path.name
    book.files.append(str(path))
    ov = str(path) if overlay else None
    provider_key = doc.get("provider")
    if provider_key:
        provider_key = str(provider_key).lower()
        prov = book.providers.get(provider_key)
        tiers = {str(k): (dec(v, str(k), name) if v is not None else None)
                 for k, v in (doc.get("service_tiers") or {}).items()}
        mults = _column_multipliers(doc.get("multipliers"), name)
        if prov is None:
            book.providers[provider_key] = Provider(provider_key, str(doc.get("name") or provider_key),
                                                    tiers, mults, name)
        else:
            prov.service_tiers.update(tiers)
            prov.multipliers.update(mults)
    for raw in doc.get("models") or []:
        prov_key = str(raw.get("provider") or provider_key or "")
        if not prov_key:
            raise PricingError(f"{shown}: models[{raw['id']}] has no provider.",
                               "Give the file a top-level `provider:` or the model a `provider:`.")
        model = _model(raw, prov_key.lower(), name, ov)
        if prov_key.lower() not in book.providers:
            book.providers[prov_key.lower()] = Provider(prov_key.lower(), prov_key, {}, {}, name)
        existing = book.models.get(model.id)
        if existing and overlay:
            _merge_overlay_model(existing, model, raw)
        else:
            book.models[model.id] = model
    for raw in doc.get("overrides") or []:
        mid = raw["model"]
        where = f"{shown}: overrides[{mid}]"
        if mid not in book.models:
            raise PricingError(f"{where}: model {mid!r} is not in the price book.",
                               "Add it under `models:` instead (with family and released).")
        _insert_period(book.models[mid], _period(raw, where, str(path)))
    for i, raw in enumerate(doc.get("discounts") or []):
        where = f"{shown}: discounts[{i}]"
        start = to_datetime(raw["from"], "from", where) if raw.get("from") is not None else None
        end = to_datetime(raw["to"], "to", where) if raw.get("to") is not None else None
        if start is not None and end is not None and end <= start:
            raise PricingError(f"{where}: `to` ({end:%Y-%m-%d}) is not after `from` ({start:%Y-%m-%d}).",
                               "`to` is exclusive: the first day the discount no longer applies.")
        book.discounts.append(Discount(
            dec(raw["percent"], "percent", where), str(raw["provider"]).lower() if raw.get("provider") else None,
            str(raw["model"]) if raw.get("model") else None, start, end, str(path)))


def _merge_overlay_model(existing: Model, new: Model, raw: dict[str, Any]) -> None:
    """An overlay model with an existing id adds its periods (replacing any from the same date)
    and extends its aliases."""
    for p in new.periods:
        _insert_period(existing, p)
    existing.aliases += [a for a in new.aliases if a not in existing.aliases]
    existing.platform_aliases += new.platform_aliases
    for key in ("family", "released", "min_cacheable_tokens", "retired", "reasoning"):
        if key in raw:
            setattr(existing, key, getattr(new, key))


def _insert_period(model: Model, period: Period) -> None:
    """A new period from a date: the earlier period ends there, later ones are kept."""
    periods = [p for p in model.periods if p.effective_from != period.effective_from]
    periods.append(period)
    periods.sort(key=lambda p: p.effective_from)
    for a, b in pairwise(periods):
        if a.effective_to is None or a.effective_to > b.effective_from:
            a.effective_to = b.effective_from
    model.periods = periods


def load_book(overlays: list[str] | None = None, directory: Path | None = None) -> PriceBook:
    """The shipped book, then each overlay on top, in order."""
    book = PriceBook()
    directory = directory or book_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise PricingError(f"No price book found in {directory}.",
                           "Reinstall llmcost; the price book ships inside the package.")
    for path in files:
        _add_file(book, path, overlay=False)
    for overlay in overlays or []:
        path = Path(overlay).expanduser()
        if not path.is_file():
            raise PricingError(f"--pricing {overlay}: no such file.",
                               "Give a YAML overlay (see docs/pricing-format.md).")
        _add_file(book, path, overlay=True)
        book.overlays.append(str(path))
    check_aliases(book)
    return book


def check_aliases(book: PriceBook) -> None:
    seen: dict[str, str] = {}
    for m in book.models.values():
        names = [m.id, *m.aliases, *[str(p["id"]) for p in m.platform_aliases]]
        for n in names:
            key = n.lower()
            if key in seen and seen[key] != m.id:
                raise PricingError(f"Price book: {n} names both {seen[key]} and {m.id}.",
                                   "An id or alias may name one model only.")
            seen[key] = m.id
