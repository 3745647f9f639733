"""Import LiteLLM's price table (`model_prices_and_context_window.json`) as a price overlay in our
format (docs/pricing-format.md), for `llmcost pricing import-litellm` and `--pricing`.

LiteLLM prices are USD per TOKEN; ours are USD per million tokens: every value is multiplied by
1e6 exactly (the JSON is read with `Decimal` numbers, so 3e-06 becomes 3, never 2.9999999).

Which LiteLLM keys are read:
- prices within the book's bound only: a key with any per-token price above $1,000,000 per
  million tokens (`book.MAX_PRICE`; LiteLLM data errors such as 1e300) is skipped with that reason.
- text-generation modes only: `chat`, `responses` (OpenAI's o1-pro, gpt-5-pro, codex… live only
  there) and `completion`; embeddings, images, audio, rerank, keys without a mode and the
  `sample_spec` row are skipped, and so is any key without both `input_cost_per_token` and
  `output_cost_per_token`.
- components: `input_cost_per_token` -> input, `output_cost_per_token` -> output,
  `cache_read_input_token_cost` (or DeepSeek's `input_cost_per_token_cache_hit`) -> cache_read,
  `cache_creation_input_token_cost` -> cache_write_5m, `cache_creation_input_token_cost_above_1hr`
  -> cache_write_1h (LiteLLM's name, but it is the 1-hour-TTL write price); a write price of 0
  (LiteLLM's "no separate write charge", DeepSeek) is left out, so such writes bill as input;
  `*_above_{N}k_tokens` -> `long_context` with `threshold: N*1000` (LiteLLM bills the whole
  request above the threshold, as we do; when a key has several thresholds the lowest is kept and
  the note says so); `*_batches` / `*_flex` / `*_priority` -> `tiers.batch|flex|priority`, and
  `*_above_{N}k_tokens_priority` -> `long_context.tiers.priority`. Non-token charges (per image,
  per second, web search per query), reasoning-token prices and regional uplifts are not imported.
- provider: `litellm_provider` mapped to our provider keys (`gemini` and
  `vertex_ai-language-models` -> google, `zai` -> zhipu, …), else LiteLLM's own name.
- every period: `effective_from` as given, `source` = the LiteLLM file URL, `checked` = the
  file's `last_updated` date (else a YYYY-MM-DD in the file name, else `effective_from`), and a
  `note` naming the LiteLLM key.

How keys meet the shipped book (so that the overlay always loads next to it, without two names for
one model):
1. A key that resolves (`PriceBook.resolve`: exact id or alias, then without provider prefix,
   date suffix, Bedrock version tail) to a book model at a multiplier of 1, and whose
   `litellm_provider` is a platform the book prices that model on (`SAME_PRICE_PLATFORMS`: the
   provider itself, plus Bedrock/Vertex for Claude, Bedrock/Together for Llama…), becomes an
   `overrides:` entry keyed by OUR model id: a new period from `effective_from`. When several keys
   resolve to one model, one wins: the provider's own platform first, then the key equal to the
   model id, then an alias, then the shortest key; the others are counted as skipped. A model the
   book withdraws on or before `effective_from` is left alone; one withdrawn later keeps its
   withdrawal time (`effective_to`).
2. A key that resolves to a platform alias with a multiplier (Bedrock `us.` cross-region +10 %)
   is skipped: the book already prices it from the model's own price.
3. Every other key (unknown to the book, or the same model sold by another platform at its own
   price, such as `azure/gpt-4o` or `openrouter/…`) becomes a new model whose id is the LiteLLM
   key itself. Such an id is never an id or alias of the book (rule 1 or 2 would have caught
   it), and keys differing only in case are kept once, so no alias can collide.

`import_litellm` returns the overlay as a dict (plus an `imported_from` summary that the loader
ignores); `overlay_yaml` / `write_overlay` turn it into the YAML file for `--pricing`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import PricingError
from llmcost.pricing.book import MAX_PRICE, PriceBook, load_book

LITELLM_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
TEXT_MODES = ("chat", "responses", "completion")

# LiteLLM `litellm_provider` -> our provider key (others keep LiteLLM's name)
PROVIDER_MAP = {
    "anthropic": "anthropic",
    "openai": "openai",
    "text-completion-openai": "openai",
    "gemini": "google",
    "vertex_ai-language-models": "google",
    "vertex_ai-text-models": "google",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "codestral": "mistral",
    "text-completion-codestral": "mistral",
    "zai": "zhipu",
    "meta_llama": "meta",
    "groq": "groq",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "openrouter": "openrouter",
}

# For each of our providers, the LiteLLM platforms whose keys price the book's models at the
# book's price (best first). A key from any other platform is that platform's own product.
SAME_PRICE_PLATFORMS: dict[str, tuple[str, ...]] = {
    "anthropic": ("anthropic", "vertex_ai-anthropic_models", "bedrock", "bedrock_converse"),
    "openai": ("openai", "text-completion-openai"),
    "google": ("gemini", "vertex_ai-language-models", "vertex_ai-text-models"),
    "deepseek": ("deepseek",),
    "mistral": ("mistral", "codestral", "text-completion-codestral"),
    "meta": ("bedrock", "bedrock_converse", "meta_llama"),
    "zhipu": ("zai",),
    "amazon": ("bedrock_converse", "bedrock"),
    "together": ("together_ai",),
    "groq": ("groq",),
    "fireworks": ("fireworks_ai",),
    "openrouter": ("openrouter",),
}

# prefixes LiteLLM puts before a provider's own model names (used to find book models in LiteLLM)
KEY_PREFIXES = ("", "anthropic/", "openai/", "gemini/", "deepseek/", "mistral/", "zai/",
                "vertex_ai/", "bedrock/", "bedrock_converse/", "together_ai/", "meta_llama/", "groq/",
                "fireworks_ai/", "openrouter/")

# LiteLLM key -> our component, standard prices
COMPONENT_KEYS: dict[str, tuple[str, ...]] = {
    "input": ("input_cost_per_token",),
    "output": ("output_cost_per_token",),
    "cache_read": ("cache_read_input_token_cost", "input_cost_per_token_cache_hit"),
    "cache_write_5m": ("cache_creation_input_token_cost",),
    "cache_write_1h": ("cache_creation_input_token_cost_above_1hr",),
}
TIER_SUFFIXES = (("batch", "_batches"), ("flex", "_flex"), ("priority", "_priority"))
_ABOVE = re.compile(r"^(?:input|output)_cost_per_token_above_(\d+)k_tokens$")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def mtok(value: Any) -> Decimal | None:
    """USD per token -> USD per million tokens, exactly; None for anything not a number ≥ 0
    (a price above the book's bound is caught by `is_priced_text_model`, never returned here
    unrounded: it is returned as is, without the integer quantize that would overflow)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    if not d.is_finite() or d < 0:
        return None
    d = d.scaleb(6)
    if d > MAX_PRICE:
        return d
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _too_dear(entry: Mapping[str, Any]) -> str | None:
    """The first per-token price of an entry above the book's bound (MAX_PRICE per million
    tokens), which the overlay could not hold; None when every price is within it."""
    for k, v in entry.items():
        if "cost" in str(k) and "token" in str(k):
            d = mtok(v)
            if d is not None and d > MAX_PRICE:
                return str(k)
    return None


def read_litellm(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The LiteLLM table as a dict, numbers as `Decimal` (exact)."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source).expanduser()
    try:
        with path.open(encoding="utf-8") as f:
            doc = json.load(f, parse_float=Decimal)
    except OSError as e:
        raise PricingError(f"{path} cannot be read: {e.strerror}.",
                           "Give LiteLLM's model_prices_and_context_window.json.") from e
    except json.JSONDecodeError as e:
        raise PricingError(f"{path} is not valid JSON: {e.msg} (line {e.lineno}).",
                           "Give LiteLLM's model_prices_and_context_window.json.") from e
    if not isinstance(doc, dict):
        raise PricingError(f"{path} is not LiteLLM's price table (expected an object of models).",
                           "Give LiteLLM's model_prices_and_context_window.json.")
    return doc


def is_priced_text_model(key: str, entry: Any) -> str | None:
    """None when the key is a text model with input and output prices; else why it is skipped."""
    if key == "sample_spec":
        return "sample_spec (schema documentation)"
    if not isinstance(entry, Mapping):
        return "not a model entry"
    mode = entry.get("mode")
    if mode not in TEXT_MODES:
        return f"not a text model (mode {mode})"
    if mtok(entry.get("input_cost_per_token")) is None or mtok(entry.get("output_cost_per_token")) is None:
        return "no input/output price per token"
    if _too_dear(entry):
        return f"a price above ${MAX_PRICE:,} per million tokens (not a real price)"
    return None


def standard_prices(entry: Mapping[str, Any]) -> dict[str, Decimal]:
    """The five token prices LiteLLM lists for a key, $/MTok (absent components left out)."""
    out: dict[str, Decimal] = {}
    for comp, keys in COMPONENT_KEYS.items():
        for k in keys:
            v = mtok(entry.get(k))
            if v is not None:
                out[comp] = v
                break
    return _no_zero_writes(out)


def _no_zero_writes(prices: dict[str, Decimal]) -> dict[str, Decimal]:
    """LiteLLM writes 0 for "no separate write charge" (DeepSeek, Z.ai): the tokens that fill the
    cache bill as input there, which is what an absent write price means in our format."""
    return {k: v for k, v in prices.items() if not (k.startswith("cache_write") and v == 0)}


def _with_suffix(entry: Mapping[str, Any], infix: str, suffix: str) -> dict[str, Decimal]:
    """Prices of keys `<base><infix><suffix>`, e.g. input_cost_per_token + _above_200k_tokens + _priority;
    the 1h write key above a threshold is cache_creation_input_token_cost_above_1hr<infix>."""
    out: dict[str, Decimal] = {}
    bases = {"input": "input_cost_per_token", "output": "output_cost_per_token",
             "cache_read": "cache_read_input_token_cost", "cache_write_5m": "cache_creation_input_token_cost",
             "cache_write_1h": "cache_creation_input_token_cost_above_1hr"}
    for comp, base in bases.items():
        if comp == "cache_write_1h" and not infix:
            continue  # the standard 1h key has no tier variants in LiteLLM
        v = mtok(entry.get(base + infix + suffix))
        if v is not None:
            out[comp] = v
    return _no_zero_writes(out)


def period_from_entry(key: str, entry: Mapping[str, Any], effective_from: date | datetime,
                      checked: str) -> dict[str, Any]:
    """One overlay period (YAML-ready: numbers as float, exact for these short decimals)."""
    period: dict[str, Any] = {"effective_from": effective_from}
    period.update({k: float(v) for k, v in standard_prices(entry).items()})
    notes = [f"imported from LiteLLM {key} ({entry.get('litellm_provider')})"]
    thresholds = sorted({int(m.group(1)) for k in entry if (m := _ABOVE.match(str(k)))})
    usable = [t for t in thresholds
              if mtok(entry.get(f"input_cost_per_token_above_{t}k_tokens")) is not None]
    if usable:
        t = usable[0]
        lc: dict[str, Any] = {"threshold": t * 1000}
        lc.update({k: float(v) for k, v in _with_suffix(entry, f"_above_{t}k_tokens", "").items()})
        lc_tiers = {}
        for tier, suffix in TIER_SUFFIXES:
            prices = _with_suffix(entry, f"_above_{t}k_tokens", suffix)
            prices.pop("cache_write_1h", None)
            if prices:
                lc_tiers[tier] = {k: float(v) for k, v in prices.items()}
        if lc_tiers:
            lc["tiers"] = lc_tiers
        period["long_context"] = lc
        if len(usable) > 1:
            notes.append("LiteLLM also lists prices above "
                         + ", ".join(f"{x}k" for x in usable[1:]) + " tokens (not imported)")
    tiers = {}
    for tier, suffix in TIER_SUFFIXES:
        prices = _with_suffix(entry, "", suffix)
        if prices:
            tiers[tier] = {k: float(v) for k, v in prices.items()}
    if tiers:
        period["tiers"] = tiers
    period["source"] = LITELLM_URL
    period["checked"] = checked
    period["note"] = "; ".join(notes)
    return period


def snapshot_date(doc: Mapping[str, Any], path: str | Path | None) -> str | None:
    """The LiteLLM file's own date: `last_updated`, else a YYYY-MM-DD in its file name."""
    stamp = doc.get("last_updated")
    if isinstance(stamp, str) and re.match(r"\d{4}-\d{2}-\d{2}", stamp):
        return stamp[:10]
    if path is not None:
        m = _DATE_IN_NAME.search(Path(path).name)
        if m:
            return m.group(1)
    return None


def _platform_rank(provider: str, litellm_provider: str) -> int | None:
    platforms = SAME_PRICE_PLATFORMS.get(provider, (provider,))
    return platforms.index(litellm_provider) if litellm_provider in platforms else None


def import_litellm(path: str | Path | Mapping[str, Any], effective_from: date | datetime,
                   providers: Iterable[str] | None = None, book: PriceBook | None = None,
                   checked: str | None = None) -> dict[str, Any]:
    """LiteLLM's table as an overlay document in our format (rules in the module docstring).

    `providers` keeps only keys whose LiteLLM provider, or the provider they are imported under
    (the book model's for an override, the mapped one for a new model), is one of them. `book`
    is the book the overlay goes on (default: the shipped one).
    """
    doc = read_litellm(path)
    book = book or load_book()
    wanted = {p.strip().lower() for p in providers or [] if p.strip()}
    checked = checked or snapshot_date(doc, None if isinstance(path, Mapping) else path) or \
        effective_from.isoformat()[:10]
    start = datetime(effective_from.year, effective_from.month, effective_from.day) \
        if not isinstance(effective_from, datetime) else effective_from
    skipped: Counter[str] = Counter()
    # model id -> every override candidate (rank, key, entry); the best one wins
    candidates: dict[str, list[tuple[tuple[int, int, int, str], str, Mapping[str, Any]]]] = {}
    new_models: dict[str, tuple[str, Mapping[str, Any]]] = {}
    keys_read = 0
    for key, entry in doc.items():
        if key == "last_updated":
            continue
        keys_read += 1
        why = is_priced_text_model(key, entry)
        if why:
            skipped[why] += 1
            continue
        litellm_provider = str(entry.get("litellm_provider") or "").lower()
        provider = PROVIDER_MAP.get(litellm_provider, litellm_provider or "litellm")
        resolved = book.resolve(key)
        model = book.models[resolved[0]] if resolved else None
        rank = _platform_rank(model.provider, litellm_provider) if model is not None else None
        # the provider the key ends up under: the book model's (override) or its own (new model)
        if wanted and not {litellm_provider, model.provider if model is not None and rank is not None
                           else provider} & wanted:
            skipped["other provider (--provider)"] += 1
            continue
        if resolved and model is not None:
            if resolved[1] != 1:
                skipped["platform alias the book prices by a multiplier"] += 1
                continue
            if rank is not None:
                low = key.lower()
                quality = 0 if low == model.id.lower() else 1 if low in {a.lower() for a in model.aliases} else 2
                candidates.setdefault(model.id, []).append(((rank, quality, len(key), key), key, entry))
                continue
        low = key.lower()
        if low in new_models:
            skipped["same key in another case"] += 1
            continue
        new_models[low] = (key, entry)
    overrides = {}
    for mid, cands in candidates.items():
        overrides[mid] = min(cands, key=lambda c: c[0])
        if len(cands) > 1:
            skipped["another LiteLLM key priced the same book model"] += len(cands) - 1

    override_docs: list[dict[str, Any]] = []
    for mid in sorted(overrides):
        _, key, entry = overrides[mid]
        last = book.models[mid].periods[-1]
        if last.effective_to is not None and last.effective_to <= start:
            skipped["book model withdrawn before --effective-from"] += 1
            continue
        period = period_from_entry(key, entry, effective_from, checked)
        if last.effective_to is not None:  # withdrawn later: keep the withdrawal time
            period = {"effective_from": period.pop("effective_from"),
                      "effective_to": last.effective_to.isoformat() + "Z", **period}
        override_docs.append({"model": mid, **period})
    model_docs: list[dict[str, Any]] = []
    for _, (key, entry) in sorted(new_models.items()):
        litellm_provider = str(entry.get("litellm_provider") or "").lower()
        m: dict[str, Any] = {"id": key, "provider": PROVIDER_MAP.get(litellm_provider,
                                                                       litellm_provider or "litellm")}
        mct = entry.get("prompt_cache_min_tokens")
        if isinstance(mct, int) and not isinstance(mct, bool) and mct > 0:
            m["min_cacheable_tokens"] = mct
        m["periods"] = [period_from_entry(key, entry, effective_from, checked)]
        model_docs.append(m)
    return {
        "imported_from": {
            "file": None if isinstance(path, Mapping) else str(path),
            "source": LITELLM_URL,
            "litellm_last_updated": doc.get("last_updated"),
            "effective_from": effective_from,
            "checked": checked,
            "keys_read": keys_read,
            "new_models": len(model_docs),
            "overrides": len(override_docs),
            "skipped": dict(sorted(skipped.items())),
        },
        "models": model_docs,
        "overrides": override_docs,
    }


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors (`&id001`): every period spells its dates out."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def overlay_yaml(doc: Mapping[str, Any]) -> str:
    """The overlay as YAML text, with a header saying where it came from."""
    info = doc.get("imported_from") or {}

    def one_line(value: Any) -> str:  # a file name with a line break must not add YAML lines
        return " ".join(str(value).splitlines())

    header = (
        "# llmcost price overlay generated by `llmcost pricing import-litellm`\n"
        f"# from {one_line(info.get('file') or 'LiteLLM')} "
        f"(LiteLLM last_updated {one_line(info.get('litellm_last_updated'))}),\n"
        "# USD per million tokens. Use it with: llmcost analyze --pricing THIS_FILE\n"
        "# `overrides:` are new periods of models already in the price book; `models:` are new models.\n"
    )
    return header + yaml.dump(dict(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def write_overlay(doc: Mapping[str, Any], path: str | Path) -> Path:
    out = Path(path).expanduser()
    try:
        out.write_text(overlay_yaml(doc), encoding="utf-8")
    except OSError as e:
        raise PricingError(f"{out} cannot be written: {e.strerror}.", "Choose another path with -o.") from e
    return out
