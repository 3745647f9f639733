"""Spend over time: `analyze --by day|week|month[,SPLIT]`.

One grouped pass in DuckDB over the priced calls in scope: period × split key, the period taken
in a time zone (`timezone(zone, ts)`: the logged UTC time read as local time there; weeks start
on Monday, ISO 8601), each period's `top` most expensive split keys kept and the others summed
into one "other" row per period (ranked with a window, in the same query). Only those rows come
back; a period's figures are the sum of its rows, so the split always adds up to the period.
Calls without a timestamp belong to no period and are counted beside. Errored calls are counted,
never billed; a row whose calls are all unpriced has no cost (None), never $0.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from llmcost.errors import UsageError
from llmcost.pricing.stored import ROLLUP_FIGURES
from llmcost.report.analysis import BREAKDOWN_KEYS, DIMENSIONS, BreakdownRow
from llmcost.sql_quoting import sql_str
from llmcost.store import Store

PERIODS = ("day", "week", "month")
SPLITS = ("model", "task_type", "feature", "tenant", "provider")
SERIES_KEYS = {"day": "by_day", "week": "by_week", "month": "by_month"}
DEFAULT_TOP = 5  # split items per period unless --top says otherwise
ZERO = Decimal(0)
_FIGURES = ("calls", "inp", "cr", "cw", "out", "cost", "unpriced", "errs", "e_inp", "e_out", "e_unp")


@dataclass(frozen=True)
class SeriesAsk:
    """What --by asked for: the period, the dimension split inside each period (None: none)."""

    period: str
    split: str | None


def series_from_by(dims: list[str] | None) -> SeriesAsk | None:
    """A --by list whose first item is day, week or month is a time series split by its second
    item; any other list is a breakdown each (None here). Week and month only lead a list."""
    if not dims or dims[0] not in PERIODS:
        for d in dims or []:
            if d in ("week", "month"):
                raise UsageError(f"--by {','.join(dims or [])}: {d} only starts a list (a time series).",
                                 f"For example --by {d} or --by {d},model.")
        return None
    if len(dims) > 2:
        raise UsageError(f"--by {','.join(dims)}: a time series splits by one dimension.",
                         f"For example --by {dims[0]},{dims[1]}.")
    split = dims[1] if len(dims) == 2 else None
    if split is not None and split not in SPLITS:
        raise UsageError(f"--by {','.join(dims)}: a {dims[0]} cannot be split by {split}.",
                         "Split by one of: " + ", ".join(SPLITS) + ".")
    return SeriesAsk(dims[0], split)


def check_zone(tz: str) -> str:
    """An IANA time zone name as DuckDB knows it (case-insensitive), or a usage error naming the
    nearest ones. Asks an in-memory DuckDB, so the check runs before the store opens."""
    import duckdb

    names = [n for (n,) in duckdb.connect(":memory:").execute(
        "SELECT name FROM pg_timezone_names()").fetchall()]
    exact = {n.lower(): n for n in names}
    if tz.lower() in exact:
        return exact[tz.lower()]
    near = difflib.get_close_matches(tz.lower(), list(exact), n=3, cutoff=0.5)
    hint = ("Did you mean " + ", ".join(exact[m] for m in near) + "?") if near else \
        "Give an IANA name such as UTC, Europe/Paris or America/New_York."
    raise UsageError(f"--tz {tz}: not a known time zone.", hint)


@dataclass
class SeriesPeriod:
    """One period: its figures (`row`, key the ISO date it starts), its top split rows (most
    expensive first) and the other keys summed (`other`, with how many: `other_keys`)."""

    start: date
    end: date  # its last day
    row: BreakdownRow
    items: list[BreakdownRow] = field(default_factory=list)
    other: BreakdownRow | None = None
    other_keys: int = 0


@dataclass
class TimeSeries:
    period: str
    split: str | None
    tz: str
    top: int | None  # split items per period (None: every one)
    periods: list[SeriesPeriod]
    calls_without_time: int = 0

    @property
    def key(self) -> str:
        return SERIES_KEYS[self.period]

    @property
    def split_key(self) -> str | None:
        return BREAKDOWN_KEYS[self.split] if self.split else None

    def label(self, p: SeriesPeriod) -> str:
        """How a period reads: 2026-10-01, the week of 2026-09-28, 2026-10."""
        return p.start.strftime("%Y-%m") if self.period == "month" else p.start.isoformat()


def _end(start: date, period: str) -> date:
    if period == "day":
        return start
    if period == "week":
        return start + timedelta(days=6)
    nxt = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _row(key: Any, figs: tuple[Any, ...], total_cost: Decimal, total_calls: int) -> BreakdownRow:
    calls, inp, cr, cw, out, cost, unpriced, errs, e_inp, e_out, e_unp = figs
    c = Decimal(cost) if cost is not None else ZERO
    return BreakdownRow(key, int(calls), int(inp or 0), int(cr or 0), int(cw or 0), int(out or 0), c,
                        float(100 * c / total_cost) if total_cost else 0.0,
                        100.0 * int(calls) / total_calls if total_calls else 0.0, int(unpriced or 0),
                        int(errs or 0), int(e_inp or 0), int(e_out or 0), int(e_unp or 0), stray_cost_usd=None)


def _sum(figs: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(sum((Decimal(f[i]) if i == 5 else int(f[i] or 0)) for f in figs if f[i] is not None)
                 for i in range(len(_FIGURES)))


def time_series(store: Store, relation: str, ask: SeriesAsk, tz: str = "UTC",
                top: int | None = DEFAULT_TOP) -> TimeSeries:
    """The priced calls of `relation` per period (in time zone `tz`) and, with a split, per
    period × split key, the `top` keys of each period (None: every key) and the rest summed."""
    local = f"timezone({sql_str(tz)}, timezone('UTC', ts))"
    period = f"CAST(date_trunc({sql_str(ask.period)}, {local}) AS DATE)"
    split = DIMENSIONS[ask.split] if ask.split else "NULL"
    figures = ", ".join(f"{'coalesce(sum(cost_usd), 0)' if k == 'cost' else ROLLUP_FIGURES[k]} AS {k}"
                        for k in _FIGURES)
    # a single key left over is shown as itself, never as "1 other"
    keep = "true" if top is None else (
        f"(row_number() OVER (PARTITION BY p ORDER BY cost DESC, calls DESC, k ASC NULLS LAST) <= {int(top)} "
        f"OR count(*) OVER (PARTITION BY p) <= {int(top) + 1})")
    sums = ", ".join(f"sum({k})" for k in _FIGURES)
    rows = store.query(f"""
        WITH g AS (SELECT {period} AS p, {split} AS k, {figures} FROM {relation}
                   WHERE ts IS NOT NULL GROUP BY ALL),
        r AS (SELECT *, {keep} AS top FROM g)
        SELECT p, top, CASE WHEN top THEN k END AS key, count(*) AS keys, {sums} FROM r
        GROUP BY ALL ORDER BY p, top DESC, sum(cost) DESC, sum(calls) DESC, key ASC NULLS LAST""")
    no_ts = int(store.query(f"SELECT count(*) FROM {relation} WHERE ts IS NULL")[0][0])
    by_period: dict[date, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_period.setdefault(r[0], []).append(r)
    total_cost = sum((Decimal(r[9]) for r in rows if r[9] is not None), ZERO)
    total_calls = sum(int(r[4]) for r in rows)
    periods: list[SeriesPeriod] = []
    for start, prow in by_period.items():
        figs = _sum([tuple(r[4:]) for r in prow])
        p = SeriesPeriod(start, _end(start, ask.period), _row(start.isoformat(), figs, total_cost, total_calls))
        if ask.split:
            for _p, is_top, key, keys, *f in prow:
                item = _row(key, tuple(f), p.row.cost_usd, p.row.calls)
                if is_top:
                    p.items.append(item)
                else:
                    p.other, p.other_keys = item, int(keys)
        periods.append(p)
    return TimeSeries(ask.period, ask.split, tz, top, periods, no_ts)
