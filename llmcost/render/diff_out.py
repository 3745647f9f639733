"""`llmcost diff` rendered without rich: the words every format shares, the JSON contract (issue
16: `a {start, end, cost_usd, calls}`, `b {…}`, `change_usd`, `drivers[] {driver, scope, usd}`,
`by_feature[]`, `by_tenant[]`; added: `realised[]`, `by_task[]`, `method`) and Markdown for a
pull-request comment or a chat message (infracost's `diff`: the headline, then the largest
drivers). Money in JSON unrounded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmcost.report.diff import DRIVERS, DiffResult, Driver, KeyChange, Period, span_text

DRIVER_LABELS = {"volume": "volume (calls)", "mix": "mix",
                 "input_tokens_per_call": "input tokens per call", "output_tokens_per_call": "output tokens per call",
                 "cache_hit_rate": "cache hit rate", "prices": "prices"}
KEY_LABELS = {"task": "Task", "feature": "Feature", "tenant": "Tenant"}
METHOD = ("Each (task, model, service tier) cell moves from A to B one factor at a time, in this order: "
          "volume (the total calls), mix (the tasks' shares of the calls, the models' within a task, "
          "the service tiers' within a model), input tokens per call, output tokens per call, cache hit "
          "rate, all at A's unit prices; prices is what is left (B's tokens at B's prices against A's, "
          "long-context and off-peak prices included). The drivers add up exactly to the change. "
          "Unpriced calls are left out of the money; periods in UTC.")
TOP_DRIVERS = 10  # driver rows shown in the table and Markdown (JSON has them all)
TOP_KEYS = 5  # features and tenants shown


def usd(v: Decimal) -> str:
    """Dollars, with enough decimals for a small amount not to read as $0."""
    a = abs(v)
    if a >= Decimal("0.01") or a == 0:
        return f"${a:,.2f}"
    if a >= Decimal("0.0001"):
        return f"${a:,.4f}"
    return f"${a:,.6f}" if a >= Decimal("0.000001") else "<$0.000001"


def signed(v: Decimal) -> str:
    if v == 0:
        return "$0.00"
    return ("+" if v > 0 else "-") + usd(v)


def pct_change(r: DiffResult) -> str:
    p = r.change_pct
    if p is None:
        return "from nothing priced"
    return f"{'+' if p >= 0 else '-'}{abs(p):,.1f} %"


def period_name(p: Period) -> str:
    """The period as typed, with its dates where it was typed otherwise (`7d (2026-10-08..2026-10-14)`);
    a range typed is shown as its dates."""
    span = span_text(p.start, p.end)
    return span if p.label.strip() == span or ".." in p.label else f"{p.label} ({span})"


def headline(r: DiffResult) -> str:
    if not r.a.priced_calls and not r.b.priced_calls:
        return (f"No priced spend from {period_name(r.a)} to {period_name(r.b)}: every call is unpriced "
                f"({r.a.calls + r.b.calls:,})")
    if r.change_usd == 0:
        return f"Spend unchanged ({usd(r.a.cost_usd)}) from {period_name(r.a)} to {period_name(r.b)}"
    return f"Spend {signed(r.change_usd)} ({pct_change(r)}) from {period_name(r.a)} to {period_name(r.b)}"


def calls(n: int) -> str:
    return f"{n:,} call{'s' * (n != 1)}"


def period_line(p: Period) -> str:
    """`2026-10-01 to 2026-10-07: $12.34, 1,200 calls (3 unpriced)`."""
    days = p.days
    length = (f" ({days.normalize():f} day{'s' * (days != 1)})" if days == days.to_integral_value()
              else " (end excluded)")
    unpriced = f", {p.unpriced_calls:,} of them unpriced" if p.unpriced_calls else ""
    unpriced += f", {p.unbilled_calls:,} not billed (errors)" if p.unbilled_calls else ""
    cost = usd(p.cost_usd) if p.priced_calls else "nothing priced"
    return f"{span_text(p.start, p.end)}{length}: {cost}, {calls(p.calls)}{unpriced}"


def unpriced_note(p: Period, which: str) -> str | None:
    if not p.unpriced_models:
        return None
    models = "; ".join(f"{m if m is not None else '(no model named)'} {n:,} ({why})"
                       for m, n, why in p.unpriced_models[:5])
    more = f"; and {len(p.unpriced_models) - 5} more" if len(p.unpriced_models) > 5 else ""
    return f"{which}: {calls(p.unpriced_calls)} unpriced, left out of the spend (not $0): {models}{more}."


def _tok(v: Decimal | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def _rate(v: Decimal | None) -> str:
    return "–" if v is None else f"{v * 100:.0f} %"


def _share(n: int, total: int) -> str:
    return "–" if not total else f"{Decimal(n) / total * 100:.1f} %"


def evidence(d: Driver, keys: dict[str | None, KeyChange]) -> str:
    """What moved, in words: `calls 32 → 4`, `1,000 → 2,000 tokens`, `cache hit rate 12 % → 48 %`."""
    k = keys.get(d.scope)
    if k is None:
        return ""
    total_a = sum(x.a_calls for x in keys.values())
    total_b = sum(x.b_calls for x in keys.values())
    if d.driver == "volume":
        if not total_a:
            return ""
        return f"billed calls, all tasks: {total_a:,} → {total_b:,} (×{Decimal(total_b) / total_a:,.3f})"
    if d.driver == "mix":
        parts = [f"{name} {signed(v)}" for name, v in (("task share", k.mix_parts["key_share"]),
                                                        ("models", k.mix_parts["model"]),
                                                        ("tiers", k.mix_parts["service_tier"])) if v != 0]
        shares = (f", {_share(k.a_calls, total_a)} → {_share(k.b_calls, total_b)} of all")
        return f"calls {k.a_calls:,} → {k.b_calls:,}{shares}" + (f"; {', '.join(parts)}" if parts else "")
    if d.driver == "input_tokens_per_call":
        return f"{_tok(k.per_call('a', 'input'))} → {_tok(k.per_call('b', 'input'))} tokens per call"
    if d.driver == "output_tokens_per_call":
        return f"{_tok(k.per_call('a', 'output'))} → {_tok(k.per_call('b', 'output'))} tokens per call"
    if d.driver == "cache_hit_rate":
        return f"{_rate(k.per_call('a', 'cache'))} → {_rate(k.per_call('b', 'cache'))} of prompt tokens read from cache"
    return "the same tokens at B's prices against A's"


def scope_text(v: str | None) -> str:
    return "(none)" if v is None else v


# --- JSON --------------------------------------------------------------------------------------


def _period_dict(p: Period) -> dict[str, Any]:
    from llmcost.render.json_out import iso

    return {"label": p.label, "start": iso(p.start), "end": iso(p.end), "end_excluded": True,
            "span": span_text(p.start, p.end), "days": float(p.days),
            "cost_usd": p.cost_usd if p.priced_calls else None, "calls": p.calls,
            "priced_calls": p.priced_calls, "unpriced_calls": p.unpriced_calls, "unbilled_calls": p.unbilled_calls,
            "unpriced_models": [{"model": m, "calls": n, "reason": why} for m, n, why in p.unpriced_models]}


def _key_dict(dim: str, k: KeyChange) -> dict[str, Any]:
    drivers = sorted(((d, v) for d, v in k.drivers.items() if v != 0), key=lambda x: -abs(x[1]))
    return {dim: k.key, "a_usd": k.a_usd, "b_usd": k.b_usd, "change_usd": k.change_usd,
            "a_calls": k.a_calls, "b_calls": k.b_calls,
            "drivers": [{"driver": d, "usd": v} for d, v in drivers],
            "mix_parts": {"share": k.mix_parts["key_share"], "model": k.mix_parts["model"],
                          "service_tier": k.mix_parts["service_tier"]},
            "input_tokens_per_call": {"a": k.per_call("a", "input"), "b": k.per_call("b", "input")},
            "output_tokens_per_call": {"a": k.per_call("a", "output"), "b": k.per_call("b", "output")},
            "cache_hit_rate": {"a": k.per_call("a", "cache"), "b": k.per_call("b", "cache")}}


def diff_dict(r: DiffResult) -> dict[str, Any]:
    keys = {k.key: k for k in r.by_task}
    return {
        "a": _period_dict(r.a), "b": _period_dict(r.b),
        "change_usd": r.change_usd, "change_pct": r.change_pct,
        "drivers": [{"driver": d.driver, "scope": d.scope, "usd": d.usd, "evidence": evidence(d, keys)}
                    for d in r.drivers()],
        "driver_totals": r.driver_totals(),
        "by_task": [_key_dict("task", k) for k in r.by_task],
        "by_feature": [_key_dict("feature", k) for k in r.by_feature],
        "by_tenant": [_key_dict("tenant", k) for k in r.by_tenant],
        "realised": [{"lever": x.lever, "scope": x.scope, "evidence": x.evidence, "saving_usd": x.saving_usd,
                      "confidence": x.confidence} for x in r.realised],
        "method": method(r),
        "repriced_at": None if r.repriced_at is None else r.repriced_at.isoformat(),
        "notes": notes(r),
    }


def notes(r: DiffResult) -> list[str]:
    """What a reader must know beside the figures: the unpriced calls left out, the periods."""
    return [n for n in (unpriced_note(r.a, "A"), unpriced_note(r.b, "B")) if n] + r.notes


def method(r: DiffResult) -> str:
    if r.repriced_at is None:
        return METHOD
    return (METHOD + f" A model, tier or token kind A does not have is priced at the prices in force on "
            f"{r.repriced_at:%Y-%m-%d %H:%M} UTC (the middle of A), so its arrival is not taken for a price change.")


# --- Markdown ----------------------------------------------------------------------------------


def realised_line(x: Any) -> str:
    return f"{x.lever} on {scope_text(x.scope)}: {x.evidence}, saved {usd(x.saving_usd)}"


def _top_keys(dim: str, rows: list[KeyChange], md_escape: Any) -> list[str]:
    if not rows or (len(rows) == 1 and rows[0].key is None):
        return []
    out = ["", f"**By {dim.lower()}**", "", f"| {dim} | A | B | Change | Largest driver |", "|---|---:|---:|---:|---|"]
    for k in rows[:TOP_KEYS]:
        top = max(k.drivers.items(), key=lambda x: abs(x[1]))
        out.append(f"| {md_escape(scope_text(k.key))} | {usd(k.a_usd)} | {usd(k.b_usd)} | {signed(k.change_usd)} | "
                   f"{DRIVER_LABELS[top[0]]} {signed(top[1])} |")
    if len(rows) > TOP_KEYS:
        rest = sum((k.change_usd for k in rows[TOP_KEYS:]), Decimal(0))
        out.append(f"| {len(rows) - TOP_KEYS:,} more | | | {signed(rest)} | |")
    return out


def diff_markdown(r: DiffResult) -> str:
    from llmcost.render.markdown import md_escape

    keys = {k.key: k for k in r.by_task}
    lines = [f"**llmcost diff**: {md_escape(headline(r))}", "",
             f"- A: {md_escape(period_line(r.a))}", f"- B: {md_escape(period_line(r.b))}"]
    drivers = r.drivers()
    if drivers:
        totals = r.driver_totals()
        lines += ["", " · ".join(f"{DRIVER_LABELS[d]} {signed(v)}" for d, v in totals.items() if v != 0), "",
                  "| Driver | Task | Change | What moved |", "|---|---|---:|---|"]
        for d in drivers[:TOP_DRIVERS]:
            lines.append(f"| {DRIVER_LABELS[d.driver]} | {md_escape(scope_text(d.scope))} | {signed(d.usd)} | "
                         f"{md_escape(evidence(d, keys))} |")
        if len(drivers) > TOP_DRIVERS:
            rest = sum((d.usd for d in drivers[TOP_DRIVERS:]), Decimal(0))
            lines.append(f"| {len(drivers) - TOP_DRIVERS:,} more | | {signed(rest)} | |")
    if r.realised:
        lines += ["", "**Realised savings** (measured in the traffic between A and B)", ""]
        lines += [f"- {md_escape(realised_line(x))}" for x in r.realised]
    lines += _top_keys("Feature", r.by_feature, md_escape)
    lines += _top_keys("Tenant", r.by_tenant, md_escape)
    lines += [f"\n_{md_escape(n)}_" for n in notes(r)]
    lines += ["", f"_{md_escape(method(r))}_"]
    return "\n".join(lines) + "\n"


__all__ = ["DRIVERS", "diff_dict", "diff_markdown", "headline"]
