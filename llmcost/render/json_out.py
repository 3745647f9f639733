"""JSON renderings (`--format json`): the stable contracts of DESIGN §1.

Money is USD as a JSON number, unrounded; fractions are 0–1, percentages 0–100 with `_pct` in
their names; times are ISO-8601 UTC with `Z`. Keys are added freely, never renamed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost import __version__
from llmcost.report.analysis import BREAKDOWN_KEYS, DIMENSIONS, Analysis, BreakdownRow

if TYPE_CHECKING:  # types only: importing them would load every log adapter and the levers
    from llmcost.ingest import IngestResult
    from llmcost.report.model import Report
    from llmcost.report.time_series import TimeSeries
    from llmcost.simulate.recommend import RecommendResult
    from llmcost.simulate.run import LeverResult, Simulation
    from llmcost.store import RejectRow, SourceRow, StoreTotals


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, datetime):
        return iso(o)
    if isinstance(o, date):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


# characters a terminal may act on (C1 controls such as CSI U+009B, bidi overrides, line
# separators) that json.dumps leaves raw: written as \u escapes, the same JSON string
_RAW_CONTROLS = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def dumps(doc: dict[str, Any], ensure_ascii: bool = False) -> str:
    """UTF-8 JSON, with no character a terminal acts on (C0 controls are escaped by json, the
    others here); `ensure_ascii` for a stream that cannot encode every character (pure ASCII,
    the same document)."""
    text = json.dumps(doc, indent=2, default=_default, ensure_ascii=ensure_ascii)
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def ingest_dict(result: IngestResult | None) -> dict[str, Any]:
    keys = ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate", "rows_skipped",
            "rows_conflicting")
    if result is None:
        return {k: 0 for k in keys} | {"files": [], "not_call_logs": [], "failed": []}
    doc: dict[str, Any] = {k: result.total(k) for k in keys}
    doc["files"] = [
        {"file": f.file, "adapter": f.adapter, "status": f.status, "content_hash": f.content_hash}
        | {k: getattr(f, k) for k in keys} | {"notes": f.notes}
        # content stored already (status unchanged): its counts as recorded when it was loaded
        | {"stored": None if f.stored is None else f.stored.__dict__}
        for f in result.files
    ]
    doc["not_call_logs"] = [{"file": x.file, "reason": x.reason} for x in result.not_logs]
    doc["failed"] = [{"file": x.file, "reason": x.reason} for x in result.failed]  # exit code 1
    return doc


def money(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def analysis_dict(a: Analysis, series: TimeSeries | None = None) -> dict[str, Any]:
    t = a.totals
    # calls in scope but none priced: the spend is unknown (null), not $0
    known = not t.nothing_priced
    doc: dict[str, Any] = {
        "llmcost_version": __version__,
        "command": "analyze",
        # monthly figures are the 30-day run rate (period.run_rate: its main period, or why none)
        "period": {"start": iso(a.period.start), "end": iso(a.period.end), "days": a.period.days,
                   "run_rate": a.run_rate.as_dict()},
        "totals": {
            "calls": t.calls,
            "priced_calls": t.priced_calls,
            "unpriced_calls": t.unpriced_calls,
            "errored_calls": t.errored_calls,
            "billed_calls": t.billed_calls,
            "nothing_priced": t.nothing_priced,
            "cost_usd": money(t.cost_usd) if known else None,
            "monthly_usd": money(a.monthly_usd) if known else None,
            "cost_per_call_usd": money(t.cost_per_call),
            "avg_input_tokens": t.avg_input_tokens,
            "avg_output_tokens": t.avg_output_tokens,
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "cache_read_tokens": t.cache_read_tokens,
            "cache_write_tokens": t.cache_write_tokens,
            "reasoning_tokens": t.reasoning_tokens,
            "error_calls": t.error_calls,
            "calls_without_time": t.calls_without_time,
            "cache_hit_ratio": t.cache_hit_ratio,
            "output_share_pct": t.output_share_pct,
            "cost_by_component_usd": {
                k: money(v) if known else None
                for k, v in (("uncached_input", t.costs.input), ("cache_read", t.costs.cache_read),
                             ("cache_write", t.costs.cache_write), ("output", t.costs.output),
                             ("other", t.costs.other))},
        },
        "ingest": ingest_dict(a.ingest),
    }
    if a.repriced is not None:  # analyze --as-of DATE: the costs above at DATE's prices
        from llmcost.render import reprice_out

        doc["totals"] |= reprice_out.totals_keys(a)
    def row(name: str, r: BreakdownRow) -> dict[str, Any]:
        # a row whose calls are all unpriced has no cost (null), never $0
        return {name: r.key, "calls": r.calls, "cost_usd": money(r.cost_usd) if r.priced else None,
                "share_pct": r.share_pct,
                "monthly_usd": money(a.row_monthly(r)),
                "unpriced_calls": r.unpriced_calls, "input_tokens": r.input_tokens,
                "cache_read_tokens": r.cache_read_tokens, "cache_write_tokens": r.cache_write_tokens,
                "output_tokens": r.output_tokens, "calls_share_pct": r.calls_share_pct,
                # per billed call (errored calls left out)
                "errored_calls": r.errored_calls, "billed_calls": r.billed_calls,
                "cost_per_call_usd": money(r.cost_per_call),
                "avg_input_tokens": r.avg_input_tokens, "avg_output_tokens": r.avg_output_tokens}

    for name in DIMENSIONS:
        key = BREAKDOWN_KEYS[name]
        doc[key] = [row(name, r) for r in a.breakdowns[key]]
        if name == "model" and a.repriced is not None:
            for model_row, d in zip(a.breakdowns[key], doc[key], strict=True):
                d |= reprice_out.model_row_keys(a, model_row.key)
        # the keys beyond the rows above, summed (`keys`: how many); null when every key is listed
        rest = a.rest.get(key)
        doc[f"{key}_rest"] = None if rest is None else {"keys": rest.keys} | {
            k: v for k, v in row(name, rest.row).items() if k != name}
    if series is not None:  # a time series (--by day|week|month[,SPLIT]): llmcost.report.time_series
        from llmcost.render.time_series_out import series_meta, series_rows

        doc["time_series"] = series_meta(series)
        doc[series.key] = series_rows(series, row)
        doc[f"{series.key}_rest"] = None
    doc["unpriced_models"] = [{"model": u.model, "calls": u.calls, "reason": u.reason, "suggestion": u.suggestion}
                              for u in a.unpriced_models]
    doc["unpriced_components"] = a.unpriced_components
    if a.reconciliation:
        r = a.reconciliation
        doc["reconciliation"] = {
            "calls": r.calls, "logged_cost_usd": money(r.logged_cost_usd),
            "computed_cost_usd": money(r.computed_cost_usd),
            "difference_usd": money(r.difference_usd),
            "by_model": [{"model": m.model, "calls": m.calls,
                          "logged_cost_usd": money(m.logged_cost_usd),
                          "computed_cost_usd": money(m.computed_cost_usd),
                          "difference_usd": money(m.difference_usd), "disagrees": m.disagrees}
                         for m in r.by_model]}
    doc["pareto"] = [{"dimension": p.dimension, "keys": p.keys, "of_keys": p.of_keys,
                      "share_pct": p.share_pct} for p in a.pareto]
    doc["top_calls"] = [{"call_id": c.key, "detail": c.detail, "cost_usd": money(c.cost_usd)}
                        for c in a.top_calls]
    doc["top_conversations"] = [{"conversation_id": c.key, "detail": c.detail,
                                 "cost_usd": money(c.cost_usd)} for c in a.top_conversations]
    doc["prices_used"] = [{"model_id": p.model_id, "effective_from": iso(p.effective_from),
                           "source": p.source, "checked": p.checked, "calls": p.calls,
                           "note": p.note, "overlay": p.overlay} for p in a.prices_used]
    doc["notes"] = a.notes + [n for f in (a.ingest.files if a.ingest else []) for n in f.notes]
    return doc


def ingest_doc(result: IngestResult) -> dict[str, Any]:
    return {"llmcost_version": __version__, "command": "ingest", "ingest": ingest_dict(result)}


def sources_doc(rows: list[SourceRow], totals: StoreTotals | None = None) -> dict[str, Any]:
    """Per file: `calls_stored` (the calls whose kept copy is the file's), `calls_held` (every
    call it holds) and `calls_kept_from_other_files`; `totals` counts each call once."""
    doc: dict[str, Any] = {"llmcost_version": __version__, "command": "sources",
                           "sources": [r.__dict__ for r in rows]}
    if totals is not None:
        doc["totals"] = totals.__dict__
    return doc


def rejects_doc(rows: list[RejectRow], total: int) -> dict[str, Any]:
    return {"llmcost_version": __version__, "command": "rejects", "total": total,
            "rejects": [r.__dict__ for r in rows]}


def _known(sim: Simulation, v: Decimal | None) -> float | None:
    """A plan figure; null when nothing in scope is priced (unknown, not $0)."""
    return None if _nothing_priced(sim) else money(v)


def _monthly(sim: Simulation, v: Decimal) -> float | None:
    """A plan figure's 30-day run rate; null when nothing is priced or there is no run rate."""
    return None if _nothing_priced(sim) else money(sim.monthly(v))


def lever_dict(r: LeverResult, sim: Simulation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "lever": r.lever, "params": r.params, "scope": r.scope, "calls_affected": r.calls_affected,
        "savings_usd": _known(sim, r.savings_usd), "savings_monthly_usd": _monthly(sim, r.savings_usd),
        "cost_before_usd": _known(sim, r.cost_before), "cost_after_usd": _known(sim, r.cost_after),
        "assumptions": r.assumptions, "confidence": r.confidence, "risk": r.risk, "effort": r.effort,
    }
    doc.update(r.metrics)
    if r.quality is not None:  # route and cascade with quality evidence (fractions, null when unknown)
        doc.update(r.quality.as_dict())
    for name, per_task in r.per_task.items():
        doc[f"{name}_by_task_type"] = per_task
    return doc


def _whatif_header(command: str, sim: Simulation) -> dict[str, Any]:
    """What simulate and recommend documents share: the scope's size and the baseline (null when
    no call in scope could be priced: unknown, not $0)."""
    known = not _nothing_priced(sim)
    return {
        "llmcost_version": __version__,
        "command": command,
        "period": {"days": sim.days} | ({"run_rate": sim.run_rate.as_dict()} if sim.run_rate else {}),
        "calls": sim.calls,
        "unpriced_calls": sim.unpriced_calls,
        "priced_calls": sim.calls - sim.unpriced_calls,
        "nothing_priced": not known,
        "baseline": {"cost_usd": money(sim.baseline_usd) if known else None,
                     "monthly_usd": money(sim.monthly(sim.baseline_usd)) if known else None},
    }


def _nothing_priced(sim: Simulation) -> bool:
    return sim.calls > 0 and sim.unpriced_calls >= sim.calls


def _cost(sim: Simulation, v: Decimal) -> dict[str, float | None]:
    """A scenario's cost in the period and per month; null when nothing in scope is priced."""
    if _nothing_priced(sim):
        return {"cost_usd": None, "monthly_usd": None}
    return {"cost_usd": money(v), "monthly_usd": money(sim.monthly(v))}


def simulation_dict(sim: Simulation) -> dict[str, Any]:
    return _whatif_header("simulate", sim) | {
        "scenario": _cost(sim, sim.scenario_usd),
        "savings": {"usd": _known(sim, sim.savings_usd), "monthly_usd": _monthly(sim, sim.savings_usd),
                    "pct": None if _nothing_priced(sim) else sim.savings_pct},
        "levers": [lever_dict(r, sim) for r in sim.levers],
        "notes": sim.notes,
    }


def recommend_dict(res: RecommendResult) -> dict[str, Any]:
    sim = res.simulation
    return _whatif_header("recommend", sim) | {
        "recommendations": [
            {"rank": r.rank, "lever": r.result.lever, "scope": r.result.scope, "params": r.result.params,
             "calls_affected": r.result.calls_affected, "savings_usd": money(r.result.savings_usd),
             "savings_monthly_usd": money(r.savings_monthly_usd), "savings_pct": r.savings_pct,
             "confidence": r.result.confidence, "risk": r.result.risk, "effort": r.result.effort,
             "assumptions": r.result.assumptions, **r.result.metrics,
             **(r.result.quality.as_dict() if r.result.quality is not None else {})}
            for r in res.recommendations],
        "plan": {**_cost(sim, sim.scenario_usd),
                 "savings_usd": _known(sim, sim.savings_usd),
                 "savings_monthly_usd": _monthly(sim, sim.savings_usd),
                 "savings_pct": None if _nothing_priced(sim) else sim.savings_pct,
                 "steps": [lever_dict(r, sim) for r in sim.levers],
                 "left_out": res.dropped,
                 "simulate_args": res.simulate_args},
        "rules": res.rules,
        "not_evaluated": res.not_evaluated,
        "notes": sim.notes,
    }


def report_dict(r: Report) -> dict[str, Any]:
    """`llmcost report -o report.json`: the analyze and recommend documents, unchanged, with the
    report's metadata and its spend lines (day × provider × model × token class)."""
    cur = r.currency
    known = not r.nothing_priced  # nothing priced: the spend is unknown, not $0
    headline: dict[str, Any] = {
        "spend_usd": money(r.spend_usd) if known else None,
        "monthly_usd": money(r.monthly_usd) if known else None,
        "calls": r.analysis.totals.calls, "errored_calls": r.analysis.totals.errored_calls,
        "unpriced_calls": r.analysis.totals.unpriced_calls,
        "savings_monthly_usd": money(r.savings_monthly_usd) if known else None,
        "savings_usd": money(r.savings_usd) if known else None,
        "savings_pct": r.savings_pct if known else None,
        # what the monthly figures are: the 30-day run rate, with its main period or why there is none
        "run_rate": r.analysis.run_rate.as_dict()}
    doc: dict[str, Any] = {
        "report_version": r.version,
        "llmcost_version": r.llmcost_version,
        "command": "report",
        "title": r.title,
        "generated_at": iso(r.generated_at),
        "command_line": r.command_line,
        "scope": r.scope_description,
        "price_book": {"files": r.price_book_files, "checked": r.price_book_checked},
        "currency": {"code": cur.code, "rate_per_usd": float(cur.rate)} if cur else None,
        "headline": headline,
    }
    if cur:
        doc["headline_converted"] = {"currency": cur.code} | {
            k.removesuffix("_usd"): money(cur.convert(v))
            for k, v in (("spend_usd", r.spend_usd if known else None),
                         ("monthly_usd", r.monthly_usd if known else None),
                         ("savings_monthly_usd", r.savings_monthly_usd if known else None)) if v is not None}
    doc["analyze"] = analysis_dict(r.analysis)
    doc["recommend"] = recommend_dict(r.recommend)
    doc["files"] = [f.__dict__ for f in r.files]
    doc["files_left_alone"] = [{"file": x.file, "reason": x.reason} for x in r.files_left_alone]
    doc["files_failed"] = [{"file": x.file, "reason": x.reason} for x in r.files_failed]
    doc["spend_lines"] = [
        {"day": ln.day, "provider": ln.provider, "model": ln.model, "token_class": ln.token_class,
         "priced": ln.priced, "calls": ln.calls, "quantity": ln.quantity, "unit": ln.consumed_unit.lower(),
         "cost_usd": money(ln.billed_cost_usd), "list_cost_usd": money(ln.list_cost_usd),
         "unit_price_usd": money(ln.contracted_unit_price), "pricing_unit": ln.pricing_unit}
        for ln in r.spend_lines]
    return doc
