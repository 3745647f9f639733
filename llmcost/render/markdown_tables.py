"""`--format markdown` for `sources`, `rejects`, `pricing list`, `pricing show` and `pricing check`:
GitHub-flavoured tables, every value from outside (paths, log text, model ids, notes) escaped
with `markdown.md_escape`, paths shown by the rule of `render.paths`. Nothing is cut but a
rejected record's raw text past RAW_SHOWN characters, which says so."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.render.markdown import md_escape
from llmcost.render.paths import shown_path

if TYPE_CHECKING:
    from datetime import datetime

    from llmcost.pricing.check import CheckReport, ModelRow, ModelView
    from llmcost.store import RejectRow, SourceRow, StoreTotals

RAW_SHOWN = 240  # characters of a rejected record's raw text (the JSON has it whole)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rule(aligns: str) -> str:
    """`l`/`r` per column: `|---|---:|`."""
    return "|" + "|".join("---:" if a == "r" else "---" for a in aligns) + "|"


def sources_markdown(rows: list[SourceRow], totals: StoreTotals | None) -> str:
    """The stored files with their accounting, then the store's total."""
    if not rows:
        return "## Stored files\n\nThe store holds no files yet. Load some: `llmcost ingest FILES`\n"
    lines = ["## Stored files", "",
             _row(["file", "format", "ingested (UTC)", "content hash", "rows read", "loaded", "rejected",
                   "duplicate", "skipped", "calls held", "kept from another file"]),
             _rule("llll" + "r" * 7)]
    for r in rows:
        lines.append(_row([md_escape(shown_path(r.source_file)), md_escape(r.adapter), r.ingested_at,
                           f"`{r.source_hash[:12]}`", f"{r.rows_read:,}", f"{r.rows_loaded:,}",
                           f"{r.rows_rejected:,}", f"{r.rows_duplicate:,}", f"{r.rows_skipped:,}",
                           f"{r.calls_held:,}", f"{r.calls_kept_from_other_files:,}"]))
    if totals is not None:
        line = (f"Total: {totals.files:,} file{'s' if totals.files != 1 else ''} · {totals.calls:,} calls "
                "stored, each counted once")
        if totals.calls_in_several_files:
            line += f" ({totals.calls_in_several_files:,} of them held by more than one file)"
        lines += ["", line]
    return "\n".join([*lines, ""])


def _raw(raw: str | None) -> str:
    text = raw or ""
    if len(text) <= RAW_SHOWN:
        return md_escape(text)
    return (md_escape(text[:RAW_SHOWN]) + f" [+{len(text) - RAW_SHOWN:,} characters: `--format json` has the "
            "whole record]")


def rejects_markdown(rows: list[RejectRow], total: int) -> str:
    """The rejected rows: file, line, reason and raw text."""
    if not rows:
        return "## Rejected rows\n\nNo rejected rows.\n"
    lines = ["## Rejected rows", "", _row(["file", "line", "reason", "raw text"]), _rule("lrll")]
    for r in rows:
        lines.append(_row([md_escape(shown_path(r.source_file)), "" if r.line is None else str(r.line),
                           md_escape(r.reason), _raw(r.raw)]))
    if total > len(rows):
        lines += ["", f"{total - len(rows):,} more rejected rows not shown: `--limit 0` shows all."]
    return "\n".join([*lines, ""])


def _price(v: Decimal | None) -> str:
    from llmcost.render.pricing_out import price

    return price(v)


def pricing_list_markdown(rows: list[ModelRow], at: datetime) -> str:
    """Every model with the prices in force at `at` (USD per million tokens)."""
    from llmcost.render.pricing_out import COLUMNS, UNIT, _status, day

    lines = [f"## Price book at {day(at)}", "", f"{len(rows)} models; {UNIT}; – = no separate price (cache "
             "reads and writes bill as input, a 1h write as the 5m write).", ""]
    if not rows:
        return "\n".join([*lines, "No models match.", ""])
    lines += [_row(["model", "provider", "family", *COLUMNS.values(), "periods", "in force"]),
              _rule("lll" + "r" * len(COLUMNS) + "rl")]
    for r in rows:
        prices = r.period.prices if r.period else {}
        lines.append(_row([md_escape(r.model.id), md_escape(r.model.provider), md_escape(r.model.family),
                           *(_price(prices.get(k)) for k in COLUMNS), str(len(r.model.periods)),
                           md_escape(_status(r))]))
    return "\n".join([*lines, ""])


def pricing_show_markdown(v: ModelView) -> str:
    """A model: its facts as a list, then each price period as a table with its rules and source."""
    from llmcost.render.pricing_out import COLUMNS, UNIT, _discount_text, _windows, day

    m = v.model
    lines = [f"## {md_escape(m.id)}", "",
             f"- Name: {md_escape(m.name)} · provider {md_escape(m.provider)} · family {md_escape(m.family)}"
             + (f" · released {m.released}" if m.released else "")]
    if v.query.lower() != m.id.lower():
        lines.append(f"- {md_escape(v.query)} resolves to {md_escape(m.id)}"
                     + (f", every price × {v.multiplier} ({md_escape(v.platform)})" if v.multiplier != 1 else ""))
    if m.aliases:
        lines.append("- Aliases: " + ", ".join(md_escape(a) for a in m.aliases))
    for pa in m.platform_aliases:
        why = pa.get("note") or pa.get("platform")
        lines.append(f"- Platform alias: {md_escape(pa.get('id'))} × {pa.get('multiplier', 1)}"
                     + (f" ({md_escape(why)})" if why else ""))
    cache = [f"mode {m.cache_mode}" if m.cache_mode else "",
             f"minimum {m.min_cacheable_tokens:,} tokens" if m.min_cacheable_tokens else "",
             f"step {m.cache_step} tokens" if m.cache_step else ""]
    if any(cache):
        lines.append("- Cache: " + md_escape(", ".join(c for c in cache if c)))
    tiers = [f"{t} × {mult}" for t, mult in v.service_tiers.items() if mult is not None]
    lines.append("- Provider service tiers: " + (md_escape(", ".join(tiers)) if tiers else "none (no multiplier)")
                 + "; tier components not listed = standard × that multiplier")
    for column in m.multiplier_columns:
        values = m.model_multipliers.get(column) or {}
        lines.append(f"- Multiplier {md_escape(column)}: "
                     + md_escape(", ".join(f"{k} × {x}" for k, x in values.items())))
    lines += [f"- Discount: {md_escape(_discount_text(d))}" for d in v.discounts]
    lines.append("")
    for i, p in enumerate(m.periods, 1):
        lines += [f"### Period {i}: {day(p.effective_from)} → {day(p.effective_to)}"
                  + (f" (overlay {md_escape(p.overlay)})" if p.overlay else ""), "",
                  _row(["$/MTok", *COLUMNS.values()]), _rule("l" + "r" * len(COLUMNS))]
        labelled: list[tuple[str, dict[str, Decimal]]] = [("standard", p.prices)]
        if p.long_context_threshold is not None:
            labelled.append((f"long context >{p.long_context_threshold:,}", p.long_context))
            labelled += [(f"long context, {t}", prices) for t, prices in p.long_context_tiers.items()]
        labelled += list(p.tiers.items())
        op = p.off_peak
        if op is not None and op.prices:
            labelled.append(("off-peak", op.prices))
        lines += [_row([md_escape(label), *(_price(prices.get(k)) for k in COLUMNS)]) for label, prices in labelled]
        lines.append("")
        if op is not None:
            when = f"{', '.join(_windows(op))} UTC"
            text = (f"Off-peak: base prices apply only at peak, {when} on ISO weekdays "
                    f"{','.join(str(d) for d in op.weekdays or [])}; every other time is off-peak"
                    if op.mode == "peak" else f"Off-peak: {when}" + (" on weekdays" if op.weekdays else ""))
            lines.append("- " + md_escape(text + (f", prices × {op.multiplier}" if op.multiplier is not None else "")))
        lines += [f"- Other: {md_escape(k)} = ${x}" for k, x in p.other.items()]
        lines.append(f"- Source: {md_escape(p.source)} (checked {md_escape(p.checked or '–')})")
        if p.note:
            lines.append(f"- Note: {md_escape(p.note)}")
        lines.append("")
    lines.append(f"{UNIT}; – = no separate price (cache reads and writes bill as input, a 1h write as the 5m "
                 "write; long-context components left out scale with input).")
    return "\n".join([*lines, ""])


def pricing_check_markdown(r: CheckReport, strict: bool = False) -> str:
    """The findings as a table, then whether the book passes."""
    from llmcost.pricing.check import ERROR
    from llmcost.render.pricing_out import check_summary

    lines = ["## Price book check", ""]
    if r.findings:
        lines += [_row(["severity", "model", "finding"]), _rule("lll")]
        lines += [_row(["error" if f.severity == ERROR else "differs from the table" if f.code == "litellm"
                        else "warning", md_escape(f.model or ""),
                        md_escape(f.message)]) for f in r.findings]
        lines.append("")
    ok, summary = check_summary(r, strict)
    lines.append(f"**{'✓' if ok else '✗'} {md_escape(summary)}**")
    return "\n".join([*lines, ""])
