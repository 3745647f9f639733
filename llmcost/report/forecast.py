"""`llmcost forecast`: this month's spend at its end and next month's, from the recent trend, with
the price changes the book already knows applied on their dates (issue 16, item 4).

The month is the month of the last call in scope, or of `--as-of DATE`; never the wall clock.

- The history ends at the last call (its day may be partial), or at the end of DATE with
  `--as-of` (later calls are left out: the forecast as it stood then).
- The window: the last `WINDOW_DAYS` full calendar days (UTC) before the history's end. The
  last day is not full without `--as-of`, the first day of the calls never is (the log may start
  mid-day), so neither is in it; a day without calls inside it counts as $0. A shorter history
  gives a shorter window (said), down to `MIN_DAYS`.
- The baseline: the window's calls, repriced (`pricing.engine.priced_sql(as_of=…)`) once per
  price regime ahead — the stretches between the dates on which a model in use changes price
  (a book or overlay period, a discount, or the end of a price) up to the end of next month —
  so each day ahead is priced at the prices in force on it. Per regime: the window's spend at
  those prices / the window's days = a day's spend; times the days of the regime in the month
  (the rest of the last day, after the last call, counts as its fraction of a day).
- month_end = the spend so far this month (call-time prices) + the projected rest of it;
  next_month = every day of the next calendar month projected. A flat mean: no trend.
- The range: an 80 % interval (± `Z80` standard deviations) of the projected sum, taking the
  days ahead as independent draws like the window's days, plus the uncertainty of a mean of
  the window's days; never below the spend so far.
- Calls whose model has no price (at their own time or on a day ahead) are listed and left out.

The SQL brings back small aggregates (per window day, model and price regime); the arithmetic on
them is plain Decimal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost.errors import UsageError

if TYPE_CHECKING:
    from llmcost.pricing.book import PriceBook
    from llmcost.store import Store

WINDOW_DAYS = 14  # the full days the mean is taken over, at most
MIN_DAYS = 2  # full days needed: a spread needs two
Z80 = Decimal("1.2816")  # the normal quantile of an 80 % two-sided interval
WINDOW = "llmcost_forecast_window"
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Regime:
    """A stretch ahead with one set of prices: [start, end), `days` long (a fraction for the rest
    of the last day), in the forecast month or the next; `daily_usd` a day's spend at its prices."""

    start: datetime
    end: datetime
    days: Decimal
    next_month: bool
    priced_at: datetime
    daily_usd: Decimal


@dataclass(frozen=True)
class PriceChange:
    """A model's price changing on a date ahead (a new period, a discount starting or ending, or
    its price ending), with its standard input/output $/MTok either side (None: no price) and the
    model's projected day before and after."""

    model: str
    effective_from: datetime
    kind: str  # price | discount | price_ends
    input_before: Decimal | None
    output_before: Decimal | None
    input_after: Decimal | None
    output_after: Decimal | None
    daily_usd_before: Decimal | None  # None: no call of the model has a price then
    daily_usd_after: Decimal | None


@dataclass(frozen=True)
class ModelForecast:
    """A model's figures; None where none of its calls has a price (unknown, never $0)."""

    model: str
    spent_so_far_usd: Decimal | None
    daily_usd: Decimal | None  # a day at the prices in force at the history's end
    rest_of_month_usd: Decimal | None
    next_month_usd: Decimal | None
    window_calls: int


@dataclass(frozen=True)
class Unpriced:
    """A model with calls but no price: so far (at the calls' own time) or ahead (from `since`)."""

    model: str
    calls: int  # in the window (ahead) or this month so far
    where: str  # so_far | ahead
    reason: str
    since: datetime | None = None


@dataclass
class Forecast:
    month: date  # its first day
    next_month: date
    as_of: date | None
    last_call: datetime
    history_end: datetime  # the calls up to here are the history (exclusive with --as-of)
    spent_so_far_usd: Decimal
    so_far_calls: int
    so_far_unpriced_calls: int
    window_start: date
    window_end: date  # inclusive
    window_days: int
    window_calls: int
    days_without_calls: int
    daily_usd: Decimal
    daily_sd_usd: Decimal
    rest_of_month_days: Decimal
    rest_of_month_usd: Decimal
    next_month_days: int
    next_month_usd: Decimal
    low_usd: Decimal
    high_usd: Decimal
    next_month_low_usd: Decimal
    next_month_high_usd: Decimal
    regimes: list[Regime]
    price_changes: list[PriceChange]
    models: list[ModelForecast]
    unpriced: list[Unpriced]
    method: str = ""
    notes: list[str] = field(default_factory=list)
    # with --as-of and later calls in the store: what the month and the next one came to (a
    # back-test), when the calls reach their last day; call-time prices, priced calls only
    actual_month_usd: Decimal | None = None
    actual_next_month_usd: Decimal | None = None

    @property
    def month_end_usd(self) -> Decimal:
        return self.spent_so_far_usd + self.rest_of_month_usd


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_month(d: date) -> date:
    """The first day of the month after `d`'s."""
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _days(a: datetime, b: datetime) -> Decimal:
    """The days from a to b, exactly (microseconds)."""
    delta = b - a
    return (Decimal(delta.days) + Decimal(delta.seconds * 1_000_000 + delta.microseconds) / Decimal(86_400_000_000))


def _literal(dt: datetime) -> str:
    return f"TIMESTAMP '{dt.isoformat(sep=' ')}'"


@dataclass(frozen=True)
class History:
    """Where the history ends and which days make the window."""

    month: date
    history_end: datetime
    last_call: datetime
    window_start: date
    window_end: date  # exclusive
    short: bool


def plan_history(first: datetime, last: datetime, as_of: date | None) -> History:
    """The month, the history's end and the window, given the first and last calls in scope (up
    to the end of `as_of` when given); a `UsageError` when there is not enough of it."""
    first_day, last_day = first.date(), last.date()
    if as_of is not None:
        end = _at(as_of) + _DAY
        window_end = as_of + _DAY
    else:
        end = last
        window_end = last_day  # the last day may be partial
    window_start = max(first_day + _DAY, window_end - timedelta(days=WINDOW_DAYS))
    full = (window_end - window_start).days
    if full < MIN_DAYS:
        partial = "the first and the last day may be partial" if as_of is None else \
            f"the first day may be partial; the history ends with {as_of}"
        raise UsageError(
            f"A forecast needs at least {MIN_DAYS} full days of calls: the calls in scope run from "
            f"{first_day} to {last_day} ({partial}), which leaves {max(full, 0)}.",
            "Load more days of logs (a forecast reads the last 14 full days), or widen --since/--until.")
    return History(month_start(as_of or last_day), end, last, window_start, window_end, full < WINDOW_DAYS)


def _bounds(store: Store, relation: str, as_of: date | None) -> tuple[datetime, datetime, int, int]:
    """(first call, last call) of the history, the calls without a time, and the calls after
    `as_of` (left out)."""
    cut = f"ts < {_literal(_at(as_of) + _DAY)}" if as_of is not None else "true"
    first, last, undated, later, any_first = store.query(
        f"SELECT min(ts) FILTER (WHERE {cut}), max(ts) FILTER (WHERE {cut}), count(*) FILTER (WHERE ts IS NULL), "
        f"count(*) FILTER (WHERE ts IS NOT NULL AND NOT ({cut})), min(ts) FROM {relation}")[0]
    if any_first is None:
        raise UsageError("No call in scope has a time: a forecast needs dated calls.",
                         "Check the log's timestamp column (llmcost ingest shows what was read).")
    if first is None:
        assert as_of is not None
        raise UsageError(f"--as-of {as_of} is before the first call in scope ({any_first:%Y-%m-%d}).",
                         "Name a day from the first call on, or leave --as-of out to forecast from the last call.")
    if as_of is not None and as_of > last.date():
        raise UsageError(
            f"--as-of {as_of} is after the last call in scope ({last:%Y-%m-%d}): the calls say nothing "
            "about the days between.",
            "Leave --as-of out to forecast from the last call, or load the later logs.")
    return first, last, int(undated), int(later)


def _window_table(store: Store, relation: str, h: History) -> None:
    """The window's calls, with the stored calls' columns, to be priced again at each regime."""
    calls = [d[0] for d in store.con.execute("SELECT * FROM calls LIMIT 0").description]
    have = {d[0] for d in store.con.execute(f"SELECT * FROM {relation} LIMIT 0").description}
    cols = ", ".join(f'"{c}"' for c in calls if c in have)
    store.con.execute(
        f"CREATE OR REPLACE TEMP TABLE {WINDOW} AS SELECT {cols} FROM {relation} "
        f"WHERE ts >= {_literal(_at(h.window_start))} AND ts < {_literal(_at(h.window_end))}")


@dataclass(frozen=True)
class _Segment:
    model: str
    start: datetime
    end: datetime | None
    period_from: datetime
    input: Decimal | None
    output: Decimal | None


def _segments(store: Store, models: list[str]) -> list[_Segment]:
    """The price-book stretches of `models` with their standard input and output $/MTok (a
    discount applied)."""
    from llmcost.pricing.engine import PERIODS, ROWS
    from llmcost.sql_quoting import sql_str

    if not models:
        return []
    rows = store.query(f"""
        SELECT p.model_id, p.effective_from, p.effective_to, p.period_from,
               r.p_input * p.discount, r.p_output * p.discount
        FROM {PERIODS} p LEFT JOIN {ROWS} r ON r.period_key = p.period_key AND r.service_tier = 'standard'
             AND NOT r.long_context AND NOT r.off_peak
        WHERE p.model_id IN ({', '.join(sql_str(m) for m in models)})
        ORDER BY 1, 2""")
    return [_Segment(m, s, e, pf, None if i is None else Decimal(i), None if o is None else Decimal(o))
            for m, s, e, pf, i, o in rows]


def _in_force(segments: list[_Segment], model: str, at: datetime) -> _Segment | None:
    return next((s for s in segments if s.model == model and s.start <= at and (s.end is None or at < s.end)),
                None)


def _changes(segments: list[_Segment], start: datetime, end: datetime) -> list[tuple[str, datetime, str]]:
    """(model, when, kind) of every price change strictly inside (start, end)."""
    out: set[tuple[str, datetime, str]] = set()
    for s in segments:
        if start < s.start < end:
            out.add((s.model, s.start, "price" if s.start == s.period_from else "discount"))
        if s.end is not None and start < s.end < end and _in_force(segments, s.model, s.end) is None:
            out.add((s.model, s.end, "price_ends"))
    return sorted(out, key=lambda c: (c[1], c[0]))


# per window day, model and price instant: calls, unpriced calls, spend, why unpriced
_Row = tuple[date, str, int, int, Decimal, str | None]


def _priced_rows(store: Store, at: datetime) -> list[_Row]:
    from llmcost.pricing.engine import priced_sql

    rows = store.query(f"""
        SELECT CAST(ts AS DATE), coalesce(model_id, model, '(no model)'), count(*),
               count(*) FILTER (WHERE cost_input IS NULL),
               coalesce(sum(cost_usd), 0), any_value(unpriced_reason)
        FROM ({priced_sql(WINDOW, at)}) GROUP BY 1, 2""")
    return [(d, m, int(n), int(u), Decimal(c), r) for d, m, n, u, c, r in rows]


def _sd(values: list[Decimal]) -> Decimal:
    """The sample standard deviation (n − 1)."""
    n = len(values)
    if n < 2:
        return Decimal(0)
    mean = sum(values, Decimal(0)) / n
    return (sum(((v - mean) ** 2 for v in values), Decimal(0)) / (n - 1)).sqrt()


def band(window_days: list[date], per_day: dict[datetime, dict[date, Decimal]],
         regimes: list[Regime]) -> tuple[Decimal, Decimal]:
    """(projected sum, its standard deviation) over `regimes`: the sum of each regime's days ×
    its mean day; the variance = Σ days × σ² of a day at the regime's prices (the days ahead
    drawn like the window's, independently) + the variance of the mean of the window's days of
    the same weighted sum (the mean itself is an estimate)."""
    n = len(window_days)
    total = sum((r.days * r.daily_usd for r in regimes), Decimal(0))
    noise = sum((r.days * _sd([per_day[r.priced_at].get(d, Decimal(0)) for d in window_days]) ** 2
                 for r in regimes), Decimal(0))
    weighted = [sum((r.days * per_day[r.priced_at].get(d, Decimal(0)) for r in regimes), Decimal(0))
                for d in window_days]
    mean_var = _sd(weighted) ** 2 / n
    return total, (noise + mean_var).sqrt()


def _month_name(d: date) -> str:
    return d.strftime("%B %Y")


def run_forecast(store: Store, book: PriceBook, relation: str, as_of: date | None = None) -> Forecast:
    """The forecast for the priced calls of `relation` (see the module's doc)."""
    from llmcost.pricing.engine import prepare_pricing

    first, last, undated, later = _bounds(store, relation, as_of)
    h = plan_history(first, last, as_of)
    month, next_month = h.month, add_month(h.month)
    horizon = _at(add_month(next_month))
    month_end = _at(next_month)
    history_cut = f"ts < {_literal(h.history_end)}" if as_of is not None else "true"

    # spend so far this month, per model, at the calls' own prices
    so_far: dict[str, tuple[int, int, Decimal, str | None]] = {}
    for m, n, u, c, why in store.query(f"""
            SELECT coalesce(model_id, model, '(no model)'), count(*), count(*) FILTER (WHERE cost_input IS NULL),
                   coalesce(sum(cost_usd), 0), any_value(unpriced_reason)
            FROM {relation} WHERE ts >= {_literal(_at(month))} AND {history_cut} GROUP BY 1"""):
        so_far[m] = (int(n), int(u), Decimal(c), why)

    _window_table(store, relation, h)
    prepare_pricing(store.con, book, "calls")
    from llmcost.pricing.engine import MODEL_MAP

    in_use = [r[0] for r in store.query(
        f"SELECT DISTINCT mm.model_id FROM {WINDOW} w JOIN {MODEL_MAP} mm ON mm.model = w.model "
        "WHERE mm.model_id IS NOT NULL ORDER BY 1")]
    segments = _segments(store, in_use)
    changes = _changes(segments, h.history_end, horizon)
    instants = [h.history_end, *sorted({c[1] for c in changes})]

    # the window priced at each instant: per (day, model)
    priced: dict[datetime, list[_Row]] = {at: _priced_rows(store, at) for at in instants}
    window_days = [h.window_start + timedelta(days=i) for i in range((h.window_end - h.window_start).days)]
    n_days = Decimal(len(window_days))
    per_day: dict[datetime, dict[date, Decimal]] = {}
    per_model: dict[datetime, dict[str, Decimal]] = {}
    for at, rows in priced.items():
        per_day[at], per_model[at] = {}, {}
        for d, m, _, _, c, _ in rows:
            per_day[at][d] = per_day[at].get(d, Decimal(0)) + c
            per_model[at][m] = per_model[at].get(m, Decimal(0)) + c

    # the regimes: cut at every change and at the month's end
    cuts = sorted({h.history_end, month_end, horizon, *instants[1:]})
    regimes: list[Regime] = []
    for a, b in itertools.pairwise(cuts):
        at = max(i for i in instants if i <= a)
        daily = sum(per_day[at].values(), Decimal(0)) / n_days
        regimes.append(Regime(a, b, _days(a, b), a >= month_end, at, daily))
    this_part = [r for r in regimes if not r.next_month]
    next_part = [r for r in regimes if r.next_month]
    rest, rest_sd = band(window_days, per_day, this_part)
    nxt, nxt_sd = band(window_days, per_day, next_part)
    spent = sum((v[2] for v in so_far.values()), Decimal(0))

    # per model
    models: list[ModelForecast] = []
    window_calls: dict[str, int] = {}
    for _, m, n, _, _, _ in priced[h.history_end]:
        window_calls[m] = window_calls.get(m, 0) + n
    # the instants at which none of a model's window calls has a price
    no_price = {(at, m) for at, rows in priced.items() for m in window_calls
                if sum(n for _, mm, n, _, _, _ in rows if mm == m) == sum(u for _, mm, _, u, _, _ in rows if mm == m)}
    for m in sorted(set(window_calls) | set(so_far)):
        def part(rs: list[Regime], model: str = m) -> Decimal | None:
            if model not in window_calls or (rs and all((r.priced_at, model) in no_price for r in rs)):
                return None if model in window_calls else Decimal(0)
            return sum((r.days * per_model[r.priced_at].get(model, Decimal(0)) / n_days for r in rs), Decimal(0))

        calls, unpriced_calls, cost, _ = so_far.get(m, (0, 0, Decimal(0), None))
        model_daily = (None if (h.history_end, m) in no_price
                       else per_model[h.history_end].get(m, Decimal(0)) / n_days)
        models.append(ModelForecast(m, None if calls and calls == unpriced_calls else cost,
                                    model_daily if m in window_calls else Decimal(0),
                                    part(this_part), part(next_part), window_calls.get(m, 0)))
    models.sort(key=lambda x: (-sum(v for v in (x.spent_so_far_usd, x.rest_of_month_usd, x.next_month_usd)
                                    if v is not None), x.model))

    # the price changes, with the model's day either side
    price_changes: list[PriceChange] = []
    for m, when, kind in changes:
        before_at = max(i for i in instants if i < when)
        before, after = _in_force(segments, m, when - timedelta(microseconds=1)), _in_force(segments, m, when)
        price_changes.append(PriceChange(
            m, when, kind, before.input if before else None, before.output if before else None,
            after.input if after else None, after.output if after else None,
            None if (before_at, m) in no_price else per_model[before_at].get(m, Decimal(0)) / n_days,
            None if (when, m) in no_price else per_model[when].get(m, Decimal(0)) / n_days))

    # unpriced: so far, and ahead (the first instant a model's window calls have no price)
    unpriced: list[Unpriced] = [Unpriced(m, u, "so_far", why or "no price")
                                for m, (_, u, _, why) in sorted(so_far.items()) if u]
    seen: set[str] = set()
    for at in instants:
        counts: dict[str, tuple[int, str | None]] = {}
        for _, m, _, u, _, why in priced[at]:
            if u:
                counts[m] = (counts.get(m, (0, None))[0] + u, why)
        for m, (u, why) in sorted(counts.items()):
            if m not in seen:
                seen.add(m)
                unpriced.append(Unpriced(m, u, "ahead", why or "no price", None if at == h.history_end else at))

    total_calls = sum(window_calls.values())
    days_with_calls = len({d for d, *_ in priced[h.history_end]})
    if total_calls == 0:
        raise UsageError(
            f"No call in the window's full days ({h.window_start} to {h.window_end - _DAY}): nothing to "
            "take a mean of.",
            "A forecast reads the full days before the last call; load the logs of those days, or "
            "name --as-of DATE to end the history on a day with calls before it.")
    if all(u == n for _, _, n, u, _, _ in priced[h.history_end]):
        names = ", ".join(sorted(window_calls))
        raise UsageError(
            f"None of the {total_calls:,} calls of the window ({h.window_start} to {h.window_end - _DAY}) has a "
            f"price ({names}): a forecast of them would be unknown, not $0.",
            "Add their prices with --pricing FILE (docs/pricing-format.md), or leave them out with --model.")
    sd = _sd([per_day[h.history_end].get(d, Decimal(0)) for d in window_days])
    low = spent + max(Decimal(0), rest - Z80 * rest_sd)
    high = spent + rest + Z80 * rest_sd
    f = Forecast(
        month=month, next_month=next_month, as_of=as_of, last_call=last, history_end=h.history_end,
        spent_so_far_usd=spent, so_far_calls=sum(v[0] for v in so_far.values()),
        so_far_unpriced_calls=sum(v[1] for v in so_far.values()),
        window_start=h.window_start, window_end=h.window_end - _DAY, window_days=len(window_days),
        window_calls=total_calls, days_without_calls=len(window_days) - days_with_calls,
        daily_usd=sum(per_day[h.history_end].values(), Decimal(0)) / n_days, daily_sd_usd=sd,
        rest_of_month_days=sum((r.days for r in this_part), Decimal(0)), rest_of_month_usd=rest,
        next_month_days=(add_month(next_month) - next_month).days, next_month_usd=nxt,
        low_usd=low, high_usd=high, next_month_low_usd=max(Decimal(0), nxt - Z80 * nxt_sd),
        next_month_high_usd=nxt + Z80 * nxt_sd,
        regimes=regimes, price_changes=price_changes, models=models, unpriced=unpriced)
    if as_of is not None and later:
        f.actual_month_usd, f.actual_next_month_usd = _actuals(store, relation, month)
    f.method = method_text(f, h.short)
    f.notes = _notes(f, undated, later)
    return f


def _actuals(store: Store, relation: str, month: date) -> tuple[Decimal | None, Decimal | None]:
    """The call-time spend of `month` and of the next, each when the calls reach its last day."""
    nxt, after = add_month(month), add_month(add_month(month))
    a, b, c = (_literal(_at(d)) for d in (month, nxt, after))
    last, this_month, next_month = store.query(f"""
        SELECT max(ts), coalesce(sum(cost_usd) FILTER (WHERE ts >= {a} AND ts < {b}), 0),
               coalesce(sum(cost_usd) FILTER (WHERE ts >= {b} AND ts < {c}), 0)
        FROM {relation}""")[0]
    reached = last.date() if last is not None else date.min
    return (Decimal(this_month) if reached >= nxt - _DAY else None,
            Decimal(next_month) if reached >= after - _DAY else None)


def _usd(v: Decimal) -> str:
    return f"${v:,.4f}" if 0 < abs(v) < Decimal("0.01") else f"${v:,.2f}"


def method_text(f: Forecast, short: bool) -> str:
    """How the figures were made, in plain words."""
    end = f"the end of {f.as_of}" if f.as_of is not None else \
        f"the last call, {f.last_call:%Y-%m-%d %H:%M} UTC (that day may be partial: not in the window)"
    short_text = (f"; the calls in scope give only {f.window_days} full days, not {WINDOW_DAYS}: a rough guide"
                  if short else "")
    zero = (f"; {f.days_without_calls} of them had no call and count as $0" if f.days_without_calls else "")
    n = len(f.price_changes)
    changes = (f"{n} price change{'s' * (n != 1)} ahead {'is' if n == 1 else 'are'} applied from "
               f"{'its' if n == 1 else 'their'} date{'s' * (n != 1)}" if n else "the book has no price change ahead")
    rest_days = f"{f.rest_of_month_days:.2f}".rstrip("0").rstrip(".")
    return (f"History up to {end}. A flat mean, no trend: a day's spend is the mean of the {f.window_days} "
            f"full days {f.window_start} to {f.window_end} (UTC){short_text}{zero}. Each day ahead is priced at "
            f"the prices in force on it (the window's calls repriced at them); {changes}. Month end = the spend "
            f"so far this month at call-time prices + the {rest_days} days left; next month = all "
            f"{f.next_month_days} of its days. Range (low to high): an 80 % interval, ±{Z80} standard deviations "
            f"of the projected sum, taking the days ahead as independent draws like the window's days (a day's "
            f"spread σ = {_usd(f.daily_sd_usd)}) plus the uncertainty of a {f.window_days}-day mean; never below "
            f"the spend so far. Calls on models without a price are left out.")


def _notes(f: Forecast, undated: int, later: int) -> list[str]:
    notes = []
    ahead = [u for u in f.unpriced if u.where == "ahead"]
    so_far = [u for u in f.unpriced if u.where == "so_far"]
    if ahead:
        names = ", ".join(f"{u.model} ({u.calls:,} window calls{f', from {u.since:%Y-%m-%d}' if u.since else ''})"
                          for u in ahead)
        notes.append(f"Left out of the projection, no price: {names} (llmcost pricing list).")
    if so_far:
        names = ", ".join(f"{u.model} ({u.calls:,} calls)" for u in so_far)
        notes.append(f"Left out of the spend so far, no price: {names}.")
    if later:
        notes.append(f"{later:,} call{'s' * (later != 1)} after {f.as_of} left out: the forecast as it stood "
                     "at the end of that day.")
    if undated:
        notes.append(f"{undated:,} call{'s' * (undated != 1)} without a time: not in any day's figures.")
    return notes
