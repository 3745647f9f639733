"""`llmcost diff A B`: what changed in the priced spend between two periods, split into drivers
that add up exactly to the change (issue 16, items 2 and 7).

Periods (UTC): a day `2026-10-05`, a month `2026-10`, a year, a range `2026-10-01..2026-10-15`
(both ends included; either end may be a month or a time, a time end excluded), `today`,
`yesterday`, or relative `7d` (the last 7 whole days, ending with the day of the last call in
scope), `2w` (14 days), `7d-1` (the 7 days before those), `7d-2` (the 7 before those). Relative
periods count back from the last call in scope, never from the clock. Periods must not overlap,
and each must hold calls.

Method (a chained substitution per cell, exact by construction). The priced, billed calls of each
period are summed in one DuckDB pass per cell = (key, model, service tier), the key being the
task (the `drivers[]`), the feature (`by_feature[]`) or the tenant (`by_tenant[]`): calls, token
sums (uncached input, cache read, cache write, output) and the cost of each component. Each
cell's effective unit prices come from A (a component's cost over its tokens); where A lacks the
cell or the component, from B's tokens repriced at the prices in force in the middle of A
(`pricing.engine.priced_sql(as_of=…)`), and where the book has no price then, from B's own. Each
cell's spend then moves from A to B one factor at a time, in this fixed order, each state by one
formula (N calls, i prompt tokens per call, o output tokens per call, h / w the cache read / write
shares of the prompt tokens, p the unit prices, k other charges per call):

  volume   every cell's A spend scaled by the change in the total calls (B calls / A calls);
  mix      the calls of each cell as in B: first the keys' shares of the calls, then the
           models' shares within a key, then the service tiers' within a model (a move to
           batch shows here); new cells enter here at their unit cost;
  input_tokens_per_call, output_tokens_per_call, cache_hit_rate
           i, then o, then h and w take their B values, with A's unit prices;
  prices   B's actual spend minus the last state: B's tokens at B's prices against A's. It
           also takes what the per-call figures cannot express: long-context tiers and off-peak
           windows (the price depends on the call), web searches per call.

State = N × (i × ((1 − h − w) × p_input + h × p_cache_read + w × p_cache_write) + o × p_output
+ k). Each driver is the difference of two consecutive states; the first state is A's actual spend
and the last B's, so a key's drivers add up to its change and all drivers to `change_usd`,
exactly (Decimal arithmetic; the states are kept to 24 decimal places).

Calls the price book cannot price are left out of the money and listed per period (never $0);
calls the provider does not bill (errors) cost nothing and are left out of the cells.

Realised savings (item 7): the levers that show in the traffic between A and B, per task — a
higher cache hit rate (its `cache_hit_rate` driver when negative), calls moved to a cheaper model
(the model part of its `mix` driver when negative, with the models the calls moved from and to),
a larger batch share (the service-tier part of its `mix` when negative) — each with its
evidence in words and the saving, measured.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.errors import UsageError
from llmcost.scope import parse_bound

if TYPE_CHECKING:
    from llmcost.pricing.book import PriceBook
    from llmcost.scope import Scope
    from llmcost.store import Store

DRIVERS = ("volume", "mix", "input_tokens_per_call", "output_tokens_per_call", "cache_hit_rate", "prices")
MIX_PARTS = ("key_share", "model", "service_tier")  # the mix driver, step by step
DIMENSIONS = {"task": "task_type", "feature": "feature", "tenant": "tenant"}
COMPONENTS = ("uncached", "read", "write", "output")
ZERO = Decimal(0)
_PLACES = Decimal(10) ** -24
_CONTEXT = decimal.Context(prec=80)
PERIOD_HINT = ("A period is a day (2026-10-05), a month (2026-10), a range (2026-10-01..2026-10-15), "
               "today, yesterday, or counted back from the last call: 7d (the last 7 days), 7d-1 (the 7 "
               "days before those), 2w. For example: llmcost diff 7d-1 7d.")
_SHIFTED = re.compile(r"^(\d+)\s*([dw])\s*-\s*(\d+)$")
_RELATIVE_DAYS = re.compile(r"^(\d+)\s*([dwh])$")
_DATE = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?$|^\d{4}$")


# --- periods ---------------------------------------------------------------------------------


def parse_period(text: str, which: str, last_call: datetime | None) -> tuple[datetime, datetime]:
    """(start, end) of a period as typed (the module docstring), `end` exclusive; relative
    periods count back from `last_call`."""
    option = f"period {which}"
    v = text.strip().lower()
    if not v:
        raise UsageError(f"{option}: empty.", PERIOD_HINT)
    if ".." in v:
        left, _, right = v.partition("..")
        if not left.strip() or not right.strip():
            raise UsageError(f"{option} {text}: a range needs both ends.", PERIOD_HINT)
        start = parse_bound(left, option, False, last_call)
        end = parse_bound(right, option, True, last_call)
        if end <= start:
            raise UsageError(f"{option} {text}: ends before it starts ({start:%Y-%m-%d %H:%M} to "
                             f"{end:%Y-%m-%d %H:%M}).", "Write the earlier end first, e.g. 2026-10-01..2026-10-15.")
        return start, end
    shifted = _SHIFTED.match(v)
    if shifted:
        n, unit, back = int(shifted.group(1)), shifted.group(2), int(shifted.group(3))
        start, end = _relative(f"{n}{unit}", option, last_call)
        shift = timedelta(days=n * (7 if unit == "w" else 1) * back)
        return start - shift, end - shift
    rel = _RELATIVE_DAYS.match(v)
    if rel:
        if rel.group(2) == "h":
            raise UsageError(f"{option} {text}: periods are whole days.", PERIOD_HINT)
        return _relative(v, option, last_call)
    if v in ("today", "yesterday") or _DATE.match(v):
        return parse_bound(v, option, False, last_call), parse_bound(v, option, True, last_call)
    raise UsageError(f"{option} {text}: not a period.", PERIOD_HINT)


def _relative(v: str, option: str, last_call: datetime | None) -> tuple[datetime, datetime]:
    start = parse_bound(v, option, False, last_call)
    assert last_call is not None  # parse_bound said so otherwise
    return start, datetime(last_call.year, last_call.month, last_call.day) + timedelta(days=1)


def check_period_syntax(a: str, b: str) -> None:
    """Before the store opens: both periods parse (a relative one only as text)."""
    parse_period(a, "A", datetime(2000, 1, 1))
    parse_period(b, "B", datetime(2000, 1, 1))


def span_text(start: datetime, end: datetime) -> str:
    """`2026-10-01..2026-10-15` (whole days, the last one included, as a period is typed), else
    times, the end excluded: `2026-10-01 06:00..18:00`, `2026-10-01 06:00..2026-10-02 06:00`."""
    whole = start.time() == end.time() == datetime.min.time()
    if whole:
        last = end - timedelta(days=1)
        return f"{start:%Y-%m-%d}" if last == start else f"{start:%Y-%m-%d}..{last:%Y-%m-%d}"
    to = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}..{to}"


# --- results ---------------------------------------------------------------------------------


@dataclass
class Period:
    label: str  # as typed
    start: datetime
    end: datetime  # exclusive
    calls: int = 0  # every call in the period
    cost_usd: Decimal = ZERO  # the priced calls' spend
    priced_calls: int = 0
    unbilled_calls: int = 0  # priced, but the provider does not bill them (errors)
    # (model, calls, why: the pricing's `unpriced_reason`)
    unpriced_models: list[tuple[str | None, int, str]] = field(default_factory=list)

    @property
    def unpriced_calls(self) -> int:
        return sum(n for _, n, _ in self.unpriced_models)

    @property
    def days(self) -> Decimal:
        return Decimal((self.end - self.start).total_seconds()) / 86400


@dataclass
class Driver:
    driver: str
    scope: str | None  # the task (or feature, tenant) the part belongs to
    usd: Decimal


@dataclass
class KeyChange:
    """One task, feature or tenant: its spend in A and B and the change split into drivers."""

    key: str | None
    a_usd: Decimal
    b_usd: Decimal
    drivers: dict[str, Decimal]
    mix_parts: dict[str, Decimal]
    a_calls: int = 0
    b_calls: int = 0
    a_tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0))
    b_tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0))
    # per model: [A calls, B calls, spend at A's figures (A's actual; a new model's B calls at A's
    # prices)]: the model part of mix is the sum over models of B calls × (B share − A share) ×
    # that spend per call
    models: dict[str, list[Decimal]] = field(default_factory=dict)

    def model_contributions(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """Per model: (A share of the key's calls, B share, its part of the mix's model part):
        B calls × (B share − A share) × (its cost per call at A's figures − the key's A average);
        the parts add up to the model part of `mix` (the average term sums to nothing)."""
        if not self.a_calls or not self.b_calls:
            return {}
        na, nb = Decimal(self.a_calls), Decimal(self.b_calls)
        average = self.a_usd / na
        out = {}
        for m, (ma, mb, spend) in self.models.items():
            per_call = spend / ma if ma else spend / mb
            sa, sb = ma / na, mb / nb
            out[m] = (sa, sb, nb * (sb - sa) * (per_call - average))
        return out

    @property
    def change_usd(self) -> Decimal:
        return self.b_usd - self.a_usd

    def per_call(self, period: str, what: str) -> Decimal | None:
        """Prompt (`input`) or output tokens per call, or the cache hit rate (`cache`: cache
        reads over prompt tokens) in period `a` or `b`; None without calls."""
        calls, tok = (self.a_calls, self.a_tokens) if period == "a" else (self.b_calls, self.b_tokens)
        prompt = tok["uncached"] + tok["read"] + tok["write"]
        if what == "cache":
            return Decimal(tok["read"]) / Decimal(prompt) if prompt else None
        if not calls:
            return None
        return Decimal(prompt if what == "input" else tok["output"]) / Decimal(calls)


@dataclass
class Realised:
    lever: str  # cache | route | batch (simulate's lever names)
    scope: str | None  # the task
    evidence: str
    saving_usd: Decimal
    confidence: str = "measured"


@dataclass
class DiffResult:
    a: Period
    b: Period
    by_task: list[KeyChange]
    by_feature: list[KeyChange]
    by_tenant: list[KeyChange]
    realised: list[Realised]
    repriced_at: datetime | None  # the instant B's new cells were priced at (the middle of A)
    notes: list[str] = field(default_factory=list)

    @property
    def change_usd(self) -> Decimal:
        return self.b.cost_usd - self.a.cost_usd

    @property
    def change_pct(self) -> Decimal | None:
        return None if not self.a.cost_usd else self.change_usd / self.a.cost_usd * 100

    def drivers(self) -> list[Driver]:
        """The `drivers[]` rows: driver × task, one partition of `change_usd` (rows of exactly $0
        left out), largest |usd| first."""
        rows = [Driver(d, k.key, usd) for k in self.by_task for d, usd in k.drivers.items() if usd != 0]
        return sorted(rows, key=lambda r: (-abs(r.usd), DRIVERS.index(r.driver), str(r.scope)))

    def driver_totals(self) -> dict[str, Decimal]:
        return {d: sum((k.drivers[d] for k in self.by_task), ZERO) for d in DRIVERS}


# --- the cells -------------------------------------------------------------------------------


@dataclass
class Cell:
    """A (key, model, tier) cell of one period: calls, tokens and cost per component."""

    calls: int
    tokens: dict[str, int]  # uncached, read, write, output
    cost: dict[str, Decimal]  # uncached, read, write, output, other

    @property
    def total(self) -> Decimal:
        return sum(self.cost.values(), ZERO)

    @property
    def prompt(self) -> int:
        return self.tokens["uncached"] + self.tokens["read"] + self.tokens["write"]


CellKey = tuple[str | None, str, str]  # key, model, tier
Cells = dict[str, dict[str, dict[CellKey, Cell]]]  # dimension -> period ("a" | "b") -> cell


def _figures_sql() -> str:
    return """count(*),
        sum(coalesce(input_tokens, 0) - coalesce(cache_read_tokens, 0) - coalesce(cache_write_5m_tokens, 0)
            - coalesce(cache_write_1h_tokens, 0)),
        sum(coalesce(cache_read_tokens, 0)),
        sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)),
        sum(coalesce(output_tokens, 0)),
        sum(cost_input), sum(cost_cache_read), sum(cost_cache_write), sum(cost_output), sum(cost_other)"""


def _cells_sql(relation: str, where: str) -> str:
    """One pass: the cells of every dimension (grouping sets), per period `_p`."""
    dim_tag = ("CASE WHEN grouping(task_type) = 0 THEN 'task' WHEN grouping(feature) = 0 THEN 'feature' "
               "ELSE 'tenant' END")
    key = ("CASE WHEN grouping(task_type) = 0 THEN task_type WHEN grouping(feature) = 0 THEN feature "
           "ELSE tenant END")
    sets = ", ".join(f"(_p, {col}, _model, _tier)" for col in DIMENSIONS.values())
    return f"""
        SELECT _p, {dim_tag}, CAST({key} AS VARCHAR), _model, _tier, {_figures_sql()}
        FROM (SELECT *, coalesce(model_id, model) AS _model, coalesce(lower(service_tier), 'standard') AS _tier
              FROM {relation} WHERE {where})
        GROUP BY GROUPING SETS ({sets})"""


def _period_case(a: Period, b: Period) -> str:
    from llmcost.pricing.engine import sql_literal

    def within(p: Period) -> str:
        return f"(ts >= {sql_literal(p.start)} AND ts < {sql_literal(p.end)})"

    return f"CASE WHEN {within(a)} THEN 'a' WHEN {within(b)} THEN 'b' END"


def _read_cells(rows: list[tuple[object, ...]]) -> Cells:
    cells: Cells = {d: {"a": {}, "b": {}} for d in DIMENSIONS}
    for p, dim, key, model, tier, n, u, r, w, o, cu, cr, cw, co, cx in rows:
        cell = Cell(int(n),  # type: ignore[call-overload]
                    {"uncached": int(u), "read": int(r), "write": int(w), "output": int(o)},  # type: ignore[call-overload]
                    {"uncached": _dec(cu), "read": _dec(cr), "write": _dec(cw), "output": _dec(co),
                     "other": _dec(cx)})
        cells[str(dim)][str(p)][(None if key is None else str(key), str(model), str(tier))] = cell
    return cells


def _dec(v: object) -> Decimal:
    return ZERO if v is None else v if isinstance(v, Decimal) else Decimal(str(v))


# --- the decomposition -------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """Per-call figures of a cell: prompt tokens i, output tokens o, cache read / write shares."""

    i: Decimal
    o: Decimal
    h: Decimal
    w: Decimal


def _metrics(c: Cell) -> Metrics:
    n = Decimal(c.calls)
    prompt = Decimal(c.prompt)
    return Metrics(prompt / n, Decimal(c.tokens["output"]) / n,
                   Decimal(c.tokens["read"]) / prompt if prompt else ZERO,
                   Decimal(c.tokens["write"]) / prompt if prompt else ZERO)


def _unit(m: Metrics, p: dict[str, Decimal]) -> Decimal:
    return (m.i * ((1 - m.h - m.w) * p["uncached"] + m.h * p["read"] + m.w * p["write"])
            + m.o * p["output"] + p["other"])


def _prices(a: Cell | None, b: Cell | None, repriced: Cell | None) -> dict[str, Decimal]:
    """The cell's unit prices: A's effective ones; where A has none, B's tokens repriced at A's
    time, else B's own."""
    out: dict[str, Decimal] = {}
    for comp in COMPONENTS:
        out[comp] = ZERO
        for src in (a, repriced, b):
            if src is not None and src.tokens[comp] > 0:
                out[comp] = src.cost[comp] / Decimal(src.tokens[comp])
                break
    src = a if a is not None else b
    out["other"] = src.cost["other"] / Decimal(src.calls) if src is not None and src.calls else ZERO
    return out


def _q(v: Decimal) -> Decimal:
    return v.quantize(_PLACES, context=_CONTEXT)


def decompose(a_cells: dict[CellKey, Cell], b_cells: dict[CellKey, Cell],
              repriced: dict[CellKey, Cell] | None = None) -> list[KeyChange]:
    """The change from A to B per key, split into the drivers (the module docstring), largest
    |change| first. Pure: the cells are given."""
    repriced = repriced or {}
    with decimal.localcontext(_CONTEXT):
        na_tot = sum(c.calls for c in a_cells.values())
        nb_tot = sum(c.calls for c in b_cells.values())
        na_key: dict[str | None, int] = {}
        nb_key: dict[str | None, int] = {}
        na_km: dict[tuple[str | None, str], int] = {}
        nb_km: dict[tuple[str | None, str], int] = {}
        for cells, by_key, by_km in ((a_cells, na_key, na_km), (b_cells, nb_key, nb_km)):
            for (k, m, _), c in cells.items():
                by_key[k] = by_key.get(k, 0) + c.calls
                by_km[(k, m)] = by_km.get((k, m), 0) + c.calls
        out: dict[str | None, KeyChange] = {}
        for ck in sorted(set(a_cells) | set(b_cells), key=lambda x: tuple(str(v) for v in x)):
            a, b = a_cells.get(ck), b_cells.get(ck)
            k, m, _ = ck
            prices = _prices(a, b, repriced.get(ck))
            ma = _metrics(a) if a is not None else _metrics(b)  # type: ignore[arg-type]
            mb = _metrics(b) if b is not None else ma
            nb = Decimal(b.calls) if b is not None else ZERO
            s0 = a.total if a is not None else ZERO
            s_b = b.total if b is not None else ZERO
            unit_a = _unit(ma, prices)
            s2 = _q(nb * unit_a)
            s1 = _q(s0 * nb_tot / na_tot) if na_tot else ZERO
            s1_key = _q(s0 * nb_key.get(k, 0) / na_key[k]) if na_key.get(k) else s2
            s1_model = _q(s0 * nb_km.get((k, m), 0) / na_km[(k, m)]) if na_km.get((k, m)) else s2
            s3 = _q(nb * _unit(Metrics(mb.i, ma.o, ma.h, ma.w), prices))
            s4 = _q(nb * _unit(Metrics(mb.i, mb.o, ma.h, ma.w), prices))
            s5 = _q(nb * _unit(mb, prices))
            row = out.setdefault(k, KeyChange(k, ZERO, ZERO, dict.fromkeys(DRIVERS, ZERO),
                                              dict.fromkeys(MIX_PARTS, ZERO)))
            row.a_usd += s0
            row.b_usd += s_b
            per_model = row.models.setdefault(m, [ZERO, ZERO, ZERO])
            per_model[0] += a.calls if a is not None else 0
            per_model[1] += nb
            per_model[2] += s0 if na_km.get((k, m)) else s2
            for cell, calls_of, tokens_of in ((a, "a_calls", row.a_tokens), (b, "b_calls", row.b_tokens)):
                if cell is not None:
                    setattr(row, calls_of, getattr(row, calls_of) + cell.calls)
                    for comp in COMPONENTS:
                        tokens_of[comp] += cell.tokens[comp]
            steps = {"volume": s1 - s0, "mix": s2 - s1, "input_tokens_per_call": s3 - s2,
                     "output_tokens_per_call": s4 - s3, "cache_hit_rate": s5 - s4, "prices": s_b - s5}
            for d, v in steps.items():
                row.drivers[d] += v
            for part, v in (("key_share", s1_key - s1), ("model", s1_model - s1_key), ("service_tier", s2 - s1_model)):
                row.mix_parts[part] += v
    return sorted(out.values(), key=lambda r: (-abs(r.change_usd), str(r.key)))


# --- realised savings --------------------------------------------------------------------------


def _pct(x: Decimal) -> str:
    return f"{x * 100:.0f} %"


def realised_savings(by_task: list[KeyChange], a_cells: dict[CellKey, Cell],
                     b_cells: dict[CellKey, Cell]) -> list[Realised]:
    """The levers that show in the traffic between A and B, per task (module docstring)."""
    out: list[Realised] = []
    for kc in by_task:
        if kc.a_calls == 0 or kc.b_calls == 0:
            continue
        a = [(ck, c) for ck, c in a_cells.items() if ck[0] == kc.key]
        b = [(ck, c) for ck, c in b_cells.items() if ck[0] == kc.key]
        cache = kc.drivers["cache_hit_rate"]
        hit_a, hit_b = _hit_rate(a), _hit_rate(b)
        if cache < 0 and hit_b > hit_a:
            out.append(Realised("cache", kc.key, f"cache hit rate {_pct(hit_a)} → {_pct(hit_b)} of prompt tokens",
                                -cache))
        model_part = kc.mix_parts["model"]
        if model_part < 0:
            shares = {m: (sa, sb) for m, (sa, sb, _) in kc.model_contributions().items() if sa != sb}
            gained = sorted((m for m in shares if shares[m][1] > shares[m][0]),
                            key=lambda m: (shares[m][0] - shares[m][1], m))
            lost = sorted((m for m in shares if shares[m][1] < shares[m][0]),
                          key=lambda m: (shares[m][1] - shares[m][0], m))
            moved = sum((shares[m][1] - shares[m][0] for m in gained), ZERO)
            out.append(Realised("route", kc.key, f"{_pct(moved)} of calls moved from {_named(lost, shares)} to "
                                f"{_named(gained, shares)} (shares of the task's calls)", -model_part))
        tier_part = kc.mix_parts["service_tier"]
        batch_a, batch_b = _shares(a, 2).get("batch", ZERO), _shares(b, 2).get("batch", ZERO)
        if tier_part < 0 and batch_b > batch_a:
            out.append(Realised("batch", kc.key, f"batch share {_pct(batch_a)} → {_pct(batch_b)} of the calls",
                                -tier_part))
    return sorted(out, key=lambda r: (-r.saving_usd, r.lever, str(r.scope)))


def _named(models: list[str], shares: dict[str, tuple[Decimal, Decimal]]) -> str:
    shown = [f"{m} ({_pct(shares[m][0])} → {_pct(shares[m][1])})" for m in models[:2]]
    return ", ".join(shown) + (f" and {len(models) - 2} more" if len(models) > 2 else "")


def _hit_rate(cells: list[tuple[CellKey, Cell]]) -> Decimal:
    prompt = sum(c.prompt for _, c in cells)
    return Decimal(sum(c.tokens["read"] for _, c in cells)) / Decimal(prompt) if prompt else ZERO


def _shares(cells: list[tuple[CellKey, Cell]], part: int) -> dict[str, Decimal]:
    """The share of the calls per model (`part` 1) or service tier (2)."""
    total = sum(c.calls for _, c in cells)
    out: dict[str, Decimal] = {}
    for ck, c in cells:
        out[str(ck[part])] = out.get(str(ck[part]), ZERO) + Decimal(c.calls) / Decimal(total)
    return out


# --- the run -------------------------------------------------------------------------------------


def _fill_period(store: Store, relation: str, p: Period, case: str, tag: str) -> None:
    rows = store.query(f"""
        SELECT coalesce(model_id, model), unpriced_reason, count(*),
               count(*) FILTER (WHERE cost_input IS NULL),
               count(*) FILTER (WHERE cost_input IS NOT NULL AND NOT coalesce(billed, false)),
               coalesce(sum(cost_usd), 0)
        FROM {relation} WHERE {case} = '{tag}' GROUP BY 1, 2""")
    for model, why, calls, unpriced, unbilled, cost in rows:
        p.calls += int(calls)
        p.priced_calls += int(calls) - int(unpriced)
        p.unbilled_calls += int(unbilled)
        p.cost_usd += _dec(cost)
        if unpriced:
            p.unpriced_models.append((None if model is None else str(model), int(unpriced), str(why or "unpriced")))
    p.unpriced_models.sort(key=lambda x: (-x[1], str(x[0]), x[2]))


def run_diff(store: Store, book: PriceBook, relation: str, scope: Scope, a_text: str, b_text: str) -> DiffResult:
    """The diff of the priced calls of `relation` (the calls in scope) between periods A and B."""
    from llmcost.pricing.engine import prepare_pricing, priced_sql, sql_literal

    first, last = store.query(f"SELECT min(ts), max(ts) FROM {relation}")[0]
    a_start, a_end = parse_period(a_text, "A", last)
    b_start, b_end = parse_period(b_text, "B", last)
    a, b = Period(a_text, a_start, a_end), Period(b_text, b_start, b_end)
    if a.start < b.end and b.start < a.end:
        both = span_text(max(a.start, b.start), min(a.end, b.end))
        raise UsageError(f"The periods overlap: A is {span_text(a.start, a.end)}, B is {span_text(b.start, b.end)}; "
                         f"both hold {both}.", "Give two periods that do not overlap, e.g. llmcost diff 7d-1 7d "
                         "(the 7 days before the last 7) or llmcost diff 2026-09 2026-10.")
    case = _period_case(a, b)
    for p, tag in ((a, "a"), (b, "b")):
        _fill_period(store, relation, p, case, tag)
    for p, which in ((a, "A"), (b, "B")):
        if not p.calls:
            held = ("no call in scope has a time" if first is None else
                    f"the calls in scope run from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}")
            span = span_text(p.start, p.end)
            named = span if p.label.strip() == span else f"{p.label}: {span}"
            raise UsageError(f"Period {which} ({named}) holds no call; {held}.",
                             PERIOD_HINT)
    where = f"{case} IS NOT NULL AND cost_input IS NOT NULL AND coalesce(billed, false)"
    rows = store.query(_cells_sql(f"(SELECT *, {case} AS _p FROM {relation})", where))
    cells = _read_cells(rows)
    # B's cells and components A has no price for: B's tokens repriced in the middle of A
    mid = a.start + (a.end - a.start) / 2
    repriced: Cells = {d: {"a": {}, "b": {}} for d in DIMENSIONS}
    needs = any(cb.tokens[comp] > 0 and (ck not in cells[d]["a"] or cells[d]["a"][ck].tokens[comp] == 0)
                for d in DIMENSIONS for ck, cb in cells[d]["b"].items() for comp in COMPONENTS)
    if needs:
        prepare_pricing(store.con, book, "calls")
        b_where = (f"ts >= {sql_literal(b.start)} AND ts < {sql_literal(b.end)} AND cost_input IS NOT NULL "
                   f"AND coalesce(billed, false)")
        at_mid = f"(SELECT *, 'b' AS _p FROM ({priced_sql('calls', mid)}) WHERE {scope.where_literal()})"
        repriced = _read_cells(store.query(_cells_sql(at_mid, b_where)))
    by = {d: decompose(cells[d]["a"], cells[d]["b"], repriced[d]["b"]) for d in DIMENSIONS}
    notes = []
    undated = store.query(f"SELECT count(*) FROM {relation} WHERE ts IS NULL")[0][0]
    if undated:
        notes.append(f"{undated:,} call{'s' * (undated != 1)} without a time: in neither period.")
    if a.days != b.days:
        notes.append(f"The periods differ in length ({_days(a.days)} and {_days(b.days)}): the volume driver "
                     "includes that.")
    return DiffResult(a, b, by["task"], by["feature"], by["tenant"],
                      realised_savings(by["task"], cells["task"]["a"], cells["task"]["b"]),
                      mid if needs else None, notes)


def _days(d: Decimal) -> str:
    return f"{d.normalize():f} day{'s' * (d != 1)}"
