"""Renderings of `llmcost pricing …`: terminal (rich) and JSON dicts. They only format; every
figure comes from the price book or `llmcost.pricing.check`.

JSON: each document has `command` ("pricing list" …); prices are USD per million tokens as JSON
numbers (`null` = the book lists no separate price), dates ISO-8601 UTC with `Z`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmcost import __version__
from llmcost.pricing.book import TOKEN_PRICES, Discount, Model, OffPeak, Period
from llmcost.pricing.check import ERROR, CheckReport, Finding, ModelRow, ModelView, PriceChange
from llmcost.render.rich_safe import add_row, plain
from llmcost.render.safe_text import visible

UNIT = "USD per million tokens"
COLUMNS = {"input": "input", "output": "output", "cache_read": "cache read",
           "cache_write_5m": "write 5m", "cache_write_1h": "write 1h"}


def price(v: Decimal | None) -> str:
    """$/MTok exactly as in the book, at least two decimals: $3.00, $0.0028, $1.5625."""
    if v is None:
        return "–"
    s = format(v.normalize(), "f")
    whole, _, frac = s.partition(".")
    return f"${int(whole):,}.{frac.ljust(2, '0')}" if not whole.startswith("-") else f"${s}"


def day(dt: datetime | None) -> str:
    if dt is None:
        return "open"
    return f"{dt:%Y-%m-%d}" if (dt.hour, dt.minute, dt.second) == (0, 0, 0) else f"{dt:%Y-%m-%d %H:%M} UTC"


def iso(dt: datetime | date | None) -> str | None:
    if dt is None:
        return None
    if isinstance(dt, datetime):
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.isoformat()


def num(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def prices_doc(prices: dict[str, Decimal]) -> dict[str, float | None]:
    return {k: num(prices.get(k)) for k in TOKEN_PRICES}


def _minutes(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _windows(op: OffPeak) -> list[str]:
    return [f"{_minutes(a)}-{_minutes(b)}" for a, b in op.windows]


# ---------------------------------------------------------------- list

def _status(row: ModelRow) -> str:
    p = row.period
    if p is None:
        return ""
    if row.status == "upcoming":
        return f"from {p.effective_from:%Y-%m-%d}"
    if row.status == "withdrawn":
        return f"withdrawn {p.effective_to:%Y-%m-%d}" if p.effective_to else "withdrawn"
    return f"since {p.effective_from:%Y-%m-%d}" + (f", until {p.effective_to:%Y-%m-%d}" if p.effective_to else "")


def render_list(rows: list[ModelRow], at: datetime) -> RenderableType:
    if not rows:
        return plain(" No models match (see `llmcost pricing list` without --provider).", style="yellow")
    table = Table(box=None, header_style="bold", pad_edge=False,
                  title=f"Price book at {day(at)}: {len(rows)} models, {UNIT}", title_justify="left")
    table.add_column(" model", no_wrap=True)
    table.add_column("provider", no_wrap=True)
    table.add_column("family", no_wrap=True)
    for label in COLUMNS.values():
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("periods", justify="right", no_wrap=True)
    table.add_column("in force", overflow="fold")
    for r in rows:
        prices = r.period.prices if r.period else {}
        style = "dim" if r.status != "current" else None
        add_row(table, " " + r.model.id, r.model.provider, r.model.family,
                       *[price(prices.get(k)) for k in COLUMNS], str(len(r.model.periods)), _status(r),
                       style=style)
    return Group(table, plain(" – = no separate price: cache reads and writes bill as input, a 1h write "
                             "as the 5m write. Details: llmcost pricing show MODEL", style="dim"))


def list_doc(rows: list[ModelRow], at: datetime) -> dict[str, Any]:
    return {
        "llmcost_version": __version__, "command": "pricing list", "at": iso(at), "unit": UNIT,
        "models": [{
            "id": r.model.id, "name": r.model.name, "provider": r.model.provider, "family": r.model.family,
            "released": iso(r.model.released), "status": r.status, "periods": len(r.model.periods),
            "effective_from": iso(r.period.effective_from) if r.period else None,
            "effective_to": iso(r.period.effective_to) if r.period else None,
            "prices": prices_doc(r.period.prices if r.period else {}),
            "long_context_threshold": r.period.long_context_threshold if r.period else None,
            "aliases": r.model.aliases,
        } for r in rows],
    }


# ---------------------------------------------------------------- show

def _price_row(table: Table, label: str, prices: dict[str, Decimal]) -> None:
    add_row(table, label, *[price(prices.get(k)) for k in COLUMNS])


def _period_block(p: Period, index: int) -> list[RenderableType]:
    head = plain(f" Period {index}: {day(p.effective_from)} → {day(p.effective_to)}", style="bold")
    if p.overlay:
        head.append(visible(f"  (overlay {p.overlay})"), style="yellow")
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("   $/MTok", overflow="fold")
    for label in COLUMNS.values():
        table.add_column(label, justify="right", no_wrap=True)
    _price_row(table, "   standard", p.prices)
    if p.long_context_threshold is not None:
        _price_row(table, f"   long context >{p.long_context_threshold:,}", p.long_context)
        for tier, prices in p.long_context_tiers.items():
            _price_row(table, f"   long context, {tier}", prices)
    for tier, prices in p.tiers.items():
        _price_row(table, f"   {tier}", prices)
    op = p.off_peak
    if op is not None and op.prices:
        _price_row(table, "   off-peak", op.prices)
    lines: list[RenderableType] = [head, table]
    if op is not None:
        if op.mode == "peak":
            days = ",".join(str(d) for d in op.weekdays or [])
            text = (f"   Off-peak: base prices apply only at peak, {', '.join(_windows(op))} UTC on ISO "
                    f"weekdays {days}; every other time is off-peak")
        else:
            text = f"   Off-peak: {', '.join(_windows(op))} UTC" + (" on weekdays" if op.weekdays else "")
        if op.multiplier is not None:
            text += f", prices × {op.multiplier}"
        lines.append(plain(text))
    for key, value in p.other.items():
        lines.append(plain(f"   Other: {key} = ${value}"))
    lines.append(plain(f"   Source: {p.source}  (checked {p.checked or '–'})", style="dim"))
    if p.note:
        lines.append(plain(f"   Note: {p.note}", style="dim"))
    return lines


def _discount_text(d: Discount) -> str:
    who = f"model {d.model}" if d.model else f"provider {d.provider}"
    when = f" from {day(d.effective_from)}" if d.effective_from else ""
    when += f" to {day(d.effective_to)}" if d.effective_to else ""
    return f"{d.percent} % off ({who}{when}; {d.file})"


def render_show(v: ModelView) -> RenderableType:
    m: Model = v.model
    parts: list[RenderableType] = []
    title = plain(f" {m.id}", style="bold cyan")
    title.append(visible(f"  {m.name} · {m.provider} · family {m.family}"
                         + (f" · released {m.released}" if m.released else "")))
    parts.append(title)
    if v.query.lower() != m.id.lower():
        parts.append(plain(f" {v.query} resolves to {m.id}"
                          + (f", every price × {v.multiplier} ({v.platform})" if v.multiplier != 1 else ""),
                          style="yellow" if v.multiplier != 1 else "dim"))
    if m.aliases:
        parts.append(plain(" Aliases: " + ", ".join(m.aliases), style="dim"))
    for pa in m.platform_aliases:
        parts.append(plain(f" Platform alias: {pa.get('id')} × {pa.get('multiplier', 1)}"
                          + (f" ({pa.get('note') or pa.get('platform')})" if pa.get("note") or pa.get("platform")
                             else ""), style="dim"))
    cache = [f"mode {m.cache_mode}" if m.cache_mode else "",
             f"minimum {m.min_cacheable_tokens:,} tokens" if m.min_cacheable_tokens else "",
             f"step {m.cache_step} tokens" if m.cache_step else ""]
    if any(cache):
        parts.append(plain(" Cache: " + ", ".join(c for c in cache if c), style="dim"))
    tiers = [f"{t} × {mult}" for t, mult in v.service_tiers.items() if mult is not None]
    parts.append(plain(" Provider service tiers: " + (", ".join(tiers) if tiers else "none (no multiplier)")
                      + "; tier components not listed below = standard × that multiplier", style="dim"))
    for column in m.multiplier_columns:
        values = m.model_multipliers.get(column) or {}
        parts.append(plain(f" Multiplier {column}: " + ", ".join(f"{k} × {x}" for k, x in values.items()),
                          style="dim"))
    for d in v.discounts:
        parts.append(plain(" Discount: " + _discount_text(d), style="green"))
    parts.append(plain(""))
    for i, p in enumerate(m.periods, 1):
        parts.extend(_period_block(p, i))
        parts.append(plain(""))
    parts.append(plain(f" {UNIT}; – = no separate price (cache reads and writes bill as input, a 1h "
                      "write as the 5m write; long-context components left out scale with input).",
                      style="dim"))
    return Group(*parts)


def _period_doc(p: Period) -> dict[str, Any]:
    op = p.off_peak
    return {
        "effective_from": iso(p.effective_from), "effective_to": iso(p.effective_to),
        "prices": prices_doc(p.prices),
        "long_context": None if p.long_context_threshold is None else {
            "threshold": p.long_context_threshold, "prices": prices_doc(p.long_context),
            "tiers": {t: prices_doc(v) for t, v in p.long_context_tiers.items()}},
        "tiers": {t: prices_doc(v) for t, v in p.tiers.items()},
        "off_peak": None if op is None else {
            "mode": op.mode, "windows_utc": _windows(op), "weekdays": op.weekdays,
            "multiplier": num(op.multiplier), "prices": prices_doc(op.prices) if op.prices else None},
        "other": {k: num(x) for k, x in p.other.items()},
        "source": p.source, "checked": p.checked or None, "note": p.note, "overlay": p.overlay,
    }


def show_doc(v: ModelView) -> dict[str, Any]:
    m = v.model
    return {
        "llmcost_version": __version__, "command": "pricing show", "query": v.query, "unit": UNIT,
        "model": {
            "id": m.id, "name": m.name, "provider": m.provider, "family": m.family,
            "released": iso(m.released), "aliases": m.aliases,
            "platform_aliases": [{"id": pa.get("id"), "platform": pa.get("platform"),
                                  "multiplier": num(Decimal(str(pa.get("multiplier", 1)))),
                                  "note": pa.get("note")} for pa in m.platform_aliases],
            "cache": {"mode": m.cache_mode, "min_cacheable_tokens": m.min_cacheable_tokens, "step": m.cache_step},
            "multipliers": {c: {k: num(x) for k, x in (m.model_multipliers.get(c) or {}).items()}
                            for c in m.multiplier_columns},
            "file": m.file,
        },
        "price_multiplier": num(v.multiplier), "platform": v.platform,
        "service_tiers": {t: num(x) for t, x in v.service_tiers.items()},
        "discounts": [{"percent": num(d.percent), "provider": d.provider, "model": d.model,
                       "from": iso(d.effective_from), "to": iso(d.effective_to), "file": d.file}
                      for d in v.discounts],
        "periods": [_period_doc(p) for p in m.periods],
    }


# ---------------------------------------------------------------- diff

def _pct(a: Decimal | None, b: Decimal | None) -> str:
    if a is None or b is None or a == 0:
        return ""
    return f"{(b - a) / a * 100:+.0f} %"


def render_diff(changes: list[PriceChange], start: datetime, end: datetime) -> RenderableType:
    if not changes:
        return plain(f" No price changes between {day(start)} and {day(end)}.", style="green")
    table = Table(box=None, header_style="bold", pad_edge=False, title_justify="left",
                  title=f"Prices in force on {day(start)} → {day(end)} ({UNIT}: input / output / cache read)")
    for col in (" model", "provider", "change", f"on {day(start)}", f"on {day(end)}", "input", "also"):
        table.add_column(col, no_wrap=col not in ("also", "provider"), overflow="fold",
                         justify="right" if col == "input" else "left")

    def trio(p: dict[str, Decimal]) -> str:
        return " / ".join(price(p.get(k)) for k in ("input", "output", "cache_read")) if p else "–"

    for c in changes:
        style = {"added": "green", "withdrawn": "red"}.get(c.kind)
        others = list(c.other_changes)
        hidden = [k for k in c.changed_components if k.startswith("cache_write") and c.kind == "changed"
                  and not (c.before.get(k) == c.before.get("input") and c.after.get(k) == c.after.get("input"))]
        if hidden:
            others.insert(0, ", ".join(f"{k} {price(c.before.get(k))}→{price(c.after.get(k))}" for k in hidden))
        add_row(table, " " + c.model, c.provider, c.kind, trio(c.before), trio(c.after),
                       _pct(c.before.get("input"), c.after.get("input")), "; ".join(others), style=style)
    return Group(table, plain(f" {len(changes)} models changed. Cache prices shown as billed (no separate "
                             "price = input).", style="dim"))


def diff_doc(changes: list[PriceChange], start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "llmcost_version": __version__, "command": "pricing diff", "from": iso(start), "to": iso(end),
        "unit": UNIT,
        "changes": [{
            "model": c.model, "provider": c.provider, "kind": c.kind,
            "before": prices_doc(c.before) if c.before else None,
            "after": prices_doc(c.after) if c.after else None,
            "before_effective_from": iso(c.before_from), "after_effective_from": iso(c.after_from),
            "changed_components": c.changed_components, "other_changes": c.other_changes,
        } for c in changes],
    }


# ---------------------------------------------------------------- check

def _finding_text(f: Finding) -> Text:
    mark, style = ("✗ error  ", "red") if f.severity == ERROR else ("⚠ warning", "yellow")
    text = plain(f" {mark} ", style=f"bold {style}")
    text.append(visible(f"{f.model}: ") if f.model else "", style="bold")
    text.append(visible(f.message))
    return text


def render_check(r: CheckReport, strict: bool = False) -> RenderableType:
    parts: list[RenderableType] = [_finding_text(f) for f in r.findings]
    if r.findings:
        parts.append(plain(""))
    against = f"; compared with {r.against} as of {day(r.compared_at)}" if r.against else ""
    litellm = sum(f.code == "litellm" for f in r.findings)
    summary = (f" {r.models_checked} models checked{against}: {r.errors} errors, {r.warnings} warnings"
               + (f" ({litellm} disagreements with LiteLLM over 0.5 %)" if r.against else ""))
    if r.errors or (strict and r.warnings):
        parts.append(plain(" ✗ The price book has problems." + summary, style="bold red"))
    else:
        parts.append(plain(" ✓ The price book passes." + summary, style="bold green"))
    return Group(*parts)


def finding_doc(f: Finding) -> dict[str, Any]:
    data = {k: (num(v) if isinstance(v, Decimal) else v) for k, v in f.data.items()}
    return {"severity": f.severity, "model": f.model, "code": f.code, "message": f.message,
            "period": iso(f.period)} | data


def check_doc(r: CheckReport, strict: bool = False) -> dict[str, Any]:
    return {
        "llmcost_version": __version__, "command": "pricing check",
        "ok": not (r.errors or (strict and r.warnings)), "errors": r.errors, "warnings": r.warnings,
        "models_checked": r.models_checked, "files": r.files, "against": r.against,
        "compared_at": iso(r.compared_at),
        "litellm_disagreements": sum(f.code == "litellm" for f in r.findings) if r.against else None,
        "findings": [finding_doc(f) for f in r.findings],
    }


# ---------------------------------------------------------------- import-litellm

def render_import(info: dict[str, Any], output: str | None, models_loaded: int) -> RenderableType:
    parts: list[RenderableType] = [plain(
        f" Imported {info['new_models']:,} new models and {info['overrides']:,} overrides of book models "
        f"from {info['keys_read']:,} LiteLLM keys (prices from {info['effective_from']}, "
        f"checked {info['checked']}).", style="bold")]
    skipped = info.get("skipped") or {}
    if skipped:
        parts.append(plain(f" Skipped {sum(skipped.values()):,}:", style="dim"))
        for why, count in sorted(skipped.items(), key=lambda kv: -kv[1]):
            parts.append(plain(f"   {count:>5,}  {why}", style="dim"))
    if output:
        parts.append(plain(f" Wrote {output}; it loads on the price book ({models_loaded:,} models in all).",
                          style="green"))
        parts.append(plain(f" Use it: llmcost analyze LOGS --pricing {output}", style="dim"))
    return Group(*parts)


def import_doc(info: dict[str, Any], output: str | None, models_loaded: int,
               overlay: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"llmcost_version": __version__, "command": "pricing import-litellm",
                           "output": output, "models_loaded": models_loaded}
    doc |= {k: (iso(v) if isinstance(v, (date, datetime)) else v) for k, v in info.items()}
    if overlay is not None:
        doc["overlay"] = overlay
    return doc
