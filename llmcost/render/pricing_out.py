"""Renderings of `llmcost pricing …`: terminal (rich) and JSON dicts. They only format; every
figure comes from the price book or `llmcost.pricing.check`.

JSON: each document has `command` ("pricing list" …); prices are USD per million tokens as JSON
numbers (`null` = the book lists no separate price), dates ISO-8601 UTC with `Z`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table

from llmcost import __version__
from llmcost.pricing.book import TOKEN_PRICES, Discount, Model, OffPeak, Period
from llmcost.pricing.check import ERROR, CheckReport, Finding, ModelRow, ModelView, PriceChange
from llmcost.render.rich_safe import add_row, hang, plain
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


LIST_COLUMNS = {"model": " model", "provider": "provider", "family": "family", **COLUMNS, "periods": "periods",
                "in_force": "in force"}
# the columns that give way, in this order, when the terminal is too narrow for the full table
LIST_GIVE_WAY = ("periods", "family", "in_force", "provider", "cache_write_1h", "cache_write_5m")
GIVE_WAY_WORDS = {"periods": "price periods", "family": "family", "in_force": "in-force dates",
                  "provider": "provider (a heading instead)", "cache_write_1h": "1h cache writes",
                  "cache_write_5m": "5m cache writes"}


def _list_cells(r: ModelRow) -> dict[str, str]:
    prices = r.period.prices if r.period else {}
    return {"model": " " + r.model.id, "provider": r.model.provider, "family": r.model.family,
            **{k: price(prices.get(k)) for k in COLUMNS}, "periods": str(len(r.model.periods)),
            "in_force": _status(r)}


class PriceListLayout:
    """`pricing list` at the terminal's width: the full table where it fits; narrower, the least
    needed columns give way in the order of LIST_GIVE_WAY (the provider becomes a heading over its
    models; a model not in force says so under its id), and a line names what was left out and
    where to see it; below the narrowest table, a block per model. No value is ever cut."""

    def __init__(self, rows: list[ModelRow]) -> None:
        self.rows = rows
        self.cells = [_list_cells(r) for r in rows]

    def _model_cell(self, i: int, keys: list[str]) -> str:
        r = self.rows[i]
        if "in_force" not in keys and r.status != "current":
            return f"{self.cells[i]['model']}\n   {_status(r)}"
        return self.cells[i]["model"]

    def _width(self, keys: list[str]) -> int:
        widths = []
        for k in keys:
            cells = [LIST_COLUMNS[k], *(self._model_cell(i, keys) if k == "model" else c[k]
                                        for i, c in enumerate(self.cells))]
            if k == "model" and "provider" not in keys:
                cells += [f" {r.model.provider}" for r in self.rows]
            widths.append(max(cell_len(line) for c in cells for line in c.split("\n")))
        return sum(widths) + 2 * (len(keys) - 1)

    def _table(self, keys: list[str]) -> Table:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for k in keys:
            table.add_column(LIST_COLUMNS[k], justify="left" if k in ("model", "provider", "family", "in_force")
                             else "right", no_wrap=True)
        provider = None
        for i, (r, c) in enumerate(zip(self.rows, self.cells, strict=True)):
            if "provider" not in keys and r.model.provider != provider:
                provider = r.model.provider
                add_row(table, plain(f" {provider}", style="bold"), *[""] * (len(keys) - 1))
            style = "dim" if r.status != "current" else None
            model = self._model_cell(i, keys).split("\n")
            cell = plain(model[0])
            for line in model[1:]:  # plain() shows a line break as a character: joined here
                cell.append("\n")
                cell.append_text(plain(line))
            add_row(table, cell, *[c[k] for k in keys[1:]], style=style)
        return table

    def _blocks(self) -> RenderableType:
        from llmcost.render.fit_width import WrappedItems

        parts: list[RenderableType] = []
        provider = None
        for r, c in zip(self.rows, self.cells, strict=True):
            if r.model.provider != provider:
                provider = r.model.provider
                parts.append(plain(f" {provider}", style="bold"))
            style = "dim" if r.status != "current" else ""
            parts.append(WrappedItems([r.model.id, _status(r) if r.status != "current" else ""], lead="  ",
                                      indent=4, style=style))
            parts.append(WrappedItems([f"{label} {c[k]}" for k, label in COLUMNS.items()], lead="     ",
                                      indent=5, style=style))
        return Group(*parts)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, self._width(list(LIST_COLUMNS)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        full = list(LIST_COLUMNS)
        for dropped in range(len(LIST_GIVE_WAY) + 1):
            keys = [k for k in full if k not in LIST_GIVE_WAY[:dropped]]
            if self._width(keys) <= options.max_width:
                yield self._table(keys)
                left_out = LIST_GIVE_WAY[:dropped]
                break
        else:
            yield self._blocks()
            left_out = tuple(k for k in LIST_GIVE_WAY if k not in COLUMNS)
        words = [GIVE_WAY_WORDS[k] for k in left_out if k != "provider"]
        if words:
            yield hang(f"Not shown at {options.max_width} columns: {', '.join(words)}. "
                       f"llmcost pricing show MODEL has them, as do --format json and --format markdown; "
                       f"the full table needs {self._width(full)} columns.", indent=1, style="dim")


def render_list(rows: list[ModelRow], at: datetime) -> RenderableType:
    from llmcost.render.fit_width import WrappedItems

    if not rows:
        return plain(" No models match (see `llmcost pricing list` without --provider).", style="yellow")
    return Group(WrappedItems([f"Price book at {day(at)}:", f"{len(rows)} models,", UNIT], lead=" ", indent=1,
                              sep=" ", style="bold"),
                 PriceListLayout(rows),
                 _hang(" – = no separate price: cache reads and writes bill as input, a 1h write as the 5m "
                       "write."))


def _hang(text: str, style: str = "dim") -> RenderableType:
    return hang(text.lstrip(" "), indent=len(text) - len(text.lstrip(" ")), style=style)


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

def _period_block(p: Period, index: int) -> list[RenderableType]:
    """A price period: its dates, a table of its price rows (standard, long context, tiers,
    off-peak) where it fits, else a block per row, then its rules, source and note (wrapping under
    their own start)."""
    from llmcost.render.fit_width import Col, TableOrBlocks, WrappedItems

    head = plain(f" Period {index}: {day(p.effective_from)} → {day(p.effective_to)}", style="bold")
    if p.overlay:
        head.append(visible(f"  (overlay {p.overlay})"), style="yellow")
    labelled: list[tuple[str, dict[str, Decimal]]] = [("standard", p.prices)]
    if p.long_context_threshold is not None:
        labelled.append((f"long context >{p.long_context_threshold:,}", p.long_context))
        labelled += [(f"long context, {tier}", prices) for tier, prices in p.long_context_tiers.items()]
    labelled += list(p.tiers.items())
    op = p.off_peak
    if op is not None and op.prices:
        labelled.append(("off-peak", op.prices))
    columns = [Col("   $/MTok", floor=14, most=32), *(Col(label, "right") for label in COLUMNS.values())]
    rows = [[f"   {label}", *(price(prices.get(k)) for k in COLUMNS)] for label, prices in labelled]
    blocks: list[RenderableType] = []
    for label, prices in labelled:
        blocks.append(WrappedItems([f"{name} {price(prices.get(k))}" for k, name in COLUMNS.items()],
                                   lead=f"   {label}: ", indent=5))
    lines: list[RenderableType] = [head, TableOrBlocks(columns, rows, blocks)]
    if op is not None:
        if op.mode == "peak":
            days = ",".join(str(d) for d in op.weekdays or [])
            text = (f"Off-peak: base prices apply only at peak, {', '.join(_windows(op))} UTC on ISO "
                    f"weekdays {days}; every other time is off-peak")
        else:
            text = f"Off-peak: {', '.join(_windows(op))} UTC" + (" on weekdays" if op.weekdays else "")
        if op.multiplier is not None:
            text += f", prices × {op.multiplier}"
        lines.append(hang(text, indent=3))
    for key, value in p.other.items():
        lines.append(hang(f"Other: {key} = ${value}", indent=3))
    lines.append(WrappedItems(["Source:", p.source, f"(checked {p.checked or '–'})"], lead="   ", indent=5,
                              sep=" ", style="dim"))
    if p.note:
        lines.append(hang(f"Note: {p.note}", indent=3, style="dim"))
    return lines


def _discount_text(d: Discount) -> str:
    who = f"model {d.model}" if d.model else f"provider {d.provider}"
    when = f" from {day(d.effective_from)}" if d.effective_from else ""
    when += f" to {day(d.effective_to)}" if d.effective_to else ""
    return f"{d.percent} % off ({who}{when}; {d.file})"


def render_show(v: ModelView) -> RenderableType:
    from llmcost.render.fit_width import WrappedItems

    m: Model = v.model
    parts: list[RenderableType] = []
    title = plain(f" {m.id}", style="bold cyan")
    parts.append(WrappedItems([title, m.name, m.provider, f"family {m.family}",
                               f"released {m.released}" if m.released else ""], indent=3))
    if v.query.lower() != m.id.lower():
        parts.append(hang(f"{v.query} resolves to {m.id}"
                          + (f", every price × {v.multiplier} ({v.platform})" if v.multiplier != 1 else ""),
                          indent=1, style="yellow" if v.multiplier != 1 else "dim"))
    if m.aliases:
        parts.append(WrappedItems(m.aliases, lead=" Aliases: ", indent=3, sep=", ", style="dim"))
    for pa in m.platform_aliases:
        why = pa.get("note") or pa.get("platform")
        parts.append(WrappedItems([f"{pa.get('id')} × {pa.get('multiplier', 1)}", f"({why})" if why else ""],
                                  lead=" Platform alias: ", indent=3, sep=" ", style="dim"))
    cache = [f"mode {m.cache_mode}" if m.cache_mode else "",
             f"minimum {m.min_cacheable_tokens:,} tokens" if m.min_cacheable_tokens else "",
             f"step {m.cache_step} tokens" if m.cache_step else ""]
    if any(cache):
        parts.append(hang("Cache: " + ", ".join(c for c in cache if c), indent=1, style="dim"))
    tiers = [f"{t} × {mult}" for t, mult in v.service_tiers.items() if mult is not None]
    parts.append(hang("Provider service tiers: " + (", ".join(tiers) if tiers else "none (no multiplier)")
                      + "; tier components not listed below = standard × that multiplier", indent=1, style="dim"))
    for column in m.multiplier_columns:
        values = m.model_multipliers.get(column) or {}
        parts.append(hang(f"Multiplier {column}: " + ", ".join(f"{k} × {x}" for k, x in values.items()),
                          indent=1, style="dim"))
    for d in v.discounts:
        parts.append(hang("Discount: " + _discount_text(d), indent=1, style="green"))
    parts.append(plain(""))
    for i, p in enumerate(m.periods, 1):
        parts.extend(_period_block(p, i))
        parts.append(plain(""))
    parts.append(hang(f"{UNIT}; – = no separate price (cache reads and writes bill as input, a 1h "
                      "write as the 5m write; long-context components left out scale with input).",
                      indent=1, style="dim"))
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


def _in_force(v: ModelView, at: datetime) -> int | None:
    """The 1-based number of the period in force at `at`; None before the first or in a gap."""
    for i, p in enumerate(v.model.periods):
        if p.effective_from <= at and (p.effective_to is None or at < p.effective_to):
            return i + 1
    return None


def in_force_keys(v: ModelView, at: datetime) -> dict[str, Any]:
    """`pricing show --at DATE`: `at` and `in_force_period` (1-based index into `periods`, null: none)."""
    return {"at": iso(at), "in_force_period": _in_force(v, at)}


def in_force_line(v: ModelView, at: datetime) -> str:
    n = _in_force(v, at)
    day = at.strftime("%Y-%m-%d %H:%M:%S UTC") if at.time() != at.min.time() else at.strftime("%Y-%m-%d")
    return f"In force on {day}: period {n}." if n is not None else f"No price in force on {day}."


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

def _finding_text(f: Finding) -> RenderableType:
    """` ⚠ warning model: message`, the message wrapping under its own start; a disagreement with
    the table of `--against` is marked `≠ differs` (reported, not counted as a warning)."""
    from rich.table import Table as Grid

    mark, style = (("✗ error  ", "red") if f.severity == ERROR else ("≠ differs", "yellow")
                   if f.code == "litellm" else ("⚠ warning", "yellow"))
    text = plain(f"{f.model}: " if f.model else "", style="bold")
    text.append_text(plain(f.message))
    grid = Grid.grid(padding=0)
    grid.add_column(width=len(mark) + 2, no_wrap=True)
    grid.add_column()
    grid.add_row(plain(f" {mark} ", style=f"bold {style}"), text)
    return grid


def check_summary(r: CheckReport, strict: bool = False) -> tuple[bool, str]:
    """(whether the book passes, the sentence that says so with its counts)."""
    from llmcost.render.paths import shown_path

    against = f"; compared with {shown_path(r.against)} as of {day(r.compared_at)}" if r.against else ""
    litellm = sum(f.code == "litellm" for f in r.findings)
    summary = (f"{r.models_checked} models checked{against}: {r.errors} errors, {r.warnings} warnings"
               + (f" ({litellm} disagreements with LiteLLM over 0.5 %)" if r.against else ""))
    ok = not (r.errors or (strict and r.warnings))
    return ok, ("The price book passes. " if ok else "The price book has problems. ") + summary


def render_check(r: CheckReport, strict: bool = False) -> RenderableType:
    parts: list[RenderableType] = [_finding_text(f) for f in r.findings]
    if r.findings:
        parts.append(plain(""))
    ok, summary = check_summary(r, strict)
    parts.append(hang(summary, indent=1, marker="✓ " if ok else "✗ ", style="bold green" if ok else "bold red"))
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
