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
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import PricingError

TOKEN_PRICES = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
TIERS = ("standard", "batch", "flex", "priority")


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
                index[str(pa["id"]).lower()] = (
                    m.id, dec(pa.get("multiplier", 1), "multiplier", m.file),
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
    if isinstance(value, bool) or value is None:
        raise PricingError(f"{where}: {what} must be a number, found {value!r}.",
                           "Prices are plain numbers in USD per million tokens.")
    try:
        d = Decimal(str(value))
    except InvalidOperation as e:
        raise PricingError(f"{where}: {what} must be a number, found {value!r}.",
                           "Prices are plain numbers in USD per million tokens.") from e
    if not d.is_finite() or d < 0:
        raise PricingError(f"{where}: {what} must be a finite number ≥ 0, found {value!r}.",
                           "Prices are plain numbers in USD per million tokens.")
    return d


def to_datetime(value: Any, what: str, where: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt
    raise PricingError(f"{where}: {what} must be a date (2026-03-13) or time, found {value!r}.",
                       "Write dates as YYYY-MM-DD or ISO times with Z.")


def _minutes(hhmm: str, where: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", hhmm.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise PricingError(f"{where}: {hhmm!r} is not a time HH:MM.", "Windows are 'HH:MM-HH:MM' in UTC.")
    return int(m.group(1)) * 60 + int(m.group(2))


def _windows(items: Any, where: str) -> list[tuple[int, int]]:
    out = []
    for w in items or []:
        if not isinstance(w, str) or "-" not in w:
            raise PricingError(f"{where}: window {w!r} is not 'HH:MM-HH:MM'.", "Windows are in UTC.")
        a, b = w.split("-", 1)
        out.append((_minutes(a, where), _minutes(b, where)))
    return out


def _price_map(raw: Any, where: str, keys: tuple[str, ...] = TOKEN_PRICES) -> dict[str, Decimal]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PricingError(f"{where}: expected a mapping of prices.", "See docs/pricing-format.md.")
    return {k: dec(raw[k], k, where) for k in keys if k in raw and raw[k] is not None}


def _period(raw: dict[str, Any], where: str, overlay: str | None) -> Period:
    for key in ("effective_from", "input", "output"):
        if key not in raw:
            raise PricingError(f"{where}: a period needs `{key}`.", "See docs/pricing-format.md.")
    if overlay is None:
        for key in ("source", "checked"):
            if not raw.get(key):
                raise PricingError(f"{where}: every period needs `{key}`.",
                                   "Add the URL the price came from and the date it was checked.")
    lc = raw.get("long_context")
    threshold = None
    lc_prices: dict[str, Decimal] = {}
    lc_tiers: dict[str, dict[str, Decimal]] = {}
    if lc:
        if "threshold" not in lc:
            raise PricingError(f"{where}: long_context needs a `threshold`.", "See docs/pricing-format.md.")
        threshold = int(lc["threshold"])
        lc_prices = _price_map(lc, where + " long_context")
        lc_tiers = {t: _price_map(v, f"{where} long_context.tiers.{t}")
                    for t, v in (lc.get("tiers") or {}).items()}
    op = raw.get("off_peak")
    off_peak = None
    if op:
        if "peak_windows_utc" in op:
            off_peak = OffPeak("peak", _windows(op["peak_windows_utc"], where),
                               [int(d) for d in op.get("weekdays") or [1, 2, 3, 4, 5, 6, 7]],
                               dec(op["multiplier"], "multiplier", where) if "multiplier" in op else None,
                               _price_map(op, where + " off_peak"))
        else:
            off_peak = OffPeak("offpeak", _windows(op.get("windows_utc"), where),
                               [1, 2, 3, 4, 5] if op.get("weekdays_only") else None,
                               dec(op["multiplier"], "multiplier", where) if "multiplier" in op else None,
                               _price_map(op, where + " off_peak"))
        if off_peak.multiplier is None and not off_peak.prices:
            raise PricingError(f"{where}: off_peak needs a multiplier or prices.", "See docs/pricing-format.md.")
    other = {k: dec(v, k, where) for k, v in (raw.get("other") or {}).items()
             if isinstance(v, (int, float))}
    return Period(
        effective_from=to_datetime(raw["effective_from"], "effective_from", where),
        effective_to=to_datetime(raw["effective_to"], "effective_to", where)
        if raw.get("effective_to") else None,
        prices=_price_map(raw, where),
        long_context_threshold=threshold,
        long_context=lc_prices,
        long_context_tiers=lc_tiers,
        tiers={t: _price_map(v, f"{where} tiers.{t}") for t, v in (raw.get("tiers") or {}).items()},
        off_peak=off_peak,
        other=other,
        source=str(raw.get("source") or f"overlay {overlay}"),
        checked=str(raw.get("checked") or ""),
        note=raw.get("note"),
        overlay=overlay,
    )


def _load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            # the C loader when available (5x faster); both are safe loaders
            return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as e:
        raise PricingError(f"{path} cannot be read: {e.strerror}.", "Check the path given to --pricing.") from e
    except yaml.YAMLError as e:
        raise PricingError(f"{path} is not valid YAML: {str(e).splitlines()[0]}",
                           "See docs/pricing-format.md for the format, with examples.") from e


def _model(raw: dict[str, Any], provider: str, file: str, overlay: str | None) -> Model:
    where = f"{file}: model {raw.get('id', '?')}"
    if not raw.get("id"):
        raise PricingError(f"{file}: a model has no `id`.", "Every model needs id, family, released, periods.")
    required = ("periods",) if overlay else ("family", "released", "periods")
    for key in required:
        if key not in raw:
            raise PricingError(f"{where}: missing `{key}`.", "See docs/pricing-format.md.")
    periods = [_period(p, f"{where} period {i + 1}", overlay) for i, p in enumerate(raw["periods"] or [])]
    if not periods:
        raise PricingError(f"{where}: no periods.", "A model needs at least one dated period.")
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
        released=to_datetime(released, "released", where).date() if released else None,
        aliases=[str(a) for a in raw.get("aliases") or []],
        platform_aliases=list(raw.get("platform_aliases") or []),
        min_cacheable_tokens=int(raw["min_cacheable_tokens"]) if raw.get("min_cacheable_tokens") else None,
        cache_mode=cache.get("mode"),
        cache_step=int(cache["step"]) if cache.get("step") else None,
        multiplier_columns=[str(c) for c in raw.get("multipliers") or []],
        model_multipliers={k: {str(kk).lower(): dec(vv, k, where) for kk, vv in v.items()}
                           for k, v in (raw.get("model_multipliers") or {}).items()},
        periods=periods,
        file=file,
    )


def _add_file(book: PriceBook, path: Path, overlay: bool) -> None:
    doc = _load_yaml(path)
    name = path.name
    if not isinstance(doc, dict):
        raise PricingError(f"{path} holds no price book mapping.", "See docs/pricing-format.md.")
    book.files.append(str(path))
    ov = str(path) if overlay else None
    provider_key = doc.get("provider")
    if provider_key:
        provider_key = str(provider_key).lower()
        prov = book.providers.get(provider_key)
        tiers = {str(k): (dec(v, k, name) if v is not None else None)
                 for k, v in (doc.get("service_tiers") or {}).items()}
        mults = {str(k): {str(kk).lower(): dec(vv, k, name) for kk, vv in v.items()}
                 for k, v in (doc.get("multipliers") or {}).items()}
        if prov is None:
            book.providers[provider_key] = Provider(provider_key, str(doc.get("name") or provider_key),
                                                    tiers, mults, name)
        else:
            prov.service_tiers.update(tiers)
            prov.multipliers.update(mults)
    for raw in doc.get("models") or []:
        if not isinstance(raw, dict):
            raise PricingError(f"{path}: a model entry is not a mapping.", "See docs/pricing-format.md.")
        prov_key = str(raw.get("provider") or provider_key or "")
        if not prov_key:
            raise PricingError(f"{path}: model {raw.get('id')} has no provider.",
                               "Give the file a top-level `provider:` or the model a `provider:`.")
        model = _model(raw, prov_key.lower(), name, ov)
        if prov_key.lower() not in book.providers:
            book.providers[prov_key.lower()] = Provider(prov_key.lower(), prov_key, {}, {}, name)
        existing = book.models.get(model.id)
        if existing and overlay:
            _merge_overlay_model(existing, model, raw)
        else:
            book.models[model.id] = model
    for i, raw in enumerate(doc.get("overrides") or []):
        where = f"{path}: overrides[{i}]"
        mid = raw.get("model")
        if mid not in book.models:
            raise PricingError(f"{where}: model {mid!r} is not in the price book.",
                               "Add it under `models:` instead (with family and released).")
        period = _period(raw, where, str(path))
        _insert_period(book.models[mid], period)
    for i, raw in enumerate(doc.get("discounts") or []):
        where = f"{path}: discounts[{i}]"
        if "percent" not in raw or not (raw.get("provider") or raw.get("model")):
            raise PricingError(f"{where}: a discount needs `percent` and a `provider` or `model`.",
                               "For example: discounts: [{provider: anthropic, percent: 20, from: 2026-01-01}]")
        pct = dec(raw["percent"], "percent", where)
        if pct > 100:
            raise PricingError(f"{where}: percent {pct} is over 100.", "Write 20 for 20 % off.")
        book.discounts.append(Discount(
            pct, str(raw["provider"]).lower() if raw.get("provider") else None,
            str(raw["model"]) if raw.get("model") else None,
            to_datetime(raw["from"], "from", where) if raw.get("from") else None,
            to_datetime(raw["to"], "to", where) if raw.get("to") else None, str(path)))


def _merge_overlay_model(existing: Model, new: Model, raw: dict[str, Any]) -> None:
    """An overlay model with an existing id adds its periods (replacing any from the same date)
    and extends its aliases."""
    for p in new.periods:
        _insert_period(existing, p)
    existing.aliases += [a for a in new.aliases if a not in existing.aliases]
    existing.platform_aliases += new.platform_aliases
    for key in ("family", "released", "min_cacheable_tokens"):
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
